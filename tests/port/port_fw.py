"""Test helpers for the board ports: build the fake-model firmware for a board, run it in QEMU, and a
minimal client of the device protocol (COBS + zlib CRC-32). The real host client lives in toolchain/."""

from __future__ import annotations

import socket
import struct
import subprocess
import time
import tomllib
import zlib
from dataclasses import dataclass
from pathlib import Path

import jinja2

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / "runtime_c"
HERE = Path(__file__).resolve().parent
BOARDS = sorted((REPO / "boards").glob("*.toml"))


def load_boards(kind: str) -> list[dict]:
    out = []
    for path in BOARDS:
        data = tomllib.loads(path.read_text())
        if data["kind"] == kind:
            out.append(data)
    return out


def define_flags(board: dict) -> list[str]:
    """[port.defines] -> -D flags: strings as written, booleans as 1/0, integers in decimal."""
    flags = []
    for key, value in board.get("port", {}).get("defines", {}).items():
        if isinstance(value, bool):
            value = int(value)
        flags.append(f"-D{key}={value}")
    return flags


def port_sources(board: dict) -> list[Path]:
    family = board["port"]["family"]
    return sorted((RUNTIME / "port" / "common").glob("*.c")) + sorted((RUNTIME / "port" / family).glob("*.c"))


def render_linker_script(board: dict) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    template = env.from_string((REPO / "templates" / "link.ld.j2").read_text())
    return template.render(memory=board["memory"], stack_bytes=board["stack_bytes"])


def build_firmware(board: dict, out_dir: Path, extra_flags: tuple[str, ...] = ()) -> Path:
    """Compiles the device main, framing, port and the fake model into out_dir/fw.elf."""
    out_dir.mkdir(parents=True, exist_ok=True)
    script = out_dir / "link.ld"
    script.write_text(render_linker_script(board))
    elf = out_dir / "fw.elf"
    sources = [
        RUNTIME / "device" / "main_device.c",
        RUNTIME / "device" / "frame.c",
        *port_sources(board),
        HERE / "fake_model.c",
    ]
    cmd = [
        board["toolchain_prefix"] + "gcc",
        *board["cflags"],
        *define_flags(board),
        *extra_flags,
        "-O2", "-g", "-std=c99", "-Wall", "-Wextra", "-Werror",
        "-I", str(RUNTIME / "include"), "-I", str(HERE),
        *map(str, sources),
        *board["ldflags"],
        "-T", str(script), f"-Wl,-Map={out_dir / 'fw.map'}",
        "-o", str(elf),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"build failed for {board['name']}:\n{' '.join(cmd)}\n{result.stderr}")
    return elf


# ---- COBS and frames --------------------------------------------------------------------------

def cobs_encode(data: bytes) -> bytes:
    out = bytearray()
    block = bytearray()
    for byte in data:
        if byte == 0:
            out += bytes([len(block) + 1]) + block
            block.clear()
        else:
            block.append(byte)
            if len(block) == 254:
                out += b"\xff" + block
                block.clear()
    out += bytes([len(block) + 1]) + block
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data) or 0 in data[i + 1 : i + code]:
            raise ValueError("bad COBS")
        out += data[i + 1 : i + code]
        i += code
        if code != 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


def make_frame(cmd: int, seq: int, data: bytes = b"", version: int = 1) -> bytes:
    body = struct.pack("<BBBH", version, cmd, seq, len(data)) + data
    return body + struct.pack("<I", zlib.crc32(body))


@dataclass
class Reply:
    cmd: int
    seq: int
    data: bytes
    raw: bytes

    @property
    def status(self) -> int:
        return self.data[0]


class Link:
    """One TCP connection to QEMU's serial port."""

    def __init__(self, port: int, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.pending = bytearray()

    def close(self) -> None:
        self.sock.close()

    def send_raw(self, encoded: bytes) -> None:
        self.sock.sendall(encoded)

    def send(self, frame: bytes) -> None:
        self.send_raw(cobs_encode(frame) + b"\x00")

    def receive(self) -> Reply:
        while b"\x00" not in self.pending:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("QEMU closed the serial connection")
            self.pending += chunk
        end = self.pending.index(0)
        encoded = bytes(self.pending[:end])
        del self.pending[: end + 1]
        raw = cobs_decode(encoded)
        version, cmd, seq, length = struct.unpack_from("<BBBH", raw)
        assert version == 1
        assert len(raw) == 5 + length + 4, "reply length field disagrees with the frame"
        (crc,) = struct.unpack_from("<I", raw, 5 + length)
        assert crc == zlib.crc32(raw[: 5 + length]), "reply CRC mismatch"
        return Reply(cmd, seq, raw[5 : 5 + length], raw)

    def request(self, cmd: int, seq: int, data: bytes = b"") -> Reply:
        self.send(make_frame(cmd, seq, data))
        reply = self.receive()
        assert reply.cmd == cmd | 0x80 and reply.seq == seq, reply
        return reply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_qemu(board: dict, elf: Path, attempts: int = 5) -> tuple[subprocess.Popen, int]:
    """QEMU serving the board's UART on a free TCP port. Another QEMU (a parallel test) may take the port
    between free_port() and the bind: that start fails with "Address already in use" and is retried on a
    new port, so a Link never talks to someone else's firmware (toolchain/flash.py does the same)."""
    from toolchain.flash import _listening

    for _ in range(attempts):
        port = free_port()
        cmd = [arg.format(port=port, elf=elf) for arg in board["flash"]["command"]]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20.0
        while proc.poll() is None and not _listening(port) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.05)  # a QEMU that lost the port exits at once, even if the port shows a listener
        if proc.poll() is None:
            return proc, port
        _, err = proc.communicate(timeout=10)
        if b"Address already in use" not in err:
            return proc, port  # the caller's request fails and shows QEMU's own complaint
    return proc, port


def stop_qemu(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=10)


# ---- payload parsing ---------------------------------------------------------------------------

def parse_info(data: bytes) -> dict:
    pos = 0

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def name() -> str:
        nonlocal pos
        n = take("B")
        text = data[pos : pos + n].decode()
        pos += n
        return text

    info = {"name": name()}
    info["sha256"] = data[pos : pos + 16].decode()
    pos += 16
    info["arena_size"], n_in, n_out = take("IBB")
    tensors = []
    for _ in range(n_in + n_out):
        dtype, rank = take("BB")
        dims = list(struct.unpack_from(f"<{rank}i", data, pos))
        pos += 4 * rank
        scale, zero_point = take("fi")
        tensors.append({"dtype": dtype, "dims": dims, "scale": scale, "zero_point": zero_point, "name": name()})
    info["inputs"], info["outputs"] = tensors[:n_in], tensors[n_in:]
    assert pos == len(data), "trailing bytes after INFO payload"
    return info
