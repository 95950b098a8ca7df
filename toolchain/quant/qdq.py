"""QDQ models -> a float graph whose tensors carry their quantization (Tensor.quant).

onnxruntime's QDQ format brackets every quantized operator with DequantizeLinear (inputs, weights, bias) and
QuantizeLinear (output). Here
- DequantizeLinear of a constant becomes a float constant that keeps its integers (QParams.q), so the int8
  kernels use the exact stored weights and biases;
- a QuantizeLinear -> DequantizeLinear pair with equal parameters on a run-time tensor disappears: the float
  tensor before it is marked with that quantization and the consumers read it directly.
toolchain.quant.integerize then decides which operators run on int8 and where the float boundary lies.
uint8 is re-based to int8 (q - 128, zero point - 128): the same real values.
"""

from __future__ import annotations

import numpy as np
import onnx

from toolchain.ir import Graph, Node, QParams


def _const_params(g: Graph, node: Node) -> tuple[np.ndarray, np.ndarray] | None:
    scale = g.const(node.input(1))
    if scale is None:
        return None
    if node.input(2):
        zp = g.const(node.input(2))
        if zp is None:
            return None
    else:
        zp = np.zeros(scale.shape, np.int8)
    return np.asarray(scale, np.float32), np.asarray(zp)


def _to_int8(q: np.ndarray, zp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 values and zero points re-based to int8; other integer types unchanged."""
    if zp.dtype == np.uint8 or q.dtype == np.uint8:
        return q.astype(np.int32) - 128, zp.astype(np.int32) - 128
    return q, zp.astype(np.int32)


def _dequantized(q: np.ndarray, scale: np.ndarray, zp: np.ndarray, axis: int | None) -> np.ndarray:
    """float32 (q - zp) * scale as ONNX DequantizeLinear computes it."""
    if scale.size > 1:
        view = [1] * q.ndim
        view[axis % q.ndim] = -1
        scale, zp = scale.reshape(view), zp.reshape(view)
    return ((q.astype(np.int64) - zp.astype(np.int64)).astype(np.float32) * scale).astype(np.float32)


def _fold_constant_dq(g: Graph, node: Node) -> bool:
    data = g.const(node.inputs[0])
    params = _const_params(g, node)
    if data is None or params is None or "block_size" in node.attrs and node.attrs["block_size"]:
        return False
    scale, zp = params
    axis = int(node.attrs.get("axis", 1)) if scale.size > 1 else None
    data = np.asarray(data)
    if data.dtype.kind not in "iu":
        return False
    out = g.tensors[node.outputs[0]]
    out.data = _dequantized(data, scale, zp, axis)
    out.dtype = "float32"
    q, z = _to_int8(data, zp)
    out.quant = QParams(scale, z.astype(np.int32), None if axis is None else axis % data.ndim, q)
    return True


def absorb(g: Graph) -> Graph:
    """Fold quantized constants and remove matching QuantizeLinear -> DequantizeLinear pairs (see module)."""
    removed: set[int] = set()
    wide: dict[str, list[str]] = {}  # integer type -> run-time tensors quantized to it (wider than 8 bits)
    for node in g.nodes:
        if node.op == "DequantizeLinear" and node.domain in ("", "ai.onnx") and _fold_constant_dq(g, node):
            removed.add(id(node))
    for q in g.nodes:
        if q.op != "QuantizeLinear" or q.domain not in ("", "ai.onnx") or id(q) in removed:
            continue
        params = _const_params(g, q)
        x = g.tensors.get(q.inputs[0])
        if params is None or x is None or x.is_const or params[0].size != 1 or x.dtype != "float32":
            continue
        scale, zp = params
        pairs = [d for d in g.consumers(q.outputs[0]) if d.op == "DequantizeLinear" and _same(g, d, scale, zp)]
        if not pairs:
            continue
        if zp.dtype not in (np.int8, np.uint8):
            if zp.dtype.kind in "iu":
                _wide_pairs_to_clip(g, q, pairs, scale, zp)
                wide.setdefault(zp.dtype.name, []).append(q.inputs[0])
                if len(pairs) == len(g.consumers(q.outputs[0])) and q.outputs[0] not in g.outputs:
                    removed.add(id(q))
            continue
        _, z = _to_int8(np.zeros((), zp.dtype), zp)
        mark = QParams(scale.reshape(()), z.reshape(()).astype(np.int32))
        if x.quant is not None and not x.quant.same(mark):
            continue  # quantized twice differently: leave the second pair as run-time kernels
        x.quant = mark
        for d in pairs:
            _rename(g, d.outputs[0], q.inputs[0])
            removed.add(id(d))
        if len(pairs) == len(g.consumers(q.outputs[0])) and q.outputs[0] not in g.outputs:
            removed.add(id(q))
    g.nodes = [n for n in g.nodes if id(n) not in removed]
    for dtype, names in wide.items():
        shown = ", ".join(repr(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        g.notes[f"quantized to {dtype}"] = (
            f"{len(names)} tensor(s) quantized to {dtype} ({shown}): the int8 kernels do not take {dtype}, so they "
            "stay float, clamped to its range; each differs from the model's by less than half its step")
    _mark_integer_io(g)
    return g


def integer_io_mark(g: Graph, node: Node) -> QParams | None:
    """The int8 form of a per-tensor DequantizeLinear reading, or QuantizeLinear writing, a run-time int8 or
    uint8 tensor (a model whose inputs or outputs are integers): uint8 re-based to int8, the same real
    values. None for any other node."""
    if node.op not in ("QuantizeLinear", "DequantizeLinear") or node.domain not in ("", "ai.onnx"):
        return None
    t = g.tensors.get(node.inputs[0] if node.op == "DequantizeLinear" else node.outputs[0])
    params = _const_params(g, node)
    if t is None or t.is_const or params is None or params[0].size != 1 or t.dtype not in ("int8", "uint8"):
        return None
    scale, zp = params
    if zp.dtype.name != t.dtype or not float(scale.reshape(-1)[0]) > 0 or node.attrs.get("saturate", 1) != 1:
        return None
    _, z = _to_int8(np.zeros((), zp.dtype), zp)
    return QParams(scale.reshape(()), z.reshape(()).astype(np.int32))


def _mark_integer_io(g: Graph) -> None:
    """A DequantizeLinear of a run-time integer tensor marks its output, and a QuantizeLinear left without its
    DequantizeLinear (a graph output) its input, with their quantization: the operators between then run on
    int8 and integerize connects them to the integer tensors without a float round trip."""
    for n in g.nodes:
        mark = integer_io_mark(g, n)
        t = g.tensors[n.outputs[0] if n.op == "DequantizeLinear" else n.inputs[0]] if mark is not None else None
        if t is not None and t.quant is None and t.dtype == "float32" and not t.is_const:
            t.quant = mark


def _wide_pairs_to_clip(g: Graph, q: Node, pairs: list[Node], scale: np.ndarray, zp: np.ndarray) -> None:
    """A QuantizeLinear -> DequantizeLinear pair to 16 (or 32) bits on a run-time tensor: the int8 kernels do
    not take it, so the values stay float, clamped to the range the pair represents (a Relu folded into
    its zero point lives there); only the rounding to its fine grid is skipped."""
    info = np.iinfo(zp.dtype)
    s, z = float(scale.reshape(-1)[0]), int(zp.reshape(-1)[0])
    bounds = [g.add_const(f"{q.inputs[0]}_{hint}", np.asarray(v, np.float32))
              for hint, v in (("lo", s * (info.min - z)), ("hi", s * (info.max - z)))]
    for d in pairs:
        d.op, d.domain, d.attrs = "Clip", "", {}
        d.inputs = [q.inputs[0], *bounds]


def _same(g: Graph, d: Node, scale: np.ndarray, zp: np.ndarray) -> bool:
    p = _const_params(g, d)
    return p is not None and p[0].size == 1 and float(p[0].reshape(-1)[0]) == float(scale.reshape(-1)[0]) \
        and int(p[1].reshape(-1)[0]) == int(zp.reshape(-1)[0]) and p[1].dtype == zp.dtype


def _rename(g: Graph, old: str, new: str) -> None:
    for n in g.nodes:
        n.inputs = [new if i == old else i for i in n.inputs]
    if old in g.outputs:
        # The graph output keeps its name: the float tensor takes it over.
        g.outputs = [new if o == old else o for o in g.outputs]
        _swap_output_name(g, new, old)


def _swap_output_name(g: Graph, current: str, wanted: str) -> None:
    """Give tensor `current` the name `wanted` (a graph output's name must not change)."""
    t = g.tensors.pop(current)
    g.tensors.pop(wanted, None)  # the dequantized tensor that had the name is gone with its node
    t.name = wanted
    g.tensors[wanted] = t
    for n in g.nodes:
        n.inputs = [wanted if i == current else i for i in n.inputs]
        n.outputs = [wanted if o == current else o for o in n.outputs]
    g.outputs = [wanted if o == current else o for o in g.outputs]
    g.inputs = [wanted if i == current else i for i in g.inputs]


def is_quantized(g: Graph) -> bool:
    """The graph carries quantization (a QDQ or QOperator model)."""
    return any(t.quant is not None for t in g.tensors.values()) or any(
        n.op in ("QuantizeLinear", "DequantizeLinear") for n in g.nodes)


def float_twin(model: onnx.ModelProto) -> onnx.ModelProto:
    """The float model a QDQ (or QOperator) model approximates: weights dequantized, and every activation
    QuantizeLinear -> DequantizeLinear pair replaced by a Clip to the range it can represent (no rounding;
    the clamp keeps what the pair implies, e.g. a Relu folded into a zero point of -128).
    `mlc test` compares quantized builds with it."""
    from onnx import numpy_helper

    from toolchain.quant.qop import expand

    m = expand(model, "model")
    g = m.graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), 13)
    out: list[onnx.NodeProto] = []
    for n in g.node:
        q = producers.get(n.input[0]) if n.op_type == "DequantizeLinear" else None
        if q is None or q.op_type != "QuantizeLinear" or list(q.input[1:]) != list(n.input[1:]) \
                or q.input[0] in consts or n.input[1] not in consts:
            out.append(n)
            continue
        scale = float(consts[n.input[1]].reshape(-1)[0])
        zp_arr = consts.get(n.input[2]) if len(n.input) > 2 and n.input[2] else np.zeros((), np.uint8)
        if zp_arr is None or consts[n.input[1]].size != 1:
            out.append(n)
            continue
        info = np.iinfo(zp_arr.dtype)
        zp = int(zp_arr.reshape(-1)[0])
        lo, hi = scale * (info.min - zp), scale * (info.max - zp)
        if opset >= 11:
            names = [f"{n.output[0]}_lo", f"{n.output[0]}_hi"]
            g.initializer.extend([numpy_helper.from_array(np.asarray(lo, np.float32), names[0]),
                                  numpy_helper.from_array(np.asarray(hi, np.float32), names[1])])
            out.append(onnx.helper.make_node("Clip", [q.input[0], *names], [n.output[0]], name=f"{n.name}_clip"))
        else:
            out.append(onnx.helper.make_node("Clip", [q.input[0]], [n.output[0]], name=f"{n.name}_clip",
                                             min=lo, max=hi))
    del g.node[:]
    g.node.extend(out)  # the QuantizeLinear nodes left without readers are harmless
    return m
