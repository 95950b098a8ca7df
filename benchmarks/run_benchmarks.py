"""Run `mlc bench` over the benchmark nets and write the figures into docs/benchmarks.md.

    python benchmarks/run_benchmarks.py [--boards cortex-m4,cortex-m7,cortex-m33,cortex-m55] [--shared ../shared]

Models: ../shared/models/bench/*_qdq.onnx as they are, and the MLPerf Tiny reference float models
(thirdparty/mlperf_*_float.onnx) quantized by mlc with 16 seeded random [0, 1) calibration inputs. Every
figure is an exact QEMU icount instruction count (identical from run to run), never a cycle count. The
generated section of docs/benchmarks.md sits between two marker lines; the rest of the page is kept.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolchain.bench import BenchReport, run_bench  # noqa: E402
from toolchain.boards import load_board  # noqa: E402
from toolchain.build import QuantOptions, build  # noqa: E402

BEGIN, END = "<!-- run_benchmarks.py: begin -->", "<!-- run_benchmarks.py: end -->"
NETS = ["kws_dscnn", "vww_mobilenet025", "ic_resnet8", "ad_autoencoder"]
MLPERF = ["mlperf_kws_ref_float", "mlperf_vww96_float", "mlperf_ic_resnet_float", "mlperf_ad01_float"]
# Issue targets on cortex-m4: (MACs per instruction, arena / lower bound); TFLM (Aug 2026, CMSIS-NN) for scale.
TARGETS = {"ic_resnet8": 1.0, "vww_mobilenet025": 0.9, "kws_dscnn": 0.8, "ad_autoencoder": 0.65}
TFLM = {"kws_dscnn": (0.35, 22.8), "vww_mobilenet025": (0.31, 100.7), "ic_resnet8": (0.42, 55.0),
        "ad_autoencoder": (0.45, 2.6)}


def _calib(model: Path, tmp: Path) -> str:
    import onnx

    m = onnx.load(str(model))
    inits = {i.name for i in m.graph.initializer}
    inp = next(i for i in m.graph.input if i.name not in inits)
    shape = [d.dim_value or 1 for d in inp.type.tensor_type.shape.dim]
    path = tmp / f"{model.stem}_calib.npy"
    np.save(path, np.random.default_rng(0).random((16, *shape), dtype=np.float32))
    return str(path)


def measure(shared: Path, boards: list[str]) -> list[tuple[str, BenchReport]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlc-benchmarks-") as tmp:
        for board in boards:
            b = load_board(board)
            for net in NETS:
                rep = run_bench(shared / "models" / "bench" / f"{net}_qdq.onnx", b, per_layer=False)
                rows.append((net, rep))
                print(f"{board} {net}_qdq: {rep.count_per_inference} instructions", file=sys.stderr)
            for net in MLPERF:
                model = shared / "models" / "thirdparty" / f"{net}.onnx"
                rep = run_bench(model, b, quant=QuantOptions("int8", _calib(model, Path(tmp))))
                rows.append((net, rep))
                print(f"{board} {net}: {rep.count_per_inference} instructions", file=sys.stderr)
    return rows


# The int8 / float flash comparison (issue 4): whole firmware, both builds for the same board and goal.
FLASH_BOARD = "cortex-m4"


def measure_flash(shared: Path) -> list[tuple[str, str, BenchReport, int, int]]:
    """(net, goal, int8 bench, float firmware flash, float constants) on FLASH_BOARD for both --optimize goals."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlc-flash-") as tmp:
        for goal in ("speed", "size"):
            b = load_board(FLASH_BOARD).optimized_for(goal)
            for net in NETS:
                rep = run_bench(shared / "models" / "bench" / f"{net}_qdq.onnx", b)
                f = build(shared / "models" / "bench" / f"{net}.onnx", b, Path(tmp) / f"{net}-{goal}")
                rows.append((net, goal, rep, f.sizes.flash_total, f.sizes.constants))
                print(f"{FLASH_BOARD} --optimize {goal} {net}: int8 {rep.flash_total_bytes} B, float "
                      f"{f.sizes.flash_total} B", file=sys.stderr)
    return rows


def render_flash(rows: list[tuple[str, str, BenchReport, int, int]]) -> list[str]:
    out = ["## int8 flash against the float build", "",
           f"Whole firmware ({FLASH_BOARD}: the model, its kernels, the serial test protocol and start-up code) of "
           "bench/NET_qdq.onnx against the float bench/NET.onnx, both built for the same `--optimize` goal. "
           "`speed` (the default) links the board's DSP kernels at -O2; `size` the reference kernels at -Os.", "",
           "| net | optimize | int8 instructions | int8 flash B (code + constants) | float flash B | "
           "int8 / float flash | int8 / float constants |",
           "|---|---|---|---|---|---|---|"]
    for net, goal, r, f_total, f_const in rows:
        out.append(f"| {net} | {goal} | {r.count_per_inference} | {r.flash_total_bytes} ({r.flash_code_bytes} + "
                   f"{r.flash_constants_bytes}) | {f_total} | {100 * r.flash_total_bytes / f_total:.1f}% | "
                   f"{100 * r.flash_constants_bytes / f_const:.1f}% |")
    return out + [""]


def render(rows: list[tuple[str, BenchReport]], boards: list[str],
           flash: list[tuple[str, str, BenchReport, int, int]]) -> str:
    out = [BEGIN, "", "## int8 on the emulated Cortex-M boards", "",
           "Regenerate with `python benchmarks/run_benchmarks.py` (needs ../shared beside the checkout). "
           "Instructions are QEMU icount counts: exact and identical from run to run; not cycles.", ""]
    for board in boards:
        out += [f"### {board}", "",
                "| model | instructions | MACs | MACs / instruction | target (M4) | arena B | lower bound B | "
                "arena / bound | flash code B | flash constants B | RAM B | compile s | build s |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for net, r in rows:
            if r.board != board:
                continue
            target = TARGETS.get(net)
            ratio = r.arena_bytes / r.arena_lower_bound_bytes if r.arena_lower_bound_bytes else 1.0
            out.append(f"| {r.model} | {r.count_per_inference} | {r.macs} | {r.macs_per_count} | "
                       f"{'>= ' + str(target) if target else ''} | {r.arena_bytes} | {r.arena_lower_bound_bytes} | "
                       f"{ratio:.3f} | {r.flash_code_bytes} | {r.flash_constants_bytes} | {r.ram_total_bytes} | "
                       f"{r.compile_seconds} | {r.build_seconds} |")
        out.append("")
    out += render_flash(flash) if flash else []
    out += ["For scale (same emulator, same inputs, from the issue): TFLite Micro with CMSIS-NN runs the MLPerf Tiny "
            "int8 models at " + ", ".join(f"{v[0]} ({k})" for k, v in TFLM.items()) + " MACs per instruction with "
            "interpreter arenas of " + ", ".join(f"{v[1]} KB ({k})" for k, v in TFLM.items()) + ".", "", END]
    return "\n".join(out) + "\n"


def write(page: Path, section: str) -> None:
    text = page.read_text() if page.is_file() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    page.write_text(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", default="cortex-m4,cortex-m7,cortex-m33,cortex-m55")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = ap.parse_args()
    boards = args.boards.split(",")
    rows = measure(Path(args.shared), boards)
    flash = measure_flash(Path(args.shared)) if FLASH_BOARD in boards else []
    write(Path(args.out), render(rows, boards, flash))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
