"""Static checks of the int8 kernel sources: integer only, no allocation, strict C99 for host and Cortex-M."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mlc_s8_ctypes as mk  # noqa: E402

FLOAT_BOUNDARY = {"quantize_f32_s8.c", "dequantize_s8_f32.c"}
ARM_TARGETS = {
    "cortex-m4-hard-float": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "cortex-m0": ["-mcpu=cortex-m0", "-mthumb"],
}


def _code(path: Path) -> str:
    """Source text without comments and string literals."""
    text = re.sub(r"/\*.*?\*/", " ", path.read_text(), flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def test_every_kernel_declared_and_one_per_file():
    header = (mk.INCLUDE / "mlc" / "kernels_s8.h").read_text()
    sources = mk.s8_sources()
    assert len(sources) == len(mk.KERNELS)
    for src in sources:
        defined = re.findall(r"^int (mlc_\w+)\(", src.read_text(), flags=re.M)
        assert len(defined) == 1, (src.name, defined)
        assert defined[0] in mk.KERNELS and f"int {defined[0]}(" in header


@pytest.mark.parametrize("src", [p for p in mk.s8_sources() if p.name not in FLOAT_BOUNDARY], ids=lambda p: p.name)
def test_integer_kernels_have_no_float(src):
    code = _code(src)
    assert not re.search(r"\b(float|double|long double|_Float\w*)\b", code), src.name
    assert not re.search(r"\d\.\d*f?\b|\d[eE][-+]?\d", code), f"float literal in {src.name}"
    assert "<math.h>" not in code


@pytest.mark.parametrize("src", [*mk.s8_sources(), mk.INCLUDE / "mlc" / "requant.h"], ids=lambda p: p.name)
def test_no_allocation_or_io(src):
    code = _code(src)
    assert not re.search(r"\b(malloc|calloc|realloc|free|alloca|printf|static\s+int8_t\s+\w+\[)\b", code), src.name


def test_requant_header_is_integer_only():
    code = _code(mk.INCLUDE / "mlc" / "requant.h")
    assert not re.search(r"\b(float|double)\b", code)


def _compile_all(cc, flags, tmp_path):
    """Every int8 kernel, each its own translation unit (objects land in tmp_path)."""
    cmd = [cc, *mk.CFLAGS, "-O2", *flags, "-I", str(mk.INCLUDE), "-I", str(mk.REF_DIR), "-c",
           *[str(s) for s in mk.s8_sources()]]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, " ".join(cmd) + "\n" + res.stderr
    assert len(list(tmp_path.glob("*.o"))) == len(mk.s8_sources())


@pytest.mark.parametrize("opt", ["-O0", "-O3"])
def test_host_gcc_strict(tmp_path, opt):
    _compile_all("gcc", [opt], tmp_path)


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")
@pytest.mark.parametrize("target", sorted(ARM_TARGETS))
def test_arm_none_eabi_strict(tmp_path, target):
    _compile_all("arm-none-eabi-gcc", ARM_TARGETS[target], tmp_path)
