"""Cases ONNX's backend node tests needed: 3-D pooling (separable), Resize cubic and
half_pixel_symmetric, SpaceToDepth mode CRD (opset 28), and a model without run-time inputs."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import numpy_helper

from tests.ops.util import CURRENT, Case, Group, model, node, run_host


def _pool(op: str, tag: str, shape, **attrs) -> Case:
    return Case(f"{op.lower()}_{tag}", model([node(op, ["x"], ["y"], **attrs)], {"x": shape}, ["y"], opset=19))


POOL3D = Group("pool3d", [
    _pool("MaxPool", "default", (1, 2, 4, 5, 6), kernel_shape=[2, 2, 2]),
    _pool("MaxPool", "strides_pads", (2, 1, 5, 5, 5), kernel_shape=[3, 2, 3], strides=[2, 1, 2], pads=[1, 0, 1, 1, 1, 0]),
    _pool("MaxPool", "dilations_ceil", (1, 1, 6, 6, 6), kernel_shape=[2, 2, 2], dilations=[2, 1, 2], ceil_mode=1,
          strides=[2, 2, 2]),
    _pool("AveragePool", "default", (1, 2, 4, 4, 4), kernel_shape=[2, 3, 2]),
    _pool("AveragePool", "pads_exclude", (1, 1, 5, 4, 6), kernel_shape=[3, 3, 3], pads=[1, 1, 1, 1, 1, 1]),
    _pool("AveragePool", "pads_include", (1, 1, 5, 4, 6), kernel_shape=[3, 3, 3], pads=[1, 0, 1, 1, 1, 0],
          count_include_pad=1, strides=[2, 1, 2]),
    _pool("AveragePool", "same_upper", (1, 2, 5, 5, 5), kernel_shape=[2, 2, 2], auto_pad="SAME_UPPER", strides=[2, 2, 2]),
    _pool("LpPool", "p2", (1, 2, 4, 4, 4), kernel_shape=[2, 2, 2]),
    _pool("LpPool", "p3_strides", (1, 1, 5, 5, 5), kernel_shape=[2, 3, 2], strides=[2, 2, 1], p=3),
])


@POOL3D.param()
def test_pool_3d(case, ops) -> None:
    ops.check(case, POOL3D)


def test_maxpool_3d_then_relu_is_fused(ops) -> None:
    m = model([node("MaxPool", ["x"], ["p"], kernel_shape=[2, 2, 2]), node("Relu", ["p"], ["y"])],
              {"x": (1, 2, 3, 4, 5)}, ["y"], opset=13)
    ops.check(Case("maxpool3d_relu", m))


def _resize(tag: str, x_shape, scales=None, sizes=None, opset: int = 19, **attrs) -> Case:
    inits = {"roi": np.zeros(0, np.float32)}
    ins = ["x", "roi"]
    if scales is not None:
        inits["scales"] = np.asarray(scales, np.float32)
        ins.append("scales")
    else:
        inits["scales"] = np.zeros(0, np.float32)
        inits["sizes"] = np.asarray(sizes, np.int64)
        ins += ["scales", "sizes"]
    return Case(tag, model([node("Resize", ins, ["y"], **attrs)], {"x": x_shape}, ["y"], inits, opset=opset))


RESIZE = Group("resize_cubic_symmetric", [
    _resize("cubic_up", (1, 1, 4, 4), scales=[1, 1, 2.0, 2.0], mode="cubic"),
    _resize("cubic_down", (1, 2, 5, 6), scales=[1, 1, 0.8, 0.5], mode="cubic"),
    _resize("cubic_a_exclude", (1, 1, 4, 4), scales=[1, 1, 1.5, 1.5], mode="cubic", cubic_coeff_a=-0.5,
            exclude_outside=1),
    _resize("cubic_align_corners", (1, 1, 3, 4), sizes=[1, 1, 5, 7], mode="cubic",
            coordinate_transformation_mode="align_corners"),
    _resize("cubic_asymmetric", (2, 1, 3, 3), scales=[1, 1, 2.0, 3.0], mode="cubic",
            coordinate_transformation_mode="asymmetric"),
    _resize("cubic_pytorch", (1, 1, 4, 5), sizes=[1, 1, 3, 9], mode="cubic",
            coordinate_transformation_mode="pytorch_half_pixel"),
    _resize("symmetric_linear_up", (1, 1, 4, 4), scales=[1, 1, 2.3, 1.7], mode="linear",
            coordinate_transformation_mode="half_pixel_symmetric"),
    _resize("symmetric_linear_down", (1, 1, 5, 7), scales=[1, 1, 0.45, 0.6], mode="linear",
            coordinate_transformation_mode="half_pixel_symmetric"),
    _resize("symmetric_nearest", (1, 1, 3, 5), scales=[1, 1, 1.7, 1.3], mode="nearest",
            coordinate_transformation_mode="half_pixel_symmetric"),
    _resize("symmetric_cubic", (1, 1, 4, 4), scales=[1, 1, 1.6, 0.7], mode="cubic",
            coordinate_transformation_mode="half_pixel_symmetric"),
])


@RESIZE.param()
def test_resize_cubic_and_half_pixel_symmetric(case, ops) -> None:
    ops.check(case, RESIZE)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_spacetodepth_modes(ops, mode) -> None:
    """mode (opset 28): CRD keeps each channel's block values together, DCR (the default) the block offsets."""
    m = model([node("SpaceToDepth", ["x"], ["y"], blocksize=2, mode=mode)], {"x": (2, 3, 4, 6)}, ["y"], opset=28)
    ops.check(Case(f"spacetodepth_{mode}", m))


def test_model_without_runtime_inputs(tmp_path) -> None:
    """Every value constant: model.c must still compile (strict warnings) and the runner produce the output."""
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    m = model([node("Constant", [], ["c"], value=numpy_helper.from_array(value)),
               node("Identity", ["c"], ["y"])], {}, ["y"], opset=CURRENT)
    got = run_host(m, tmp_path, {})
    np.testing.assert_array_equal(got["y"].reshape(2, 3), value)
