"""Small seed models for the fuzzer, built with onnx.helper (each compiles with mlc as it is)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _model(nodes, inputs, outputs, inits=(), opset: int = OPSET) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "seed", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="mlc-fuzz")
    model.ir_version = 8
    return model


def _vi(name: str, shape, elem=TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def _init(name: str, arr) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(arr), name)


def _rng() -> np.random.Generator:
    return np.random.default_rng(7)


def elementwise() -> onnx.ModelProto:
    r = _rng()
    return _model(
        [helper.make_node("Add", ["x", "b"], ["a"], name="add"),
         helper.make_node("Relu", ["a"], ["r"], name="relu"),
         helper.make_node("Mul", ["r", "s"], ["m"], name="mul"),
         helper.make_node("Sigmoid", ["m"], ["y"], name="sig")],
        [_vi("x", [1, 4])], [_vi("y", [1, 4])],
        [_init("b", r.standard_normal((1, 4)).astype(np.float32)), _init("s", np.float32([2.0]))])


def conv_net() -> onnx.ModelProto:
    r = _rng()
    return _model(
        [helper.make_node("Conv", ["x", "w", "bias"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                          strides=[1, 1]),
         helper.make_node("Relu", ["c"], ["cr"], name="relu"),
         helper.make_node("MaxPool", ["cr"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Flatten", ["p"], ["f"], name="flat", axis=1),
         helper.make_node("Gemm", ["f", "fw", "fb"], ["g"], name="fc", transB=1),
         helper.make_node("Softmax", ["g"], ["y"], name="softmax", axis=-1)],
        [_vi("x", [1, 1, 6, 6])], [_vi("y", [1, 3])],
        [_init("w", r.standard_normal((2, 1, 3, 3)).astype(np.float32)),
         _init("bias", np.zeros(2, np.float32)),
         _init("fw", r.standard_normal((3, 18)).astype(np.float32)),
         _init("fb", np.zeros(3, np.float32))])


def shape_chain() -> onnx.ModelProto:
    """Shape -> Gather -> Concat -> Reshape (folded at import), then Transpose and ReduceMean."""
    return _model(
        [helper.make_node("Shape", ["x"], ["sh"], name="shape"),
         helper.make_node("Gather", ["sh", "idx"], ["g"], name="gather", axis=0),
         helper.make_node("Concat", ["g", "minus1"], ["newshape"], name="concat", axis=0),
         helper.make_node("Reshape", ["x", "newshape"], ["r"], name="reshape"),
         helper.make_node("Transpose", ["r"], ["t"], name="transpose", perm=[1, 0]),
         helper.make_node("ReduceMean", ["t"], ["y"], name="mean", axes=[1], keepdims=1)],
        [_vi("x", [2, 3, 4])], [_vi("y", [12, 1])],
        [_init("idx", np.int64([0])), _init("minus1", np.int64([-1]))], opset=13)


def concat_matmul() -> onnx.ModelProto:
    r = _rng()
    return _model(
        [helper.make_node("Constant", [], ["k"], name="const",
                          value=_init("kv", r.standard_normal((1, 3)).astype(np.float32))),
         helper.make_node("Concat", ["x", "k"], ["c"], name="concat", axis=1),
         helper.make_node("MatMul", ["c", "w"], ["m"], name="matmul"),
         helper.make_node("Unsqueeze", ["m", "ax"], ["u"], name="unsq"),
         helper.make_node("Squeeze", ["u", "ax"], ["s"], name="sq"),
         helper.make_node("Tanh", ["s"], ["y"], name="tanh")],
        [_vi("x", [1, 2])], [_vi("y", [1, 5])],
        [_init("w", r.standard_normal((5, 5)).astype(np.float32)), _init("ax", np.int64([0]))])


def pad_pool() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="constant"),
         helper.make_node("AveragePool", ["p"], ["a"], name="avg", kernel_shape=[2], strides=[1]),
         helper.make_node("Clip", ["a", "lo", "hi"], ["c"], name="clip"),
         helper.make_node("GlobalAveragePool", ["c"], ["y"], name="gap")],
        [_vi("x", [1, 2, 5])], [_vi("y", [1, 2, 1])],
        [_init("pads", np.int64([0, 0, 1, 0, 0, 1])), _init("lo", np.float32(0.0)), _init("hi", np.float32(6.0))])


def const_of_shape() -> onnx.ModelProto:
    """ConstantOfShape and Expand fed by constants: folded at import, sized by the constants."""
    return _model(
        [helper.make_node("ConstantOfShape", ["shp"], ["z"], name="cos",
                          value=numpy_helper.from_array(np.float32([0.5]), "v")),
         helper.make_node("Expand", ["one", "shp"], ["e"], name="expand"),
         helper.make_node("Add", ["z", "e"], ["ze"], name="add0"),
         helper.make_node("Add", ["x", "ze"], ["y"], name="add1")],
        [_vi("x", [1, 3])], [_vi("y", ["rows", "cols"])],  # y follows shp (shape inference fills it in)
        [_init("shp", np.int64([2, 3])), _init("one", np.float32([1.0]))])


TINY = {f.__name__: f for f in (elementwise, conv_net, shape_chain, concat_matmul, pad_pool, const_of_shape)}
