"""What every operator definition provides, and the registry the pipeline stages ask.

An operator is defined once, in its ops/ module, by a subclass of OpDef registered under its ONNX
op type(s). The importer's passes ask it whether it can absorb an activation, the planner asks for
aliasing and scratch bytes, lowering asks for kernel calls, reports ask for MACs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from toolchain.ir import RUNTIME_DTYPES, SMALL_INTS, Graph, Node, QParams


class Unsupported(Exception):
    """Raised by OpDef.check with the reason a node cannot be compiled."""


@dataclass(frozen=True)
class Arg:
    """A kernel argument: an activation in the arena, a constant array, or NULL."""

    # "tensor" | "const" | "null" | "scratch" (the node's scratch buffer, name "<node>#scratch") |
    # "input" / "output": a graph input or output read or written in the caller's buffer (plan.external)
    kind: str
    name: str = ""
    ctype: str = "float"  # element type of an arena pointer ("tensor", "scratch")


NULL = Arg("null")


@dataclass
class KernelCall:
    fn: str  # C function, e.g. "mlc_conv2d_f32"
    params_type: str  # C struct type of its parameter block
    params: dict[str, Any]  # field -> int | float | list | nested dict
    args: list[Arg]


@dataclass
class Constant:
    name: str
    data: np.ndarray


@dataclass
class LowerCtx:
    """Collects the constants a lowering creates (re-laid-out weights, folded scales)."""

    graph: Graph
    constants: dict[str, Constant] = field(default_factory=dict)
    external: frozenset[str] = frozenset()
    # the board's kernel directories in search order: lowerings store weights in the layout they read best
    kernels: tuple[str, ...] = ("ref",)
    # the "<node>#scratch" buffers the planner reserved (OpDef.scratch_bytes was not 0), and their bytes
    # (up to OpDef.scratch_bytes_max where the arena's peak left room)
    scratch_buffers: frozenset[str] = frozenset()
    scratch_sizes: dict[str, int] = field(default_factory=dict)

    def const(self, hint: str, data: np.ndarray) -> Arg:
        """Register a constant array; identical contents are stored once."""
        data = np.ascontiguousarray(data)
        for c in self.constants.values():
            if c.data.dtype == data.dtype and c.data.shape == data.shape and np.array_equal(c.data, data):
                return Arg("const", c.name)
        base = "c_" + "".join(ch if ch.isalnum() else "_" for ch in hint)[:48]
        name, k = base, 1
        while name in self.constants:
            name, k = f"{base}_{k}", k + 1
        self.constants[name] = Constant(name, data)
        return Arg("const", name)

    def scratch_size(self, node: Node) -> int:
        """Bytes of the scratch buffer the planner reserved for `node` (0: none)."""
        return self.scratch_sizes.get(f"{node.name}#scratch", 0)

    def scratch(self, node: Node, ctype: str = "float") -> Arg:
        """The scratch buffer the planner reserved for `node` (OpDef.scratch_bytes), or NULL when the
        board's kernel needs none."""
        name = f"{node.name}#scratch"
        return Arg("scratch", name, ctype) if name in self.scratch_buffers else Arg("null")

    def tensor(self, name: str) -> Arg:
        """An input or output tensor of a node: run-time tensors live in the arena; constants in flash."""
        data = self.graph.const(name)
        if data is not None:
            return self.const(name, data.astype(np.float32) if data.dtype != np.float32 else data)
        ctype = "int8_t" if self.graph.tensors[name].dtype == "int8" else "float"
        if name in self.external:
            return Arg("input" if name in self.graph.inputs else "output", name, ctype)
        return Arg("tensor", name, ctype)


class OpDef:
    """Base operator definition. Subclasses override what applies to them."""

    op_types: ClassVar[tuple[str, ...]] = ()
    # Run-time data types the operator accepts (what `mlc ops` lists).
    dtypes: ClassVar[tuple[str, ...]] = ("float32",)
    # Short texts of the attributes or cases `check` rejects (what `mlc ops` lists).
    rejects: ClassVar[tuple[str, ...]] = ()
    # Output is a view of input 0 with another shape (no kernel, no copy).
    alias: ClassVar[bool] = False
    # Can absorb an activation applied to its (single) output.
    fuses_activation: ClassVar[bool] = False

    def dtypes_for(self, op: str) -> tuple[str, ...]:
        """The run-time data types of one of `op_types` (definitions covering several ops may differ)."""
        return self.dtypes

    def rejects_for(self, op: str) -> tuple[str, ...]:
        """The rejected cases of one of `op_types`."""
        return self.rejects

    def check(self, node: Node, g: Graph) -> None:
        """Raise Unsupported naming the attribute or case this definition lacks."""

    def activation(self, node: Node, g: Graph) -> dict[str, Any] | None:
        """For activation functions: the fused form {op, alpha, beta}, or None if it cannot be fused."""
        return None

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        raise NotImplementedError

    def scratch_bytes(self, node: Node, g: Graph, kernels: tuple[str, ...] = ("ref",)) -> int:
        """Arena bytes the kernel of `node` needs besides its tensors, for the board's kernel directories
        `kernels` (search order, as LowerCtx.kernels)."""
        return 0

    def scratch_bytes_max(self, node: Node, g: Graph, kernels: tuple[str, ...] = ("ref",)) -> int:
        """The most scratch bytes the kernel of `node` can use to run faster (at least scratch_bytes): the
        planner grants them where the arena's peak leaves room, and the lowering reads what it got
        (LowerCtx.scratch_size)."""
        return self.scratch_bytes(node, g, kernels)

    def in_place_inputs(self, node: Node, g: Graph) -> tuple[int, ...]:
        """Inputs whose buffer output 0 may overwrite (the kernel reads element i before writing element i
        and reads nothing else there); the planner uses one when that input is dead after this node."""
        return ()

    def macs(self, node: Node, g: Graph) -> int:
        return 0

    # ---- int8 (see toolchain.quant.integerize). Before integerization the run-time tensors are float32
    # carrying `quant`; check_s8 decides from those whether the node can run on int8 data, lower_s8 then
    # sees int8 tensors with the same `quant`.

    # Of op_types, those with an int8 kernel (None: all of them, when check_s8 is defined).
    s8_op_types: ClassVar[tuple[str, ...] | None] = None

    def has_s8(self, op: str) -> bool:
        """`op` can run on int8 data (what `mlc ops` lists)."""
        defined = type(self).check_s8 is not OpDef.check_s8
        return defined and (self.s8_op_types is None or op in self.s8_op_types)

    def check_s8(self, node: Node, g: Graph) -> None:
        """Raise Unsupported unless the node can run integer-only with its tensors' quantization."""
        raise Unsupported(f"{node.op} has no int8 kernel")

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        raise NotImplementedError

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        """The output quantization the int8 kernel implies (calibration decides when None)."""
        return None


REGISTRY: dict[str, OpDef] = {}


def register(cls: type[OpDef]) -> type[OpDef]:
    inst = cls()
    for op in cls.op_types:
        REGISTRY[op] = inst
    return cls


def opdef(node: Node) -> OpDef | None:
    if node.domain not in ("", "ai.onnx"):
        return None
    return REGISTRY.get(node.op)


BOUNDARY_OPS = ("QuantizeLinear", "DequantizeLinear")


def runs_s8(node: Node, g: Graph) -> bool:
    """The node is an int8 kernel: an int8 run-time input or output (QuantizeLinear / DequantizeLinear are
    the float boundary and lower themselves)."""
    if node.op in BOUNDARY_OPS:
        return False
    names = [i for i in node.inputs if i] + [o for o in node.outputs if o]
    return any((t := g.tensors.get(n)) is not None and not t.is_const and t.dtype == "int8" for n in names)


# ---- helpers shared by operator definitions -------------------------------------------------


def shape(g: Graph, name: str) -> tuple[int, ...]:
    return g.tensors[name].shape


def norm_axis(axis: int, rank: int, node: Node) -> int:
    a = axis + rank if axis < 0 else axis
    if not 0 <= a < max(rank, 1):
        raise Unsupported(f"axis {axis} out of range for rank {rank}")
    return a


def require_const(g: Graph, node: Node, index: int, what: str) -> np.ndarray:
    data = g.const(node.input(index))
    if data is None:
        raise Unsupported(f"{what} (input {index}) must be a constant")
    return data


def optional_const(g: Graph, node: Node, index: int, what: str) -> np.ndarray | None:
    if not node.input(index):
        return None
    return require_const(g, node, index, what)


def attr_or_input(node: Node, g: Graph, attr: str, index: int, what: str) -> np.ndarray | None:
    """An argument that moved from attribute to input across opsets (axes, pads, min/max ...)."""
    if attr in node.attrs:
        return np.asarray(node.attrs[attr])
    return optional_const(g, node, index, what)


def param_arg(ctx: LowerCtx, node: Node, index: int, hint: str) -> Arg:
    """A weight-like input: a float32 constant in flash when constant (stored under `hint`), the arena
    tensor when it is computed or fed at run time, NULL when absent."""
    name = node.input(index)
    if not name:
        return NULL
    data = ctx.graph.const(name)
    if data is not None:
        return ctx.const(hint, np.asarray(data, np.float32))
    return Arg("tensor", name)


def axis_view(dims: tuple[int, ...] | list[int], axis: int) -> tuple[int, int, int]:
    """A tensor as [outer][dims[axis]][inner]: the view of kernels that work along one axis."""
    return int(np.prod(dims[:axis], dtype=np.int64)), dims[axis], int(np.prod(dims[axis + 1:], dtype=np.int64))


def dense_strides(dims: tuple[int, ...] | list[int]) -> list[int]:
    strides, acc = [], 1
    for d in reversed(dims):
        strides.append(acc)
        acc *= d
    return strides[::-1]


def broadcast_strides(in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> list[int]:
    """Element strides of a dense `in_shape` tensor read at every index of `out_shape` (numpy rules)."""
    pad = len(out_shape) - len(in_shape)
    padded = (1,) * pad + tuple(in_shape)
    dense = dense_strides(padded)
    return [0 if d == 1 and o != 1 else s for d, o, s in zip(padded, out_shape, dense)]


def fill(values: list[int], n: int = 6, value: int = 0) -> list[int]:
    """Pad a per-axis list to the MLC_MAX_DIMS slots of a C parameter struct."""
    if len(values) > n:
        raise Unsupported(f"rank {len(values)} exceeds the {n} dimensions the kernels support")
    return list(values) + [value] * (n - len(values))


IDENTITY_ACT: dict[str, Any] = {"op": 0, "alpha": 0.0, "beta": 0.0}


def same_shape_inputs(node: Node, g: Graph, indices: tuple[int, ...]) -> tuple[int, ...]:
    """Of `indices`, the inputs with exactly the output's shape and element size (elementwise in place)."""
    out = g.tensors[node.outputs[0]]
    return tuple(i for i in indices if node.input(i) and (t := g.tensors.get(node.input(i))) is not None
                 and not t.is_const and t.shape == out.shape and t.arena_nbytes == out.arena_nbytes)


def unary_forms(params: Any) -> Iterator[dict[str, Any]]:
    """Every mlc_act_t ({op, alpha, beta}, the shape of IDENTITY_ACT) inside a kernel call's parameters."""
    if isinstance(params, dict):
        if params.keys() == IDENTITY_ACT.keys():
            yield params
            return
        params = list(params.values())
    if isinstance(params, list):
        for item in params:
            yield from unary_forms(item)


def fused_act(node: Node, g: Graph) -> dict[str, Any]:
    """The activation fused into `node` (identity when none)."""
    if not node.fused:
        return dict(IDENTITY_ACT)
    act = node.fused[0]
    inner = Node(act.op, act.name, [node.outputs[0]], [node.outputs[0]], act.attrs)
    form = REGISTRY[act.op].activation(inner, g)
    assert form is not None
    return form


def check_float(node: Node, g: Graph, inputs: list[int] | None = None) -> None:
    """Run-time tensors must be float32 in this (float) path."""
    names = [node.input(i) for i in (inputs if inputs is not None else range(len(node.inputs)))]
    for name in names + [o for o in node.outputs if o]:
        if not name:
            continue
        t = g.tensors.get(name)
        if t is not None and not t.is_const and t.dtype != "float32":
            raise Unsupported(f"tensor {name!r} is {t.dtype} at run time; only float32 is supported")


NUMERIC = ("float32", "int64", "int32")  # run-time types arithmetic is exact on (below 2**24)
# ... and those whose comparisons, minimum and maximum are exact too; arithmetic on uint8/int16/uint16 is
# refused, since ONNX wraps it around at the type's width and the float arena would not.
ORDERED = (*NUMERIC, *SMALL_INTS)
ANY = RUNTIME_DTYPES  # every run-time type (data movement, selection, equality)


def runtime_dtype(g: Graph, name: str) -> str | None:
    """The ONNX dtype of a run-time tensor; None for an absent input or a constant."""
    t = g.tensors.get(name) if name else None
    return None if t is None or t.is_const else t.dtype


def check_dtypes(node: Node, g: Graph, names: list[str], allowed: tuple[str, ...]) -> None:
    """Run-time tensors among `names` must have one of the `allowed` types."""
    for name in names:
        dt = runtime_dtype(g, name)
        if dt is not None and dt not in allowed:
            raise Unsupported(f"tensor {name!r} is {dt} at run time; {node.op} supports {', '.join(allowed)}")


def dtype_of(g: Graph, name: str) -> str:
    t = g.tensors.get(name)
    return t.dtype if t is not None else ""


def check_unused_outputs(node: Node, g: Graph, first_optional: int, what: str) -> None:
    """Optional outputs we do not compute must not be consumed."""
    for out in node.outputs[first_optional:]:
        if out and (g.consumers(out) or out in g.outputs):
            raise Unsupported(f"output {what} is not supported")
