"""mlc_matmul_f32 (runtime_c/kernels/ref/matmul_f32.c) specialised to one layer: every stride, the batch
offsets and alpha/beta are constants. LANES neighbouring outputs of a row are computed together (one load
of A serves them all; a vector register on MVE, NEON and SSE targets), the remainder one at a time.
Per output, as in C: 0, products in k order, times alpha, plus beta * bias, activation."""

from __future__ import annotations

import itertools

import numpy as np
from llvmlite import ir

from toolchain.llvm.builder import I32, LANES, KernelBuilder, f32_const


def matmul(kb: KernelBuilder, p: dict, args: list) -> bool:
    a, b, bias, y = args
    m_, n_, k_ = p["m"], p["n"], p["k"]
    if min(m_, n_, k_) < 0:
        return False
    rank = p["batch_rank"]
    dims = p["batch_dims"][:rank]
    offs = [(sum(i * s for i, s in zip(idx, p["a_batch_strides"])), sum(i * s for i, s in zip(idx, p["b_batch_strides"])))
            for idx in itertools.product(*[range(d) for d in dims])]
    if not offs or m_ == 0 or n_ == 0:
        return True
    if len(offs) == 1:
        tables = None
    else:
        tables = [kb.const_global("batch_off", ir.Constant(ir.ArrayType(I32, len(offs)), [I32(o[j]) for o in offs]))
                  for j in (0, 1)]
    alpha, beta = float(p["alpha"]), float(p["beta"])
    ask, bsk, bsn = p["a_stride_k"], p["b_stride_k"], p["b_stride_n"]

    def finish(v, bt, m, n):
        if alpha != 1.0:  # x * 1.0f == x exactly: the C kernel's multiply is skipped only then
            v = kb.fmul(v, f32_const(alpha))
        if bias is not None:
            bv = kb.load(bias, kb.lin(0, (m, p["bias_stride_m"]), (n, p["bias_stride_n"])))
            v = kb.fadd(v, bv if beta == 1.0 else kb.fmul(f32_const(beta), bv))
        kb.store(kb.act(p["act"], v), y, kb.lin(0, (bt, m_ * n_), (m, n_), (n, 1)))

    # A constant B read across its rows (Gemm with transB) gets the generator's own copy, laid out
    # [n block][k][LANES], so the LANES values of one k are one vector load.
    bdata = kb.array_of(b)
    bpk = None
    if bdata is not None and len(offs) == 1 and bsn != 1 and n_ >= LANES and k_ > 0:
        flat = np.asarray(bdata, np.float32).reshape(-1)
        kk, nn = np.meshgrid(np.arange(k_), np.arange(n_ // LANES * LANES), indexing="ij")
        dense = flat[offs[0][1] + kk * bsk + nn * bsn]  # [k][n]
        bpk = kb.packed("bpk", dense.reshape(k_, n_ // LANES, LANES).transpose(1, 0, 2))
    with kb.loop(0, len(offs), "bt") as bt:
        if tables is None:
            aoff, boff = offs[0]
        else:
            aoff, boff = (kb.b.load(kb.b.gep(t, [I32(0), bt], inbounds=True), typ=I32) for t in tables)
        with kb.loop(0, m_, "m") as m:
            pa = kb.lin(0, (aoff, 1), (m, p["a_stride_m"]))
            blocks = n_ // LANES
            if blocks:
                with kb.loop(0, blocks, "nb") as nb:
                    n0 = kb.mul(nb, LANES)
                    pb = kb.lin(0, (boff, 1), (n0, bsn))
                    vacc = kb.vvar(kb.splat(f32_const(0.0)))
                    if k_ > 0:
                        with kb.loop(0, k_, "k") as k:
                            av = kb.splat(kb.load(a, kb.lin(0, (pa, 1), (k, ask))))
                            if bpk is not None:
                                bv = kb.vload(bpk, kb.lin(0, (nb, k_ * LANES), (k, LANES)), 1)
                            else:
                                bv = kb.vload(b, kb.lin(0, (pb, 1), (k, bsk)), bsn)
                            kb.b.store(kb.b.fadd(kb.vget(vacc), kb.b.fmul(av, bv)), vacc)
                    v = kb.vget(vacc)
                    for j in range(LANES):
                        finish(kb.lane(v, j), bt, m, kb.add(n0, j))
            if blocks * LANES < n_:
                with kb.loop(blocks * LANES, n_, "n") as n:
                    pb = kb.lin(0, (boff, 1), (n, bsn))
                    acc = kb.var(f32_const(0.0))
                    if k_ > 0:
                        with kb.loop(0, k_, "k") as k:
                            prod = kb.fmul(kb.load(a, kb.lin(0, (pa, 1), (k, ask))),
                                           kb.load(b, kb.lin(0, (pb, 1), (k, bsk))))
                            kb.set(acc, kb.fadd(kb.get(acc), prod))
                    finish(kb.get(acc), bt, m, n)
    return True
