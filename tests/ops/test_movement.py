"""Concat, Reshape, Flatten, Squeeze/Unsqueeze, Transpose, Pad, Identity, Dropout; constant folding
(Shape -> Gather -> Concat -> Reshape, Constant nodes); graph outputs that are inputs or constants."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

from tests.ops.util import CURRENT, Case, Group, compiled_graph, const, model, node


def concat(id_: str, shapes, axis: int, opset: int = 13, const_idx=()) -> Case:
    inputs, inits, names = {}, {}, []
    for i, s in enumerate(shapes):
        names.append(f"x{i}")
        if i in const_idx:
            inits[f"x{i}"] = const(s, 10 + i)
        else:
            inputs[f"x{i}"] = s
    return Case(f"{id_}_op{opset}", model([node("Concat", names, ["y"], axis=axis)], inputs, ["y"], inits, opset=opset))


CONCAT = Group("concat", [
    concat("axis0", [(2, 3), (1, 3)], 0),
    concat("axis1", [(2, 3), (2, 4)], 1),
    concat("axis_m1_3in", [(2, 3, 1), (2, 3, 4), (2, 3, 2)], -1),
    concat("axis1_4d_4in", [(1, 2, 3, 3), (1, 1, 3, 3), (1, 3, 3, 3), (1, 2, 3, 3)], 1),
    concat("axis2_4d", [(2, 2, 1, 3), (2, 2, 3, 3)], 2),
    concat("axis_m3_4d", [(2, 2, 1, 3), (2, 1, 1, 3)], -3),
    concat("axis_m4", [(1, 2, 2, 2), (2, 2, 2, 2)], -4),
    concat("with_const", [(2, 3), (2, 2), (2, 1)], 1, const_idx=(1,)),
    concat("1d", [(3,), (4,), (1,)], 0),
    concat("axis1", [(2, 3), (2, 4)], 1, opset=7),
    concat("axis_m1", [(2, 3), (2, 4)], -1, opset=11),
    concat("axis_m2_3in", [(2, 3), (1, 3), (3, 3)], -2, opset=CURRENT),
])


@CONCAT.param()
def test_concat(case, ops) -> None:
    ops.check(case, CONCAT)


def test_concat_same_input_twice(ops) -> None:
    ops.check(Case("dup", model([node("Concat", ["x", "x"], ["y"], axis=1)], {"x": (2, 3)}, ["y"])))


def reshape(id_: str, in_shape, target, opset: int = 13, allowzero: int | None = None, wrap: bool = False) -> Case:
    attrs = {} if allowzero is None else {"allowzero": allowzero}
    if opset < 5:
        raise ValueError
    inits = {"shape": np.array(target, np.int64)}
    if wrap:  # between two kernels: the reshape is a view of an intermediate tensor
        nodes = [node("Relu", ["x"], ["r"]), node("Reshape", ["r", "shape"], ["s"], **attrs), node("Sigmoid", ["s"], ["y"])]
    else:
        nodes = [node("Reshape", ["x", "shape"], ["y"], **attrs)]
    return Case(f"{id_}_op{opset}{'_wrapped' if wrap else ''}", model(nodes, {"x": in_shape}, ["y"], inits, opset=opset))


RESHAPE = Group("reshape", [
    reshape("plain", (2, 3, 4), [6, 4]),
    reshape("minus1", (2, 3, 4), [2, -1]),
    reshape("zero", (2, 3, 4), [0, 12]),
    reshape("zero_minus1", (2, 3, 4), [0, -1, 2]),
    reshape("zero_zero", (2, 3, 4), [0, 0, 2, 2]),
    reshape("flatten_all", (2, 3, 4), [-1]),
    reshape("zero_minus1", (2, 3, 4), [0, -1], wrap=True),
    reshape("allowzero0", (2, 3, 4), [0, 4, -1], opset=14, allowzero=0),
    reshape("allowzero1", (2, 3, 4), [4, -1, 2], opset=14, allowzero=1),
    reshape("zero", (2, 3, 4), [0, -1], opset=7),
    reshape("minus1", (2, 3, 4), [-1, 3, 2], opset=CURRENT, wrap=True),
])


@RESHAPE.param()
def test_reshape(case, ops) -> None:
    ops.check(case, RESHAPE)


def flatten(axis: int | None, opset: int = 13, shape=(2, 3, 4, 2)) -> Case:
    attrs = {} if axis is None else {"axis": axis}
    return Case(f"axis{axis}_op{opset}", model([node("Flatten", ["x"], ["f"], **attrs), node("Relu", ["f"], ["y"])],
                                                {"x": shape}, ["y"], opset=opset))


FLATTEN = Group("flatten", [flatten(a) for a in (None, 0, 1, 2, 3, 4, -1, -3)] + [
    flatten(None, 7), flatten(2, 9), flatten(-2, 11), flatten(1, CURRENT),
])


@FLATTEN.param()
def test_flatten(case, ops) -> None:
    ops.check(case, FLATTEN)


def squeeze(op: str, shape, axes, opset: int) -> Case:
    inits, ins, attrs = {}, ["x"], {}
    if axes is not None:
        if opset >= 13:
            inits["axes"] = np.array(axes, np.int64)
            ins.append("axes")
        else:
            attrs["axes"] = list(axes)
    tag = "none" if axes is None else "_".join(map(str, axes)).replace("-", "m")
    nodes = [node(op, ins, ["s"], **attrs), node("Relu", ["s"], ["y"])]
    return Case(f"{op}_{tag}_op{opset}", model(nodes, {"x": shape}, ["y"], inits, opset=opset))


SQUEEZE = Group("squeeze", [
    squeeze("Squeeze", (1, 3, 1, 4), [0], 11), squeeze("Squeeze", (1, 3, 1, 4), [0, 2], 11),
    squeeze("Squeeze", (1, 3, 1, 4), [-2], 11), squeeze("Squeeze", (1, 3, 1, 4), None, 11),
    squeeze("Squeeze", (1, 3, 1, 4), [0, 2], 7),
    squeeze("Squeeze", (1, 3, 1, 4), [2], 13), squeeze("Squeeze", (1, 3, 1, 4), [-4, -2], 13),
    squeeze("Squeeze", (1, 3, 1, 4), None, 13), squeeze("Squeeze", (3, 1), [1], CURRENT),
    squeeze("Unsqueeze", (3, 4), [0], 11), squeeze("Unsqueeze", (3, 4), [0, 3], 11),
    squeeze("Unsqueeze", (3, 4), [-1], 11), squeeze("Unsqueeze", (3, 4), [1], 7),
    squeeze("Unsqueeze", (3, 4), [0], 13), squeeze("Unsqueeze", (3, 4), [1, -1], 13),
    squeeze("Unsqueeze", (3, 4), [-4, 2], 13), squeeze("Unsqueeze", (3,), [0, 1], CURRENT),
])


@SQUEEZE.param()
def test_squeeze_unsqueeze(case, ops) -> None:
    ops.check(case, SQUEEZE)


def transpose(shape, perm, opset: int = 13) -> Case:
    attrs = {} if perm is None else {"perm": list(perm)}
    tag = "default" if perm is None else "".join(map(str, perm))
    return Case(f"r{len(shape)}_{tag}_op{opset}", model([node("Transpose", ["x"], ["y"], **attrs)], {"x": shape}, ["y"],
                                                          opset=opset))


TRANSPOSE = Group("transpose", [
    transpose((3, 4), None), transpose((3, 4), [1, 0]), transpose((3, 4), [0, 1]),
    transpose((2, 3, 4), None), transpose((2, 3, 4), [0, 2, 1]), transpose((2, 3, 4), [2, 0, 1]),
    transpose((2, 3, 4, 5), None), transpose((2, 3, 4, 5), [0, 2, 3, 1]), transpose((2, 3, 4, 5), [0, 3, 1, 2]),
    transpose((2, 3, 4, 5), [3, 1, 0, 2]), transpose((2, 1, 3, 2, 2), [4, 2, 0, 3, 1]),
    transpose((2, 3, 1, 2, 2, 2), [5, 4, 3, 2, 1, 0]),
    transpose((2, 3, 4), [1, 2, 0], opset=7), transpose((2, 3, 4), None, opset=CURRENT),
])


@TRANSPOSE.param()
def test_transpose(case, ops) -> None:
    ops.check(case, TRANSPOSE)


def pad(id_: str, shape, pads, opset: int, mode: str | None = None, value: float | None = None,
        axes=None) -> Case:
    attrs: dict = {} if mode is None else {"mode": mode}
    inits: dict = {}
    ins = ["x"]
    if opset < 11:
        attrs["pads"] = list(pads)
        if value is not None:
            attrs["value"] = value
    else:
        inits["pads"] = np.array(pads, np.int64)
        ins.append("pads")
        if value is not None:
            inits["cv"] = np.array(value, np.float32)
            ins.append("cv")
        if axes is not None:
            if value is None:
                ins.append("")
            inits["axes"] = np.array(axes, np.int64)
            ins.append("axes")
    return Case(f"{id_}_op{opset}", model([node("Pad", ins, ["y"], **attrs)], {"x": shape}, ["y"], inits, opset=opset))


PAD = Group("pad", [
    pad("const_4d", (1, 2, 3, 3), [0, 0, 1, 2, 0, 0, 2, 1], 7),
    pad("const_value", (2, 3), [1, 0, 0, 2], 7, value=1.5),
    pad("const_mode_attr", (2, 3), [1, 1, 1, 1], 9, mode="constant", value=-2.0),
    pad("negative", (1, 2, 5, 5), [0, 0, -1, 1, 0, 0, 2, -2], 7),
    pad("edge", (1, 2, 3, 4), [0, 0, 2, 1, 0, 0, 1, 2], 7, mode="edge"),
    pad("reflect", (1, 2, 4, 4), [0, 0, 2, 1, 0, 0, 1, 3], 7, mode="reflect"),
    pad("const_4d", (1, 2, 3, 3), [0, 0, 1, 2, 0, 0, 2, 1], 11),
    pad("const_value", (2, 3), [1, 0, 0, 2], 11, value=0.5),
    pad("negative", (1, 2, 5, 5), [0, 0, -2, 1, 0, 0, 1, -3], 11),
    pad("negative_value", (3, 4), [-1, 2, 1, -1], 13, value=3.0),
    pad("edge", (2, 3, 4), [0, 2, 1, 0, 1, 2], 13, mode="edge"),
    pad("reflect", (3, 5), [1, 3, 1, 4], 13, mode="reflect"),
    pad("reflect_1d", (6,), [3, 2], 13, mode="reflect"),
    pad("batch_axis", (2, 3), [1, 0, 1, 0], 13, value=-1.0),
    pad("axes", (1, 2, 4, 4), [1, 2, 2, 1], 18, axes=[2, 3]),
    pad("axes_neg_value", (1, 2, 4, 4), [1, 0, 0, 2], 18, value=0.25, axes=[-1, 1]),
    pad("axes_one", (2, 3, 4), [2, 1], 18, mode="edge", axes=[-2]),
    pad("wrap", (2, 3, 4), [0, 1, 2, 0, 2, 1], 19, mode="wrap"),
    pad("axes_reflect", (2, 3, 4), [1, 2, 1, 1], CURRENT, mode="reflect", axes=[1, 2]),
])


@PAD.param()
def test_pad(case, ops) -> None:
    ops.check(case, PAD)


def passthrough(id_: str, nodes, opset: int, inits=None, outputs=("y",)) -> Case:
    return Case(f"{id_}_op{opset}", model(nodes, {"x": (2, 3)}, list(outputs), inits or {}, opset=opset))


PASS = Group("passthrough", [
    passthrough("identity", [node("Identity", ["x"], ["i"]), node("Relu", ["i"], ["y"])], 13),
    passthrough("identity_output", [node("Relu", ["x"], ["r"]), node("Identity", ["r"], ["y"])], 13),
    passthrough("identity_of_input", [node("Identity", ["x"], ["y"])], 7),
    passthrough("identity_chain", [node("Identity", ["x"], ["a"]), node("Identity", ["a"], ["b"]),
                                   node("Tanh", ["b"], ["c"]), node("Identity", ["c"], ["y"])], CURRENT),
    passthrough("dropout", [node("Dropout", ["x"], ["d"], ratio=0.5), node("Relu", ["d"], ["y"])], 7),
    passthrough("dropout_mask_unused", [node("Dropout", ["x"], ["d", "mask"]), node("Relu", ["d"], ["y"])], 10),
    passthrough("dropout_ratio_input", [node("Dropout", ["x", "ratio"], ["d"]), node("Relu", ["d"], ["y"])], 12,
                {"ratio": np.array(0.3, np.float32)}),
    passthrough("dropout_training_false", [node("Dropout", ["x", "ratio", "train"], ["d"]), node("Sigmoid", ["d"], ["y"])],
                13, {"ratio": np.array(0.3, np.float32), "train": np.array(False)}),
    passthrough("dropout_output", [node("Relu", ["x"], ["r"]), node("Dropout", ["r"], ["y"])], CURRENT),
])


@PASS.param()
def test_identity_dropout(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    assert not any(n.op in ("Identity", "Dropout") and n.outputs[0] not in g.outputs for n in g.nodes)
    ops.check(case, PASS)


def _folding_cases() -> list[Case]:
    # Shape -> Gather -> Concat -> Reshape: flatten keeping the batch dimension (a PyTorch export pattern).
    shape_chain = [
        node("Relu", ["x"], ["r"]),
        node("Shape", ["r"], ["shp"]),
        node("Gather", ["shp", "zero"], ["batch"], axis=0),
        node("Unsqueeze", ["batch", "ax0"], ["batch1"]),
        node("Concat", ["batch1", "minus1"], ["target"], axis=0),
        node("Reshape", ["r", "target"], ["flat"]),
        node("Sigmoid", ["flat"], ["y"]),
    ]
    inits = {"zero": np.array(0, np.int64), "ax0": np.array([0], np.int64), "minus1": np.array([-1], np.int64)}
    c1 = Case("shape_gather_concat_reshape", model(shape_chain, {"x": (2, 3, 4)}, ["y"], inits, opset=13))
    # Constant nodes of every value form, arithmetic on constants, Size.
    cnodes = [
        helper.make_node("Constant", [], ["c1"], value=helper.make_tensor("v", TensorProto.FLOAT, [3], [1.0, -2.0, 0.5])),
        helper.make_node("Constant", [], ["c2"], value_float=2.0),
        helper.make_node("Constant", [], ["c3"], value_floats=[0.25, 0.5, 0.75]),
        helper.make_node("Constant", [], ["shape"], value_ints=[3, 2]),
        node("Mul", ["c1", "c2"], ["c12"]),
        node("Add", ["c12", "c3"], ["k"]),
        node("Add", ["x", "k"], ["s"]),
        node("Reshape", ["s", "shape"], ["y"]),
    ]
    c2 = Case("constant_nodes", model(cnodes, {"x": (2, 3)}, ["y"], opset=13))
    # An opset 9 Constant feeding Reshape (old exporters) plus Shape with start/end (opset 15).
    old = [helper.make_node("Constant", [], ["shape"], value=helper.make_tensor("s", TensorProto.INT64, [2], [3, -1])),
           node("Reshape", ["x", "shape"], ["y"])]
    c3 = Case("constant_reshape_op9", model(old, {"x": (2, 3, 2)}, ["y"], opset=9))
    sliced = [node("Shape", ["x"], ["s"], start=1, end=-1), node("ReduceProd", ["s"], ["p"], keepdims=1),
              node("Concat", ["one", "p"], ["t"], axis=0), node("Reshape", ["x", "t"], ["r"]),
              node("Relu", ["r"], ["y"])]
    c4 = Case("shape_start_end_op15", model(sliced, {"x": (1, 2, 3, 4)}, ["y"], {"one": np.array([-1], np.int64)},
                                           opset=15))
    return [c1, c2, c3, c4]


FOLD = Group("folding", _folding_cases())


@FOLD.param()
def test_constant_folding(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    folded = {"Shape", "Gather", "Concat", "Constant", "Unsqueeze", "ReduceProd", "Size"}
    assert not any(n.op in folded for n in g.nodes), [n.op for n in g.nodes]
    ops.check(case, FOLD)


def test_output_is_constant(ops, tmp_path) -> None:
    """Graph outputs that are an initializer and a Constant node's output, next to a computed one."""
    nodes = [node("Relu", ["x"], ["y"]),
             helper.make_node("Constant", [], ["k"], value=helper.make_tensor("k", TensorProto.FLOAT, [2, 2],
                                                                                [1.0, 2.0, 3.0, 4.0]))]
    m = model(nodes, {"x": (2, 3)}, ["y", "w", "k"], {"w": const((3,), 7)}, opset=13)
    assert [n.op for n in compiled_graph(m, tmp_path).nodes] == ["Relu"]
    ops.check(Case("outputs_const", m))


def test_output_is_input(ops, tmp_path) -> None:
    """A graph input that is also a graph output (next to a computed output)."""
    m = model([node("Relu", ["x"], ["y"])], {"x": (2, 3)}, ["y", "x"], opset=13)
    ops.check(Case("output_input", m))


def test_output_is_only_input(ops) -> None:
    ops.check(Case("input_only", model([], {"x": (2, 3)}, ["x"], opset=13)))


def test_output_is_identity_of_input_and_reshape(ops) -> None:
    m = model([node("Identity", ["x"], ["y"]), node("Reshape", ["x", "s"], ["z"])], {"x": (2, 3)}, ["y", "z"],
              {"s": np.array([3, 2], np.int64)}, opset=13)
    ops.check(Case("identity_reshape_of_input", m))
