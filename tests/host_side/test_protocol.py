"""Protocol v1 byte rules: COBS, frames, CRC, payload parsing."""

from __future__ import annotations

import random
import struct
import zlib

import pytest

from toolchain import protocol as p
from toolchain.testing.fake_device import pack_info

# Reference vectors (Cheshire & Baker COBS, as listed on Wikipedia).
SEQ = bytes(range(1, 256))
VECTORS = [
    (b"", b"\x01"),
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (SEQ[:254], b"\xff" + SEQ[:254]),
    (b"\x00" + SEQ[:254], b"\x01\xff" + SEQ[:254]),
    (SEQ, b"\xff" + SEQ[:254] + b"\x02\xff"),
    (SEQ[1:] + b"\x00", b"\xff" + SEQ[1:] + b"\x01\x01"),
    (SEQ[2:] + b"\x00\x01", b"\xfe" + SEQ[2:] + b"\x02\x01"),
]


@pytest.mark.parametrize(("raw", "encoded"), VECTORS)
def test_cobs_reference_vectors(raw: bytes, encoded: bytes) -> None:
    assert p.cobs_encode(raw) == encoded
    assert p.cobs_decode(encoded) == raw


@pytest.mark.parametrize("n", [1, 253, 254, 255, 256, 508, 509, 1000])
@pytest.mark.parametrize("fill", [0x00, 0x01, 0xFF])
def test_cobs_round_trip_runs(n: int, fill: int) -> None:
    for data in (bytes([fill]) * n, bytes([fill]) * n + b"\x00", b"\x00" + bytes([fill]) * n):
        enc = p.cobs_encode(data)
        assert 0 not in enc
        assert p.cobs_decode(enc) == data
        assert len(enc) <= len(data) + 1 + len(data) // 254 + 1


def test_cobs_round_trip_random() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randrange(0, 800)
        zero_rate = rng.choice([0.0, 0.01, 0.5])
        data = bytes(0 if rng.random() < zero_rate else rng.randrange(1, 256) for _ in range(n))
        assert p.cobs_decode(p.cobs_encode(data)) == data


def test_cobs_decoder_accepts_trailing_code_after_full_block() -> None:
    # Some encoders emit a final 0x01 after a 254-byte block; both forms mean the same bytes.
    assert p.cobs_decode(b"\xff" + SEQ[:254] + b"\x01") == SEQ[:254]


@pytest.mark.parametrize("bad", [b"\x05\x11\x22", b"\x02\x00", b"\x03\x11\x00"])
def test_cobs_decode_rejects_malformed(bad: bytes) -> None:
    with pytest.raises(p.ProtocolError):
        p.cobs_decode(bad)


def test_frame_layout_and_crc() -> None:
    raw = p.pack_frame(p.CMD_RUN, 7, b"\x01\x02")
    assert raw[:5] == bytes([1, 0x04, 7, 2, 0])
    assert raw[5:7] == b"\x01\x02"
    assert struct.unpack("<I", raw[7:])[0] == zlib.crc32(raw[:7])
    wire = p.build_frame(p.CMD_RUN, 7, b"\x01\x02")
    assert wire.endswith(b"\x00") and 0 not in wire[:-1]
    frame = p.parse_frame(wire[:-1])
    assert (frame.cmd, frame.seq, frame.data, frame.version) == (p.CMD_RUN, 7, b"\x01\x02", 1)


@pytest.mark.parametrize("size", [0, 1, 253, 254, 255, 512])
def test_frame_round_trip_sizes(size: int) -> None:
    data = bytes((i * 37) & 0xFF for i in range(size))  # includes zeros
    frame = p.parse_frame(p.build_frame(0x85, 255, data)[:-1])
    assert frame.data == data and frame.seq == 255 and frame.is_response


def test_frame_rejects_every_single_bit_flip() -> None:
    raw = p.pack_frame(p.CMD_WRITE_INPUT, 3, bytes(range(40)))
    for i in range(len(raw)):
        for bit in range(8):
            damaged = bytearray(raw)
            damaged[i] ^= 1 << bit
            with pytest.raises(p.ProtocolError):
                p.unpack_frame(bytes(damaged))


def test_frame_rejects_bad_length_and_short_frames() -> None:
    raw = bytearray(p.pack_frame(p.CMD_HELLO, 1, b"abc"))
    with pytest.raises(p.ProtocolError, match="length"):
        p.unpack_frame(bytes(raw[:-1]))  # one byte missing
    with pytest.raises(p.ProtocolError, match="length"):
        p.unpack_frame(bytes(raw) + b"x")
    # A consistent CRC over a wrong length field is still rejected.
    body = bytearray(raw[:-4])
    body[3] = 9
    with pytest.raises(p.ProtocolError, match="length"):
        p.unpack_frame(bytes(body) + struct.pack("<I", zlib.crc32(bytes(body))))
    with pytest.raises(p.ProtocolError, match="shorter"):
        p.unpack_frame(b"\x01\x01\x00")


def test_frame_rejects_other_version() -> None:
    with pytest.raises(p.ProtocolError, match="version"):
        p.unpack_frame(p.pack_frame(p.CMD_HELLO, 0, b"", version=2))


def test_splitter_handles_chunking_noise_and_overflow() -> None:
    wire = b"\x00\x00" + p.build_frame(1, 1, b"\x00a") + p.build_frame(2, 2, b"b")
    whole = p.FrameSplitter().feed(wire)
    assert [p.parse_frame(f).seq for f in whole] == [1, 2]
    sp = p.FrameSplitter()
    pieces = [sp.feed(wire[i : i + 1]) for i in range(len(wire))]
    assert [f for piece in pieces for f in piece] == whole
    small = p.FrameSplitter(max_encoded=16)
    assert small.feed(b"\x07" * 40 + b"\x00" + p.build_frame(1, 9, b"")) == [p.build_frame(1, 9, b"")[:-1]]
    assert small.overflows == 1


def _info() -> p.Info:
    t_in = p.TensorInfo(p.DTYPE_S8, (1, 28, 28, 1), 0.0078125, -128, "image")
    t_out = p.TensorInfo(p.DTYPE_F32, (1, 10), 1.0, 0, "logits")
    return p.Info("digits_cnn", "00112233445566aa", 1536, (t_in,), (t_out,))


def test_parse_hello_and_info() -> None:
    info = _info()
    hello = p.parse_hello(b"\x00" + struct.pack("<BHB", 1, 256, 1) + pack_info(info))
    assert hello == p.Hello(1, 256, 1, info)
    assert p.parse_info(b"\x00" + pack_info(info)) == info
    assert info.inputs[0].nbytes == 784 and info.outputs[0].nbytes == 40
    with pytest.raises(p.ProtocolError, match="ends inside"):
        p.parse_info(b"\x00" + pack_info(info)[:-3])
    with pytest.raises(p.ProtocolError, match="trailing"):
        p.parse_info(b"\x00" + pack_info(info) + b"\x00")


def test_parse_run_profile_output_and_status() -> None:
    assert p.parse_run(b"\x00" + struct.pack("<iI", -3, 123456)) == p.RunResult(-3, 123456)
    assert p.parse_read_output(b"\x00abc") == b"abc"
    page = p.parse_profile(b"\x00" + struct.pack("<H3I", 5, 10, 20, 30))
    assert page == p.ProfilePage(5, (10, 20, 30))
    with pytest.raises(p.ProtocolError, match="partial"):
        p.parse_profile(b"\x00\x05\x00\x01\x02")
    with pytest.raises(p.ProtocolError, match="bad argument"):
        p.parse_run(b"\x03")


def test_ticks_to_instructions() -> None:
    assert p.ticks_to_instructions(16, p.COUNTER_ICOUNT_TICKS) == 10
    assert p.ticks_to_instructions(17, p.COUNTER_ICOUNT_TICKS) == 11  # 10.625 rounds up
    assert p.ticks_to_instructions(1000, p.COUNTER_CPU_CYCLES) is None


def test_command_names() -> None:
    assert p.command_name(0x84) == "RUN" and p.command_name(0x04) == "RUN"
    assert p.command_name(0xFF) == "NAK" and p.command_name(0x42) == "0x42"
