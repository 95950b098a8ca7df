"""Board integration of the DSP and Helium kernels: the boards with a DSP core search runtime_c/kernels/dsp
before ref, the Cortex-M55 searches mve, then dsp, then ref, every other board uses ref, and the build takes
each called function from the first directory that defines it (toolchain/boards.py `kernels`,
toolchain/build.py `_kernel_sources`)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from toolchain.boards import list_boards, load_board
from toolchain.build import _kernel_sources
from toolchain.errors import UsageError

DSP_BOARDS = {"cortex-m4", "cortex-m7", "cortex-m33", "nucleo-l4r5zi", "nucleo-f746zg", "stm32f4-discovery",
              "nrf52840dk"}
MVE_BOARDS = {"cortex-m55"}


def test_board_kernel_directories():
    boards = {b.name: b for b in list_boards()}
    assert DSP_BOARDS | MVE_BOARDS <= set(boards)
    for name, b in boards.items():
        want = ("mve", "dsp", "ref") if name in MVE_BOARDS else ("dsp", "ref") if name in DSP_BOARDS else ("ref",)
        assert b.kernels == want, name
        assert b.kernels[-1] == "ref"


def test_each_function_from_the_first_directory_that_defines_it():
    program = SimpleNamespace(kernels=["mlc_conv2d_s8", "mlc_fc_s8", "mlc_softmax_s8", "mlc_conv2d_f32"])
    dsp = {p.parent.name + "/" + p.name for p in _kernel_sources(program, load_board("cortex-m4"))}
    # dsp/conv2d_s8_dw.c: a part of dsp/conv2d_s8.c (toolchain/build.py `kernel_parts`), wherever it goes
    assert {"dsp/conv2d_s8.c", "dsp/conv2d_s8_dw.c", "dsp/fc_s8.c", "ref/softmax_s8.c", "ref/conv2d_f32.c",
            "ref/unary_f32.c"} == dsp
    mve = {p.parent.name + "/" + p.name for p in _kernel_sources(program, load_board("cortex-m55"))}
    assert {"mve/conv2d_s8.c", "mve/fc_s8.c", "ref/softmax_s8.c", "ref/conv2d_f32.c", "ref/unary_f32.c"} == mve
    both = SimpleNamespace(kernels=["mlc_conv2d_s8", "mlc_add_s8", "mlc_channel_affine_s8", "mlc_mean_s8"])
    mve = {p.parent.name + "/" + p.name for p in _kernel_sources(both, load_board("cortex-m55"))}
    assert {"mve/conv2d_s8.c", "mve/add_s8.c", "mve/channel_affine_s8.c", "dsp/mean_s8.c", "ref/unary_f32.c"} == mve
    for board in (load_board("cortex-m0"), load_board("host"), None):
        ref = {p.parent.name for p in _kernel_sources(program, board)}
        assert ref == {"ref"}


def test_unknown_kernel_directory_is_a_usage_error(tmp_path):
    text = (Path(load_board("cortex-m4").path)).read_text().replace('kernels = ["dsp", "ref"]',
                                                                      'kernels = ["neon", "ref"]')
    (tmp_path / "x.toml").write_text(text)
    with pytest.raises(UsageError, match="unknown kernel directory 'neon'"):
        load_board(str(tmp_path / "x.toml"))
