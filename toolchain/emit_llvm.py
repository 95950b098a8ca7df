"""Program -> LLVM IR -> object file (llvmlite): one function per layer, `int mlc_<name>_layer_<i>(uint8_t
*arena)`, with every kernel call specialised to its constant parameters (toolchain/llvm/) and the weights
as constant globals. A call without an IR generator becomes a call of the C reference kernel with its
parameter struct as a constant global. model.c (emit_c) keeps the model descriptor and the I/O glue and
calls the layer functions declared in model_layers.h. Renders; decides nothing.

Hard-float Arm targets (PLATFORM.md, "llvmlite for ARM"): the triple is normalised (normalize_triple; a
three-part "thumbv7em-none-eabihf" silently gives the soft-float ABI), every function defined or called here
uses the arm_aapcs_vfpcc calling convention explicitly, and 32-bit Arm objects get the build attributes of an
empty object compiled by the board's GCC, so the linker sees exactly the attributes of the C objects."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

from llvmlite import ir

from toolchain.boards import Board
from toolchain.errors import BoardError, MlcError
from toolchain.llvm import GENERATORS
from toolchain.llvm.builder import I8, I32, PTR, KernelBuilder
from toolchain.llvm.cstruct import param_constant
from toolchain.lower import Program

LL_FILE, OBJ_FILE, HEADER_FILE = "model_llvm.ll", "model_llvm.o", "model_layers.h"
OPT_LEVEL = 3


def layer_symbols(program: Program) -> list[str]:
    return [f"mlc_{program.name}_layer_{i}" for i in range(len(program.layers))]


def _llvm_settings(board: Board) -> tuple[str, str, str, str]:
    cfg = board.llvm
    if not cfg.get("triple"):
        raise BoardError(f"board {board.name} has no [llvm] triple; add triple, cpu and features to its board file "
                         "or build with --emit c")
    return normalize_triple(cfg["triple"]), cfg.get("cpu", ""), cfg.get("features", ""), cfg.get("reloc", "static")


def normalize_triple(triple: str) -> str:
    """arch-vendor-os-environment. llvmlite does not normalise: given "thumbv7em-none-eabihf" LLVM reads no
    eabihf environment, so it passes floats in core registers and calls libgcc's __addsf3 instead of the
    EABI's __aeabi_fadd (which the armv6-m libgcc lacks); "thumbv7em-unknown-none-eabihf" is what it needs."""
    parts = triple.split("-")
    if len(parts) == 3 and parts[1] == "none":
        parts.insert(1, "unknown")
    return "-".join(parts)


def is_arm32(board: Board) -> bool:
    return _llvm_settings(board)[0].startswith(("arm", "thumb"))


def hard_float_cc(board: Board) -> str:
    triple = _llvm_settings(board)[0]
    return "arm_aapcs_vfpcc" if triple.startswith(("arm", "thumb")) and triple.endswith("hf") else ""


@functools.cache
def _llvm():
    import llvmlite.binding as llvm

    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    return llvm


def target_machine(board: Board):
    llvm = _llvm()
    triple, cpu, features, reloc = _llvm_settings(board)
    try:
        target = llvm.Target.from_triple(triple)
    except RuntimeError as exc:
        raise BoardError(f"board {board.name}: LLVM has no target for triple {triple} ({exc})") from None
    return target.create_target_machine(cpu=cpu, features=features, opt=OPT_LEVEL, reloc=reloc, codemodel="small")


def _arg_values(kb: KernelBuilder, args, fn_args, offsets: dict[str, int], consts: dict,
                io_index: dict[str, int]) -> list:
    arena, inputs, outputs = fn_args
    out = []
    for a in args:
        if a.kind == "null":
            out.append(None)
        elif a.kind == "const":
            out.append(consts[a.name])
        elif a.kind in ("input", "output"):  # a graph input / output in the caller's buffer (plan.external)
            table = inputs if a.kind == "input" else outputs
            slot = kb.b.gep(table, [I32(io_index[a.name])], inbounds=True, source_etype=PTR)
            out.append(kb.b.load(slot, typ=PTR))
        else:
            off = offsets[a.name]
            out.append(kb.b.gep(arena, [I32(off)], inbounds=True, source_etype=I8) if off else arena)
    return out


def module_ir(program: Program, board: Board, source_name: str) -> str:
    """The model's LLVM IR as text (before optimisation); deterministic for a given Program and board."""
    tm = target_machine(board)
    cconv = hard_float_cc(board)
    mod = ir.Module(name=source_name)
    mod.triple = _llvm_settings(board)[0]
    mod.data_layout = str(tm.target_data)
    used = {a.name for layer in program.layers for c in layer.calls for a in c.args if a.kind == "const"}
    consts, arrays = {}, {}
    for c in program.constants:
        if c.name not in used:
            continue
        raw = bytearray(c.data.tobytes()) or bytearray(4)
        g = ir.GlobalVariable(mod, ir.ArrayType(I8, len(raw)), name=c.name)
        g.linkage, g.global_constant, g.align = "private", True, 16
        g.initializer = ir.Constant(ir.ArrayType(I8, len(raw)), raw)
        consts[c.name] = g
        arrays[g.name] = c.data
    offsets = {**program.offsets, **program.scratch}
    fnty = ir.FunctionType(I32, [PTR, PTR, PTR])  # arena, inputs[], outputs[]
    io_index = {t.name: k for k, t in enumerate(program.inputs)} | {t.name: k for k, t in enumerate(program.outputs)}
    for li, (layer, sym) in enumerate(zip(program.layers, layer_symbols(program))):
        fn = ir.Function(mod, fnty, name=sym)
        fn.attributes.add("nounwind")
        if cconv:
            fn.calling_convention = cconv
        fn.args[0].name, fn.args[1].name, fn.args[2].name = "arena", "inputs", "outputs"
        kb = KernelBuilder(mod, fn, cconv)
        kb.arrays = arrays
        for k, call in enumerate(layer.calls):
            args = _arg_values(kb, call.args, fn.args, offsets, consts, io_index)
            gen = GENERATORS.get(call.fn)
            if gen is not None and gen(kb, call.params, args):
                continue
            # No IR generator for this case: the C reference kernel, parameters as a constant global.
            params = kb.const_global(f"p_{li}_{k}", param_constant(call.params_type, call.params))
            kfn = kb.declare(call.fn, I32, [PTR] * (1 + len(args)))
            rc = kb.call(kfn, [params] + [a if a is not None else ir.Constant(PTR, None) for a in args])
            fail = kb.b.append_basic_block(f"fail_{k}")
            ok = kb.b.append_basic_block(f"ok_{k}")
            kb.b.cbranch(kb.b.icmp_signed("!=", rc, I32(0)), fail, ok)
            kb.b.position_at_end(fail)
            kb.b.ret(rc)
            kb.b.position_at_end(ok)
        kb.b.ret(I32(0))
        kb.finish()
    return str(mod)


def compile_ir(text: str, board: Board) -> bytes:
    """Verify, optimise (O3 pipeline, no fast-math: float results stay those of the C kernels) and emit."""
    llvm = _llvm()
    tm = target_machine(board)
    try:
        mod = llvm.parse_assembly(text)
        mod.verify()
    except RuntimeError as exc:
        raise MlcError(f"the LLVM backend generated invalid IR ({str(exc).strip()}); please report it") from None
    pto = llvm.create_pipeline_tuning_options(speed_level=OPT_LEVEL if board.optimize == "speed" else 2)
    if board.optimize == "size":  # no pass that trades code size for speed
        pto.loop_unrolling = pto.loop_vectorization = pto.slp_vectorization = False
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    return tm.emit_object(mod)


def _gcc_attributes(board: Board, tmp: Path) -> Path:
    """The .ARM.attributes section of an empty object compiled with the board's GCC and flags."""
    gcc, objcopy = f"{board.toolchain_prefix}gcc", f"{board.toolchain_prefix}objcopy"
    for tool in (gcc, objcopy):
        if shutil.which(tool) is None:
            raise BoardError(f"{tool} is not installed (needed for board {board.name}); see scripts/setup.sh")
    (tmp / "empty.c").write_text("typedef int mlc_empty_t;\n")
    flags = [f for f in board.cflags if f.startswith(("-m", "-f"))]
    subprocess.run([gcc, *flags, "-c", str(tmp / "empty.c"), "-o", str(tmp / "empty.o")], check=True,
                   capture_output=True)
    subprocess.run([objcopy, "--dump-section", f".ARM.attributes={tmp / 'attrs.bin'}", str(tmp / "empty.o"),
                    str(tmp / "empty2.o")], check=True, capture_output=True)
    return tmp / "attrs.bin"


def write_object(text: str, board: Board, path: Path) -> None:
    """Compile the IR for the board into `path`; 32-bit Arm objects get GCC's build attributes."""
    path.write_bytes(compile_ir(text, board))
    if not is_arm32(board):
        return
    with tempfile.TemporaryDirectory(prefix="mlc-attrs-") as tmp:
        try:
            attrs = _gcc_attributes(board, Path(tmp))
            subprocess.run([f"{board.toolchain_prefix}objcopy", "--update-section", f".ARM.attributes={attrs}",
                            str(path)], check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as exc:
            msg = (exc.stderr or b"").decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            raise BoardError(f"setting the Arm build attributes of {path.name} failed: "
                             f"{msg.strip() or exc}") from None


def render_header(program: Program, banner: str) -> str:
    guard = f"MLC_{program.name.upper()}_LAYERS_H"
    lines = [f"/* {banner} */", "/* The layer functions of the LLVM object model_llvm.o, called by model.c. */",
             f"#ifndef {guard}", f"#define {guard}", "", "#include <stdint.h>", ""]
    lines += [f"int {sym}(uint8_t *arena, const void *const *inputs, void *const *outputs);"
              for sym in layer_symbols(program)]
    lines += ["", f"#endif /* {guard} */", ""]
    return "\n".join(lines)
