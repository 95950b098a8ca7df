"""Bare-metal firmware that links the reference and the DSP int8 kernels side by side, for the QEMU MPS2
boards with a DSP core (cortex-m4 / mps2-an386, cortex-m7 / mps2-an500, cortex-m33 / mps2-an505).

The reference kernels are compiled with -D renames (mlc_conv2d_s8 -> ref_conv2d_s8, ...) so one image holds
both; the board's linker script, startup, semihosting exit and FPGAIO counter come from the port helpers
of tests/port (port_fw.py). Used by the firmware tests here and by benchmarks/dsp_kernels.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "port"))

from port_fw import REPO, RUNTIME, define_flags, load_boards, port_sources, render_linker_script  # noqa: E402

DSP_DIR = RUNTIME / "kernels" / "dsp"
REF_DIR = RUNTIME / "kernels" / "ref"
DSP_BOARDS = ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
CFLAGS = ["-std=c99", "-O2", "-g", "-Wall", "-Wextra", "-Werror"]
_DEF = re.compile(r"^int\s+(mlc_\w+)\s*\(", re.M)


def dsp_sources() -> list[Path]:
    return sorted(DSP_DIR.glob("*.c"))


def dsp_kernels() -> list[str]:
    """The kernel functions runtime_c/kernels/dsp defines."""
    return sorted(fn for src in dsp_sources() for fn in _DEF.findall(src.read_text()))


def ref_name(fn: str) -> str:
    return "ref_" + fn.removeprefix("mlc_")


def ref_sources(kernels: list[str]) -> list[Path]:
    """The reference files that define `kernels`."""
    out = []
    for src in sorted(REF_DIR.glob("*.c")):
        if set(_DEF.findall(src.read_text())) & set(kernels):
            out.append(src)
    return out


def board(name: str) -> dict:
    return next(b for b in load_boards("qemu") if b["name"] == name)


def _cc(b: dict, flags: list[str], sources: list[Path], cwd: Path) -> None:
    cwd.mkdir(parents=True, exist_ok=True)
    cmd = [b["toolchain_prefix"] + "gcc", *b["cflags"], *define_flags(b), *CFLAGS, *flags,
           "-I", str(RUNTIME / "include"), "-c", *map(str, sources)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if res.returncode != 0:
        raise AssertionError(f"compile failed for {b['name']}:\n{' '.join(cmd)}\n{res.stderr}")


def build(b: dict, driver: Path, out_dir: Path, flags: tuple[str, ...] = ()) -> Path:
    """driver + DSP kernels + renamed reference kernels + startup/port -> out_dir/fw.elf."""
    kernels = dsp_kernels()
    renames = [f"-D{fn}={ref_name(fn)}" for fn in kernels]
    _cc(b, [*flags, *renames], ref_sources(kernels), out_dir / "ref")
    _cc(b, [*flags, "-I", str(REF_DIR)], dsp_sources(), out_dir / "dsp")  # index_util.h is shared
    _cc(b, [*flags, "-I", str(DSP_DIR), "-I", str(REF_DIR)], [Path(driver).resolve(), *port_sources(b)], out_dir / "main")
    script = out_dir / "link.ld"
    script.write_text(render_linker_script(b))
    elf = out_dir / "fw.elf"
    objs = sorted(str(o) for sub in ("ref", "dsp", "main") for o in (out_dir / sub).glob("*.o"))
    cmd = [b["toolchain_prefix"] + "gcc", *b["cflags"], *objs, *b["ldflags"], "-T", str(script), "-o", str(elf)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise AssertionError(f"link failed for {b['name']}:\n{' '.join(cmd)}\n{res.stderr}")
    return elf


def run(b: dict, elf: Path, icount: bool = False, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Runs the image to its semihosting exit; QEMU's stderr carries the firmware's SYS_WRITE0 text."""
    cmd = ["qemu-system-arm", "-M", b["flash"]["machine"], "-nographic", "-monitor", "none", "-serial", "null",
           "-semihosting-config", "enable=on,target=native"]
    if icount:
        cmd += ["-icount", f"shift={b['flash']['icount_shift']},align=off,sleep=off"]
    cmd += ["-kernel", str(elf)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def ticks_to_instructions(b: dict, ticks: int) -> float:
    """FPGAIO ticks under -icount shift=S -> instructions (boards/README.md)."""
    return ticks * 1e9 / (2 ** b["flash"]["icount_shift"] * b["port"]["counter_hz"])


__all__ = ["DSP_BOARDS", "REPO", "board", "build", "dsp_kernels", "ref_name", "run", "ticks_to_instructions"]
