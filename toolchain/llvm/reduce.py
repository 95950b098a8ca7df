"""mlc_reduce_f32 (runtime_c/kernels/ref/reduce_f32.c) for Sum, Mean, Max, Min, SumSquare, L1 and L2:
loops over the kept axes, then over the reduced axes in row-major order (the C kernel's order)."""

from __future__ import annotations

from contextlib import ExitStack

from toolchain.llvm.builder import F32, KernelBuilder, f32_const
from toolchain.llvm.elementwise import dense

SUM, MEAN, MAX, MIN, L1, L2, SUM_SQUARE = 0, 1, 2, 3, 5, 6, 9
INF = float("inf")


def reduce(kb: KernelBuilder, p: dict, args: list) -> bool:
    op, rank = p["op"], p["rank"]
    if op not in (SUM, MEAN, MAX, MIN, L1, L2, SUM_SQUARE) or not 0 <= rank <= 6:
        return False
    x, y = args
    dims = p["in_dims"][:rank]
    strides = dense(dims)
    kept = [d for d in range(rank) if not p["reduced"][d]]
    red = [d for d in range(rank) if p["reduced"][d]]
    if any(dims[d] == 0 for d in kept):
        return True
    count = 1
    for d in red:
        count *= dims[d]
    init = {MAX: -INF, MIN: INF}.get(op, 0.0)
    with ExitStack() as outer:
        xo, yo = 0, 0
        for d, ystride in zip(kept, dense([dims[k] for k in kept])):
            i = outer.enter_context(kb.loop(0, dims[d], f"k{d}"))
            xo, yo = kb.add(xo, kb.mul(i, strides[d])), kb.add(yo, kb.mul(i, ystride))
        acc = kb.var(f32_const(init))
        if count > 0:
            with ExitStack() as inner:
                xi = xo
                for d in red:
                    xi = kb.add(xi, kb.mul(inner.enter_context(kb.loop(0, dims[d], f"r{d}")), strides[d]))
                v, a = kb.load(x, xi), kb.get(acc)
                if op == MAX:
                    kb.set(acc, kb.select_cmp(">", v, a, v, a))
                elif op == MIN:
                    kb.set(acc, kb.select_cmp("<", v, a, v, a))
                elif op in (L2, SUM_SQUARE):
                    kb.set(acc, kb.fadd(a, kb.fmul(v, v)))
                elif op == L1:
                    fabs = kb.module.declare_intrinsic("llvm.fabs", [F32])
                    kb.set(acc, kb.fadd(a, kb.b.call(fabs, [v])))
                else:
                    kb.set(acc, kb.fadd(a, v))
        v = kb.get(acc)
        if op == MEAN:
            v = kb.b.fdiv(v, f32_const(float(count)))
        elif op == L2:
            v = kb.b.call(kb.module.declare_intrinsic("llvm.sqrt", [F32]), [v])
        kb.store(v, y, yo)
    return True
