"""A faulty TCP relay for tests: sits between DeviceClient and a device (fake or QEMU) and damages bytes.

    with FaultyRelay(("127.0.0.1", qemu_port), seed=1, to_device=Faults(drop=0.001),
                     to_host=Faults(flip=0.001)) as relay:
        client = DeviceClient(relay.url)

Every fault is decided per byte from a random.Random seeded by (seed, direction), so a given byte stream
is damaged identically on every run whatever the TCP chunking. Faults may be changed while running
(`relay.to_host = Faults(swallow=True)` makes a dead link). Only one client connection is served.
"""

from __future__ import annotations

import random
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self


@dataclass(frozen=True)
class Faults:
    drop: float = 0.0  # probability that a byte is lost
    flip: float = 0.0  # probability that a byte gets one random bit inverted
    delay: float = 0.0  # seconds each chunk is held before forwarding
    swallow: bool = False  # forward nothing at all (dead link)


@dataclass
class DirectionStats:
    forwarded: int = 0
    dropped: int = 0
    flipped: int = 0
    swallowed: int = 0


@dataclass
class RelayStats:
    to_device: DirectionStats = field(default_factory=DirectionStats)
    to_host: DirectionStats = field(default_factory=DirectionStats)


class FaultyRelay:
    """Listens on 127.0.0.1 (free port); on the first connection dials `upstream` and pumps both ways."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        seed: int = 0,
        to_device: Faults | None = None,
        to_host: Faults | None = None,
    ) -> None:
        self.upstream = upstream
        self.to_device = to_device or Faults()
        self.to_host = to_host or Faults()
        self.stats = RelayStats()
        self._rng = {"to_device": random.Random(f"{seed}/to_device"), "to_host": random.Random(f"{seed}/to_host")}
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="faulty-relay", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

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

    def damage(self, data: bytes, direction: str) -> bytes:
        """Apply the current faults of `direction` ("to_device" or "to_host") to one chunk."""
        faults: Faults = getattr(self, direction)
        stats: DirectionStats = getattr(self.stats, direction)
        if faults.swallow:
            stats.swallowed += len(data)
            return b""
        rng = self._rng[direction]
        out = bytearray()
        for byte in data:
            # Draw the same number of values per byte whatever the rates, so streams stay comparable.
            r_drop, r_flip, bit = rng.random(), rng.random(), rng.randrange(8)
            if r_drop < faults.drop:
                stats.dropped += 1
                continue
            if r_flip < faults.flip:
                byte ^= 1 << bit
                stats.flipped += 1
            out.append(byte)
        stats.forwarded += len(out)
        return bytes(out)

    def _serve(self) -> None:
        self._listener.settimeout(0.05)
        client: socket.socket | None = None
        while not self._stop.is_set() and client is None:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
        if client is None:
            return
        try:
            device = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        for s in (client, device):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peers = {client: (device, "to_device"), device: (client, "to_host")}
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select(list(peers), [], [], 0.05)
                for src in ready:
                    dst, direction = peers[src]
                    chunk = src.recv(4096)
                    if not chunk:
                        return  # one side closed: close both so the other side sees EOF
                    delay = getattr(self, direction).delay
                    if delay:
                        time.sleep(delay)
                    out = self.damage(chunk, direction)
                    if out:
                        dst.sendall(out)
        except OSError:
            return
        finally:
            client.close()
            device.close()
