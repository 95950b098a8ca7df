"""Every emulated board: build the fake-model firmware, run it in QEMU and speak protocol v1 to it."""

from __future__ import annotations

import struct

import pytest
from port_fw import Link, build_firmware, load_boards, make_frame, parse_info, start_qemu, stop_qemu

QEMU_BOARDS = load_boards("qemu")
IDS = [b["name"] for b in QEMU_BOARDS]
HELLO, INFO, WRITE_INPUT, RUN, READ_OUTPUT, PROFILE, EXIT = range(1, 8)
X = [0.5, 1.0, -2.25, 3.0, 10.0, -7.5, 0.0, 100.0]


@pytest.fixture(params=QEMU_BOARDS, ids=IDS)
def board(request):
    return request.param


def expected_max_data(board: dict) -> int:
    return int(board["port"]["defines"].get("MLC_PROTO_MAX_DATA", 512))


def write_input(link: Link, seq: int, index: int, offset: int, payload: bytes) -> int:
    return link.request(WRITE_INPUT, seq, struct.pack("<BI", index, offset) + payload).status


def read_output(link: Link, seq: int, index: int, offset: int, length: int):
    return link.request(READ_OUTPUT, seq, struct.pack("<BIH", index, offset, length))


def run_count(link: Link, seq: int) -> tuple[int, int]:
    reply = link.request(RUN, seq)
    assert reply.status == 0 and len(reply.data) == 9
    rc, count = struct.unpack_from("<iI", reply.data, 1)
    assert rc == 0
    return count, reply


def runs_so_far(link: Link, seq: int) -> int:
    reply = read_output(link, seq, 1, 2, 1)
    assert reply.status == 0
    return reply.data[1]


def test_protocol_session(board, tmp_path):
    elf = build_firmware(board, tmp_path)
    proc, port = start_qemu(board, elf)
    try:
        link = Link(port)
        max_data = expected_max_data(board)

        # HELLO carries the INFO payload after protocol version, max data and counter kind.
        hello = link.request(HELLO, 1)
        assert hello.status == 0
        version, got_max, kind = struct.unpack_from("<BHB", hello.data, 1)
        assert (version, got_max, kind) == (1, max_data, board["port"]["defines"]["MLC_COUNTER_KIND"])
        info_reply = link.request(INFO, 2)
        assert info_reply.status == 0 and info_reply.data[1:] == hello.data[5:]
        info = parse_info(info_reply.data[1:])
        assert info["name"] == "fake" and info["sha256"] == "0123456789abcdef" and info["arena_size"] == 32
        assert [t["name"] for t in info["inputs"]] == ["x"] and info["inputs"][0]["dims"] == [1, 8]
        assert [(t["name"], t["dtype"], t["dims"]) for t in info["outputs"]] == [("y", 0, [1, 8]), ("q", 1, [3])]
        assert info["outputs"][1]["scale"] == 0.5 and info["outputs"][1]["zero_point"] == -3

        # WRITE_INPUT in two chunks; out-of-range writes are refused.
        raw = struct.pack("<8f", *X)
        assert write_input(link, 3, 0, 0, raw[:12]) == 0
        assert write_input(link, 4, 0, 12, raw[12:]) == 0
        assert write_input(link, 5, 0, 30, b"\x00" * 4) == 3
        assert write_input(link, 6, 1, 0, b"\x00") == 3

        # RUN is deterministic under -icount up to the counter's quantisation: instructions take 64 ns
        # and the counter ticks every 40/50/62.5 ns, so the phase at the start moves a count by +-1 tick.
        first, _ = run_count(link, 7)
        second, _ = run_count(link, 8)
        assert first > 0 and abs(first - second) <= 1

        # READ_OUTPUT: y = 2x + 1, q = int8(y0), int8(y1), runs.
        y = read_output(link, 9, 0, 0, 32)
        assert y.status == 0 and list(struct.unpack("<8f", y.data[1:])) == [2 * v + 1 for v in X]
        q = read_output(link, 10, 1, 0, 3)
        assert q.status == 0 and struct.unpack("<3b", q.data[1:]) == (2, 3, 2)
        assert read_output(link, 11, 1, 1, 3).status == 3
        assert read_output(link, 12, 2, 0, 1).status == 3

        # A retried RUN (same seq and cmd) is answered from the cache, not run again.
        _, reply = run_count(link, 13)
        link.send(make_frame(RUN, 13))
        assert link.receive().raw == reply.raw
        assert runs_so_far(link, 14) == 3

        # A garbled retry gets a NAK and must not clobber the cached answer.
        _, reply = run_count(link, 15)
        bad = bytearray(make_frame(RUN, 15))
        bad[-1] ^= 0xFF
        link.send(bytes(bad))
        nak = link.receive()
        assert (nak.cmd, nak.seq, nak.data) == (0xFF, 0, b"\x01")
        link.send(make_frame(RUN, 15))
        assert link.receive().raw == reply.raw
        assert runs_so_far(link, 16) == 4

        # Other malformed frames: bad COBS, wrong version, length field mismatch, oversized frame.
        for garbage in (
            bytes([5, 1, 2, 0]),
            b"\x02\x01" + bytes(300) + b"\x00",
        ):
            link.send_raw(garbage)
            assert link.receive().cmd == 0xFF
        link.send(make_frame(HELLO, 17, version=2))
        assert link.receive().cmd == 0xFF
        frame = bytearray(make_frame(HELLO, 18))
        frame[3] = 1
        link.send(bytes(frame))
        assert link.receive().cmd == 0xFF
        link.send_raw(b"\x00")  # a lone delimiter is ignored
        link.send_raw(b"\x01" * (max_data + 64) + b"\x00")
        assert link.receive().cmd == 0xFF

        # Unknown command and a READ_OUTPUT longer than a frame.
        assert link.request(0x42, 19).status == 2
        assert read_output(link, 20, 0, 0, max_data).status == 3

        # PROFILE: one tick count per layer, deterministic, summing to roughly one RUN.
        profile = link.request(PROFILE, 21, struct.pack("<H", 0))
        assert profile.status == 0
        layers, *ticks = struct.unpack(f"<H{(len(profile.data) - 3) // 4}I", profile.data[1:])
        assert layers == 3 and len(ticks) == 3 and all(t > 0 for t in ticks)
        assert first / 2 <= sum(ticks) <= first * 2  # layers this small are dominated by callback overhead
        again = link.request(PROFILE, 22, struct.pack("<H", 0))
        layers_again, *ticks_again = struct.unpack(f"<H{len(ticks)}I", again.data[1:])
        assert layers_again == 3 and all(abs(a - b) <= 1 for a, b in zip(ticks, ticks_again))
        tail = link.request(PROFILE, 23, struct.pack("<H", 2))
        assert tail.status == 0 and len(tail.data) == 7
        assert link.request(PROFILE, 24, struct.pack("<H", 4)).status == 3
        assert link.request(PROFILE, 25).status == 0

        # EXIT ends QEMU with code 0.
        assert link.request(EXIT, 26).status == 0
        assert proc.wait(timeout=20) == 0
        link.close()
    finally:
        stop_qemu(proc)


def test_fault_exits_with_exception_code(board, tmp_path):
    elf = build_firmware(board, tmp_path, ("-DFAKE_FAULT",))
    proc, port = start_qemu(board, elf)
    try:
        link = Link(port)
        assert link.request(HELLO, 1).status == 0
        link.send(make_frame(RUN, 2))
        assert proc.wait(timeout=20) == 64 + 3  # HardFault
        link.close()
        assert b"mlc: fault exception 0x00000003 pc 0x" in proc.stderr.read()
    finally:
        stop_qemu(proc)
