"""ctypes mirror of runtime_c/include/mlc/kernels_f32.h and a builder for the reference kernels."""

import ctypes as C
import os
import shlex
import subprocess
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
INCLUDE = REPO / "runtime_c" / "include"
REF_DIR = REPO / "runtime_c" / "kernels" / "ref"

MAXD = 6
MLC_OK = 0
MLC_EINVAL = -1

I32 = C.c_int32
F32 = C.c_float
Dims = I32 * MAXD

UNARY = dict(IDENTITY=0, RELU=1, CLIP=2, LEAKY_RELU=3, SIGMOID=4, TANH=5, HARD_SIGMOID=6, HARD_SWISH=7,
             ABS=8, NEG=9, EXP=10, LOG=11, SQRT=12, RECIPROCAL=13, FLOOR=14, CEIL=15, ROUND=16, SIGN=17,
             ERF=18, SIN=19, COS=20, ELU=21, SELU=22, CELU=23, GELU=24, MISH=25, SOFTPLUS=26, SOFTSIGN=27,
             THRESHOLDED_RELU=28, TAN=29, ASIN=30, ACOS=31, ATAN=32, SINH=33, COSH=34, ASINH=35, ACOSH=36,
             ATANH=37, NOT=38, ISNAN=39, ISINF=40, SHRINK=41, TRUNC=42, NONZERO=43,
             TRUNC_SAT=44, WRAP=45)
BINARY = dict(ADD=0, SUB=1, MUL=2, DIV=3, POW=4, MIN=5, MAX=6, MOD=7, EQUAL=8, LESS=9, LESS_EQUAL=10,
              GREATER=11, GREATER_EQUAL=12, AND=13, OR=14, XOR=15, PRELU=16,
              MOD_FLOOR=17)
REDUCE = dict(SUM=0, MEAN=1, MAX=2, MIN=3, PROD=4, L1=5, L2=6, LOG_SUM=7, LOG_SUM_EXP=8, SUM_SQUARE=9,
              ARGMAX=10, ARGMIN=11)
PAD = dict(constant=0, reflect=1, edge=2, wrap=3)
RESIZE_MODE = dict(nearest=0, linear=1, cubic=2)
COORD = dict(half_pixel=0, asymmetric=1, align_corners=2, pytorch_half_pixel=3, tf_half_pixel_for_nn=4,
             half_pixel_symmetric=5)
NEAREST = dict(round_prefer_floor=0, round_prefer_ceil=1, floor=2, ceil=3)


class Act(C.Structure):
    _fields_ = [("op", I32), ("alpha", F32), ("beta", F32)]


class UnaryParams(C.Structure):
    _fields_ = [("size", I32), ("op", Act)]


class BinaryParams(C.Structure):
    _fields_ = [("op", I32), ("rank", I32), ("dims", Dims), ("a_strides", Dims), ("b_strides", Dims),
                ("act", Act)]


class WhereParams(C.Structure):
    _fields_ = [("rank", I32), ("dims", Dims), ("c_strides", Dims), ("a_strides", Dims), ("b_strides", Dims)]


class Conv2dParams(C.Structure):
    _fields_ = [(n, I32) for n in ("n", "c_in", "h_in", "w_in", "c_out", "h_out", "w_out", "k_h", "k_w",
                                   "stride_h", "stride_w", "dil_h", "dil_w", "pad_top", "pad_left", "groups")]
    _fields_ += [("act", Act)]


class MatmulParams(C.Structure):
    _fields_ = [("batch_rank", I32), ("batch_dims", Dims), ("a_batch_strides", Dims), ("b_batch_strides", Dims)]
    _fields_ += [(n, I32) for n in ("m", "n", "k", "a_stride_m", "a_stride_k", "b_stride_k", "b_stride_n",
                                    "bias_stride_m", "bias_stride_n")]
    _fields_ += [("alpha", F32), ("beta", F32), ("act", Act)]


class SoftmaxParams(C.Structure):
    _fields_ = [("outer", I32), ("axis", I32), ("inner", I32), ("log", I32)]


class Pool2dParams(C.Structure):
    _fields_ = [(n, I32) for n in ("n", "c", "h_in", "w_in", "h_out", "w_out", "k_h", "k_w", "stride_h",
                                   "stride_w", "dil_h", "dil_w", "pad_top", "pad_left", "pad_bottom",
                                   "pad_right", "count_include_pad", "lp_p")]
    _fields_ += [("act", Act)]


class ReduceParams(C.Structure):
    _fields_ = [("op", I32), ("rank", I32), ("in_dims", Dims), ("reduced", Dims), ("select_last", I32)]


class CopyParams(C.Structure):
    _fields_ = [("rank", I32), ("dims", Dims), ("in_strides", Dims), ("out_strides", Dims), ("in_offset", I32),
                ("out_offset", I32)]


class TileParams(C.Structure):
    _fields_ = [("rank", I32), ("out_dims", Dims), ("in_dims", Dims)]


class PadGeometry(C.Structure):
    _fields_ = [("rank", I32), ("in_dims", Dims), ("out_dims", Dims), ("pads_begin", Dims), ("mode", I32)]


class PadParams(C.Structure):
    _fields_ = [("geo", PadGeometry), ("value", F32)]


class ChannelAffineParams(C.Structure):
    _fields_ = [("outer", I32), ("channels", I32), ("inner", I32), ("act", Act)]


class NormParams(C.Structure):
    _fields_ = [("outer", I32), ("inner", I32), ("eps", F32), ("per_row", I32), ("channels", I32)]


class LpNormParams(C.Structure):
    _fields_ = [("outer", I32), ("axis", I32), ("inner", I32), ("p", I32)]


class LrnParams(C.Structure):
    _fields_ = [("n", I32), ("c", I32), ("spatial", I32), ("size", I32), ("alpha", F32), ("beta", F32),
                ("bias", F32)]


class GatherParams(C.Structure):
    _fields_ = [("outer", I32), ("axis_in", I32), ("inner", I32), ("count", I32)]


class ResizeParams(C.Structure):
    _fields_ = [(n, I32) for n in ("nc", "h_in", "w_in", "h_out", "w_out")]
    _fields_ += [("scale_h", F32), ("scale_w", F32), ("mode", I32), ("coord", I32), ("nearest", I32)]
    _fields_ += [("cubic_a", F32), ("exclude_outside", I32), ("scaled_length", I32)]


class ResizeScalesParams(C.Structure):
    _fields_ = [("r", ResizeParams), ("scale_h_index", I32), ("scale_w_index", I32), ("unit_mask", I32)]


class BatchnormParams(C.Structure):
    _fields_ = [("outer", I32), ("channels", I32), ("inner", I32), ("eps", F32), ("act", Act)]


# C typedef name -> ctypes mirror; checked against the compiler's sizeof/offsetof.
STRUCTS = {
    "mlc_act_t": Act, "mlc_unary_params_t": UnaryParams, "mlc_binary_params_t": BinaryParams,
    "mlc_where_params_t": WhereParams, "mlc_conv2d_params_t": Conv2dParams, "mlc_matmul_params_t": MatmulParams,
    "mlc_softmax_params_t": SoftmaxParams, "mlc_pool2d_params_t": Pool2dParams,
    "mlc_reduce_params_t": ReduceParams, "mlc_copy_params_t": CopyParams, "mlc_tile_params_t": TileParams,
    "mlc_pad_params_t": PadParams, "mlc_channel_affine_params_t": ChannelAffineParams,
    "mlc_norm_params_t": NormParams, "mlc_lp_norm_params_t": LpNormParams, "mlc_lrn_params_t": LrnParams,
    "mlc_gather_params_t": GatherParams, "mlc_resize_params_t": ResizeParams,
    "mlc_resize_scales_params_t": ResizeScalesParams, "mlc_batchnorm_params_t": BatchnormParams,
}

_FP = C.POINTER(F32)
# kernel name -> (params type, number of float pointer arguments)
KERNELS = {
    "mlc_unary_f32": (UnaryParams, 2), "mlc_binary_f32": (BinaryParams, 3), "mlc_where_f32": (WhereParams, 4),
    "mlc_conv2d_f32": (Conv2dParams, 4), "mlc_conv_transpose2d_f32": (Conv2dParams, 4),
    "mlc_matmul_f32": (MatmulParams, 4), "mlc_softmax_f32": (SoftmaxParams, 2),
    "mlc_maxpool2d_f32": (Pool2dParams, 2), "mlc_avgpool2d_f32": (Pool2dParams, 2),
    "mlc_maxpool2d_indices_f32": (Pool2dParams, 3), "mlc_reduce_f32": (ReduceParams, 2),
    "mlc_copy_f32": (CopyParams, 2), "mlc_tile_f32": (TileParams, 2), "mlc_pad_f32": (PadParams, 2),
    "mlc_channel_affine_f32": (ChannelAffineParams, 4), "mlc_norm_f32": (NormParams, 4),
    "mlc_lp_norm_f32": (LpNormParams, 2), "mlc_lrn_f32": (LrnParams, 2), "mlc_gather_f32": (GatherParams, 3),
    "mlc_resize_f32": (ResizeParams, 2), "mlc_resize_scales_f32": (ResizeScalesParams, 3),
    "mlc_batchnorm_f32": (BatchnormParams, 6), "mlc_norm_stats_f32": (NormParams, 6),
}


def _layout_probe_source():
    lines = ['#include <stddef.h>', '#include "mlc/kernels_f32.h"', "const size_t mlc_test_layout[] = {"]
    for cname, py in STRUCTS.items():
        lines.append(f"    sizeof({cname}),")
        for fname, _ in py._fields_:
            lines.append(f"    offsetof({cname}, {fname}),")
    lines.append("};")
    return "\n".join(lines) + "\n"


def expected_layout():
    out = []
    for py in STRUCTS.values():
        out.append(C.sizeof(py))
        out.extend(getattr(py, f).offset for f, _ in py._fields_)
    return out


def build(out_dir: Path) -> Path:
    """Compile every runtime_c/kernels/ref/*.c (plus a layout probe) into one shared library."""
    probe = out_dir / "layout_probe.c"
    probe.write_text(_layout_probe_source())
    sources = sorted(str(p) for p in REF_DIR.glob("*.c")) + [str(probe)]
    lib = out_dir / "libmlc_ref_f32.so"
    cmd = ["gcc", "-std=c99", "-O1", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-pedantic",
           *shlex.split(os.environ.get("MLC_KERNEL_EXTRA_CFLAGS", "")),  # e.g. sanitizers for a debug run
           "-I", str(INCLUDE), *sources, "-o", str(lib), "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("kernel build failed:\n" + " ".join(cmd) + "\n" + res.stderr)
    return lib


def load(path: Path):
    lib = C.CDLL(str(path))
    for name, (ptype, nptr) in KERNELS.items():
        fn = getattr(lib, name)
        fn.argtypes = [C.POINTER(ptype)] + [_FP] * nptr
        fn.restype = C.c_int
    lib.mlc_unary_eval_f32.argtypes = [C.POINTER(Act), F32]
    lib.mlc_unary_eval_f32.restype = F32
    return lib


def fptr(a):
    """float* for a float32 C-contiguous numpy array (None -> NULL)."""
    if a is None:
        return None
    assert a.dtype == np.float32 and a.flags.c_contiguous
    return a.ctypes.data_as(_FP)


def dims(values):
    values = list(values)
    assert len(values) <= MAXD
    return Dims(*(values + [0] * (MAXD - len(values))))


def dense_strides(shape):
    s, out = 1, []
    for d in reversed(shape):
        out.append(s)
        s *= d
    return out[::-1]


def bcast_strides(in_shape, out_shape):
    """Element strides of a dense in_shape array broadcast to out_shape (numpy rules)."""
    in_shape = [1] * (len(out_shape) - len(in_shape)) + list(in_shape)
    st = dense_strides(in_shape)
    return [0 if d == 1 and o != 1 else s for d, o, s in zip(in_shape, out_shape, st)]
