"""mlc_maxpool2d_f32 and mlc_avgpool2d_f32 (runtime_c/kernels/ref/*pool2d_f32.c), specialised to one
layer: outputs are split into runs with the same window (and divisor), so the loops have constant bounds."""

from __future__ import annotations

from toolchain.llvm.builder import KernelBuilder, f32_const, segments, window_range

FLT_MAX = 3.4028234663852886e38


def _valid(p: dict) -> bool:
    return min(p["stride_h"], p["stride_w"], p["dil_h"], p["dil_w"]) > 0


def _windows(p: dict, padded: bool):
    def key(o: int, s: str, pad0: str, pad1: str, k: str, lim: str, d: str):
        start = o * p[f"stride_{s}"] - p[pad0]
        win = window_range(start, p[f"dil_{s}"], p[k], p[lim])
        if padded:
            win += window_range(start + p[pad0], p[f"dil_{s}"], p[k], p[lim] + p[pad0] + p[pad1])
        return win

    hseg = segments(p["h_out"], lambda o: key(o, "h", "pad_top", "pad_bottom", "k_h", "h_in", "h"))
    wseg = segments(p["w_out"], lambda o: key(o, "w", "pad_left", "pad_right", "k_w", "w_in", "w"))
    return hseg, wseg


def _pool(kb: KernelBuilder, p: dict, x, y, padded: bool, window) -> None:
    """window(xc, ih0, iw0, hwin, wwin) -> the pooled value of one output (before the activation)."""
    plane = p["h_in"] * p["w_in"]
    hseg, wseg = _windows(p, padded)
    with kb.loop(0, p["n"] * p["c"], "nc") as nc:
        xc = kb.mul(nc, plane)
        for h0, h1, hwin in hseg:
            with kb.loop(h0, h1, "oh") as oh:
                ih0 = kb.lin(-p["pad_top"], (oh, p["stride_h"]))
                for w0, w1, wwin in wseg:
                    with kb.loop(w0, w1, "ow") as ow:
                        iw0 = kb.lin(-p["pad_left"], (ow, p["stride_w"]))
                        v = window(xc, ih0, iw0, hwin, wwin)
                        kb.store(kb.act(p["act"], v), y,
                                 kb.lin(0, (nc, p["h_out"] * p["w_out"]), (oh, p["w_out"]), (ow, 1)))


def _taps(kb: KernelBuilder, p: dict, xc, ih0, iw0, hwin, wwin, body) -> None:
    with kb.loop(hwin[0], hwin[1], "kh") as kh, kb.loop(wwin[0], wwin[1], "kw") as kw:
        body(kb.lin(0, (xc, 1), (ih0, p["w_in"]), (kh, p["dil_h"] * p["w_in"]), (iw0, 1), (kw, p["dil_w"])))


def maxpool2d(kb: KernelBuilder, p: dict, args: list) -> bool:
    if not _valid(p):
        return False
    x, y = args

    def window(xc, ih0, iw0, hwin, wwin):
        if not (hwin[0] < hwin[1] and wwin[0] < wwin[1]):
            return f32_const(-FLT_MAX)  # padding never wins; an empty window gives -FLT_MAX as in C
        first = kb.lin(0, (xc, 1), (ih0, p["w_in"]), (iw0, 1), (hwin[0], p["dil_h"] * p["w_in"]),
                       (wwin[0], p["dil_w"]))
        mx = kb.var(kb.load(x, first), "mx")

        def tap(idx):
            v = kb.load(x, idx)
            kb.set(mx, kb.select_cmp(">", v, kb.get(mx), v, kb.get(mx)))  # strict: the first maximum wins
        _taps(kb, p, xc, ih0, iw0, hwin, wwin, tap)
        return kb.get(mx)

    _pool(kb, p, x, y, False, window)
    return True


def avgpool2d(kb: KernelBuilder, p: dict, args: list) -> bool:
    if not _valid(p) or p["lp_p"] != 0:
        return False  # LpPool stays with the C kernel
    x, y = args

    def window(xc, ih0, iw0, hwin, wwin):
        kh0, kh1, ph0, ph1 = hwin
        kw0, kw1, pw0, pw1 = wwin
        acc = kb.var(f32_const(0.0))
        if kh0 < kh1 and kw0 < kw1:
            _taps(kb, p, xc, ih0, iw0, (kh0, kh1), (kw0, kw1),
                  lambda idx: kb.set(acc, kb.fadd(kb.get(acc), kb.load(x, idx))))
        count = (ph1 - ph0) * (pw1 - pw0) if p["count_include_pad"] else (kh1 - kh0) * (kw1 - kw0)
        return kb.b.fdiv(kb.get(acc), f32_const(float(count))) if count > 0 else f32_const(0.0)

    _pool(kb, p, x, y, True, window)
    return True
