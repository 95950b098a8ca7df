"""Every float model of the shared set, built for the host and run through `mlc run`, matches onnxruntime."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from tests.conftest import FLOAT_MODELS, MODELS, assert_close, calibration_inputs, ort_outputs, requires_shared
from toolchain.cli import main

pytestmark = requires_shared()


def _input(rel: str, shapes: dict[str, list[int]]) -> tuple[str, tuple[int, ...]]:
    m = onnx.load(MODELS / rel)
    inits = {i.name for i in m.graph.initializer}
    inp = next(i for i in m.graph.input if i.name not in inits)
    shape = shapes.get(inp.name) or [d.dim_value for d in inp.type.tensor_type.shape.dim]
    return inp.name, tuple(shape)


@pytest.mark.parametrize("rel", sorted(FLOAT_MODELS))
def test_host_run_matches_onnxruntime(rel: str, tmp_path) -> None:
    shapes = FLOAT_MODELS[rel]
    name, shape = _input(rel, shapes)
    x = calibration_inputs(rel, shape)
    np.save(tmp_path / "in.npy", x)
    argv = ["run", str(MODELS / rel), "--board", "host", "--input", str(tmp_path / "in.npy"),
            "--output", str(tmp_path / "out.npz")]
    for k, v in shapes.items():
        argv += ["--input-shape", f"{k}={','.join(map(str, v))}"]
    assert main(argv) == 0
    got = np.load(tmp_path / "out.npz")
    ref = ort_outputs(MODELS / rel, name, x)
    m = onnx.load(MODELS / rel)
    for out, r in zip(m.graph.output, ref):
        assert_close(got[out.name], r, f"{rel}:{out.name}")
