"""Slice, Split, Gather, Tile, Expand, Where, Cast/CastLike, DepthToSpace/SpaceToDepth, Trilu,
ConstantOfShape/Range (when not folded), Resize and Upsample."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from tests.ops.util import CURRENT, Case, Group, compiled_graph, model, node, run_host, save
from toolchain.cli import main
from toolchain.errors import ModelError

BOOL, I64, I32 = TensorProto.BOOL, TensorProto.INT64, TensorProto.INT32
U8, I16, U16 = TensorProto.UINT8, TensorProto.INT16, TensorProto.UINT16
X = (2, 3, 4, 5)


def i64(*v) -> np.ndarray:
    return np.array(v, np.int64)


def slice_(id_: str, shape, starts, ends, axes=None, steps=None, opset: int = 13) -> Case:
    if opset < 10:
        attrs = {"starts": starts, "ends": ends} | ({"axes": axes} if axes is not None else {})
        return Case(f"slice_{id_}_op{opset}", model([node("Slice", ["x"], ["y"], **attrs)], {"x": shape}, ["y"], opset=opset))
    inits = {"s": i64(*starts), "e": i64(*ends)}
    ins = ["x", "s", "e"]
    if axes is not None or steps is not None:
        ins.append("a" if axes is not None else "")
        if axes is not None:
            inits["a"] = i64(*axes)
    if steps is not None:
        ins.append("st")
        inits["st"] = i64(*steps)
    return Case(f"slice_{id_}_op{opset}", model([node("Slice", ins, ["y"])], {"x": shape}, ["y"], inits, opset=opset))


BIG = 2**62
MOVE = Group("tensor_move", [
    slice_("basic", X, [0, 1], [2, 3], [1, 2]),
    slice_("all_axes", X, [1, 0, 1, 2], [2, 3, 3, 5]),
    slice_("neg_step", X, [-1, 4], [-BIG, 0], [2, 3], [-1, -2]),
    slice_("step2", X, [0, 1], [BIG, BIG], [3, 1], [2, 2]),
    slice_("neg_idx", X, [-3], [-1], [-1]),
    slice_("clamped", (4, 6), [-100, 2], [100, 100]),
    slice_("attrs", X, [0, 1], [1, 3], [0, 3], opset=7),
    slice_("cur", (3, 8), [1], [7], [1], [3], opset=CURRENT),
    Case("split_input_op13", model([node("Split", ["x", "sp"], ["a", "b", "c"], axis=1)], {"x": (2, 6, 3)},
                                   ["a", "b", "c"], {"sp": i64(1, 2, 3)}, opset=13)),
    Case("split_equal_op13", model([node("Split", ["x"], ["a", "b"], axis=-1)], {"x": (2, 3, 4)}, ["a", "b"], opset=13)),
    Case("split_attr_op7", model([node("Split", ["x"], ["a", "b"], axis=0, split=[1, 2])], {"x": (3, 4)}, ["a", "b"], opset=7)),
    Case("split_num_outputs_op18", model([node("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3)],
                                         {"x": (2, 7)}, ["a", "b", "c"], opset=CURRENT)),
    Case("tile_op13", model([node("Tile", ["x", "r"], ["y"])], {"x": (2, 3)}, ["y"], {"r": i64(2, 3)}, opset=13)),
    Case("tile_3d_op7", model([node("Tile", ["x", "r"], ["y"])], {"x": (1, 2, 3)}, ["y"], {"r": i64(3, 1, 2)}, opset=7)),
    Case("expand_op13", model([node("Expand", ["x", "s"], ["y"])], {"x": (3, 1)}, ["y"], {"s": i64(2, 3, 4)}, opset=13)),
    Case("expand_smaller_shape_op13", model([node("Expand", ["x", "s"], ["y"])], {"x": (2, 1, 4)}, ["y"],
                                            {"s": i64(3, 1)}, opset=13)),
    Case("d2s_dcr_op13", model([node("DepthToSpace", ["x"], ["y"], blocksize=2)], {"x": (1, 8, 2, 3)}, ["y"], opset=13)),
    Case("d2s_crd_op13", model([node("DepthToSpace", ["x"], ["y"], blocksize=2, mode="CRD")], {"x": (2, 8, 3, 2)}, ["y"],
                               opset=13)),
    Case("d2s_op7", model([node("DepthToSpace", ["x"], ["y"], blocksize=3)], {"x": (1, 9, 2, 2)}, ["y"], opset=7)),
    Case("s2d_op13", model([node("SpaceToDepth", ["x"], ["y"], blocksize=2)], {"x": (2, 3, 4, 6)}, ["y"], opset=13)),
    Case("trilu_upper_op14", model([node("Trilu", ["x"], ["y"])], {"x": (2, 4, 5)}, ["y"], opset=14)),
    Case("trilu_lower_k_op14", model([node("Trilu", ["x", "k"], ["y"], upper=0)], {"x": (3, 5, 4)}, ["y"],
                                     {"k": np.array(1, np.int64)}, opset=14)),
    Case("trilu_upper_negk_op14", model([node("Trilu", ["x", "k"], ["y"], upper=1)], {"x": (4, 4)}, ["y"],
                                        {"k": np.array(-1, np.int64)}, opset=14)),
    Case("transpose_int64_op13", model([node("Transpose", ["x"], ["y"], perm=[1, 0])], {"x": (3, 4)}, ["y"], opset=13,
                                       input_types={"x": I64})),
    Case("concat_bool_op13", model([node("Concat", ["a", "b"], ["y"], axis=0)], {"a": (2, 3), "b": (1, 3)}, ["y"],
                                   opset=13, input_types={"a": BOOL, "b": BOOL})),
    Case("reshape_int32_op13", model([node("Reshape", ["x", "s"], ["y"])], {"x": (2, 6)}, ["y"], {"s": i64(3, 4)},
                                     opset=13, input_types={"x": I32})),
])


@MOVE.param()
def test_tensor_move(case, ops) -> None:
    ops.check(case, MOVE)


def gather(id_: str, shape, axis: int, indices, runtime: bool = False, opset: int = 13) -> Case:
    idx = np.asarray(indices, np.int64)
    if runtime:
        m = model([node("Gather", ["x", "i"], ["y"], axis=axis)], {"x": shape, "i": idx.shape}, ["y"], opset=opset,
                  input_types={"i": I64})
        rng = np.random.default_rng(0)
        feeds = {"x": rng.uniform(-1, 1, (2, *shape)).astype(np.float32), "i": np.stack([idx, idx[::-1] if idx.ndim else idx])}
        return Case(f"gather_{id_}_op{opset}", m, feeds=feeds)
    return Case(f"gather_{id_}_op{opset}", model([node("Gather", ["x", "i"], ["y"], axis=axis)], {"x": shape}, ["y"],
                                                 {"i": idx}, opset=opset))


SELECT = Group("tensor_select", [
    gather("axis0", (5, 3), 0, [4, 0, 2]),
    gather("axis1_2d_idx", (2, 5, 3), 1, [[1, 2], [4, 0]]),
    gather("neg", (4, 6), -1, [-1, -6, 2]),
    gather("scalar", (3, 4), 1, 2),
    gather("runtime", (6, 3), 0, [5, 1, -2, 0], runtime=True),
    gather("runtime_axis2", (2, 3, 5), 2, [[4, 1], [-1, 0]], runtime=True),
    gather("op7", (4, 3), 0, [3, 1], opset=7),
    Case("where_op9", model([node("Where", ["c", "a", "b"], ["y"])], {"c": (3, 1), "a": (2, 3, 4), "b": (4,)}, ["y"],
                            opset=9, input_types={"c": BOOL})),
    Case("where_int64_op16", model([node("Where", ["c", "a", "b"], ["y"])], {"c": (2, 3), "a": (2, 3), "b": (3,)},
                                   ["y"], opset=16, input_types={"c": BOOL, "a": I64, "b": I64})),
    Case("where_const_cond_op13", model([node("Where", ["c", "a", "b"], ["y"])], {"a": (2, 3), "b": (2, 3)}, ["y"],
                                        {"c": np.array([True, False, True])}, opset=13)),
])


@SELECT.param()
def test_tensor_select(case, ops) -> None:
    ops.check(case, SELECT)


def cast(src: int, to: int, opset: int = 13, low: float = -4.0, high: float = 4.0) -> Case:
    name = f"cast_{TensorProto.DataType.Name(src)}_{TensorProto.DataType.Name(to)}_op{opset}".lower()
    return Case(name, model([node("Cast", ["x"], ["y"], to=to)], {"x": (3, 5)}, ["y"], opset=opset,
                            input_types={"x": src}), low=low, high=high)


F = TensorProto.FLOAT
CASTS = Group("cast", [
    cast(F, I64), cast(F, I32), cast(F, BOOL), cast(I64, F), cast(I32, I64), cast(I64, I32), cast(BOOL, F),
    cast(BOOL, I64), cast(I64, BOOL), cast(F, F), cast(F, I64, opset=7), cast(I64, F, opset=CURRENT),
    Case("castlike_op15", model([node("CastLike", ["x", "t"], ["y"])], {"x": (2, 4)}, ["y"],
                                {"t": np.zeros(1, np.int64)}, opset=15)),
    Case("cast_chain_op13", model([node("Cast", ["x"], ["i"], to=I64), node("Cast", ["i"], ["y"], to=F)],
                                  {"x": (2, 5)}, ["y"], opset=13), low=-9, high=9),
    # uint8 / int16 / uint16 (pixels, audio samples): exact in the arena. Float to them truncates (in
    # range: ONNX leaves the rest undefined); a narrower integer keeps the low bits, as ONNX says.
    cast(U8, F, low=0, high=255), cast(I16, F, low=-40000, high=40000), cast(U16, F, low=0, high=70000),
    cast(F, U8, low=0, high=255.9), cast(F, I16, low=-3000.5, high=3000.5), cast(F, U16, low=0, high=65535),
    cast(I32, U8, low=-300, high=300), cast(I64, I16, low=-70000, high=70000), cast(U16, I16, low=0, high=65535),
    cast(I16, U8, low=-400, high=400), cast(I16, U16, low=-40000, high=40000), cast(U8, I16, low=0, high=255),
    cast(U8, BOOL, low=0, high=3), cast(BOOL, U8), cast(U16, I64, low=0, high=65535),
])


def test_cast_float_to_uint8_saturates(tmp_path) -> None:
    """ONNX leaves a float out of the integer's range undefined; mlc saturates (NaN becomes 0)."""
    m = model([node("Cast", ["x"], ["y"], to=U8)], {"x": (6,)}, ["y"], opset=13)
    got = run_host(m, tmp_path, {"x": np.array([[-7.5, -0.5, 0.9, 254.9, 300.0, np.nan]], np.float32)})
    assert got["y"].dtype == np.uint8 and got["y"].tolist() == [[0, 0, 0, 254, 255, 0]]


SMALL = Group("small_ints", [
    Case("u8_pixels_normalized", model([node("Cast", ["x"], ["f"], to=F), node("Div", ["f", "k"], ["y"])],
                                       {"x": (1, 3, 4, 4)}, ["y"], {"k": np.array(255, np.float32)},
                                       input_types={"x": U8}), low=0, high=255),
    Case("u8_movement", model([node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]), node("Concat", ["t", "t"], ["c"], axis=3),
                               node("Gather", ["c", "i"], ["g"], axis=3), node("Reshape", ["g", "s"], ["y"])],
                              {"x": (1, 3, 2, 2)}, ["y"], {"i": np.array([5, 0, 2], np.int64), "s": i64(-1)},
                              input_types={"x": U8}), low=0, high=255),
    Case("u16_select_and_pad", model([node("Where", ["m", "x", "z"], ["w"]),
                                      node("Pad", ["w", "p", "v"], ["y"])],
                                     {"m": (2, 3), "x": (2, 3), "z": (2, 3)}, ["y"],
                                     {"p": i64(0, 1, 1, 0), "v": np.array(65535, np.uint16)},
                                     input_types={"m": BOOL, "x": U16, "z": U16}), low=0, high=65535),
    Case("i16_order", model([node("Max", ["x", "z"], ["mx"]), node("Min", ["x", "z"], ["mn"]),
                             node("Greater", ["x", "z"], ["gt"]), node("ArgMax", ["x"], ["am"], axis=1),
                             node("Mod", ["x", "d"], ["md"])],
                            {"x": (3, 7), "z": (3, 7)}, ["mx", "mn", "gt", "am", "md"],
                            {"d": np.array(-7, np.int16)}, input_types={"x": I16, "z": I16}), low=-32768, high=32767),
    Case("u8_reduce", model([node("ReduceMin", ["x"], ["mn"], axes=[1]), node("ReduceMax", ["x"], ["mx"], axes=[0, 2]),
                             node("LessOrEqual", ["x", "k"], ["le"])], {"x": (2, 5, 3)}, ["mn", "mx", "le"],
                            {"k": np.array(100, np.uint8)}, input_types={"x": U8}), low=0, high=255),
    Case("u8_output_of_argmax", model([node("ArgMax", ["x"], ["a"], axis=1, keepdims=0), node("Cast", ["a"], ["y"], to=U8)],
                                      {"x": (4, 10)}, ["y"])),
])


@SMALL.param()
def test_small_integer_tensors(case, ops) -> None:
    ops.check(case, SMALL)


@pytest.mark.parametrize("op", ["Add", "Mul", "Sub"])
def test_small_integer_arithmetic_refused(tmp_path, op) -> None:
    """ONNX wraps uint8 arithmetic around at 256; the float arena would not: refused, not silently different."""
    m = model([node(op, ["x", "x"], ["y"], name="a")], {"x": (2, 3)}, ["y"], opset=14, input_types={"x": U8})
    with pytest.raises(ModelError, match=rf"'a' \({op}: tensor 'x' is uint8 at run time; {op} supports float32, int64, int32\)"):
        compiled_graph(m, tmp_path)


@CASTS.param()
def test_cast(case, ops) -> None:
    ops.check(case, CASTS)


def test_cast_to_float16_rejected(tmp_path) -> None:
    m = model([node("Cast", ["x"], ["y"], name="c16", to=TensorProto.FLOAT16)], {"x": (2, 3)}, ["y"], opset=13)
    with pytest.raises(ModelError, match=r"'c16' \(Cast: cast to float16"):
        compiled_graph(m, tmp_path)


def test_constant_of_shape_and_range_unfolded(ops, monkeypatch, tmp_path) -> None:
    """Too large to fold at import (the limit is lowered here): lowered as a tiled value and a copied constant."""
    monkeypatch.setattr("toolchain.fold.MAX_FOLDED_ELEMENTS", 0)
    value = helper.make_tensor("v", TensorProto.FLOAT, [1], [2.5])
    nodes = [node("ConstantOfShape", ["s"], ["c"], value=value), node("Add", ["c", "x"], ["y"]),
             node("Range", ["r0", "r1", "r2"], ["r"]), node("Add", ["r", "x"], ["z"])]
    m = model(nodes, {"x": (2, 3)}, ["y", "z"], {"s": i64(2, 3), "r0": np.array(1.0, np.float32),
                                                 "r1": np.array(2.5, np.float32), "r2": np.array(0.5, np.float32)},
              opset=13)
    assert {"ConstantOfShape", "Range"} <= {n.op for n in compiled_graph(m, tmp_path).nodes}
    ops.check(Case("cos_range", m))


def resize(id_: str, shape, opset: int = 13, scales=None, sizes=None, op: str = "Resize", **attrs) -> Case:
    inits, ins = {}, ["x"]
    if op == "Upsample" or opset == 10:
        ins.append("sc")
        inits["sc"] = np.asarray(scales, np.float32)
    else:
        ins += ["roi" if opset < 13 else "", "sc" if scales is not None else ""]
        if opset < 13:  # roi and scales are required inputs in opsets 11 and 12
            inits["roi"] = np.zeros(0, np.float32)
        if scales is not None:
            inits["sc"] = np.asarray(scales, np.float32)
        if sizes is not None:
            ins.append("sz")
            inits["sz"] = np.asarray(sizes, np.int64)
    while ins[-1] == "":
        ins.pop()
    return Case(f"{op}_{id_}_op{opset}", model([node(op, ins, ["y"], **attrs)], {"x": shape}, ["y"], inits, opset=opset))


N4 = (1, 2, 4, 5)
RESIZE = Group("resize", [
    resize("nearest_up", N4, scales=[1, 1, 2, 1.5]),
    resize("nearest_down", N4, scales=[1, 1, 0.5, 0.6]),
    resize("nearest_asym_floor", N4, scales=[1, 1, 1.7, 2.2], coordinate_transformation_mode="asymmetric",
           nearest_mode="floor"),
    resize("nearest_align_ceil", N4, sizes=[1, 2, 7, 9], coordinate_transformation_mode="align_corners",
           nearest_mode="ceil"),
    resize("nearest_prefer_ceil", N4, scales=[1, 1, 3, 3], nearest_mode="round_prefer_ceil"),
    resize("nearest_tf", N4, scales=[1, 1, 2, 2], coordinate_transformation_mode="tf_half_pixel_for_nn"),
    resize("linear_up", N4, scales=[1, 1, 2, 2.5], mode="linear"),
    resize("linear_down", (2, 3, 8, 6), sizes=[2, 3, 5, 4], mode="linear"),
    resize("linear_align", N4, sizes=[1, 2, 7, 3], mode="linear", coordinate_transformation_mode="align_corners"),
    resize("linear_pytorch", N4, sizes=[1, 2, 1, 8], mode="linear", coordinate_transformation_mode="pytorch_half_pixel"),
    resize("linear_asym", (3, 4, 5), scales=[1, 2, 0.8], mode="linear", coordinate_transformation_mode="asymmetric"),
    resize("nearest_11", N4, opset=11, scales=[1, 1, 2, 2]),
    resize("linear_axes", N4, opset=CURRENT, scales=[2, 1.5], axes=[2, 3], mode="linear"),
    resize("nearest_10", N4, opset=10, scales=[1, 1, 2, 3]),
    resize("linear_10", N4, opset=10, scales=[1, 1, 2, 1.5], mode="linear"),
    resize("nearest", N4, opset=9, scales=[1, 1, 2, 3], op="Upsample"),
    resize("linear", N4, opset=9, scales=[1, 1, 2, 2], op="Upsample", mode="linear"),
    Case("Upsample_attr_op7", model([node("Upsample", ["x"], ["y"], scales=[1.0, 1.0, 2.0, 2.0])], {"x": N4}, ["y"],
                                    opset=7)),
])


@RESIZE.param()
def test_resize(case, ops) -> None:
    ops.check(case, RESIZE)


def test_resize_antialias_downsampling_rejected(tmp_path) -> None:
    m = resize("aa", N4, opset=18, scales=[1, 1, 0.5, 0.5], mode="cubic", antialias=1).model
    m.graph.node[0].name = "rc"
    with pytest.raises(ModelError, match=r"'rc' \(Resize: antialias when downsampling"):
        compiled_graph(m, tmp_path)


def gather_elements(id_: str, x_shape, idx: np.ndarray, axis: int = 0, const_idx: bool = False) -> Case:
    inits = {"i": idx} if const_idx else {}
    inputs = {"x": x_shape} | ({} if const_idx else {"i": idx.shape})
    m = model([node("GatherElements", ["x", "i"], ["y"], axis=axis)], inputs, ["y"], inits, opset=13,
              input_types={} if const_idx else {"i": I64})
    feeds = None if const_idx else {"x": np.random.default_rng(4).uniform(-3, 3, (1, *x_shape)).astype(np.float32),
                                    "i": idx[None]}
    return Case(f"gather_elements_{id_}", m, feeds=feeds)


GATHER_ELEMENTS = Group("gather_elements", [
    gather_elements("axis0", (3, 4), np.array([[2, 0, 1, 1], [0, -1, 2, 0]], np.int64)),
    gather_elements("axis1_smaller", (2, 5, 3), np.array([[[4, 0, 1]], [[-5, 3, 2]]], np.int64), axis=1),
    gather_elements("const_last", (2, 6), np.array([[5, 0, 0], [1, 2, -1]], np.int64), axis=-1, const_idx=True),
])


@GATHER_ELEMENTS.param()
def test_gather_elements(case, ops) -> None:
    ops.check(case, GATHER_ELEMENTS)


def test_gather_elements_out_of_range_index_fails_at_run_time(tmp_path) -> None:
    m = model([node("GatherElements", ["x", "i"], ["y"])], {"x": (3, 2), "i": (1, 2)}, ["y"], opset=13,
              input_types={"i": I64})
    save(m, tmp_path)
    np.savez(tmp_path / "in.npz", x=np.zeros((3, 2), np.float32), i=np.array([[0, 3]], np.int64))
    assert main(["run", str(tmp_path / "model.onnx"), "--input", str(tmp_path / "in.npz"),
                 "--output", str(tmp_path / "out.npz")]) != 0
