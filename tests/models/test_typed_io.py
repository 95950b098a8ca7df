"""Inputs and outputs of every boundary type (uint8 pixels, int16 audio, int64 indices, bool masks, uint16)
through the device protocol on the emulated cortex-m4, compared exactly with onnxruntime."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto

from tests.ops.util import model, node, reference, save
from toolchain.cli import main

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")

F, U8, I16, U16 = TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT16, TensorProto.UINT16


def test_every_boundary_type_on_cortex_m4(tmp_path: Path) -> None:
    nodes = [
        node("Cast", ["img"], ["imgf"], to=F), node("Cast", ["pcm"], ["pcmf"], to=F),
        node("ReduceMean", ["imgf"], ["level"], axes=[1, 2, 3], keepdims=0),
        node("Mul", ["pcmf", "k"], ["gain"]),
        node("ArgMax", ["pcm"], ["loudest"], axis=1, keepdims=0),            # int64
        node("Greater", ["img", "t"], ["bright"]),                           # bool
        node("Cast", ["gain"], ["gain16"], to=U16),                          # uint16, saturating
        node("Transpose", ["img"], ["hwc"], perm=[0, 2, 3, 1]),              # uint8 through
    ]
    inits = {"k": np.array(3.0, np.float32), "t": np.array(128, np.uint8)}
    m = model(nodes, {"img": (1, 3, 4, 4), "pcm": (1, 40)}, ["level", "loudest", "bright", "gain16", "hwc"],
              inits, opset=13, input_types={"img": U8, "pcm": I16})
    rng = np.random.default_rng(3)
    feeds = {"img": rng.integers(0, 256, (3, 1, 3, 4, 4)).astype(np.uint8),
             "pcm": rng.integers(-32768, 32768, (3, 1, 40)).astype(np.int16)}
    np.savez(tmp_path / "in.npz", **feeds)
    argv = ["run", str(save(m, tmp_path)), "--board", "cortex-m4", "--input", str(tmp_path / "in.npz"),
            "--output", str(tmp_path / "out.npz")]
    assert main(argv) == 0
    got = np.load(tmp_path / "out.npz")
    # gain16 of a negative gain is undefined in ONNX (onnxruntime wraps, mlc saturates): compared apart
    want = dict(zip(["level", "loudest", "bright", "gain16", "hwc"], reference(m, feeds)))
    for name, dtype in [("loudest", np.int64), ("bright", np.bool_), ("hwc", np.uint8), ("gain16", np.uint16)]:
        assert got[name].dtype == dtype, name
    np.testing.assert_allclose(got["level"], want["level"], rtol=1e-6)
    for name in ("loudest", "bright", "hwc"):
        assert np.array_equal(got[name].astype(np.float64), want[name]), name
    gain = feeds["pcm"].astype(np.float32) * 3.0
    assert np.array_equal(got["gain16"], np.clip(np.trunc(gain), 0, 65535).astype(np.uint16))
