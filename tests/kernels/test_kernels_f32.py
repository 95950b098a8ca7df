"""Float32 reference kernels (runtime_c/kernels/ref) against numpy references."""

import ctypes as C
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mlc_kernels_ctypes as mk  # noqa: E402
from mlc_kernels_ctypes import fptr  # noqa: E402

RTOL = 1e-5
ATOL = 1e-6


def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def close(got, want, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(got, np.asarray(want, dtype=np.float64), rtol=rtol, atol=atol, equal_nan=True)


def act(name="IDENTITY", alpha=0.0, beta=0.0):
    return mk.Act(mk.UNARY[name], alpha, beta)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_struct_layout_matches_header(lib):
    n = len(mk.expected_layout())
    got = list((C.c_size_t * n).in_dll(lib, "mlc_test_layout"))
    assert got == mk.expected_layout()


# ----------------------------------------------------------------------------------------------- unary

def _sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _softplus(x):
    return np.logaddexp(0, x)


def _erf(x):
    return np.vectorize(math.erf)(x)


UNARY_CASES = {
    # name: (alpha, beta, domain lo, hi, numpy reference in float64)
    "IDENTITY": (0, 0, -5, 5, lambda x, a, b: x),
    "RELU": (0, 0, -5, 5, lambda x, a, b: np.maximum(x, 0)),
    "CLIP": (-1.5, 2.0, -5, 5, lambda x, a, b: np.minimum(np.maximum(x, a), b)),
    "LEAKY_RELU": (0.1, 0, -5, 5, lambda x, a, b: np.where(x >= 0, x, a * x)),
    "SIGMOID": (0, 0, -20, 20, lambda x, a, b: _sigmoid(x)),
    "TANH": (0, 0, -5, 5, lambda x, a, b: np.tanh(x)),
    "HARD_SIGMOID": (0.2, 0.5, -5, 5, lambda x, a, b: np.clip(a * x + b, 0, 1)),
    # alpha/beta deliberately bogus: HardSwish must ignore them.
    "HARD_SWISH": (7.0, 9.0, -5, 5, lambda x, a, b: x * np.clip(x / 6 + 0.5, 0, 1)),
    "ABS": (0, 0, -5, 5, lambda x, a, b: np.abs(x)),
    "NEG": (0, 0, -5, 5, lambda x, a, b: -x),
    "EXP": (0, 0, -10, 10, lambda x, a, b: np.exp(x)),
    "LOG": (0, 0, 0.01, 100, lambda x, a, b: np.log(x)),
    "SQRT": (0, 0, 0, 100, lambda x, a, b: np.sqrt(x)),
    "RECIPROCAL": (0, 0, 0.1, 10, lambda x, a, b: 1 / x),
    "FLOOR": (0, 0, -5, 5, lambda x, a, b: np.floor(x)),
    "CEIL": (0, 0, -5, 5, lambda x, a, b: np.ceil(x)),
    "ROUND": (0, 0, -5, 5, lambda x, a, b: np.round(x)),
    "SIGN": (0, 0, -5, 5, lambda x, a, b: np.sign(x)),
    "ERF": (0, 0, -3, 3, lambda x, a, b: _erf(x)),
    "SIN": (0, 0, -6, 6, lambda x, a, b: np.sin(x)),
    "COS": (0, 0, -6, 6, lambda x, a, b: np.cos(x)),
    "ELU": (0.7, 0, -5, 5, lambda x, a, b: np.where(x >= 0, x, a * np.expm1(x))),
    "SELU": (1.6732632, 1.0507010, -5, 5, lambda x, a, b: b * np.where(x > 0, x, a * np.expm1(x))),
    "CELU": (1.3, 0, -5, 5, lambda x, a, b: np.maximum(0, x) + np.minimum(0, a * np.expm1(x / a))),
    "GELU": (0, 0, -5, 5, lambda x, a, b: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    "MISH": (0, 0, -10, 10, lambda x, a, b: x * np.tanh(_softplus(x))),
    "SOFTPLUS": (0, 0, -20, 20, lambda x, a, b: _softplus(x)),
    "SOFTSIGN": (0, 0, -5, 5, lambda x, a, b: x / (1 + np.abs(x))),
    "THRESHOLDED_RELU": (1.0, 0, -5, 5, lambda x, a, b: np.where(x > a, x, 0)),
    "TAN": (0, 0, -1.4, 1.4, lambda x, a, b: np.tan(x)),
    "ASIN": (0, 0, -1, 1, lambda x, a, b: np.arcsin(x)),
    "ACOS": (0, 0, -1, 1, lambda x, a, b: np.arccos(x)),
    "ATAN": (0, 0, -5, 5, lambda x, a, b: np.arctan(x)),
    "SINH": (0, 0, -5, 5, lambda x, a, b: np.sinh(x)),
    "COSH": (0, 0, -5, 5, lambda x, a, b: np.cosh(x)),
    "ASINH": (0, 0, -5, 5, lambda x, a, b: np.arcsinh(x)),
    "ACOSH": (0, 0, 1, 10, lambda x, a, b: np.arccosh(x)),
    "ATANH": (0, 0, -0.99, 0.99, lambda x, a, b: np.arctanh(x)),
    "SHRINK": (1.5, 0.5, -5, 5, lambda x, a, b: np.where(x < -a, x + b, np.where(x > a, x - b, 0))),
    "TRUNC": (0, 0, -5, 5, lambda x, a, b: np.trunc(x)),
    "NONZERO": (0, 0, -1, 1, lambda x, a, b: (x != 0).astype(np.float64)),
    "TRUNC_SAT": (0, 255, -300, 600, lambda x, a, b: np.clip(np.trunc(x), a, b)),
}


def run_unary(lib, x, a, inplace=False):
    x = f32(x)
    y = x if inplace else np.empty_like(x)
    assert lib.mlc_unary_f32(C.byref(mk.UnaryParams(x.size, a)), fptr(x), fptr(y)) == mk.MLC_OK
    return y


def test_every_unary_op_has_a_case():
    tested = set(UNARY_CASES) | {"NOT", "ISNAN", "ISINF", "WRAP"}
    assert tested == set(mk.UNARY)


@pytest.mark.parametrize("name", sorted(UNARY_CASES))
def test_unary(lib, rng, name):
    alpha, beta, lo, hi, ref = UNARY_CASES[name]
    x = f32(rng.uniform(lo, hi, size=257))
    x[:3] = [lo, hi, (lo + hi) / 2]
    y = run_unary(lib, x, act(name, alpha, beta))
    a32, b32 = float(np.float32(alpha)), float(np.float32(beta))
    close(y, ref(x.astype(np.float64), a32, b32), rtol=2e-5 if name in ("TAN", "ACOSH") else RTOL)
    # mlc_unary_eval_f32 is the same function applied to one value.
    assert lib.mlc_unary_eval_f32(C.byref(act(name, alpha, beta)), C.c_float(x[5])) == y[5]


@pytest.mark.parametrize("np_type", [np.uint8, np.int16, np.uint16, np.int8])
def test_wrap_keeps_the_low_bits_of_integers_like_a_cast(lib, rng, np_type):
    """Integers of the arena's range (|x| < 2**24) cast to a narrower type: the C/C++ cast ONNX specifies."""
    info = np.iinfo(np_type)
    x = f32(np.concatenate([rng.integers(-(2 ** 24) + 1, 2 ** 24, 500), [info.min, info.max, info.min - 1,
                                                                        info.max + 1, 0, -1, 2 ** 24 - 1]]))
    y = run_unary(lib, x, act("WRAP", float(info.max - info.min + 1), float(info.min)))
    assert np.array_equal(y, x.astype(np.int64).astype(np_type).astype(np.float32))


def test_trunc_sat_of_nan_is_zero(lib):
    assert run_unary(lib, f32([np.nan, -np.inf, np.inf, -0.7]), act("TRUNC_SAT", -32768, 32767)).tolist() == \
        [0, -32768, 32767, 0]


def test_unary_special_values(lib):
    x = f32([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -0.0])
    assert run_unary(lib, x, act("ROUND")).tolist() == [-2, -2, -0, 0, 2, 2, 4, 0]
    big = f32([-1000, -100, -88.8, 0, 88.8, 100, 1000])
    s = run_unary(lib, big, act("SIGMOID"))
    assert np.all(np.isfinite(s))
    close(s, _sigmoid(big.astype(np.float64)))
    close(run_unary(lib, big, act("SOFTPLUS")), _softplus(big.astype(np.float64)))
    close(run_unary(lib, big, act("MISH")), big * np.tanh(_softplus(big.astype(np.float64))))
    gx = f32(np.linspace(-5, 5, 41))
    t = 0.5 * gx * (1 + np.tanh(np.sqrt(2 / np.pi) * (gx + 0.044715 * gx.astype(np.float64) ** 3)))
    close(run_unary(lib, gx, act("GELU", 1.0)), t)
    assert run_unary(lib, f32([0, 1, 0, 1]), act("NOT")).tolist() == [1, 0, 1, 0]
    s = f32([0, np.nan, np.inf, -np.inf, 1, -3])
    assert run_unary(lib, s, act("ISNAN")).tolist() == [0, 1, 0, 0, 0, 0]
    assert run_unary(lib, s, act("ISINF", 1, 1)).tolist() == [0, 0, 1, 1, 0, 0]
    assert run_unary(lib, s, act("ISINF", 1, 0)).tolist() == [0, 0, 1, 0, 0, 0]
    assert run_unary(lib, s, act("ISINF", 0, 1)).tolist() == [0, 0, 0, 1, 0, 0]
    assert run_unary(lib, f32([-2, -0.0, 0, 3]), act("SIGN")).tolist() == [-1, 0, 0, 1]


def test_unary_inplace_and_bad_op(lib, rng):
    x = f32(rng.standard_normal(33))
    want = np.tanh(x.astype(np.float64))
    y = run_unary(lib, x, act("TANH"), inplace=True)
    close(y, want)
    y = np.empty_like(x)
    assert lib.mlc_unary_f32(C.byref(mk.UnaryParams(x.size, mk.Act(99, 0, 0))), fptr(x), fptr(y)) == mk.MLC_EINVAL


# ---------------------------------------------------------------------------------------------- binary

BINARY_REF = {
    "ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "DIV": np.divide, "POW": np.power,
    "MIN": np.minimum, "MAX": np.maximum, "MOD": np.fmod,
    "EQUAL": np.equal, "LESS": np.less, "LESS_EQUAL": np.less_equal, "GREATER": np.greater,
    "GREATER_EQUAL": np.greater_equal,
    "AND": lambda a, b: np.logical_and(a != 0, b != 0), "OR": lambda a, b: np.logical_or(a != 0, b != 0),
    "XOR": lambda a, b: np.logical_xor(a != 0, b != 0), "PRELU": lambda a, b: np.where(a >= 0, a, a * b),
    "MOD_FLOOR": np.mod,
}


def run_binary(lib, op, a, b, a_act=None, out=None):
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    y = np.empty(out_shape, np.float32) if out is None else out
    p = mk.BinaryParams(mk.BINARY[op], len(out_shape), mk.dims(out_shape), mk.dims(mk.bcast_strides(a.shape, out_shape)),
                        mk.dims(mk.bcast_strides(b.shape, out_shape)), a_act or act())
    assert lib.mlc_binary_f32(C.byref(p), fptr(a), fptr(b), fptr(y)) == mk.MLC_OK
    return y


def _binary_operands(rng, op, sa, sb):
    if op in ("AND", "OR", "XOR", "EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL"):
        return f32(rng.integers(0, 2, sa)), f32(rng.integers(0, 2, sb))
    if op == "POW":
        return f32(rng.uniform(0.1, 3, sa)), f32(rng.uniform(-2, 2, sb))
    a = f32(rng.uniform(-5, 5, sa))
    b = f32(rng.uniform(0.5, 3, sb) * rng.choice([-1, 1], sb))
    return a, b


def test_every_binary_op_has_a_reference():
    assert set(BINARY_REF) == set(mk.BINARY)


@pytest.mark.parametrize("op", sorted(mk.BINARY))
@pytest.mark.parametrize("sa,sb", [((2, 3, 4, 5), (2, 3, 4, 5)), ((2, 3, 4, 5), (3, 1, 1)), ((4, 1), (1, 3, 1, 5)),
                                   ((), (3, 2)), ((7,), ())])
def test_binary(lib, rng, op, sa, sb):
    a, b = _binary_operands(rng, op, sa, sb)
    y = run_binary(lib, op, a, b)
    close(y, BINARY_REF[op](a.astype(np.float64), b.astype(np.float64)))


def test_binary_fused_act_and_alias(lib, rng):
    a = f32(rng.standard_normal((2, 8, 3, 3)))
    b = f32(rng.standard_normal((1, 8, 1, 1)))
    want = np.maximum(a.astype(np.float64) + b, 0)
    y = run_binary(lib, "ADD", a, b, act("RELU"), out=a)  # y aliases a
    close(y, want)
    p = mk.BinaryParams(0, 7)
    assert lib.mlc_binary_f32(C.byref(p), fptr(a), fptr(b), fptr(a)) == mk.MLC_EINVAL


def test_where(lib, rng):
    c = f32(rng.integers(0, 2, (3, 1, 5)))
    a = f32(rng.standard_normal((4, 1)))
    b = f32(rng.standard_normal((2, 3, 4, 5)))
    out = np.broadcast_shapes(c.shape, a.shape, b.shape)
    y = np.empty(out, np.float32)
    p = mk.WhereParams(len(out), mk.dims(out), mk.dims(mk.bcast_strides(c.shape, out)),
                       mk.dims(mk.bcast_strides(a.shape, out)), mk.dims(mk.bcast_strides(b.shape, out)))
    assert lib.mlc_where_f32(C.byref(p), fptr(c), fptr(a), fptr(b), fptr(y)) == mk.MLC_OK
    assert np.array_equal(y, np.where(c != 0, a, b))


# ------------------------------------------------------------------------------------------------ conv

def conv_ref(x, w, b, stride, dil, pads, groups, h_out, w_out):
    """Straightforward conv: zero-pad, then one strided slice per kernel tap."""
    n, c_in, h_in, w_in = x.shape
    c_out, cig, k_h, k_w = w.shape
    (sh, sw), (dh, dw), (pt, pl) = stride, dil, pads
    pb = max(0, (h_out - 1) * sh - pt + (k_h - 1) * dh + 1 - h_in)
    pr = max(0, (w_out - 1) * sw - pl + (k_w - 1) * dw + 1 - w_in)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    y = np.zeros((n, c_out, h_out, w_out))
    cog = c_out // groups
    for g in range(groups):
        xs = xp[:, g * cig:(g + 1) * cig]
        wg = w[g * cog:(g + 1) * cog].astype(np.float64)
        for kh in range(k_h):
            for kw in range(k_w):
                patch = xs[:, :, kh * dh: kh * dh + (h_out - 1) * sh + 1: sh, kw * dw: kw * dw + (w_out - 1) * sw + 1: sw]
                y[:, g * cog:(g + 1) * cog] += np.einsum("nchw,oc->nohw", patch, wg[:, :, kh, kw])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


CONV_CASES = [
    # n, c_in, c_out, h, w, k, stride, dil, pads(top,left,bottom,right), groups
    (1, 3, 4, 7, 8, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 1),
    (2, 4, 6, 9, 7, (3, 2), (2, 1), (1, 2), (0, 1, 2, 0), 2),
    (1, 6, 6, 8, 8, (3, 3), (2, 2), (1, 1), (1, 1, 0, 0), 6),  # depthwise, asymmetric pads
    (1, 5, 7, 5, 6, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 1),  # pointwise
    (1, 2, 3, 1, 12, (1, 5), (1, 3), (1, 2), (0, 4, 0, 4), 1),  # 1-D as H = 1
    (1, 4, 4, 6, 6, (3, 3), (1, 1), (3, 3), (2, 2, 2, 2), 4),  # dilation larger than the input
    (1, 3, 2, 4, 4, (5, 5), (1, 1), (1, 1), (2, 2, 2, 2), 1),  # kernel larger than the input
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d(lib, rng, case, with_bias):
    n, c_in, c_out, h, w_, k, s, d, pads, g = case
    h_out = (h + pads[0] + pads[2] - (d[0] * (k[0] - 1) + 1)) // s[0] + 1
    w_out = (w_ + pads[1] + pads[3] - (d[1] * (k[1] - 1) + 1)) // s[1] + 1
    x = f32(rng.standard_normal((n, c_in, h, w_)))
    wt = f32(rng.standard_normal((c_out, c_in // g, k[0], k[1])))
    b = f32(rng.standard_normal(c_out)) if with_bias else None
    y = np.empty((n, c_out, h_out, w_out), np.float32)
    a = act("LEAKY_RELU", 0.1) if with_bias else act()
    p = mk.Conv2dParams(n, c_in, h, w_, c_out, h_out, w_out, k[0], k[1], s[0], s[1], d[0], d[1], pads[0], pads[1],
                        g, a)
    assert lib.mlc_conv2d_f32(C.byref(p), fptr(x), fptr(wt), fptr(b), fptr(y)) == mk.MLC_OK
    want = conv_ref(x, wt, b, s, d, pads[:2], g, h_out, w_out)
    if with_bias:
        want = np.where(want >= 0, want, 0.1 * want)
    close(y, want, atol=1e-5)


def conv_transpose_ref(x, w, b, stride, dil, pads, groups, h_out, w_out):
    n, c_in, h_in, w_in = x.shape
    _, cog, k_h, k_w = w.shape
    (sh, sw), (dh, dw), (pt, pl) = stride, dil, pads
    full_h = max((h_in - 1) * sh + (k_h - 1) * dh + 1, pt + h_out)
    full_w = max((w_in - 1) * sw + (k_w - 1) * dw + 1, pl + w_out)
    y = np.zeros((n, cog * groups, full_h, full_w))
    cig = c_in // groups
    for g in range(groups):
        xg = x[:, g * cig:(g + 1) * cig].astype(np.float64)
        wg = w[g * cig:(g + 1) * cig].astype(np.float64)
        for kh in range(k_h):
            for kw in range(k_w):
                contrib = np.einsum("nchw,co->nohw", xg, wg[:, :, kh, kw])
                y[:, g * cog:(g + 1) * cog, kh * dh: kh * dh + (h_in - 1) * sh + 1: sh,
                  kw * dw: kw * dw + (w_in - 1) * sw + 1: sw] += contrib
    y = y[:, :, pt:pt + h_out, pl:pl + w_out]
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y


@pytest.mark.parametrize("case", [
    # n, c_in, c_out, h, w, k, stride, dil, pads(top, left), groups, output_padding
    (1, 3, 4, 4, 5, (3, 3), (2, 2), (1, 1), (1, 1), 1, (1, 1)),
    (2, 4, 6, 3, 3, (2, 3), (1, 2), (2, 1), (0, 2), 2, (0, 1)),
    (1, 4, 4, 5, 4, (4, 4), (2, 2), (1, 1), (1, 1), 4, (0, 0)),
    (1, 2, 3, 1, 6, (1, 3), (1, 3), (1, 1), (0, 0), 1, (0, 2)),
])
def test_conv_transpose2d(lib, rng, case):
    n, c_in, c_out, h, w_, k, s, d, pads, g, op = case
    h_out = (h - 1) * s[0] - 2 * pads[0] + d[0] * (k[0] - 1) + 1 + op[0]
    w_out = (w_ - 1) * s[1] - 2 * pads[1] + d[1] * (k[1] - 1) + 1 + op[1]
    x = f32(rng.standard_normal((n, c_in, h, w_)))
    wt = f32(rng.standard_normal((c_in, c_out // g, k[0], k[1])))
    b = f32(rng.standard_normal(c_out))
    y = np.empty((n, c_out, h_out, w_out), np.float32)
    p = mk.Conv2dParams(n, c_in, h, w_, c_out, h_out, w_out, k[0], k[1], s[0], s[1], d[0], d[1], pads[0], pads[1],
                        g, act("RELU"))
    assert lib.mlc_conv_transpose2d_f32(C.byref(p), fptr(x), fptr(wt), fptr(b), fptr(y)) == mk.MLC_OK
    want = np.maximum(conv_transpose_ref(x, wt, b, s, d, pads, g, h_out, w_out), 0)
    close(y, want, atol=1e-5)
    y2 = np.empty_like(y)
    p.act = act()
    assert lib.mlc_conv_transpose2d_f32(C.byref(p), fptr(x), fptr(wt), None, fptr(y2)) == mk.MLC_OK
    close(y2, conv_transpose_ref(x, wt, None, s, d, pads, g, h_out, w_out), atol=1e-5)


def test_conv_bad_params(lib):
    p = mk.Conv2dParams(1, 3, 4, 4, 4, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2, act())  # 3 channels in 2 groups
    z = np.zeros(1024, np.float32)
    assert lib.mlc_conv2d_f32(C.byref(p), fptr(z), fptr(z), None, fptr(z)) == mk.MLC_EINVAL


# ---------------------------------------------------------------------------------------------- matmul

@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("a_batch,b_batch", [((), ()), ((2, 3), (2, 3)), ((1, 3), (2, 1)), ((4,), ()),
                                             ((), (2, 1, 2))])
def test_matmul(lib, rng, ta, tb, a_batch, b_batch):
    m, n, k = 5, 7, 6
    a = rng.standard_normal(a_batch + (m, k))
    b = rng.standard_normal(b_batch + (k, n))
    # Stored transposed in memory when ta/tb; the kernel sees it through swapped strides.
    a_mem = f32(np.swapaxes(a, -1, -2) if ta else a)
    b_mem = f32(np.swapaxes(b, -1, -2) if tb else b)
    batch = np.broadcast_shapes(a_batch, b_batch)
    r = len(batch)
    a_bs = mk.bcast_strides(a_batch, batch) if r else []
    b_bs = mk.bcast_strides(b_batch, batch) if r else []
    a_bs = [s * m * k for s in a_bs]
    b_bs = [s * k * n for s in b_bs]
    a_sm, a_sk = (1, m) if ta else (k, 1)
    b_sk, b_sn = (1, k) if tb else (n, 1)
    y = np.empty(batch + (m, n), np.float32)
    p = mk.MatmulParams(r, mk.dims(batch), mk.dims(a_bs), mk.dims(b_bs), m, n, k, a_sm, a_sk, b_sk, b_sn, 0, 0,
                        1.0, 0.0, act())
    assert lib.mlc_matmul_f32(C.byref(p), fptr(a_mem), fptr(b_mem), None, fptr(y)) == mk.MLC_OK
    close(y, np.matmul(a_mem.astype(np.float64).swapaxes(-1, -2) if ta else a_mem.astype(np.float64),
                       b_mem.astype(np.float64).swapaxes(-1, -2) if tb else b_mem.astype(np.float64)), atol=1e-5)


@pytest.mark.parametrize("bias_shape", [(7,), (5, 1), (5, 7), (1, 1)])
def test_gemm_bias_alpha_beta(lib, rng, bias_shape):
    m, n, k = 5, 7, 3
    a = f32(rng.standard_normal((m, k)))
    bt = f32(rng.standard_normal((n, k)))  # transB = 1
    c = f32(rng.standard_normal(bias_shape))
    cs = mk.bcast_strides(bias_shape, (m, n))
    y = np.empty((m, n), np.float32)
    p = mk.MatmulParams(0, mk.dims([]), mk.dims([]), mk.dims([]), m, n, k, k, 1, 1, k, cs[0], cs[1], 0.5, -2.0,
                        act("CLIP", -1.0, 1.0))
    assert lib.mlc_matmul_f32(C.byref(p), fptr(a), fptr(bt), fptr(c), fptr(y)) == mk.MLC_OK
    want = 0.5 * a.astype(np.float64) @ bt.astype(np.float64).T - 2.0 * c
    close(y, np.clip(want, -1, 1))


# --------------------------------------------------------------------------------------------- softmax

def _softmax_ref(x, axis, log):
    x = x.astype(np.float64)
    if log == 2:
        idx = np.argmax(x, axis=axis)
        y = np.zeros_like(x)
        np.put_along_axis(y, np.expand_dims(idx, axis), 1.0, axis=axis)
        return y
    e = x - x.max(axis=axis, keepdims=True)
    lse = np.log(np.exp(e).sum(axis=axis, keepdims=True))
    return e - lse if log == 1 else np.exp(e - lse)


@pytest.mark.parametrize("log", [0, 1, 2])
@pytest.mark.parametrize("shape,axis", [((3, 10), 1), ((2, 5, 4), 1), ((6, 2, 3), 0), ((2, 3, 7), 2)])
def test_softmax(lib, rng, log, shape, axis):
    x = f32(rng.standard_normal(shape) * 30)
    if log == 2:
        x = f32(rng.integers(0, 3, shape))  # ties: first maximum wins
    outer = int(np.prod(shape[:axis]))
    inner = int(np.prod(shape[axis + 1:]))
    y = np.empty_like(x)
    p = mk.SoftmaxParams(outer, shape[axis], inner, log)
    assert lib.mlc_softmax_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    close(y, _softmax_ref(x, axis, log), atol=1e-5)
    # in place
    assert lib.mlc_softmax_f32(C.byref(p), fptr(x), fptr(x)) == mk.MLC_OK
    close(x, y, rtol=0, atol=0)


def test_softmax_large_values(lib):
    x = f32([[1000, 1001, 1002], [-1000, -1000, -1000]])
    y = np.empty_like(x)
    assert lib.mlc_softmax_f32(C.byref(mk.SoftmaxParams(2, 3, 1, 0)), fptr(x), fptr(y)) == mk.MLC_OK
    close(y, _softmax_ref(x, 1, 0))


# ----------------------------------------------------------------------------------------------- pools

def pool_ref(x, kind, k, s, d, pads, out_hw, count_include_pad=0, lp_p=0):
    """Window-by-window reference (explicit index arithmetic, independent of the kernel's range logic)."""
    n, c, h, w = x.shape
    pt, pl, pb, pr = pads
    x = x.astype(np.float64)
    y = np.zeros((n, c) + out_hw)
    idx = np.zeros((n, c) + out_hw, dtype=np.int64)
    for oh in range(out_hw[0]):
        for ow in range(out_hw[1]):
            rows = [oh * s[0] - pt + i * d[0] for i in range(k[0])]
            cols = [ow * s[1] - pl + j * d[1] for j in range(k[1])]
            vr = [r for r in rows if 0 <= r < h]
            vc = [q for q in cols if 0 <= q < w]
            win = x[:, :, vr][:, :, :, vc].reshape(n, c, -1)
            if kind == "max":
                y[:, :, oh, ow] = win.max(axis=2)
                flat = np.array([r * w + q for r in vr for q in vc])
                idx[:, :, oh, ow] = flat[win.argmax(axis=2)] + (np.arange(n * c) * h * w).reshape(n, c)
            elif lp_p:
                y[:, :, oh, ow] = (np.abs(win) ** lp_p).sum(axis=2) ** (1.0 / lp_p)
            else:
                if count_include_pad:
                    cnt = sum(-pt <= r < h + pb for r in rows) * sum(-pl <= q < w + pr for q in cols)
                else:
                    cnt = len(vr) * len(vc)
                y[:, :, oh, ow] = win.sum(axis=2) / cnt
    return y, idx


def _pool_out(size, k, s, d, p0, p1, ceil):
    eff = (k - 1) * d + 1
    num = size + p0 + p1 - eff
    out = (-(-num // s) if ceil else num // s) + 1
    if ceil and (out - 1) * s >= size + p0:  # ONNX/PyTorch: the last window must start inside the input
        out -= 1
    return out


POOL_CASES = [
    # shape, k, s, d, pads (t, l, b, r), ceil
    ((2, 3, 8, 8), (2, 2), (2, 2), (1, 1), (0, 0, 0, 0), False),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), False),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), True),
    ((1, 3, 6, 5), (3, 2), (2, 3), (1, 1), (0, 1, 1, 0), True),
    ((1, 2, 9, 9), (3, 3), (1, 2), (2, 2), (2, 1, 2, 1), False),
    ((1, 2, 1, 11), (1, 4), (1, 3), (1, 1), (0, 2, 0, 1), True),
    ((1, 1, 5, 5), (5, 5), (1, 1), (1, 1), (0, 0, 0, 0), False),  # global
]


def _pool_params(shape, k, s, d, pads, ceil, cip=0, lp=0, a=None):
    n, c, h, w = shape
    ho = _pool_out(h, k[0], s[0], d[0], pads[0], pads[2], ceil)
    wo = _pool_out(w, k[1], s[1], d[1], pads[1], pads[3], ceil)
    return mk.Pool2dParams(n, c, h, w, ho, wo, k[0], k[1], s[0], s[1], d[0], d[1], *pads, cip, lp, a or act()), (ho, wo)


@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool(lib, rng, case):
    shape, k, s, d, pads, ceil = case
    x = f32(rng.standard_normal(shape))
    p, out_hw = _pool_params(shape, k, s, d, pads, ceil)
    y = np.empty(shape[:2] + out_hw, np.float32)
    yi = np.empty_like(y)
    ind = np.empty_like(y)
    assert lib.mlc_maxpool2d_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    assert lib.mlc_maxpool2d_indices_f32(C.byref(p), fptr(x), fptr(yi), fptr(ind)) == mk.MLC_OK
    want, want_idx = pool_ref(x, "max", k, s, d, pads, out_hw)
    close(y, want, rtol=0, atol=0)
    close(yi, want, rtol=0, atol=0)
    assert np.array_equal(ind.astype(np.int64), want_idx)
    assert np.array_equal(x.reshape(-1)[want_idx], y)


def test_maxpool_first_max_and_act(lib):
    x = f32(np.ones((1, 1, 2, 2)) * -3)
    p, _ = _pool_params((1, 1, 2, 2), (2, 2), (1, 1), (1, 1), (0, 0, 0, 0), False, a=act("RELU"))
    y = np.empty((1, 1, 1, 1), np.float32)
    ind = np.empty_like(y)
    assert lib.mlc_maxpool2d_indices_f32(C.byref(p), fptr(x), fptr(y), fptr(ind)) == mk.MLC_OK
    assert y.item() == 0.0 and ind.item() == 0.0


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("cip", [0, 1])
def test_avgpool(lib, rng, case, cip):
    shape, k, s, d, pads, ceil = case
    x = f32(rng.standard_normal(shape))
    p, out_hw = _pool_params(shape, k, s, d, pads, ceil, cip=cip)
    y = np.empty(shape[:2] + out_hw, np.float32)
    assert lib.mlc_avgpool2d_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    close(y, pool_ref(x, "avg", k, s, d, pads, out_hw, count_include_pad=cip)[0])


def test_avgpool_count_include_pad_ceil_values(lib):
    # 1x1x3x3 ones, k=2, s=2, pad 0/0/1/1 with ceil: the last window is clipped to the padded input.
    x = f32(np.arange(1, 10).reshape(1, 1, 3, 3))
    p = mk.Pool2dParams(1, 1, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, 1, 0, act())
    y = np.empty((1, 1, 2, 2), np.float32)
    assert lib.mlc_avgpool2d_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    close(y.reshape(2, 2), [[(1 + 2 + 4 + 5) / 4, (3 + 6) / 4], [(7 + 8) / 4, 9 / 4]])
    p = mk.Pool2dParams(1, 1, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0, act())  # ceil overhang, no pad
    assert lib.mlc_avgpool2d_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    close(y.reshape(2, 2), [[3, 4.5], [7.5, 9]])


@pytest.mark.parametrize("lp", [1, 2, 3])
@pytest.mark.parametrize("case", POOL_CASES[1:4])
def test_lppool(lib, rng, case, lp):
    shape, k, s, d, pads, ceil = case
    x = f32(rng.standard_normal(shape))
    p, out_hw = _pool_params(shape, k, s, d, pads, ceil, lp=lp)
    y = np.empty(shape[:2] + out_hw, np.float32)
    assert lib.mlc_avgpool2d_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    close(y, pool_ref(x, "lp", k, s, d, pads, out_hw, lp_p=lp)[0])


# ---------------------------------------------------------------------------------------------- reduce

def _reduce_ref(x, op, axes, select_last=False):
    x = x.astype(np.float64)
    ax = tuple(axes)
    if op == "SUM":
        return x.sum(axis=ax)
    if op == "MEAN":
        return x.mean(axis=ax)
    if op == "MAX":
        return x.max(axis=ax, initial=-np.inf)
    if op == "MIN":
        return x.min(axis=ax, initial=np.inf)
    if op == "PROD":
        return x.prod(axis=ax)
    if op == "L1":
        return np.abs(x).sum(axis=ax)
    if op == "L2":
        return np.sqrt((x * x).sum(axis=ax))
    if op == "LOG_SUM":
        return np.log(x.sum(axis=ax))
    if op == "LOG_SUM_EXP":
        m = x.max(axis=ax, keepdims=True)
        return (np.log(np.exp(x - m).sum(axis=ax, keepdims=True)) + m).squeeze(axis=ax)
    if op == "SUM_SQUARE":
        return (x * x).sum(axis=ax)
    (a,) = ax
    if select_last:
        flipped = np.flip(x, axis=a)
        i = np.argmax(flipped, axis=a) if op == "ARGMAX" else np.argmin(flipped, axis=a)
        return x.shape[a] - 1 - i
    return np.argmax(x, axis=a) if op == "ARGMAX" else np.argmin(x, axis=a)


def run_reduce(lib, x, op, axes, select_last=0):
    red = [1 if i in axes else 0 for i in range(x.ndim)]
    out_shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    y = np.full(out_shape, np.nan, np.float32)
    p = mk.ReduceParams(mk.REDUCE[op], x.ndim, mk.dims(x.shape), mk.dims(red), select_last)
    rc = lib.mlc_reduce_f32(C.byref(p), fptr(x), fptr(y))
    return rc, y


@pytest.mark.parametrize("op", [o for o in mk.REDUCE if not o.startswith("ARG")])
@pytest.mark.parametrize("axes", [(1,), (0, 2), (3,), (0, 1, 2, 3), (1, 3), (0,)])
def test_reduce(lib, rng, op, axes):
    x = f32(rng.uniform(0.5, 1.5, (2, 3, 4, 5)) * (rng.choice([-1, 1], (2, 3, 4, 5)) if op != "LOG_SUM" else 1))
    if op == "LOG_SUM_EXP":
        x = f32(x * 200)  # would overflow without max subtraction
    rc, y = run_reduce(lib, x, op, axes)
    assert rc == mk.MLC_OK
    close(y, _reduce_ref(x, op, axes), atol=1e-5)


@pytest.mark.parametrize("op", ["ARGMAX", "ARGMIN"])
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("select_last", [0, 1])
def test_argmax_argmin(lib, rng, op, axis, select_last):
    x = f32(rng.integers(0, 3, (4, 5, 6)))  # many ties
    rc, y = run_reduce(lib, x, op, (axis,), select_last)
    assert rc == mk.MLC_OK
    assert np.array_equal(y, _reduce_ref(x, op, (axis,), select_last))


def test_reduce_empty_and_scalar(lib):
    x = np.zeros((2, 0, 3), np.float32)
    for op, ident in [("SUM", 0), ("MAX", -np.inf), ("MIN", np.inf), ("PROD", 1), ("L2", 0), ("SUM_SQUARE", 0),
                      ("LOG_SUM_EXP", -np.inf)]:
        rc, y = run_reduce(lib, x, op, (1,))
        assert rc == mk.MLC_OK
        assert np.all(y == ident), op
    rc, _ = run_reduce(lib, x, "ARGMAX", (1,))
    assert rc == mk.MLC_EINVAL
    s = f32(3.5)
    rc, y = run_reduce(lib, s.reshape(()), "SUM", ())
    assert rc == mk.MLC_OK and y.item() == 3.5


# ------------------------------------------------------------------------------------------- data move

def run_copy(lib, x, y, dims, in_strides, out_strides, in_off, out_off):
    p = mk.CopyParams(len(dims), mk.dims(dims), mk.dims(in_strides), mk.dims(out_strides), in_off, out_off)
    return lib.mlc_copy_f32(C.byref(p), fptr(x), fptr(y))


def test_copy_slice_negative_strides(lib, rng):
    x = f32(rng.standard_normal((3, 4, 5)))
    want = x[::-1, 1:4, ::-2]
    st = mk.dense_strides(x.shape)
    dims = want.shape
    in_strides = [-st[0], st[1], -2 * st[2]]
    in_off = 2 * st[0] + 1 * st[1] + 4 * st[2]
    y = np.empty(dims, np.float32)
    assert run_copy(lib, x, y, dims, in_strides, mk.dense_strides(dims), in_off, 0) == mk.MLC_OK
    assert np.array_equal(y, want)


def test_copy_transpose_concat_expand(lib, rng):
    x = f32(rng.standard_normal((2, 3, 4, 5)))
    perm = (0, 2, 3, 1)
    out = tuple(x.shape[i] for i in perm)
    st = mk.dense_strides(x.shape)
    y = np.empty(out, np.float32)
    assert run_copy(lib, x, y, out, [st[i] for i in perm], mk.dense_strides(out), 0, 0) == mk.MLC_OK
    assert np.array_equal(y, np.transpose(x, perm))
    # Concat along axis 1: one call per input, output strides of the full result, offset by the axis start.
    a, b = f32(rng.standard_normal((2, 3, 4))), f32(rng.standard_normal((2, 5, 4)))
    y = np.empty((2, 8, 4), np.float32)
    ys = mk.dense_strides(y.shape)
    assert run_copy(lib, a, y, a.shape, mk.dense_strides(a.shape), ys, 0, 0) == mk.MLC_OK
    assert run_copy(lib, b, y, b.shape, mk.dense_strides(b.shape), ys, 0, 3 * ys[1]) == mk.MLC_OK
    assert np.array_equal(y, np.concatenate([a, b], axis=1))
    # Expand via stride 0; and a reversed write (negative output stride).
    v = f32(rng.standard_normal((3, 1)))
    y = np.empty((2, 3, 4), np.float32)
    assert run_copy(lib, v, y, (2, 3, 4), [0, 1, 0], [-12, 4, 1], 0, 12) == mk.MLC_OK
    assert np.array_equal(y, np.broadcast_to(v, (2, 3, 4)))
    z = f32(np.arange(6))
    y = np.empty(6, np.float32)
    assert run_copy(lib, z, y, (6,), [1], [-1], 0, 5) == mk.MLC_OK
    assert np.array_equal(y, z[::-1])
    p = mk.CopyParams(7, mk.dims([1] * 6), mk.dims([1] * 6), mk.dims([1] * 6), 0, 0)  # rank > MLC_MAX_DIMS
    assert lib.mlc_copy_f32(C.byref(p), fptr(z), fptr(y)) == mk.MLC_EINVAL


@pytest.mark.parametrize("shape,reps", [((2, 3), (2, 3)), ((3,), (4,)), ((2, 1, 3), (1, 4, 2)), ((1, 2, 2, 1), (2, 1, 3, 5))])
def test_tile(lib, rng, shape, reps):
    x = f32(rng.standard_normal(shape))
    want = np.tile(x, reps)
    y = np.empty(want.shape, np.float32)
    p = mk.TileParams(len(shape), mk.dims(want.shape), mk.dims(shape))
    assert lib.mlc_tile_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    assert np.array_equal(y, want)


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
@pytest.mark.parametrize("shape,pads", [
    ((3, 4), ((1, 2), (2, 1))),
    ((2, 3, 4), ((0, 0), (2, 2), (3, 0))),
    ((1, 2, 4, 5), ((0, 1), (0, 0), (-1, 2), (1, -2))),  # negative pads crop
    ((5,), ((7, 9),)),  # wider than the input: reflect/wrap repeat
])
def test_pad(lib, rng, mode, shape, pads):
    if mode == "reflect" and shape == (5,):
        pads = ((4, 4),)  # numpy and ONNX agree up to n - 1
    x = f32(rng.standard_normal(shape))
    pos = [(max(b, 0), max(e, 0)) for b, e in pads]
    kw = {"constant_values": 1.5} if mode == "constant" else {}
    want = np.pad(x, pos, mode=mode, **kw)
    crop = tuple(slice(-min(b, 0), want.shape[i] + min(e, 0)) for i, (b, e) in enumerate(pads))
    want = want[crop]
    y = np.empty(want.shape, np.float32)
    p = mk.PadParams(mk.PadGeometry(len(shape), mk.dims(shape), mk.dims(want.shape), mk.dims([b for b, _ in pads]),
                                     mk.PAD[mode]), 1.5)
    assert lib.mlc_pad_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    assert np.array_equal(y, want)


def test_gather(lib, rng):
    x = f32(rng.standard_normal((3, 5, 4)))
    idx = np.array([0, -1, 4, -5, 2, 2])
    y = np.empty((3, len(idx), 4), np.float32)
    p = mk.GatherParams(3, 5, 4, len(idx))
    assert lib.mlc_gather_f32(C.byref(p), fptr(x), fptr(f32(idx)), fptr(y)) == mk.MLC_OK
    assert np.array_equal(y, np.take(x, idx, axis=1))
    for bad in (5, -6, 100, np.nan):
        y[...] = 7
        assert lib.mlc_gather_f32(C.byref(p), fptr(x), fptr(f32([0, bad, 1, 1, 1, 1])), fptr(y)) == mk.MLC_EINVAL
        assert np.all(y == 7)


# ----------------------------------------------------------------------------------------------- norms

def test_channel_affine(lib, rng):
    x = f32(rng.standard_normal((2, 5, 6)))
    sc, sh = f32(rng.standard_normal(5)), f32(rng.standard_normal(5))
    y = np.empty_like(x)
    p = mk.ChannelAffineParams(2, 5, 6, act("RELU"))
    want = np.maximum(x.astype(np.float64) * sc[:, None] + sh[:, None], 0)
    assert lib.mlc_channel_affine_f32(C.byref(p), fptr(x), fptr(sc), fptr(sh), fptr(y)) == mk.MLC_OK
    close(y, want)
    p.act = act()
    want = x.astype(np.float64) * sc[:, None] + sh[:, None]
    assert lib.mlc_channel_affine_f32(C.byref(p), fptr(x), fptr(sc), fptr(sh), fptr(x)) == mk.MLC_OK  # in place
    close(x, want)


@pytest.mark.parametrize("with_bias", [True, False])
def test_layer_norm(lib, rng, with_bias):
    x = f32(rng.standard_normal((6, 16)) * 3 + 10)
    sc, b = f32(rng.standard_normal(16)), f32(rng.standard_normal(16))
    y = np.empty_like(x)
    p = mk.NormParams(6, 16, 1e-5, 0, 0)
    assert lib.mlc_norm_f32(C.byref(p), fptr(x), fptr(sc), fptr(b) if with_bias else None, fptr(y)) == mk.MLC_OK
    xd = x.astype(np.float64)
    want = (xd - xd.mean(1, keepdims=True)) / np.sqrt(xd.var(1, keepdims=True) + np.float32(1e-5)) * sc
    close(y, want + (b if with_bias else 0), atol=1e-5)


def test_layer_norm_stats(lib, rng):
    x = f32(rng.standard_normal((5, 12)) * 2 + 3)
    y, mean, inv = np.empty_like(x), np.empty(5, np.float32), np.empty(5, np.float32)
    p = mk.NormParams(5, 12, 1e-2, 0, 0)
    assert lib.mlc_norm_stats_f32(C.byref(p), fptr(x), None, None, fptr(y), fptr(mean), fptr(inv)) == mk.MLC_OK
    xd = x.astype(np.float64)
    close(mean, xd.mean(1))
    close(inv, 1 / np.sqrt(xd.var(1) + np.float32(1e-2)), rtol=1e-5)
    close(y, (xd - xd.mean(1, keepdims=True)) * inv[:, None], atol=1e-5)
    assert lib.mlc_norm_stats_f32(C.byref(p), fptr(x), None, None, fptr(y), None, fptr(inv)) == mk.MLC_OK


def test_batchnorm_runtime_params(lib, rng):
    x = f32(rng.standard_normal((2, 3, 4)))
    sc, b, m = f32(rng.standard_normal(3)), f32(rng.standard_normal(3)), f32(rng.standard_normal(3))
    v = f32(rng.uniform(0.1, 2.0, 3))
    y = np.empty_like(x)
    p = mk.BatchnormParams(2, 3, 4, 1e-3, act("RELU"))
    assert lib.mlc_batchnorm_f32(C.byref(p), fptr(x), fptr(sc), fptr(b), fptr(m), fptr(v), fptr(y)) == mk.MLC_OK
    xd = x.astype(np.float64)
    want = (xd - m[:, None]) / np.sqrt(v[:, None] + np.float32(1e-3)) * sc[:, None] + b[:, None]
    close(y, np.maximum(want, 0), atol=1e-5)


def test_instance_norm(lib, rng):
    x = f32(rng.standard_normal((2, 3, 5, 4)))
    sc, b = f32(rng.standard_normal(3)), f32(rng.standard_normal(3))
    y = np.empty_like(x)
    p = mk.NormParams(6, 20, 1e-3, 1, 3)
    assert lib.mlc_norm_f32(C.byref(p), fptr(x), fptr(sc), fptr(b), fptr(y)) == mk.MLC_OK
    xd = x.astype(np.float64)
    m, v = xd.mean((2, 3), keepdims=True), xd.var((2, 3), keepdims=True)
    want = (xd - m) / np.sqrt(v + np.float32(1e-3)) * sc.reshape(1, 3, 1, 1) + b.reshape(1, 3, 1, 1)
    close(y, want, atol=1e-5)


@pytest.mark.parametrize("pn", [1, 2])
def test_lp_norm(lib, rng, pn):
    x = f32(rng.standard_normal((2, 5, 3)))
    x[1, :, 2] = 0  # zero vector stays zero
    y = np.empty_like(x)
    assert lib.mlc_lp_norm_f32(C.byref(mk.LpNormParams(2, 5, 3, pn)), fptr(x), fptr(y)) == mk.MLC_OK
    xd = x.astype(np.float64)
    nrm = np.abs(xd).sum(1, keepdims=True) if pn == 1 else np.sqrt((xd * xd).sum(1, keepdims=True))
    close(y, np.divide(xd, nrm, out=np.zeros_like(xd), where=nrm != 0))
    assert lib.mlc_lp_norm_f32(C.byref(mk.LpNormParams(2, 5, 3, 3)), fptr(x), fptr(y)) == mk.MLC_EINVAL


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_lrn(lib, rng, size):
    x = f32(rng.standard_normal((2, 6, 3, 3)))
    alpha, beta, bias = 1e-2, 0.75, 2.0
    y = np.empty_like(x)
    p = mk.LrnParams(2, 6, 9, size, alpha, beta, bias)
    assert lib.mlc_lrn_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    xd = x.astype(np.float64)
    sq = np.zeros_like(xd)
    for c in range(6):
        lo, hi = max(0, c - (size - 1) // 2), min(5, c + math.ceil((size - 1) / 2))
        sq[:, c] = (xd[:, lo:hi + 1] ** 2).sum(1)
    close(y, xd / (np.float32(bias) + np.float32(alpha) / size * sq) ** np.float32(beta))


# ---------------------------------------------------------------------------------------------- resize

def _coord_ref(coord, xo, scale, n_in, n_out):
    """ONNX coordinate transforms evaluated in float32, as onnxruntime does."""
    f = np.float32
    xo, scale = f(xo), f(scale)
    if coord == "half_pixel":
        return (xo + f(0.5)) / scale - f(0.5)
    if coord == "asymmetric":
        return xo / scale
    if coord == "align_corners":
        return f(0) if n_out == 1 else xo * f(n_in - 1) / f(n_out - 1)
    if coord == "pytorch_half_pixel":
        return (xo + f(0.5)) / scale - f(0.5) if n_out > 1 else f(0)
    if coord == "half_pixel_symmetric":
        offset = f(n_in) * f(0.5) * (f(1) - f(n_out) / (f(n_in) * scale))
        return offset + (xo + f(0.5)) / scale - f(0.5)
    return (xo + f(0.5)) / scale  # tf_half_pixel_for_nn


def _nearest_ref(mode, x):
    x = float(x)
    if mode == "round_prefer_floor":
        return math.floor(x) if x == math.floor(x) + 0.5 else int(round(x))
    if mode == "round_prefer_ceil":
        return math.ceil(x) if x == math.floor(x) + 0.5 else int(round(x))
    return math.floor(x) if mode == "floor" else math.ceil(x)


def resize_ref(x, out_hw, scales, mode, coord, nearest):
    nc, h, w = x.shape
    xd = x.astype(np.float64)
    ys = [_coord_ref(coord, i, scales[0], h, out_hw[0]) for i in range(out_hw[0])]
    xs = [_coord_ref(coord, j, scales[1], w, out_hw[1]) for j in range(out_hw[1])]
    if mode == "nearest":
        ri = [min(max(_nearest_ref(nearest, v), 0), h - 1) for v in ys]
        ci = [min(max(_nearest_ref(nearest, v), 0), w - 1) for v in xs]
        return xd[:, ri][:, :, ci]

    def taps(v, n):  # ONNX reference: floor + ratio with edge-padded neighbours
        v = float(v)
        i0 = math.floor(v)
        r = v - i0
        return min(max(i0, 0), n - 1), min(max(i0 + 1, 0), n - 1), r

    out = np.zeros((nc,) + tuple(out_hw))
    for i, vy in enumerate(ys):
        y0, y1, ry = taps(vy, h)
        for j, vx in enumerate(xs):
            x0, x1, rx = taps(vx, w)
            out[:, i, j] = ((1 - ry) * ((1 - rx) * xd[:, y0, x0] + rx * xd[:, y0, x1])
                            + ry * ((1 - rx) * xd[:, y1, x0] + rx * xd[:, y1, x1]))
    return out


RESIZE_SIZES = [((4, 5), (8, 10)), ((6, 8), (3, 4)), ((3, 4), (7, 9)), ((5, 5), (1, 1)), ((4, 6), (5, 3)),
                ((1, 3), (2, 6))]


@pytest.mark.parametrize("coord", list(mk.COORD))
@pytest.mark.parametrize("sizes", RESIZE_SIZES)
@pytest.mark.parametrize("mode,nearest", [("linear", "round_prefer_floor")] + [("nearest", m) for m in mk.NEAREST])
def test_resize(lib, rng, coord, sizes, mode, nearest):
    (h, w), (ho, wo) = sizes
    x = f32(rng.standard_normal((3, h, w)))
    scales = (np.float32(ho) / np.float32(h), np.float32(wo) / np.float32(w))
    y = np.empty((3, ho, wo), np.float32)
    p = mk.ResizeParams(3, h, w, ho, wo, scales[0], scales[1], mk.RESIZE_MODE[mode], mk.COORD[coord], mk.NEAREST[nearest])
    assert lib.mlc_resize_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    want = resize_ref(x, (ho, wo), scales, mode, coord, nearest)
    if mode == "nearest":
        assert np.array_equal(y, want)
    else:
        close(y, want, atol=1e-5)


def _onnx_resize(x, scales, **attrs):
    """ONNX's reference Resize of x [nc][h][w] by (scale_h, scale_w) given as scales."""
    from onnx import TensorProto, helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    sc = numpy_helper.from_array(np.array([1, *scales], np.float32), "s")
    n = helper.make_node("Resize", ["x", "", "s"], ["y"], **attrs)
    g = helper.make_graph([n], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [sc])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    return ReferenceEvaluator(m).run(None, {"x": x})[0]


@pytest.mark.parametrize("coord", ["half_pixel", "asymmetric", "align_corners", "half_pixel_symmetric"])
@pytest.mark.parametrize("a,exclude", [(-0.75, 0), (-0.5, 1)])
@pytest.mark.parametrize("scales", [(2.0, 1.5), (0.6, 0.8), (1.7, 0.5)])
def test_resize_cubic(lib, rng, coord, a, exclude, scales):
    x = f32(rng.standard_normal((2, 5, 6)))
    ho, wo = int(np.floor(5 * np.float32(scales[0]))), int(np.floor(6 * np.float32(scales[1])))
    y = np.empty((2, ho, wo), np.float32)
    p = mk.ResizeParams(2, 5, 6, ho, wo, scales[0], scales[1], mk.RESIZE_MODE["cubic"], mk.COORD[coord], 0, a, exclude,
                        1)
    assert lib.mlc_resize_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
    want = _onnx_resize(x, scales, mode="cubic", coordinate_transformation_mode=coord, cubic_coeff_a=a,
                        exclude_outside=exclude)
    close(y, want, rtol=1e-4, atol=1e-5)


def test_resize_scales_at_run_time(lib, rng):
    x = f32(rng.standard_normal((3, 4, 4)))
    scales = f32([1.0, 1.0, 0.6, 1.5])  # the scales of axes N, C, H, W; the kernel reads indices 2 and 3
    y = np.empty((3, 2, 6), np.float32)
    r = mk.ResizeParams(3, 4, 4, 2, 6, 1.0, 1.0, mk.RESIZE_MODE["linear"], mk.COORD["align_corners"], 0, -0.75, 0, 1)
    p = mk.ResizeScalesParams(r, 2, 3, 0b10)
    assert lib.mlc_resize_scales_f32(C.byref(p), fptr(x), fptr(scales), fptr(y)) == mk.MLC_OK
    want = _onnx_resize(x, (0.6, 1.5), mode="linear", coordinate_transformation_mode="align_corners")
    close(y, want, atol=1e-5)
    scales[1] = 2.0  # an axis that must keep scale 1
    assert lib.mlc_resize_scales_f32(C.byref(p), fptr(x), fptr(scales), fptr(y)) == mk.MLC_EINVAL


def test_resize_explicit_scale_not_equal_to_size_ratio(lib, rng):
    # Resize with scales=[2.4]: out = floor(5 * 2.4) = 12, the coordinate transform still uses 2.4.
    x = f32(rng.standard_normal((2, 5, 5)))
    for mode in ("nearest", "linear"):
        y = np.empty((2, 12, 12), np.float32)
        p = mk.ResizeParams(2, 5, 5, 12, 12, 2.4, 2.4, mk.RESIZE_MODE[mode], mk.COORD["half_pixel"], 0)
        assert lib.mlc_resize_f32(C.byref(p), fptr(x), fptr(y)) == mk.MLC_OK
        close(y, resize_ref(x, (12, 12), (2.4, 2.4), mode, "half_pixel", "round_prefer_floor"), atol=1e-5)
