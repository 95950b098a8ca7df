"""BatchNormalization standalone (4-D, 3-D, 2-D; several opsets) and LayerNormalization."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

from tests.ops.util import CURRENT, Case, Group, check, compiled_graph, const, model, node


def batchnorm(shape, opset: int, relu: bool = False, **attrs) -> Case:
    c = shape[1]
    inits = {"scale": const((c,), 3, 0.5, 1.5), "bias": const((c,), 4), "mean": const((c,), 5),
             "var": const((c,), 6, 0.1, 2.0)}
    nodes = [node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["b" if relu else "y"], **attrs)]
    if relu:
        nodes.append(node("Relu", ["b"], ["y"]))
    tag = "_".join(f"{k}{v}" for k, v in attrs.items())
    return Case(f"r{len(shape)}_op{opset}{'_relu' if relu else ''}{'_' + tag if tag else ''}",
                model(nodes, {"x": shape}, ["y"], inits, opset=opset))


BN = Group("batchnorm", [
    batchnorm((2, 3, 4, 5), 15), batchnorm((2, 3, 4, 5), 15, epsilon=0.1), batchnorm((1, 4, 3, 3), 15, relu=True),
    batchnorm((3, 4), 15), batchnorm((2, 3, 7), 15), batchnorm((5, 6), 14, momentum=0.5),
    batchnorm((1, 3, 4, 4), 7), batchnorm((4, 3), 7, epsilon=1e-3), batchnorm((1, 3, 4, 4), 9),
    batchnorm((2, 5), 9), batchnorm((1, 2, 3, 3), CURRENT), batchnorm((2, 3, 2, 2, 2), 15),
])


@BN.param()
def test_batchnorm_standalone(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    assert [n.op for n in g.nodes] == ["BatchNormalization"]
    ops.check(case, BN)


def layernorm(shape, axis: int | None, bias: bool = True, opset: int = 17, **attrs) -> Case:
    a = -1 if axis is None else axis
    norm_shape = shape[a if a >= 0 else len(shape) + a:]
    inits = {"scale": const(norm_shape, 3, 0.5, 1.5)}
    ins = ["x", "scale"]
    if bias:
        inits["bias"] = const(norm_shape, 4)
        ins.append("bias")
    if axis is not None:
        attrs["axis"] = axis
    tag = "_".join(f"{k}{v}" for k, v in attrs.items()).replace("-", "m")
    return Case(f"r{len(shape)}_{tag or 'default'}{'_bias' if bias else ''}_op{opset}",
                model([node("LayerNormalization", ins, ["y"], **attrs)], {"x": shape}, ["y"], inits, opset=opset))


LN = Group("layernorm", [
    layernorm((2, 3, 8), None), layernorm((2, 3, 8), -1), layernorm((2, 3, 8), -1, bias=False),
    layernorm((2, 3, 4), 1), layernorm((2, 3, 4), 1, bias=False), layernorm((2, 3, 4, 5), -2),
    layernorm((2, 6), 0), layernorm((4, 16), -1, epsilon=1e-2), layernorm((2, 3, 8), -1, opset=CURRENT),
])


@LN.param()
def test_layernorm(case, ops) -> None:
    ops.check(case, LN)


def _shaped(m, shape):
    m.graph.output[0].CopyFrom(helper.make_tensor_value_info(m.graph.output[0].name, TensorProto.FLOAT, list(shape)))
    return m


# Operators without a kernel that ONNX defines as a function of others: expanded at import into that body.
FUNCTIONS = Group("functions", [
    Case("groupnorm_op21", model([node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3, epsilon=1e-3)],
                                 {"x": (2, 6, 4, 5)}, ["y"], {"s": const((6,), 3, 0.5, 1.5), "b": const((6,), 4)}, opset=21)),
    Case("groupnorm_3d_current", model([node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
                                       {"x": (1, 4, 7)}, ["y"], {"s": const((4,), 5), "b": const((4,), 6)}, opset=CURRENT)),
    Case("rmsnorm_last_op23", model([node("RMSNormalization", ["x", "s"], ["y"])], {"x": (2, 3, 8)}, ["y"],
                                    {"s": const((8,), 7, 0.5, 1.5)}, opset=23)),
    Case("rmsnorm_axis1_op23", model([node("RMSNormalization", ["x", "s"], ["y"], axis=1, epsilon=1e-2)],
                                     {"x": (2, 3, 4)}, ["y"], {"s": const((3, 4), 8)}, opset=23)),
    Case("swish_op24", model([node("Swish", ["x"], ["y"], alpha=0.7)], {"x": (3, 5)}, ["y"], opset=24)),
    Case("swish_default_op24", model([node("Swish", ["x"], ["y"])], {"x": (2, 2, 3)}, ["y"], opset=24)),
    # (ONNX's own shape inference fails on MVN without axes: its function's default is not applied there)
    Case("mvn_op13", _shaped(model([node("MeanVarianceNormalization", ["x"], ["y"])], {"x": (2, 3, 4, 4)}, ["y"],
                                   opset=13, infer=False), (2, 3, 4, 4))),
    Case("mvn_axes_op13", model([node("MeanVarianceNormalization", ["x"], ["y"], axes=[1])], {"x": (2, 5, 3)}, ["y"],
                                opset=13)),
    Case("centercroppad_op18", model([node("CenterCropPad", ["x", "shape"], ["y"], axes=[1, 2])], {"x": (2, 5, 4)},
                                     ["y"], {"shape": np.array([3, 7], np.int64)}, opset=18)),
])


@FUNCTIONS.param()
def test_function_operators_are_expanded(case, ops, tmp_path) -> None:
    op = case.model.graph.node[0].op_type
    assert op not in {n.op for n in compiled_graph(case.model, tmp_path).nodes}
    ops.check(case, FUNCTIONS)


def test_operators_with_a_kernel_are_not_expanded(tmp_path) -> None:
    m = model([node("LayerNormalization", ["x", "s"], ["y"])], {"x": (2, 6)}, ["y"], {"s": const((6,), 3)}, opset=17)
    assert [n.op for n in compiled_graph(m, tmp_path).nodes] == ["LayerNormalization"]


def test_model_local_functions_are_inlined(tmp_path) -> None:
    """An exporter's module written as a function of the model (domain "custom") compiles as its body."""
    body = [helper.make_node("Constant", [], ["k"], value=helper.make_tensor("v", TensorProto.FLOAT, [], [1.702])),
            helper.make_node("Mul", ["X", "k"], ["t"]), helper.make_node("Sigmoid", ["t"], ["s"]),
            helper.make_node("Mul", ["X", "s"], ["Y"])]
    fn = helper.make_function("custom", "FastGelu", ["X"], ["Y"], body, [helper.make_opsetid("", 17)])
    g = helper.make_graph([helper.make_node("FastGelu", ["x"], ["y"], domain="custom")], "t",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("custom", 1)],
                          functions=[fn])
    m.ir_version = 10
    assert {n.op for n in compiled_graph(m, tmp_path).nodes} <= {"Mul", "Sigmoid"}
    check(m, tmp_path)
