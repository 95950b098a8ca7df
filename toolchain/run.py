"""`mlc run`: compile, build and execute a model on inputs; host runner or a board over serial."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from toolchain.boards import Board
from toolchain.build import BuildResult, QuantOptions, build, compile_model
from toolchain.device_types import DeviceRun
from toolchain.errors import BoardError, MlcError, UsageError
from toolchain.io_arrays import Batch, load_inputs, records, save_outputs, shape_outputs, split_records

HOST_TIMEOUT_S = 600


def runner_command(board: Board, exe: Path) -> list[str]:
    """How to start the built runner: directly on the host; a Linux board's [flash] command (QEMU user mode)."""
    if board.kind != "linux":
        return [str(exe)]
    cmd = [str(a).replace("{elf}", str(exe)) for a in board.flash.get("command", ["{elf}"])]
    if shutil.which(cmd[0]) is None:
        raise BoardError(f"{cmd[0]} is not installed (needed to run board {board.name}); install it with: "
                         "sudo apt-get install --no-install-recommends qemu-user")
    return cmd


def run_host(res: BuildResult, batch: Batch, board: Board | None = None) -> list[np.ndarray]:
    program = res.compiled.program
    with tempfile.TemporaryDirectory(prefix="mlc-run-") as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        fin.write_bytes(records(batch))
        cmd = runner_command(board, res.artifact) if board is not None else [str(res.artifact)]
        proc = subprocess.run([*cmd, str(fin), str(fout), str(batch.count)],
                              capture_output=True, text=True, timeout=HOST_TIMEOUT_S)
        if proc.returncode != 0:
            raise MlcError(f"host runner failed ({proc.returncode}): {proc.stderr.strip() or 'no message'}")
        return split_records(fout.read_bytes(), program.outputs, batch.count)


def execute(res: BuildResult, board: Board, batch: Batch, port: str | None = None, quiet: bool = True) -> DeviceRun:
    """Run every sample of the batch: the host runner, or the board over the serial protocol."""
    if board.runs_runner:
        return DeviceRun(run_host(res, batch, board), [], "none")
    from toolchain.device_run import run_batch

    return run_batch(res, board, batch, port, quiet=quiet)


def run_model(model: Path | str, board: Board, input_path: Path, output_path: Path,
              input_shapes: dict[str, list[int]] | None = None, name: str | None = None,
              port: str | None = None, quiet: bool = True, quant: QuantOptions | None = None,
              emit: str = "c") -> list[np.ndarray]:
    if output_path.suffix not in (".npy", ".npz"):
        raise UsageError(f"{output_path}: output must end in .npy or .npz")
    if not output_path.parent.is_dir():
        raise UsageError(f"{output_path}: folder {output_path.parent} does not exist; create it or pick another --output")
    compiled = compile_model(model, input_shapes, name, quant, board)
    batch = load_inputs(input_path, compiled.program.inputs)  # bad inputs fail before the C build
    with tempfile.TemporaryDirectory(prefix="mlc-build-") as tmp:
        res = build(model, board, Path(tmp) / "out", compiled=compiled, quiet=quiet, emit=emit)
        flat = execute(res, board, batch, port, quiet=quiet).outputs
    arrays = shape_outputs(batch, res.compiled.program.outputs, flat)
    save_outputs(output_path, res.compiled.program.outputs, arrays)
    return arrays
