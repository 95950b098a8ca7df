"""Python simulator of a lowered integer Program: runs its kernel calls on a byte arena with the numpy
twins of toolchain.quant.ref_kernels, so its outputs are byte-identical to the generated C.

Covered: every int8 kernel, the float boundary (quantize / dequantize) and the float kernels whose result
is exactly reproducible in numpy (per-channel affine: one float32 multiply and add, no libm). A program
with any other float kernel (a Softmax left in float, say) is not simulated: `Unsimulated` names it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from toolchain.lower import Program
from toolchain.ops.base import Arg, KernelCall
from toolchain.ops.s8 import CONV_W_OIHW, conv_weight_order, fc_weight_order
from toolchain.quant import ref_kernels as rk

NP = {"float": np.float32, "int8_t": np.int8, "int16_t": np.int16}


class Unsimulated(Exception):
    """The program calls a kernel the simulator has no exact twin of."""


def _n(*dims: int) -> int:
    return int(np.prod(dims, dtype=np.int64))


def _conv(p: dict, a: list) -> tuple[np.ndarray, int]:
    x = a[0](_n(p["n"], p["c_in"], p["h_in"], p["w_in"])).reshape(p["n"], p["c_in"], p["h_in"], p["w_in"])
    cig = p["c_in"] // p["groups"]
    w = np.empty(_n(p["c_out"], cig, p["k_h"], p["k_w"]), np.int8)
    w[conv_weight_order(p, p.get("w_layout", CONV_W_OIHW))] = a[1].reshape(-1)
    y = rk.conv2d_s8(x, w.reshape(p["c_out"], cig, p["k_h"], p["k_w"]), a[2], a[3],
                     stride=(p["stride_h"], p["stride_w"]),
                     dilation=(p["dil_h"], p["dil_w"]), pads=(p["pad_top"], p["pad_left"], 0, 0), groups=p["groups"],
                     x_zero_point=p["x_zero_point"], y_zero_point=p["y_zero_point"], act_min=p["act_min"],
                     act_max=p["act_max"], out_hw=(p["h_out"], p["w_out"]))
    return y, 5


def _fc(p: dict, a: list) -> tuple[np.ndarray, int]:
    x = a[0](p["m"] * p["k"]).reshape(p["m"], p["k"])
    w = np.empty(p["n"] * p["k"], np.int8)
    w[fc_weight_order(p["n"], p["k"], p["w_layout"])] = a[1].reshape(-1)
    return rk.fc_s8(x, w.reshape(p["n"], p["k"]), a[2], a[3], x_zero_point=p["x_zero_point"],
                    y_zero_point=p["y_zero_point"], act_min=p["act_min"], act_max=p["act_max"]), 4


def _pool(fn: Callable) -> Callable:
    def run(p: dict, a: list) -> tuple[np.ndarray, int]:
        x = a[0](_n(p["n"], p["c"], p["h_in"], p["w_in"])).reshape(p["n"], p["c"], p["h_in"], p["w_in"])
        kw = dict(stride=(p["stride_h"], p["stride_w"]), dilation=(p["dil_h"], p["dil_w"]),
                  pads=(p["pad_top"], p["pad_left"], p["pad_bottom"], p["pad_right"]), act_min=p["act_min"],
                  act_max=p["act_max"], out_hw=(p["h_out"], p["w_out"]))
        if fn is rk.avgpool2d_s8:
            kw.update(count_include_pad=bool(p["count_include_pad"]), zero_point=p["zero_point"])
        return fn(x, (p["k_h"], p["k_w"]), **kw), 1
    return run


def _mean(p: dict, a: list) -> tuple[np.ndarray, int]:
    x = a[0](_n(p["outer"], p["axis"], p["inner"])).reshape(p["outer"], p["axis"], p["inner"])
    return rk.mean_s8(x, p["mult"], p["shift"], x_zero_point=p["x_zero_point"], y_zero_point=p["y_zero_point"],
                      act_min=p["act_min"], act_max=p["act_max"]), 1


def _strided(view: Callable, dims: list[int], strides: list[int], item: int) -> np.ndarray:
    span = 1 + sum((d - 1) * s for d, s in zip(dims, strides) if d > 0)
    base = view(span)
    return np.lib.stride_tricks.as_strided(base, shape=dims, strides=[s * item for s in strides])


def _binary(fn: Callable) -> Callable:
    def run(p: dict, a: list) -> tuple[np.ndarray, int]:
        r = p["rank"]
        dims = p["dims"][:r]
        x = _strided(a[0], dims, p["a_strides"][:r], 1)
        y = _strided(a[1], dims, p["b_strides"][:r], 1)
        keys = ("a_zero_point", "b_zero_point", "y_zero_point", "left_shift", "a_mult", "a_shift", "b_mult",
                "b_shift", "y_mult", "y_shift", "act_min", "act_max")
        return fn(np.array(x), np.array(y), **{k: p[k] for k in keys}), 2
    return run


def _softmax(p: dict, a: list) -> tuple[np.ndarray, int]:
    x = a[0](_n(p["outer"], p["axis"], p["inner"])).reshape(p["outer"], p["axis"], p["inner"])
    return rk.softmax_s8(x, a[1]), 2


def _lut(p: dict, a: list) -> tuple[np.ndarray, int]:
    return rk.lut_s8(a[0](p["size"]), a[1]), 2


def _requantize(p: dict, a: list) -> tuple[np.ndarray, int]:
    return rk.requantize_s8(a[0](p["size"]), p["mult"], p["shift"], x_zero_point=p["x_zero_point"],
                            y_zero_point=p["y_zero_point"], act_min=p["act_min"], act_max=p["act_max"]), 1


def _quantize(p: dict, a: list) -> tuple[np.ndarray, int]:
    return rk.quantize_f32_s8(a[0](p["size"]), p["scale"], p["zero_point"]), 1


def _dequantize(p: dict, a: list) -> tuple[np.ndarray, int]:
    return rk.dequantize_s8_f32(a[0](p["size"]), p["scale"], p["zero_point"]), 1


def _copy(p: dict, a: list) -> tuple[np.ndarray, int]:
    r = p["rank"]
    dims = p["dims"][:r]
    if any(s < 0 for s in p["in_strides"][:r] + p["out_strides"][:r]):
        raise Unsimulated("mlc_copy_s8 with negative strides")
    src = _strided(lambda n: a[0](p["in_offset"] + n)[p["in_offset"]:], dims, p["in_strides"][:r], 1)
    dst = _strided(lambda n: a[1](p["out_offset"] + n)[p["out_offset"]:], dims, p["out_strides"][:r], 1)
    dst[...] = src
    return np.zeros(0, np.int8), -1


def _pad(p: dict, a: list) -> tuple[np.ndarray, int]:
    geo = p["geo"]
    r = geo["rank"]
    x = a[0](_n(*geo["in_dims"][:r])).reshape(geo["in_dims"][:r])
    return rk.pad_s8(x, geo["pads_begin"][:r], geo["out_dims"][:r], geo["mode"], int(p["value"])), 1


def _channel_affine_s8(p: dict, a: list) -> tuple[np.ndarray, int]:
    x = a[0](_n(p["outer"], p["channels"], p["inner"])).reshape(p["outer"], p["channels"], p["inner"])
    return rk.channel_affine_s8(x, a[1], a[2], a[3], x_zero_point=p["x_zero_point"],
                                y_zero_point=p["y_zero_point"], act_min=p["act_min"], act_max=p["act_max"]), 4


def _channel_affine(p: dict, a: list) -> tuple[np.ndarray, int]:
    if p["act"]["op"] != 0:
        raise Unsimulated("mlc_channel_affine_f32 with a fused activation")
    x = a[0](_n(p["outer"], p["channels"], p["inner"])).reshape(p["outer"], p["channels"], p["inner"])
    s = np.asarray(a[1], np.float32).reshape(1, -1, 1)
    t = np.asarray(a[2], np.float32).reshape(1, -1, 1)
    return (x * s).astype(np.float32) + t, 3


# kernel -> twin(params, args) returning (result, index of the output argument)
TWINS: dict[str, Callable[[dict, list], tuple[np.ndarray, int]]] = {
    "mlc_conv2d_s8": _conv, "mlc_fc_s8": _fc, "mlc_maxpool2d_s8": _pool(rk.maxpool2d_s8),
    "mlc_avgpool2d_s8": _pool(rk.avgpool2d_s8), "mlc_mean_s8": _mean, "mlc_add_s8": _binary(rk.add_s8),
    "mlc_mul_s8": _binary(rk.mul_s8), "mlc_softmax_s8": _softmax, "mlc_lut_s8": _lut,
    "mlc_requantize_s8": _requantize, "mlc_quantize_f32_s8": _quantize, "mlc_dequantize_s8_f32": _dequantize,
    "mlc_channel_affine_f32": _channel_affine, "mlc_copy_s8": _copy,
    "mlc_channel_affine_s8": _channel_affine_s8, "mlc_pad_s8": _pad,
}


def check_simulatable(program: Program) -> None:
    missing = sorted({c.fn for layer in program.layers for c in layer.calls if c.fn not in TWINS})
    if missing:
        raise Unsimulated(f"no exact Python twin of {', '.join(missing)}")


class _Const(np.ndarray):
    """A constant argument: usable as an array (weights, tables) and, like arena arguments, called with an
    element count (an operand of an elementwise kernel)."""

    def __new__(cls, data: np.ndarray) -> _Const:
        return np.asarray(data).view(cls)

    def __call__(self, n: int) -> np.ndarray:
        return np.asarray(self).reshape(-1)[:n]


class _Machine:
    def __init__(self, program: Program, inputs: list[np.ndarray]) -> None:
        self.p = program
        self.arena = np.zeros(max(program.arena_size, 1), np.uint8)
        self.offsets = {**program.offsets, **program.scratch}
        self.consts = {c.name: c.data for c in program.constants}
        self.inputs = {t.name: np.ascontiguousarray(x).reshape(-1) for t, x in zip(program.inputs, inputs)}
        self.outputs = {t.name: np.zeros(t.size, np.float32 if t.dtype == "float32" else t.dtype)
                        for t in program.outputs}

    def view(self, arg: Arg) -> Callable[[int], np.ndarray]:
        """A function giving the first n elements of an argument (a writable view for arena tensors)."""
        dtype = NP.get(arg.ctype, np.float32)
        if arg.kind in ("tensor", "scratch"):
            off = self.offsets[arg.name]
            return lambda n: self.arena[off:off + n * np.dtype(dtype).itemsize].view(dtype)
        if arg.kind == "input":
            return lambda n: self.inputs[arg.name][:n].astype(dtype, copy=False)
        if arg.kind == "output":
            return lambda n: self.outputs[arg.name][:n]
        raise AssertionError(arg.kind)

    def call(self, call: KernelCall) -> None:
        args: list = []
        for arg in call.args:
            if arg.kind == "const":
                args.append(_Const(self.consts[arg.name]))
            elif arg.kind == "null":
                args.append(None)
            else:
                args.append(self.view(arg))
        result, out_index = TWINS[call.fn](call.params, args)
        if out_index < 0:  # the twin wrote its output itself (strided destinations)
            return
        flat = np.ascontiguousarray(result).reshape(-1)
        dst = args[out_index](flat.size)
        dst[...] = flat.astype(dst.dtype, copy=False)

    def run(self) -> list[np.ndarray]:
        for t in self.p.inputs:
            if not t.external and t.offset >= 0:
                # a tensor with a boundary conversion (uint8, int64, ...) is float32 values in the arena
                held = np.float32 if t.dtype == "float32" or t.convert else t.dtype
                raw = self.inputs[t.name].astype(held).view(np.uint8)
                self.arena[t.offset:t.offset + raw.size] = raw
        for layer in self.p.layers:
            for call in layer.calls:
                self.call(call)
        result = []
        for t in self.p.outputs:
            if t.external:
                result.append(self.outputs[t.name].reshape(t.shape))
            elif t.convert:
                held = self.arena[t.offset:t.offset + 4 * t.size].view(np.float32).reshape(t.shape)
                result.append(held != 0 if t.dtype == "bool" else held.astype(t.dtype))
            else:
                dtype = np.float32 if t.dtype == "float32" else np.dtype(t.dtype)
                result.append(self.arena[t.offset:t.offset + t.nbytes].view(dtype).reshape(t.shape).copy())
        return result


def simulate(program: Program, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """One inference: the program's outputs for one sample per input (float32 inputs and outputs)."""
    check_simulatable(program)
    return _Machine(program, inputs).run()


def simulate_batch(program: Program, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Every sample of a batch (arrays[i] has shape (K, *input shape)); outputs stacked the same way."""
    count = arrays[0].shape[0] if arrays else 1
    runs = [simulate(program, [a[k] for a in arrays]) for k in range(count)]
    return [np.stack([r[i] for r in runs]) for i in range(len(program.outputs))]
