"""Every LLVM target links with its board's GCC without ABI complaints; hard-float objects carry the
VFP-argument build attribute; the param-struct layouts of the fallback path match the C compiler's."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MODELS, requires_shared
from tests.llvm.util import needs_tools
from toolchain.boards import list_boards, load_board
from toolchain.build import compile_model, write_project

TARGETS = ["host", "cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55", "cortex-a53",
           "cortex-a7"]
# newlib's own objects lack .note.GNU-stack; that warning (and ld's note about it) is not about our object.
HARMLESS = re.compile(r"missing \.note\.GNU-stack section implies executable stack|NOTE: This behaviour is deprecated")


@requires_shared()
@pytest.mark.parametrize("board_name", [pytest.param(b, marks=needs_tools(b)) for b in TARGETS])
def test_llvm_object_links_without_abi_warnings(board_name: str, tmp_path: Path) -> None:
    board = load_board(board_name)
    # digits_mlp: Softmax calls expf and its fused Tanh calls mlc_unary_eval_f32, so floats cross the ABI.
    c = compile_model(MODELS / "digits_mlp.onnx")
    write_project(c, board, tmp_path, emit="llvm")
    proc = subprocess.run([sys.executable, "-m", "SCons", "-Q"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = [ln for ln in (proc.stdout + proc.stderr).splitlines()
           if re.search(r"warning:|error:|mismatch|conflict", ln, re.I) and not HARMLESS.search(ln)]
    assert not bad, "\n".join(bad)
    if board.llvm["triple"].startswith(("arm", "thumb")):
        readelf = f"{board.toolchain_prefix}readelf"
        attrs = subprocess.run([readelf, "-A", str(tmp_path / "model_llvm.o")], capture_output=True, text=True).stdout
        vfp_args = "Tag_ABI_VFP_args: VFP registers" in attrs
        assert vfp_args == board.llvm["triple"].endswith("hf"), attrs


def test_every_board_with_llvm_settings_names_a_known_target() -> None:
    from toolchain.emit_llvm import target_machine

    for board in list_boards():
        if board.llvm:
            assert target_machine(board) is not None, board.name


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_param_struct_layouts_match_the_c_compiler(tmp_path: Path) -> None:
    from toolchain.emit_llvm import target_machine
    from toolchain.llvm.cstruct import _structs, _type

    names = sorted(n for n, f in _structs().items() if n.endswith("_params_t") and isinstance(f, list))
    assert "mlc_conv2d_params_t" in names and "mlc_lstm_params_t" in names
    root = Path(__file__).resolve().parents[2] / "runtime_c" / "include"
    src = ["#include <stdio.h>", '#include "mlc/kernels_f32.h"', '#include "mlc/kernels_s8.h"', "int main(void) {"]
    src += [f'    printf("%s %u\\n", "{n}", (unsigned)sizeof({n}));' for n in names]
    src += ["    return 0;", "}"]
    (tmp_path / "sizes.c").write_text("\n".join(src) + "\n")
    subprocess.run(["gcc", "-std=c99", f"-I{root}", str(tmp_path / "sizes.c"), "-o", str(tmp_path / "sizes")],
                   check=True)
    c_sizes = dict(ln.split() for ln in subprocess.run([str(tmp_path / "sizes")], capture_output=True, text=True,
                                                       check=True).stdout.splitlines())
    import llvmlite.binding as llvm
    from llvmlite import ir

    tm = target_machine(load_board("host"))
    mod = ir.Module()
    for k, n in enumerate(names):
        ir.GlobalVariable(mod, _type(n), name=f"g{k}")
    parsed = llvm.parse_assembly(str(mod))
    for k, n in enumerate(names):
        size = tm.target_data.get_abi_size(parsed.get_global_variable(f"g{k}").global_value_type)
        assert size == int(c_sizes[n]), n


def test_board_without_llvm_settings_is_a_one_line_board_error(tmp_path: Path) -> None:
    from toolchain.errors import BoardError

    text = (Path(__file__).resolve().parents[2] / "boards" / "host.toml").read_text().split("[llvm]")[0]
    (tmp_path / "nollvm.toml").write_text(text.replace('name = "host"', 'name = "nollvm"'))
    board = load_board(str(tmp_path / "nollvm.toml"))
    from toolchain.emit_llvm import target_machine

    with pytest.raises(BoardError, match="no \\[llvm\\] triple") as exc:
        target_machine(board)
    assert "\n" not in str(exc.value)
