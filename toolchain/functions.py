"""Functions expanded at import. A model's own functions (exporters write modules so) are inlined by
onnx. An operator mlc has no kernel for but ONNX defines as a function of other operators
(GroupNormalization, RMSNormalization, MeanVarianceNormalization, Swish, SwiGLU, CenterCropPad, ...) is
replaced by that function body, as the ONNX schema states it for the model's opset. Whatever the bodies are
made of then goes through the rest of the pipeline like any other node (folding, fusion, int8, planning).
"""

from __future__ import annotations

from collections.abc import Callable

import onnx
from onnx import defs, inliner, shape_inference

MAX_ROUNDS = 8  # a body may use further function operators: expand again, a few levels deep at most


def _function(node: onnx.NodeProto, opset: int, types: dict[str, onnx.TypeProto]) -> onnx.FunctionProto | None:
    """The schema's function body of `node` for the model's opset; None when there is none (or a
    context-dependent one whose input types are unknown)."""
    try:
        schema = defs.get_schema(node.op_type, opset, "")
    except defs.SchemaError:
        return None
    static = [v for v in schema.function_opset_versions if v <= opset]
    dependent = [v for v in schema.context_dependent_function_opset_versions if v <= opset]
    body = onnx.FunctionProto()
    if dependent and (not static or max(dependent) >= max(static)):
        if any(i and i not in types for i in node.input):
            return None
        inputs = [types[i].SerializeToString() if i else onnx.TypeProto().SerializeToString() for i in node.input]
        body.ParseFromString(schema.get_context_dependent_function_with_opset_version(
            max(dependent), node.SerializeToString(), inputs))
    elif static:
        body.ParseFromString(schema.get_function_with_opset_version(max(static)))
    else:
        return None
    return body if all(o.domain in ("", "ai.onnx") for o in body.opset_import) else None


def _attributes(node: onnx.NodeProto, opset: int) -> dict[str, onnx.AttributeProto]:
    """The node's attributes, with the schema's defaults for those it leaves out."""
    schema = defs.get_schema(node.op_type, opset, "")
    given = {a.name: a for a in node.attribute}
    for name, attr in schema.attributes.items():
        if name not in given and attr.default_value.type != onnx.AttributeProto.UNDEFINED:
            given[name] = attr.default_value
    return given


def _inline(node: onnx.NodeProto, body: onnx.FunctionProto, attrs: dict[str, onnx.AttributeProto],
            prefix: str) -> list[onnx.NodeProto]:
    """The body's nodes with the node's inputs, outputs and attribute values in place of the formal ones;
    every other tensor and node name gets `prefix`."""
    names = {formal: (node.input[k] if k < len(node.input) else "") for k, formal in enumerate(body.input)}
    names.update({formal: node.output[k] for k, formal in enumerate(body.output)
                  if k < len(node.output) and node.output[k]})

    def rename(name: str) -> str:
        return names.get(name, prefix + name if name else "")

    nodes = []
    for inner in body.node:
        n = onnx.NodeProto()
        n.CopyFrom(inner)
        n.input[:] = [rename(i) for i in inner.input]
        n.output[:] = [rename(o) for o in inner.output]
        n.name = prefix + (inner.name or inner.op_type)
        del n.attribute[:]
        for a in inner.attribute:
            if a.ref_attr_name:
                if a.ref_attr_name not in attrs:
                    continue  # an optional attribute the node leaves out: the inner node's default
                value = onnx.AttributeProto()
                value.CopyFrom(attrs[a.ref_attr_name])
                value.name = a.name
                n.attribute.append(value)
            else:
                n.attribute.append(a)
        nodes.append(n)
    return nodes


def expand_functions(model: onnx.ModelProto, opset: int, has_kernel: Callable[[str], bool]) -> onnx.ModelProto:
    """`model` with its own functions (exporters write modules as model-local functions) inlined by onnx, and
    every default-domain node that has no kernel (`has_kernel(op)` false) but an ONNX function body replaced
    by that body, repeatedly; the model itself when there is nothing to expand."""
    if model.functions:
        model = inliner.inline_local_functions(model)
    for _ in range(MAX_ROUNDS):
        todo = {k for k, n in enumerate(model.graph.node) if n.domain in ("", "ai.onnx") and not has_kernel(n.op_type)}
        if not todo:
            return model
        types = value_types(model)
        out: list[onnx.NodeProto] = []
        changed = False
        for k, n in enumerate(model.graph.node):
            body = _function(n, opset, types) if k in todo else None
            if body is None:
                out.append(n)
                continue
            out.extend(_inline(n, body, _attributes(n, opset), f"{n.name or n.op_type}_{k}/"))
            changed = True
        if not changed:
            return model
        model = with_nodes(model, out)
    return model


def value_types(model: onnx.ModelProto) -> dict[str, onnx.TypeProto]:
    """The type (and shape, where known) of every value, by a lenient shape inference: the importer's strict
    one runs after the rewrites and reports what is wrong with the model."""
    try:
        g = shape_inference.infer_shapes(model).graph
    except Exception:
        g = model.graph
    types = {v.name: v.type for v in list(g.input) + list(g.value_info) + list(g.output)}
    types.update({t.name: onnx.helper.make_tensor_type_proto(t.data_type, list(t.dims)) for t in g.initializer})
    return types


def with_nodes(model: onnx.ModelProto, nodes: list[onnx.NodeProto],
               initializers: list[onnx.TensorProto] | None = None) -> onnx.ModelProto:
    """A copy of `model` whose graph has `nodes` (and `initializers` added)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    m.graph.initializer.extend(initializers or [])
    return m
