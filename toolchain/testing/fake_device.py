"""A device speaking protocol v1 in Python, over TCP: tests the host side without QEMU or a board.

It follows the device rules of docs/protocol.md: NAK on a bad frame, the cached answer for a repeated
seq+cmd, status codes for unknown commands and bad ranges. The model is a Python function from input
bytes to output bytes.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from toolchain import protocol as p


def _pack_tensor(t: p.TensorInfo) -> bytes:
    name = t.name.encode()
    return (
        struct.pack(f"<BB{len(t.dims)}i", t.dtype, len(t.dims), *t.dims)
        + struct.pack("<fiB", t.scale, t.zero_point, len(name))
        + name
    )


def pack_info(info: p.Info) -> bytes:
    """INFO payload (without status) for `info`; the inverse of protocol.parse_info."""
    name = info.name.encode()
    sha = info.sha256_prefix.encode().ljust(16, b"0")[:16]
    head = struct.pack("<B", len(name)) + name + sha
    head += struct.pack("<IBB", info.arena_size, len(info.inputs), len(info.outputs))
    return head + b"".join(_pack_tensor(t) for t in (*info.inputs, *info.outputs))


def _reverse_model(inputs: list[bytes]) -> list[bytes]:
    return [inputs[0][::-1]]


@dataclass
class FakeModel:
    info: p.Info
    compute: Callable[[list[bytes]], list[bytes]] = _reverse_model
    ticks: int = 1600  # RUN count
    layer_ticks: Sequence[int] = (100, 200, 300)


def default_model(in_bytes: int = 1000, out_bytes: int = 1000) -> FakeModel:
    """One u8 input, one u8 output of the same size (the input reversed)."""
    t_in = p.TensorInfo(p.DTYPE_U8, (1, in_bytes), 1.0, 0, "input")
    t_out = p.TensorInfo(p.DTYPE_U8, (1, out_bytes), 1.0, 0, "output")
    info = p.Info("fake", "0123456789abcdef", 4096, (t_in,), (t_out,))
    return FakeModel(info=info)


@dataclass
class FakeStats:
    executed: dict[int, int] = field(default_factory=dict)  # cmd -> times actually executed
    cached: int = 0  # answers resent from the cache
    naks: int = 0


class FakeDevice:
    """Serves one TCP connection at a time on 127.0.0.1 (free port) until closed or EXIT.

    `mute_first` ignores that many valid requests (never executed, never answered); `lose_answers`
    executes that many requests but loses their answers (the host's retry must get the cached answer,
    not a second execution); `run_delay` makes RUN and PROFILE take that long; `silent` never answers.
    """

    def __init__(
        self,
        model: FakeModel | None = None,
        *,
        max_data: int = p.MAX_DATA,
        counter_kind: int = p.COUNTER_ICOUNT_TICKS,
        mute_first: int = 0,
        lose_answers: int = 0,
        run_delay: float = 0.0,
        silent: bool = False,
    ) -> None:
        self.model = model or default_model()
        self.max_data = max_data
        self.counter_kind = counter_kind
        self.mute_first = mute_first
        self.lose_answers = lose_answers
        self.run_delay = run_delay
        self.silent = silent
        self.stats = FakeStats()
        self.exited = threading.Event()
        self._inputs = [bytearray(t.nbytes) for t in self.model.info.inputs]
        self._outputs = [bytearray(t.nbytes) for t in self.model.info.outputs]
        self._last: tuple[int, int, bytes] | None = None  # seq, cmd, wire bytes of the answer
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-device", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- serving ------------------------------------------------------------------------------------

    def _serve(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set() and not self.exited.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with conn:
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        splitter = p.FrameSplitter()
        while not self._stop.is_set():
            ready, _, _ = select.select([conn], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            for encoded in splitter.feed(chunk):
                answer = self._handle(encoded)
                if answer and not self.silent:
                    try:
                        conn.sendall(answer)
                    except OSError:
                        return
                if self.exited.is_set():
                    return

    def _handle(self, encoded: bytes) -> bytes:
        try:
            frame = p.parse_frame(encoded)
        except p.ProtocolError:
            self.stats.naks += 1
            return p.build_frame(p.CMD_NAK, 0, bytes([p.STATUS_BAD_FRAME]))
        if self._last is not None and self._last[:2] == (frame.seq, frame.cmd):
            self.stats.cached += 1
            return self._last[2]
        if self.mute_first > 0:
            self.mute_first -= 1
            return b""
        self.stats.executed[frame.cmd] = self.stats.executed.get(frame.cmd, 0) + 1
        data = self._execute(frame.cmd, frame.data)
        answer = p.build_frame(frame.cmd | p.RESPONSE_BIT, frame.seq, data)
        self._last = (frame.seq, frame.cmd, answer)
        if self.lose_answers > 0:
            self.lose_answers -= 1
            return b""
        return answer

    def _execute(self, cmd: int, data: bytes) -> bytes:
        ok = bytes([p.STATUS_OK])
        bad = bytes([p.STATUS_BAD_ARGUMENT])
        if cmd == p.CMD_HELLO:
            return (
                ok + struct.pack("<BHB", p.PROTO_VERSION, self.max_data, self.counter_kind) + pack_info(self.model.info)
            )
        if cmd == p.CMD_INFO:
            return ok + pack_info(self.model.info)
        if cmd == p.CMD_WRITE_INPUT:
            if len(data) < 5:
                return bad
            index, offset = struct.unpack_from("<BI", data)
            payload = data[5:]
            if index >= len(self._inputs) or offset + len(payload) > len(self._inputs[index]):
                return bad
            self._inputs[index][offset : offset + len(payload)] = payload
            return ok
        if cmd == p.CMD_RUN:
            time.sleep(self.run_delay)
            outs = self.model.compute([bytes(b) for b in self._inputs])
            for buf, out in zip(self._outputs, outs, strict=True):
                buf[:] = out
            return ok + struct.pack("<iI", 0, self.model.ticks)
        if cmd == p.CMD_READ_OUTPUT:
            if len(data) != 7:
                return bad
            index, offset, length = struct.unpack("<BIH", data)
            if index >= len(self._outputs) or offset + length > len(self._outputs[index]) or length + 1 > self.max_data:
                return bad
            return ok + bytes(self._outputs[index][offset : offset + length])
        if cmd == p.CMD_PROFILE:
            if len(data) != 2:
                return bad
            time.sleep(self.run_delay)
            (first,) = struct.unpack("<H", data)
            layers = list(self.model.layer_ticks)
            fit = (self.max_data - 3) // 4
            page = layers[first : first + fit]
            return ok + struct.pack(f"<H{len(page)}I", len(layers), *page)
        if cmd == p.CMD_EXIT:
            self.exited.set()
            return ok
        return bytes([p.STATUS_UNKNOWN_COMMAND])
