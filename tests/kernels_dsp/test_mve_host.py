"""The Helium int8 kernels (runtime_c/kernels/mve) off the board: without __ARM_FEATURE_MVE each file is its
portable loop, which host gcc compiles strictly (UBSan) and which must match the reference byte for byte;
the sources compile warning-free for the Cortex-M55 (with the MVE code actually emitted) and for a core
without MVE, stay integer-only and allocation-free, and replace whole reference files. The MVE code itself
is checked on the emulated M55 (test_dsp_qemu.py)."""

from __future__ import annotations

import ctypes as C
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import test_dsp_host as th

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "kernels_s8"))

import mlc_s8_ctypes as mk  # noqa: E402
from mlc_s8_ctypes import p8, p32, pqm  # noqa: E402

MVE_DIR = mk.REPO / "runtime_c" / "kernels" / "mve"
INC = ["-I", str(mk.INCLUDE), "-I", str(MVE_DIR), "-I", str(mk.REF_DIR)]
MVE_SOURCES = sorted(MVE_DIR.glob("*.c"))
MVE_FILES = MVE_SOURCES + sorted(MVE_DIR.glob("*.h"))
M55 = ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"]
_DEF = re.compile(r"^int (mlc_\w+)\(", re.M)


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    return mk.load(mk.build(tmp_path_factory.mktemp("ref_s8")))


@pytest.fixture(scope="module")
def mve(tmp_path_factory):
    out = tmp_path_factory.mktemp("mve_s8") / "libmlc_mve_s8.so"
    cmd = ["gcc", *mk.CFLAGS, "-Wvla", "-O1", "-fPIC", "-shared", *th._ubsan_flags(), *INC, *map(str, MVE_SOURCES),
           "-o", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, " ".join(cmd) + "\n" + res.stderr
    lib = C.CDLL(str(out))
    for name in sorted({fn for src in MVE_SOURCES for fn in _DEF.findall(src.read_text())}):
        ptype, args = mk.KERNELS[name]
        getattr(lib, name).argtypes = [C.POINTER(ptype), *args]
        getattr(lib, name).restype = C.c_int
    return lib


def test_portable_conv2d_matches_ref(ref, mve):
    rng = np.random.default_rng(77)
    done = 0
    while done < 150:
        case = th.conv_case(rng)
        if case is None:
            continue
        done += 1
        want = th.run_conv(ref, *case, scratch_mode="none")
        got = th.run_conv(mve, *case, scratch_mode="aligned")
        assert got[0] == want[0] == mk.MLC_OK
        assert np.array_equal(got[1], want[1])


def test_portable_fc_matches_ref(ref, mve):
    rng = np.random.default_rng(78)
    for _ in range(100):
        m, n, k = int(rng.integers(1, 3)), int(rng.integers(1, 40)), int(rng.integers(0, 300))
        x, w = th.s8(rng, (m, k)), th.s8(rng, (n, k))
        bias, mult, shift = th.random_requant(rng, n, k)
        xzp, yzp = th.random_zp(rng), th.random_zp(rng)
        lo, hi = th.random_clamp(rng, yzp)
        p = mk.FcS8Params(m, n, k, xzp, yzp, lo, hi, int(rng.integers(0, 2)))
        want, got = th.run_fc(ref, p, x, w, bias, mult, shift), th.run_fc(mve, p, x, w, bias, mult, shift)
        assert got[0] == want[0] == mk.MLC_OK
        assert np.array_equal(got[1], want[1])


def test_portable_channel_affine_matches_ref(ref, mve):
    rng = np.random.default_rng(79)
    for _ in range(100):
        outer, ch, inner = int(rng.integers(0, 3)), int(rng.integers(0, 40)), int(rng.integers(0, 9))
        x, w = th.s8(rng, (outer, ch, inner)), th.s8(rng, (ch,))
        bias, mult, shift = th.random_requant(rng, ch, 1)
        if bias is not None:
            bias = th.i32(np.clip(bias, -(1 << 30), 1 << 30))
        xzp, yzp = th.random_zp(rng), th.random_zp(rng)
        lo, hi = th.random_clamp(rng, yzp)
        p = mk.ChannelAffineS8Params(outer, ch, inner, xzp, yzp, lo, hi)
        want, got = th._out(x.size), th._out(x.size)
        assert ref.mlc_channel_affine_s8(p, p8(x), p8(w), p32(bias), pqm(mult, shift), p8(want)) == \
            mve.mlc_channel_affine_s8(p, p8(x), p8(w), p32(bias), pqm(mult, shift), p8(got)) == mk.MLC_OK
        assert np.array_equal(got, want)


def test_one_reference_file_per_file():
    header = (mk.INCLUDE / "mlc" / "kernels_s8.h").read_text()
    assert MVE_SOURCES
    for src in MVE_SOURCES:
        defined = _DEF.findall(src.read_text())
        assert len(defined) == 1 and f"int {defined[0]}(" in header, src.name
        assert set(_DEF.findall((mk.REF_DIR / src.name).read_text())) == set(defined), "replaces a whole ref file"


@pytest.mark.parametrize("src", MVE_FILES, ids=lambda p: p.name)
def test_integer_only_no_allocation(src):
    if "_f32" in src.name:  # the float boundary kernel (QuantizeLinear): float by definition, still no allocation
        assert not re.search(r"\b(malloc|calloc|realloc|free|alloca|printf)\b", th._code(src)), src.name
    else:
        th.test_integer_only_no_allocation(src)


def test_portable_quantize_matches_ref(ref, mve):
    rng = np.random.default_rng(80)
    for _ in range(50):
        n, zp = int(rng.integers(0, 100)), th.random_zp(rng)
        scale = float(np.float32(2.0 ** int(rng.integers(-8, 3)) if rng.random() < 0.5 else rng.uniform(1e-3, 1)))
        x = (rng.integers(-300, 300, n) + rng.choice([0.0, 0.5], n)).astype(np.float32) * np.float32(scale)
        x[rng.random(n) < 0.1] = np.nan
        x[rng.random(n) < 0.05] = np.inf
        p = mk.QuantParams(n, scale, zp)
        want, got = th._out(n), th._out(n)
        xp = x.ctypes.data_as(C.POINTER(C.c_float))
        assert ref.mlc_quantize_f32_s8(p, xp, p8(want)) == mve.mlc_quantize_f32_s8(p, xp, p8(got)) == mk.MLC_OK
        assert np.array_equal(got, want)


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_host_gcc_strict(tmp_path, opt):
    cmd = ["gcc", *mk.CFLAGS, "-Wvla", opt, *INC, "-c", *map(str, MVE_SOURCES)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")
@pytest.mark.parametrize("cpu,opt", [("cortex-m55", "-O2"), ("cortex-m55", "-O0"), ("cortex-m55", "-Os"),
                                     ("cortex-m4", "-O2")])
def test_arm_strict(tmp_path, cpu, opt):
    """Warning-free for the M55 (the MVE path is what got compiled) and for a core without MVE."""
    flags = M55 if cpu == "cortex-m55" else th.ARM_CPUS[cpu]
    cmd = ["arm-none-eabi-gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-Wvla", opt, *flags, *INC, "-S",
           *map(str, MVE_SOURCES)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    asm = "".join((tmp_path / f"{src.stem}.s").read_text() for src in MVE_SOURCES)
    assert ("vmladava" in asm) == (cpu == "cortex-m55")


def test_portable_add_matches_ref(ref, mve):
    th.test_add_random(ref, mve)  # the DSP tests' random broadcasting cases, in place included
