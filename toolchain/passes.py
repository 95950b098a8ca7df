"""Graph passes: each a plain function Graph -> Graph (the input graph is not reused afterwards).

Constant folding happens at import (toolchain.fold), where ONNX shape inference can follow it.
"""

from __future__ import annotations

import numpy as np

from toolchain.errors import ModelError
from toolchain.ir import RUNTIME_DTYPES, Activation, Graph, Node
from toolchain.ops import Unsupported, opdef
from toolchain.ops.base import BOUNDARY_OPS
from toolchain.ops.norm import batchnorm_affine


def _single_use(g: Graph, name: str) -> bool:
    return name not in g.outputs and len(g.consumers(name)) == 1


def _rename_input(g: Graph, old: str, new: str) -> None:
    for n in g.nodes:
        n.inputs = [new if i == old else i for i in n.inputs]


def remove_identities(g: Graph) -> Graph:
    """Identity and inference-mode Dropout disappear; consumers read the input directly."""
    keep = []
    for n in g.nodes:
        passthrough = n.op == "Identity" or (n.op == "Dropout" and not any(o and g.consumers(o) for o in n.outputs[1:]))
        if passthrough and n.domain in ("", "ai.onnx") and n.outputs[0] not in g.outputs:
            _rename_input(g, n.outputs[0], n.inputs[0])
            continue
        keep.append(n)
    g.nodes = keep
    return g


def fold_batchnorm(g: Graph) -> Graph:
    """BatchNormalization after Conv (channel axis 1) or after Gemm on rank-2 data is folded into
    the producer's weights and bias."""
    removed = set()
    for bn in g.nodes:
        if bn.op != "BatchNormalization" or int(bn.attrs.get("training_mode", 0)) or any(bn.outputs[1:]):
            continue
        prod = g.producer(bn.inputs[0])
        if prod is None or prod.fused or not _single_use(g, bn.inputs[0]) or g.tensors[bn.inputs[0]].quant:
            continue
        try:
            scale, shift = batchnorm_affine(bn, g)
        except Unsupported:
            continue
        w = g.const(prod.input(1))
        if w is None or (prod.input(2) and g.const(prod.input(2)) is None):
            continue
        w = w.astype(np.float64)
        if prod.op == "Conv" and g.tensors[bn.inputs[0]].shape[1] == scale.size:
            new_w = w * scale.reshape((-1,) + (1,) * (w.ndim - 1))
            b = g.const(prod.input(2)).astype(np.float64) if prod.input(2) else np.zeros(scale.size)
            new_b = b * scale + shift
        elif prod.op == "Gemm" and len(g.tensors[bn.inputs[0]].shape) == 2:
            trans_b = int(prod.attrs.get("transB", 0))
            new_w = w * (scale.reshape(-1, 1) if trans_b else scale.reshape(1, -1))
            beta = float(prod.attrs.get("beta", 1.0))
            c = g.const(prod.input(2)).astype(np.float64) * beta if prod.input(2) else np.zeros(scale.size)
            new_b = c * scale + shift
            prod.attrs["beta"] = 1.0
        else:
            continue
        prod.inputs = list(prod.inputs[:1]) + [
            g.add_const(prod.name + "_w_bn", new_w.astype(np.float32)),
            g.add_const(prod.name + "_b_bn", new_b.astype(np.float32)),
        ]
        prod.outputs[0] = bn.outputs[0]
        removed.add(id(bn))
    g.nodes = [n for n in g.nodes if id(n) not in removed]
    return g


def fold_pad_into_conv(g: Graph) -> Graph:
    """A constant-zero Pad of only the spatial axes in front of a Conv (Keras ZeroPadding2D, a 'same' padding
    exported as its own node) becomes the Conv's padding: no padded copy in the arena, and the int8 kernels
    pad with the input's zero point, which is the real 0."""
    removed = set()
    for pad in g.nodes:
        if pad.op != "Pad" or pad.domain not in ("", "ai.onnx") or pad.attrs.get("mode", "constant") != "constant":
            continue
        y = pad.outputs[0]
        if not _single_use(g, y):
            continue
        conv = g.consumers(y)[0]
        x = g.tensors.get(pad.inputs[0])
        if conv.op != "Conv" or conv.domain not in ("", "ai.onnx") or conv.inputs[0] != y or x is None or x.is_const:
            continue
        if conv.attrs.get("auto_pad", "NOTSET") != "NOTSET" or y in conv.inputs[1:]:
            continue
        xq, yq = x.quant, g.tensors[y].quant
        if (xq is None) != (yq is None) or (xq is not None and not xq.same(yq)):
            continue  # the Pad also requantizes
        try:
            begin, value = opdef(pad).pads_begin_and_value(pad, g)
        except Unsupported:
            continue
        end = [int(o) - int(i) - b for o, i, b in zip(g.tensors[y].shape, x.shape, begin)]
        if value != 0.0 or any(p != 0 for p in begin[:2] + end[:2]) or any(p < 0 for p in begin + end):
            continue
        sp = len(x.shape) - 2
        old = [int(p) for p in conv.attrs.get("pads", [0] * (2 * sp))]
        conv.attrs["pads"] = [old[i] + begin[2 + i] for i in range(sp)] + [old[sp + i] + end[2 + i] for i in range(sp)]
        conv.inputs[0] = pad.inputs[0]
        removed.add(id(pad))
    g.nodes = [n for n in g.nodes if id(n) not in removed]
    return g


def fuse_activations(g: Graph) -> Graph:
    """An activation whose input comes from a kernel that can apply it is merged into that kernel."""
    removed = set()
    for act in g.nodes:
        d = opdef(act)
        if d is None or not act.inputs or d.activation(act, g) is None:
            continue
        if act.op == "Clip" and any(i and g.const(i) is None for i in act.inputs[1:]):
            continue
        prod = g.producer(act.inputs[0])
        pd = opdef(prod) if prod is not None else None
        if prod is None or pd is None or not pd.fuses_activation or prod.fused or not _single_use(g, act.inputs[0]):
            continue
        if g.tensors[act.inputs[0]].quant is not None and act.op not in ("Relu", "Clip"):
            continue  # a quantized tensor in between is a rounding point; int8 kernels only fuse clamps
        if act.op == "Clip":
            # The bounds become attributes so the fused form does not depend on dropped inputs.
            lo, hi = d.activation(act, g)["alpha"], d.activation(act, g)["beta"]
            attrs = {"min": lo, "max": hi}
        else:
            attrs = dict(act.attrs)
        prod.fused.append(Activation(act.op, attrs, act.name, act.inputs[0]))
        prod.outputs[0] = act.outputs[0]
        removed.add(id(act))
    g.nodes = [n for n in g.nodes if id(n) not in removed]
    return g


def remove_dead(g: Graph) -> Graph:
    """Nodes that do not contribute to a graph output are dropped."""
    live = set(g.outputs)
    keep: list[Node] = []
    for n in reversed(g.nodes):
        if any(o in live for o in n.outputs if o):
            keep.append(n)
            live.update(i for i in n.inputs if i)
    g.nodes = keep[::-1]
    return g


def unknown_op(n: Node) -> str:
    dom = f"{n.domain}." if n.domain else ""
    return f"{n.name!r} ({dom}{n.op})"


def unsupported_error(where: str, problems: list[str]) -> ModelError:
    return ModelError(f"{where}: unsupported: {'; '.join(problems)}; see `mlc ops` for what is supported")


def _check_runtime_types(n: Node, g: Graph) -> None:
    """Every run-time tensor must be representable in the float arena (see ir.RUNTIME_DTYPES)."""
    for name in [i for i in n.inputs if i] + [o for o in n.outputs if o]:
        t = g.tensors.get(name)
        if t is not None and not t.is_const and t.dtype not in RUNTIME_DTYPES and n.op not in BOUNDARY_OPS:
            raise Unsupported(f"tensor {name!r} is {t.dtype} at run time; run-time tensors must be "
                              f"{', '.join(RUNTIME_DTYPES)}")


def check_supported(g: Graph, where: str) -> None:
    """One error listing every node that cannot be compiled, with the reason when the op is known."""
    problems = []
    for n in g.nodes:
        d = opdef(n)
        if d is None:
            problems.append(unknown_op(n))
            continue
        try:
            d.check(n, g)
            _check_runtime_types(n, g)
        except Unsupported as exc:
            problems.append(f"{n.name!r} ({n.op}: {exc})")
    if problems:
        raise unsupported_error(where, problems)


def run_all(g: Graph, where: str) -> Graph:
    g = remove_dead(g)
    check_supported(g, where)
    for p in (remove_identities, fold_pad_into_conv, fold_batchnorm, fuse_activations, remove_dead):
        g = p(g)
    return g
