"""Host side of the serial protocol v1: a request/response client over any pyserial URL.

Reliability rules (docs/protocol.md has the user version):
- Every request carries a sequence number; a new request takes the next one (mod 256), a retry reuses it.
  The device answers a repeated seq+cmd from its cache instead of executing again, so retrying WRITE_INPUT
  or RUN is safe.
- One try = send the frame, then wait up to the per-try timeout for a response with the same seq and
  cmd | 0x80. A NAK, a frame whose COBS/length/CRC check fails, or a response with status 1 (bad frame)
  ends the try at once; a valid response for another seq is a late duplicate of an earlier answer and is
  dropped while the try keeps waiting. Silence ends the try at its timeout.
- A request gets at most `tries` tries (default 5), then BoardError naming the port and the command.
  Worst case per request: tries x per-try timeout (plus one 50 ms read poll per try), i.e. 5 x 2 s = 10 s
  for HELLO, INFO, WRITE_INPUT, READ_OUTPUT and EXIT, and 5 x 60 s = 300 s for RUN and PROFILE (an
  inference under emulation may take seconds). A board that never answers fails at the first request
  (HELLO) after 10 s with the defaults.
- HELLO spends that same budget as many short tries: it is resent (same seq) every 0.25 s until answered,
  so a board still booting (or re-enumerating its USB serial after flashing) costs 0.25 s, not 2 s.
- A frame whose CRC fails is never accepted: no corrupted byte reaches the caller.
- The first request of a session is always HELLO. The device caches only its last answer, so HELLO (which
  is harmless to repeat) evicts any answer left over from an earlier session that might share a seq.
"""

from __future__ import annotations

import logging
import math
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self, TypeVar

import serial

from toolchain import protocol as p
from toolchain.errors import BoardError, UsageError

log = logging.getLogger("mlc.device")

DEFAULT_TIMEOUT = 2.0  # seconds per try for short commands
DEFAULT_RUN_TIMEOUT = 60.0  # seconds per try for RUN and PROFILE
DEFAULT_TRIES = 5  # tries per request (first send included)
DEFAULT_BAUDRATE = 115200
_POLL = 0.05  # pyserial read granularity; bounds how late a deadline is noticed
HELLO_INTERVAL = 0.25  # seconds between HELLO resends (same seq; duplicate answers are dropped)

T = TypeVar("T")


@dataclass
class LinkStats:
    """What the link went through; tests use it to prove that faults happened and were survived."""

    requests: int = 0
    retries: int = 0
    timeouts: int = 0
    naks: int = 0
    bad_frames: int = 0  # COBS, length or CRC failures (never accepted)
    stale: int = 0  # valid responses for another seq/cmd, dropped


class _LinkLost(Exception):
    """The transport closed (QEMU exited, cable pulled)."""


class DeviceClient:
    """Talks protocol v1 to one device.

    `url` is anything pyserial's serial_for_url takes: "socket://127.0.0.1:4321" (QEMU), "/dev/ttyACM0",
    "COM3", "rfc2217://host:port". The port is opened here; use the client as a context manager or call
    close(). `timeout` is the per-try wait for short commands, `run_timeout` for RUN and PROFILE, `tries`
    the number of sends per request (see the module docstring for the resulting worst-case times).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        run_timeout: float = DEFAULT_RUN_TIMEOUT,
        tries: int = DEFAULT_TRIES,
        baudrate: int = DEFAULT_BAUDRATE,
        first_seq: int = 0,
    ) -> None:
        if tries < 1:
            raise UsageError(f"tries must be at least 1, got {tries}")
        self.url = url
        self.timeout = timeout
        self.run_timeout = run_timeout
        self.tries = tries
        self.stats = LinkStats()
        self._seq = first_seq & 0xFF
        self._splitter = p.FrameSplitter()
        self._pending: deque[bytes] = deque()  # frames received but not yet looked at
        self._hello: p.Hello | None = None
        try:
            self._port = serial.serial_for_url(url, timeout=_POLL, baudrate=baudrate)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise BoardError(f"cannot open serial port {url}: {_one_line(exc)}; check the --port value") from None
        sock = getattr(self._port, "_socket", None)  # socket:// and rfc2217:// ports
        if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Without TCP_NODELAY every small frame waits ~40 ms for Nagle/delayed-ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Raw reads are only right for plain sockets (rfc2217 streams carry telnet escapes).
        self._sock = sock if isinstance(sock, socket.socket) and url.startswith("socket://") else None

    # --- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        try:
            if self._sock is not None and self._port.is_open:
                # pyserial's socket close() sleeps 0.3 s "for quick reconnects"; we never reconnect.
                self._port._socket = None
                self._port.is_open = False
                self._sock.close()
            else:
                self._port.close()
        except (serial.SerialException, OSError):
            pass

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- commands ---------------------------------------------------------------------------------

    def hello(self) -> p.Hello:
        """HELLO: protocol version, max payload, counter kind and the model description."""
        budget = self.tries * self.timeout
        tries = max(self.tries, math.ceil(budget / HELLO_INTERVAL - 1e-9))
        data = self.request(p.CMD_HELLO, timeout=min(self.timeout, HELLO_INTERVAL), tries=tries)
        hello = self._parse(p.parse_hello, data, p.CMD_HELLO)
        if hello.proto_version != p.PROTO_VERSION:
            raise BoardError(
                f"board on {self.url} speaks protocol v{hello.proto_version}, this mlc speaks "
                f"v{p.PROTO_VERSION}; rebuild and reflash the firmware with this mlc"
            )
        if hello.max_data < 16:
            raise BoardError(f"board on {self.url} reports max_data {hello.max_data} (< 16); fix the firmware port")
        self._hello = hello
        return hello

    @property
    def hello_info(self) -> p.Hello:
        """The HELLO answer of this session (HELLO is sent on first use)."""
        return self._hello if self._hello is not None else self.hello()

    @property
    def max_data(self) -> int:
        return min(self.hello_info.max_data, p.MAX_DATA)

    def info(self) -> p.Info:
        self._ensure_hello()
        return self._parse(p.parse_info, self.request(p.CMD_INFO), p.CMD_INFO)

    def _ensure_hello(self) -> None:
        # Sessions start with HELLO (see module docstring); it also tells us max_data.
        if self._hello is None:
            self.hello()

    def write_input(self, index: int, data: bytes, offset: int = 0) -> None:
        """Write `data` into input `index` starting at byte `offset`, in max_data-sized chunks."""
        chunk = self.max_data - 5  # index u8 + offset u32 precede the bytes
        view = memoryview(bytes(data))
        pos = 0
        while True:
            part = view[pos : pos + chunk]
            self.request(p.CMD_WRITE_INPUT, p.write_input_payload(index, offset + pos, bytes(part)))
            pos += len(part)
            if pos >= len(view):
                return

    def run(self) -> p.RunResult:
        """One inference; ticks as counted by the device (see Hello.counter_kind)."""
        self._ensure_hello()
        data = self.request(p.CMD_RUN, timeout=self.run_timeout)
        return self._parse(p.parse_run, data, p.CMD_RUN)

    def read_output(self, index: int, nbytes: int, offset: int = 0) -> bytes:
        """Read `nbytes` of output `index` from byte `offset`, in max_data-sized chunks."""
        chunk = self.max_data - 1  # status byte precedes the bytes
        out = bytearray()
        while len(out) < nbytes:
            want = min(chunk, nbytes - len(out))
            data = self.request(p.CMD_READ_OUTPUT, p.read_output_payload(index, offset + len(out), want))
            got = self._parse(p.parse_read_output, data, p.CMD_READ_OUTPUT)
            if len(got) != want:
                raise BoardError(
                    f"board on {self.url} returned {len(got)} bytes of output {index} for {want} asked; "
                    "fix the firmware port"
                )
            out += got
        return bytes(out)

    def profile(self) -> list[int]:
        """Ticks per layer. Each page re-runs one inference on the device; pages until all layers are in."""
        self._ensure_hello()
        ticks: list[int] = []
        while True:
            data = self.request(p.CMD_PROFILE, p.profile_payload(len(ticks)), timeout=self.run_timeout)
            page = self._parse(p.parse_profile, data, p.CMD_PROFILE)
            ticks.extend(page.ticks[: max(0, page.num_layers - len(ticks))])
            if len(ticks) >= page.num_layers:
                return ticks
            if not page.ticks:
                raise BoardError(
                    f"board on {self.url} sent an empty PROFILE page at layer {len(ticks)} of "
                    f"{page.num_layers}; fix the firmware port"
                )

    def exit(self) -> None:
        """EXIT: the device answers, then stops (QEMU terminates). A link that closes meanwhile is success."""
        self._ensure_hello()
        try:
            self.request(p.CMD_EXIT, link_loss_ok=True)
        finally:
            self.close()

    # --- transport --------------------------------------------------------------------------------

    def request(
        self,
        cmd: int,
        data: bytes = b"",
        *,
        timeout: float | None = None,
        tries: int | None = None,
        link_loss_ok: bool = False,
    ) -> bytes:
        """Send one request, return the response payload (status byte included, status == 0 checked).

        `timeout`/`tries` default to the client's. Raises BoardError after the last try without a valid
        answer, or on a non-ok status.
        """
        per_try = self.timeout if timeout is None else timeout
        tries = self.tries if tries is None else tries
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFF
        frame = p.build_frame(cmd, seq, data)
        name = p.command_name(cmd)
        self.stats.requests += 1
        last_problem = "no answer"
        start = time.monotonic()
        for attempt in range(tries):
            if attempt:
                self.stats.retries += 1
                log.debug("%s seq %d: retry %d after %s", name, seq, attempt, last_problem)
            try:
                self._write(frame)
                response, last_problem = self._await(cmd, seq, per_try)
            except _LinkLost as exc:
                if link_loss_ok:
                    return bytes([p.STATUS_OK])
                raise BoardError(
                    f"lost the connection to {self.url} during {name}: {exc}; check that the board "
                    "(or QEMU) is still running"
                ) from None
            if response is not None:
                return self._check_status(response, name)
        elapsed = time.monotonic() - start
        if self.url.startswith("socket://"):
            fix = "check that the firmware was built for this board and runs the mlc protocol"
        else:
            fix = "check that the firmware runs, the port and the baud rate"
        raise BoardError(
            f"{name} to the board on {self.url} failed after {tries} tries in {elapsed:.1f} s ({last_problem}); {fix}"
        )

    def _write(self, frame: bytes) -> None:
        try:
            self._port.write(frame)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            raise _LinkLost(_one_line(exc)) from None

    def _await(self, cmd: int, seq: int, per_try: float) -> tuple[bytes | None, str]:
        """Wait for the matching response. Returns (payload, "") or (None, why this try ended)."""
        deadline = time.monotonic() + per_try
        want = cmd | p.RESPONSE_BIT
        while True:
            while self._pending:
                encoded = self._pending.popleft()
                try:
                    frame = p.parse_frame(encoded)
                except p.ProtocolError as exc:
                    self.stats.bad_frames += 1
                    return None, f"bad frame: {exc}"
                if frame.is_nak:
                    self.stats.naks += 1
                    return None, "device sent NAK"
                if frame.cmd != want or frame.seq != seq:
                    self.stats.stale += 1
                    continue
                if frame.status == p.STATUS_BAD_FRAME:
                    self.stats.naks += 1
                    return None, "device reported a bad frame"
                return frame.data, ""
            if time.monotonic() >= deadline:
                break
            self._pending.extend(self._splitter.feed(self._read_some()))
        self.stats.timeouts += 1
        return None, f"no answer within {per_try:g} s"

    def _read_some(self) -> bytes:
        """Whatever has arrived, waiting at most one poll interval for the first byte."""
        try:
            chunk = self._port.read(max(1, self._port.in_waiting))
            if chunk and self._sock is not None:
                # pyserial's socket in_waiting says only 0 or 1: take the rest straight from the socket.
                try:
                    chunk += self._sock.recv(65536)
                except BlockingIOError:
                    pass
        except (serial.SerialException, OSError) as exc:
            raise _LinkLost(_one_line(exc)) from None
        return chunk

    def _check_status(self, data: bytes, name: str) -> bytes:
        if not data:
            raise BoardError(f"board on {self.url} answered {name} without a status byte; fix the firmware port")
        status = data[0]
        if status == p.STATUS_OK:
            return data
        if status == p.STATUS_UNKNOWN_COMMAND:
            raise BoardError(
                f"board on {self.url} does not know {name}; rebuild and reflash the firmware with this mlc"
            )
        if status == p.STATUS_BAD_ARGUMENT:
            raise BoardError(
                f"board on {self.url} rejected the arguments of {name} (index or range outside the model); "
                "check that the firmware holds the same model"
            )
        if status == p.STATUS_RUN_FAILED:
            detail = ""
            if len(data) >= 5:
                detail = f" (model returned {int.from_bytes(data[1:5], 'little', signed=True)})"
            raise BoardError(f"the model failed on the board on {self.url} during {name}{detail}; see the run log")
        raise BoardError(f"board on {self.url} answered {name} with unknown status {status}; fix the firmware port")

    def _parse(self, parser: Callable[[bytes], T], data: bytes, cmd: int) -> T:
        try:
            return parser(data)
        except p.ProtocolError as exc:
            raise BoardError(
                f"malformed {p.command_name(cmd)} answer from the board on {self.url}: {exc}; fix the firmware port"
            ) from None


def infer(
    client: DeviceClient, inputs: Sequence[bytes], output_sizes: Sequence[int] | None = None
) -> tuple[list[bytes], int]:
    """Write all inputs, run once, read all outputs. Returns (outputs, ticks).

    `output_sizes` defaults to the byte sizes the device reports in HELLO. Input sizes are checked
    against the device's model before anything is sent.
    """
    info = client.hello_info.info
    if len(inputs) != len(info.inputs):
        raise UsageError(f"model {info.name!r} on the board takes {len(info.inputs)} inputs, got {len(inputs)}")
    for i, (data, tensor) in enumerate(zip(inputs, info.inputs, strict=True)):
        if len(data) != tensor.nbytes:
            raise UsageError(
                f"input {i} ({tensor.name!r}) of model {info.name!r} needs {tensor.nbytes} bytes "
                f"({tensor.dtype_name} {list(tensor.dims)}), got {len(data)}"
            )
    sizes = list(output_sizes) if output_sizes is not None else [t.nbytes for t in info.outputs]
    for i, data in enumerate(inputs):
        client.write_input(i, data)
    result = client.run()
    if result.model_return != 0:
        raise BoardError(f"model {info.name!r} returned {result.model_return} on the board on {client.url}")
    outputs = [client.read_output(i, n) for i, n in enumerate(sizes)]
    return outputs, result.ticks


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
