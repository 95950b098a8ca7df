"""The DSP int8 kernels (runtime_c/kernels/dsp) on the host: their portable path (the same blocked
algorithms, with C twins of the SIMD instructions) compiled with host gcc (strict C99, UBSan) and compared
byte for byte, return codes included, with the reference kernels on seeded random cases, through the ctypes
harness of tests/kernels_s8. Also: the sources compile -Werror for the DSP cores, stay integer-only and
allocation-free, and define the reference's functions one per file."""

from __future__ import annotations

import ctypes as C
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "kernels_s8"))

import mlc_s8_ctypes as mk  # noqa: E402
from mlc_s8_ctypes import p8, p32, pqm  # noqa: E402

from toolchain.build import kernel_parts  # noqa: E402
from toolchain.ops.s8 import CONV_W_OHWI, CONV_W_OIHW, dsp_conv_scratch_bytes  # noqa: E402

DSP_DIR = mk.REPO / "runtime_c" / "kernels" / "dsp"
INC = ["-I", str(mk.INCLUDE), "-I", str(mk.REF_DIR)]  # the DSP kernels share the reference's index_util.h
DSP_SOURCES = sorted(DSP_DIR.glob("*.c"))
DSP_FILES = DSP_SOURCES + sorted(DSP_DIR.glob("*.h"))
ARM_CPUS = {
    "cortex-m4": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "cortex-m7": ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
    "cortex-m33": ["-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"],
}
_DEF = re.compile(r"^int (mlc_\w+)\(", re.M)
_I8 = C.POINTER(C.c_int8)
_I32 = C.POINTER(C.c_int32)


def _ubsan_flags() -> list[str]:
    probe = subprocess.run(["gcc", "-fsanitize=undefined", "-x", "c", "-", "-o", "/dev/null"],
                           input="int main(void){return 0;}", capture_output=True, text=True)
    return ["-fsanitize=undefined", "-fno-sanitize-recover=all"] if probe.returncode == 0 else []


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    return mk.load(mk.build(tmp_path_factory.mktemp("ref_s8")))


@pytest.fixture(scope="module")
def dsp(tmp_path_factory):
    out = tmp_path_factory.mktemp("dsp_s8") / "libmlc_dsp_s8.so"
    cmd = ["gcc", *mk.CFLAGS, "-Wvla", "-O1", "-fPIC", "-shared", *_ubsan_flags(), *INC, "-I", str(DSP_DIR),
           *map(str, DSP_SOURCES), str(HERE / "dsp_shim.c"), "-o", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, " ".join(cmd) + "\n" + res.stderr
    lib = C.CDLL(str(out))
    for name in sorted({fn for src in DSP_SOURCES for fn in _DEF.findall(src.read_text())}):
        ptype, args = mk.KERNELS[name]
        getattr(lib, name).argtypes = [C.POINTER(ptype), *args]
        getattr(lib, name).restype = C.c_int
    lib.mlc_test_dsp_requant_s8.argtypes = [_I32] * 8 + [_I8, _I8, C.c_int32]
    lib.mlc_test_dsp_requant_s8.restype = None
    lib.mlc_test_conv_scratch_bytes.argtypes = [C.POINTER(mk.Conv2dS8Params)]
    lib.mlc_test_conv_scratch_bytes.restype = C.c_int32
    return lib


def i32(a):
    return np.ascontiguousarray(a, dtype=np.int32)


def s8(rng, shape):
    return rng.integers(-128, 128, size=shape).astype(np.int8)


def random_zp(rng) -> int:
    return int(rng.choice([-128, 127, 0, int(rng.integers(-128, 128))]))


def random_clamp(rng, yzp: int) -> tuple[int, int]:
    r = rng.random()
    if r < 0.25:
        lo = int(rng.integers(-128, 128))
        return lo, int(rng.integers(lo, 128))
    return (yzp, 127) if r < 0.4 else (-128, 127)


def random_requant(rng, c: int, taps: int):
    """bias (None sometimes), mult, shift: realistic, per-tensor, left shifts, and biases that force the
    DSP kernels off their prepared requantization."""
    mode = int(rng.integers(0, 8))
    big = mode == 0 and taps < 30000
    brange = (1 << 30) - taps * 32640 if big else 1 << 23
    bias = None if rng.random() < 0.15 else i32(rng.integers(-brange, brange + 1, c))
    mult = i32(rng.integers(1 << 30, 1 << 31, c))
    mult[rng.random(c) < 0.05] = 0
    if mode <= 1:
        shift = rng.integers(-31, 31, c)
    elif mode == 2:
        shift = rng.integers(-2, 4, c)
    else:
        shift = rng.integers(-14, 1, c)
    shift = i32(shift)
    if mode == 3:
        mult[:], shift[:] = mult[0], shift[0]
    return bias, mult, shift


# ------------------------------------------------------------------------------------------- requant

def test_prepared_requant_is_requant_s8(ref, dsp):
    """dsp_util.h's prepared form against requant.h on 2M inputs biased towards rounding ties."""
    rng = np.random.default_rng(7)
    n = 2_000_000
    taps = i32(rng.integers(0, 5000, n))
    shift = i32(np.where(rng.random(n) < 0.5, rng.integers(-31, 31, n), rng.integers(-8, 1, n)))
    mult = i32(rng.integers(1 << 30, 1 << 31, n))
    mult[rng.random(n) < 0.02] = 0
    mult[rng.random(n) < 0.02] = (1 << 31) - 1
    bias = i32(rng.integers(-(1 << 23), 1 << 23, n))
    small = rng.random(n) < 0.5  # near zero, where the ties of small right shifts are frequent
    acc = np.where(small, bias % 4096 - 2048 + rng.integers(-4, 5, n),
                   bias.astype(np.int64) + rng.integers(-taps, taps + 1) * rng.integers(0, 32641, n))
    acc = i32(np.clip(acc, -(1 << 31), (1 << 31) - 1))
    zp = i32(rng.integers(-128, 128, n))
    lo = i32(rng.integers(-128, 128, n))
    hi = i32(np.maximum(lo, rng.integers(-128, 128, n)))
    full = rng.random(n) < 0.5
    lo[full], hi[full] = -128, 127
    want = np.zeros(n, np.int8)
    got = np.zeros(n, np.int8)
    fast = np.zeros(n, np.int8)
    ref.mlc_test_requant_s8(p32(acc), p32(mult), p32(shift), p32(zp), p32(lo), p32(hi), p8(want), n)
    dsp.mlc_test_dsp_requant_s8(p32(acc), p32(mult), p32(shift), p32(zp), p32(lo), p32(hi), p32(bias), p32(taps),
                                p8(got), p8(fast), n)
    assert fast.mean() > 0.5  # the prepared form is what runs
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(int(acc[i]), int(mult[i]), int(shift[i]), int(zp[i]), int(want[i]), int(got[i]))
                           for i in bad[:5]]


# ---------------------------------------------------------------------------------------------- conv

def conv_case(rng):
    """Random mlc_conv2d_s8 parameters and data, spread over the DSP kernel's paths."""
    kind = int(rng.integers(0, 9))
    w3 = False
    k = [int(rng.integers(1, 5)), int(rng.integers(1, 5))]
    stride = [int(rng.integers(2, 4)) if rng.random() < 0.3 else 1 for _ in range(2)]
    dil = [int(rng.integers(2, 4)) if rng.random() < 0.15 else 1 for _ in range(2)]
    n, h, w, groups = (2 if rng.random() < 0.15 else 1), int(rng.integers(1, 13)), int(rng.integers(1, 13)), 1
    if kind <= 1:  # depthwise 3x3 (narrow, wide and wider than the ring)
        c_in = c_out = groups = int(rng.integers(1, 9))
        k, dil, stride[1] = [3, 3], [1, 1], 2 if rng.random() < 0.3 else 1
        w = int(rng.integers(120, 151)) if rng.random() < 0.15 else int(rng.integers(1, 31))
        h = int(rng.integers(1, 11))
        if rng.random() < 0.2:  # planes 3 outputs wide: rows of 3 at stride 1, of 6 at stride 2
            w3, w, h = True, 6 if stride[1] == 2 else 3, int(rng.integers(2, 9))
    elif kind == 2:  # depthwise with any kernel, channel multiplier
        groups = c_in = int(rng.integers(1, 7))
        c_out = c_in * int(rng.integers(1, 3))
    elif kind == 3:
        groups = int(rng.integers(2, 4))
        c_in, c_out = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 6))
    elif kind == 4:  # pointwise
        k, stride = [1, 1], [1, 1]
        c_in, c_out = int(rng.integers(1, 71)), int(rng.integers(1, 71))
    elif kind == 8:  # input channels innermost (OHWI): the ring of input rows, or the reference loop
        c_in, c_out, w = 4 * int(rng.integers(1, 7)), int(rng.integers(1, 41)), int(rng.integers(1, 41))
        if rng.random() < 0.3:  # a few channels: kernel rows of whole blocks of four taps
            c_in = int(rng.integers(1, 4))
            if rng.random() < 0.8:
                dil[1], k[1] = 1, {1: 4, 2: 2 * int(rng.integers(1, 3)), 3: 4}[c_in]
    elif kind == 5:  # 3x3 / stride 1 / pad 1
        k, stride, dil = [3, 3], [1, 1], [1, 1]
        c_in, c_out, h, w = int(rng.integers(1, 21)), int(rng.integers(1, 41)), int(rng.integers(1, 11)), \
            int(rng.integers(1, 17))
    else:
        c_in, c_out = int(rng.integers(1, 13)), int(rng.integers(1, 21))
    if kind == 4:
        pads = [0, 0, 0, 0]
    elif kind == 5:
        pads = [1, 1, 1, 1]
    else:
        pads = [int(v) for v in rng.integers(0, 3, 4)] if rng.random() < 0.7 else [0, 0, 0, 0]
    if w3:  # padding 1 on the left (and, at stride 1, on the right)
        pads[0], pads[1], pads[3] = int(rng.integers(0, 2)), 1, 1 if stride[1] == 1 else int(rng.integers(0, 2))
    if rng.random() < 0.05:
        pads[int(rng.integers(0, 4))] = -1  # legal for the reference: the windows start inside
    ho = (h + pads[0] + pads[2] - dil[0] * (k[0] - 1) - 1) // stride[0] + 1
    wo = (w + pads[1] + pads[3] - dil[1] * (k[1] - 1) - 1) // stride[1] + 1
    if rng.random() < 0.05:
        ho += int(rng.integers(0, 3))  # windows past the input are legal: padding
    if rng.random() < 0.05:
        wo += int(rng.integers(0, 3))
    if ho <= 0 or wo <= 0:
        return None
    taps = c_in // groups * k[0] * k[1]
    x = s8(rng, (n, c_in, h, w))
    wt = s8(rng, (c_out, c_in // groups, *k))
    bias, mult, shift = random_requant(rng, c_out, taps)
    if w3 and rng.random() < 0.7:  # small biases and shifts: most outputs off the int8 limits
        bias, shift = i32(rng.integers(-20000, 20001, c_out)), rng.integers(-13, -6, c_out)
    xzp, yzp = random_zp(rng), random_zp(rng)
    lo, hi = random_clamp(rng, yzp)
    layout = CONV_W_OHWI if kind == 8 or rng.random() < 0.2 else CONV_W_OIHW  # every kernel reads both
    p = mk.Conv2dS8Params(n, c_in, h, w, c_out, ho, wo, k[0], k[1], stride[0], stride[1], dil[0], dil[1], pads[0],
                          pads[1], groups, xzp, yzp, lo, hi, layout)
    return p, x, wt, bias, mult, shift


def run_conv(lib, p, x, wt, bias, mult, shift, scratch_mode="aligned"):
    y = np.full(p.n * p.c_out * p.h_out * p.w_out + 64, 0x5A, np.uint8).view(np.int8)
    geo = {f: getattr(p, f) for f, _ in p._fields_}
    size = dsp_conv_scratch_bytes(geo, p.w_layout) if p.groups > 0 and p.k_h > 0 and p.k_w > 0 else 0
    buf = np.full(size // 4 + 40, 0xA5A5A5A5, np.uint32)  # 4-byte aligned, the scratch + guard
    scr = None
    if scratch_mode == "aligned":
        scr = buf.ctypes.data
    elif scratch_mode == "odd":
        scr = buf.ctypes.data + 2
    rc = lib.mlc_conv2d_s8(p, p8(x), p8(wt), p32(bias), pqm(mult, shift), scr, p8(y))
    guard = buf.view(np.uint8)[size + (2 if scratch_mode == "odd" else 0):]
    assert (guard[:64] == 0xA5).all(), "the kernel wrote past its scratch"
    return rc, y


@pytest.mark.parametrize("seed", range(8))
def test_conv2d_random(ref, dsp, seed):
    rng = np.random.default_rng(1000 + seed)
    done = 0
    while done < 120:
        case = conv_case(rng)
        if case is None:
            continue
        done += 1
        mode = str(rng.choice(["aligned", "aligned", "aligned", "none", "odd"]))
        want = run_conv(ref, *case, scratch_mode="none")
        got = run_conv(dsp, *case, scratch_mode=mode)
        p = case[0]
        assert got[0] == want[0] == mk.MLC_OK
        assert np.array_equal(got[1], want[1]), ({f: getattr(p, f) for f, _ in p._fields_}, mode)


def test_conv_scratch_size_is_the_headers(dsp):
    """ops/s8.dsp_conv_scratch_bytes (what the planner reserves) equals kernels_s8.h's
    mlc_conv2d_s8_scratch_bytes (what the kernel uses) for both weight layouts."""
    rng = np.random.default_rng(11)
    for _ in range(400):
        g = int(rng.integers(1, 3))
        k_h, k_w, s_h, s_w, d_h, d_w = (int(v) for v in rng.integers(1, 4, 6))
        geo = {"n": 1, "c_in": g * int(rng.integers(1, 20)), "h_in": 9, "w_in": 9, "c_out": g,
               "h_out": int(rng.integers(1, 9)), "w_out": int(rng.integers(1, 40)), "k_h": k_h, "k_w": k_w,
               "stride_h": s_h, "stride_w": s_w, "dil_h": d_h, "dil_w": d_w, "pad_top": 1, "pad_left": 1,
               "groups": g, "x_zero_point": 0, "y_zero_point": 0, "act_min": -128, "act_max": 127,
               "w_layout": int(rng.integers(0, 2)), "col_tiles": int(rng.integers(0, 12))}
        if rng.random() < 0.4:  # several tiles' columns at once: 1x1, stride 1, rows as wide as the output's
            geo.update(k_h=1, k_w=1, stride_h=1, stride_w=1, pad_top=0, pad_left=0, w_in=geo["w_out"],
                       h_in=geo["h_out"], c_in=g * 16 * int(rng.integers(1, 4)))
        p = mk.Conv2dS8Params(**geo)
        assert dsp.mlc_test_conv_scratch_bytes(p) == dsp_conv_scratch_bytes(geo, geo["w_layout"]), geo


def test_conv2d_benchmark_shapes(ref, dsp):
    """The layers of benchmarks/dsp_kernels.py, full size."""
    rng = np.random.default_rng(3)
    for c_in, c_out, h, w, k, groups, layout in [(16, 16, 32, 32, 3, 1, 0), (16, 16, 32, 32, 3, 1, 1),
                                                 (64, 64, 12, 12, 1, 1, 0), (64, 64, 25, 5, 3, 64, 0),
                                                 (32, 32, 24, 24, 3, 32, 0)]:
        x, wt = s8(rng, (1, c_in, h, w)), s8(rng, (c_out, c_in // groups, k, k))
        bias, mult, shift = i32(rng.integers(-65536, 65536, c_out)), i32(rng.integers(1 << 30, 1 << 31, c_out)), \
            i32(rng.integers(-10, -6, c_out))
        p = mk.Conv2dS8Params(1, c_in, h, w, c_out, h, w, k, k, 1, 1, 1, 1, k // 2, k // 2, groups, -3, 5, -128, 127,
                              layout)
        assert np.array_equal(run_conv(dsp, p, x, wt, bias, mult, shift)[1],
                              run_conv(ref, p, x, wt, bias, mult, shift, "none")[1])


def test_conv2d_same_refusals(ref, dsp):
    """Every invalid parameter the reference refuses, the DSP kernel refuses, before writing anything."""
    rng = np.random.default_rng(5)
    x, wt = s8(rng, (1, 4, 5, 5)), s8(rng, (4, 4, 3, 3))
    good = dict(n=1, c_in=4, h_in=5, w_in=5, c_out=4, h_out=5, w_out=5, k_h=3, k_w=3, stride_h=1, stride_w=1,
                dil_h=1, dil_w=1, pad_top=1, pad_left=1, groups=1, x_zero_point=0, y_zero_point=0, act_min=-128,
                act_max=127)
    mult, shift = i32([1 << 30] * 4), i32([-3] * 4)
    bad = [dict(groups=0), dict(groups=3), dict(groups=2, c_out=5), dict(stride_h=0), dict(stride_w=-1), dict(dil_h=0),
           dict(dil_w=0), dict(k_h=0), dict(k_w=-2), dict(x_zero_point=128), dict(x_zero_point=-129),
           dict(y_zero_point=200), dict(act_min=5, act_max=4), dict(act_max=128), dict(act_min=-129),
           dict(c_in=4 * 8000, groups=4)]
    for change in bad:
        p = mk.Conv2dS8Params(**{**good, **change})
        assert run_conv(ref, p, x, wt, None, mult, shift, "none")[0] == mk.MLC_EINVAL, change
        rc, y = run_conv(dsp, p, x, wt, None, mult, shift)
        assert rc == mk.MLC_EINVAL and (y.view(np.uint8) == 0x5A).all(), change
    p = mk.Conv2dS8Params(**good)
    for m, s in ((i32([1 << 30, -1, 0, 0]), shift), (mult, i32([0, 0, 31, 0])), (mult, i32([-32, 0, 0, 0]))):
        assert run_conv(ref, p, x, wt, None, m, s, "none")[0] == mk.MLC_EINVAL
        assert run_conv(dsp, p, x, wt, None, m, s)[0] == mk.MLC_EINVAL
    for change in (dict(n=0), dict(h_out=0), dict(c_out=0, c_in=0), dict(h_in=0), dict(c_in=0, c_out=4)):
        p = mk.Conv2dS8Params(**{**good, **change})
        m4 = mult if p.c_out == 4 else mult[:max(p.c_out, 1)]
        want = run_conv(ref, p, x, wt, None, m4, shift, "none")
        got = run_conv(dsp, p, x, wt, None, m4, shift)
        assert got[0] == want[0] and np.array_equal(got[1], want[1]), change


# ------------------------------------------------------------------------------------------------ fc

def run_fc(lib, p, x, w, bias, mult, shift):
    y = np.full(max(p.m * p.n, 0) + 64, 0x5A, np.uint8).view(np.int8)
    return lib.mlc_fc_s8(p, p8(x), p8(w), p32(bias), pqm(mult, shift), p8(y)), y


@pytest.mark.parametrize("seed", range(4))
def test_fc_random(ref, dsp, seed):
    rng = np.random.default_rng(2000 + seed)
    for _ in range(150):
        m = int(rng.integers(2, 4)) if rng.random() < 0.2 else 1
        n = int(rng.integers(1, 13)) if rng.random() < 0.5 else int(rng.integers(1, 81))
        r = rng.random()
        k = int(rng.integers(0, 4)) if r < 0.1 else int(rng.integers(513, 701)) if r < 0.3 else int(rng.integers(1, 301))
        x, w = s8(rng, (m, k)), s8(rng, (n, k))
        bias, mult, shift = random_requant(rng, n, k)
        xzp, yzp = random_zp(rng), random_zp(rng)
        lo, hi = random_clamp(rng, yzp)
        layout = int(rng.integers(0, 2))  # MLC_FC_W_ROWS, MLC_FC_W_ROWS4: both kernels read the bytes alike
        p = mk.FcS8Params(m, n, k, xzp, yzp, lo, hi, layout)
        want, got = run_fc(ref, p, x, w, bias, mult, shift), run_fc(dsp, p, x, w, bias, mult, shift)
        assert got[0] == want[0] == mk.MLC_OK
        assert np.array_equal(got[1], want[1]), (m, n, k, xzp, yzp, lo, hi, layout)


def test_fc_same_refusals(ref, dsp):
    x, w = np.zeros((1, 8), np.int8), np.zeros((2, 8), np.int8)
    mult, shift = i32([1 << 30] * 2), i32([0, 0])
    for args in ((1, 2, 8, 128, 0, -128, 127), (1, 2, 8, 0, -129, -128, 127), (1, 2, 8, 0, 0, 3, 2),
                 (1, 2, 8, 0, 0, -128, 127, 2), (-1, 2, 8, 0, 0, -128, 127), (1, -2, 8, 0, 0, -128, 127), (1, 2, 70000, 0, 0, -128, 127)):
        p = mk.FcS8Params(*args)
        assert run_fc(ref, p, x, w, None, mult, shift)[0] == mk.MLC_EINVAL
        rc, y = run_fc(dsp, p, x, w, None, mult, shift)
        assert rc == mk.MLC_EINVAL and (y.view(np.uint8) == 0x5A).all()
    p = mk.FcS8Params(1, 2, 8, 0, 0, -128, 127)
    for m, s in ((i32([-5, 1]), shift), (mult, i32([0, 31]))):
        assert run_fc(ref, p, x, w, None, m, s)[0] == run_fc(dsp, p, x, w, None, m, s)[0] == mk.MLC_EINVAL


# ------------------------------------------------------------------------------------ pool, mean, add

def _out(n):
    return np.full(max(n, 0) + 64, 0x5A, np.uint8).view(np.int8)


def test_avgpool_random(ref, dsp):
    rng = np.random.default_rng(3000)
    for _ in range(400):
        k = [int(rng.integers(0, 4)), int(rng.integers(0, 5))]
        if rng.random() < 0.4:
            k = [2, 2]
        stride = [int(rng.integers(1, 4)), int(rng.integers(1, 4))] if rng.random() < 0.6 else [2, 2]
        dil = [int(rng.integers(1, 3)), int(rng.integers(1, 3))] if rng.random() < 0.2 else [1, 1]
        pads = [int(v) for v in rng.integers(0, 3, 4)] if rng.random() < 0.5 else [0, 0, 0, 0]
        if rng.random() < 0.05:
            pads[int(rng.integers(0, 4))] = -1
        n, c, h, w = 1 + int(rng.random() < 0.2), int(rng.integers(1, 5)), int(rng.integers(1, 14)), \
            int(rng.integers(1, 40))
        ho = max((h + pads[0] + pads[2] - dil[0] * (max(k[0], 1) - 1) - 1) // stride[0] + 1, 0) + int(rng.integers(0, 2))
        wo = max((w + pads[1] + pads[3] - dil[1] * (max(k[1], 1) - 1) - 1) // stride[1] + 1, 0) + int(rng.integers(0, 2))
        zp = random_zp(rng)
        lo, hi = random_clamp(rng, zp)
        p = mk.Pool2dS8Params(n, c, h, w, ho, wo, k[0], k[1], stride[0], stride[1], dil[0], dil[1], pads[0], pads[1],
                              pads[2], pads[3], int(rng.random() < 0.5), zp, lo, hi)
        x = s8(rng, (n, c, h, w))
        want, got = _out(n * c * ho * wo), _out(n * c * ho * wo)
        assert ref.mlc_avgpool2d_s8(p, p8(x), p8(want)) == dsp.mlc_avgpool2d_s8(p, p8(x), p8(got))
        assert np.array_equal(got, want), {f: getattr(p, f) for f, _ in p._fields_}


def test_mean_random(ref, dsp):
    rng = np.random.default_rng(3001)
    for _ in range(300):
        outer, axis, inner = int(rng.integers(0, 6)), int(rng.integers(0, 300)), int(rng.integers(1, 4))
        if rng.random() < 0.5:
            inner = 1
        if rng.random() < 0.02:
            outer, axis, inner = 1, (1 << 23) - 1, 1  # the longest axis the kernel accepts
        x = s8(rng, (outer, axis, inner))
        if axis > 10000:
            x[:] = -128 if rng.random() < 0.5 else 127
        xzp, yzp = random_zp(rng), random_zp(rng)
        lo, hi = random_clamp(rng, yzp)
        _, mult, shift = random_requant(rng, 1, 1)
        p = mk.MeanS8Params(outer, axis, inner, xzp, yzp, int(mult[0]), int(shift[0]), lo, hi)
        want, got = _out(outer * inner), _out(outer * inner)
        assert ref.mlc_mean_s8(p, p8(x), p8(want)) == dsp.mlc_mean_s8(p, p8(x), p8(got))
        assert np.array_equal(got, want), {f: getattr(p, f) for f, _ in p._fields_}
    for bad in (dict(axis=1 << 23), dict(outer=-1), dict(shift=31), dict(mult=-1), dict(x_zero_point=128)):
        args = {**dict(outer=1, axis=4, inner=1, x_zero_point=0, y_zero_point=0, mult=1 << 30, shift=0, act_min=-128,
                       act_max=127), **bad}
        p = mk.MeanS8Params(**args)
        x = np.zeros(8, np.int8)
        assert ref.mlc_mean_s8(p, p8(x), p8(_out(1))) == dsp.mlc_mean_s8(p, p8(x), p8(_out(1))) == mk.MLC_EINVAL


def test_add_random(ref, dsp):
    rng = np.random.default_rng(3002)
    for _ in range(300):
        rank = int(rng.integers(0, 5))
        shape = [int(v) for v in rng.integers(1, 7, rank)]
        a_shape = [d if rng.random() < 0.7 else 1 for d in shape]
        b_shape = [d if rng.random() < 0.7 else 1 for d in shape][int(rng.integers(0, rank + 1)):]
        a, b = s8(rng, a_shape), s8(rng, b_shape)
        ls = 20 if rng.random() < 0.6 else int(rng.integers(0, 23))
        mode = rng.random()
        mults = i32(rng.integers(1 << 30, 1 << 31, 3))
        # the input multipliers are below 1 (add_params: s_a / (2 max(s_a, s_b))), else a' + b' overflows
        shifts = i32(rng.integers(-3, 1, 3) if mode < 0.6 else rng.integers(-31, 1, 3))
        shifts[2] = -int(rng.integers(ls, ls + 8)) if mode < 0.6 else int(rng.integers(-31, 31))
        zps = [random_zp(rng) for _ in range(3)]
        lo, hi = random_clamp(rng, zps[2])
        p = mk.BinaryS8Params(rank, mk.dims(shape), mk.dims(mk.bcast_strides(a_shape, shape)),
                              mk.dims(mk.bcast_strides(b_shape, shape)), zps[0], zps[1], zps[2], ls, int(mults[0]),
                              int(shifts[0]), int(mults[1]), int(shifts[1]), int(mults[2]), int(shifts[2]), lo, hi)
        size = int(np.prod(shape)) if rank else 1
        want, got = _out(size), _out(size)
        assert ref.mlc_add_s8(p, p8(a), p8(b), p8(want)) == dsp.mlc_add_s8(p, p8(a), p8(b), p8(got)) == mk.MLC_OK
        assert np.array_equal(got, want), (shape, a_shape, b_shape, ls, mults, shifts, zps, lo, hi)
    # in place: y is a
    a, b = s8(rng, (100,)), s8(rng, (100,))
    p = mk.BinaryS8Params(1, mk.dims([100]), mk.dims([1]), mk.dims([1]), 3, -2, 1, 20, 1 << 30, 0, 3 << 29, -1,
                          1 << 30, -20, -128, 127)
    want = _out(100)
    ref.mlc_add_s8(p, p8(a), p8(b), p8(want))
    dsp.mlc_add_s8(p, p8(a), p8(b), p8(a))
    assert np.array_equal(a, want[:100])


def _add_params(rng, shape, a_shape, b_shape, extreme=False):
    ls = 20 if rng.random() < 0.6 else int(rng.integers(0, 23))
    mults = i32(rng.integers(1 << 30, 1 << 31, 3))
    if extreme:
        mults[rng.random(3) < 0.3] = (1 << 31) - 1
        mults[rng.random(3) < 0.1] = 0
    shifts = i32(rng.integers(-3, 1, 3) if rng.random() < 0.6 else rng.integers(-31, 1, 3))
    shifts[2] = -int(rng.integers(ls, ls + 8)) if rng.random() < 0.6 else int(rng.integers(-31, 31))
    if extreme and rng.random() < 0.3:  # left-shifting input multipliers, kept small enough not to overflow a' + b'
        ls = int(rng.integers(0, 4))
        shifts[:2] = rng.integers(0, 6, 2)
    zps = [random_zp(rng) for _ in range(3)]
    lo, hi = random_clamp(rng, zps[2])
    return mk.BinaryS8Params(len(shape), mk.dims(shape), mk.dims(mk.bcast_strides(a_shape, shape)),
                             mk.dims(mk.bcast_strides(b_shape, shape)), zps[0], zps[1], zps[2], ls, int(mults[0]),
                             int(shifts[0]), int(mults[1]), int(shifts[1]), int(mults[2]), int(shifts[2]), lo, hi)


@pytest.mark.parametrize("seed", range(3))
def test_add_table_path(ref, dsp, seed):
    """Tensors big enough for the DSP kernel's tables (and just below), with residual-style broadcasting
    (per-channel or scalar operands, an operand broadcast along the innermost axis) and extreme parameters."""
    rng = np.random.default_rng(3100 + seed)
    for _ in range(120):
        kind = int(rng.integers(0, 5))
        if kind == 0:  # flat, around the table threshold
            shape = [int(rng.integers(1, 1200))]
            a_shape, b_shape = shape, shape
        elif kind == 1:  # [1, C, H, W] + [1, C, 1, 1]
            shape = [1, int(rng.integers(1, 17)), int(rng.integers(1, 17)), int(rng.integers(1, 17))]
            a_shape, b_shape = shape, [1, shape[1], 1, 1]
        elif kind == 2:  # scalar operand, either side
            shape = [int(rng.integers(1, 40)), int(rng.integers(1, 40))]
            a_shape, b_shape = (shape, [1]) if rng.random() < 0.5 else ([1], shape)
        elif kind == 3:  # broadcast along the innermost axis: stride 0 inside the runs
            shape = [int(rng.integers(1, 30)), int(rng.integers(2, 40))]
            a_shape, b_shape = shape, [shape[0], 1]
        else:
            shape = [int(v) for v in rng.integers(1, 12, 3)]
            a_shape = [d if rng.random() < 0.7 else 1 for d in shape]
            b_shape = [d if rng.random() < 0.7 else 1 for d in shape]
        p = _add_params(rng, shape, a_shape, b_shape, extreme=rng.random() < 0.3)
        a, b = s8(rng, a_shape), s8(rng, b_shape)
        size = int(np.prod(shape))
        want, got = _out(size), _out(size)
        assert ref.mlc_add_s8(p, p8(a), p8(b), p8(want)) == dsp.mlc_add_s8(p, p8(a), p8(b), p8(got)) == mk.MLC_OK
        assert np.array_equal(got, want), (shape, a_shape, b_shape, {f: getattr(p, f) for f, _ in p._fields_[4:]})


def test_add_all_byte_pairs(ref, dsp):
    """Every (a, b) byte pair through the table path, for many parameter sets (ties of the requantization)."""
    rng = np.random.default_rng(3200)
    a = np.repeat(np.arange(-128, 128, dtype=np.int8), 256)
    b = np.tile(np.arange(-128, 128, dtype=np.int8), 256)
    for _ in range(40):
        p = _add_params(rng, [65536], [65536], [65536], extreme=rng.random() < 0.3)
        want, got = _out(65536), _out(65536)
        assert ref.mlc_add_s8(p, p8(a), p8(b), p8(want)) == dsp.mlc_add_s8(p, p8(a), p8(b), p8(got)) == mk.MLC_OK
        assert np.array_equal(got, want), {f: getattr(p, f) for f, _ in p._fields_[4:]}


def test_add_same_refusals(ref, dsp):
    good = dict(a_zero_point=0, b_zero_point=0, y_zero_point=0, left_shift=20, a_mult=1 << 30, a_shift=0,
                b_mult=1 << 30, b_shift=0, y_mult=1 << 30, y_shift=-20, act_min=-128, act_max=127)
    a, b = np.zeros(8, np.int8), np.zeros(8, np.int8)
    for bad in (dict(a_zero_point=128), dict(b_zero_point=-129), dict(y_zero_point=128), dict(left_shift=23),
                dict(left_shift=-1), dict(a_mult=-1), dict(b_shift=31), dict(y_shift=-32), dict(act_min=3, act_max=2),
                dict(act_max=128)):
        args = {**good, **bad}
        p = mk.BinaryS8Params(1, mk.dims([8]), mk.dims([1]), mk.dims([1]), *args.values())
        want, got = _out(8), _out(8)
        assert ref.mlc_add_s8(p, p8(a), p8(b), p8(want)) == dsp.mlc_add_s8(p, p8(a), p8(b), p8(got)) == mk.MLC_EINVAL
        assert (got.view(np.uint8) == 0x5A).all(), bad


# ------------------------------------------------------------------------------------- channel affine

def run_affine(lib, p, x, w, bias, mult, shift, y=None):
    if y is None:
        y = _out(p.outer * p.channels * p.inner)
    return lib.mlc_channel_affine_s8(p, p8(x), p8(w), p32(bias), pqm(mult, shift), p8(y)), y


@pytest.mark.parametrize("seed", range(4))
def test_channel_affine_random(ref, dsp, seed):
    rng = np.random.default_rng(4000 + seed)
    for _ in range(200):
        outer, channels = int(rng.integers(0, 4)), int(rng.integers(0, 40))
        r = rng.random()
        inner = 1 if r < 0.3 else int(rng.integers(0, 9)) if r < 0.6 else int(rng.integers(500, 800)) if r < 0.7 \
            else int(rng.integers(9, 120))
        if rng.random() < 0.05:  # around the in-loop checks' 256-channel limit
            outer, channels, inner = 1, int(rng.integers(250, 400)), 1
        if outer * channels * inner > 60000:
            channels = max(1, 60000 // max(outer * inner, 1))
        x, w = s8(rng, (outer, channels, inner)), s8(rng, channels)
        if rng.random() < 0.2:
            w[rng.random(channels) < 0.5] = -128
        bias, mult, shift = random_requant(rng, max(channels, 1), 1)
        if bias is not None and rng.random() < 0.2:
            bias[rng.random(bias.size) < 0.5] = (1 << 30) * int(rng.choice([-1, 1]))
        xzp, yzp = random_zp(rng), random_zp(rng)
        lo, hi = random_clamp(rng, yzp)
        p = mk.ChannelAffineS8Params(outer, channels, inner, xzp, yzp, lo, hi)
        want, got = run_affine(ref, p, x, w, bias, mult, shift), run_affine(dsp, p, x, w, bias, mult, shift)
        assert got[0] == want[0] == mk.MLC_OK
        assert np.array_equal(got[1], want[1]), ({f: getattr(p, f) for f, _ in p._fields_}, mult, shift, bias)


def test_channel_affine_all_bytes(ref, dsp):
    """Every input byte per channel, on both the per-element and the table path."""
    rng = np.random.default_rng(4100)
    for inner in (256, 512, 768):
        for _ in range(20):
            channels = 16
            x = np.tile(np.arange(-128, 128, dtype=np.int8), channels * inner // 256)
            w = s8(rng, channels)
            w[:2] = [-128, 127]
            bias, mult, shift = random_requant(rng, channels, 1)
            xzp, yzp = random_zp(rng), random_zp(rng)
            lo, hi = random_clamp(rng, yzp)
            p = mk.ChannelAffineS8Params(1, channels, inner, xzp, yzp, lo, hi)
            want, got = run_affine(ref, p, x, w, bias, mult, shift), run_affine(dsp, p, x, w, bias, mult, shift)
            assert got[0] == want[0] == mk.MLC_OK
            assert np.array_equal(got[1], want[1]), (inner, xzp, yzp, lo, hi, mult, shift, bias)


def test_channel_affine_in_place_and_refusals(ref, dsp):
    rng = np.random.default_rng(4200)
    for outer, inner in ((2, 1), (1, 1), (2, 5), (1, 600)):
        x, w = s8(rng, (outer, 3, inner)), s8(rng, 3)
        bias, mult, shift = i32([5, -7, 1 << 20]), i32([1 << 30, 3 << 29, (1 << 31) - 1]), i32([-8, -1, -20])
        p = mk.ChannelAffineS8Params(outer, 3, inner, 3, -4, -100, 100)
        want = run_affine(ref, p, x, w, bias, mult, shift)[1]
        y = x.copy()
        assert run_affine(dsp, p, y, w, bias, mult, shift, y.reshape(-1))[0] == mk.MLC_OK
        assert np.array_equal(y.reshape(-1), want[:x.size])
    x, w = np.zeros(8, np.int8), np.ones(2, np.int8)
    mult, shift = i32([1 << 30] * 2), i32([-3, -3])
    for outer, inner in ((1, 4), (1, 1), (0, 1), (3, 1)):  # (1, 1): the checks inside the compute loop
        good = dict(outer=outer, channels=2, inner=inner, x_zero_point=0, y_zero_point=0, act_min=-128, act_max=127)
        for bad in (dict(outer=-1), dict(channels=-1), dict(inner=-1), dict(x_zero_point=128),
                    dict(y_zero_point=-129), dict(act_min=1, act_max=0), dict(act_max=128)):
            p = mk.ChannelAffineS8Params(**{**good, **bad})
            assert run_affine(ref, p, x, w, None, mult, shift)[0] == mk.MLC_EINVAL
            rc, y = run_affine(dsp, p, x, w, None, mult, shift, _out(8))
            assert rc == mk.MLC_EINVAL and (y.view(np.uint8) == 0x5A).all(), bad
        p = mk.ChannelAffineS8Params(**good)
        for b, m, s in ((i32([0, (1 << 30) + 1]), mult, shift), (i32([-(1 << 30) - 1, 0]), mult, shift),
                        (None, i32([1, -1]), shift), (None, mult, i32([31, 0])), (None, mult, i32([0, -32])),
                        (i32([1 << 30, 0]), i32([0, -1]), i32([30, 0])), (None, i32([-1, 1]), i32([5, 0]))):
            assert run_affine(ref, p, x, w, b, m, s)[0] == mk.MLC_EINVAL
            rc, y = run_affine(dsp, p, x, w, b, m, s, _out(8))
            assert rc == mk.MLC_EINVAL and (y.view(np.uint8) == 0x5A).all(), (outer, inner, b, m, s)


# ------------------------------------------------------------------------------------ float boundary

def special_floats(rng, n):
    """Random bit patterns (every class: NaNs of both signs and any payload, infinities, denormals, zeros),
    exact ties at several scales, the saturation edges and uniform values."""
    bits = rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    ties = (rng.integers(-300, 300, n) + 0.5).astype(np.float32)
    edge = rng.choice(np.array([0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, 126.5, 127.5, 128.5, -128.5, -129.5, 255.5,
                                256.0, 256.5, -256.5, 257.0, 1e-45, -1e-45, 1.17e-38, 3.4e38, -3.4e38, np.inf,
                                -np.inf, np.nan, -np.nan, 4194303.5, 8388607.0, 16777216.0], np.float32), n)
    uni = rng.uniform(-300, 300, n).astype(np.float32)
    return np.stack([bits, ties, edge, uni], 1).reshape(-1)[:n].copy()


def test_quantize_bit_exact(ref, dsp):
    rng = np.random.default_rng(5000)
    scales = [1.0, 0.5, 2.0, 0.25, 2.0 ** -7, 3.0, 0.1, 1e-38, 1e-45, 3e38, np.inf] + list(rng.uniform(1e-4, 10, 20))
    for scale in scales:
        for zp in (-128, -1, 0, 3, 127, int(rng.integers(-128, 128))):
            n = int(rng.integers(0, 4000))
            x = special_floats(rng, n)
            if scale not in (1.0, np.inf):  # ties and edges of v = x / scale, not of x
                with np.errstate(over="ignore", invalid="ignore"):
                    x[rng.random(n) < 0.3] *= np.float32(scale)
            p = mk.QuantParams(n, float(np.float32(scale)), zp)
            want, got = _out(n), _out(n)
            assert ref.mlc_quantize_f32_s8(p, mk.pf(x), p8(want)) == mk.MLC_OK
            assert dsp.mlc_quantize_f32_s8(p, mk.pf(x), p8(got)) == mk.MLC_OK
            bad = np.flatnonzero(got != want)
            assert bad.size == 0, (scale, zp, [(float(x[i]), int(want[i]), int(got[i])) for i in bad[:5]])
    x = np.zeros(4, np.float32)
    for n, scale, zp in ((-1, 1.0, 0), (4, 0.0, 0), (4, -1.0, 0), (4, float("nan"), 0), (4, -0.0, 0), (4, 1.0, 128),
                         (4, 1.0, -129)):
        p = mk.QuantParams(n, scale, zp)
        want, got = _out(4), _out(4)
        assert ref.mlc_quantize_f32_s8(p, mk.pf(x), p8(want)) == mk.MLC_EINVAL
        assert dsp.mlc_quantize_f32_s8(p, mk.pf(x), p8(got)) == mk.MLC_EINVAL
        assert (got.view(np.uint8) == 0x5A).all()


def test_dequantize_bit_exact(ref, dsp):
    rng = np.random.default_rng(5100)
    scales = [1.0, 0.1, 2.0 ** -7, 1e-45, 3.4e38, np.inf, -0.5, 0.0, np.nan] + list(special_floats(rng, 30))
    for scale in scales:
        for zp in (-128, 0, 127, int(rng.integers(-128, 128))):
            n = int(rng.integers(0, 300))
            x = s8(rng, n)
            p = mk.QuantParams(n, float(scale), zp)
            want = np.full(n + 16, 0x5A5A5A5A, np.uint32).view(np.float32)
            got = want.copy()
            assert ref.mlc_dequantize_s8_f32(p, p8(x), mk.pf(want)) == dsp.mlc_dequantize_s8_f32(p, p8(x), mk.pf(got))
            assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), (scale, zp, n)
    x = np.zeros(4, np.int8)
    for n, zp in ((-1, 0), (4, 128), (4, -129)):
        p = mk.QuantParams(n, 1.0, zp)
        got = np.zeros(4, np.float32)
        assert ref.mlc_dequantize_s8_f32(p, p8(x), mk.pf(got)) == dsp.mlc_dequantize_s8_f32(p, p8(x), mk.pf(got)) \
            == mk.MLC_EINVAL


# ------------------------------------------------------------------------------------------- sources

def _code(path: Path) -> str:
    text = re.sub(r"/\*.*?\*/", " ", path.read_text(), flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def test_one_reference_function_per_file():
    """Each DSP kernel file defines one reference function under the reference file's name; its parts
    (toolchain.build.kernel_parts: <stem>_*.c, compiled wherever it is) define none."""
    header = (mk.INCLUDE / "mlc" / "kernels_s8.h").read_text()
    ref_dir = mk.REPO / "runtime_c" / "kernels" / "ref"
    parts = {part for src in DSP_SOURCES for part in kernel_parts(src)}
    assert DSP_SOURCES
    for src in DSP_SOURCES:
        defined = _DEF.findall(src.read_text())
        if src in parts:
            assert defined == [], (src.name, defined)
            continue
        assert len(defined) == 1, (src.name, defined)
        assert f"int {defined[0]}(" in header
        assert defined[0] in _DEF.findall((ref_dir / src.name).read_text()), "same file name as the reference"


FLOAT_BOUNDARY = {"quantize_f32_s8.c", "dequantize_s8_f32.c"}  # float in, or float out, by definition


@pytest.mark.parametrize("src", DSP_FILES, ids=lambda p: p.name)
def test_integer_only_no_allocation(src):
    code = _code(src)
    if src.name in FLOAT_BOUNDARY:
        assert not re.search(r"\bdouble\b|\b\d+\.\d*(?![\d.fF])|\b(sqrt|exp|log|pow|lrint|rint|round)f?\s*\(", code), \
            src.name  # single precision only, no double constants or libm
    else:
        assert not re.search(r"\b(float|double|_Float\w*)\b", code), src.name
        assert not re.search(r"\d\.\d*f?\b|\d[eE][-+]?\d", code), src.name
    assert not re.search(r"\b(malloc|calloc|realloc|free|alloca|printf)\b", code), src.name
    assert not re.search(r"^static\s+(?!inline|void|int|uint|const|MLC_)\w+\s+\w+\s*[\[=;]", code, re.M), src.name


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_host_gcc_strict(tmp_path, opt):
    cmd = ["gcc", *mk.CFLAGS, "-Wvla", opt, *INC, "-c", *map(str, DSP_SOURCES)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")
@pytest.mark.parametrize("cpu,opt", [(cpu, "-O2") for cpu in sorted(ARM_CPUS)] + [("cortex-m4", "-O0"),
                                                                                  ("cortex-m4", "-Os")])
def test_arm_strict(tmp_path, cpu, opt):
    """Warning-free for each DSP core, and at -O2 the DSP path is what got compiled."""
    cmd = ["arm-none-eabi-gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-Wvla", opt, *ARM_CPUS[cpu], *INC,
           "-S", *map(str, DSP_SOURCES)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    asm = (tmp_path / "conv2d_s8.s").read_text()
    assert "smlad" in asm and "sxtb16" in asm
