"""The DSP int8 kernels (runtime_c/kernels/dsp) and the Helium ones (runtime_c/kernels/mve) against the
reference kernels on the emulated cores: one firmware per board links both (the reference renamed ref_*),
runs seeded random cases of every kernel the optimized directories define and exits through semihosting
with 0 only if every output byte and return code matches (tests/kernels_dsp/fw_compare.c). The Cortex-M55
firmware takes each kernel from mve, then dsp (dsp_fw.BOARD_DIRS), like the board; fw_mve.c adds the cases
that steer the MVE kernels through their other paths."""

from __future__ import annotations

import shutil
import zlib
from pathlib import Path

import dsp_fw
import pytest

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                                reason="needs arm-none-eabi-gcc and qemu-system-arm")


@pytest.mark.parametrize("board_name", dsp_fw.DSP_BOARDS)
def test_dsp_matches_ref_on_board(board_name, tmp_path):
    b = dsp_fw.board(board_name)
    seed = zlib.crc32(board_name.encode()) & 0xFFFF  # a different stream of cases per board
    elf = dsp_fw.build(b, HERE / "fw_compare.c", tmp_path, (f"-DFW_SEED={seed}u",))
    res = dsp_fw.run(b, elf, timeout=120)
    assert res.returncode == 0, f"{board_name}: exit {res.returncode}\n{res.stderr}"
    assert "all cases match" in res.stderr


def test_mve_edge_cases_on_m55(tmp_path):
    b = dsp_fw.board("cortex-m55")
    assert dsp_fw.board_dirs("cortex-m55") == ("mve", "dsp")
    elf = dsp_fw.build(b, HERE / "fw_mve.c", tmp_path, ("-DFW_SEED=3u", "-DFW_CASES=400"))
    res = dsp_fw.run(b, elf, timeout=300)
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stderr}"
    assert "mve kernels: all cases match" in res.stderr


def test_benchmark_firmware_builds(tmp_path):
    """benchmarks/dsp_kernels_fw.c calls the kernels directly: a signature change must not leave it broken
    (only built here; benchmarks/dsp_kernels.py runs it and prints the figures)."""
    fw = HERE.parent.parent / "benchmarks" / "dsp_kernels_fw.c"
    assert dsp_fw.build(dsp_fw.board("cortex-m4"), fw, tmp_path, ("-DBENCH_OTHERS",)).exists()
