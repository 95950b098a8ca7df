"""mlc_conv2d_f32 (runtime_c/kernels/ref/conv2d_f32.c) specialised to one layer's constant shape.

Output rows and columns are split into runs with the same valid kernel window (borders and interior),
so every loop has a constant trip count and no tap needs a bounds check. LANES outputs are computed
together (a vector register on MVE, NEON and SSE targets; on scalar cores one load serves several
outputs): LANES output channels when the weights are constant and each group has a multiple of LANES
channels (the generator keeps its own copy of the weights, laid out [group][channel block][kh][kw][ic][LANES]
so the LANES weights of a tap are one vector load), otherwise LANES neighbouring outputs of a row. Accumulation order per output is the C kernel's: bias,
then taps in (kh, kw, input channel) order."""

from __future__ import annotations

import numpy as np

from toolchain.llvm.builder import LANES, KernelBuilder, f32_const, segments, window_range


def conv2d(kb: KernelBuilder, p: dict, args: list) -> bool:
    x, w, bias, y = args
    groups = p["groups"]
    if groups <= 0 or p["c_in"] % groups or p["c_out"] % groups or min(p["stride_h"], p["stride_w"], p["dil_h"],
                                                                          p["dil_w"], p["k_h"], p["k_w"]) <= 0:
        return False
    cig, cog = p["c_in"] // groups, p["c_out"] // groups
    h_in, w_in, h_out, w_out, k_h, k_w = p["h_in"], p["w_in"], p["h_out"], p["w_out"], p["k_h"], p["k_w"]
    sw = p["stride_w"]
    plane_in, ksize = h_in * w_in, k_h * k_w
    hseg = segments(h_out, lambda o: window_range(o * p["stride_h"] - p["pad_top"], p["dil_h"], k_h, h_in))
    wseg = segments(w_out, lambda o: window_range(o * sw - p["pad_left"], p["dil_w"], k_w, w_in))
    wdata = kb.array_of(w)
    if cig > 1 and cog % LANES == 0 and wdata is not None:
        _conv_oc_blocked(kb, p, x, wdata, bias, y, hseg, wseg)
        return True
    with kb.loop(0, p["n"], "n") as n, kb.loop(0, groups, "g") as g, kb.loop(0, cog, "oc") as oci:
        oc = kb.lin(0, (g, cog), (oci, 1))
        xg = kb.lin(0, (n, p["c_in"] * plane_in), (g, cig * plane_in))
        woc = kb.mul(oc, cig * ksize)
        b0 = kb.load(bias, oc) if bias is not None else f32_const(0.0)
        ybase = kb.lin(0, (n, p["c_out"] * h_out * w_out), (oc, h_out * w_out))

        def taps(ih0, iw0, kh0, kh1, kw0, kw1, mac):
            """mac(x index, weight) for every valid tap in (kh, kw, ic) order."""
            if kh0 < kh1 and kw0 < kw1:
                with kb.loop(kh0, kh1, "kh") as kh, kb.loop(kw0, kw1, "kw") as kw:
                    xp = kb.lin(0, (xg, 1), (ih0, w_in), (kh, p["dil_h"] * w_in), (iw0, 1), (kw, p["dil_w"]))
                    wp = kb.lin(0, (woc, 1), (kh, k_w), (kw, 1))
                    with kb.loop(0, cig, "ic") as ic:
                        mac(kb.lin(0, (xp, 1), (ic, plane_in)), kb.load(w, kb.lin(0, (wp, 1), (ic, ksize))))

        for h0, h1, (kh0, kh1) in hseg:
            with kb.loop(h0, h1, "oh") as oh:
                ih0 = kb.lin(-p["pad_top"], (oh, p["stride_h"]))
                yrow = kb.lin(0, (ybase, 1), (oh, w_out))
                for w0, w1, (kw0, kw1) in wseg:
                    blocks = (w1 - w0) // LANES
                    if blocks:
                        with kb.loop(0, blocks, "owb") as blk:
                            ow0 = kb.lin(w0, (blk, LANES))
                            vacc = kb.vvar(kb.splat(b0))

                            def vmac(xi, wv, vacc=vacc):
                                prod = kb.b.fmul(kb.vload(x, xi, sw), kb.splat(wv))
                                kb.b.store(kb.b.fadd(kb.vget(vacc), prod), vacc)
                            taps(ih0, kb.lin(-p["pad_left"], (ow0, sw)), kh0, kh1, kw0, kw1, vmac)
                            v = kb.vget(vacc)
                            for j in range(LANES):
                                kb.store(kb.act(p["act"], kb.lane(v, j)), y, kb.lin(j, (yrow, 1), (ow0, 1)))
                    if w0 + blocks * LANES == w1:
                        continue
                    with kb.loop(w0 + blocks * LANES, w1, "ow") as ow:
                        acc = kb.var(b0)

                        def smac(xi, wv, acc=acc):
                            kb.set(acc, kb.fadd(kb.get(acc), kb.fmul(kb.load(x, xi), wv)))
                        taps(ih0, kb.lin(-p["pad_left"], (ow, sw)), kh0, kh1, kw0, kw1, smac)
                        kb.store(kb.act(p["act"], kb.get(acc)), y, kb.lin(0, (yrow, 1), (ow, 1)))
    return True


def _conv_oc_blocked(kb: KernelBuilder, p: dict, x, wdata, bias, y, hseg, wseg) -> None:
    groups = p["groups"]
    cig, cog = p["c_in"] // groups, p["c_out"] // groups
    h_in, w_in, h_out, w_out, k_h, k_w = p["h_in"], p["w_in"], p["h_out"], p["w_out"], p["k_h"], p["k_w"]
    plane_in, nb = h_in * w_in, cog // LANES
    wpk = kb.packed("wpk", np.asarray(wdata, np.float32).reshape(groups, nb, LANES, cig, k_h, k_w)
                    .transpose(0, 1, 4, 5, 3, 2))
    with kb.loop(0, p["n"], "n") as n, kb.loop(0, groups, "g") as g, kb.loop(0, nb, "ocb") as ocb:
        oc0 = kb.lin(0, (g, cog), (ocb, LANES))
        xg = kb.lin(0, (n, p["c_in"] * plane_in), (g, cig * plane_in))
        wblk = kb.lin(0, (g, nb * k_h * k_w * cig * LANES), (ocb, k_h * k_w * cig * LANES))
        b0 = kb.vload(bias, oc0, 1) if bias is not None else kb.splat(f32_const(0.0))
        ybase = kb.lin(0, (n, p["c_out"] * h_out * w_out), (oc0, h_out * w_out))
        for h0, h1, (kh0, kh1) in hseg:
            with kb.loop(h0, h1, "oh") as oh:
                ih0 = kb.lin(-p["pad_top"], (oh, p["stride_h"]))
                for w0, w1, (kw0, kw1) in wseg:
                    with kb.loop(w0, w1, "ow") as ow:
                        iw0 = kb.lin(-p["pad_left"], (ow, p["stride_w"]))
                        vacc = kb.vvar(b0)
                        if kh0 < kh1 and kw0 < kw1:
                            with kb.loop(kh0, kh1, "kh") as kh, kb.loop(kw0, kw1, "kw") as kw:
                                xp = kb.lin(0, (xg, 1), (ih0, w_in), (kh, p["dil_h"] * w_in), (iw0, 1),
                                            (kw, p["dil_w"]))
                                wp = kb.lin(0, (wblk, 1), (kh, k_w * cig * LANES), (kw, cig * LANES))
                                with kb.loop(0, cig, "ic") as ic:
                                    xv = kb.splat(kb.load(x, kb.lin(0, (xp, 1), (ic, plane_in))))
                                    wv = kb.vload(wpk, kb.lin(0, (wp, 1), (ic, LANES)), 1)
                                    kb.b.store(kb.b.fadd(kb.vget(vacc), kb.b.fmul(xv, wv)), vacc)
                        v = kb.vget(vacc)
                        for j in range(LANES):
                            kb.store(kb.act(p["act"], kb.lane(v, j)), y,
                                     kb.lin(j * h_out * w_out, (ybase, 1), (oh, w_out), (ow, 1)))
