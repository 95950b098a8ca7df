"""mlc_binary_f32, mlc_copy_f32 and mlc_unary_f32 (runtime_c/kernels/ref/) as loop nests over the
layer's constant shape and strides; operators other than the common ones stay with the C kernels."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from toolchain.llvm.builder import UNARY_CLIP, UNARY_IDENTITY, UNARY_LEAKY_RELU, UNARY_RELU, KernelBuilder, f32_const

# mlc_binary_op_t -> IR of a OP b
BINARY: dict[int, Callable] = {
    0: lambda kb, a, b: kb.b.fadd(a, b),
    1: lambda kb, a, b: kb.b.fsub(a, b),
    2: lambda kb, a, b: kb.b.fmul(a, b),
    3: lambda kb, a, b: kb.b.fdiv(a, b),
    5: lambda kb, a, b: kb.select_cmp("<", a, b, a, b),  # Min: a < b ? a : b
    6: lambda kb, a, b: kb.select_cmp(">", a, b, a, b),  # Max: a > b ? a : b
    16: lambda kb, a, b: kb.select_cmp(">=", a, f32_const(0.0), a, kb.b.fmul(a, b)),  # PRelu
}


def nest(kb: KernelBuilder, dims: list[int], *strides: list[int]) -> tuple[ExitStack, list]:
    """Loops over every index of `dims` (row-major); the offsets of each operand given its strides."""
    stack = ExitStack()
    offs: list = [0] * len(strides)
    for d, n in enumerate(dims):
        i = stack.enter_context(kb.loop(0, n, f"d{d}"))
        offs = [kb.add(o, kb.mul(i, s[d])) for o, s in zip(offs, strides)]
    return stack, offs


def dense(dims: list[int]) -> list[int]:
    out, acc = [], 1
    for d in reversed(dims):
        out.append(acc)
        acc *= d
    return out[::-1]


def binary(kb: KernelBuilder, p: dict, args: list) -> bool:
    op = BINARY.get(p["op"])
    rank = p["rank"]
    if op is None or not 0 <= rank <= 6:
        return False
    a, b, y = args
    dims = p["dims"][:rank]
    if 0 in dims:
        return True
    stack, (oa, ob, oy) = nest(kb, dims, p["a_strides"][:rank], p["b_strides"][:rank], dense(dims))
    with stack:
        kb.store(kb.act(p["act"], op(kb, kb.load(a, oa), kb.load(b, ob))), y, oy)
    return True


def copy(kb: KernelBuilder, p: dict, args: list) -> bool:
    rank = p["rank"]
    if not 0 <= rank <= 6:
        return False
    x, y = args
    dims = p["dims"][:rank]
    if 0 in dims:
        return True
    stack, (ox, oy) = nest(kb, dims, p["in_strides"][:rank], p["out_strides"][:rank])
    with stack:
        kb.store(kb.load(x, kb.add(ox, p["in_offset"])), y, kb.add(oy, p["out_offset"]))
    return True


def unary(kb: KernelBuilder, p: dict, args: list) -> bool:
    if p["op"]["op"] not in (UNARY_IDENTITY, UNARY_RELU, UNARY_CLIP, UNARY_LEAKY_RELU) or p["size"] < 0:
        return False
    x, y = args
    if p["size"] > 0:
        with kb.loop(0, p["size"], "i") as i:
            kb.store(kb.act(p["op"], kb.load(x, i)), y, i)
    return True
