"""IR generators of the LLVM backend, one module per kernel family, keyed by the C kernel they replace.

A generator gets the KernelBuilder, the call's constant parameters and its arguments (float pointers,
None for NULL), emits the kernel specialised to those constants and returns True; it returns False for a
parameter case it does not cover, and the emitter then calls the C reference kernel instead."""

from __future__ import annotations

from toolchain.llvm.conv import conv2d
from toolchain.llvm.elementwise import binary, copy, unary
from toolchain.llvm.matmul import matmul
from toolchain.llvm.pool import avgpool2d, maxpool2d
from toolchain.llvm.reduce import reduce
from toolchain.llvm.softmax import softmax

GENERATORS = {
    "mlc_conv2d_f32": conv2d,
    "mlc_matmul_f32": matmul,
    "mlc_maxpool2d_f32": maxpool2d,
    "mlc_avgpool2d_f32": avgpool2d,
    "mlc_softmax_f32": softmax,
    "mlc_binary_f32": binary,
    "mlc_copy_f32": copy,
    "mlc_unary_f32": unary,
    "mlc_reduce_f32": reduce,
}
