"""Graph + Plan -> Program: the ordered kernel calls with constant parameters, the constants,
and every tensor's arena offset. Every decision is made here or before; emitters only render."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from toolchain.ir import Graph
from toolchain.ops import opdef
from toolchain.ops.base import Constant, KernelCall, LowerCtx
from toolchain.plan import Plan

C_TYPES = {"float32": "float", "int8": "int8_t", "uint8": "uint8_t", "int32": "int32_t", "int16": "int16_t",
           "int64": "int64_t", "bool": "uint8_t"}
DTYPE_CODES = {"float32": 0, "int8": 1, "uint8": 2, "int32": 3, "int64": 4, "bool": 5}
# Run-time graph inputs/outputs that are not float32 are converted at the model boundary, because the
# arena holds every run-time tensor as float32: dtype -> conversion rendered by model.c.j2.
BOUNDARY_CONVERSIONS = {"int64": "s64", "int32": "s32", "bool": "bool"}


@dataclass
class Layer:
    name: str
    op: str
    fused: list[str]
    calls: list[KernelCall]
    macs: int


@dataclass
class IOTensor:
    name: str  # ONNX name
    c_name: str  # C identifier
    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    offset: int  # arena offset (-1 for a constant output)
    const: str = ""  # constant array name for a constant output
    # "" copies bytes (float32, or a constant output); "s64" / "s32" / "bool" convert between the
    # external type and the float32 the arena holds.
    convert: str = ""

    @property
    def dims6(self) -> list[int]:
        return (list(self.shape) + [0] * 6)[:6]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass
class Program:
    name: str  # C identifier prefix: mlc_<name>_...
    sha256: str
    arena_size: int
    lower_bound: int
    linear_size: int
    layers: list[Layer]
    constants: list[Constant]
    inputs: list[IOTensor]
    outputs: list[IOTensor]
    offsets: dict[str, int]  # run-time tensor -> arena offset
    kernels: list[str] = field(default_factory=list)  # C functions used, sorted
    scratch: dict[str, int] = field(default_factory=dict)  # "<node>#scratch" -> arena offset

    @property
    def conversions(self) -> list[str]:
        """The boundary conversion helpers the model uses ("in_s64", "out_bool", ...), sorted."""
        return sorted({f"in_{t.convert}" for t in self.inputs if t.convert and t.nbytes}
                      | {f"out_{t.convert}" for t in self.outputs if t.convert and t.nbytes})

    @property
    def const_bytes(self) -> int:
        return sum(c.data.nbytes for c in self.constants)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)


# Identifiers a tensor name must not become in generated C: C99 keywords, names the generated run
# functions use, and types and macros of the headers model.c includes.
C_RESERVED = frozenset("""
    auto break case char const continue default do double else enum extern float for goto if inline int long
    register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
    _Bool _Complex _Imaginary
    arena inputs outputs rc cb ctx run_layers input_info output_info layer_names
    NULL NAN INFINITY HUGE_VAL HUGE_VALF HUGE_VALL size_t ptrdiff_t wchar_t offsetof memcpy memset
    int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t intptr_t uintptr_t intmax_t uintmax_t
""".split())


def c_ident(name: str) -> str:
    """A valid, non-reserved C identifier for a tensor or model name."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    reserved = s in C_RESERVED or s.startswith("_") or "__" in s or re.fullmatch(r"U?INT\d+_(MIN|MAX|C)|MLC_\w*", s)
    return s if s and not s[0].isdigit() and not reserved else f"t_{s}"


def _io(g: Graph, plan: Plan, names: list[str], ctx: LowerCtx, used: set[str]) -> list[IOTensor]:
    """Inputs and outputs share `used`: they become parameters of one C function."""
    result = []
    for name in names:
        t = g.tensors[name]
        c_name = c_ident(name)
        while c_name in used:
            c_name += "_"
        used.add(c_name)
        const = ""
        if t.is_const:
            const = ctx.const(name, np.asarray(t.data)).name
        convert = "" if t.is_const else BOUNDARY_CONVERSIONS.get(t.dtype, "")
        result.append(IOTensor(name, c_name, t.shape, t.dtype, t.nbytes,
                               -1 if t.is_const else plan.offset_of(name), const, convert))
    return result


def lower(g: Graph, plan: Plan, name: str) -> Program:
    ctx = LowerCtx(g)
    layers = []
    for n in g.nodes:
        d = opdef(n)
        assert d is not None
        if d.alias:
            continue
        layers.append(Layer(n.name, n.op, [a.op for a in n.fused], d.lower(n, ctx), d.macs(n, g)))
    used: set[str] = set()
    inputs = _io(g, plan, g.inputs, ctx, used)
    outputs = _io(g, plan, g.outputs, ctx, used)
    offsets = {t: plan.offsets[r] for t, r in plan.root.items()}
    kernels = sorted({c.fn for layer in layers for c in layer.calls})
    scratch = {b: off for b, off in plan.offsets.items() if b.endswith("#scratch")}
    return Program(c_ident(name), g.source_sha256, plan.arena_size, plan.lower_bound, plan.linear_size, layers,
                   list(ctx.constants.values()), inputs, outputs, offsets, kernels, scratch)
