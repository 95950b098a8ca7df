"""Planner invariants (toolchain.plan), checked independently of the planner's own bookkeeping.

For every plan: buffers whose lifetimes overlap never overlap in the arena (checked pairwise from
lifetimes recomputed here, and by simulating the schedule byte by byte); offsets are 16-aligned;
lower_bound <= arena_size <= linear_size; views (Reshape, Flatten, ...) share their source's offset;
graph inputs survive until their last use and graph outputs until the end.
Graphs: seeded random ones built as toolchain.ir.Graph, seeded random ONNX models through
compile_model, every float model of the shared set, and hand-made cases.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.conftest import FLOAT_MODELS, MODELS, requires_shared
from toolchain.build import compile_model
from toolchain.ir import Graph, Node, Tensor
from toolchain.ops import REGISTRY, opdef
from toolchain.plan import ALIGN, Buffer, Plan, place, plan

# --------------------------------------------------------------------------------------------------
# The checker


def _aligned(n: int) -> int:
    return (max(n, 1) + ALIGN - 1) // ALIGN * ALIGN


def _runtime(g: Graph, name: str) -> bool:
    return bool(name) and g.const(name) is None


def _expected_roots(g: Graph, planned: dict[str, str] | None = None) -> dict[str, str]:
    """Run-time tensor -> the tensor that owns its storage, from the ops' alias flags; an in-place output
    the plan put into an input's buffer is accepted when that is legal: the op declares the input
    overwritable, nothing in that buffer is read later or is a graph input or output, sizes match."""
    root = {name: name for name in g.inputs}
    last = {}
    for i, n in enumerate(g.nodes):
        for t in n.inputs:
            last[t] = i
    for i, n in enumerate(g.nodes):
        d = opdef(n)
        for k, out in enumerate(n.outputs):
            if not out:
                continue
            src = n.inputs[0] if n.inputs else ""
            if d is not None and d.alias and k == 0 and _runtime(g, src):
                root[out] = root[src]
            elif planned is not None and planned.get(out, out) != out:
                r = planned[out]
                assert k == 0 and d is not None, f"{out}: only output 0 may be in place"
                assert any(root.get(n.inputs[j]) == r for j in d.in_place_inputs(n, g)), f"{out}: not overwritable"
                group = [t for t, rr in root.items() if rr == r]
                assert all(last.get(t, -1) <= i for t in group), f"{out}: overwrites {group} still read later"
                assert not set(group + [out]) & set(g.inputs + g.outputs), f"{out}: in place on a graph input/output"
                assert g.tensors[r].nbytes == g.tensors[out].nbytes
                root[out] = r
            else:
                root[out] = out
    return root


def _intervals(g: Graph, root: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Root -> (first step written, last step read); graph inputs from -1, outputs to len(nodes)."""
    span: dict[str, list[int]] = {}

    def touch(name: str, step: int) -> None:
        s = span.setdefault(root[name], [step, step])
        s[0], s[1] = min(s[0], step), max(s[1], step)

    for name in g.inputs:
        touch(name, -1)
    for i, n in enumerate(g.nodes):
        for name in n.inputs:
            if _runtime(g, name):
                touch(name, i)
        for name in n.outputs:
            if name:
                touch(name, i)
    for name in g.outputs:
        if _runtime(g, name):
            touch(name, len(g.nodes))
    return {r: (s[0], s[1]) for r, s in span.items()}


def _scratch(g: Graph) -> dict[str, tuple[int, int]]:
    """Scratch buffer name -> (step, bytes) for nodes that ask for scratch."""
    result = {}
    for i, n in enumerate(g.nodes):
        d = opdef(n)
        nbytes = d.scratch_bytes(n, g) if d is not None else 0
        if nbytes:
            result[f"{n.name}#scratch"] = (i, nbytes)
    return result


def check_plan(g: Graph, p: Plan) -> None:
    """Every planner invariant for plan `p` of graph `g` (assertions name the culprits)."""
    assert p.schedule == [n.name for n in g.nodes]
    root = _expected_roots(g, p.root)
    # Views share their source's storage; every run-time tensor has a buffer.
    for t, r in root.items():
        assert p.root[t] == r, f"{t}: planned in buffer {p.root[t]!r}, expected {r!r}"
        assert p.offset_of(t) == p.offsets[r]
    for n in g.nodes:
        d = opdef(n)
        if d is not None and d.alias and _runtime(g, n.input(0)):
            assert p.offset_of(n.outputs[0]) == p.offset_of(n.inputs[0]), f"view {n.name} moved its data"

    spans = _intervals(g, root)
    scratch = _scratch(g)
    # (name, first step, last step, offset, bytes) for every arena region, sized as the planner sized it.
    regions = []
    for r, (lo, hi) in spans.items():
        nbytes = g.tensors[r].nbytes
        buf = p.buffers[r]
        assert buf.size >= nbytes and buf.size % ALIGN == 0, f"{r}: buffer of {buf.size} bytes for {nbytes}"
        assert buf.start <= lo and buf.end >= hi, f"{r}: planned live {buf.start}..{buf.end}, used {lo}..{hi}"
        regions.append((r, lo, hi, p.offsets[r], buf.size))
    for name, (step, nbytes) in scratch.items():
        assert p.buffers[name].size >= nbytes, f"{name}: scratch too small"
        regions.append((name, step, step, p.offsets[name], p.buffers[name].size))
    assert set(p.buffers) == set(spans) | set(scratch), "the plan has buffers nobody uses, or misses some"

    for name, _, _, off, size in regions:
        assert off % ALIGN == 0, f"{name}: offset {off} is not {ALIGN}-aligned"
        assert 0 <= off and off + size <= p.arena_size, f"{name}: [{off}, {off + size}) outside the arena"
    for i, (a, a0, a1, aoff, asize) in enumerate(regions):
        for b, b0, b1, boff, bsize in regions[i + 1:]:
            if a0 <= b1 and b0 <= a1:
                assert aoff + asize <= boff or boff + bsize <= aoff, (
                    f"{a} (steps {a0}..{a1}, [{aoff}, {aoff + asize})) and {b} (steps {b0}..{b1}, "
                    f"[{boff}, {boff + bsize})) are live together and overlap in the arena")

    # Bounds, with the lower bound recomputed here.
    steps = range(-1, len(g.nodes) + 1)
    lb = max((sum(size for _, lo, hi, _, size in regions if lo <= s <= hi) for s in steps), default=0)
    assert p.lower_bound == lb
    assert p.lower_bound <= p.arena_size <= p.linear_size
    assert p.linear_size == sum(size for *_, size in regions)
    assert p.arena_size == max((off + size for *_, off, size in regions), default=0)

    simulate(g, p, root)


def simulate(g: Graph, p: Plan, root: dict[str, str]) -> None:
    """Run the schedule on an arena of owner tags: every read must find the bytes its producer wrote.

    Graph inputs are written before step 0 and must be intact at each of their reads; a node's inputs
    must still be intact after it wrote its outputs and scratch (a kernel reads while it writes);
    graph outputs must be intact at the end.
    """
    owner = np.full(max(p.arena_size, 1), -1, dtype=np.int64)
    ids = {r: k for k, r in enumerate(sorted(set(root.values())))}

    def span(t: str) -> slice:
        off = p.offsets[root[t]]
        return slice(off, off + g.tensors[root[t]].nbytes)

    def write(t: str) -> None:
        owner[span(t)] = ids[root[t]]

    def intact(t: str, when: str) -> None:
        got = owner[span(t)]
        bad = got[got != ids[root[t]]]
        if bad.size:
            culprit = next(r for r, k in ids.items() if k == bad[0]) if bad[0] >= 0 else "<nothing>"
            pytest.fail(f"{t} was overwritten by {culprit} {when}")

    for t in g.inputs:
        write(t)
    scratch_tag = len(ids)
    for i, n in enumerate(g.nodes):
        reads = [t for t in n.inputs if _runtime(g, t)]
        for t in reads:
            intact(t, f"before step {i} ({n.name}) reads it")
        d = opdef(n)
        if d is not None and d.alias:
            continue
        for t in n.outputs:
            if t:
                write(t)
        name = f"{n.name}#scratch"
        if name in p.buffers:
            off = p.offsets[name]
            owner[off:off + p.buffers[name].size] = scratch_tag
            scratch_tag += 1
        for t in reads:
            intact(t, f"while step {i} ({n.name}) reads it")
        for t in n.outputs:
            if t:
                intact(t, f"by another output or the scratch of step {i} ({n.name})")
    for t in g.outputs:
        if _runtime(g, t):
            intact(t, "before the end of the run")


# --------------------------------------------------------------------------------------------------
# Graphs built directly


class GraphMaker:
    """Builds float32 Graphs node by node; the planner needs names, sizes and op types only."""

    def __init__(self, inputs: dict[str, int]):
        self.tensors: dict[str, Tensor] = {}
        self.nodes: list[Node] = []
        self.inputs = list(inputs)
        for name, n in inputs.items():
            self.tensors[name] = Tensor(name, (1, n), "float32")

    def op(self, op: str, inputs: list[str], n: int, name: str | None = None) -> str:
        k = len(self.nodes)
        out = f"t{k}"
        self.tensors[out] = Tensor(out, (1, n), "float32")
        self.nodes.append(Node(op, name or f"{op}_{k}", list(inputs), [out]))
        return out

    def view(self, op: str, src: str) -> str:
        """Reshape or Flatten of `src` to (n,) / (1, n): same bytes."""
        n = self.tensors[src].size
        k = len(self.nodes)
        out = f"t{k}"
        inputs = [src]
        if op == "Reshape":
            shape = f"shape{k}"
            self.tensors[shape] = Tensor(shape, (1,), "int64", np.array([n], dtype=np.int64))
            inputs.append(shape)
            self.tensors[out] = Tensor(out, (n,), "float32")
        else:
            self.tensors[out] = Tensor(out, (1, n), "float32")
        self.nodes.append(Node(op, f"{op}_{k}", inputs, [out]))
        return out

    def size(self, t: str) -> int:
        return self.tensors[t].size

    def graph(self, outputs: list[str]) -> Graph:
        return Graph("g", self.tensors, self.nodes, self.inputs, outputs, 17)


def random_graph(seed: int) -> Graph:
    """A seeded mix of chains, residual diamonds, branches of different sizes joined by Concat, views,
    late reads of graph inputs, and several outputs."""
    rng = random.Random(seed)
    size = lambda: rng.choice([1, 3, 8, 16, 25, 64, 100, 256, 700])  # noqa: E731  elements
    m = GraphMaker({f"in{k}": size() for k in range(rng.choice([1, 1, 2]))})
    cur = m.inputs[0]
    extra_outputs: list[str] = []
    for _ in range(rng.randint(1, 9)):
        kind = rng.choice(["chain", "chain", "residual", "branches", "view", "late_input", "side_output"])
        if kind == "chain":
            cur = m.op(rng.choice(["Relu", "Sigmoid", "Softmax", "Tanh"]), [cur], size())
        elif kind == "residual":  # x -> f -> g -> Add(x, g(f(x)))
            skip, n = cur, m.size(cur)
            for _ in range(rng.randint(1, 3)):
                cur = m.op("Relu", [cur], rng.choice([n, size()]))
            cur = m.op("Add", [skip, m.op("Relu", [cur], n)], n)
        elif kind == "branches":  # x -> (a, b, ...) of different sizes -> Concat
            legs = []
            for _ in range(rng.randint(2, 3)):
                leg = cur
                for _ in range(rng.randint(1, 3)):
                    leg = m.op("Relu", [leg], size())
                legs.append(leg)
            cur = m.op("Concat", legs, sum(m.size(leg) for leg in legs))
        elif kind == "view":
            cur = m.view(rng.choice(["Reshape", "Flatten"]), cur)
            if rng.random() < 0.5:
                cur = m.view(rng.choice(["Reshape", "Flatten"]), cur)
        elif kind == "late_input":  # a graph input read again near the end
            cur = m.op("Add", [cur, rng.choice(m.inputs)], m.size(cur))
        else:
            extra_outputs.append(cur)
            cur = m.op("Relu", [cur], size())
    for name in m.inputs[1:]:  # make sure every input is read
        cur = m.op("Mul", [cur, name], m.size(cur))
    outputs = [cur] + [t for t in extra_outputs if t != cur]
    if rng.random() < 0.3:
        outputs.append(m.view("Flatten", cur))
    return m.graph(outputs)


@pytest.mark.parametrize("seed", range(150))
def test_random_graphs(seed: int) -> None:
    g = random_graph(seed)
    check_plan(g, plan(g))


def chain(sizes: list[int]) -> Graph:
    """x (sizes[0] floats) -> Relu -> ... each output of the next size."""
    m = GraphMaker({"x": sizes[0]})
    cur = "x"
    for n in sizes[1:]:
        cur = m.op("Relu", [cur], n)
    return m.graph([cur])


def test_chain_reaches_lower_bound_by_hand() -> None:
    # Only neighbours are live together; the largest neighbour pair is 64 + 2048 floats, so the arena
    # cannot be smaller than 4 * 2112 bytes, and a chain can always be laid out in exactly that.
    g = chain([64, 1024, 128, 512, 64, 2048, 16])
    p = plan(g)
    check_plan(g, p)
    pairs = [4 * (a + b) for a, b in zip([64, 1024, 128, 512, 64, 2048], [1024, 128, 512, 64, 2048, 16])]
    assert p.lower_bound == max(pairs) == 4 * (64 + 2048)
    assert p.arena_size == p.lower_bound
    assert p.linear_size == 4 * (64 + 1024 + 128 + 512 + 64 + 2048 + 16)


@pytest.mark.parametrize("seed", range(40))
def test_random_chains_reach_lower_bound(seed: int) -> None:
    """A chain only ever holds two neighbours at once, so its arena must be exactly the lower bound."""
    rng = random.Random(1000 + seed)
    g = chain([rng.randint(1, 600) for _ in range(rng.randint(2, 14))])
    p = plan(g)
    check_plan(g, p)
    assert p.arena_size == p.lower_bound


def test_place_reaches_bound_on_chains_of_buffers() -> None:
    """The placement itself, on lifetimes of a chain; greedy by size alone misses ~20% of these."""
    rng = random.Random(7)
    for _ in range(500):
        sizes = [16 * rng.randint(1, 64) for _ in range(rng.randint(1, 14))]
        bufs = {f"b{i}": Buffer(f"b{i}", s, i - 1, i) for i, s in enumerate(sizes)}
        offsets = place(bufs)
        bound = max(a + b for a, b in zip(sizes, sizes[1:])) if len(sizes) > 1 else sizes[0]
        assert max(offsets[k] + b.size for k, b in bufs.items()) == bound, sizes


def test_graph_input_read_at_the_end_is_not_overwritten() -> None:
    # x is read by the first and by the last node; everything between must stay off its bytes.
    m = GraphMaker({"x": 100})
    cur = m.op("Relu", ["x"], 400)
    cur = m.op("Relu", [cur], 100)
    cur = m.op("Relu", [cur], 400)
    cur = m.op("Relu", [cur], 100)
    out = m.op("Add", [cur, "x"], 100)
    g = m.graph([out])
    p = plan(g)
    check_plan(g, p)
    x = (p.offset_of("x"), p.offset_of("x") + 400)
    for t in ("t0", "t1", "t2", "t3", out):
        lo = p.offset_of(t)
        assert lo + g.tensors[t].nbytes <= x[0] or lo >= x[1], f"{t} overlaps the input x"


def test_views_share_offset_even_across_chains_and_io() -> None:
    # input -> Reshape -> Flatten -> Relu -> Reshape (output), plus the input's view as a second output
    m = GraphMaker({"x": 48})
    v1 = m.view("Reshape", "x")
    v2 = m.view("Flatten", v1)
    r = m.op("Relu", [v2], 48)
    v3 = m.view("Reshape", r)
    g = m.graph([v3, v2])
    p = plan(g)
    check_plan(g, p)
    assert p.offset_of(v1) == p.offset_of(v2) == p.offset_of("x")
    assert p.offset_of(v3) == p.offset_of(r)
    assert p.offset_of(r) != p.offset_of("x")  # x (via v2) is an output: it lives to the end


def test_identity_of_input_as_output() -> None:
    m = GraphMaker({"x": 10})
    k = len(m.nodes)
    m.tensors["y"] = Tensor("y", (1, 10), "float32")
    m.nodes.append(Node("Identity", f"Identity_{k}", ["x"], ["y"]))
    g = m.graph(["y"])
    p = plan(g)
    check_plan(g, p)
    assert p.offset_of("y") == p.offset_of("x") and p.arena_size == 48


def test_scratch_is_planned_for_its_step(monkeypatch) -> None:
    """Kernel scratch lives for one step, never on top of that step's inputs or outputs."""
    monkeypatch.setattr(REGISTRY["Softmax"], "scratch_bytes",
                        lambda node, g, kernels=("ref",): 4 * g.tensors[node.inputs[0]].size + 4)
    for seed in range(30):
        g = random_graph(seed)
        p = plan(g)
        assert any(name.endswith("#scratch") for name in p.buffers) or not any(n.op == "Softmax" for n in g.nodes)
        check_plan(g, p)


@requires_shared()
def test_conv_scratch_follows_the_boards_kernels() -> None:
    """The arena holds the scratch the linked mlc_conv2d_s8 needs: 56 bytes per four taps for the DSP kernels,
    4 a tap for the MVE ones, none (NULL) for the reference kernel."""
    from toolchain.boards import load_board

    model = MODELS / "bench" / "kws_dscnn_qdq.onnx"
    arenas = {}
    sizes = {"cortex-m4": lambda t: 56 * ((t + 3) // 4), "cortex-m55": lambda t: 4 * t, "cortex-m3": None}
    for board, size in sizes.items():
        c = compile_model(model, board=load_board(board))
        convs = [(layer.name, call) for layer in c.program.layers for call in layer.calls
                 if call.fn == "mlc_conv2d_s8"]
        assert convs
        for name, call in convs:
            q = call.params
            taps = q["c_in"] // q["groups"] * q["k_h"] * q["k_w"]
            scratch = [a for a in call.args if a.kind == "scratch"]
            if size is not None:
                assert len(scratch) == 1 and c.plan.buffers[scratch[0].name].size >= size(taps), name
            else:
                assert not scratch and sum(a.kind == "null" for a in call.args) >= 1, name
        if size is None:
            assert not any(b.endswith("#scratch") for b in c.plan.buffers)
        arenas[board] = c.plan.arena_size
    assert arenas["cortex-m3"] <= arenas["cortex-m55"] <= arenas["cortex-m4"]


def test_checker_catches_broken_plans() -> None:
    """The checker is not vacuous: overlapping live buffers, a moved view, or a clobbered input fail."""
    import dataclasses

    m = GraphMaker({"x": 100})
    a = m.op("Relu", ["x"], 100)
    v = m.view("Flatten", a)
    b = m.op("Relu", [v], 100)
    out = m.op("Add", [b, "x"], 100)
    g = m.graph([out])
    good = plan(g)
    check_plan(g, good)
    # b (in place on a's buffer) written on top of x, which the last node still reads
    assert good.root[b] == good.root[a], "Relu overwrites its dead input in place"
    offsets = dict(good.offsets, **{good.root[b]: good.offsets["x"]})
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        check_plan(g, dataclasses.replace(good, offsets=offsets))
    # the view given a buffer of its own
    root = dict(good.root, **{v: v})
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        check_plan(g, dataclasses.replace(good, root=root))
    # a misaligned offset
    offsets = dict(good.offsets, **{out: good.offsets[out] + 4})
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        check_plan(g, dataclasses.replace(good, offsets=offsets))


def test_plan_is_deterministic() -> None:
    for seed in range(10):
        a, b = plan(random_graph(seed)), plan(random_graph(seed))
        assert a.offsets == b.offsets and a.arena_size == b.arena_size


# --------------------------------------------------------------------------------------------------
# Random ONNX models through the whole front end (import, folding, fusion, planning)


def random_onnx(seed: int, path: Path) -> Path:
    """A seeded small CNN: Conv chains, residual Adds, two-way branches of different widths joined by
    Concat, pooling, and Flatten or Reshape into a Gemm."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    c0 = c = int(rng.choice([1, 3]))
    hw0 = hw = int(rng.choice([8, 12, 16]))
    cur, k = "x", 0

    def conv(src: str, cin: int, cout: int, act: bool = True) -> str:
        nonlocal k
        k += 1
        w, b, out = f"w{k}", f"b{k}", f"conv{k}"
        inits.append(numpy_helper.from_array((rng.standard_normal((cout, cin, 3, 3)) * 0.2).astype(np.float32), w))
        inits.append(numpy_helper.from_array((rng.standard_normal(cout) * 0.1).astype(np.float32), b))
        nodes.append(helper.make_node("Conv", [src, w, b], [out], pads=[1, 1, 1, 1], name=out))
        if act:
            nodes.append(helper.make_node("Relu", [out], [out + "_r"], name=out + "_relu"))
            out += "_r"
        return out

    for _ in range(int(rng.integers(2, 7))):
        kind = rng.choice(["chain", "residual", "branches", "pool"])
        if kind == "chain":
            cout = int(rng.choice([2, 4, 8, 16]))
            cur, c = conv(cur, c, cout), cout
        elif kind == "residual":
            y = conv(conv(cur, c, c), c, c, act=False)
            k += 1
            nodes.append(helper.make_node("Add", [cur, y], [f"add{k}"], name=f"add{k}"))
            cur = f"add{k}"
        elif kind == "branches":
            ca, cb = int(rng.choice([2, 4])), int(rng.choice([8, 16]))
            a = conv(cur, c, ca)
            b = conv(conv(cur, c, cb), cb, cb)
            k += 1
            nodes.append(helper.make_node("Concat", [a, b], [f"cat{k}"], axis=1, name=f"cat{k}"))
            cur, c = f"cat{k}", ca + cb
        elif hw >= 4:
            k += 1
            nodes.append(helper.make_node("MaxPool", [cur], [f"pool{k}"], kernel_shape=[2, 2], strides=[2, 2],
                                          name=f"pool{k}"))
            cur, hw = f"pool{k}", hw // 2
    flat = c * hw * hw
    if rng.random() < 0.5:
        nodes.append(helper.make_node("Flatten", [cur], ["flat"], name="flatten"))
    else:
        inits.append(numpy_helper.from_array(np.array([1, flat], dtype=np.int64), "flat_shape"))
        nodes.append(helper.make_node("Reshape", [cur, "flat_shape"], ["flat"], name="reshape"))
    inits.append(numpy_helper.from_array((rng.standard_normal((5, flat)) * 0.1).astype(np.float32), "fc_w"))
    inits.append(numpy_helper.from_array(np.zeros(5, np.float32), "fc_b"))
    nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["y"], transB=1, name="fc"))
    graph = helper.make_graph(
        nodes, f"rand{seed}", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c0, hw0, hw0])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


@pytest.mark.parametrize("seed", range(25))
def test_random_onnx_models(seed: int, tmp_path) -> None:
    c = compile_model(random_onnx(seed, tmp_path / f"rand{seed}.onnx"))
    check_plan(c.graph, c.plan)
    # What the generated code uses is what was planned.
    assert c.program.arena_size == c.plan.arena_size
    for t, off in c.program.offsets.items():
        assert off == c.plan.offset_of(t)


# --------------------------------------------------------------------------------------------------
# The shared model set


@requires_shared()
@pytest.mark.parametrize("rel", sorted(FLOAT_MODELS))
def test_shared_float_models(rel: str) -> None:
    c = compile_model(MODELS / rel, FLOAT_MODELS[rel])
    check_plan(c.graph, c.plan)
    assert c.program.arena_size == c.plan.arena_size
    for io in c.program.inputs + c.program.outputs:
        assert io.offset == c.plan.offset_of(io.name)


@requires_shared()
@pytest.mark.parametrize("rel", ["bench/vww_mobilenet025.onnx", "thirdparty/mlperf_vww96_float.onnx",
                                 "bench/kws_dscnn.onnx", "digits_cnn.onnx"])
def test_chain_like_models_reach_lower_bound(rel: str) -> None:
    """MobileNet and DS-CNN are chains once activations are fused: their arena is the lower bound
    (greedy by size alone left VWW 36 KiB above it)."""
    c = compile_model(MODELS / rel, FLOAT_MODELS[rel])
    assert c.plan.arena_size == c.plan.lower_bound


def test_memory_order_runs_a_late_consumed_branch_late() -> None:
    """ONNX order computes a big side tensor first and keeps it alive through a long chain; the
    memory-aware order computes it just before its reader, and the plan keeps the smaller arena."""
    from toolchain.plan import memory_order, plan_best_order

    m = GraphMaker({"x": 16})
    side = m.op("Sigmoid", ["x"], 1000)
    cur = "x"
    for _ in range(4):
        cur = m.op("Softmax", [cur], 1000)
    joined = m.op("Add", [side, cur], 1000)
    out = m.op("Relu", [joined], 1000)
    g = m.graph([out])
    model_order = plan(g)
    order = memory_order(g)
    pos = {n.name: k for k, n in enumerate(order)}
    for n in g.nodes:  # topological
        for i in n.inputs:
            prod = next((p for p in g.nodes if i in p.outputs), None)
            assert prod is None or pos[prod.name] < pos[n.name]
    best = plan_best_order(g)
    check_plan(g, best)
    assert best.arena_size < model_order.arena_size
    assert [n.op for n in g.nodes][-3:] == ["Sigmoid", "Add", "Relu"]
