"""A float graph with quantized tensors (Tensor.quant) -> an integer program graph.

Every operator whose run-time inputs and outputs are all quantized, and whose definition accepts them
(OpDef.check_s8), runs on int8; everything else stays float. Where a tensor crosses between the two, a
QuantizeLinear or DequantizeLinear node is inserted, so the float parts compute exactly what they computed
before on the dequantized values, and a float operator's quantized output is rounded and clamped as the
model defines before anything reads it. Graph inputs and outputs keep their names and float types: the float
wrapper of the device API; the int8 names are `<tensor>_q`.
"""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node, QParams, Tensor
from toolchain.ops import Unsupported, opdef
from toolchain.ops.base import BOUNDARY_OPS
from toolchain.quant.qdq import integer_io_mark


def _runtime(g: Graph, name: str) -> bool:
    t = g.tensors.get(name) if name else None
    return t is not None and not t.is_const


def int8_decisions(g: Graph) -> dict[str, str]:
    """Node name -> "" when it runs on int8, else the reason it stays float."""
    out: dict[str, str] = {}
    for n in g.nodes:
        d = opdef(n)
        if d is None or n.op in BOUNDARY_OPS:
            out[n.name] = "float boundary"
            continue
        names = [i for i in n.inputs if _runtime(g, i)] + [o for o in n.outputs if _runtime(g, o)]
        missing = [t for t in names if g.tensors[t].quant is None or g.tensors[t].dtype != "float32"]
        if missing:
            out[n.name] = f"tensor {missing[0]!r} is not quantized"
            continue
        try:
            d.check_s8(n, g)
            out[n.name] = ""
        except Unsupported as exc:
            out[n.name] = str(exc)
    return out


def _fresh(g: Graph, hint: str) -> str:
    name, k = hint, 1
    while name in g.tensors:
        name, k = f"{hint}_{k}", k + 1
    return name


def _params(g: Graph, t: str, q: QParams) -> list[str]:
    return [g.add_const(f"{t}_scale", np.asarray(q.s, np.float32)),
            g.add_const(f"{t}_zero_point", np.asarray(q.zp, np.int8))]


def _through_views(g: Graph) -> None:
    """A view (Reshape, Flatten, ...) of an unquantized tensor into a quantized one takes that quantization
    on its input too: quantizing before or after a view is the same, and before keeps the view int8."""
    for n in reversed(g.nodes):
        d = opdef(n)
        if d is None or not d.alias or not n.inputs or not _runtime(g, n.inputs[0]):
            continue
        x, y = g.tensors[n.inputs[0]], g.tensors[n.outputs[0]]
        if x.quant is None and y.quant is not None and x.dtype == "float32" and len(g.consumers(x.name)) == 1:
            x.quant = y.quant


def _int8_twin(g: Graph, t: str) -> str:
    """A new int8 tensor carrying float tensor t's quantization."""
    name = _fresh(g, f"{t}_q")
    g.tensors[name] = Tensor(name, g.tensors[t].shape, "int8", None, g.tensors[t].quant)
    return name


def integerize(g: Graph) -> Graph:
    _through_views(g)
    decisions = int8_decisions(g)
    as_int8: dict[str, str] = {}  # float tensor -> its int8 twin
    as_float: set[str] = {n for n in g.inputs}
    nodes: list[Node] = []

    def int8_of(t: str, src: str = "") -> str:
        """t's int8 twin, quantized from t (or from `src`, the raw output of the float operator writing t)."""
        if t not in as_int8:
            q = g.tensors[t].quant
            assert q is not None
            as_int8[t] = _int8_twin(g, t)
            nodes.append(Node("QuantizeLinear", f"{t}_quantize", [src or t] + _params(g, t, q), [as_int8[t]]))
        return as_int8[t]

    def float_of(t: str) -> str:
        if t not in as_float:
            src = as_int8[t]
            q = g.tensors[src].quant
            assert q is not None
            nodes.append(Node("DequantizeLinear", f"{t}_dequantize", [src] + _params(g, t, q), [t]))
            as_float.add(t)
        return t

    renamed: dict[str, str] = {}  # int8 twin -> the integer graph output it is written as
    for n in g.nodes:
        if _integer_io(g, n, as_int8, as_float, int8_of, float_of, nodes, renamed):
            continue
        if decisions[n.name] == "":
            n.inputs = [int8_of(i) if _runtime(g, i) else i for i in n.inputs]
            outs = []
            for o in n.outputs:
                if not o:
                    outs.append(o)
                    continue
                as_int8[o] = _int8_twin(g, o)
                outs.append(as_int8[o])
            n.outputs = outs
        else:
            n.inputs = [float_of(i) if _runtime(g, i) and g.tensors[i].dtype == "float32" else i for i in n.inputs]
            nodes.append(n)
            for k, o in enumerate(n.outputs):
                if o and g.tensors[o].quant is not None and g.tensors[o].dtype == "float32":
                    # The model quantizes this output: quantized at once, so readers see the rounded and
                    # clamped values it defines (a Relu onnxruntime folded into a zero point is only there).
                    raw = _fresh(g, f"{o}_raw")
                    g.tensors[raw] = Tensor(raw, g.tensors[o].shape, "float32", None, None)
                    n.outputs[k] = raw
                    int8_of(o, raw)
                elif o:
                    as_float.add(o)
            continue
        nodes.append(n)
    for o in g.outputs:
        if g.tensors[o].dtype == "float32" and not g.tensors[o].is_const:
            float_of(o)
    for n in nodes:
        n.inputs = [renamed.get(i, i) for i in n.inputs]
        n.outputs = [renamed.get(o, o) for o in n.outputs]
    g.nodes = nodes
    return g


def _integer_io(g: Graph, n: Node, as_int8: dict[str, str], as_float: set[str], int8_of, float_of,
                nodes: list[Node], renamed: dict[str, str]) -> bool:
    """Connect a DequantizeLinear of an integer input, or a QuantizeLinear to an integer output, straight to
    the int8 side (qdq.integer_io_mark); True when `n` is handled so. int8 tensors are read and written as
    they are; a uint8 one is float-held (ir.RUNTIME_DTYPES) and converted by q - 128 / q + 128 in the
    boundary kernels, exactly."""
    mark = integer_io_mark(g, n)
    if mark is None:
        return False

    def params(q: QParams) -> list[str]:
        return [g.add_const(f"{n.name}_scale", np.asarray(q.s, np.float32)),
                g.add_const(f"{n.name}_zero_point", np.asarray(q.zp, np.int8))]

    x, y = n.inputs[0], n.outputs[0]
    if n.op == "DequantizeLinear":
        if g.tensors[x].dtype == "int8":
            if g.tensors[x].quant is not None and not mark.same(g.tensors[x].quant):
                return False  # read with two quantizations: the DequantizeLinear kernel as it is
            xi = x
        elif x in as_int8 and mark.same(g.tensors[as_int8[x]].quant):
            xi = as_int8[x]  # a second DequantizeLinear of the same uint8 input, alike
        else:  # uint8 q -> int8 q - 128; the uint8 tensor keeps what its values mean (the device API's)
            g.tensors[x].quant = QParams.of(mark.s, mark.zp + 128)
            xi = as_int8[x] = _fresh(g, f"{x}_q")
            g.tensors[xi] = Tensor(xi, g.tensors[x].shape, "int8", None, mark)
            nodes.append(Node("QuantizeLinear", f"{xi}_from_uint8", [x, *params(QParams.of(1.0, -128))], [xi]))
        g.tensors[xi].quant = mark
        if mark.same(g.tensors[y].quant):
            as_int8[y] = xi
        else:  # y quantized otherwise as well (or not at all): its float values, as the model has them
            nodes.append(Node("DequantizeLinear", n.name, [xi, *params(mark)], [y]))
            as_float.add(y)
        return True
    if not _runtime(g, x):
        return False
    if mark.same(g.tensors[x].quant):
        xi = int8_of(x)
    elif g.tensors[y].dtype == "uint8":
        xi = _fresh(g, f"{y}_int8")
        g.tensors[xi] = Tensor(xi, g.tensors[y].shape, "int8", None, mark)
        nodes.append(Node("QuantizeLinear", n.name, [float_of(x), *params(mark)], [xi]))
    else:
        return False  # an int8 output of another quantization: the QuantizeLinear kernel as it is
    if g.tensors[y].dtype == "uint8":  # int8 q -> uint8 q + 128
        g.tensors[y].quant = QParams.of(mark.s, mark.zp + 128)
        nodes.append(Node("DequantizeLinear", f"{y}_to_uint8", [xi, *params(QParams.of(1.0, -128))], [y]))
        return True
    if xi in g.inputs or xi in renamed:
        return False  # an int8 input quantized again, or the twin already written as another output
    g.tensors[y].quant = mark
    renamed[xi] = y
    return True


def external_io(g: Graph) -> frozenset[str]:
    """Float graph inputs read only by QuantizeLinear and outputs written by DequantizeLinear (and read by
    nothing else): those kernels use the caller's buffers directly, so the float tensors take no arena."""
    ext = set()
    for name in g.inputs:
        users = g.consumers(name)
        if users and all(u.op in BOUNDARY_OPS for u in users) and name not in g.outputs \
                and g.tensors[name].dtype == "float32":
            ext.add(name)
    for name in g.outputs:
        d = g.producer(name)
        if d is not None and d.op == "DequantizeLinear" and not g.consumers(name) and name not in g.inputs \
                and g.tensors[name].dtype == "float32":
            ext.add(name)
    return frozenset(ext)
