"""Every float model of the shared set, its host runner built with AddressSanitizer and
UndefinedBehaviorSanitizer (any report aborts the run), run on its calibration inputs: no report, and
the outputs still match onnxruntime.

The generated Makefile takes extra host flags: `make host HOST_EXTRA_CFLAGS="..."` (the SConstruct:
`scons host=1 host_cflags="..."`). The arena is one malloc'd block, so ASan sees overruns of the arena
and of the inputs, outputs and constants, not of one tensor into its neighbour inside the arena.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from tests.conftest import FLOAT_MODELS, MODELS, assert_close, calibration_inputs, ort_outputs, requires_shared
from toolchain.boards import load_board
from toolchain.build import compile_model, write_project
from toolchain.io_arrays import Batch, records, split_records

SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"

pytestmark = [
    requires_shared(),
    pytest.mark.skipif(shutil.which("make") is None or shutil.which("gcc") is None, reason="needs make and gcc"),
]


@pytest.mark.parametrize("rel", sorted(FLOAT_MODELS))
def test_sanitized_host_run(rel: str, tmp_path) -> None:
    shapes = FLOAT_MODELS[rel]
    c = compile_model(MODELS / rel, shapes or None)
    program = c.program
    assert len(program.inputs) == 1, "calibration data is for single-input models"
    inp = program.inputs[0]
    x = calibration_inputs(rel, tuple(inp.shape))
    project = tmp_path / "project"
    project.mkdir()
    write_project(c, load_board("host"), project)
    proc = subprocess.run(["make", "host", f"HOST_EXTRA_CFLAGS={SANITIZE}"], cwd=project, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    runner = (project / "build" / "mlc_runner").read_bytes()
    assert b"__asan" in runner and b"__ubsan" in runner, "the sanitizer flags did not reach the build"

    (tmp_path / "in.bin").write_bytes(records(Batch(len(x), "stacked", [x])))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    run = subprocess.run([str(project / "build" / "mlc_runner"), str(tmp_path / "in.bin"), str(tmp_path / "out.bin"),
                          str(len(x))], capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0 and "runtime error" not in run.stderr and "Sanitizer" not in run.stderr, \
        f"{rel}: exit {run.returncode}\n{run.stderr[-4000:]}"
    got = split_records((tmp_path / "out.bin").read_bytes(), program.outputs, len(x))
    ref = ort_outputs(MODELS / rel, inp.name, x)
    for t, g, r in zip(program.outputs, got, ref):
        assert np.all(np.isfinite(g)), f"{rel}:{t.name}: non-finite outputs"
        assert_close(g.reshape(r.shape), r, f"{rel}:{t.name}")
