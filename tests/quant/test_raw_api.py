"""The raw int8 entry point mlc_<name>_run_s8: compiled into a small host program, it gives the int8 values
whose dequantization is the float wrapper's output (and the simulator's)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tests.conftest import requires_shared
from tests.quant.util import calib_inputs, compiled
from toolchain.boards import load_board
from toolchain.build import build
from toolchain.quant import ref_kernels as rk
from toolchain.quant.simulate import simulate

pytestmark = requires_shared()

MAIN = r"""
#include <stdio.h>
#include <stdint.h>
#include "model.h"
static uint8_t arena[MLC_DIGITS_CNN_QDQ_ARENA_SIZE] __attribute__((aligned(16)));
int main(void) {
    int8_t x[MLC_DIGITS_CNN_QDQ_INPUT_INPUT_SIZE], y[MLC_DIGITS_CNN_QDQ_OUTPUT_OUTPUT_SIZE];
    if (fread(x, 1, sizeof x, stdin) != sizeof x) return 2;
    if (mlc_digits_cnn_qdq_run_s8(x, y, arena) != 0) return 3;
    fwrite(y, 1, sizeof y, stdout);
    return 0;
}
"""


def test_raw_int8_api_matches_the_float_wrapper():
    c = compiled("digits_cnn_qdq.onnx")
    t_in, t_out = c.program.inputs[0], c.program.outputs[0]
    x = calib_inputs("digits_cnn_qdq.onnx", 1)[0]
    with tempfile.TemporaryDirectory(prefix="mlc-raw-") as tmp:
        out = Path(tmp) / "out"
        build(c.source, load_board("host"), out, compiled=c)
        (out / "raw_main.c").write_text(MAIN)
        kernels = sorted(str(p) for p in (out / "mlc_runtime" / "kernels").glob("*.c"))
        exe = out / "raw"
        subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I", str(out), "-I",
                        str(out / "mlc_runtime" / "include"), "-I", str(out / "mlc_runtime" / "kernels"),
                        str(out / "raw_main.c"), str(out / "model.c"), *kernels, "-lm", "-o", str(exe)], check=True)
        xq = rk.quantize_f32_s8(x, t_in.scale, t_in.zero_point)
        yq = np.frombuffer(subprocess.run([str(exe)], input=xq.tobytes(), capture_output=True, check=True).stdout,
                           np.int8)
    want = simulate(c.program, [x])[0].reshape(-1)
    assert np.array_equal(rk.dequantize_s8_f32(yq, t_out.scale, t_out.zero_point), want)
