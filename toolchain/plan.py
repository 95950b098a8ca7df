"""Static memory planning: every run-time tensor gets a fixed offset in one arena.

1. Buffers. Reshape-like nodes are views: their output shares the buffer of their input (the "root").
   Kernel scratch is a buffer of its own that lives for one step.
2. Lifetimes. Step i is the i-th node of the schedule. A buffer lives from the step that writes it to
   the last step that reads it; graph inputs from step -1, graph outputs to the end.
3. Offsets. Greedy first fit (as TFLite Micro's planner): take buffers in some order; put each at the
   lowest aligned offset where it overlaps no already placed buffer whose lifetime it shares. Two orders
   are tried, largest first and earliest first, plus a two-sided fit into the lower bound (earliest first,
   each buffer on the side, bottom or top, opposite to its latest placed neighbour), which reaches the
   bound on every chain. The smallest arena wins; ties keep the earlier strategy, so plans are stable.
4. The lower bound for this schedule is the largest sum of bytes live at one step; no placement of
   these buffers can use less. The linear plan (no reuse) is the upper baseline the tests compare with.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolchain.ir import Graph, Node
from toolchain.ops import opdef

ALIGN = 16


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass(frozen=True)
class Buffer:
    name: str  # root tensor name, or "<node>#scratch"
    size: int  # bytes, aligned
    start: int  # first step it is live
    end: int  # last step it is live (inclusive)

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass
class Plan:
    schedule: list[str]  # node names in execution order
    buffers: dict[str, Buffer]
    offsets: dict[str, int]  # buffer name -> byte offset
    root: dict[str, str]  # run-time tensor -> buffer name
    arena_size: int
    lower_bound: int
    linear_size: int
    external: frozenset[str] = frozenset()

    def offset_of(self, tensor: str) -> int:
        return self.offsets[self.root[tensor]]


def _last_use(g: Graph) -> dict[str, int]:
    """Step of the last node reading each tensor (graph outputs: past the end)."""
    last: dict[str, int] = {}
    for i, n in enumerate(g.nodes):
        for name in n.inputs:
            if name:
                last[name] = i
    for name in g.outputs:
        last[name] = len(g.nodes)
    return last


def roots(g: Graph, external: frozenset[str] = frozenset()) -> dict[str, str]:
    """Run-time tensor -> the tensor whose buffer holds it: itself, its source for a view, or the input an
    elementwise node overwrites in place (OpDef.in_place_inputs) when no tensor in that buffer is read
    later, none is a graph input or output, and the sizes match."""
    root: dict[str, str] = {}
    for name in g.inputs:
        root[name] = name
    last = _last_use(g)
    members: dict[str, list[str]] = {name: [name] for name in g.inputs}
    pinned = set(g.inputs) | set(g.outputs) | set(external)
    for i, n in enumerate(g.nodes):
        d = opdef(n)
        for k, out in enumerate(n.outputs):
            if not out:
                continue
            src = n.inputs[0] if d is not None and d.alias and k == 0 else ""
            if src and g.const(src) is None:
                root[out] = root.get(src, src)
            else:
                root[out] = out
                if k == 0 and d is not None and out not in pinned:
                    for j in d.in_place_inputs(n, g):
                        r = root.get(n.inputs[j])
                        group = members.get(r, []) if r is not None else []
                        if group and all(last.get(t, -1) <= i and t not in pinned for t in group) and \
                                g.tensors[r].arena_nbytes == g.tensors[out].arena_nbytes:
                            root[out] = r
                            break
            members.setdefault(root[out], []).append(out)
    return root


def lifetimes(g: Graph, root: dict[str, str], external: frozenset[str] = frozenset(),
              kernels: tuple[str, ...] = ("ref",)) -> dict[str, Buffer]:
    """Every arena buffer with the steps it lives over; `kernels`: the board's kernel directories (their
    scratch needs differ)."""
    start: dict[str, int] = {}
    end: dict[str, int] = {}
    last = len(g.nodes)

    def touch(name: str, step: int) -> None:
        if name in external:
            return
        r = root[name]
        start[r] = min(start.get(r, step), step)
        end[r] = max(end.get(r, step), step)

    for name in g.inputs:
        touch(name, -1)
    for i, n in enumerate(g.nodes):
        for name in n.inputs:
            if name and g.const(name) is None:
                touch(name, i)
        for name in n.outputs:
            if name:
                touch(name, i)
    for name in g.outputs:
        if g.const(name) is None:
            touch(name, last)
    buffers = {}
    for r in start:
        t = g.tensors[r]
        buffers[r] = Buffer(r, _align(max(t.arena_nbytes, 1)), start[r], end[r])
    for i, n in enumerate(g.nodes):
        d = opdef(n)
        scratch = d.scratch_bytes(n, g, kernels) if d is not None else 0
        if scratch:
            name = f"{n.name}#scratch"
            buffers[name] = Buffer(name, _align(scratch), i, i)
    return buffers


def place_greedy(buffers: dict[str, Buffer], by: str = "size") -> dict[str, int]:
    """First fit in the order `by` ("size": largest first, "start": earliest first)."""
    if by == "size":
        order = sorted(buffers.values(), key=lambda b: (-b.size, b.start, b.name))
    else:
        order = sorted(buffers.values(), key=lambda b: (b.start, -b.size, b.name))
    placed: list[tuple[Buffer, int]] = []
    offsets: dict[str, int] = {}
    for buf in order:
        busy = sorted((off, off + other.size) for other, off in placed if other.overlaps_in_time(buf))
        candidate = 0
        for lo, hi in busy:
            if candidate + buf.size <= lo:
                break
            candidate = max(candidate, hi)
        offsets[buf.name] = candidate
        placed.append((buf, candidate))
    return offsets


def place_two_sided(buffers: dict[str, Buffer], limit: int) -> dict[str, int] | None:
    """Fit every buffer into [0, limit), earliest first, each at the bottom (lowest free offset) or the
    top (highest free offset) of the window, opposite to the side of its latest-starting placed
    neighbour in time. None when some buffer fits on neither side."""
    order = sorted(buffers.values(), key=lambda b: (b.start, -b.size, b.name))
    placed: list[tuple[Buffer, int, str]] = []
    offsets: dict[str, int] = {}
    for buf in order:
        neighbours = [(other, off, side) for other, off, side in placed if other.overlaps_in_time(buf)]
        busy = sorted((off, off + other.size) for other, off, _ in neighbours)
        bottom = 0
        for lo, hi in busy:
            if bottom + buf.size <= lo:
                break
            bottom = max(bottom, hi)
        top = limit - buf.size
        for lo, hi in sorted(busy, key=lambda r: -r[1]):
            if top >= hi:
                break
            top = min(top, lo - buf.size)
        fits = {"bottom": bottom + buf.size <= limit, "top": top >= 0}
        last = max(neighbours, key=lambda t: (t[0].start, t[0].name))[2] if neighbours else "top"
        prefer = ["bottom", "top"] if last == "top" else ["top", "bottom"]
        side = next((sd for sd in prefer if fits[sd]), None)
        if side is None:
            return None
        offsets[buf.name] = bottom if side == "bottom" else top
        placed.append((buf, offsets[buf.name], side))
    return offsets


def place(buffers: dict[str, Buffer]) -> dict[str, int]:
    """The smallest of the strategies' placements (the first one on ties)."""
    def arena(offsets: dict[str, int]) -> int:
        return max((offsets[b.name] + b.size for b in buffers.values()), default=0)

    best = place_greedy(buffers, "size")
    bound = lower_bound(buffers)
    for candidate in (place_greedy(buffers, "start"), place_two_sided(buffers, bound)):
        if arena(best) <= bound:
            break
        if candidate is not None and arena(candidate) < arena(best):
            best = candidate
    return best


def lower_bound(buffers: dict[str, Buffer]) -> int:
    if not buffers:
        return 0
    lo = min(b.start for b in buffers.values())
    hi = max(b.end for b in buffers.values())
    return max(sum(b.size for b in buffers.values() if b.start <= s <= b.end) for s in range(lo, hi + 1))


def grow_scratch(g: Graph, buffers: dict[str, Buffer], kernels: tuple[str, ...]) -> dict[str, Buffer]:
    """The buffers with each node's scratch grown towards OpDef.scratch_bytes_max as far as its step's live
    bytes stay within the lower bound: the bound, the arena's floor, does not move (nodes in order, each
    taking what room the earlier ones left at its step)."""
    bound = lower_bound(buffers)
    grown = dict(buffers)
    for i, n in enumerate(g.nodes):
        name = f"{n.name}#scratch"
        d = opdef(n)
        if name not in grown or d is None:
            continue
        room = bound - sum(b.size for b in grown.values() if b.start <= i <= b.end)
        want = _align(d.scratch_bytes_max(n, g, kernels))
        size = min(want, grown[name].size + room) // ALIGN * ALIGN
        if size > grown[name].size:
            grown[name] = Buffer(name, size, i, i)
    return grown


def plan(g: Graph, external: frozenset[str] = frozenset(), kernels: tuple[str, ...] = ("ref",)) -> Plan:
    """`external`: graph inputs and outputs the kernels read or write in the caller's buffers (no arena);
    `kernels`: the board's kernel directories in search order (the scratch they need, and the more some
    can use within the arena's floor: grow_scratch, kept only where the placement stays as small)."""
    root = roots(g, external)
    buffers = lifetimes(g, root, external, kernels)
    offsets = place(buffers)
    arena = max((offsets[b.name] + b.size for b in buffers.values()), default=0)
    grown = grow_scratch(g, buffers, kernels)
    if grown != buffers:
        grown_offsets = place(grown)
        if max((grown_offsets[b.name] + b.size for b in grown.values()), default=0) <= arena:
            buffers, offsets = grown, grown_offsets
    return Plan(
        schedule=[n.name for n in g.nodes], buffers=buffers, offsets=offsets, root=root,
        arena_size=arena, lower_bound=lower_bound(buffers), linear_size=sum(b.size for b in buffers.values()),
        external=external,
    )


def memory_order(g: Graph, kernels: tuple[str, ...] = ("ref",)) -> list[Node]:
    """A topological order that keeps little data alive: of the ready nodes, run the one that allocates
    least net of what it frees (ties: one that makes a reader ready, then the model's order). Chains have one order; this matters for
    branches (residual blocks, parallel heads)."""
    index = {id(n): k for k, n in enumerate(g.nodes)}
    producer = {o: n for n in g.nodes for o in n.outputs if o}
    readers: dict[str, int] = {}
    for n in g.nodes:
        for t in set(i for i in n.inputs if i):
            readers[t] = readers.get(t, 0) + 1
    deps = {id(n): {id(producer[i]) for i in n.inputs if i in producer} for n in g.nodes}
    done: set[int] = set()
    order: list[Node] = []

    def size(t: str) -> int:
        tensor = g.tensors.get(t)
        return 0 if tensor is None or tensor.is_const else tensor.arena_nbytes

    def cost(n: Node) -> int:
        d = opdef(n)
        alloc = 0 if d is not None and d.alias else sum(size(o) for o in n.outputs if o)
        alloc += d.scratch_bytes(n, g, kernels) if d is not None else 0
        freed = sum(size(t) for t in set(i for i in n.inputs if i) if readers.get(t) == 1 and t not in g.outputs)
        return alloc - freed

    consumers = {id(n): [c for c in g.nodes if id(n) in deps[id(c)]] for n in g.nodes}

    def enables(n: Node) -> int:
        """0 when running n makes one of its readers ready (progress along a chain), else 1."""
        after = done | {id(n)}
        return 0 if any(deps[id(c)] <= after for c in consumers[id(n)]) else 1

    while len(order) < len(g.nodes):
        ready = [n for n in g.nodes if id(n) not in done and deps[id(n)] <= done]
        n = min(ready, key=lambda m: (cost(m), enables(m), index[id(m)]))
        order.append(n)
        done.add(id(n))
        for t in set(i for i in n.inputs if i):
            readers[t] -= 1
    return order


def plan_best_order(g: Graph, external: frozenset[str] = frozenset(), kernels: tuple[str, ...] = ("ref",)) -> Plan:
    """Plan the model's order and the memory-aware order; keep the smaller arena (the model's on ties).
    The graph's node list becomes the chosen schedule."""
    best = plan(g, external, kernels)
    original = list(g.nodes)
    g.nodes = memory_order(g, kernels)
    if [id(n) for n in g.nodes] != [id(n) for n in original]:
        other = plan(g, external, kernels)
        if other.arena_size < best.arena_size:
            return other
    g.nodes = original
    return best
