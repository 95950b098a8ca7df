"""Quantized programs on the emulated Cortex-M4 (DSP kernels) and Cortex-M55 (Helium kernels, then DSP):
byte-identical to the host C and the Python simulator, and PTQ accuracy on the board."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.conftest import MODELS, requires_shared
from tests.quant.util import PRE_QUANTIZED, PTQ, calib_inputs, compiled, run_built
from toolchain.quant.simulate import simulate_batch

pytestmark = [requires_shared(),
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")]


def _count(rel: str) -> int:
    # Host-to-guest UART under QEMU moves about 16 KB/s: big float inputs get fewer samples.
    return 2 if "vww" in rel else 4 if "ic_" in rel else 8


@pytest.mark.parametrize("board_name", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("rel", PRE_QUANTIZED + sorted(PTQ))
def test_emulator_host_and_simulator_byte_identical(rel, board_name):
    """The program compiled for the board (its kernels' scratch, layouts and col_tiles, as `mlc build
    --board` does) against the one compiled for the reference kernels on the host, and the simulator."""
    c = compiled(rel)
    x = calib_inputs(rel, _count(rel))
    board = run_built(compiled(rel, board_name), board_name, x)
    host = run_built(c, "host", x)
    sim = simulate_batch(c.program, [x])[0].reshape(board.shape)
    assert board.tobytes() == host.tobytes() == sim.tobytes()


@pytest.mark.parametrize("rel", sorted(PTQ))
def test_ptq_accuracy_on_cortex_m4(rel):
    data = np.load(MODELS / "digits_data.npz")
    x, y = data["test_x"].astype(np.float32), data["test_y"]
    got = run_built(compiled(rel), "cortex-m4", x)
    float_acc = {"digits_cnn.onnx": 0.9924, "digits_mlp.onnx": 0.9798}[rel]  # models.json
    assert np.mean(got.argmax(1) == y) >= float_acc - 0.01


BENCH_NETS = [r for r in PRE_QUANTIZED if r.startswith("bench/")]


@pytest.mark.parametrize("board_name", ["cortex-m7", "cortex-m33", "cortex-m55"])
@pytest.mark.parametrize("rel", BENCH_NETS)
def test_optimized_kernels_match_reference_on_bench_nets(rel, board_name):
    """Every bench net on the other optimized-kernel boards (cortex-m4 is covered above) gives the bytes of
    the Python simulator, which the reference kernels match on the host."""
    from toolchain.boards import load_board

    assert load_board(board_name).kernels[0] != "ref", f"{board_name} no longer takes optimized kernels"
    x = calib_inputs(rel, 1)
    got = run_built(compiled(rel, board_name), board_name, x)  # compiled as `mlc build --board` does
    sim = simulate_batch(compiled(rel).program, [x])[0].reshape(got.shape)
    assert got.tobytes() == sim.tobytes()
