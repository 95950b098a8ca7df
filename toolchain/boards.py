"""Boards as data: boards/<name>.toml -> Board. A user adds a board by adding a file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from toolchain.errors import UsageError
from toolchain.resources import resource_dir


@dataclass(frozen=True)
class Board:
    """One target. `kind` is "host", "qemu" (emulated), "linux" (Linux user space, run under QEMU user mode)
    or "hardware"."""

    name: str
    description: str
    kind: str
    core: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...]
    float_abi: str  # "hard", "soft" or "native"
    toolchain_prefix: str  # "" for the host compiler, "arm-none-eabi-" ...
    ram_bytes: int  # usable data RAM (arena + static data + stack must fit)
    flash_bytes: int  # code + constants
    stack_bytes: int
    memory: dict[str, int]  # flash_origin, flash_length, ram_origin, ram_length
    port: dict[str, Any]  # family, uart, uart_base, counter, counter_base, ...
    flash: dict[str, Any]  # runner ("qemu", "openocd", "pyocd", "st-flash", "uf2", "none") and its settings
    # Kernel directories under runtime_c/kernels/, in search order: each kernel comes from the first that
    # defines it ("dsp" before "ref" on cores with the DSP extension).
    kernels: tuple[str, ...] = ("ref",)
    llvm: dict[str, Any] = field(default_factory=dict)  # triple, cpu, features
    path: Path | None = None
    optimize: str = "speed"  # "speed" or "size" (OPTIMIZE_GOALS)
    speed_kernels: tuple[str, ...] = ()  # the board file's kernels, kept while optimizing for size

    @property
    def opt_flag(self) -> str:
        """The C compiler's optimisation level for this goal."""
        return OPTIMIZE_GOALS[self.optimize]

    def optimized_for(self, goal: str | None) -> Board:
        """This board built for `goal` (None: the board file's choice). "size" links the reference kernels
        only and compiles with -Os: the DSP / MVE kernels are faster but several times larger (the DSP
        convolution alone is about 22 KB of code, the reference one 1.3 KB)."""
        if goal is None or goal == self.optimize:
            return self
        if goal not in OPTIMIZE_GOALS:
            raise UsageError(f"--optimize {goal}: choose one of {', '.join(OPTIMIZE_GOALS)}")
        fast = self.speed_kernels or self.kernels
        return replace(self, optimize=goal, kernels=("ref",) if goal == "size" else fast, speed_kernels=fast)

    @property
    def is_host(self) -> bool:
        return self.kind == "host"

    @property
    def runs_runner(self) -> bool:
        """The build makes the host runner (mlc_runner), not firmware: the host itself, or a Linux board
        (kind "linux") whose runner runs under its [flash] command (QEMU user mode)."""
        return self.kind in ("host", "linux")

    @property
    def is_emulated(self) -> bool:
        return self.kind == "qemu"


# --optimize goals and their C optimisation levels.
OPTIMIZE_GOALS = {"speed": "-O2", "size": "-Os"}


def boards_dir() -> Path:
    return resource_dir("boards")


def _kernel_dirs(value: Any, path: Path) -> tuple[str, ...]:
    """`kernels` of a board file: a list of directory names under runtime_c/kernels/ (a single name is
    accepted too); the reference set is the default."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise UsageError(f"board file {path}: kernels must be a list of kernel directories, e.g. [\"dsp\", \"ref\"]")
    known = {d.name for d in (resource_dir("runtime_c") / "kernels").iterdir() if d.is_dir()}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"board file {path}: unknown kernel directory {unknown[0]!r}; "
                         f"choose from {', '.join(sorted(known))} (runtime_c/kernels/)")
    return tuple(names)


def _optimize(value: Any, path: Path) -> str:
    if value not in OPTIMIZE_GOALS:
        raise UsageError(f"board file {path}: optimize must be one of {', '.join(OPTIMIZE_GOALS)}, got {value!r}")
    return value


def _load(path: Path) -> Board:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"board file {path}: {exc}; fix the TOML syntax") from None
    try:
        return Board(
            name=data.get("name", path.stem),
            description=data.get("description", ""),
            kind=data["kind"],
            core=data["core"],
            cflags=tuple(data.get("cflags", ())),
            ldflags=tuple(data.get("ldflags", ())),
            float_abi=data.get("float_abi", "native"),
            kernels=_kernel_dirs(data.get("kernels", ["ref"]), path),
            toolchain_prefix=data.get("toolchain_prefix", ""),
            ram_bytes=int(data["ram_bytes"]),
            flash_bytes=int(data["flash_bytes"]),
            stack_bytes=int(data.get("stack_bytes", 0)),
            memory={k: int(v) for k, v in data.get("memory", {}).items()},
            port=dict(data.get("port", {})),
            flash=dict(data.get("flash", {"runner": "none"})),
            llvm=dict(data.get("llvm", {})),
            path=path,
        ).optimized_for(_optimize(data.get("optimize", "speed"), path))
    except KeyError as exc:
        raise UsageError(f"board file {path}: missing key {exc.args[0]!r}; see boards/README.md") from None


def list_boards() -> list[Board]:
    return [_load(p) for p in sorted(boards_dir().glob("*.toml"))]


def load_board(name: str) -> Board:
    """A board by name, or by path to a .toml file."""
    candidate = Path(name)
    if candidate.suffix == ".toml" and candidate.is_file():
        return _load(candidate)
    path = boards_dir() / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(boards_dir().glob("*.toml")))
        raise UsageError(f"unknown board {name!r}; choose one of: {known} (or pass a board .toml file)")
    return _load(path)
