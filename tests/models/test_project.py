"""The generated project stands on its own.

For digits_cnn and the shipped example examples/gesture.onnx: `mlc build --board host -o OUT`, then a
copy of OUT (without build/) builds by itself with SCons, with make and with CMake, and each runner
(`mlc_runner IN.bin OUT.bin K`) writes the same bytes as `mlc run`. Generated files are byte-identical
across two builds, even to another -o path; model.c carries the generated-file banner, compiles for a
Cortex-M4 with -Werror, and neither it nor the runtime kernels allocate memory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MODELS, ROOT
from toolchain.cli import main

CASES = {
    "digits_cnn": (MODELS / "digits_cnn.onnx", lambda: np.load(MODELS / "digits_data.npz")["test_x"][:7]),
    "gesture": (ROOT / "examples" / "gesture.onnx", lambda: np.load(ROOT / "examples" / "gesture_data.npz")["test_x"][:7]),
}
GENERATED = ["model.c", "model.h", "mlc_app_config.h", "manifest.json", "SConstruct", "Makefile", "CMakeLists.txt"]
ARM_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16",
             "-mfloat-abi=hard", "-c"]


def _sh(cmd: list[str], cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


class Built:
    """One model built twice by `mlc build` (to different -o paths) and run once by `mlc run`."""

    def __init__(self, key: str, tmp: Path):
        model, inputs = CASES[key]
        if not model.is_file():
            pytest.skip(f"{model} not found")
        self.tmp = tmp
        self.out = tmp / "first" / "OUT"
        self.other = tmp / "second" / "elsewhere"
        for out in (self.out, self.other):
            assert main(["build", str(model), "--board", "host", "-o", str(out)]) == 0
        self.x = np.ascontiguousarray(inputs(), dtype=np.float32)
        np.save(tmp / "in.npy", self.x)
        assert main(["run", str(model), "--board", "host", "--input", str(tmp / "in.npy"),
                     "--output", str(tmp / "ref.npz")]) == 0
        with np.load(tmp / "ref.npz") as ref:
            self.expected = b"".join(
                b"".join(np.ascontiguousarray(ref[k][i], dtype=np.float32).tobytes() for k in ref.files)
                for i in range(len(self.x)))
        (tmp / "in.bin").write_bytes(self.x.tobytes())

    def fresh_copy(self, name: str) -> Path:
        dst = self.tmp / name
        shutil.copytree(self.out, dst)
        shutil.rmtree(dst / "build", ignore_errors=True)
        assert not (dst / "build").exists()
        return dst

    def check_runner(self, runner: Path, tag: str) -> None:
        assert runner.is_file(), f"{tag}: no runner at {runner}"
        out = self.tmp / f"{tag}.bin"
        _sh([runner, self.tmp / "in.bin", out, len(self.x)])
        got = out.read_bytes()
        assert len(got) == len(self.expected), f"{tag}: {len(got)} bytes, `mlc run` gave {len(self.expected)}"
        assert got == self.expected, f"{tag}: runner output differs from `mlc run`"


_BUILT: dict[str, Built] = {}


@pytest.fixture(scope="module", params=sorted(CASES))
def built(request, tmp_path_factory) -> Built:
    key = request.param
    if key not in _BUILT:
        _BUILT[key] = Built(key, tmp_path_factory.mktemp(key))
    return _BUILT[key]


def test_runner_built_by_mlc(built: Built) -> None:
    built.check_runner(built.out / "build" / "mlc_runner", "mlc")


def test_scons_builds_the_copy(built: Built) -> None:
    proj = built.fresh_copy("scons")
    _sh([sys.executable, "-m", "SCons", "-Q", "-j", "2"], cwd=proj)
    built.check_runner(proj / "build" / "mlc_runner", "scons")


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_builds_the_copy(built: Built) -> None:
    proj = built.fresh_copy("make")
    _sh(["make", "host"], cwd=proj)
    built.check_runner(proj / "build" / "mlc_runner", "make")


@pytest.mark.skipif(shutil.which("cmake") is None, reason="no cmake")
def test_cmake_builds_the_copy(built: Built) -> None:
    proj = built.fresh_copy("cmake")
    bdir = built.tmp / "cmake-build"
    _sh(["cmake", "-S", proj, "-B", bdir])
    _sh(["cmake", "--build", bdir, "-j", "2"])
    built.check_runner(bdir / "mlc_runner", "cmake")


def test_generated_files_are_reproducible(built: Built) -> None:
    def tree(root: Path) -> dict[str, bytes]:
        # Everything but build products (build/, and SCons's database of the build mlc ran).
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and "build" not in p.relative_to(root).parts and not p.name.startswith(".sconsign")}

    a, b = tree(built.out), tree(built.other)
    for name in GENERATED:
        assert name in a, f"{name} not generated"
        assert a[name] == b.get(name), f"{name} differs between two builds of the same model"
    assert sorted(a) == sorted(b)
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, f"differ between builds: {differ}"
    for name in GENERATED:
        text = a[name].decode()
        assert "first" not in text and "elsewhere" not in text, f"{name} mentions the output path"


def test_model_c_has_generated_banner(built: Built) -> None:
    first = (built.out / "model.c").read_text().splitlines()[0]
    assert "Generated by mlc" in first and "Do not edit" in first, first


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="no arm-none-eabi-gcc")
def test_model_c_compiles_for_cortex_m4(built: Built, tmp_path) -> None:
    out = built.out
    inc = ["-I", out, "-I", out / "mlc_runtime" / "include", "-I", out / "mlc_runtime" / "kernels"]
    _sh(["arm-none-eabi-gcc", *ARM_FLAGS, *inc, out / "model.c", "-o", tmp_path / "model.o"])
    for src in sorted((out / "mlc_runtime" / "kernels").glob("*.c")):
        _sh(["arm-none-eabi-gcc", *ARM_FLAGS, *inc, src, "-o", tmp_path / (src.stem + ".o")])


def test_no_dynamic_allocation(built: Built) -> None:
    alloc = re.compile(r"\b(malloc|calloc|realloc|free|alloca)\s*\(")
    files = [built.out / "model.c", *sorted((built.out / "mlc_runtime" / "kernels").glob("*.[ch]"))]
    assert len(files) > 1
    for path in files:
        text = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.S)  # comments may say "no malloc"
        found = alloc.findall(text)
        assert not found, f"{path.relative_to(built.out)} calls {sorted(set(found))}"
