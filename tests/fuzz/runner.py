"""Run fuzz cases in worker processes with a per-case watchdog.

Each worker builds mutants (by index, see mutate.Mutator) with toolchain.build.build into its own
directory and reports the outcome. The parent gives every case `timeout` seconds; a worker that
overruns is killed (that case is a hang) and replaced, one that dies is a crash. Workers run under an
address-space limit, so a mutant that makes the toolchain allocate without bound raises MemoryError
(reported as a crash) instead of taking the machine down.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

MEMORY_LIMIT = 3 << 30  # bytes of address space per worker


@dataclass
class Outcome:
    index: int
    # "built", "error" (an MlcError), "duplicate" (compiled, and its C is that of one built before: not
    # built again), "crash" (any other exception or a dead worker), "hang"
    status: str
    message: str
    mutation: str
    seconds: float
    problems: list[str]  # leftovers and other contract breaches


class _Duplicate(Exception):
    pass


def signature(c) -> tuple:
    """What the generated C depends on apart from the values of the constants: a mutant with the
    signature of one already built generates the same code with other numbers, so its C build is skipped."""
    p = c.program
    layers = tuple((layer.op, tuple(layer.fused), tuple((k.fn, k.params_type, repr(k.params), tuple(k.args))
                                                        for k in layer.calls)) for layer in p.layers)
    io = tuple((t.name, t.c_name, tuple(t.shape), t.dtype, t.offset, t.const) for t in p.inputs + p.outputs)
    consts = tuple((k.name, k.data.shape, str(k.data.dtype)) for k in p.constants)
    return (p.name, layers, io, consts, p.arena_size, tuple(p.kernels))


def _leftovers(case: Path, tmp: Path, built: bool) -> list[str]:
    problems = []
    out = case / "OUT"
    if not built and out.exists():
        problems.append("OUT left behind after a failed build")
    if built and not (out / "manifest.json").is_file():
        problems.append("build returned but OUT/manifest.json is missing")
    stray = sorted(p.name for p in case.iterdir() if p.name.startswith(".OUT."))
    if stray:
        problems.append(f"temporary siblings left behind: {stray}")
    left = sorted(p.name for p in tmp.iterdir())
    if left:
        problems.append(f"left in TMPDIR: {left}")
    return problems


def _worker(conn: Connection, seeds: dict[str, bytes], seed: int, workdir: str) -> None:
    import resource
    import tempfile

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    root = Path(workdir)
    tmp = root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = str(tmp)
    tempfile.tempdir = str(tmp)

    from tests.fuzz.mutate import Mutator
    from toolchain.boards import load_board
    from toolchain.build import build, compile_model
    from toolchain.errors import MlcError

    mutator = Mutator(seeds, seed)
    board = load_board("host")
    built: set = set()
    while True:
        index = conn.recv()
        if index is None:
            return
        data, mutation = mutator.mutant(index)
        case = root / f"case{index}"
        case.mkdir()
        model = case / "model.onnx"
        model.write_bytes(data)
        start = time.monotonic()
        problems: list[str] = []
        try:
            try:
                sig = signature(compile_model(model))
            except MlcError:
                sig = None  # build() below meets the same error, on its own error path
            if sig is not None and sig in built:
                raise _Duplicate
            build(model, board, case / "OUT")
            status, message = "built", ""
            built.add(sig)
        except _Duplicate:
            status, message = "duplicate", ""
        except MlcError as exc:
            status, message = "error", str(exc)
            if not message.strip() or "\n" in message:
                problems.append(f"error message is not one line: {message!r}")
        except BaseException as exc:  # noqa: BLE001 - anything else is what the fuzzer looks for
            status = "crash"
            message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=12)}"
        seconds = time.monotonic() - start
        problems += _leftovers(case, tmp, status == "built")
        shutil.rmtree(case, ignore_errors=True)
        for p in tmp.iterdir():
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
        conn.send(Outcome(index, status, message[:4000], mutation, seconds, problems))


class _Slot:
    def __init__(self, ctx, seeds: dict[str, bytes], seed: int, workdir: Path, k: int) -> None:
        self.conn, child = ctx.Pipe()
        self.workdir = workdir / f"w{k}"
        self.proc = ctx.Process(target=_worker, args=(child, seeds, seed, str(self.workdir)), daemon=True)
        self.proc.start()
        child.close()
        self.index: int | None = None
        self.deadline = 0.0
        self.started = 0.0

    def give(self, index: int, timeout: float) -> None:
        self.conn.send(index)
        self.index = index
        self.started = time.monotonic()
        self.deadline = self.started + timeout

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join()
        self.conn.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def run_cases(seeds: dict[str, bytes], seed: int, count: int, workdir: Path, workers: int = 2,
              timeout: float = 10.0, first_timeout: float = 60.0) -> list[Outcome]:
    """Outcomes of mutants 0..count-1. `first_timeout` covers a fresh worker importing the toolchain."""
    from tests.fuzz.mutate import Mutator

    ctx = mp.get_context("spawn")
    slots = [_Slot(ctx, seeds, seed, workdir, k) for k in range(workers)]
    fresh = {id(s) for s in slots}
    pending = list(range(count - 1, -1, -1))
    results: list[Outcome] = []
    spawned = workers
    describe = Mutator(seeds, seed)
    try:
        while pending or any(s.index is not None for s in slots):
            for s in slots:
                if s.index is None and pending:
                    s.give(pending.pop(), first_timeout if id(s) in fresh else timeout)
            busy = [s for s in slots if s.index is not None]
            ready = wait([s.conn for s in busy], timeout=0.2)
            now = time.monotonic()
            for k, s in enumerate(slots):
                if s.index is None:
                    continue
                if s.conn in ready:
                    try:
                        out: Outcome = s.conn.recv()
                    except (EOFError, OSError):
                        out = None
                    if out is not None:
                        fresh.discard(id(s))
                        results.append(out)
                        s.index = None
                        continue
                    status, message = "crash", f"worker died (exit code {s.proc.exitcode})"
                elif now > s.deadline:
                    status, message = "hang", f"no answer within {s.deadline - s.started:.0f} s"
                else:
                    continue
                index = s.index
                results.append(Outcome(index, status, message, describe.mutant(index)[1], now - s.started, []))
                s.kill()
                spawned += 1
                slots[k] = _Slot(ctx, seeds, seed, workdir, spawned)
                fresh.add(id(slots[k]))
    finally:
        for s in slots:
            if s.index is None and s.proc.is_alive():
                try:
                    s.conn.send(None)
                except OSError:
                    pass
            s.proc.join(timeout=5)
            if s.proc.is_alive():
                s.proc.kill()
                s.proc.join()
    return sorted(results, key=lambda o: o.index)
