#!/usr/bin/env python3
"""C backend vs LLVM backend: instructions per inference on an emulated board (QEMU -icount, exact and
deterministic), code size, and agreement of the outputs.

    python benchmarks/llvm_vs_c.py                       # the float bench nets on cortex-m4, table to stdout
    python benchmarks/llvm_vs_c.py --board cortex-m55 --models a.onnx b.onnx
    python benchmarks/llvm_vs_c.py --update docs/benchmarks.md   # rewrite the board's table between its markers
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolchain.boards import load_board  # noqa: E402
from toolchain.build import build, compile_model  # noqa: E402
from toolchain.io_arrays import Batch  # noqa: E402
from toolchain.run import execute  # noqa: E402

SHARED = ROOT.parent / "shared" / "models" / "bench"

def markers(board: str) -> tuple[str, str]:
    return f"<!-- llvm_vs_c:{board}:begin -->", f"<!-- llvm_vs_c:{board}:end -->"


def measure(model: Path, board_name: str) -> dict:
    board = load_board(board_name)
    compiled = compile_model(model)
    rng = np.random.default_rng(0)
    arrays = [rng.random((1, *t.shape), dtype=np.float32) for t in compiled.program.inputs]
    row: dict = {"model": model.stem, "macs": compiled.program.macs}
    outs = {}
    with tempfile.TemporaryDirectory(prefix="mlc-bench-") as tmp:
        for emit in ("c", "llvm"):
            res = build(model, board, Path(tmp) / emit, compiled=compiled, emit=emit)
            run = execute(res, board, Batch(1, "stacked", arrays))
            row[emit] = run.counts[0] if run.counts else None
            row[f"{emit}_code"] = res.sizes.code
            row["unit"] = run.unit
            outs[emit] = run.outputs
    diffs = [float(np.max(np.abs(a.astype(np.float64) - b) / np.maximum(np.abs(a), 1e-30)))
             for a, b in zip(outs["c"], outs["llvm"]) if a.size]
    row["rel_diff"] = max(diffs, default=0.0)
    return row


def table(rows: list[dict], board: str) -> str:
    lines = [f"Instructions per inference on the emulated `{board}` (QEMU `-icount`, one inference; identical on every "
             "run), code size of the whole firmware (.text), largest relative output difference LLVM vs C.", "",
             "| model | MACs | C instructions | LLVM instructions | LLVM / C | C code B | LLVM code B | max rel diff |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{r['llvm'] / r['c']:.2f}" if r["c"] and r["llvm"] else "-"
        lines.append(f"| {r['model']} | {r['macs']:,} | {r['c']:,} | {r['llvm']:,} | {ratio} | {r['c_code']:,} | "
                     f"{r['llvm_code']:,} | {r['rel_diff']:.1g} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="cortex-m4")
    ap.add_argument("--models", nargs="*", type=Path,
                    default=sorted(p for p in SHARED.glob("*.onnx") if "_qdq" not in p.name))
    ap.add_argument("--update", type=Path, help="markdown file whose <!-- llvm_vs_c:BOARD:begin --> ... "
                    "<!-- llvm_vs_c:BOARD:end --> block gets the table")
    args = ap.parse_args()
    rows = []
    for m in args.models:
        rows.append(measure(m, args.board))
        print(f"{m.stem}: C {rows[-1]['c']}, LLVM {rows[-1]['llvm']} {rows[-1]['unit']}", file=sys.stderr)
    text = table(rows, args.board)
    print(text, end="")
    if args.update:
        BEGIN, END = markers(args.board)
        doc = args.update.read_text()
        if BEGIN not in doc or END not in doc:
            print(f"{args.update}: no {BEGIN} ... {END} block", file=sys.stderr)
            return 2
        head, rest = doc.split(BEGIN, 1)
        args.update.write_text(head + BEGIN + "\n" + text + END + rest.split(END, 1)[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
