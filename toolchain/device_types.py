"""Result of running a batch of inferences on a target (host runner or board)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class DeviceRun:
    outputs: list[np.ndarray]  # per model output, shape (K, *shape)
    counts: list[int] = field(default_factory=list)  # per inference: instructions (emulator), cycles or ticks
    unit: str = "ticks"  # "instructions", "cycles", "ticks" or "none"
    profile: list[int] = field(default_factory=list)
