"""Running a built model on a board over the serial protocol (emulated or real)."""

from __future__ import annotations

import numpy as np

from toolchain.boards import Board
from toolchain.build import BuildResult
from toolchain.device import infer
from toolchain.device_types import DeviceRun
from toolchain.errors import BoardError
from toolchain.flash import open_session
from toolchain.io_arrays import NP_DTYPES, Batch
from toolchain.progress import progress
from toolchain.protocol import ticks_to_instructions


def _unit(counter_kind: int) -> str:
    return {1: "instructions", 2: "cycles", 4: "instructions"}.get(counter_kind, "ticks")


def _count(ticks: int, counter_kind: int) -> int:
    instr = ticks_to_instructions(ticks, counter_kind)
    return instr if instr is not None else ticks


def run_batch(res: BuildResult, board: Board, batch: Batch, port: str | None = None,
              profile: bool = False, quiet: bool = True) -> DeviceRun:
    program = res.compiled.program
    flat: list[list[np.ndarray]] = [[] for _ in program.outputs]
    run = DeviceRun([])
    with open_session(board, res.artifact, port) as client:
        hello = client.hello_info
        if hello.info.arena_size != program.arena_size:
            raise BoardError(f"the board runs another model (arena {hello.info.arena_size} B, expected "
                             f"{program.arena_size} B); reflash it")
        run.unit = _unit(hello.counter_kind)
        for k in progress(range(batch.count), total=batch.count, desc=f"{board.name}", quiet=quiet):
            outs, ticks = infer(client, [a[k].tobytes() for a in batch.arrays], [t.nbytes for t in program.outputs])
            for i, (t, data) in enumerate(zip(program.outputs, outs)):
                flat[i].append(np.frombuffer(data, dtype=NP_DTYPES[t.dtype]).reshape(t.shape))
            run.counts.append(_count(ticks, hello.counter_kind))
        if profile:
            run.profile = [_count(t, hello.counter_kind) for t in client.profile()]
        try:
            client.exit()
        except BoardError:
            pass  # the session closes (and reaps an emulator) either way
    run.outputs = [np.stack(parts) for parts in flat]
    return run

