"""The int8 convolution's weight layout (kernels_s8.h's w_layout): OHWI where the DSP kernels stage columns
from a ring of input rows, OIHW (ONNX's order) everywhere else; the planner sizes the scratch for the layout
the lowering chose, and the simulator undoes the order."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import MODELS, requires_shared
from toolchain.boards import load_board
from toolchain.build import compile_model
from toolchain.ops import s8


def geo(**kw: int) -> dict[str, int]:
    g = {"n": 1, "c_in": 16, "h_in": 32, "w_in": 32, "c_out": 16, "h_out": 32, "w_out": 32, "k_h": 3, "k_w": 3,
         "stride_h": 1, "stride_w": 1, "dil_h": 1, "dil_w": 1, "pad_top": 1, "pad_left": 1, "groups": 1}
    return {**g, **kw}


def test_layout_follows_the_linked_kernel_and_the_ring_conditions():
    dsp, mve, ref = ("dsp", "ref"), ("mve", "dsp", "ref"), ("ref",)
    assert s8.conv_layout(dsp, geo()) == s8.CONV_W_OHWI
    for kernels in (mve, ref):
        assert s8.conv_layout(kernels, geo()) == s8.CONV_W_OIHW
    for other in (dict(c_in=3), dict(k_h=1, k_w=1, pad_top=0, pad_left=0), dict(c_in=2, k_w=4, dil_w=2),
                  dict(groups=16, c_out=16)):
        assert s8.conv_layout(dsp, geo(**other)) == s8.CONV_W_OIHW, other
    # narrow rows, and a kernel row of whole blocks of four taps over one or two channels
    for ring in (dict(w_out=5, w_in=5), dict(w_out=1, w_in=1), dict(c_in=1, k_w=4), dict(c_in=2, k_w=2)):
        assert s8.conv_layout(dsp, geo(**ring)) == s8.CONV_W_OHWI, ring
    # a wide image with many channels: the ring would be more than 3x im2col's scratch
    wide = geo(c_in=64, w_in=224, w_out=224)
    assert s8.dsp_conv_scratch_bytes(wide, s8.CONV_W_OHWI) > 3 * s8.dsp_conv_scratch_bytes(wide, s8.CONV_W_OIHW)
    assert s8.conv_layout(dsp, wide) == s8.CONV_W_OIHW


def test_ring_scratch_is_the_columns_and_the_rows():
    g = geo(stride_h=2, dil_w=2)
    rows, width = 2 + 1 + 2, 31 * 1 + 2 * 2 + 1
    assert s8.dsp_conv_scratch_bytes(g, s8.CONV_W_OHWI) == 48 * 36 + rows * width * 16
    assert s8.dsp_conv_scratch_bytes(g, s8.CONV_W_OIHW) == 56 * 36
    # KWS's first layer: one channel, 10x4, stride 2, rows of 5 outputs (six pixels touch two rows)
    kws = geo(c_in=1, c_out=64, h_in=49, w_in=10, h_out=25, w_out=5, k_h=10, k_w=4, stride_h=2, stride_w=2)
    rows, width = 9 + 1 + 2 * 1, 4 * 2 + 3 + 1
    assert s8.dsp_conv_scratch_bytes(kws, s8.CONV_W_OHWI) == 48 * 10 + rows * 4 * ((width + 3) // 4)


@pytest.mark.parametrize("layout", [s8.CONV_W_OIHW, s8.CONV_W_OHWI])
def test_weight_order_round_trips(layout):
    g = geo(c_in=8, c_out=3, k_h=2, k_w=3)
    w = np.arange(3 * 8 * 2 * 3).reshape(3, 8, 2, 3)
    stored = w.reshape(-1)[s8.conv_weight_order(g, layout)]
    if layout == s8.CONV_W_OHWI:
        assert np.array_equal(stored, w.transpose(0, 2, 3, 1).reshape(-1))
    back = np.empty_like(stored)
    back[s8.conv_weight_order(g, layout)] = stored
    assert np.array_equal(back, w.reshape(-1))


@requires_shared()
def test_resnet_lowering_stores_ohwi_for_the_dsp_boards_only():
    model = MODELS / "bench" / "ic_resnet8_qdq.onnx"
    for name, expect_ohwi in (("cortex-m4", True), ("cortex-m55", False), ("cortex-m3", False)):
        board = load_board(name)
        c = compile_model(model, board=board)
        calls = [call for layer in c.program.layers for call in layer.calls if call.fn == "mlc_conv2d_s8"]
        layouts = {call.params["w_layout"] for call in calls}
        if not expect_ohwi:
            assert layouts == {s8.CONV_W_OIHW}, name
            continue
        assert layouts == {s8.CONV_W_OIHW, s8.CONV_W_OHWI}, name
        for call in calls:
            q = call.params
            assert q["w_layout"] == s8.conv_layout(board.kernels, q)
            scratch = [a for a in call.args if a.kind == "scratch"]
            assert c.plan.buffers[scratch[0].name].size >= s8.dsp_conv_scratch_bytes(q, q["w_layout"])
