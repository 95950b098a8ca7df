"""Constant folding on the ONNX model: Constant nodes, nodes whose inputs are all constant, and
shape queries (Shape, Size) of tensors whose shape is static. Folded values become initializers.

Evaluation uses onnx.reference.ReferenceEvaluator, so every ONNX operator folds, supported by the
code generator or not (a Shape/Gather/Concat chain feeding Reshape is the usual case).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

# Non-deterministic or stateful operators are never folded.
# DequantizeLinear of an initializer stays: toolchain.quant.qdq keeps its exact integers for int8 kernels.
_NEVER_FOLD = {"DequantizeLinear", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
# Folding must not blow a small model up into a huge constant (ConstantOfShape, Expand, Tile ...).
MAX_FOLDED_ELEMENTS = 1 << 22


def _static_shape(vi: onnx.ValueInfoProto | None) -> list[int] | None:
    if vi is None or not vi.type.HasField("tensor_type") or not vi.type.tensor_type.HasField("shape"):
        return None
    dims = vi.type.tensor_type.shape.dim
    if any(not d.HasField("dim_value") for d in dims):
        return None
    return [d.dim_value for d in dims]


def _too_big(node: onnx.NodeProto, infos: dict[str, onnx.ValueInfoProto]) -> bool:
    """An output shape inference already knows to be over the limit: do not even evaluate it."""
    for out in node.output:
        shape = _static_shape(infos.get(out))
        if shape is not None and math.prod(max(d, 0) for d in shape) > MAX_FOLDED_ELEMENTS:
            return True
    return False


def _shape_query(node: onnx.NodeProto, shape: list[int]) -> np.ndarray:
    if node.op_type == "Size":
        return np.array(int(np.prod(shape, dtype=np.int64)), dtype=np.int64)
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    rank = len(shape)
    start = attrs.get("start", 0)
    end = attrs.get("end", rank)
    start = min(max(start + rank if start < 0 else start, 0), rank)
    end = min(max(end + rank if end < 0 else end, 0), rank)
    return np.array(shape[start:end], dtype=np.int64)


def _evaluate(node: onnx.NodeProto, values: list[np.ndarray | None], opsets) -> list[np.ndarray] | None:
    names = [f"i{k}" if v is not None else "" for k, v in enumerate(values)]
    feeds = {n: v for n, v in zip(names, values) if n}
    clone = helper.make_node(node.op_type, names, [f"o{k}" for k in range(len(node.output))], domain=node.domain)
    clone.attribute.extend(node.attribute)
    try:
        # A one-node model carrying the graph's opsets, so the node keeps its opset's semantics.
        graph = helper.make_graph(
            [clone], "fold",
            [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for n, v in feeds.items()],
            [helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None) for o in clone.output],
        )
        outs = ReferenceEvaluator(helper.make_model(graph, opset_imports=list(opsets)), verbose=0).run(None, feeds)
    except Exception:  # an operator the reference cannot evaluate simply stays in the graph
        return None
    result = []
    for out in outs:
        arr = np.asarray(out)
        if arr.dtype == object or arr.size > MAX_FOLDED_ELEMENTS:
            return None
        result.append(arr)
    return result


def fold_constants(model: onnx.ModelProto, infer: Callable[[onnx.ModelProto], onnx.ModelProto]) -> onnx.ModelProto:
    """Fold until nothing changes; `infer` re-runs shape inference between rounds."""
    for _ in range(8):
        model, changed = _fold_once(model)
        model = infer(model)
        if not changed:
            return model
    return model


def _fold_once(model: onnx.ModelProto) -> tuple[onnx.ModelProto, bool]:
    g = model.graph
    consts: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    infos = {vi.name: vi for vi in list(g.input) + list(g.value_info) + list(g.output)}
    graph_inputs = {i.name for i in g.input} - set(consts)
    keep: list[onnx.NodeProto] = []
    changed = False
    for node in g.node:
        outs: list[np.ndarray] | None = None
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            outs = _evaluate(node, [], model.opset_import)
        elif node.op_type in ("Shape", "Size") and node.domain in ("", "ai.onnx"):
            shape = _static_shape(infos.get(node.input[0]))
            if node.input[0] in consts:
                shape = list(consts[node.input[0]].shape)
            if shape is not None:
                outs = [_shape_query(node, shape)]
        elif (
            node.op_type not in _NEVER_FOLD
            and node.domain in ("", "ai.onnx")
            and not any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute)
            and all((not i) or (i in consts) for i in node.input)
            and any(i for i in node.input)
            and not _too_big(node, infos)
        ):
            outs = _evaluate(node, [consts[i] if i else None for i in node.input], model.opset_import)
        if outs is None or len(outs) != len(node.output):
            keep.append(node)
            continue
        changed = True
        for name, arr in zip(node.output, outs):
            if name:
                consts[name] = arr
    if not changed:
        return model, False
    used = {i for n in keep for i in n.input} | {o.name for o in g.output}
    new = onnx.ModelProto()
    new.CopyFrom(model)
    ng = new.graph
    del ng.node[:]
    ng.node.extend(keep)
    del ng.initializer[:]
    ng.initializer.extend(numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items() if k in used)
    # Drop stale shape annotations of folded tensors (re-inferred next round) and graph inputs that became unused.
    folded = set(consts)
    value_info = [vi for vi in ng.value_info if vi.name not in folded]
    del ng.value_info[:]
    ng.value_info.extend(value_info)
    inputs = [i for i in ng.input if i.name in graph_inputs or i.name in used]
    inputs = [i for i in inputs if i.name not in consts or i.name in used]
    del ng.input[:]
    ng.input.extend(inputs)
    return new, True
