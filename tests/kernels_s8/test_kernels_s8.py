"""Int8 reference kernels (runtime_c/kernels/ref/*_s8.c) against their Python twins
(toolchain/quant/ref_kernels.py): byte-identical on random inputs, and close to float math."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mlc_s8_ctypes as mk  # noqa: E402
from mlc_s8_ctypes import p8, p32, pf, pqm  # noqa: E402

import toolchain.ops.s8 as ops_s8  # noqa: E402
import toolchain.quant.ref_kernels as rk  # noqa: E402
import toolchain.quant.requant as rq  # noqa: E402


def s8(rng, shape, lo=-128, hi=127):
    return rng.integers(lo, hi, size=shape, endpoint=True).astype(np.int8)


def i32(a):
    return np.ascontiguousarray(a, dtype=np.int32)


def out_range(y_float):
    """(scale, zero_point) covering y_float's range (and 0), as a calibration would choose."""
    lo, hi = min(float(y_float.min()), 0.0), max(float(y_float.max()), 0.0)
    scale = max(hi - lo, 1e-6) / 255.0
    zp = int(np.clip(np.rint(-128 - lo / scale), -128, 127))
    return scale, zp


def deq(q, scale, zp):
    return (q.astype(np.float64) - zp) * scale


# ---------------------------------------------------------------------------------------------- conv

def conv_float(x, w, b, stride, dil, pads, groups, out_hw):
    """float64 NCHW convolution of real values (independent of the int path except the window gather)."""
    n, c_in = x.shape[:2]
    c_out, cig, kh, kw = w.shape
    ho, wo = out_hw
    xp = rk._pad_hw(x, pads[0], pads[1], (kh, kw), stride, dil, out_hw, 0.0)
    y = np.zeros((n, c_out, ho, wo))
    cog = c_out // groups
    for oc in range(c_out):
        g = oc // cog
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cig:(g + 1) * cig, i * dil[0]:i * dil[0] + stride[0] * (ho - 1) + 1:stride[0],
                           j * dil[1]:j * dil[1] + stride[1] * (wo - 1) + 1:stride[1]]
                y[:, oc] += np.einsum("nchw,c->nhw", patch, w[oc, :, i, j])
        y[:, oc] += 0.0 if b is None else b[oc]
    return y


def run_conv(lib8, x, w, bias, mult, shift, stride, dil, pads, groups, xzp, yzp, amin, amax, out_hw, layout=0):
    """w: [c_out][cig][kh][kw]; passed to the kernel in `layout` (1: the input channel innermost)."""
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    y = np.zeros((n, c_out, *out_hw), np.int8)
    p = mk.Conv2dS8Params(n, c_in, h, wd, c_out, out_hw[0], out_hw[1], kh, kw, stride[0], stride[1], dil[0], dil[1],
                          pads[0], pads[1], groups, xzp, yzp, amin, amax, layout)
    w = np.ascontiguousarray(w.transpose(0, 2, 3, 1) if layout == 1 else w)
    rc = lib8.mlc_conv2d_s8(p, p8(x), p8(w), p32(bias), pqm(mult, shift), None, p8(y))
    return rc, y


# (n, c_in, h, w, c_out, (kh, kw), stride, dil, pads (t, l, b, r), groups)
CONV_CASES = [
    (1, 3, 8, 8, 4, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 1),
    (2, 4, 7, 9, 6, (3, 2), (2, 1), (1, 1), (0, 1, 2, 0), 1),
    (1, 8, 6, 6, 8, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 8),      # depthwise
    (1, 4, 9, 9, 8, (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), 4),      # depthwise, multiplier 2
    (1, 6, 10, 10, 4, (3, 3), (1, 1), (2, 2), (2, 2, 2, 2), 2),    # grouped, dilated
    (1, 16, 5, 5, 10, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 1),    # pointwise
    (3, 2, 1, 20, 5, (1, 5), (1, 3), (1, 2), (0, 3, 0, 1), 1),     # 1-D as H = 1
    (1, 2, 4, 4, 3, (5, 5), (1, 1), (1, 1), (4, 4, 4, 4), 1),      # padding wider than the input
    (1, 1, 3, 3, 1, (3, 3), (3, 3), (1, 1), (0, 0, 0, 0), 1),
    (1, 32, 4, 4, 5, (3, 3), (1, 1), (1, 1), (1, 0, 1, 0), 1),
    (1, 3, 9, 23, 3, (3, 3), (2, 2), (2, 2), (1, 2, 1, 2), 3),    # depthwise, strided, dilated, wide rows
    (1, 5, 6, 17, 7, (2, 4), (1, 1), (1, 1), (0, 0, 1, 3), 1),    # wide rows: four-output blocks and edges
]


CONV_VARIANTS = ["calibrated", "relu6", "random_requant", "extreme_zp", "ohwi"]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("variant", CONV_VARIANTS)
def test_conv2d_s8(lib8, case, variant):
    n, c_in, h, wd, c_out, (kh, kw), stride, dil, pads, groups = case
    rng = np.random.default_rng(CONV_CASES.index(case) * 10 + CONV_VARIANTS.index(variant))
    out_hw = (rk._out_size(h, kh, stride[0], dil[0], pads[0], pads[2]),
              rk._out_size(wd, kw, stride[1], dil[1], pads[1], pads[3]))
    xzp = {"extreme_zp": -128}.get(variant, int(rng.integers(-128, 128)))
    x_scale = float(rng.uniform(0.005, 0.1))
    x = s8(rng, (n, c_in, h, wd))
    wf = rng.normal(0, 1, (c_out, c_in // groups, kh, kw)) * rng.uniform(0.1, 2, (c_out, 1, 1, 1))
    wq, w_scale = rq.quantize_weights_per_channel(wf, axis=0)
    bias = rq.quantize_bias(rng.normal(0, 0.5, c_out), x_scale, w_scale)
    if variant == "extreme_zp":
        bias = None
    bias_real = None if bias is None else bias * x_scale * w_scale
    yf = conv_float(deq(x, x_scale, xzp), wq * w_scale[:, None, None, None], bias_real, stride, dil, pads, groups,
                    out_hw)
    y_scale, yzp = out_range(yf)
    if variant == "extreme_zp":
        yzp = 127
    mult, shift = rq.quantize_multipliers(x_scale * w_scale / y_scale)
    amin, amax = rq.activation_range(y_scale, yzp, "relu6" if variant == "relu6" else "none")
    if variant == "random_requant":
        mult = i32(rng.integers(2**30, 2**31, c_out))
        shift = i32(rng.integers(-31, 4, c_out))
    kw_args = dict(stride=stride, dilation=dil, pads=pads, groups=groups, x_zero_point=xzp, y_zero_point=yzp,
                   act_min=amin, act_max=amax, out_hw=out_hw)
    want = rk.conv2d_s8(x, wq, bias, mk.qm(mult, shift), **kw_args)
    rc, got = run_conv(lib8, x, wq, bias, mult, shift, stride, dil, pads, groups, xzp, yzp, amin, amax, out_hw,
                       layout=1 if variant == "ohwi" else 0)
    assert rc == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    if variant in ("calibrated", "relu6", "ohwi"):
        ref = np.clip(yf, deq(np.int8(amin), y_scale, yzp), deq(np.int8(amax), y_scale, yzp))
        assert np.max(np.abs(deq(got, y_scale, yzp) - ref)) <= y_scale * 1.0001  # within 1 output step


def test_conv2d_s8_rejects_bad_params(lib8):
    x = np.zeros((1, 2, 3, 3), np.int8)
    w = np.zeros((2, 2, 1, 1), np.int8)
    m, s = i32([2**30, 2**30]), i32([0, 0])
    ok = dict(stride=(1, 1), dil=(1, 1), pads=(0, 0), groups=1, xzp=0, yzp=0, amin=-128, amax=127, out_hw=(3, 3))
    assert run_conv(lib8, x, w, None, m, s, **ok)[0] == mk.MLC_OK
    assert run_conv(lib8, x, w, None, m, s, **ok, layout=2)[0] == mk.MLC_EINVAL
    for bad in (dict(xzp=128), dict(yzp=-129), dict(amin=5, amax=4), dict(amax=128), dict(groups=3),
                dict(stride=(0, 1)), dict(dil=(1, -1))):
        assert run_conv(lib8, x, w, None, m, s, **{**ok, **bad})[0] == mk.MLC_EINVAL, bad
    assert run_conv(lib8, x, w, None, m, i32([0, 31]), **ok)[0] == mk.MLC_EINVAL
    assert run_conv(lib8, x, w, None, i32([2**30, -1]), s, **ok)[0] == mk.MLC_EINVAL


# ------------------------------------------------------------------------------------------------ fc

def run_fc(lib8, x, w, bias, mult, shift, xzp, yzp, amin=-128, amax=127):
    m, k = x.shape
    n = w.shape[0]
    y = np.zeros((m, n), np.int8)
    rc = lib8.mlc_fc_s8(mk.FcS8Params(m, n, k, xzp, yzp, amin, amax), p8(x), p8(w), p32(bias), pqm(mult, shift),
                        p8(y))
    return rc, y


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (1, 64, 10), (3, 17, 5), (8, 256, 32), (2, 1000, 3), (5, 7, 64)])
@pytest.mark.parametrize("variant", ["calibrated", "relu", "per_tensor", "random_requant"])
def test_fc_s8(lib8, m, k, n, variant):
    rng = np.random.default_rng(m * 1000 + k * 10 + n + len(variant))
    x_scale, xzp = float(rng.uniform(0.01, 0.1)), int(rng.integers(-128, 128))
    x = s8(rng, (m, k))
    wf = rng.normal(0, 1, (n, k)) * rng.uniform(0.1, 3, (n, 1))
    if variant == "per_tensor":
        amax = np.abs(wf).max()
        w_scale = np.full(n, amax / 127)
        wq = np.clip(np.rint(wf / w_scale[:, None]), -127, 127).astype(np.int8)
    else:
        wq, w_scale = rq.quantize_weights_per_channel(wf, axis=0)
    bias = rq.quantize_bias(rng.normal(0, 1, n), x_scale, w_scale)
    yf = deq(x, x_scale, xzp) @ (wq * w_scale[:, None]).T + bias * x_scale * w_scale
    y_scale, yzp = out_range(yf)
    mult, shift = rq.quantize_multipliers(x_scale * w_scale / y_scale)
    if variant == "random_requant":
        mult, shift = i32(rng.integers(0, 2**31, n)), i32(rng.integers(-31, 31, n))
    amin, amax = rq.activation_range(y_scale, yzp, "relu" if variant == "relu" else "none")
    want = rk.fc_s8(x, wq, bias, mk.qm(mult, shift), x_zero_point=xzp, y_zero_point=yzp, act_min=amin, act_max=amax)
    rc, got = run_fc(lib8, x, wq, bias, mult, shift, xzp, yzp, amin, amax)
    assert rc == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    if variant != "random_requant":
        ref = np.clip(yf, deq(np.int8(amin), y_scale, yzp), deq(np.int8(amax), y_scale, yzp))
        assert np.max(np.abs(deq(got, y_scale, yzp) - ref)) <= y_scale * 1.0001


@pytest.mark.parametrize("n,k", [(1, 5), (4, 4), (4, 7), (9, 16), (12, 3), (13, 130), (64, 640)])
def test_fc_s8_rows4_layout(lib8, n, k):
    """Weights stored in MLC_FC_W_ROWS4 by the lowering's packing give the row-major product: the Python
    order (ops/s8.fc_weight_order) and the C index (ref/fc_s8_direct.h) describe the same layout."""
    rng = np.random.default_rng(n * 100 + k)
    x, w = s8(rng, (2, k)), s8(rng, (n, k))
    bias = i32(rng.integers(-5000, 5000, n))
    mult, shift = i32(rng.integers(2**30, 2**31, n)), i32(rng.integers(-14, -6, n))
    order = ops_s8.fc_weight_order(n, k, ops_s8.FC_W_ROWS4)
    assert sorted(order.tolist()) == list(range(n * k))
    packed = np.ascontiguousarray(w.reshape(-1)[order])
    y = np.zeros((2, n), np.int8)
    rc = lib8.mlc_fc_s8(mk.FcS8Params(2, n, k, 3, -4, -128, 127, ops_s8.FC_W_ROWS4), p8(x), p8(packed), p32(bias),
                        pqm(mult, shift), p8(y))
    assert rc == mk.MLC_OK
    np.testing.assert_array_equal(y, rk.fc_s8(x, w, bias, mk.qm(mult, shift), x_zero_point=3, y_zero_point=-4))


def test_fc_s8_extremes_and_no_bias(lib8):
    """Largest |x - zp| * |w| everywhere: -128 inputs with zp 127, weights -128 (accepted)."""
    x = np.full((2, 300), -128, np.int8)
    w = np.full((3, 300), -128, np.int8)
    mult, shift = i32([2**31 - 1] * 3), i32([-31, -20, -5])
    want = rk.fc_s8(x, w, None, mk.qm(mult, shift), x_zero_point=127, y_zero_point=-128)
    rc, got = run_fc(lib8, x, w, None, mult, shift, 127, -128)
    assert rc == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    assert run_fc(lib8, np.zeros((1, 65536), np.int8), np.zeros((1, 65536), np.int8), None, mult, shift, 0,
                  0)[0] == mk.MLC_EINVAL


# --------------------------------------------------------------------------------------------- pools

def pool_params(x, k, stride, dil, pads, out_hw, cip=0, zp=0, amin=-128, amax=127):
    n, c, h, w = x.shape
    return mk.Pool2dS8Params(n, c, h, w, out_hw[0], out_hw[1], k[0], k[1], stride[0], stride[1], dil[0], dil[1],
                             pads[0], pads[1], pads[2], pads[3], cip, zp, amin, amax)


# (shape, kernel, stride, dil, pads (t, l, b, r), ceil_mode)
POOL_CASES = [
    ((1, 3, 8, 8), (2, 2), (2, 2), (1, 1), (0, 0, 0, 0), False),
    ((2, 4, 7, 7), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), False),
    ((1, 2, 7, 9), (3, 2), (2, 3), (1, 1), (1, 0, 1, 1), True),
    ((1, 2, 10, 10), (3, 3), (1, 1), (2, 2), (2, 2, 2, 2), False),
    ((1, 5, 1, 16), (1, 4), (1, 4), (1, 1), (0, 0, 0, 0), False),
    ((1, 1, 5, 5), (5, 5), (1, 1), (1, 1), (4, 4, 4, 4), False),
    ((1, 3, 6, 6), (6, 6), (1, 1), (1, 1), (0, 0, 0, 0), False),    # global
    ((2, 2, 9, 8), (2, 3), (3, 2), (1, 2), (1, 2, 0, 1), True),
]


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("clamp", [False, True])
def test_maxpool2d_s8(lib8, case, clamp):
    shape, k, stride, dil, pads, ceil_mode = case
    rng = np.random.default_rng(POOL_CASES.index(case) * 2 + clamp)
    x = s8(rng, shape)
    amin, amax = (-20, 90) if clamp else (-128, 127)
    want = rk.maxpool2d_s8(x, k, stride=stride, dilation=dil, pads=pads, act_min=amin, act_max=amax,
                           ceil_mode=ceil_mode)
    got = np.zeros_like(want)
    rc = lib8.mlc_maxpool2d_s8(pool_params(x, k, stride, dil, pads, want.shape[-2:], amin=amin, amax=amax), p8(x),
                               p8(got))
    assert rc == mk.MLC_OK
    np.testing.assert_array_equal(got, want)


def avgpool_float(xr, k, stride, dil, pads, out_hw, cip):
    """float64 average of real values; padding is real 0 and counts only with count_include_pad."""
    h, w = xr.shape[-2:]
    xp = rk._pad_hw(xr, pads[0], pads[1], k, stride, dil, out_hw, 0.0)
    inside = rk._pad_hw(np.ones((h, w)), pads[0], pads[1], k, stride, dil, out_hw, 0.0)
    padded = np.zeros_like(inside)
    padded[:pads[0] + h + pads[2], :pads[1] + w + pads[3]] = 1
    s = rk._windows(xp, k, stride, dil, out_hw).sum(axis=(-4, -3))
    c = rk._windows(padded if cip else inside, k, stride, dil, out_hw).sum(axis=(-4, -3))
    return s / np.maximum(c, 1)


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("cip", [0, 1])
@pytest.mark.parametrize("zp", [-128, -3, 127])
def test_avgpool2d_s8(lib8, case, cip, zp):
    shape, k, stride, dil, pads, ceil_mode = case
    rng = np.random.default_rng(POOL_CASES.index(case) * 1000 + cip * 300 + zp + 128)
    x = s8(rng, shape)
    want = rk.avgpool2d_s8(x, k, stride=stride, dilation=dil, pads=pads, count_include_pad=bool(cip), zero_point=zp,
                           ceil_mode=ceil_mode)
    got = np.zeros_like(want)
    rc = lib8.mlc_avgpool2d_s8(pool_params(x, k, stride, dil, pads, want.shape[-2:], cip, zp), p8(x), p8(got))
    assert rc == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    scale = 0.05
    ref = avgpool_float(deq(x, scale, zp), k, stride, dil, pads, want.shape[-2:], cip)
    ref = np.clip(ref, deq(np.int8(-128), scale, zp), deq(np.int8(127), scale, zp))
    assert np.max(np.abs(deq(got, scale, zp) - ref)) <= 0.5 * scale + 1e-9  # one rounding of the exact mean


def test_avgpool2d_s8_rounds_ties_away_from_zero(lib8):
    x = np.array([[[[1, 2], [-1, -2]]]], np.int8)  # rows average to 1.5 and -1.5
    want = np.array([[[[2], [-2]]]], np.int8)
    got = np.zeros_like(want)
    assert lib8.mlc_avgpool2d_s8(pool_params(x, (1, 2), (1, 1), (1, 1), (0, 0, 0, 0), (2, 1)), p8(x), p8(got)) == 0
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(rk.avgpool2d_s8(x, (1, 2)), want)


# ---------------------------------------------------------------------------------------------- mean

@pytest.mark.parametrize("outer,axis,inner", [(1, 64, 1), (8, 49, 1), (3, 5, 7), (2, 1, 4), (1, 1000, 2),
                                              (4, 3, 1)])
@pytest.mark.parametrize("same_scale", [True, False])
def test_mean_s8(lib8, outer, axis, inner, same_scale):
    rng = np.random.default_rng(outer * 10000 + axis * 10 + inner + same_scale)
    x = s8(rng, (outer, axis, inner))
    x_scale, xzp = 0.03, int(rng.integers(-128, 128))
    yf = deq(x, x_scale, xzp).mean(axis=1)
    y_scale, yzp = (x_scale, xzp) if same_scale else out_range(yf)
    mult, shift = rq.mean_multiplier(x_scale, y_scale, axis)
    want = rk.mean_s8(x, mult, shift, x_zero_point=xzp, y_zero_point=yzp)
    got = np.zeros((outer, inner), np.int8)
    rc = lib8.mlc_mean_s8(mk.MeanS8Params(outer, axis, inner, xzp, yzp, mult, shift, -128, 127), p8(x), p8(got))
    assert rc == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    ref = np.clip(yf, deq(np.int8(-128), y_scale, yzp), deq(np.int8(127), y_scale, yzp))
    assert np.max(np.abs(deq(got, y_scale, yzp) - ref)) <= y_scale * 1.0001


# ----------------------------------------------------------------------------------------- add / mul

BCAST_CASES = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 3, 4), (3, 4)),
    ((2, 1, 4), (1, 3, 1)),
    ((5,), ()),
    ((), (7,)),
    ((1, 8, 1, 1), (2, 8, 5, 5)),
    ((2, 3, 4, 5, 2, 3), (1, 3, 1, 5, 1, 3)),
    ((3, 1), (1, 4)),
]


def binary_params(a_shape, b_shape, q):
    out = list(np.broadcast_shapes(a_shape, b_shape))
    fields = {k: v for k, v in q.items() if k in dict(mk.BinaryS8Params._fields_)}
    p = mk.BinaryS8Params(rank=len(out), dims=mk.dims(out), a_strides=mk.dims(mk.bcast_strides(a_shape, out)),
                          b_strides=mk.dims(mk.bcast_strides(b_shape, out)), **fields)
    return p, tuple(out)


@pytest.mark.parametrize("shapes", BCAST_CASES)
@pytest.mark.parametrize("op", ["add", "mul"])
@pytest.mark.parametrize("act", ["none", "relu"])
def test_binary_s8(lib8, shapes, op, act):
    a_shape, b_shape = shapes
    rng = np.random.default_rng(BCAST_CASES.index(shapes) * 10 + (op == "add") * 100 + (act == "relu") * 1000)
    a, b = s8(rng, a_shape), s8(rng, b_shape)
    sa, sb = float(rng.uniform(0.01, 0.2)), float(rng.uniform(0.01, 0.2))
    azp, bzp = int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    ra, rb = deq(a, sa, azp), deq(b, sb, bzp)
    yf = ra + rb if op == "add" else ra * rb
    sy, yzp = out_range(yf)
    q = rq.add_params(sa, sb, sy) if op == "add" else rq.mul_params(sa, sb, sy)
    amin, amax = rq.activation_range(sy, yzp, act)
    q.update(a_zero_point=azp, b_zero_point=bzp, y_zero_point=yzp, act_min=amin, act_max=amax)
    want = (rk.add_s8 if op == "add" else rk.mul_s8)(a, b, **q)
    p, out_shape = binary_params(a_shape, b_shape, q)
    got = np.zeros(out_shape, np.int8)
    assert getattr(lib8, f"mlc_{op}_s8")(p, p8(a), p8(b), p8(got)) == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    ref = np.clip(yf, deq(np.int8(amin), sy, yzp), deq(np.int8(amax), sy, yzp))
    assert np.max(np.abs(deq(got, sy, yzp) - ref)) <= sy * 1.0001


@pytest.mark.parametrize("op", ["add", "mul"])
def test_binary_s8_random_multipliers_and_in_place(lib8, op):
    rng = np.random.default_rng(7 + (op == "mul"))
    for _ in range(20):
        shape = tuple(rng.integers(1, 5, rng.integers(1, 5)))
        a, b = s8(rng, shape), s8(rng, shape[1:])
        q = dict(a_zero_point=int(rng.integers(-128, 128)), b_zero_point=int(rng.integers(-128, 128)),
                 y_zero_point=int(rng.integers(-128, 128)), left_shift=int(rng.integers(0, 23)),
                 a_mult=int(rng.integers(2**30, 2**31)), a_shift=int(rng.integers(-31, 1)),
                 b_mult=int(rng.integers(2**30, 2**31)), b_shift=int(rng.integers(-31, 1)),
                 y_mult=int(rng.integers(2**30, 2**31)), y_shift=int(rng.integers(-31, 3)), act_min=-128, act_max=127)
        want = (rk.add_s8 if op == "add" else rk.mul_s8)(a, b, **q)
        p, _ = binary_params(a.shape, b.shape, q)
        assert getattr(lib8, f"mlc_{op}_s8")(p, p8(a), p8(b), p8(a)) == mk.MLC_OK  # y aliases a
        np.testing.assert_array_equal(a, want)


# ------------------------------------------------------------------------------------------- softmax

@pytest.mark.parametrize("outer,axis,inner", [(1, 10, 1), (4, 3, 1), (2, 5, 6), (1, 1, 1), (3, 1000, 1),
                                              (1, 256, 3)])
@pytest.mark.parametrize("x_scale,beta", [(0.1, 1.0), (0.02, 1.0), (0.5, 1.0), (0.1, 2.5), (1 / 16, 1.0)])
def test_softmax_s8(lib8, outer, axis, inner, x_scale, beta):
    rng = np.random.default_rng(outer * 100000 + axis * 10 + inner + int(x_scale * 1000) * 7 + int(beta * 10))
    x = s8(rng, (outer, axis, inner))
    x[0, 0, 0], x[-1, -1, -1] = 127, -128
    table = rq.softmax_table(x_scale, beta)
    want = rk.softmax_s8(x, table)
    got = np.zeros_like(x)
    assert lib8.mlc_softmax_s8(mk.SoftmaxS8Params(outer, axis, inner), p8(x), p32(table), p8(got)) == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    z = beta * x_scale * x.astype(np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    ref = e / e.sum(axis=1, keepdims=True)
    assert np.max(np.abs(deq(got, 1 / 256, -128) - ref)) <= 1.0 / 256 + 1e-6  # 1.0 saturates at 255/256


def test_softmax_s8_rejects_bad_table(lib8):
    x = np.zeros(4, np.int8)
    y = np.zeros(4, np.int8)
    for k, value in ((0, 2**24 + 1), (31, -1), (16, 0)):
        bad = rq.softmax_table(0.1)
        bad[k] = value
        assert lib8.mlc_softmax_s8(mk.SoftmaxS8Params(1, 4, 1), p8(x), p32(bad), p8(y)) == mk.MLC_EINVAL


@pytest.mark.parametrize("x_scale,beta", [(0.1, 1.0), (0.001, 1.0), (0.5, 1.0), (0.03, 2.5)])
def test_softmax_factored_exp_is_within_half_a_q16_step(x_scale, beta):
    """The 2 x 16 Q24 factors give every exp(-beta x_scale d), d < 256, in Q16 within 0.51 of the exact value
    (the product's rounding, plus at most 2^-8 from the factors')."""
    d = np.arange(256)
    exact = 2.0**16 * np.exp(-beta * x_scale * d)
    assert np.max(np.abs(rq.softmax_exp(rq.softmax_table(x_scale, beta), d) - exact)) <= 0.51


def test_softmax_s8_rejects_rows_longer_than_its_sum_allows(lib8):
    n = rq.SOFTMAX_MAX_AXIS + 1
    x, y = np.zeros(n, np.int8), np.zeros(n, np.int8)
    table = rq.softmax_table(0.1)
    assert lib8.mlc_softmax_s8(mk.SoftmaxS8Params(1, n, 1), p8(x), p32(table), p8(y)) == mk.MLC_EINVAL
    assert lib8.mlc_softmax_s8(mk.SoftmaxS8Params(1, n - 1, 1), p8(x), p32(table), p8(y)) == mk.MLC_OK
    assert np.all(y[: n - 1] == rk.softmax_s8(x[: n - 1].reshape(1, -1, 1), table).ravel())


# ----------------------------------------------------------------------------------------------- lut

@pytest.mark.parametrize("fn", ["tanh", "sigmoid"])
@pytest.mark.parametrize("x_scale,xzp", [(0.02, 0), (0.05, -30), (0.1, 100), (1 / 32, -128)])
def test_lut_s8(lib8, fn, x_scale, xzp):
    rng = np.random.default_rng(int(x_scale * 1000) + xzp + 128)
    x = np.concatenate([np.arange(-128, 128), rng.integers(-128, 128, 500)]).astype(np.int8)
    table = rq.tanh_table(x_scale, xzp) if fn == "tanh" else rq.sigmoid_table(x_scale, xzp)
    y_scale, yzp = (1 / 128, 0) if fn == "tanh" else (1 / 256, -128)
    want = rk.lut_s8(x, table)
    got = np.zeros_like(x)
    assert lib8.mlc_lut_s8(mk.LutS8Params(x.size), p8(x), p8(table), p8(got)) == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    xr = deq(x, x_scale, xzp)
    ref = np.tanh(xr) if fn == "tanh" else 1 / (1 + np.exp(-xr))
    ref = np.clip(ref, deq(np.int8(-128), y_scale, yzp), deq(np.int8(127), y_scale, yzp))
    assert np.max(np.abs(deq(got, y_scale, yzp) - ref)) <= 0.5 * y_scale + 1e-9
    y = x.copy()
    assert lib8.mlc_lut_s8(mk.LutS8Params(y.size), p8(y), p8(table), p8(y)) == mk.MLC_OK  # in place
    np.testing.assert_array_equal(y, want)


# ---------------------------------------------------------------------------------------- requantize

@pytest.mark.parametrize("sx,xzp,sy,yzp", [(0.1, 0, 0.1, 5), (0.1, -20, 0.05, 10), (0.02, 127, 0.3, -128),
                                           (0.5, -128, 0.001, 0), (0.01, 3, 0.01, 3),
                                           (0.012745259, -128, 0.03492189, -1), (0.03, 7, 0.05, -9)])
def test_requantize_s8(lib8, sx, xzp, sy, yzp):
    x = np.arange(-128, 128).astype(np.int8)
    mult, shift = rq.quantize_multiplier(sx / sy)
    for amin, amax in ((-128, 127), rq.activation_range(sy, yzp, "relu")):
        want = rk.requantize_s8(x, mult, shift, x_zero_point=xzp, y_zero_point=yzp, act_min=amin, act_max=amax)
        got = np.zeros_like(x)
        p = mk.RequantizeS8Params(x.size, xzp, yzp, mult, shift, amin, amax)
        assert lib8.mlc_requantize_s8(p, p8(x), p8(got)) == mk.MLC_OK
        np.testing.assert_array_equal(got, want)
        ref = np.clip(deq(x, sx, xzp), deq(np.int8(amin), sy, yzp), deq(np.int8(amax), sy, yzp))
        # rounded once: within half a step of the real value (the multiplier's 31 bits leave 1e-6 of a step)
        assert np.max(np.abs(deq(got, sy, yzp) - ref)) <= sy * (0.5 + 1e-6)


def test_requantize_s8_random_multipliers(lib8):
    rng = np.random.default_rng(11)
    x = s8(rng, 4096)
    for _ in range(50):
        q = dict(x_zero_point=int(rng.integers(-128, 128)), y_zero_point=int(rng.integers(-128, 128)),
                 mult=int(rng.integers(0, 2**31)), shift=int(rng.integers(-31, 31)), act_min=-100, act_max=120)
        got = np.zeros_like(x)
        assert lib8.mlc_requantize_s8(mk.RequantizeS8Params(x.size, **q), p8(x), p8(got)) == mk.MLC_OK
        np.testing.assert_array_equal(got, rk.requantize_s8(x, **q))


# ---------------------------------------------------------------------------------------------- pad

def _dims6(v: list[int]):
    return (mk.I32 * 6)(*(list(v) + [0] * (6 - len(v))))


@pytest.mark.parametrize("mode", [0, 1, 2, 3], ids=["constant", "reflect", "edge", "wrap"])
def test_pad_s8(lib8, mode):
    """mlc_pad_s8 (pad_body.h, shared with mlc_pad_f32) equals its Python twin, crops included."""
    rng = np.random.default_rng(21 + mode)
    for _ in range(30):
        rank = int(rng.integers(1, 5))
        in_dims = [int(v) for v in rng.integers(1, 6, rank)]
        begin = [int(v) for v in rng.integers(-1 if mode == 0 else 0, 4, rank)]
        end = [int(v) for v in rng.integers(-1 if mode == 0 else 0, 4, rank)]
        if mode == 1:  # reflect pads stay below the length (onnxruntime's limit)
            begin = [min(b, n - 1) for b, n in zip(begin, in_dims)]
            end = [min(e, n - 1) for e, n in zip(end, in_dims)]
        out_dims = [n + b + e for n, b, e in zip(in_dims, begin, end)]
        if min(out_dims) <= 0:
            continue
        x = s8(rng, int(np.prod(in_dims))).reshape(in_dims)
        value = int(rng.integers(-128, 128))
        got = np.zeros(out_dims, np.int8)
        p = mk.PadParams(mk.PadGeometry(rank, _dims6(in_dims), _dims6(out_dims), _dims6(begin), mode), value)
        assert lib8.mlc_pad_s8(p, p8(x), p8(got)) == mk.MLC_OK
        np.testing.assert_array_equal(got, rk.pad_s8(x, begin, out_dims, mode, value))
    bad = mk.PadParams(mk.PadGeometry(1, _dims6([2]), _dims6([3]), _dims6([1]), 0), 200)
    assert lib8.mlc_pad_s8(bad, p8(np.zeros(2, np.int8)), p8(np.zeros(3, np.int8))) == mk.MLC_EINVAL


# ------------------------------------------------------------------------------ quantize / dequantize

@pytest.mark.parametrize("scale,zp", [(0.1, 0), (0.0371, -17), (1.0, 127), (2.5e-3, -128), (3.0, 5)])
def test_quantize_dequantize(lib8, scale, zp):
    rng = np.random.default_rng(int(scale * 1e4) + zp + 128)
    s32 = np.float32(scale)
    ties = (np.arange(-300, 300) + 0.5).astype(np.float32) * s32  # x / scale lands on or next to .5
    x = np.concatenate([rng.normal(0, 130 * scale, 5000).astype(np.float32), ties,
                        np.array([0, -0.0, np.nan, np.inf, -np.inf, 1e30, -1e30, 3.4e38], np.float32)])
    want = rk.quantize_f32_s8(x, scale, zp)
    got = np.zeros(x.shape, np.int8)
    assert lib8.mlc_quantize_f32_s8(mk.QuantParams(x.size, scale, zp), pf(x), p8(got)) == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    with np.errstate(invalid="ignore", over="ignore"):
        onnx = np.clip(np.rint(x / s32) + zp, -128, 127)  # ONNX QuantizeLinear (round half to even)
    fin = np.isfinite(x)
    np.testing.assert_array_equal(got[fin], onnx[fin].astype(np.int8))
    q = np.arange(-128, 128).astype(np.int8)
    want_f = rk.dequantize_s8_f32(q, scale, zp)
    got_f = np.zeros(q.shape, np.float32)
    assert lib8.mlc_dequantize_s8_f32(mk.QuantParams(q.size, scale, zp), p8(q), pf(got_f)) == mk.MLC_OK
    np.testing.assert_array_equal(got_f.view(np.int32), want_f.view(np.int32))  # bit-identical floats
    np.testing.assert_allclose(got_f, (q.astype(np.float64) - zp) * float(s32), rtol=1e-6)


def test_quantize_rejects_bad_scale(lib8):
    x = np.zeros(3, np.float32)
    y = np.zeros(3, np.int8)
    for scale in (0.0, -1.0, float("nan")):
        assert lib8.mlc_quantize_f32_s8(mk.QuantParams(3, scale, 0), pf(x), p8(y)) == mk.MLC_EINVAL


@pytest.mark.parametrize("perm", [(0, 2, 3, 1), (3, 1, 0, 2), (0, 1, 2, 3)])
def test_copy_s8_transposes(lib8, perm):
    x = np.random.default_rng(sum(perm)).integers(-128, 128, (2, 3, 4, 5)).astype(np.int8)
    dims = [x.shape[p] for p in perm]
    in_strides = [x.strides[p] for p in perm]  # int8: byte strides are element strides
    want = np.ascontiguousarray(np.transpose(x, perm))
    got = np.zeros_like(want)
    p = mk.CopyParams(4, (mk.I32 * 6)(*dims, 0, 0), (mk.I32 * 6)(*in_strides, 0, 0),
                      (mk.I32 * 6)(*[s for s in want.strides], 0, 0), 0, 0)
    assert lib8.mlc_copy_s8(p, p8(x), p8(got)) == mk.MLC_OK
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", range(6))
def test_channel_affine_s8(lib8, seed):
    rng = np.random.default_rng(seed)
    outer, c, inner = int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 17))
    x = rng.integers(-128, 128, (outer, c, inner)).astype(np.int8)
    w = rng.integers(-127, 128, c).astype(np.int8)
    bias = rng.integers(-(1 << 20), 1 << 20, c).astype(np.int32)
    mult, shift = rq.quantize_multipliers(rng.uniform(1e-6, 0.5, c))
    xzp, yzp = int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    lo, hi = sorted(int(v) for v in rng.integers(-128, 128, 2))
    want = rk.channel_affine_s8(x, w, bias, mk.qm(mult, shift), x_zero_point=xzp, y_zero_point=yzp, act_min=lo, act_max=hi)
    p = mk.ChannelAffineS8Params(outer, c, inner, xzp, yzp, lo, hi)
    got = np.zeros_like(x)
    assert lib8.mlc_channel_affine_s8(p, p8(x), p8(w), p32(bias), pqm(mult, shift), p8(got)) == mk.MLC_OK
    np.testing.assert_array_equal(got, want)
    assert lib8.mlc_channel_affine_s8(p, p8(x), p8(w), p32(bias), pqm(mult, shift), p8(x)) == mk.MLC_OK
    np.testing.assert_array_equal(x, want)  # in place
