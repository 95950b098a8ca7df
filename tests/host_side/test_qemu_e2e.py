"""The host client against the real device firmware in QEMU, through the faulty relay.

Uses the port tests' fake-model firmware (tests/port), so both sides of protocol v1 are held together.
"""

from __future__ import annotations

import shutil
import struct
import sys
import time
from pathlib import Path

import pytest

from toolchain.boards import load_board
from toolchain.device import DeviceClient, infer
from toolchain.flash import LinkSettings, QemuRunner, QemuSession, _reap, open_session
from toolchain.testing.relay import Faults, FaultyRelay

PORT_TESTS = Path(__file__).resolve().parents[1] / "port"
pytestmark = pytest.mark.skipif(
    not (
        shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc") and (PORT_TESTS / "port_fw.py").is_file()
    ),
    reason="needs qemu-system-arm, arm-none-eabi-gcc and tests/port",
)


@pytest.fixture(scope="module")
def fake_fw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(PORT_TESTS))
    try:
        from port_fw import build_firmware, load_boards
    finally:
        sys.path.remove(str(PORT_TESTS))
    board = next(b for b in load_boards("qemu") if b["name"] == "cortex-m4")
    return build_firmware(board, tmp_path_factory.mktemp("fw"))


def _x(k: int) -> bytes:
    return struct.pack("<8f", *[k + i * 0.5 for i in range(8)])


def _y(k: int) -> tuple[float, ...]:
    return tuple(2 * (k + i * 0.5) + 1 for i in range(8))  # the fake model: y = 2x + 1


def test_session_runs_profiles_and_exits(fake_fw: Path) -> None:
    session = open_session(load_board("cortex-m4"), fake_fw, link=LinkSettings(timeout=1.0, run_timeout=5.0))
    assert isinstance(session, QemuSession)
    with session as client:
        hello = client.hello()
        assert hello.proto_version == 1 and hello.info.name == "fake"
        outputs, ticks = infer(client, [_x(3)])
        assert struct.unpack("<8f", outputs[0]) == _y(3) and ticks > 0
        assert len(client.profile()) == 3
        client.exit()
        assert session.wait_exit(5.0) == 0


def test_first_hello_is_prompt(fake_fw: Path) -> None:
    board = load_board("cortex-m4")
    for _ in range(5):
        with open_session(board, fake_fw, link=LinkSettings(timeout=2.0)) as client:
            start = time.monotonic()
            client.hello()
            assert time.monotonic() - start < 0.2


def test_faulty_link_to_qemu_gives_exact_outputs(fake_fw: Path) -> None:
    proc, log, port = QemuRunner(load_board("cortex-m4")).start(fake_fw)
    try:
        faults = Faults(drop=0.002, flip=0.002)
        with (
            FaultyRelay(("127.0.0.1", port), seed=3, to_device=faults, to_host=faults) as relay,
            DeviceClient(relay.url, timeout=0.5, run_timeout=2.0, tries=8) as client,
        ):
            for k in range(15):
                outputs, _ = infer(client, [_x(k)])
                assert struct.unpack("<8f", outputs[0]) == _y(k)
        assert client.stats.retries > 0 and client.stats.bad_frames + client.stats.naks > 0
    finally:
        _reap(proc)
        log.close()


def test_dead_link_to_qemu_ends_in_a_clear_error_within_the_bound(fake_fw: Path) -> None:
    from toolchain.errors import BoardError

    proc, log, port = QemuRunner(load_board("cortex-m4")).start(fake_fw)
    try:
        with (
            FaultyRelay(("127.0.0.1", port), seed=5) as relay,
            DeviceClient(relay.url, timeout=0.5, run_timeout=1.0, tries=4) as client,
        ):
            outputs, _ = infer(client, [_x(1)])
            assert struct.unpack("<8f", outputs[0]) == _y(1)
            relay.to_device = Faults(swallow=True)  # the link dies: nothing reaches the board any more
            start = time.monotonic()
            with pytest.raises(BoardError, match="failed after 4 tries"):
                infer(client, [_x(2)])
            elapsed = time.monotonic() - start
        assert elapsed < 4 * 0.5 + 1.5  # tries x per-try timeout, plus slack for a loaded machine
    finally:
        _reap(proc)
        log.close()
