"""DeviceClient through the faulty relay: lossy links are survived, dead links fail in bounded time."""

from __future__ import annotations

import random
import time

import pytest

from toolchain.device import DeviceClient, infer
from toolchain.errors import BoardError
from toolchain.testing.fake_device import FakeDevice
from toolchain.testing.relay import Faults, FaultyRelay

SLACK = 1.0  # one 50 ms read poll per try plus scheduling delay on a busy machine


def test_relay_is_transparent_without_faults() -> None:
    with FakeDevice() as dev, FaultyRelay(dev.address) as relay, DeviceClient(relay.url, timeout=0.3) as client:
        data = bytes(range(256)) * 3 + bytes(232)
        assert infer(client, [data])[0] == [data[::-1]]
        assert client.stats.retries == 0
        assert relay.stats.to_device.forwarded > 1000 and relay.stats.to_host.forwarded > 1000


def test_relay_damage_is_deterministic() -> None:
    def damaged(seed: int) -> bytes:
        relay = FaultyRelay(("127.0.0.1", 9), seed=seed, to_host=Faults(drop=0.05, flip=0.05))
        try:
            return relay.damage(bytes(2000), "to_host")
        finally:
            relay.close()

    assert damaged(3) == damaged(3) != damaged(4)


@pytest.mark.parametrize("seed", [1, 2])
def test_drops_and_flips_are_survived_and_never_accepted(seed: int) -> None:
    faults = Faults(drop=0.0005, flip=0.0005)
    rng = random.Random(seed)
    with (
        FakeDevice(max_data=128) as dev,
        FaultyRelay(dev.address, seed=seed, to_device=faults, to_host=faults) as relay,
        # 8 tries instead of 5: ~26 % of tries hit a fault here; 0.26^8 keeps the run far from flaky.
        DeviceClient(relay.url, timeout=0.3, run_timeout=0.3, tries=8) as client,
    ):
        for _ in range(15):
            data = bytes(rng.randrange(256) for _ in range(1000))
            outputs, ticks = infer(client, [data])
            assert outputs == [data[::-1]] and ticks == 1600  # a corrupted byte would show here
        assert client.profile() == [100, 200, 300]
    faults_hit = relay.stats.to_device.dropped + relay.stats.to_device.flipped
    faults_hit += relay.stats.to_host.dropped + relay.stats.to_host.flipped
    assert faults_hit >= 5
    assert client.stats.retries >= 3
    assert client.stats.bad_frames + client.stats.naks >= 3


def test_flipped_answers_are_rejected() -> None:
    # Heavy corruption on the way back only: everything that gets through must still be exact.
    with (
        FakeDevice(max_data=64) as dev,
        FaultyRelay(dev.address, seed=5, to_host=Faults(flip=0.004)) as relay,
        DeviceClient(relay.url, timeout=0.3, run_timeout=0.3, tries=8) as client,
    ):
        data = bytes(range(256)) * 3 + bytes(232)
        for _ in range(5):
            assert infer(client, [data])[0] == [data[::-1]]
    assert relay.stats.to_host.flipped >= 10
    assert client.stats.bad_frames >= 5


def test_delay_is_tolerated() -> None:
    with (
        FakeDevice(max_data=128) as dev,
        FaultyRelay(dev.address, to_host=Faults(delay=0.005), to_device=Faults(delay=0.005)) as relay,
        DeviceClient(relay.url, timeout=0.5) as client,
    ):
        data = bytes(300) + bytes(range(256)) * 2 + bytes(188)
        assert infer(client, [data])[0] == [data[::-1]]


@pytest.mark.parametrize("direction", ["to_device", "to_host"])
def test_dead_link_fails_within_bound(direction: str) -> None:
    dead = {direction: Faults(swallow=True)}
    with (
        FakeDevice() as dev,
        FaultyRelay(dev.address, **dead) as relay,
        DeviceClient(relay.url, timeout=0.2, tries=4) as client,
    ):
        start = time.monotonic()
        with pytest.raises(BoardError, match=r"HELLO .* failed after 4 tries"):
            client.hello()
        elapsed = time.monotonic() - start
    assert 0.8 <= elapsed < 0.8 + SLACK  # tries x per-try timeout, plus poll granularity and load


def test_link_dying_during_run_fails_within_bound() -> None:
    with (
        FakeDevice() as dev,
        FaultyRelay(dev.address) as relay,
        DeviceClient(relay.url, timeout=0.2, run_timeout=0.3, tries=3) as client,
    ):
        client.hello()
        relay.to_host = Faults(swallow=True)
        start = time.monotonic()
        with pytest.raises(BoardError, match="RUN"):
            client.run()
        elapsed = time.monotonic() - start
    assert 0.9 <= elapsed < 0.9 + SLACK
    assert dev.stats.executed.get(4) == 1  # retries were answered from the cache, never re-run
