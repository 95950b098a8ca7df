"""Unsupported models are rejected with a ModelError naming every culprit and the reason."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto

from tests.ops.util import compiled_graph, const, model, node
from toolchain.errors import ModelError


def test_unknown_ops_all_listed(tmp_path) -> None:
    nodes = [
        node("Relu", ["x"], ["r"]),
        node("MyOp", ["r"], ["c"], name="custom_1", domain="com.example"),
        node("Sigmoid", ["c"], ["s"]),
        node("NonMaxSuppression", ["boxes", "scores"], ["sel"], name="nms"),
        node("Atan2", ["s", "s"], ["y"], name="bad_2", domain="com.other"),
    ]
    m = model(nodes, {"x": (1, 4), "boxes": (1, 3, 4), "scores": (1, 1, 3)}, ["y", "sel"],
              opset=13, extra_opsets={"com.example": 1, "com.other": 1}, infer=False)
    m.graph.output[0].type.tensor_type.shape.dim.add().dim_value = 1
    m.graph.output[0].type.tensor_type.shape.dim.add().dim_value = 4
    m.graph.output[1].type.tensor_type.elem_type = TensorProto.INT64
    m.graph.output[1].type.tensor_type.shape.dim.add().dim_param = "k"
    m.graph.output[1].type.tensor_type.shape.dim.add().dim_value = 3
    with pytest.raises(ModelError) as info:
        compiled_graph(m, tmp_path)
    msg = str(info.value)
    for name, op in (("custom_1", "MyOp"), ("nms", "NonMaxSuppression"), ("bad_2", "Atan2")):
        assert name in msg and op in msg, msg
    assert "com.example" in msg


def test_unknown_default_domain_op_listed(tmp_path) -> None:
    # (an Einsum of three operands is beyond the import-time rewrite: it stays, unknown)
    nodes = [node("Relu", ["x"], ["r"]), node("Einsum", ["r", "r", "r"], ["e"], name="ein", equation="ij,jk,kl->il"),
             node("Det", ["e"], ["y"], name="det1")]
    m = model(nodes, {"x": (3, 3)}, ["y"], opset=13)
    with pytest.raises(ModelError) as info:
        compiled_graph(m, tmp_path)
    msg = str(info.value)
    assert "'ein' (Einsum)" in msg and "'det1' (Det)" in msg, msg


def test_conv3d_rejected(tmp_path) -> None:
    m = model([node("Conv", ["x", "w"], ["y"], name="c3d")], {"x": (1, 2, 4, 4, 4)}, ["y"],
              {"w": const((3, 2, 2, 2, 2))}, opset=13)
    with pytest.raises(ModelError, match=r"'c3d' \(Conv: 3-D convolution"):
        compiled_graph(m, tmp_path)


def test_conv_3d_rejected(tmp_path) -> None:
    m = model([node("Conv", ["x", "w"], ["y"], name="cw")], {"x": (1, 2, 4, 4, 4)}, ["y"],
              {"w": const((3, 2, 3, 3, 3))}, opset=13)
    with pytest.raises(ModelError, match=r"'cw' \(Conv: 3-D convolution"):
        compiled_graph(m, tmp_path)


def test_several_reasons_in_one_error(tmp_path) -> None:
    nodes = [node("Conv", ["x", "w"], ["c"], name="cw"),
             node("Trilu", ["c", "k"], ["t"], name="tk"),
             node("MaxPool", ["t"], ["y", "idx"], name="mp", kernel_shape=[2, 2, 2], storage_order=1)]
    m = model(nodes, {"x": (1, 2, 4, 4, 4), "k": ()}, ["y", "idx"], {"w": const((3, 2, 1, 1, 1))}, opset=14,
              input_types={"k": TensorProto.INT64})
    with pytest.raises(ModelError) as info:
        compiled_graph(m, tmp_path)
    msg = str(info.value)
    assert "'cw' (Conv: 3-D" in msg and "'tk' (Trilu: k" in msg and "'mp' (MaxPool: storage_order=1" in msg, msg


def test_batchnorm_training_rejected(tmp_path) -> None:
    inits = {k: const((3,), i, 0.5, 1.5) for i, k in enumerate(("s", "b", "m", "v"))}
    m = model([node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"], name="bn", training_mode=1)],
              {"x": (2, 3, 4)}, ["y", "rm", "rv"], inits, opset=15)
    with pytest.raises(ModelError, match=r"'bn' \(BatchNormalization: training mode"):
        compiled_graph(m, tmp_path)


def test_pad_runtime_pads_rejected(tmp_path) -> None:
    m = model([node("Pad", ["x", "p"], ["y"], name="pd")], {"x": (2, 3)}, ["y"], {"p": np.array([1, 1, 1, 1])},
              opset=13)
    m.graph.initializer.pop()
    m.graph.input.add().CopyFrom(__import__("onnx").helper.make_tensor_value_info("p", TensorProto.INT64, [4]))
    with pytest.raises(ModelError, match=r"'pd' \(Pad"):
        compiled_graph(m, tmp_path)


def test_unrepresentable_runtime_tensor_rejected(tmp_path) -> None:
    """float64 (and float16, int8, ...) run-time tensors cannot live in the float32 arena exactly."""
    m = model([node("Add", ["x", "x"], ["y"], name="dadd")], {"x": (2, 3)}, ["y"], opset=13,
              input_types={"x": TensorProto.DOUBLE})
    with pytest.raises(ModelError, match=r"'dadd' \(Add: tensor 'x' is float64 at run time"):
        compiled_graph(m, tmp_path)
    m = model([node("Reshape", ["x", "s"], ["y"], name="r16")], {"x": (2, 3)}, ["y"], {"s": np.array([3, 2])},
              opset=13, input_types={"x": TensorProto.FLOAT16})
    with pytest.raises(ModelError, match=r"'r16' \(Reshape: tensor 'x' is float16 at run time; run-time tensors must be"):
        compiled_graph(m, tmp_path)


def test_dropout_training_mode_rejected(tmp_path) -> None:
    m = model([node("Dropout", ["x", "r", "t"], ["y"], name="drop")], {"x": (2, 3)}, ["y"],
              {"r": np.array(0.5, np.float32), "t": np.array(True)}, opset=13)
    with pytest.raises(ModelError, match=r"'drop' \(Dropout: training_mode=true"):
        compiled_graph(m, tmp_path)
