"""cppcheck on the generated C: model.c of float models of the shared set with the kernels copied into
their projects, and every float reference kernel. The checks and why some are off: docs/static-analysis.md.

model.c holds the weights as initialised arrays; cppcheck's time grows steeply with them (a 1.2 MB
model.c takes minutes), so the models checked here are the ones with model.c under ~200 KB, which
between them use every kind of generated code (conv, depthwise, pooling, gemm, softmax, views, fused
activations). The kernels of the larger models are checked on their own below.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FLOAT_MODELS, MODELS, ROOT, requires_shared
from toolchain.boards import load_board
from toolchain.build import compile_model, write_project

CHECKED_MODELS = ["digits_cnn.onnx", "digits_mlp.onnx", "thirdparty/sine_hello.onnx", "thirdparty/mnist8.onnx",
                  "thirdparty/alibaba_kws.onnx", "thirdparty/alibaba_vww.onnx"]

# Keep in sync with docs/static-analysis.md.
CPPCHECK = ["cppcheck", "--enable=warning,performance,portability", "--std=c99", "--error-exitcode=1", "-q",
            "--inline-suppr", "--suppress=missingIncludeSystem", "--suppress=invalidPointerCast:*model.c"]

pytestmark = pytest.mark.skipif(shutil.which("cppcheck") is None,
                                reason="cppcheck not installed (bash scripts/setup.sh installs it)")


def cppcheck(files: list[Path], includes: list[Path], cwd: Path) -> None:
    cmd = [*CPPCHECK, *(f"-I{i}" for i in includes), *map(str, files)]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and not proc.stderr.strip(), f"cppcheck findings:\n{proc.stderr}{proc.stdout}"


@requires_shared()
@pytest.mark.parametrize("rel", CHECKED_MODELS)
def test_cppcheck_generated_project(rel: str, tmp_path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    write_project(compile_model(MODELS / rel, FLOAT_MODELS[rel] or None), load_board("host"), project)
    kernels = sorted((project / "mlc_runtime" / "kernels").glob("*.c"))
    assert kernels
    cppcheck([project / "model.c", *kernels],
             [project, project / "mlc_runtime" / "include", project / "mlc_runtime" / "kernels"], project)


def test_cppcheck_float_kernels() -> None:
    ref = ROOT / "runtime_c" / "kernels" / "ref"
    kernels = sorted(ref.glob("*_f32.c"))
    assert kernels
    cppcheck(kernels, [ROOT / "runtime_c" / "include", ref], ROOT)
