"""ctypes mirror of runtime_c/include/mlc/kernels_s8.h and a builder for the int8 reference kernels."""

import ctypes as C
import os
import shlex
import subprocess
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
INCLUDE = REPO / "runtime_c" / "include"
REF_DIR = REPO / "runtime_c" / "kernels" / "ref"
HERE = Path(__file__).resolve().parent

MAXD = 6
MLC_OK = 0
MLC_EINVAL = -1

I32 = C.c_int32
F32 = C.c_float
Dims = I32 * MAXD
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def _fields(*names):
    return [(n, I32) for n in names]


class Conv2dS8Params(C.Structure):
    _fields_ = _fields("n", "c_in", "h_in", "w_in", "c_out", "h_out", "w_out", "k_h", "k_w", "stride_h", "stride_w",
                       "dil_h", "dil_w", "pad_top", "pad_left", "groups", "x_zero_point", "y_zero_point", "act_min",
                       "act_max", "w_layout", "col_tiles")


class FcS8Params(C.Structure):
    _fields_ = _fields("m", "n", "k", "x_zero_point", "y_zero_point", "act_min", "act_max", "w_layout")


class Pool2dS8Params(C.Structure):
    _fields_ = _fields("n", "c", "h_in", "w_in", "h_out", "w_out", "k_h", "k_w", "stride_h", "stride_w", "dil_h",
                       "dil_w", "pad_top", "pad_left", "pad_bottom", "pad_right", "count_include_pad", "zero_point",
                       "act_min", "act_max")


class MeanS8Params(C.Structure):
    _fields_ = _fields("outer", "axis", "inner", "x_zero_point", "y_zero_point", "mult", "shift", "act_min",
                       "act_max")


class BinaryS8Params(C.Structure):
    _fields_ = [("rank", I32), ("dims", Dims), ("a_strides", Dims), ("b_strides", Dims)]
    _fields_ += _fields("a_zero_point", "b_zero_point", "y_zero_point", "left_shift", "a_mult", "a_shift", "b_mult",
                        "b_shift", "y_mult", "y_shift", "act_min", "act_max")


class SoftmaxS8Params(C.Structure):
    _fields_ = _fields("outer", "axis", "inner")


class LutS8Params(C.Structure):
    _fields_ = _fields("size")


class RequantizeS8Params(C.Structure):
    _fields_ = _fields("size", "x_zero_point", "y_zero_point", "mult", "shift", "act_min", "act_max")


class ChannelAffineS8Params(C.Structure):
    _fields_ = _fields("outer", "channels", "inner", "x_zero_point", "y_zero_point", "act_min", "act_max")


class CopyParams(C.Structure):
    _fields_ = [("rank", I32), ("dims", I32 * 6), ("in_strides", I32 * 6), ("out_strides", I32 * 6),
                ("in_offset", I32), ("out_offset", I32)]


class PadGeometry(C.Structure):
    _fields_ = [("rank", I32), ("in_dims", I32 * 6), ("out_dims", I32 * 6), ("pads_begin", I32 * 6), ("mode", I32)]


class PadParams(C.Structure):
    _fields_ = [("geo", PadGeometry), ("value", I32)]


class QuantParams(C.Structure):
    _fields_ = [("size", I32), ("scale", F32), ("zero_point", I32)]


STRUCTS = {
    "mlc_conv2d_s8_params_t": Conv2dS8Params, "mlc_fc_s8_params_t": FcS8Params,
    "mlc_pool2d_s8_params_t": Pool2dS8Params, "mlc_mean_s8_params_t": MeanS8Params,
    "mlc_binary_s8_params_t": BinaryS8Params, "mlc_softmax_s8_params_t": SoftmaxS8Params,
    "mlc_lut_s8_params_t": LutS8Params, "mlc_requantize_s8_params_t": RequantizeS8Params,
    "mlc_quant_params_t": QuantParams, "mlc_copy_params_t": CopyParams,
    "mlc_channel_affine_s8_params_t": ChannelAffineS8Params, "mlc_pad_s8_params_t": PadParams,
}

_P8 = C.POINTER(C.c_int8)
_P32 = C.POINTER(C.c_int32)
_PF = C.POINTER(F32)
# kernel name -> (params type, pointer argument types)
KERNELS = {
    "mlc_conv2d_s8": (Conv2dS8Params, [_P8, _P8, _P32, _P32, C.c_void_p, _P8]),
    "mlc_fc_s8": (FcS8Params, [_P8, _P8, _P32, _P32, _P8]),
    "mlc_maxpool2d_s8": (Pool2dS8Params, [_P8, _P8]),
    "mlc_avgpool2d_s8": (Pool2dS8Params, [_P8, _P8]),
    "mlc_mean_s8": (MeanS8Params, [_P8, _P8]),
    "mlc_add_s8": (BinaryS8Params, [_P8, _P8, _P8]),
    "mlc_mul_s8": (BinaryS8Params, [_P8, _P8, _P8]),
    "mlc_softmax_s8": (SoftmaxS8Params, [_P8, _P32, _P8]),
    "mlc_lut_s8": (LutS8Params, [_P8, _P8, _P8]),
    "mlc_requantize_s8": (RequantizeS8Params, [_P8, _P8]),
    "mlc_copy_s8": (CopyParams, [_P8, _P8]),
    "mlc_pad_s8": (PadParams, [_P8, _P8]),
    "mlc_channel_affine_s8": (ChannelAffineS8Params, [_P8, _P8, _P32, _P32, _P8]),
    "mlc_quantize_f32_s8": (QuantParams, [_PF, _P8]),
    "mlc_dequantize_s8_f32": (QuantParams, [_P8, _PF]),
}
SHIMS = {
    "mlc_test_srdhm": [_P32, _P32, _P32, I32],
    "mlc_test_rdbpot": [_P32, _P32, _P32, I32],
    "mlc_test_requant": [_P32, _P32, _P32, _P32, I32],
    "mlc_test_requant_s8": [_P32, _P32, _P32, _P32, _P32, _P32, _P8, I32],
}


def s8_sources():
    """The int8 kernel sources: every *_s8.c plus the dequantize boundary kernel."""
    return sorted(REF_DIR.glob("*_s8.c")) + sorted(REF_DIR.glob("*_s8_f32.c"))


def _layout_probe_source():
    lines = ["#include <stddef.h>", '#include "mlc/kernels_s8.h"', "const size_t mlc_test_layout_s8[] = {"]
    for cname, py in STRUCTS.items():
        lines.append(f"    sizeof({cname}),")
        lines.extend(f"    offsetof({cname}, {fname})," for fname, _ in py._fields_)
    lines.append("};")
    return "\n".join(lines) + "\n"


def expected_layout():
    out = []
    for py in STRUCTS.values():
        out.append(C.sizeof(py))
        out.extend(getattr(py, f).offset for f, _ in py._fields_)
    return out


def build(out_dir: Path) -> Path:
    probe = out_dir / "layout_probe_s8.c"
    probe.write_text(_layout_probe_source())
    sources = [str(p) for p in s8_sources()] + [str(HERE / "requant_shim.c"), str(probe)]
    lib = out_dir / "libmlc_ref_s8.so"
    cmd = ["gcc", *CFLAGS, "-O1", "-fPIC", "-shared", *shlex.split(os.environ.get("MLC_KERNEL_EXTRA_CFLAGS", "")),
           "-I", str(INCLUDE), "-I", str(REF_DIR), *sources, "-o", str(lib)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("int8 kernel build failed:\n" + " ".join(cmd) + "\n" + res.stderr)
    return lib


def load(path: Path):
    lib = C.CDLL(str(path))
    for name, (ptype, args) in KERNELS.items():
        fn = getattr(lib, name)
        fn.argtypes = [C.POINTER(ptype), *args]
        fn.restype = C.c_int
    for name, args in SHIMS.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = None
    return lib


def p8(a):
    """int8_t* of an int8 C-contiguous array (None -> NULL)."""
    if a is None:
        return None
    assert a.dtype == np.int8 and a.flags.c_contiguous
    return a.ctypes.data_as(_P8)


def qm(mult, shift) -> np.ndarray:
    """Per-channel (mult, shift) packed as the kernels read them (requant.h's mlc_qm_mult, mlc_qm_shift): mult's
    low byte gives way to the shift's. No checks, so that invalid pairs stay invalid for the kernels to refuse."""
    m = np.asarray(mult, np.int64) & 0xFFFFFF00
    word = m | (np.asarray(shift, np.int64) & 0xFF)
    return np.where(word >= 2**31, word - 2**32, word).astype(np.int32)


def pqm(mult, shift):
    """int32_t* of qm(mult, shift)."""
    return p32(qm(mult, shift))


def p32(a):
    if a is None:
        return None
    assert a.dtype == np.int32 and a.flags.c_contiguous
    return a.ctypes.data_as(_P32)


def pf(a):
    assert a.dtype == np.float32 and a.flags.c_contiguous
    return a.ctypes.data_as(_PF)


def dims(values):
    values = list(values)
    assert len(values) <= MAXD
    return Dims(*(values + [0] * (MAXD - len(values))))


def dense_strides(shape):
    s, out = 1, []
    for d in reversed(shape):
        out.append(s)
        s *= d
    return out[::-1]


def bcast_strides(in_shape, out_shape):
    in_shape = [1] * (len(out_shape) - len(in_shape)) + list(in_shape)
    st = dense_strides(in_shape)
    return [0 if d == 1 and o != 1 else s for d, o, s in zip(in_shape, out_shape, st)]
