"""Deterministic mutants of seed models: `mutant(seeds, seed, index)` always gives the same bytes.

Byte-level: flips, truncation, insertion/deletion of byte runs. Protobuf-level: wrong dims, missing
initializers, cycles, dangling inputs, huge/zero/negative shapes, negative or out-of-range axes, wrong
attribute types and values, duplicated output names, unknown or wrong operators, nodes out of order,
wrong element types, initializer data that does not match its dims, opsets out of range.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import onnx
from onnx import AttributeProto, TensorProto, helper

Seeds = dict[str, bytes]

HUGE = (2**31, 2**31 - 1, 10**9, 2**40, 65536)
ODD = (0, -1, -3, 1, 2, 3, 7, 100, 2**31, -(2**31), 2**62)


def _tensor_value_infos(g: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    return [vi for vi in list(g.input) + list(g.output) + list(g.value_info) if vi.type.HasField("tensor_type")]


def _names(g: onnx.GraphProto) -> list[str]:
    names = [i.name for i in g.input] + [i.name for i in g.initializer]
    for n in g.node:
        names += [o for o in n.output if o]
    return names


# ---- protobuf-level mutations: each edits `m` in place and returns a short description --------


def wrong_dims(m: onnx.ModelProto, r: random.Random) -> str:
    vis = _tensor_value_infos(m.graph)
    if not vis:
        return "wrong_dims: none"
    vi = r.choice(vis)
    dims = vi.type.tensor_type.shape.dim
    what = r.choice(["value", "add", "drop", "symbolic"])
    if what == "add" or not dims:
        dims.add().dim_value = r.choice((1, 2, 3))
    elif what == "drop":
        del dims[r.randrange(len(dims))]
    elif what == "symbolic":
        d = dims[r.randrange(len(dims))]
        d.dim_param = r.choice(("N", "batch", ""))
    else:
        dims[r.randrange(len(dims))].dim_value = r.choice((1, 2, 3, 5, 17))
    return f"wrong_dims {vi.name} {what}"


def huge_or_zero_shape(m: onnx.ModelProto, r: random.Random) -> str:
    vis = [vi for vi in _tensor_value_infos(m.graph) if vi.type.tensor_type.shape.dim]
    if not vis:
        return "huge_shape: none"
    vi = r.choice(vis)
    d = vi.type.tensor_type.shape.dim[r.randrange(len(vi.type.tensor_type.shape.dim))]
    d.dim_value = r.choice(HUGE + (0, -1, -7))
    return f"huge_or_zero_shape {vi.name}={d.dim_value}"


def shape_constant(m: onnx.ModelProto, r: random.Random) -> str:
    """An int64 initializer (shapes, axes, pads, indices) gets odd values: huge, zero, negative."""
    ints = [i for i in m.graph.initializer if i.data_type == TensorProto.INT64]
    if not ints:
        return "shape_constant: none"
    init = r.choice(ints)
    arr = onnx.numpy_helper.to_array(init).copy()
    if arr.size:
        flat = arr.reshape(-1)
        flat[r.randrange(flat.size)] = r.choice(HUGE + ODD)
    init.CopyFrom(onnx.numpy_helper.from_array(arr, init.name))
    return f"shape_constant {init.name}={arr.tolist()}"


def missing_initializer(m: onnx.ModelProto, r: random.Random) -> str:
    g = m.graph
    if not g.initializer:
        return "missing_initializer: none"
    k = r.randrange(len(g.initializer))
    name = g.initializer[k].name
    del g.initializer[k]
    return f"missing_initializer {name}"


def initializer_mismatch(m: onnx.ModelProto, r: random.Random) -> str:
    g = m.graph
    if not g.initializer:
        return "initializer_mismatch: none"
    init = g.initializer[r.randrange(len(g.initializer))]
    what = r.choice(["dims", "dtype", "raw", "empty_dims"])
    if what == "dims" and init.dims:
        init.dims[r.randrange(len(init.dims))] = r.choice((0, 1, 2, 1000, 2**31))
    elif what == "dtype":
        init.data_type = r.choice((TensorProto.DOUBLE, TensorProto.INT8, TensorProto.STRING, TensorProto.BOOL,
                                   TensorProto.FLOAT16, TensorProto.UNDEFINED, 999))
    elif what == "raw" and init.raw_data:
        init.raw_data = init.raw_data[: r.randrange(len(init.raw_data))]
    else:
        del init.dims[:]
    return f"initializer_mismatch {init.name} {what}"


def cycle(m: onnx.ModelProto, r: random.Random) -> str:
    nodes = m.graph.node
    if len(nodes) < 2:
        return "cycle: none"
    i = r.randrange(len(nodes) - 1)
    j = r.randrange(i + 1, len(nodes))
    if not nodes[i].input or not nodes[j].output:
        return "cycle: none"
    nodes[i].input[r.randrange(len(nodes[i].input))] = nodes[j].output[0]
    return f"cycle {nodes[i].name} <- {nodes[j].name}"


def self_loop(m: onnx.ModelProto, r: random.Random) -> str:
    n = r.choice(list(m.graph.node)) if m.graph.node else None
    if n is None or not n.input or not n.output:
        return "self_loop: none"
    n.input[0] = n.output[0]
    return f"self_loop {n.name}"


def dangling_input(m: onnx.ModelProto, r: random.Random) -> str:
    nodes = [n for n in m.graph.node if n.input]
    if not nodes:
        return "dangling: none"
    n = r.choice(nodes)
    n.input[r.randrange(len(n.input))] = r.choice(("nowhere", "", "x ", "ghost_tensor"))
    return f"dangling {n.name}"


def dangling_graph_output(m: onnx.ModelProto, r: random.Random) -> str:
    if not m.graph.output:
        return "dangling_output: none"
    m.graph.output[r.randrange(len(m.graph.output))].name = r.choice(("nowhere", "", "x"))
    return "dangling_output"


def duplicate_output(m: onnx.ModelProto, r: random.Random) -> str:
    g = m.graph
    what = r.choice(["node", "graph", "input"])
    if what == "node" and len(g.node) >= 2:
        a, b = r.sample(range(len(g.node)), 2)
        g.node[b].output[0] = g.node[a].output[0]
    elif what == "graph" and g.output:
        g.output.add().CopyFrom(g.output[r.randrange(len(g.output))])
    elif g.node and g.input:
        g.node[r.randrange(len(g.node))].output[0] = g.input[0].name
    return f"duplicate_output {what}"


def _attrs(m: onnx.ModelProto) -> list[tuple[onnx.NodeProto, AttributeProto]]:
    return [(n, a) for n in m.graph.node for a in n.attribute]


def attribute_type(m: onnx.ModelProto, r: random.Random) -> str:
    pairs = _attrs(m)
    if not pairs:
        return "attribute_type: none"
    n, a = r.choice(pairs)
    new = r.choice([
        helper.make_attribute(a.name, 1.5), helper.make_attribute(a.name, 3),
        helper.make_attribute(a.name, "same"), helper.make_attribute(a.name, [1.0, 2.0]),
        helper.make_attribute(a.name, ["a", "b"]), helper.make_attribute(a.name, [], attr_type=AttributeProto.INTS),
        helper.make_attribute(a.name, [0, 0, 0, 0, 0, 0, 0, 0]),
        helper.make_attribute(a.name, helper.make_tensor("t", TensorProto.FLOAT, [2], [1.0, 2.0])),
    ])
    a.CopyFrom(new)
    return f"attribute_type {n.name}.{a.name} -> {AttributeProto.AttributeType.Name(a.type)}"


def attribute_value(m: onnx.ModelProto, r: random.Random) -> str:
    """Negative / out-of-range axes, zero strides, huge pads, odd groups ..."""
    pairs = [(n, a) for n, a in _attrs(m) if a.type in (AttributeProto.INT, AttributeProto.INTS)]
    if not pairs:
        n = r.choice(list(m.graph.node)) if m.graph.node else None
        if n is None:
            return "attribute_value: none"
        name = r.choice(("axis", "axes", "perm", "group", "kernel_shape", "strides", "pads", "keepdims"))
        n.attribute.add().CopyFrom(helper.make_attribute(name, r.choice(ODD) if name in ("axis", "group", "keepdims")
                                                         else [r.choice(ODD)]))
        return f"attribute_value new {n.name}.{name}"
    n, a = r.choice(pairs)
    if a.type == AttributeProto.INT:
        a.i = r.choice(ODD + (-2, -5))
    elif a.ints:
        a.ints[r.randrange(len(a.ints))] = r.choice(ODD + (-2, -5))
    else:
        a.ints.append(r.choice(ODD))
    return f"attribute_value {n.name}.{a.name}"


def drop_attribute(m: onnx.ModelProto, r: random.Random) -> str:
    nodes = [n for n in m.graph.node if n.attribute]
    if not nodes:
        return "drop_attribute: none"
    n = r.choice(nodes)
    k = r.randrange(len(n.attribute))
    name = n.attribute[k].name
    del n.attribute[k]
    return f"drop_attribute {n.name}.{name}"


def wrong_op(m: onnx.ModelProto, r: random.Random) -> str:
    if not m.graph.node:
        return "wrong_op: none"
    n = r.choice(list(m.graph.node))
    old = n.op_type
    n.op_type = r.choice(("Conv", "Gemm", "Relu", "Add", "Reshape", "Concat", "Softmax", "MaxPool", "Transpose",
                          "NoSuchOp", "", "If", "Loop", "Split", "Slice", "Gather", "Det"))
    if r.random() < 0.15:
        n.domain = r.choice(("com.example", "ai.onnx.ml", "com.microsoft"))
    return f"wrong_op {n.name} {old}->{n.op_type}"


def arity(m: onnx.ModelProto, r: random.Random) -> str:
    if not m.graph.node:
        return "arity: none"
    n = r.choice(list(m.graph.node))
    if n.input and r.random() < 0.5:
        del n.input[r.randrange(len(n.input))]
        return f"arity drop input {n.name}"
    names = _names(m.graph)
    n.input.append(r.choice(names) if names and r.random() < 0.7 else "")
    if r.random() < 0.3:
        n.output.append(f"{n.name}_extra")
    return f"arity add {n.name}"


def reorder(m: onnx.ModelProto, r: random.Random) -> str:
    nodes = list(m.graph.node)
    if len(nodes) < 2:
        return "reorder: none"
    r.shuffle(nodes)
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    return "reorder"


def drop_node(m: onnx.ModelProto, r: random.Random) -> str:
    if not m.graph.node:
        return "drop_node: none"
    k = r.randrange(len(m.graph.node))
    name = m.graph.node[k].name
    del m.graph.node[k]
    return f"drop_node {name}"


def duplicate_node(m: onnx.ModelProto, r: random.Random) -> str:
    if not m.graph.node:
        return "duplicate_node: none"
    n = m.graph.node[r.randrange(len(m.graph.node))]
    m.graph.node.add().CopyFrom(n)
    return f"duplicate_node {n.name}"


def elem_type(m: onnx.ModelProto, r: random.Random) -> str:
    vis = _tensor_value_infos(m.graph)
    if not vis:
        return "elem_type: none"
    vi = r.choice(vis)
    vi.type.tensor_type.elem_type = r.choice((TensorProto.INT64, TensorProto.DOUBLE, TensorProto.STRING,
                                              TensorProto.BOOL, TensorProto.FLOAT16, TensorProto.UINT8,
                                              TensorProto.UNDEFINED, 77))
    return f"elem_type {vi.name}"


def no_shape(m: onnx.ModelProto, r: random.Random) -> str:
    vis = _tensor_value_infos(m.graph)
    if not vis:
        return "no_shape: none"
    vi = r.choice(vis)
    vi.type.tensor_type.ClearField("shape")
    return f"no_shape {vi.name}"


def non_tensor_input(m: onnx.ModelProto, r: random.Random) -> str:
    if not m.graph.input:
        return "non_tensor: none"
    vi = m.graph.input[0]
    vi.type.CopyFrom(helper.make_sequence_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, [1])))
    return "non_tensor_input"


def opset(m: onnx.ModelProto, r: random.Random) -> str:
    what = r.choice(["version", "drop", "domain", "ir"])
    if what == "version" and m.opset_import:
        m.opset_import[0].version = r.choice((1, 5, 6, 7, 9, 11, 13, 99, 0, -1))
    elif what == "drop":
        del m.opset_import[:]
    elif what == "domain":
        m.opset_import.add().CopyFrom(helper.make_opsetid(r.choice(("", "ai.onnx", "x.y")), r.choice((1, 17))))
    else:
        m.ir_version = r.choice((0, 1, 3, 99))
    return f"opset {what}"


def empty_graph(m: onnx.ModelProto, r: random.Random) -> str:
    g = m.graph
    what = r.choice(["nodes", "inputs", "outputs", "passthrough"])
    if what == "nodes":
        del g.node[:]
    elif what == "inputs":
        del g.input[:]
    elif what == "outputs":
        del g.output[:]
    elif g.input and g.output:
        del g.node[:]
        g.output[0].CopyFrom(g.input[0])
    return f"empty_graph {what}"


def rename_tensor(m: onnx.ModelProto, r: random.Random) -> str:
    """A tensor gets a name that is not a C identifier or collides with another."""
    names = _names(m.graph)
    if not names:
        return "rename: none"
    old = r.choice(names)
    new = r.choice(("1x", "a-b", "mlc_model", "arena", "__x", "x" * 300, "é", "int", names[0]))
    for n in m.graph.node:
        n.input[:] = [new if i == old else i for i in n.input]
        n.output[:] = [new if o == old else o for o in n.output]
    for coll in (m.graph.input, m.graph.output, m.graph.value_info, m.graph.initializer):
        for item in coll:
            if item.name == old:
                item.name = new
    return f"rename {old}->{new[:20]}"


# ---- mutations that keep the model valid ONNX more often, so they reach mlc's own passes -------


def resize_input(m: onnx.ModelProto, r: random.Random) -> str:
    """A graph input gets another size (huge, zero, odd); downstream shapes are left to inference."""
    inits = {i.name for i in m.graph.initializer}
    inputs = [i for i in m.graph.input if i.name not in inits and i.type.tensor_type.shape.dim]
    if not inputs:
        return "resize_input: none"
    vi = r.choice(inputs)
    dims = vi.type.tensor_type.shape.dim
    d = dims[r.randrange(len(dims))]
    d.dim_value = r.choice((0, 1, 2, 3, 7, 64, 4096, 2**20, 2**31, 2**40))
    del m.graph.value_info[:]
    for out in m.graph.output:
        for k, od in enumerate(out.type.tensor_type.shape.dim):
            od.dim_param = f"d{k}"
    return f"resize_input {vi.name}={d.dim_value}"


UNARY = ("Relu", "Sigmoid", "Tanh", "Softmax", "Identity", "Flatten", "HardSwish", "LeakyRelu", "Abs", "Exp")
BINARY = ("Add", "Sub", "Mul", "Div", "MatMul", "Pow", "Max", "Min")


def swap_op(m: onnx.ModelProto, r: random.Random) -> str:
    nodes = [n for n in m.graph.node if n.op_type in UNARY + BINARY]
    if not nodes:
        return "swap_op: none"
    n = r.choice(nodes)
    old = n.op_type
    n.op_type = r.choice(UNARY if old in UNARY else BINARY)
    del n.attribute[:]
    return f"swap_op {n.name} {old}->{n.op_type}"


def opset_valid(m: onnx.ModelProto, r: random.Random) -> str:
    if not m.opset_import:
        return "opset_valid: none"
    m.opset_import[0].version = r.randint(7, onnx.defs.onnx_opset_version())
    return f"opset_valid {m.opset_import[0].version}"


def float_attribute(m: onnx.ModelProto, r: random.Random) -> str:
    pairs = [(n, a) for n, a in _attrs(m) if a.type == AttributeProto.FLOAT]
    if not pairs:
        n = r.choice(list(m.graph.node)) if m.graph.node else None
        if n is None:
            return "float_attribute: none"
        name = r.choice(("alpha", "beta", "epsilon", "min", "max", "momentum"))
        n.attribute.add().CopyFrom(helper.make_attribute(name, r.choice((0.0, -1.0, 1e30))))
        return f"float_attribute new {n.name}.{name}"
    n, a = r.choice(pairs)
    a.f = r.choice((float("nan"), float("inf"), float("-inf"), 0.0, -1.0, 1e30, 1e-30))
    return f"float_attribute {n.name}.{a.name}={a.f}"


def perm_or_axes(m: onnx.ModelProto, r: random.Random) -> str:
    pairs = [(n, a) for n, a in _attrs(m) if a.type == AttributeProto.INTS and a.ints]
    if not pairs:
        return "perm_or_axes: none"
    n, a = r.choice(pairs)
    values = list(a.ints)
    what = r.choice(["shuffle", "duplicate", "negate", "extend"])
    if what == "shuffle":
        r.shuffle(values)
    elif what == "duplicate":
        values[r.randrange(len(values))] = values[0]
    elif what == "negate":
        k = r.randrange(len(values))
        values[k] = -values[k] - 1
    else:
        values.append(r.choice(values))
    del a.ints[:]
    a.ints.extend(values)
    return f"perm_or_axes {n.name}.{a.name} {what}"


PROTO_MUTATIONS: list[Callable[[onnx.ModelProto, random.Random], str]] = [
    wrong_dims, huge_or_zero_shape, shape_constant, missing_initializer, initializer_mismatch, cycle, self_loop,
    dangling_input, dangling_graph_output, duplicate_output, attribute_type, attribute_value, drop_attribute,
    wrong_op, arity, reorder, drop_node, duplicate_node, elem_type, no_shape, non_tensor_input, opset,
    empty_graph, rename_tensor,
    # the semantic ones twice: they get further into mlc
    resize_input, swap_op, opset_valid, float_attribute, perm_or_axes,
    resize_input, swap_op, opset_valid, float_attribute, perm_or_axes,
]


# ---- byte-level mutations ------------------------------------------------------------------------


def _weight_ranges(data: bytes) -> list[tuple[int, int]]:
    """Byte ranges of initializer payloads (flips there only change weights)."""
    m = onnx.load_model_from_string(data)
    ranges = []
    for init in m.graph.initializer:
        if len(init.raw_data) >= 16:
            at = data.find(init.raw_data)
            if at >= 0:
                ranges.append((at, at + len(init.raw_data)))
    return ranges


def _structural_position(data: bytes, ranges: list[tuple[int, int]], r: random.Random) -> int:
    for _ in range(20):
        pos = r.randrange(len(data))
        if not any(lo <= pos < hi for lo, hi in ranges):
            return pos
    return r.randrange(len(data))


def byte_mutation(data: bytes, r: random.Random, ranges: list[tuple[int, int]]) -> tuple[bytes, str]:
    buf = bytearray(data)
    what = r.choice(["flip", "flip", "flip", "truncate", "insert", "delete", "set"])
    if what == "truncate":
        cut = r.randrange(len(buf))
        return bytes(buf[:cut]), f"truncate {cut}/{len(buf)}"
    if what == "insert":
        pos = _structural_position(data, ranges, r)
        return bytes(buf[:pos] + bytes(r.randrange(256) for _ in range(r.randint(1, 8))) + buf[pos:]), f"insert {pos}"
    if what == "delete":
        pos = _structural_position(data, ranges, r)
        return bytes(buf[:pos] + buf[pos + r.randint(1, 8):]), f"delete {pos}"
    k = r.randint(1, 6)
    for _ in range(k):
        pos = _structural_position(data, ranges, r)
        buf[pos] = (buf[pos] ^ (1 << r.randrange(8))) if what == "flip" else r.choice((0, 0xFF, 0x7F, 0x80, 0x01))
    return bytes(buf), f"{what} x{k}"


class Mutator:
    def __init__(self, seeds: Seeds, seed: int) -> None:
        self.seeds = seeds
        self.names = sorted(seeds)
        self.seed = seed
        self.ranges = {n: _weight_ranges(d) for n, d in seeds.items()}
        self.parsed = {n: onnx.load_model_from_string(d) for n, d in seeds.items()}

    def mutant(self, index: int) -> tuple[bytes, str]:
        r = random.Random(self.seed * 1_000_003 + index)
        name = r.choice(self.names)
        steps = [name]
        if r.random() < 0.3:  # byte level
            data, what = byte_mutation(self.seeds[name], r, self.ranges[name])
            steps.append(what)
            if r.random() < 0.2:
                data, what = byte_mutation(data, r, [])
                steps.append(what)
            return data, " | ".join(steps)
        m = onnx.ModelProto()
        m.CopyFrom(self.parsed[name])
        for _ in range(r.choice((1, 1, 1, 2, 2, 3))):
            mutation = r.choice(PROTO_MUTATIONS)
            try:
                steps.append(mutation(m, r))
            except Exception as exc:  # an earlier step broke what this one reads (e.g. an initializer)
                steps.append(f"{mutation.__name__}: skipped ({type(exc).__name__})")
        try:
            data = m.SerializeToString()
        except Exception as exc:  # e.g. a value protobuf cannot encode: that mutant is a byte mutant instead
            steps.append(f"unserialisable ({type(exc).__name__})")
            data, what = byte_mutation(self.seeds[name], r, self.ranges[name])
            steps.append(what)
        if r.random() < 0.05:
            data, what = byte_mutation(data, r, [])
            steps.append(what)
        return data, " | ".join(steps)
