"""`mlc bench`: speed and memory figures of one model on one board.

The model runs on one seeded input (uniform [0, 1), seed 0) through the serial protocol: RUN for the
instructions of a whole inference, PROFILE for each layer's. On the emulated boards these are exact
instruction counts (QEMU icount), identical from run to run; on hardware they are cycles. MACs are counted
from the graph (OpDef.macs). JSON keys are documented in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from toolchain.boards import Board
from toolchain.build import QuantOptions, build, compile_model
from toolchain.errors import UsageError
from toolchain.io_arrays import Batch


@dataclass
class LayerFigures:
    name: str
    op: str
    macs: int
    count: int


@dataclass
class BenchReport:
    model: str
    board: str
    quantization: str
    emit: str
    unit: str  # "instructions" (emulator), "cycles" (hardware) or "none" (host)
    count_per_inference: int | None
    macs: int
    macs_per_count: float | None
    arena_bytes: int
    arena_lower_bound_bytes: int
    flash_code_bytes: int
    flash_constants_bytes: int
    flash_total_bytes: int
    ram_total_bytes: int
    compile_seconds: float
    build_seconds: float
    layers: list[LayerFigures] = field(default_factory=list)
    optimize: str = "speed"  # --optimize: "speed" (the board's fastest kernels, -O2) or "size"


def bench_input(program_inputs) -> Batch:
    rng = np.random.default_rng(0)
    arrays = [rng.random((1, *t.shape), dtype=np.float32) if t.dtype == "float32"
              else rng.integers(0, 4, (1, *t.shape)).astype(t.dtype) for t in program_inputs]
    return Batch(1, "stacked", arrays)


def run_bench(model: Path, board: Board, input_shapes: dict[str, list[int]] | None = None,
              quant: QuantOptions | None = None, per_layer: bool = False, port: str | None = None,
              emit: str = "c") -> BenchReport:
    from toolchain.run import execute

    if emit not in ("c", "llvm"):
        raise UsageError(f"--emit {emit}: choose c or llvm")
    t0 = time.perf_counter()
    compiled = compile_model(model, input_shapes, None, quant, board)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mlc-bench-") as tmp:
        res = build(model, board, Path(tmp) / "out", compiled=compiled, emit=emit)
        t2 = time.perf_counter()
        batch = bench_input(compiled.program.inputs)
        if board.is_host or board.runs_runner:
            dev = execute(res, board, batch, port)
        else:
            from toolchain.device_run import run_batch

            dev = run_batch(res, board, batch, port, profile=per_layer)
    p, s = compiled.program, res.sizes
    count = dev.counts[0] if dev.counts else None
    layers = []
    if dev.profile:
        layers = [LayerFigures(layer.name, layer.op, layer.macs, n) for layer, n in zip(p.layers, dev.profile)]
    return BenchReport(model.name, board.name, compiled.quantization, emit, dev.unit, count, p.macs,
                       round(p.macs / count, 4) if count else None, p.arena_size, p.lower_bound, s.code,
                       s.constants, s.flash_total, s.ram_total, round(t1 - t0, 3), round(t2 - t1, 3), layers,
                       board.optimize)


def render(rep: BenchReport) -> str:
    unit = rep.unit if rep.count_per_inference is not None else "instructions"
    lines = [f"mlc bench: {rep.model} on {rep.board} ({rep.quantization}, {rep.emit} backend, "
             f"optimized for {rep.optimize})"]
    if rep.count_per_inference is not None:
        lines.append(f"  {unit} per inference: {rep.count_per_inference}")
        lines.append(f"  MACs: {rep.macs}   MACs per {unit[:-1]}: {rep.macs_per_count}")
    else:
        lines.append(f"  MACs: {rep.macs} (no counter on this board)")
    ratio = rep.arena_bytes / rep.arena_lower_bound_bytes if rep.arena_lower_bound_bytes else 1.0
    lines.append(f"  arena: {rep.arena_bytes} B (lower bound {rep.arena_lower_bound_bytes} B, {ratio:.3f}x)")
    lines.append(f"  flash: {rep.flash_total_bytes} B (code {rep.flash_code_bytes}, constants "
                 f"{rep.flash_constants_bytes})   RAM total: {rep.ram_total_bytes} B")
    if rep.layers:
        lines.append(f"  {'layer':<40} {'op':<20} {'MACs':>10} {unit:>12} {'MACs/' + unit[:-1]:>10}")
        for lf in rep.layers:
            r = f"{lf.macs / lf.count:.3f}" if lf.count else "-"
            lines.append(f"  {lf.name[:40]:<40} {lf.op[:20]:<20} {lf.macs:>10} {lf.count:>12} {r:>10}")
    return "\n".join(lines) + "\n"


def to_json(rep: BenchReport) -> str:
    return json.dumps(asdict(rep), indent=1) + "\n"
