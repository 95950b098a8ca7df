"""The intermediate representation: tensors, nodes, graph.

A Graph is what the importer produces and every pass takes and returns. Shapes are static
(the importer refuses anything else), dtypes are numpy dtype names, constants carry their data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Run-time tensors of these types live in the arena as float32 values: integers and booleans are exact
# there for magnitudes below 2**24. Graph inputs and outputs are converted at the model boundary. int8 is
# not among them: an int8 run-time tensor is a quantized one, one byte in the arena.
SMALL_INTS = ("uint8", "int16", "uint16")  # exact, but arithmetic on them would have to wrap (ops/base.ORDERED)
RUNTIME_DTYPES = ("float32", "int64", "int32", "bool", *SMALL_INTS)
ARENA_ITEMSIZE = 4


@dataclass(frozen=True)
class QParams:
    """Linear quantization real = scale * (q - zero_point): per tensor (axis None, scalar arrays) or per
    slice along `axis` (weights). `q` keeps the exact integers of a constant that arrived quantized
    (a DequantizeLinear of an initializer), so integer kernels use them instead of re-rounding."""

    scale: np.ndarray  # float32
    zero_point: np.ndarray  # int32 values, in the range of the integer type (int8 after import)
    axis: int | None = None
    q: np.ndarray | None = None

    @staticmethod
    def of(scale: float, zero_point: int) -> QParams:
        return QParams(np.asarray(scale, np.float32), np.asarray(zero_point, np.int32))

    @property
    def per_tensor(self) -> bool:
        return self.axis is None or self.scale.size == 1

    @property
    def s(self) -> float:
        """The scale of a per-tensor quantization."""
        return float(self.scale.reshape(-1)[0])

    @property
    def zp(self) -> int:
        """The zero point of a per-tensor quantization."""
        return int(self.zero_point.reshape(-1)[0])

    def same(self, other: QParams | None) -> bool:
        return (other is not None and self.scale.shape == other.scale.shape
                and np.array_equal(self.scale, other.scale) and np.array_equal(self.zero_point, other.zero_point))


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name: "float32", "int64", "int8", ...
    data: np.ndarray | None = None  # set for constants (weights, folded values)
    # Quantization: on a float tensor, the int8 form it takes in an integer program; on an int8 run-time
    # tensor, what its values mean. None: not quantized.
    quant: QParams | None = None

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
    input: str = ""  # the tensor between the producer and the activation before fusion


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
    # what the compilation approximated where the model says otherwise, one line each (key: what it is about)
    notes: dict[str, str] = field(default_factory=dict)

    def const(self, name: str) -> np.ndarray | None:
        t = self.tensors.get(name) if name else None
        return None if t is None else t.data

    def add_const(self, hint: str, data: np.ndarray) -> str:
        """A new constant tensor holding `data`, named `hint` (with a suffix when taken); its name."""
        name, k = hint, 1
        while name in self.tensors:
            name, k = f"{hint}_{k}", k + 1
        self.tensors[name] = Tensor(name, tuple(data.shape), data.dtype.name, data)
        return name

    def consumers(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.inputs]

    def producer(self, name: str) -> Node | None:
        for n in self.nodes:
            if name in n.outputs:
                return n
        return None
