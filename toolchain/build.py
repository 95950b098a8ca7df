"""Model -> self-contained project directory -> built executable or firmware.

The project is written to a temporary sibling of OUT and renamed into place only when everything
succeeded, so a failed build never leaves a half-written OUT behind.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from toolchain import onnx_import, passes
from toolchain.boards import Board
from toolchain.emit_c import BANNER, environment, render
from toolchain.errors import BoardError, MlcError, ModelError, UsageError
from toolchain.ir import Graph
from toolchain.lower import Program, lower
from toolchain.plan import Plan, plan_best_order
from toolchain.quant import ptq, qdq
from toolchain.quant.integerize import external_io, integerize
from toolchain.resources import resource_dir
from toolchain.select import selection
from toolchain.sizes import SizeReport, measure

RUNTIME = "mlc_runtime"
HOST_FLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections"]
ARM_COMMON = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections",
              "-fno-common"]


def _with_opt(flags: list[str], board: Board) -> list[str]:
    """`flags` with the board's optimisation level (--optimize) in place of -O2."""
    return [board.opt_flag if f == "-O2" else f for f in flags]


@dataclass(frozen=True)
class QuantOptions:
    """`--quantize int8 --calib CALIB [--observer O]`: post-training quantization of a float model."""

    mode: str = "int8"
    calib: str | None = None
    observer: str = "minmax"


@dataclass
class Compiled:
    graph: Graph
    plan: Plan
    program: Program
    source: Path
    quantization: str = "float"  # "float" | "int8 (calibrated, <observer>)" | "int8 (pre-quantized model)"


def compile_model(model: str | Path, input_shapes: dict[str, list[int]] | None = None,
                  name: str | None = None, quant: QuantOptions | None = None, board: Board | None = None) -> Compiled:
    """Import, run the passes, (quantize,) plan and lower: everything before code generation.
    A QDQ or QOperator model always compiles to an integer program; a float model when `quant` is given.
    `board` picks the weight layouts its kernels read best (any kernel reads any layout)."""
    path = Path(model)
    onnx_model, g = onnx_import.load_with_model(path, input_shapes)
    g = qdq.absorb(g)
    g = passes.run_all(g, str(path))
    kind = "float"
    if qdq.is_quantized(g):
        kind = "int8 (pre-quantized model)"
    elif quant is not None:
        if quant.mode != "int8":
            raise UsageError(f"--quantize {quant.mode}: only int8 is supported")
        if not quant.calib:
            raise UsageError(f"{path}: --quantize int8 needs calibration inputs: add --calib CALIB.npy or "
                             "CALIB.npz[:key] with representative samples")
        g = ptq.quantize(onnx_model, g, quant.calib, quant.observer)
        kind = f"int8 (calibrated, {quant.observer})"
    if kind != "float":
        g = passes.remove_dead(integerize(g))  # int8 nodes were checked by integerize (OpDef.check_s8)
    kernels = _kernel_dirs(board)
    p = plan_best_order(g, external_io(g) if kind != "float" else frozenset(), kernels)
    compiled = Compiled(g, p, lower(g, p, name or g.name, kernels), path, kind)
    for note in g.notes.values():
        print(f"mlc: note: {note}", file=sys.stderr)
    return compiled


def _kernel_dirs(board: Board | None) -> tuple[str, ...]:
    """The kernel directories of a board in search order (the reference kernels without a board)."""
    dirs = (board.kernels if board is not None else None) or ("ref",)
    return (dirs,) if isinstance(dirs, str) else tuple(dirs)


def kernel_parts(src: Path) -> list[Path]:
    """The other files of a kernel file: <stem>_*.c beside it (e.g. dsp/conv2d_s8_dw.c), split off so the
    build compiles them in parallel. They define no mlc_ kernel function and go wherever the file goes."""
    return sorted(src.parent.glob(f"{src.stem}_*.c"))


def _kernel_sources(program: Program, board: Board | None = None) -> list[Path]:
    """The kernel files that define the functions the program calls (plus shared helpers). Each function
    comes from the first directory of the board's `kernels` list (runtime_c/kernels/<dir>) that defines it,
    e.g. the DSP kernels before the reference ones; without a board, the reference kernels."""
    root = resource_dir("runtime_c") / "kernels"
    dirs = _kernel_dirs(board)
    defined: dict[str, Path] = {}
    defines: dict[Path, set[str]] = {}
    for name in dirs:
        for src in sorted((root / name).glob("*.c")):
            defines[src] = set(re.findall(r"^int\s+(mlc_\w+)\s*\(", src.read_text(), re.M))
            for fn in defines[src]:
                defined.setdefault(fn, src)
    wanted = {defined[fn] for fn in program.kernels if fn in defined}
    missing = [fn for fn in program.kernels if fn not in defined]
    if missing:
        raise ModelError(f"runtime_c has no kernel {', '.join(missing)}; this mlc installation is incomplete")
    unary = root / "ref" / "unary_f32.c"  # every kernel that fuses an activation calls mlc_unary_eval_f32
    chosen = sorted(wanted | {unary} | {part for src in wanted for part in kernel_parts(src)})
    # The project copies kernel files side by side and links them together: no file name twice, no
    # function from two files (a multi-function reference file next to a DSP file of one of its functions).
    names = [src.name for src in chosen]
    every = [fn for src in chosen for fn in defines.get(src, ())]
    twice = {fn for fn in every if every.count(fn) > 1}
    if len(set(names)) != len(names) or twice:
        raise MlcError(f"kernel directories {', '.join(dirs)} clash ({', '.join(sorted(twice)) or 'file names'}); "
                       "a kernel directory must define every function of each reference file it replaces")
    return chosen


def _port_sources(board: Board) -> list[Path]:
    family = board.port.get("family")
    base = resource_dir("runtime_c") / "port"
    srcs = sorted((base / family).glob("*.c")) if family else []
    srcs += sorted((base / "common").glob("*.c"))
    return srcs


def _copy_runtime(program: Program, board: Board, dst: Path) -> dict[str, list[str]]:
    """Copy the runtime files the project needs; returns the source lists (relative to the project)."""
    rt = resource_dir("runtime_c")
    shutil.copytree(rt / "include", dst / RUNTIME / "include")
    lists: dict[str, list[str]] = {"kernels": [], "host": [], "device": [], "port": []}
    for src in _kernel_sources(program, board):
        target = dst / RUNTIME / "kernels" / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        lists["kernels"].append(f"{RUNTIME}/kernels/{src.name}")
    dirs = board.kernels if not isinstance(board.kernels, str) else (board.kernels,)
    for name in dict.fromkeys([*dirs, "ref"]):  # private headers of every kernel directory (first one wins)
        for header in sorted((rt / "kernels" / name).glob("*.h")):
            if not (dst / RUNTIME / "kernels" / header.name).exists():
                shutil.copyfile(header, dst / RUNTIME / "kernels" / header.name)
    (dst / RUNTIME / "host").mkdir(parents=True)
    shutil.copyfile(rt / "host" / "main_host.c", dst / RUNTIME / "host" / "main_host.c")
    lists["host"].append(f"{RUNTIME}/host/main_host.c")
    if not board.runs_runner:
        for sub, files in (("device", sorted((rt / "device").glob("*.[ch]"))), ("port", _port_sources(board))):
            for src in files:
                rel = src.relative_to(rt)
                target = dst / RUNTIME / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
                if src.suffix == ".c":
                    lists[sub].append(f"{RUNTIME}/{rel.as_posix()}")
        family = board.port.get("family", "")
        for sub in ([family] if family else []) + ["common"]:
            for header in sorted((rt / "port" / sub).glob("*.h")):
                target = dst / RUNTIME / "port" / sub / header.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(header, target)
    return lists


def _port_defines(board: Board) -> list[str]:
    return [f"-D{k}={v}" for k, v in sorted(board.port.get("defines", {}).items())]


def _project_context(c: Compiled, board: Board, lists: dict[str, list[str]], objects: list[str]) -> dict:
    inc = ["-I.", f"-I{RUNTIME}/include", f"-I{RUNTIME}/kernels"]
    family = board.port.get("family", "")
    if family:
        inc.append(f"-I{RUNTIME}/port/{family}")
    cross = not board.runs_runner
    # A Linux board builds the host runner with its cross compiler (statically linked: see its board file).
    linux = board.kind == "linux"
    return {
        "banner": BANNER.format(source=c.source.name), "board": board, "cross": cross,
        "host_cc": f"{board.toolchain_prefix}gcc" if linux else "gcc",
        "host_cflags": _with_opt(HOST_FLAGS, board) + (list(board.cflags) if linux else []) + inc,
        "host_ldflags": ["-Wl,--gc-sections"] + (list(board.cflags) + list(board.ldflags) if linux else []),
        "host_libs": ["m"],
        "cc": f"{board.toolchain_prefix}gcc" if cross else "gcc",
        "cflags": (_with_opt(ARM_COMMON, board) + list(board.cflags) + _port_defines(board) + inc if cross
                   else _with_opt(HOST_FLAGS, board) + inc),
        "ldflags": list(board.cflags) + list(board.ldflags) + ["-T", "link.ld", "-Wl,--gc-sections"] if cross else [],
        "model_sources": ["model.c"] + lists["kernels"], "model_objects": objects, "host_sources": lists["host"],
        "device_sources": lists["device"] + lists["port"],
        "target": "build/firmware.elf" if cross else "build/mlc_runner",
    }


EMITS = ("c", "llvm")


def write_project(c: Compiled, board: Board, dst: Path, emit: str = "c") -> None:
    """`emit` "c": model.c holds every kernel call. "llvm": the layers are compiled by llvmlite into
    model_llvm.o (IR text beside it as model_llvm.ll), which model.c calls (toolchain/emit_llvm.py)."""
    objects: list[str] = []
    if emit == "llvm":
        from toolchain import emit_llvm

        banner = BANNER.format(source=c.source.name)
        files = render(c.program, c.source.name, board.name, emit_llvm.layer_symbols(c.program),
                       emit_llvm.HEADER_FILE)
        files[emit_llvm.HEADER_FILE] = emit_llvm.render_header(c.program, banner)
        files[emit_llvm.LL_FILE] = f"; {banner}\n" + emit_llvm.module_ir(c.program, board, c.source.name)
        emit_llvm.write_object(files[emit_llvm.LL_FILE], board, dst / emit_llvm.OBJ_FILE)
        objects.append(emit_llvm.OBJ_FILE)
    else:
        files = render(c.program, c.source.name, board.name)
    for name, text in files.items():
        (dst / name).write_text(text)
    lists = _copy_runtime(c.program, board, dst)
    env = environment()
    ctx = _project_context(c, board, lists, objects)
    (dst / RUNTIME / "include" / "mlc" / "select.h").write_text(
        env.get_template("select.h.j2").render(banner=ctx["banner"], macros=selection(c.program)))
    for name in ("SConstruct", "Makefile", "CMakeLists.txt"):
        (dst / name).write_text(env.get_template(f"project/{name}.j2").render(ctx))
    if not board.runs_runner:
        (dst / "link.ld").write_text(env.get_template("link.ld.j2").render(
            memory=board.memory, stack_bytes=board.stack_bytes, banner=ctx["banner"], board=board))


def _first_error(text: str) -> str:
    for marker in (": error:", "error:", "Error"):
        for line in text.splitlines():
            if marker in line:
                return line.strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "no output"


def require_compiler(board: Board) -> None:
    """A missing compiler is a tool problem of the board (exit 3), named with its install command."""
    cc = f"{board.toolchain_prefix}gcc" if not board.is_host else "gcc"
    if shutil.which(cc) is None:
        package = {"arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
                   "aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
                   "arm-linux-gnueabihf-gcc": "gcc-arm-linux-gnueabihf libc6-dev-armhf-cross"}.get(cc, "gcc")
        raise BoardError(f"{cc} is not installed (needed for board {board.name}); install it with: "
                         f"sudo apt-get install --no-install-recommends {package}")


def run_scons(project: Path, args: list[str] | None = None) -> None:
    cmd = [sys.executable, "-m", "SCons", "-Q", "-j", "2", *(args or [])]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MlcError(f"building the generated project failed: {_first_error(proc.stdout + proc.stderr)}")


def check_fits(c: Compiled, board: Board, sizes: SizeReport | None = None) -> None:
    """Refuse a model that does not fit the board, with the numbers needed and available."""
    ram = sizes.ram_total if sizes else c.program.arena_size + board.stack_bytes
    flash = sizes.flash_total if sizes else c.program.const_bytes
    if ram > board.ram_bytes:
        raise ModelError(f"{c.source}: needs {ram} bytes of RAM (arena {c.program.arena_size}) but board "
                         f"{board.name} has {board.ram_bytes}; pick a board with more RAM or a smaller model")
    if flash > board.flash_bytes:
        raise ModelError(f"{c.source}: needs {flash} bytes of flash but board {board.name} has "
                         f"{board.flash_bytes}; pick a board with more flash or a smaller model")


def manifest(c: Compiled, board: Board, sizes: SizeReport) -> dict:
    p = c.program
    ops: dict[str, int] = {}
    for n in c.graph.nodes:
        ops[n.op] = ops.get(n.op, 0) + 1
    def io(ts: list) -> list[dict]:
        rows = []
        for t in ts:
            row = {"name": t.name, "shape": list(t.shape), "dtype": t.dtype}
            if t.q_offset >= 0:  # the int8 API's side of a quantized model's input or output
                row["int8"] = {"scale": t.scale, "zero_point": t.zero_point}
            elif t.scale > 0:  # an integer input or output of a quantized model: what its values mean
                row["quantization"] = {"scale": t.scale, "zero_point": t.zero_point}
            rows.append(row)
        return rows

    return {
        "mlc_manifest_version": 1,
        "model": c.source.name, "model_sha256": p.sha256, "name": p.name, "board": board.name,
        "optimize": board.optimize, "kernels": list(board.kernels),
        "arena_bytes": p.arena_size, "arena_lower_bound_bytes": p.lower_bound, "arena_linear_bytes": p.linear_size,
        "constants_bytes": p.const_bytes, "macs": p.macs, "quantization": c.quantization,
        "int8_api": f"mlc_{p.name}_run_s8" if p.raw_api else None,
        "ram": {"arena": p.arena_size, "static_data": sizes.static_data, "stack": sizes.stack, "total": sizes.ram_total},
        "flash": {"code": sizes.code, "constants": sizes.constants, "total": sizes.flash_total},
        "inputs": io(p.inputs), "outputs": io(p.outputs),
        "operators": dict(sorted(ops.items())),
        "layers": [{"name": layer.name, "op": layer.op, "fused": layer.fused, "macs": layer.macs,
                    "kernels": [k.fn for k in layer.calls]} for layer in p.layers],
        "tensors": {t: {"offset": off, "bytes": c.graph.tensors[t].nbytes} for t, off in sorted(p.offsets.items())},
    }


def write_reports(c: Compiled, board: Board, sizes: SizeReport, dst: Path) -> None:
    """report.md (the `mlc inspect` table with the measured sizes) and, with matplotlib, memory.svg."""
    from toolchain import memory_plot
    from toolchain.inspect_model import inspect_compiled, render_markdown

    ins = inspect_compiled(c, board, sizes)
    picture = None
    if memory_plot.available():
        picture = memory_plot.plot_memory(ins, dst / "memory.svg").name
    (dst / "report.md").write_text(render_markdown(ins, picture))


@dataclass
class BuildResult:
    out: Path
    artifact: Path
    sizes: SizeReport
    compiled: Compiled


def build(model: str | Path, board: Board, out: str | Path, input_shapes: dict[str, list[int]] | None = None,
          name: str | None = None, compiled: Compiled | None = None, quiet: bool = True,
          quant: QuantOptions | None = None, emit: str = "c") -> BuildResult:
    """Write and build the project; `compiled` reuses an earlier compile_model() of the same model.
    `quiet=False` shows the stage on a terminal. `emit` is the code generator: "c" or "llvm"."""
    from toolchain.progress import Stages

    out = Path(out)
    if emit not in EMITS:
        raise UsageError(f"--emit {emit}: choose one of {', '.join(EMITS)}")
    if out.exists() and not (out / "manifest.json").is_file() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out}: exists and is not an mlc output directory; choose another -o")
    stages = Stages(["compile model", "write project", "build C", "reports"], "mlc build", quiet)
    stages.step("compile model")
    try:
        c = compiled or compile_model(model, input_shapes, name, quant, board)
        check_fits(c, board)
    except BaseException:
        stages.close()
        raise
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        stages.close()
        raise UsageError(f"{out}: cannot create the output directory here ({exc.strerror}); choose another -o") from None
    try:
        stages.step("write project")
        write_project(c, board, tmp, emit)
        stages.step("build C")
        run_scons(tmp)
        artifact_rel = "build/firmware.elf" if not board.runs_runner else "build/mlc_runner"
        sizes = measure(tmp / artifact_rel, c.program, board)
        check_fits(c, board, sizes)
        stages.step("reports")
        (tmp / "manifest.json").write_text(json.dumps(manifest(c, board, sizes), indent=1) + "\n")
        write_reports(c, board, sizes, tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        stages.close()
    return BuildResult(out, out / artifact_rel, sizes, c)
