"""mlc/requant.h (C) against toolchain/quant/requant.py (Python): bit-exact, plus the rounding rule itself."""

import ctypes as C
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mlc_s8_ctypes as mk  # noqa: E402
from mlc_s8_ctypes import p8, p32  # noqa: E402

import toolchain.quant.requant as rq  # noqa: E402

N = 100_000
X_EXTREMES = [rq.INT32_MIN, rq.INT32_MIN + 1, -(2**30), -(2**30) - 1, -65536, -256, -255, -3, -2, -1, 0, 1, 2, 3,
              255, 65536, 2**30, 2**30 + 1, rq.INT32_MAX - 1, rq.INT32_MAX]
M_EXTREMES = [0, 1, 2**30, 2**30 + 1, 1518500250, rq.INT32_MAX - 1, rq.INT32_MAX]


def _c(lib, fn, *arrays, out_dtype=np.int32):
    arrays = [np.ascontiguousarray(a, dtype=np.int32) for a in arrays]
    out = np.zeros(arrays[0].shape, dtype=out_dtype)
    ptr = p8 if out_dtype == np.int8 else p32
    getattr(lib, fn)(*[p32(a) for a in arrays], ptr(out), len(out))
    return out


def _inputs(rng, negative_mult=False):
    """N (x, mult, shift) triples: uniform int32, small accumulators, extremes, and tie-producing pairs."""
    x = rng.integers(rq.INT32_MIN, rq.INT32_MAX, N, endpoint=True, dtype=np.int64)
    x[: N // 4] = rng.integers(-(2**20), 2**20, N // 4)
    x[N // 4: N // 2] = rng.choice(X_EXTREMES, N // 4)
    m = rng.integers(2**30, 2**31, N, dtype=np.int64)
    m[::7] = rng.choice(M_EXTREMES, m[::7].shape)
    m[::11] = 2**30  # x * 2^30 / 2^31 = x / 2: a tie for every odd x
    if negative_mult:
        m[::5] = rng.integers(rq.INT32_MIN, 0, m[::5].shape)
        m[::13] = rq.INT32_MIN
    s = rng.integers(-31, 31, N)
    s[::17] = rng.choice([-31, -1, 0, 1, 30], s[::17].shape)
    return x, m, s


def test_srdhm_and_rdbpot_c_equals_python(lib8):
    rng = np.random.default_rng(1)
    x, m, _ = _inputs(rng, negative_mult=True)
    x[:64] = rq.INT32_MIN
    m[:64] = rq.INT32_MIN  # the one saturating case
    np.testing.assert_array_equal(_c(lib8, "mlc_test_srdhm", x, m), rq.srdhm(x, m))
    e = rng.integers(0, 32, N)
    np.testing.assert_array_equal(_c(lib8, "mlc_test_rdbpot", x, e), rq.rdbpot(x, e))


@pytest.mark.parametrize("negative_mult", [False, True])
def test_requant_c_equals_python_100k(lib8, negative_mult):
    rng = np.random.default_rng(2 + negative_mult)
    x, m, s = _inputs(rng, negative_mult)
    np.testing.assert_array_equal(_c(lib8, "mlc_test_requant", x, m, s), rq.requant(x, m, s))


def test_requant_extreme_grid_c_equals_python(lib8):
    """Every extreme accumulator x every extreme multiplier x every shift in [-31, 30]."""
    g = np.array(np.meshgrid(X_EXTREMES, M_EXTREMES + [-1, rq.INT32_MIN], np.arange(-31, 31), indexing="ij"))
    x, m, s = (a.ravel() for a in g)
    np.testing.assert_array_equal(_c(lib8, "mlc_test_requant", x, m, s), rq.requant(x, m, s))


def test_requant_s8_c_equals_python_100k(lib8):
    rng = np.random.default_rng(4)
    x, m, s = _inputs(rng)
    zp = rng.integers(-128, 128, N)
    lo = rng.integers(-128, 128, N)
    hi = np.minimum(127, lo + rng.integers(0, 256, N))
    lo[::3], hi[::3] = -128, 127
    got = _c(lib8, "mlc_test_requant_s8", x, m, s, zp, lo, hi, out_dtype=np.int8)
    np.testing.assert_array_equal(got, rq.requant_s8(x, m, s, zp, lo, hi))


def test_rounding_rule_as_documented():
    # srdhm: nearest, ties toward +infinity (TFLite's nudge)
    assert rq.srdhm(1, 2**30) == 1 and rq.srdhm(-1, 2**30) == 0
    assert rq.srdhm(3, 2**30) == 2 and rq.srdhm(-3, 2**30) == -1
    assert rq.srdhm(rq.INT32_MIN, rq.INT32_MIN) == rq.INT32_MAX
    assert rq.srdhm(rq.INT32_MAX, rq.INT32_MAX) == rq.INT32_MAX - 1
    # rdbpot: nearest, ties away from zero
    assert [int(rq.rdbpot(v, 1)) for v in (-3, -2, -1, 1, 2, 3)] == [-2, -1, -1, 1, 1, 2]
    assert [int(rq.rdbpot(v, 2)) for v in (-6, -5, 5, 6)] == [-2, -1, 1, 2]
    assert int(rq.rdbpot(rq.INT32_MIN, 31)) == -1 and int(rq.rdbpot(rq.INT32_MAX, 31)) == 1
    # the left shift saturates
    assert rq.requant(rq.INT32_MAX, 2**30, 30) == rq.INT32_MAX // 2 + 1
    assert rq.requant(rq.INT32_MIN, rq.INT32_MAX, 30) == rq.INT32_MIN + 1


def test_requant_close_to_exact():
    """|requant(x) - x * m * 2^(s-31)| <= 1 whenever nothing saturates."""
    rng = np.random.default_rng(5)
    x = rng.integers(-(2**24), 2**24, 20_000)
    m = rng.integers(2**30, 2**31, 20_000)
    s = rng.integers(-31, 1, 20_000)
    exact = np.array([math.ldexp(int(a) * int(b), int(c) - 31) for a, b, c in zip(x, m, s)])
    assert np.max(np.abs(rq.requant(x, m, s) - exact)) <= 1.0


@pytest.mark.parametrize("real", [1e-12, 2.0**-33, 2.0**-32, 1e-6, 0.0123, 0.25, 0.5, 0.7071, 0.999, 1.0, 1.5, 3.9,
                                  255.0, 1e6, 2.0**29])
def test_quantize_multiplier(real):
    m, s = rq.quantize_multiplier(real)
    if real < 2.0**-32:
        assert (m, s) == (0, 0)
        return
    assert 2**30 <= m < 2**31 and -31 <= s <= 30
    assert abs(math.ldexp(m, s - 31) - real) <= real * 2.0**-31


def test_quantize_multiplier_edges():
    assert rq.quantize_multiplier(0.0) == (0, 0)
    assert rq.quantize_multiplier(1.0) == (2**30, 1)
    assert rq.quantize_multiplier(0.5) == (2**30, 0)
    assert rq.quantize_multiplier(1.0 - 2.0**-40) == (2**30, 1)  # q * 2^31 rounds up to 2^31
    assert rq.quantize_multiplier(0.75) == (3 * 2**29, 0)
    for bad in (-1.0, math.inf, math.nan, 2.0**31):
        with pytest.raises(ValueError):
            rq.quantize_multiplier(bad)
    ms, ss = rq.quantize_multipliers([0.5, 0.75, 0.0])
    assert list(ms) == [2**30, 3 * 2**29, 0] and list(ss) == [0, 0, 0]


def test_packed_multipliers_keep_24_bits_and_the_shift():
    """Per channel (mult, shift) is one int32 word: the multiplier rounded to 23 significant bits in bits 31..8,
    the shift in bits 7..0; the rounding moves no factor by more than 2^-23 of itself."""
    rng = np.random.default_rng(5)
    reals = np.concatenate([rng.uniform(1e-9, 2.0, 2000), [0.0, 1.0, 0.5, 1.0 - 2.0**-30, 2.0**-31, 2.0**29]])
    words = rq.quantize_qmult(reals)
    assert words.dtype == np.int32
    m, s = rq.unpack_qmult(words)
    assert np.all(m % 256 == 0) and np.all((m == 0) | ((m >= 2**30) & (m < 2**31))) and np.all(np.abs(s) <= 31)
    nonzero = m > 0
    approx = m[nonzero] * 2.0 ** (s[nonzero] - 31)
    assert np.max(np.abs(approx / reals[nonzero] - 1)) <= 2.0**-23
    assert rq.quantize_qmult([1.0 - 2.0**-30])[0] == (2**30 | 1)  # rounds up to 2^23: 2^30, shift 1
    assert list(rq.pack_qmult([2**30, 3 * 2**29 + 255], [-9, 30])) == [2**30 | 0xF7, 3 * 2**29 | 30]
    with pytest.raises(ValueError):
        rq.pack_qmult([-1], [0])


def test_activation_range():
    assert rq.activation_range(0.1, -5, "none") == (-128, 127)
    assert rq.activation_range(0.1, -5, "relu") == (-5, 127)
    assert rq.activation_range(0.1, -5, "relu6") == (-5, 55)
    assert rq.activation_range(0.01, 0, "relu6") == (0, 127)
    assert rq.activation_range(0.1, 0, "clip", -1.0, 0.25) == (-10, 3)  # 2.5 rounds away from zero


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no host gcc")
def test_requant_free_of_undefined_behaviour(tmp_path):
    """UBSan over every extreme combination (saturating shift, INT32_MIN products, shift 31)."""
    exe = tmp_path / "ubsan_extremes"
    cmd = ["gcc", *mk.CFLAGS, "-O1", "-fsanitize=undefined", "-fno-sanitize-recover=all", "-I", str(mk.INCLUDE),
           str(mk.HERE / "ubsan_extremes.c"), "-o", str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0 and "ubsan" in res.stderr:
        pytest.skip("UBSan runtime not available")
    assert res.returncode == 0, res.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stderr == "", run.stderr


def test_layout_matches_header(lib8):
    n = len(mk.expected_layout())
    got = list((C.c_size_t * n).in_dll(lib8, "mlc_test_layout_s8"))
    assert got == mk.expected_layout()
