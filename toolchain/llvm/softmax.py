"""mlc_softmax_f32 (runtime_c/kernels/ref/softmax_f32.c) for Softmax and LogSoftmax with constant
extents; Hardmax (log == 2) stays with the C kernel. expf/logf are the C library's, as in C."""

from __future__ import annotations

from toolchain.llvm.builder import KernelBuilder, f32_const


def softmax(kb: KernelBuilder, p: dict, args: list) -> bool:
    if p["log"] not in (0, 1) or min(p["outer"], p["axis"], p["inner"]) < 0:
        return False
    x, y = args
    s, axis = p["inner"], p["axis"]
    if axis == 0:
        return True
    with kb.loop(0, p["outer"], "o") as o, kb.loop(0, s, "in") as i:
        base = kb.lin(0, (o, axis * s), (i, 1))
        mx = kb.var(kb.load(x, base), "mx")
        if axis > 1:
            with kb.loop(1, axis, "a") as a:
                v = kb.load(x, kb.lin(0, (base, 1), (a, s)))
                kb.set(mx, kb.select_cmp(">", v, kb.get(mx), v, kb.get(mx)))
        mxv = kb.get(mx)
        total = kb.var(f32_const(0.0), "sum")
        with kb.loop(0, axis, "a") as a:
            e = kb.libm("expf", kb.b.fsub(kb.load(x, kb.lin(0, (base, 1), (a, s))), mxv))
            if p["log"] == 0:
                kb.store(e, y, kb.lin(0, (base, 1), (a, s)))
            kb.set(total, kb.fadd(kb.get(total), e))
        if p["log"] == 0:
            inv = kb.b.fdiv(f32_const(1.0), kb.get(total))
            with kb.loop(0, axis, "a") as a:
                idx = kb.lin(0, (base, 1), (a, s))
                kb.store(kb.fmul(kb.load(y, idx), inv), y, idx)
        else:
            lse = kb.libm("logf", kb.get(total))
            with kb.loop(0, axis, "a") as a:
                idx = kb.lin(0, (base, 1), (a, s))
                kb.store(kb.b.fsub(kb.b.fsub(kb.load(x, idx), mxv), lse), y, idx)
    return True
