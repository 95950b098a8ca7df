"""Graph + Plan -> Program: the ordered kernel calls with constant parameters, the constants,
and every tensor's arena offset. Every decision is made here or before; emitters only render."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from toolchain.ir import Graph
from toolchain.ops import opdef
from toolchain.ops.base import Constant, KernelCall, LowerCtx, runs_s8
from toolchain.plan import Plan

C_TYPES = {"float32": "float", "int8": "int8_t", "uint8": "uint8_t", "int32": "int32_t", "int16": "int16_t",
           "uint16": "uint16_t", "int64": "int64_t", "bool": "uint8_t"}
# mlc_dtype_t (runtime_c/include/mlc/types.h) and the device protocol's dtype codes
DTYPE_CODES = {"float32": 0, "int8": 1, "uint8": 2, "int32": 3, "int64": 4, "bool": 5, "int16": 6, "uint16": 7}
# Run-time graph inputs/outputs that are not float32 are converted at the model boundary, because the
# arena holds every run-time tensor as float32: dtype -> suffix of the in_/out_ helpers model.c.j2 renders.
INT_CONVERSIONS = {"int64": "s64", "int32": "s32", "int16": "s16", "uint16": "u16", "uint8": "u8"}
BOUNDARY_CONVERSIONS = {**INT_CONVERSIONS, "bool": "bool"}


@dataclass
class Layer:
    name: str
    op: str
    fused: list[str]
    calls: list[KernelCall]
    macs: int
    # A QuantizeLinear of a graph input or DequantizeLinear of a graph output: the float wrapper of the
    # int8 API, skipped by the raw int8 entry point.
    boundary: bool = False


@dataclass
class IOTensor:
    name: str  # ONNX name
    c_name: str  # C identifier
    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    offset: int  # arena offset (-1 for a constant output)
    const: str = ""  # constant array name for a constant output
    # "" copies bytes (float32, or a constant output); a BOUNDARY_CONVERSIONS suffix converts between the
    # external type and the float32 the arena holds.
    convert: str = ""
    # Int8 side of a quantized program's input or output (the raw API): the int8 tensor's arena offset,
    # scale and zero point; -1 when the tensor has no such int8 twin.
    q_offset: int = -1
    scale: float = 0.0
    zero_point: int = 0
    external: bool = False  # read / written by the kernels in the caller's buffer (not copied to the arena)

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
    def quantized(self) -> bool:
        return any(fn.endswith("_s8") or "_s8_" in fn for fn in self.kernels)

    @property
    def raw_api(self) -> bool:
        """Every input and output has an int8 twin: the model gets an int8 entry point too."""
        return self.quantized and all(t.q_offset >= 0 for t in self.inputs + self.outputs)

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
    arena inputs outputs rc cb ctx run_layers run_body raw input_info output_info layer_names
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
        external = name in plan.external
        io = IOTensor(name, c_name, t.shape, t.dtype, t.nbytes, -1 if t.is_const or external else plan.offset_of(name),
                      const, convert, external=external)
        if t.dtype in ("int8", "uint8") and t.quant is not None and t.quant.per_tensor:
            io.scale, io.zero_point = t.quant.s, t.quant.zp  # an integer input/output of a quantized model
        result.append(io)
    return result


def _int8_boundaries(g: Graph, plan: Plan, inputs: list[IOTensor], outputs: list[IOTensor]) -> set[str]:
    """Fill the int8 side of inputs read only by one QuantizeLinear and outputs written by a
    DequantizeLinear; returns the names of those boundary nodes."""
    from toolchain.ops.quantize import boundary_params

    boundary: set[str] = set()
    for t in inputs:
        users = g.consumers(t.name)
        if t.dtype == "float32" and len(users) == 1 and users[0].op == "QuantizeLinear" and t.name not in g.outputs:
            q = users[0]
            t.scale, t.zero_point = boundary_params(q, g)
            t.q_offset = plan.offset_of(q.outputs[0])
            boundary.add(q.name)
    for t in outputs:
        d = g.producer(t.name)
        if t.dtype == "float32" and d is not None and d.op == "DequantizeLinear" and t.name not in g.inputs:
            t.scale, t.zero_point = boundary_params(d, g)
            t.q_offset = plan.offset_of(d.inputs[0])
            boundary.add(d.name)
    return boundary


def lower(g: Graph, plan: Plan, name: str, kernels: tuple[str, ...] = ("ref",)) -> Program:
    """The kernel calls of every node; `kernels`: the board's kernel directories (weight layouts)."""
    ctx = LowerCtx(g, external=plan.external, kernels=kernels,
                   scratch_buffers=frozenset(b for b in plan.buffers if b.endswith("#scratch")),
                   scratch_sizes={b: buf.size for b, buf in plan.buffers.items() if b.endswith("#scratch")})
    used: set[str] = set()
    inputs = _io(g, plan, g.inputs, ctx, used)
    outputs = _io(g, plan, g.outputs, ctx, used)
    boundary = _int8_boundaries(g, plan, inputs, outputs)
    layers = []
    for n in g.nodes:
        d = opdef(n)
        assert d is not None
        if d.alias:
            continue
        calls = d.lower_s8(n, ctx) if runs_s8(n, g) else d.lower(n, ctx)
        layers.append(Layer(n.name, n.op, [a.op for a in n.fused], calls, d.macs(n, g), n.name in boundary))
    offsets = {t: plan.offsets[r] for t, r in plan.root.items() if r in plan.offsets}
    kernels = sorted({c.fn for layer in layers for c in layer.calls})
    scratch = {b: off for b, off in plan.offsets.items() if b.endswith("#scratch")}
    return Program(c_ident(name), g.source_sha256, plan.arena_size, plan.lower_bound, plan.linear_size, layers,
                   list(ctx.constants.values()), inputs, outputs, offsets, kernels, scratch)
