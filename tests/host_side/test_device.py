"""DeviceClient against the Python fake device: normal flow, chunking, retries, errors, time bounds."""

from __future__ import annotations

import socket
import time

import pytest

from toolchain import device as d
from toolchain import protocol as p
from toolchain.device import DeviceClient, infer
from toolchain.errors import BoardError, UsageError
from toolchain.testing.fake_device import FakeDevice, FakeModel, default_model

FAST = {"timeout": 0.25, "run_timeout": 0.5, "tries": 3}
# Bound checks allow one 50 ms read poll per try plus scheduling delay on a busy CI machine.
SLACK = 1.0


def _data(n: int, seed: int = 1) -> bytes:
    return bytes((i * 131 + seed * 17) & 0xFF for i in range(n))  # zeros included


def test_normal_flow() -> None:
    with FakeDevice() as dev, DeviceClient(dev.url, **FAST) as client:
        hello = client.hello()
        assert (hello.proto_version, hello.max_data, hello.counter_kind) == (1, 512, p.COUNTER_ICOUNT_TICKS)
        assert client.info() == hello.info == dev.model.info
        data = _data(1000)
        outputs, ticks = infer(client, [data])
        assert outputs == [data[::-1]] and ticks == 1600
        assert client.profile() == [100, 200, 300]
        client.exit()
        assert dev.exited.is_set()
        assert client.stats.retries == 0 and client.stats.bad_frames == 0


def test_first_request_is_hello() -> None:
    with FakeDevice() as dev, DeviceClient(dev.url, **FAST) as client:
        client.run()
        assert list(dev.stats.executed) == [p.CMD_HELLO, p.CMD_RUN]


@pytest.mark.parametrize("max_data", [16, 64, 512])
def test_chunking_follows_max_data(max_data: int) -> None:
    model = default_model(1000, 1000)
    model.layer_ticks = tuple(range(1, 41))
    with FakeDevice(model, max_data=max_data) as dev, DeviceClient(dev.url, **FAST) as client:
        data = _data(1000, seed=max_data)
        outputs, _ = infer(client, [data])
        assert outputs[0] == data[::-1]
        assert dev.stats.executed[p.CMD_WRITE_INPUT] == -(-1000 // (max_data - 5))
        assert dev.stats.executed[p.CMD_READ_OUTPUT] == -(-1000 // (max_data - 1))
        assert client.profile() == list(range(1, 41))
        assert dev.stats.executed[p.CMD_PROFILE] == -(-40 // ((max_data - 3) // 4))


def test_retry_after_silence_uses_same_seq() -> None:
    with FakeDevice(mute_first=2) as dev, DeviceClient(dev.url, timeout=0.1, tries=3) as client:
        client.hello()
        assert client.stats.retries == 2 and client.stats.timeouts == 2
        assert dev.stats.executed[p.CMD_HELLO] == 1


def test_lost_answer_is_resent_not_reexecuted() -> None:
    runs = []

    def count(inputs: list[bytes]) -> list[bytes]:
        runs.append(1)
        return [inputs[0][::-1]]

    model = default_model()
    model = FakeModel(model.info, compute=count)
    with FakeDevice(model) as dev, DeviceClient(dev.url, timeout=0.1, run_timeout=0.1, tries=3) as client:
        client.hello()
        dev.lose_answers = 1
        client.run()
        assert len(runs) == 1 and dev.stats.cached == 1 and client.stats.retries == 1


def test_seq_wraps_around() -> None:
    with FakeDevice() as dev, DeviceClient(dev.url, first_seq=250, **FAST) as client:
        for _ in range(12):
            client.info()
        assert client.stats.retries == 0 and dev.stats.executed[p.CMD_INFO] == 12


def test_status_errors_are_board_errors() -> None:
    with FakeDevice() as dev, DeviceClient(dev.url, **FAST) as client:
        with pytest.raises(BoardError, match="rejected the arguments of WRITE_INPUT"):
            client.write_input(3, b"x")
        with pytest.raises(BoardError, match="rejected the arguments of READ_OUTPUT"):
            client.read_output(0, 2000)
        with pytest.raises(BoardError, match="does not know 0x42"):
            client.request(0x42)


def test_infer_checks_input_sizes() -> None:
    with FakeDevice() as dev, DeviceClient(dev.url, **FAST) as client:
        with pytest.raises(UsageError, match="needs 1000 bytes"):
            infer(client, [b"short"])
        with pytest.raises(UsageError, match="takes 1 inputs"):
            infer(client, [])


def test_silent_device_fails_within_bound() -> None:
    with FakeDevice(silent=True) as dev, DeviceClient(dev.url, timeout=0.2, tries=3) as client:
        start = time.monotonic()
        with pytest.raises(BoardError) as err:
            client.hello()
        elapsed = time.monotonic() - start
    assert 0.6 <= elapsed < 0.6 + SLACK
    msg = str(err.value)
    assert "HELLO" in msg and dev.url in msg and "3 tries" in msg and "\n" not in msg


def test_documented_default_bounds() -> None:
    # The module docstring promises 5 x 2 s for short commands and 5 x 60 s for RUN/PROFILE.
    assert d.DEFAULT_TRIES * d.DEFAULT_TIMEOUT == 10
    assert d.DEFAULT_TRIES * d.DEFAULT_RUN_TIMEOUT == 300


def test_unopenable_port_is_board_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connection refused
        with pytest.raises(BoardError, match="cannot open serial port"):
            DeviceClient(f"socket://127.0.0.1:{port}")


def test_closed_link_is_board_error() -> None:
    with FakeDevice() as dev, DeviceClient(dev.url, **FAST) as client:
        client.hello()
        dev.close()
        with pytest.raises(BoardError, match="lost the connection"):
            for _ in range(3):  # the close may need one request to be noticed
                client.info()


def test_exit_accepts_a_closing_link() -> None:
    with FakeDevice() as dev, DeviceClient(dev.url, **FAST) as client:
        client.hello()
        dev.lose_answers = 1  # the device exits without its answer reaching us
        client.exit()
        assert dev.exited.is_set()


def test_garbage_before_answers_is_survived() -> None:
    with FakeDevice() as dev:
        # A stray boot banner and a half frame in the stream: the device NAKs, the client retries.
        raw = socket.create_connection(dev.address)
        raw.close()
        with DeviceClient(dev.url, **FAST) as client:
            client._port.write(b"boot banner\r\n")
            assert client.hello().info.name == "fake"


def test_hello_is_resent_quickly_while_the_board_boots() -> None:
    # A booting board misses the first HELLOs; resending every 0.25 s finds it long before 2 s per try.
    with FakeDevice(mute_first=3) as dev, DeviceClient(dev.url, timeout=2.0, tries=5) as client:
        start = time.monotonic()
        client.hello()
        assert time.monotonic() - start < 1.0 + SLACK
        assert dev.stats.executed[p.CMD_HELLO] == 1 and client.stats.retries == 3


def test_hello_keeps_the_documented_budget() -> None:
    with FakeDevice(silent=True) as dev, DeviceClient(dev.url, timeout=0.5, tries=2) as client:
        start = time.monotonic()
        with pytest.raises(BoardError, match="after 4 tries"):
            client.hello()  # 2 x 0.5 s budget spent as 4 tries of 0.25 s
        assert 1.0 <= time.monotonic() - start < 1.0 + SLACK
