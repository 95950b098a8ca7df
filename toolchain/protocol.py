"""Serial protocol v1, host side: COBS framing, CRC-32, payload builders and response parsers.

Pure functions only (no I/O) so that every byte rule is unit-testable; `device.py` does the talking.
The user-facing description is docs/protocol.md.

Wire format: COBS(frame) followed by one 0x00 delimiter, where
    frame = version u8 | cmd u8 | seq u8 | len u16 LE | data[len] | crc32 u32 LE
and the CRC (zlib/IEEE) covers every byte before it. All integers are little-endian.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

PROTO_VERSION = 1
MAX_DATA = 512  # the protocol's ceiling; a device may report a smaller max_data in HELLO
HEADER_SIZE = 5  # version, cmd, seq, len u16
CRC_SIZE = 4
RESPONSE_BIT = 0x80

CMD_HELLO = 0x01
CMD_INFO = 0x02
CMD_WRITE_INPUT = 0x03
CMD_RUN = 0x04
CMD_READ_OUTPUT = 0x05
CMD_PROFILE = 0x06
CMD_EXIT = 0x07
CMD_NAK = 0xFF

COMMAND_NAMES = {
    CMD_HELLO: "HELLO",
    CMD_INFO: "INFO",
    CMD_WRITE_INPUT: "WRITE_INPUT",
    CMD_RUN: "RUN",
    CMD_READ_OUTPUT: "READ_OUTPUT",
    CMD_PROFILE: "PROFILE",
    CMD_EXIT: "EXIT",
    CMD_NAK: "NAK",
}

STATUS_OK = 0
STATUS_BAD_FRAME = 1
STATUS_UNKNOWN_COMMAND = 2
STATUS_BAD_ARGUMENT = 3
STATUS_RUN_FAILED = 4

STATUS_NAMES = {
    STATUS_OK: "ok",
    STATUS_BAD_FRAME: "bad frame",
    STATUS_UNKNOWN_COMMAND: "unknown command",
    STATUS_BAD_ARGUMENT: "bad argument",
    STATUS_RUN_FAILED: "model run failed",
}

COUNTER_NONE = 0
COUNTER_ICOUNT_TICKS = 1  # FPGAIO 25 MHz ticks under QEMU -icount shift=6: 1.6 ticks per instruction
COUNTER_CPU_CYCLES = 2  # DWT->CYCCNT on real hardware
COUNTER_OTHER_TICKS = 3
COUNTER_EXACT_INSTRUCTIONS = 4  # the device converted QEMU icount counter values to exact instructions

COUNTER_NAMES = {
    COUNTER_NONE: "none",
    COUNTER_ICOUNT_TICKS: "instructions (icount)",
    COUNTER_CPU_CYCLES: "cpu cycles",
    COUNTER_OTHER_TICKS: "ticks",
    COUNTER_EXACT_INSTRUCTIONS: "instructions (icount, exact)",
}

DTYPE_F32 = 0
DTYPE_S8 = 1
DTYPE_U8 = 2
DTYPE_S32 = 3
DTYPE_S64 = 4
DTYPE_BOOL = 5
DTYPE_S16 = 6
DTYPE_U16 = 7

# dtype code -> (name, bytes per element)
DTYPES = {DTYPE_F32: ("float32", 4), DTYPE_S8: ("int8", 1), DTYPE_U8: ("uint8", 1), DTYPE_S32: ("int32", 4),
          DTYPE_S64: ("int64", 8), DTYPE_BOOL: ("bool", 1), DTYPE_S16: ("int16", 2), DTYPE_U16: ("uint16", 2)}


class ProtocolError(ValueError):
    """Bytes that do not follow the protocol. Internal: device.py retries or turns it into a BoardError."""


def command_name(cmd: int) -> str:
    """Name of a request or response command code (0x84 -> "RUN")."""
    key = cmd if cmd == CMD_NAK else cmd & ~RESPONSE_BIT
    return COMMAND_NAMES.get(key, f"0x{cmd:02x}")


def status_name(status: int) -> str:
    return STATUS_NAMES.get(status, f"status {status}")


# --- COBS -----------------------------------------------------------------------------------------


def cobs_encode(data: bytes) -> bytes:
    """COBS-encode `data` (Cheshire & Baker); the result has no 0x00. The delimiter is not appended.

    Like the reference C encoder, a 254-byte block that ends the data gets no trailing 0x01 code.
    """
    out = bytearray([0])  # placeholder for the first code byte
    code_at: int | None = 0
    code = 1
    last = len(data) - 1
    for i, byte in enumerate(data):
        if byte:
            out.append(byte)
            code += 1
        if byte == 0 or code == 0xFF:  # a zero, or a full block (254 bytes, no implied zero)
            assert code_at is not None
            out[code_at] = code
            code = 1
            if byte == 0 or i < last:
                code_at = len(out)
                out.append(0)
            else:
                code_at = None
    if code_at is not None:
        out[code_at] = code
    return bytes(out)


def cobs_decode(encoded: bytes) -> bytes:
    """Inverse of cobs_encode (input without the delimiter). Raises ProtocolError on malformed input."""
    out = bytearray()
    i = 0
    n = len(encoded)
    while i < n:
        code = encoded[i]
        if code == 0:
            raise ProtocolError("COBS: zero byte inside a frame")
        end = i + code
        if end > n:
            raise ProtocolError("COBS: block runs past the end of the frame")
        block = encoded[i + 1 : end]
        if 0 in block:
            raise ProtocolError("COBS: zero byte inside a frame")
        out += block
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)


# --- frames ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    cmd: int
    seq: int
    data: bytes
    version: int = PROTO_VERSION

    @property
    def is_response(self) -> bool:
        return self.cmd != CMD_NAK and bool(self.cmd & RESPONSE_BIT)

    @property
    def is_nak(self) -> bool:
        return self.cmd == CMD_NAK

    @property
    def status(self) -> int | None:
        """First data byte of a response (or NAK); None for an empty payload."""
        return self.data[0] if self.data else None


def pack_frame(cmd: int, seq: int, data: bytes = b"", version: int = PROTO_VERSION) -> bytes:
    """The decoded frame bytes (header, data, CRC) before COBS."""
    if len(data) > 0xFFFF:
        raise ProtocolError(f"payload of {len(data)} bytes does not fit the u16 length field")
    body = struct.pack("<BBBH", version, cmd, seq & 0xFF, len(data)) + bytes(data)
    return body + struct.pack("<I", zlib.crc32(body))


def build_frame(cmd: int, seq: int, data: bytes = b"", version: int = PROTO_VERSION) -> bytes:
    """Wire bytes of one frame: COBS(header | data | crc) + 0x00."""
    return cobs_encode(pack_frame(cmd, seq, data, version)) + b"\x00"


def unpack_frame(raw: bytes) -> Frame:
    """Parse a decoded (un-COBSed) frame; raises ProtocolError on bad size, length, CRC or version."""
    if len(raw) < HEADER_SIZE + CRC_SIZE:
        raise ProtocolError(f"frame of {len(raw)} bytes is shorter than header and CRC")
    version, cmd, seq, length = struct.unpack_from("<BBBH", raw)
    if len(raw) != HEADER_SIZE + length + CRC_SIZE:
        raise ProtocolError(f"length field says {length} data bytes, frame carries {len(raw) - 9}")
    (crc,) = struct.unpack_from("<I", raw, len(raw) - CRC_SIZE)
    if zlib.crc32(raw[:-CRC_SIZE]) != crc:
        raise ProtocolError("CRC mismatch")
    if version != PROTO_VERSION:
        raise ProtocolError(f"protocol version {version}, expected {PROTO_VERSION}")
    return Frame(cmd=cmd, seq=seq, data=bytes(raw[HEADER_SIZE : HEADER_SIZE + length]), version=version)


def parse_frame(encoded: bytes) -> Frame:
    """Parse one COBS-encoded frame (delimiter stripped). Raises ProtocolError; never returns a bad frame."""
    return unpack_frame(cobs_decode(encoded))


class FrameSplitter:
    """Cuts a byte stream at 0x00 delimiters into encoded frames.

    Input is bounded: a run without delimiter longer than `max_encoded` bytes is dropped (it cannot be a
    valid frame), so line noise cannot grow memory without limit.
    """

    def __init__(self, max_encoded: int = HEADER_SIZE + 0xFFFF + CRC_SIZE + 0xFFFF // 254 + 2) -> None:
        self._buf = bytearray()
        self._max = max_encoded
        self.overflows = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """Every frame completed by `chunk` (encoded, delimiter stripped); empty frames are skipped.

        Returns a list, not a generator: the caller may stop early and must not lose the rest.
        """
        frames = []
        for part in _split_keep(chunk):
            if part == b"\x00":
                if self._buf:
                    frames.append(bytes(self._buf))
                    self._buf.clear()
                continue
            self._buf += part
            if len(self._buf) > self._max:
                self._buf.clear()
                self.overflows += 1
        return frames

    def reset(self) -> None:
        self._buf.clear()


def _split_keep(chunk: bytes) -> Iterator[bytes]:
    """Split on 0x00 keeping each delimiter as its own item."""
    start = 0
    while True:
        idx = chunk.find(0, start)
        if idx < 0:
            if start < len(chunk):
                yield chunk[start:]
            return
        if idx > start:
            yield chunk[start:idx]
        yield b"\x00"
        start = idx + 1


# --- request payloads -----------------------------------------------------------------------------


def write_input_payload(index: int, offset: int, data: bytes) -> bytes:
    return struct.pack("<BI", index, offset) + bytes(data)


def read_output_payload(index: int, offset: int, length: int) -> bytes:
    return struct.pack("<BIH", index, offset, length)


def profile_payload(first_layer: int) -> bytes:
    return struct.pack("<H", first_layer)


# --- response payloads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TensorInfo:
    dtype: int
    dims: tuple[int, ...]
    scale: float
    zero_point: int
    name: str

    @property
    def dtype_name(self) -> str:
        return DTYPES.get(self.dtype, (f"dtype {self.dtype}", 0))[0]

    @property
    def itemsize(self) -> int:
        if self.dtype not in DTYPES:
            raise ProtocolError(f"unknown dtype code {self.dtype} for tensor {self.name!r}")
        return DTYPES[self.dtype][1]

    @property
    def nbytes(self) -> int:
        count = 1
        for d in self.dims:
            count *= d
        return count * self.itemsize


@dataclass(frozen=True)
class Info:
    name: str
    sha256_prefix: str  # first 16 hex chars of the model's sha256
    arena_size: int
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]


@dataclass(frozen=True)
class Hello:
    proto_version: int
    max_data: int
    counter_kind: int
    info: Info


@dataclass(frozen=True)
class RunResult:
    model_return: int  # the generated run function's return value (0 = ok)
    ticks: int  # counter delta over the inference; meaning depends on Hello.counter_kind


@dataclass(frozen=True)
class ProfilePage:
    num_layers: int
    ticks: tuple[int, ...]  # ticks of layers first_layer, first_layer + 1, ...


def ticks_to_instructions(ticks: int, counter_kind: int) -> int | None:
    """Instructions executed, for counter kinds 1 (QEMU icount: 1.6 ticks per instruction) and 4 (already
    instructions); else None."""
    if counter_kind == COUNTER_EXACT_INSTRUCTIONS:
        return ticks
    if counter_kind != COUNTER_ICOUNT_TICKS:
        return None
    return (ticks * 40 + 32) // 64  # round to nearest


class _Reader:
    """Cursor over a response payload; every short read is a ProtocolError naming the field."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, fmt: str, field: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.data):
            raise ProtocolError(f"{self.what} response ends inside {field}")
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values

    def one(self, fmt: str, field: str) -> int | float:
        return self.take(fmt, field)[0]

    def raw(self, n: int, field: str) -> bytes:
        if self.pos + n > len(self.data):
            raise ProtocolError(f"{self.what} response ends inside {field}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def text(self, n: int, field: str) -> str:
        return self.raw(n, field).decode("utf-8", errors="replace")

    def done(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolError(f"{self.what} response has {len(self.data) - self.pos} unexpected trailing bytes")


def _tensor(r: _Reader, kind: str, i: int) -> TensorInfo:
    where = f"{kind} {i}"
    dtype, rank = r.take("BB", f"{where} dtype/rank")
    dims = r.take(f"{rank}i", f"{where} dims") if rank else ()
    scale, zero_point, name_len = r.take("fiB", f"{where} quantization")
    name = r.text(name_len, f"{where} name")
    return TensorInfo(dtype=dtype, dims=tuple(int(d) for d in dims), scale=scale, zero_point=zero_point, name=name)


def _info(r: _Reader) -> Info:
    name_len = int(r.one("B", "model name length"))
    name = r.text(name_len, "model name")
    sha = r.text(16, "sha256 prefix")
    arena_size, num_inputs, num_outputs = r.take("IBB", "arena size / tensor counts")
    inputs = tuple(_tensor(r, "input", i) for i in range(num_inputs))
    outputs = tuple(_tensor(r, "output", i) for i in range(num_outputs))
    return Info(name=name, sha256_prefix=sha, arena_size=arena_size, inputs=inputs, outputs=outputs)


def _after_status(data: bytes, what: str) -> _Reader:
    r = _Reader(data, what)
    status = int(r.one("B", "status"))
    if status != STATUS_OK:
        raise ProtocolError(f"{what} status {status} ({status_name(status)})")
    return r


def parse_hello(data: bytes) -> Hello:
    r = _after_status(data, "HELLO")
    version, max_data, counter_kind = r.take("BHB", "version/max_data/counter")
    info = _info(r)
    r.done()
    return Hello(proto_version=version, max_data=max_data, counter_kind=counter_kind, info=info)


def parse_info(data: bytes) -> Info:
    r = _after_status(data, "INFO")
    info = _info(r)
    r.done()
    return info


def parse_run(data: bytes) -> RunResult:
    r = _after_status(data, "RUN")
    model_return, ticks = r.take("iI", "model return / count")
    r.done()
    return RunResult(model_return=model_return, ticks=ticks)


def parse_read_output(data: bytes) -> bytes:
    return _after_status(data, "READ_OUTPUT").data[1:]


def parse_profile(data: bytes) -> ProfilePage:
    r = _after_status(data, "PROFILE")
    num_layers = int(r.one("H", "layer count"))
    rest = len(data) - r.pos
    if rest % 4:
        raise ProtocolError("PROFILE response carries a partial tick value")
    ticks = r.take(f"{rest // 4}I", "ticks") if rest else ()
    return ProfilePage(num_layers=num_layers, ticks=tuple(ticks))
