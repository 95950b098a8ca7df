"""LLVM backend vs C backend on every shared model and every target (a long check, not part of the suite).

    python benchmarks/llvm_equivalence.py [--workers 2]

Float models: one calibration input each, LLVM within 1e-5 relative of C. Quantized models (the pre-quantized
set and the digits PTQ builds): byte-identical. Targets: host, the emulated cortex-m3/m4/m7/m33/m55 and the
cortex-a53/a7 Linux boards under qemu-user. Prints one line per (model, target); exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tests.conftest import FLOAT_MODELS, MODELS  # noqa: E402
from tests.llvm.util import c_and_llvm, model_inputs  # noqa: E402
from tests.quant.util import PRE_QUANTIZED, PTQ, calib_inputs, compiled  # noqa: E402
from toolchain.boards import load_board  # noqa: E402
from toolchain.build import build  # noqa: E402
from toolchain.io_arrays import batch_from_arrays  # noqa: E402
from toolchain.run import execute  # noqa: E402

TARGETS = ["host", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55", "cortex-a53", "cortex-a7"]
RTOL = 1e-5


def _float(rel: str, board: str, tmp: Path) -> tuple[bool, str]:
    outs = c_and_llvm(MODELS / rel, board, model_inputs(rel, 1), tmp, FLOAT_MODELS[rel])
    worst = 0.0
    for c, ll in zip(outs["c"], outs["llvm"]):
        if c.size:
            c64, l64 = c.astype(np.float64), ll.astype(np.float64)
            scale = np.maximum(np.abs(c64), 1e-3 * np.max(np.abs(c64)) + 1e-30)
            worst = max(worst, float(np.max(np.abs(l64 - c64) / scale)))
    return worst <= RTOL, f"max relative difference {worst:.2g}"


def _int8(rel: str, board: str, tmp: Path) -> tuple[bool, str]:
    c = compiled(rel)
    b = load_board(board)
    batch = batch_from_arrays([calib_inputs(rel, 1)], c.program.inputs, "x")
    outs = {emit: execute(build(c.source, b, tmp / emit, compiled=c, emit=emit), b, batch).outputs
            for emit in ("c", "llvm")}
    same = all(x.tobytes() == y.tobytes() for x, y in zip(outs["c"], outs["llvm"]))
    return same, "byte-identical" if same else "DIFFERENT"


def job(args: tuple[str, str, str]) -> tuple[str, str, str, bool, str]:
    kind, rel, board = args
    with tempfile.TemporaryDirectory(prefix="mlc-llvm-eq-") as tmp:
        try:
            ok, what = (_float if kind == "float" else _int8)(rel, board, Path(tmp))
        except Exception as exc:  # report and go on: one line per pair
            ok, what = False, f"error: {type(exc).__name__}: {str(exc)[:200]}"
    return kind, rel, board, ok, what


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    jobs = [("float", r, b) for r in sorted(FLOAT_MODELS) for b in TARGETS]
    jobs += [("int8", r, b) for r in PRE_QUANTIZED + sorted(PTQ) for b in TARGETS]
    failed = 0
    with Pool(args.workers) as pool:
        for kind, rel, board, ok, what in pool.imap_unordered(job, jobs):
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {kind:5} {rel:40} {board:11} {what}", flush=True)
    print(f"{len(jobs) - failed} of {len(jobs)} pairs equal", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
