"""Bare-metal firmware that links the reference and the optimized int8 kernels side by side, for the QEMU
boards with a DSP core (cortex-m4 / mps2-an386, cortex-m7 / mps2-an500, cortex-m33 / mps2-an505) and with
Helium (cortex-m55 / mps3-an547).

The optimized kernels come from an ordered list of directories of runtime_c/kernels, like a board's
`kernels` list: each function from the first directory that defines it (cortex-m55: "mve" then "dsp").

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

from toolchain.build import kernel_parts  # noqa: E402

KERNELS_DIR = RUNTIME / "kernels"
DSP_DIR = KERNELS_DIR / "dsp"
REF_DIR = KERNELS_DIR / "ref"
DSP_BOARDS = ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
# The optimized directories each board's firmware links, first one wins (the boards' `kernels` minus "ref").
BOARD_DIRS = {"cortex-m55": ("mve", "dsp")}
CFLAGS = ["-std=c99", "-O2", "-g", "-Wall", "-Wextra", "-Werror"]
_DEF = re.compile(r"^int\s+(mlc_\w+)\s*\(", re.M)


def board_dirs(name: str) -> tuple[str, ...]:
    return BOARD_DIRS.get(name, ("dsp",))


def opt_sources(dirs: tuple[str, ...] = ("dsp",)) -> dict[str, list[Path]]:
    """dir -> the files of runtime_c/kernels/<dir> the firmware compiles: each function from the first
    directory that defines it (toolchain/build.py `_kernel_sources`)."""
    taken: set[str] = set()
    out: dict[str, list[Path]] = {}
    for d in dirs:
        out[d] = []
        for src in sorted((KERNELS_DIR / d).glob("*.c")):
            fns = set(_DEF.findall(src.read_text()))
            if fns - taken:
                assert not fns & taken, f"{src} defines some of its functions after an earlier directory"
                out[d] += [src, *kernel_parts(src)]
                taken |= fns
    return out


def dsp_sources() -> list[Path]:
    return sorted(DSP_DIR.glob("*.c"))


def dsp_kernels(dirs: tuple[str, ...] = ("dsp",)) -> list[str]:
    """The kernel functions the optimized directories define."""
    return sorted(fn for srcs in opt_sources(dirs).values() for src in srcs for fn in _DEF.findall(src.read_text()))


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
    for old in cwd.glob("*.o"):  # a rebuild into the same directory links only this build's objects
        old.unlink()
    if not sources:
        return
    cmd = [b["toolchain_prefix"] + "gcc", *b["cflags"], *define_flags(b), *CFLAGS, *flags,
           "-I", str(RUNTIME / "include"), "-c", *map(str, sources)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if res.returncode != 0:
        raise AssertionError(f"compile failed for {b['name']}:\n{' '.join(cmd)}\n{res.stderr}")


def build(b: dict, driver: Path, out_dir: Path, flags: tuple[str, ...] = (),
          dirs: tuple[str, ...] | None = None) -> Path:
    """driver + optimized kernels of `dirs` (default: the board's, BOARD_DIRS) + renamed reference kernels
    + startup/port -> out_dir/fw.elf."""
    dirs = tuple(dirs) if dirs is not None else board_dirs(b["name"])
    chosen = opt_sources(dirs)
    kernels = dsp_kernels(dirs)
    renames = [f"-D{fn}={ref_name(fn)}" for fn in kernels]
    # every directory's private headers are visible, as in a generated project (kernel headers side by side)
    inc = [f for d in (*dirs, "ref") for f in ("-I", str(KERNELS_DIR / d))]
    _cc(b, [*flags, *renames], ref_sources(kernels), out_dir / "ref")
    for d, srcs in chosen.items():
        _cc(b, [*flags, *inc], srcs, out_dir / f"opt_{d}")
    _cc(b, [*flags, *inc], [Path(driver).resolve(), *port_sources(b)], out_dir / "main")
    script = out_dir / "link.ld"
    script.write_text(render_linker_script(b))
    elf = out_dir / "fw.elf"
    subs = ("ref", *(f"opt_{d}" for d in dirs), "main")
    objs = sorted(str(o) for sub in subs for o in (out_dir / sub).glob("*.o"))
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


__all__ = ["BOARD_DIRS", "DSP_BOARDS", "REPO", "board", "board_dirs", "build", "dsp_kernels", "opt_sources", "ref_name",
           "run", "ticks_to_instructions"]
