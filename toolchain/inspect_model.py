"""`mlc inspect`: what a compiled model costs, layer by layer, and whether it fits a board.

Everything comes from toolchain.build.compile_model (import, passes, plan, lower): no C is generated
or built, so inspecting is fast. `mlc build` writes the same table to OUT/report.md, there with the
measured sizes of the built program instead of the estimates.

Per layer (one row per scheduled node; reshape-like nodes are views and have no kernel):
  MACs            multiply-accumulates of the layer (the operator definition's count)
  weight bytes    constants its kernel calls read (re-laid-out weights, biases, tables)
  activation bytes  arena buffers of its run-time inputs, outputs and scratch (16-byte aligned)
  live bytes      every arena buffer alive during its step (the arena needs at least the maximum)
  output offset/size  where its output lives in the arena
Totals: MACs, weights, arena, the planner's lower bound, and RAM/flash estimates (below) against the board.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from toolchain.boards import Board
from toolchain.build import Compiled, QuantOptions, compile_model
from toolchain.ops import opdef
from toolchain.sizes import SizeReport

# Estimates of what the built program adds to the model's constants and arena (measured on the
# reference kernels, gcc -O2, cortex-m0/m4 with newlib-nano: ~18-25 KiB of code with the device loop).
CODE_BASE = 16384  # startup, device protocol loop, port, libc/libm pieces
CODE_PER_KERNEL = 1536  # one reference kernel function
RODATA_BASE = 2048  # strings, model description
RODATA_PER_LAYER = 96  # a kernel call's const parameter struct and name
STATIC_RAM = 2048  # .data + .bss outside the arena (protocol buffers)
TOP_LAYERS = 3  # how many of the largest layers a "does not fit" verdict names


@dataclass
class TensorUse:
    name: str
    shape: list[int]
    const: bool


@dataclass
class LayerRow:
    step: int
    name: str
    op: str
    fused: list[str]
    view: bool  # reshape-like: shares its input's buffer, no kernel
    inputs: list[TensorUse]
    outputs: list[TensorUse]
    macs: int
    weight_bytes: int
    activation_bytes: int
    live_bytes: int
    out_offset: int | None
    out_bytes: int | None


@dataclass
class BufferSpan:
    """One arena buffer (a tensor and its views, or a kernel's scratch) for the memory picture."""

    name: str
    offset: int
    size: int
    start: int  # first step it is live (-1: graph input, before the first layer)
    end: int  # last step it is live (inclusive; len(layers) for graph outputs)


@dataclass
class Inspection:
    model: str
    board: str
    layers: list[LayerRow]
    buffers: list[BufferSpan]
    macs: int
    weight_bytes: int
    arena_bytes: int
    lower_bound_bytes: int
    linear_bytes: int
    ram_bytes: int  # estimated, or measured when built
    flash_bytes: int
    ram_available: int
    flash_available: int
    measured: bool  # sizes come from a built program, not estimates
    fits: bool
    problems: list[str] = field(default_factory=list)
    largest: list[str] = field(default_factory=list)  # layer names by activation bytes, when it does not fit
    notes: list[str] = field(default_factory=list)  # where the program approximates the model (Graph.notes)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"


def _use(c: Compiled, name: str) -> TensorUse:
    t = c.graph.tensors.get(name)
    return TensorUse(name, list(t.shape) if t is not None else [], bool(t is not None and t.is_const))


def inspect_compiled(c: Compiled, board: Board, sizes: SizeReport | None = None) -> Inspection:
    g, plan, prog = c.graph, c.plan, c.program
    consts = {k.name: k.data.nbytes for k in prog.constants}
    layers = {layer.name: layer for layer in prog.layers}
    bufs = plan.buffers
    live = [sum(b.size for b in bufs.values() if b.start <= step <= b.end) for step in range(len(g.nodes))]
    rows: list[LayerRow] = []
    for step, n in enumerate(g.nodes):
        layer = layers.get(n.name)
        d = opdef(n)
        runtime = {name for name in list(n.inputs) + list(n.outputs) if name and g.const(name) is None}
        seen: set[str] = set()
        act = 0
        for name in runtime:
            root = plan.root.get(name, name)
            if root not in seen and root in bufs:
                seen.add(root)
                act += bufs[root].size
        scratch = bufs.get(f"{n.name}#scratch")
        act += scratch.size if scratch else 0
        weights = 0
        if layer is not None:
            used = {a.name for call in layer.calls for a in call.args if a.kind == "const"}
            weights = sum(consts.get(k, 0) for k in used)
        out = next((o for o in n.outputs if o), "")
        root = plan.root.get(out)
        rows.append(LayerRow(
            step, n.name, n.op, [a.op for a in n.fused], bool(d is not None and d.alias),
            [_use(c, i) for i in n.inputs if i], [_use(c, o) for o in n.outputs if o],
            layer.macs if layer is not None else 0, weights, act, live[step],
            plan.offsets.get(root) if root in bufs else None, bufs[root].size if root in bufs else None,
        ))
    spans = [BufferSpan(b.name, plan.offsets[b.name], b.size, b.start, b.end)
             for b in sorted(bufs.values(), key=lambda b: (b.start, plan.offsets[b.name], b.name))]
    if sizes is not None:
        ram, flash = sizes.ram_total, sizes.flash_total
    else:
        static = 0 if board.runs_runner else STATIC_RAM
        ram = prog.arena_size + board.stack_bytes + static
        flash = (prog.const_bytes + CODE_BASE + CODE_PER_KERNEL * len(prog.kernels) + RODATA_BASE
                 + RODATA_PER_LAYER * len(prog.layers))
    problems = []
    if ram > board.ram_bytes:
        problems.append(f"needs {ram} B of RAM (arena {prog.arena_size}), board {board.name} has {board.ram_bytes}")
    if flash > board.flash_bytes:
        problems.append(f"needs {flash} B of flash (constants {prog.const_bytes}), board {board.name} has "
                        f"{board.flash_bytes}")
    largest = []
    if problems:
        by_act = sorted((r for r in rows if not r.view), key=lambda r: (-r.activation_bytes, r.step))
        largest = [r.name for r in by_act[:TOP_LAYERS]]
    return Inspection(
        c.source.name, board.name, rows, spans, prog.macs, prog.const_bytes, prog.arena_size, prog.lower_bound,
        prog.linear_size, ram, flash, board.ram_bytes, board.flash_bytes, sizes is not None, not problems,
        problems, largest, list(c.graph.notes.values()),
    )


def inspect_model(model: str | Path, board: Board, input_shapes: dict[str, list[int]] | None = None,
                  name: str | None = None, quant: QuantOptions | None = None) -> Inspection:
    return inspect_compiled(compile_model(model, input_shapes, name, quant, board), board)


# ---- rendering ---------------------------------------------------------------------------------


def _shape(u: TensorUse) -> str:
    s = "x".join(str(d) for d in u.shape) or "scalar"
    return f"{s}c" if u.const else s


def _kib(n: int) -> str:
    return f"{n} B ({n / 1024:.1f} KiB)"


HEADERS = ("#", "layer", "op", "inputs", "outputs", "MACs", "weights B", "activations B", "live B",
           "out offset", "out B", "fused")


def table_rows(ins: Inspection) -> list[tuple[str, ...]]:
    rows = []
    for r in ins.layers:
        rows.append((
            str(r.step), r.name, r.op + (" (view)" if r.view else ""),
            " ".join(_shape(u) for u in r.inputs), " ".join(_shape(u) for u in r.outputs),
            str(r.macs), str(r.weight_bytes), str(r.activation_bytes), str(r.live_bytes),
            "-" if r.out_offset is None else str(r.out_offset), "-" if r.out_bytes is None else str(r.out_bytes),
            "+".join(r.fused) or "-",
        ))
    return rows


def totals_lines(ins: Inspection) -> list[str]:
    how = "measured" if ins.measured else "estimated"
    lines = [
        f"MACs: {ins.macs}",
        f"weights (flash constants): {_kib(ins.weight_bytes)}",
        f"arena: {_kib(ins.arena_bytes)} (planner lower bound {ins.lower_bound_bytes}, no reuse {ins.linear_bytes})",
        f"RAM ({how}): {_kib(ins.ram_bytes)} of {_kib(ins.ram_available)} on {ins.board}",
        f"flash ({how}): {_kib(ins.flash_bytes)} of {_kib(ins.flash_available)} on {ins.board}",
    ]
    if ins.fits:
        lines.append(f"fits {ins.board}: yes")
    else:
        lines.append(f"fits {ins.board}: NO: {'; '.join(ins.problems)}; largest layers by activation bytes: "
                     f"{', '.join(ins.largest)}")
    lines.extend(f"note: {n}" for n in ins.notes)
    return lines


def render_text(ins: Inspection) -> str:
    rows = [HEADERS, *table_rows(ins)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    numeric = {0, 5, 6, 7, 8, 9, 10}
    out = [f"{ins.model} on {ins.board}: {len(ins.layers)} layers"]
    for r in rows:
        out.append("  ".join(v.rjust(w) if i in numeric else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths)))
                   .rstrip())
    out.append("")
    out.extend(totals_lines(ins))
    return "\n".join(out) + "\n"


def _md_cell(v: str) -> str:
    return v.replace("|", "\\|")


def render_markdown(ins: Inspection, picture: str | None = None) -> str:
    out = [f"# {ins.model} on {ins.board}", "",
           "Generated by `mlc build`; `mlc inspect` prints the same table without building. Shapes ending "
           "in `c` are constants; `live B` is every arena buffer alive during the layer's step.", ""]
    out.append("| " + " | ".join(HEADERS) + " |")
    out.append("|" + "|".join("---:" if i in (0, 5, 6, 7, 8, 9, 10) else "---" for i in range(len(HEADERS))) + "|")
    for r in table_rows(ins):
        out.append("| " + " | ".join(_md_cell(v) for v in r) + " |")
    out += ["", "## Totals", ""]
    out += [f"- {line}" for line in totals_lines(ins)]
    if picture:
        out += ["", "## Arena over time", "",
                "Each rectangle is one buffer: its lifetime in layer steps across, its arena offset range up.", "",
                f"![arena use over time]({picture})"]
    return "\n".join(out) + "\n"
