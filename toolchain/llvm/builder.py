"""Helpers shared by the per-kernel IR generators: constant-bound loops, float loads and stores, the
fused activation, window segments. Every index is known at code-generation time except loop counters,
so loops have constant trip counts that LLVM can unroll and vectorise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from llvmlite import ir

I8 = ir.IntType(8)
I32 = ir.IntType(32)
F32 = ir.FloatType()
PTR = ir.PointerType()
ACT_TYPE = ir.LiteralStructType([I32, F32, F32])  # mlc_act_t
LANES = 4  # outputs computed together by the blocked loops (one MVE/NEON/SSE register of floats)
VEC = ir.VectorType(F32, LANES)

Index = int | ir.Value  # a Python int folds; an ir.Value is computed at run time

# mlc_unary_op_t values the generators evaluate inline; the others call mlc_unary_eval_f32.
UNARY_IDENTITY, UNARY_RELU, UNARY_CLIP, UNARY_LEAKY_RELU = 0, 1, 2, 3


def f32_const(x: float) -> ir.Constant:
    return ir.Constant(F32, float(x))


class KernelBuilder:
    """One IR function under construction: allocas go to the entry block, code to the blocks after it."""

    def __init__(self, module: ir.Module, fn: ir.Function, cconv: str):
        self.module, self.fn, self.cconv = module, fn, cconv
        self.entry = fn.append_basic_block("entry")
        start = fn.append_basic_block("start")
        self.b = ir.IRBuilder(start)
        self._start = start
        self._ids = 0
        self.arrays: dict[str, np.ndarray] = {}  # constant global name -> its data (for repacking)

    def finish(self) -> None:
        with self.b.goto_block(self.entry):
            self.b.branch(self._start)

    def uid(self, stem: str) -> str:
        self._ids += 1
        return f"{stem}{self._ids}"

    def alloca(self, ty: ir.Type, name: str = "") -> ir.Value:
        with self.b.goto_block(self.entry):
            return self.b.alloca(ty, name=name)

    # ---- integers that fold when known ---------------------------------------------------------
    def add(self, a: Index, b: Index) -> Index:
        if isinstance(a, int) and isinstance(b, int):
            return a + b
        if isinstance(b, int) and b == 0:
            return a
        if isinstance(a, int) and a == 0:
            return b
        return self.b.add(self.val(a), self.val(b), flags=["nsw"])

    def mul(self, a: Index, c: int) -> Index:
        if isinstance(a, int):
            return a * c
        if c == 1:
            return a
        if c == 0:
            return 0
        return self.b.mul(a, I32(c), flags=["nsw"])

    def lin(self, const: int, *terms: tuple[Index, int]) -> Index:
        """const + sum(value * coeff)."""
        acc: Index = const
        for v, c in terms:
            acc = self.add(acc, self.mul(v, c))
        return acc

    @staticmethod
    def val(v: Index) -> ir.Value:
        return I32(v) if isinstance(v, int) else v

    # ---- loops ---------------------------------------------------------------------------------
    @contextmanager
    def loop(self, start: int, stop: int, name: str = "i") -> Iterator[Index]:
        """for (i = start; i < stop; ++i) with constant bounds; the body is the with-block (emitted once,
        also for an empty range: callers skip empty ranges). A single trip yields the Python int."""
        if stop - start == 1:
            yield start
            return
        b = self.b
        var = self.alloca(I32, name=self.uid(name + ".v"))
        b.store(I32(start), var)
        head = b.append_basic_block(self.uid(name + ".head"))
        body = b.append_basic_block(self.uid(name + ".body"))
        done = b.append_basic_block(self.uid(name + ".done"))
        b.branch(head)
        b.position_at_end(head)
        i = b.load(var, name=name)
        b.cbranch(b.icmp_signed("<", i, I32(stop)), body, done)
        b.position_at_end(body)
        yield i
        b.store(b.add(i, I32(1), flags=["nsw"]), var)
        b.branch(head)
        b.position_at_end(done)

    # ---- memory --------------------------------------------------------------------------------
    def ptr(self, base: ir.Value, idx: Index) -> ir.Value:
        if isinstance(idx, int) and idx == 0:
            return base
        return self.b.gep(base, [self.val(idx)], inbounds=True, source_etype=F32)

    def load(self, base: ir.Value, idx: Index) -> ir.Value:
        return self.b.load(self.ptr(base, idx), typ=F32, align=4)

    def store(self, v: ir.Value, base: ir.Value, idx: Index) -> None:
        self.b.store(v, self.ptr(base, idx), align=4)

    def var(self, init: ir.Value, name: str = "acc") -> ir.Value:
        """A float scalar variable (promoted to a register by the optimiser)."""
        slot = self.alloca(F32, name=self.uid(name))
        self.b.store(init, slot)
        return slot

    def get(self, slot: ir.Value) -> ir.Value:
        return self.b.load(slot, typ=F32)

    def set(self, slot: ir.Value, v: ir.Value) -> None:
        self.b.store(v, slot)

    # ---- vectors of LANES independent outputs (each lane keeps the scalar accumulation order) --------
    def splat(self, x: ir.Value) -> ir.Value:
        v = self.b.insert_element(ir.Constant(VEC, None), x, I32(0))
        return self.b.shuffle_vector(v, ir.Constant(VEC, None), ir.Constant(ir.VectorType(I32, LANES), [0] * LANES))

    def vload(self, base: ir.Value, idx: Index, stride: int) -> ir.Value:
        """x[idx + j * stride] for the LANES lanes j: one vector load when contiguous."""
        if stride == 1:
            return self.b.load(self.ptr(base, idx), typ=VEC, align=4)
        v = ir.Constant(VEC, None)
        for j in range(LANES):
            v = self.b.insert_element(v, self.load(base, self.add(idx, j * stride)), I32(j))
        return v

    def vvar(self, init: ir.Value, name: str = "vacc") -> ir.Value:
        slot = self.alloca(VEC, name=self.uid(name))
        self.b.store(init, slot)
        return slot

    def vget(self, slot: ir.Value) -> ir.Value:
        return self.b.load(slot, typ=VEC)

    def lane(self, v: ir.Value, j: int) -> ir.Value:
        return self.b.extract_element(v, I32(j))

    # ---- calls ---------------------------------------------------------------------------------
    def declare(self, name: str, ret: ir.Type, args: list[ir.Type]) -> ir.Function:
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, args), name=name)
            if self.cconv:
                fn.calling_convention = self.cconv
        return fn

    def call(self, fn: ir.Function, args: list[ir.Value]) -> ir.Value:
        return self.b.call(fn, args, cconv=self.cconv or None)

    def libm(self, name: str, *args: ir.Value) -> ir.Value:
        return self.call(self.declare(name, F32, [F32] * len(args)), list(args))

    def const_global(self, stem: str, value: ir.Constant) -> ir.GlobalVariable:
        name = stem
        k = 1
        while name in self.module.globals:
            name, k = f"{stem}.{k}", k + 1
        g = ir.GlobalVariable(self.module, value.type, name=name)
        g.linkage = "private"
        g.global_constant = True
        g.unnamed_addr = True
        g.initializer = value
        return g

    def array_of(self, v: ir.Value | None) -> np.ndarray | None:
        """The data of a constant argument (a weight), None for an arena tensor or NULL."""
        if isinstance(v, ir.GlobalVariable) and v.name in self.arrays:
            return self.arrays[v.name]
        return None

    def packed(self, stem: str, data: np.ndarray) -> ir.GlobalVariable:
        """A float32 constant global holding `data` (a generator's own layout of a weight), 16-aligned."""
        flat = np.ascontiguousarray(data, dtype=np.float32).reshape(-1)
        ty = ir.ArrayType(I8, max(flat.nbytes, 4))
        g = self.const_global(stem, ir.Constant(ty, bytearray(flat.tobytes()) or bytearray(4)))
        g.align = 16
        return g

    # ---- floats --------------------------------------------------------------------------------
    def fadd(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fadd(a, b)

    def fmul(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fmul(a, b)

    def select_cmp(self, op: str, a: ir.Value, b: ir.Value, yes: ir.Value, no: ir.Value) -> ir.Value:
        return self.b.select(self.b.fcmp_ordered(op, a, b), yes, no)

    def act(self, act: dict[str, Any], x: ir.Value) -> ir.Value:
        """mlc_unary_eval_f32(act, x): the common activations inline, the rest through the C function."""
        op, alpha, beta = int(act["op"]), float(act["alpha"]), float(act["beta"])
        zero = f32_const(0.0)
        if op == UNARY_IDENTITY:
            return x
        if op == UNARY_RELU:
            return self.select_cmp(">", x, zero, x, zero)
        if op == UNARY_CLIP:
            x = self.select_cmp("<", x, f32_const(alpha), f32_const(alpha), x)
            return self.select_cmp(">", x, f32_const(beta), f32_const(beta), x)
        if op == UNARY_LEAKY_RELU:
            return self.select_cmp(">=", x, zero, x, self.fmul(f32_const(alpha), x))
        g = self.const_global("act", ir.Constant(ACT_TYPE, [I32(op), f32_const(alpha), f32_const(beta)]))
        return self.call(self.declare("mlc_unary_eval_f32", F32, [PTR, F32]), [g, x])


def window_range(start: int, step: int, k_n: int, limit: int) -> tuple[int, int]:
    """Python twin of mlc_window_range (index_util.h): taps k in [lo, hi) with 0 <= start + k*step < limit."""
    a, b = 0, k_n
    if step == 1:
        if start < 0:
            a = -start
        if limit - start < b:
            b = limit - start
    else:
        if start < 0:
            a = (-start + step - 1) // step
        if limit - start <= 0:
            b = 0
        else:
            b = min(b, (limit - 1 - start) // step + 1)
    b = max(b, 0)
    a = min(a, b)
    return a, b


def segments(n_out: int, key) -> list[tuple[int, int, Any]]:
    """Split [0, n_out) into runs of consecutive outputs with the same key(o): (start, stop, key)."""
    runs: list[tuple[int, int, Any]] = []
    for o in range(n_out):
        k = key(o)
        if runs and runs[-1][2] == k and runs[-1][1] == o:
            runs[-1] = (runs[-1][0], o + 1, k)
        else:
            runs.append((o, o + 1, k))
    return runs
