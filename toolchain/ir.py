"""The intermediate representation: tensors, nodes, graph.

A Graph is what the importer produces and every pass takes and returns. Shapes are static
(the importer refuses anything else), dtypes are numpy dtype names, constants carry their data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Run-time tensors of these types live in the arena as float32 values: integers and booleans are exact
# there for magnitudes below 2**24. Graph inputs and outputs are converted at the model boundary.
RUNTIME_DTYPES = ("float32", "int64", "int32", "bool")
ARENA_ITEMSIZE = 4


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name: "float32", "int64", "int8", ...
    data: np.ndarray | None = None  # set for constants (weights, folded values)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize

    @property
    def arena_nbytes(self) -> int:
        """Bytes the tensor takes in the arena (run-time tensors of RUNTIME_DTYPES are float32 there)."""
        return self.size * ARENA_ITEMSIZE if self.dtype in RUNTIME_DTYPES else self.nbytes


@dataclass
class Activation:
    """An activation fused into the node that produces its input (see passes.fuse_activations)."""

    op: str
    attrs: dict[str, Any]
    name: str


@dataclass
class Node:
    op: str
    name: str
    inputs: list[str]  # "" marks an omitted optional input
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    domain: str = ""
    fused: list[Activation] = field(default_factory=list)

    def input(self, i: int) -> str:
        """Name of input i, or "" when it is absent."""
        return self.inputs[i] if i < len(self.inputs) else ""


@dataclass
class Graph:
    name: str
    tensors: dict[str, Tensor]
    nodes: list[Node]
    inputs: list[str]
    outputs: list[str]
    opset: int
    source_sha256: str = ""

    def const(self, name: str) -> np.ndarray | None:
        t = self.tensors.get(name) if name else None
        return None if t is None else t.data

    def consumers(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.inputs]

    def producer(self, name: str) -> Node | None:
        for n in self.nodes:
            if name in n.outputs:
                return n
        return None
