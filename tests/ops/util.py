"""Shared helper of the per-operator tests: build a small ONNX model with onnx.helper, compile and run
it for the host through `mlc run`, and compare with onnxruntime (or onnx.reference when onnxruntime
cannot run the model, e.g. an opset or operator version it lacks)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

from tests.conftest import assert_close
from toolchain.build import compile_model
from toolchain.cli import main

CURRENT = onnx.defs.onnx_opset_version()
SAMPLES = 2  # every model runs two inferences, which also catches state left over in the arena


def node(op: str, inputs: list[str], outputs: list[str], name: str | None = None, domain: str = "",
         **attrs: Any) -> onnx.NodeProto:
    return helper.make_node(op, inputs, outputs, name=name or f"{op}_{outputs[0]}", domain=domain or None, **attrs)


def model(nodes: list[onnx.NodeProto], inputs: dict[str, tuple[int, ...]], outputs: list[str],
          inits: dict[str, np.ndarray] | None = None, opset: int = 13,
          input_types: dict[str, int] | None = None, extra_opsets: dict[str, int] | None = None,
          infer: bool = True) -> onnx.ModelProto:
    """A model of `nodes`; output shapes come from ONNX shape inference (the checker wants them)."""
    inits = inits or {}
    vin = [helper.make_tensor_value_info(n, (input_types or {}).get(n, TensorProto.FLOAT), list(s))
           for n, s in inputs.items()]
    tensors = [numpy_helper.from_array(np.asarray(a), n) for n, a in inits.items()]
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in (extra_opsets or {}).items()]
    vout = []
    for n in outputs:
        if n in inputs:
            vout.append(vin[list(inputs).index(n)])
        elif n in inits:
            a = np.asarray(inits[n])
            vout.append(helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape)))
        else:
            vout.append(helper.make_tensor_value_info(n, TensorProto.UNDEFINED if infer else TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "t", vin, vout, tensors)
    m = helper.make_model(graph, opset_imports=opsets)
    m.ir_version = min(m.ir_version, 10)
    if infer:
        inferred = shape_inference.infer_shapes(m, strict_mode=True, data_prop=True)
        known = {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.output)
                 + list(inferred.graph.input)}
        for k, n in enumerate(outputs):
            if n not in inputs and n not in inits and n in known and known[n].type.tensor_type.HasField("shape"):
                m.graph.output[k].CopyFrom(known[n])
        missing = [k for k, o in enumerate(m.graph.output) if not o.type.tensor_type.HasField("shape")]
        if missing:  # shape inference did not follow (e.g. a Shape chain): run the model once
            from onnx.reference import ReferenceEvaluator

            feeds = {k: v[0] for k, v in random_inputs(m, samples=1).items()}
            results = ReferenceEvaluator(m).run(None, feeds)
            for k in missing:
                a = np.asarray(results[k])
                m.graph.output[k].CopyFrom(helper.make_tensor_value_info(
                    m.graph.output[k].name, helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape)))
    return m


def random_inputs(m: onnx.ModelProto, seed: int = 0, low: float = -3.0, high: float = 3.0,
                  samples: int = SAMPLES) -> dict[str, np.ndarray]:
    """(samples, *shape) arrays for every graph input that is not an initializer: float32 uniform in
    [low, high), integers in [floor(low), floor(high)] within their type's range, bools 0/1 (by the input's
    type)."""
    rng = np.random.default_rng(seed)
    inits = {i.name for i in m.graph.initializer}
    feeds = {}
    for vi in m.graph.input:
        if vi.name in inits:
            continue
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        elem = vi.type.tensor_type.elem_type
        if elem == TensorProto.BOOL:
            feeds[vi.name] = rng.integers(0, 2, size=(samples, *shape)).astype(np.bool_)
        elif elem in (TensorProto.INT64, TensorProto.INT32, TensorProto.UINT8, TensorProto.INT16, TensorProto.UINT16):
            info = np.iinfo(helper.tensor_dtype_to_np_dtype(elem))
            lo, hi = max(int(np.floor(low)), int(info.min)), min(int(np.floor(high)), int(info.max))
            feeds[vi.name] = rng.integers(lo, hi + 1, size=(samples, *shape)).astype(info.dtype)
        else:
            feeds[vi.name] = rng.uniform(low, high, size=(samples, *shape)).astype(np.float32)
    return feeds


def reference(m: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Reference outputs, one run per sample, stacked: onnxruntime, else onnx.reference."""
    count = next(iter(feeds.values())).shape[0] if feeds else 1
    data = m.SerializeToString()
    try:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.log_severity_level = 3
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
        run: Callable[[dict], list] = lambda f: sess.run(None, f)  # noqa: E731
    except Exception:
        from onnx.reference import ReferenceEvaluator

        ev = ReferenceEvaluator(m)
        run = lambda f: ev.run(None, f)  # noqa: E731
    runs = [run({k: np.asarray(v[i]) for k, v in feeds.items()}) for i in range(count)]
    return [np.stack([np.asarray(r[j], dtype=np.float64) for r in runs]) for j in range(len(runs[0]))]


def save(m: onnx.ModelProto, tmp_path: Path, name: str = "model.onnx") -> Path:
    path = tmp_path / name
    onnx.save(m, path)
    return path


def _run_cli(m: onnx.ModelProto, tmp_path: Path, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
    path = save(m, tmp_path)
    inp = tmp_path / "in.npz"
    np.savez(inp, **feeds)
    out = tmp_path / "out.npz"
    rc = main(["run", str(path), "--board", "host", "--input", str(inp), "--output", str(out)])
    if rc != 0:
        return None
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


def run_host(m: onnx.ModelProto, tmp_path: Path, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Build `m` for the host and run it on `feeds` through the `mlc run` command line."""
    got = _run_cli(m, tmp_path, feeds)
    assert got is not None, "mlc run failed (its error is in the captured stderr)"
    return got


def compare(m: onnx.ModelProto, feeds: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> None:
    ref = reference(m, feeds)
    for vo, r in zip(m.graph.output, ref):
        assert vo.name in got, f"no output {vo.name!r} from the host run"
        elem = vo.type.tensor_type.elem_type
        if elem not in (TensorProto.FLOAT, TensorProto.UNDEFINED):  # integer and bool outputs: exact, typed
            want = np.dtype(helper.tensor_dtype_to_np_dtype(elem))
            assert got[vo.name].dtype == want, f"{vo.name}: dtype {got[vo.name].dtype} != {want}"
            assert np.array_equal(got[vo.name].astype(np.float64), r), f"{vo.name}: {got[vo.name]} != {r}"
            continue
        assert_close(got[vo.name], r, vo.name)


def check(m: onnx.ModelProto, tmp_path: Path, feeds: dict[str, np.ndarray] | None = None,
          seed: int = 0, low: float = -3.0, high: float = 3.0) -> dict[str, np.ndarray]:
    """Run `m` alone on the host and compare every output with the reference; returns the host outputs."""
    onnx.checker.check_model(m, full_check=True)
    feeds = random_inputs(m, seed, low, high) if feeds is None else feeds
    got = run_host(m, tmp_path, feeds)
    compare(m, feeds, got)
    return got


# ---- batched runs: many small cases compiled and run as one model ----------------------------


@dataclass
class Case:
    """One test model and how to feed it. Cases of a group with the same opset are merged into one
    model (names prefixed), built once per test session and shared by the xdist workers."""

    id: str
    model: onnx.ModelProto
    low: float = -3.0
    high: float = 3.0
    seed: int = 0
    feeds: dict[str, np.ndarray] | None = None

    def inputs(self) -> dict[str, np.ndarray]:
        return random_inputs(self.model, self.seed, self.low, self.high) if self.feeds is None else self.feeds

    @property
    def opset(self) -> int:
        return next(o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx"))

    def __repr__(self) -> str:  # shown by pytest on failure
        return f"Case({self.id})"


_GROUP_NAMES: set[str] = set()
# Every case of every group, by opset, in collection order (the same in every xdist worker): the
# batches are consecutive runs of these, so one build serves cases of many tests.
_BY_OPSET: dict[int, list[Case]] = {}


class Group(list):
    """The cases of one parametrized test (registered for the shared batch builds)."""

    def __init__(self, name: str, items: list[Case]) -> None:
        assert name not in _GROUP_NAMES, f"duplicate case group {name!r}"
        _GROUP_NAMES.add(name)
        ids = [c.id for c in items]
        assert len(set(ids)) == len(ids), f"duplicate case ids in {name}"
        super().__init__(items)
        self.name = name
        for c in items:
            _BY_OPSET.setdefault(c.opset, []).append(c)

    def param(self) -> Any:
        import pytest

        return pytest.mark.parametrize("case", list(self), ids=[c.id for c in self])


def _prefixed(m: onnx.ModelProto, p: str) -> onnx.GraphProto:
    g = onnx.GraphProto()
    g.CopyFrom(m.graph)
    ren = lambda s: p + s if s else s  # noqa: E731
    for n in g.node:
        n.input[:] = [ren(i) for i in n.input]
        n.output[:] = [ren(o) for o in n.output]
        n.name = ren(n.name)
    for coll in (g.input, g.output, g.value_info, g.initializer):
        for t in coll:
            t.name = ren(t.name)
    return g


def merge(group: list[Case]) -> onnx.ModelProto:
    graphs = [_prefixed(c.model, f"k{i}_") for i, c in enumerate(group)]
    merged = helper.make_graph([n for g in graphs for n in g.node], "batch",
                               [i for g in graphs for i in g.input], [o for g in graphs for o in g.output],
                               [t for g in graphs for t in g.initializer],
                               value_info=[v for g in graphs for v in g.value_info])
    opsets: dict[str, int] = {}
    for c in group:
        for o in c.model.opset_import:
            opsets[o.domain] = max(opsets.get(o.domain, 0), o.version)
    m = helper.make_model(merged, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()])
    m.ir_version = min(m.ir_version, 10)
    return m


# The host runner takes at most 24 inputs and 24 outputs (MLC_MAX_DIMS * 4).
MAX_IO = 24


def _chunks(group: list[Case]) -> list[list[Case]]:
    """Consecutive runs of cases whose merged model stays within the runner's input/output limits."""
    chunks: list[list[Case]] = [[]]
    n_in = n_out = 0
    for c in group:
        ci = sum(1 for i in c.model.graph.input if i.name not in {t.name for t in c.model.graph.initializer})
        co = len(c.model.graph.output)
        if chunks[-1] and (n_in + ci > MAX_IO or n_out + co > MAX_IO):
            chunks.append([])
            n_in = n_out = 0
        chunks[-1].append(c)
        n_in, n_out = n_in + ci, n_out + co
    return chunks


class Runner:
    """Runs cases: first as part of their merged batch, alone when the batch fails or disagrees."""

    def __init__(self, root: Path, tmp_path: Path) -> None:
        self.root, self.tmp_path = root, tmp_path

    def _batch(self, key: str, group: list[Case]) -> tuple[dict[str, np.ndarray] | None, str]:
        import fcntl

        res, err = self.root / f"{key}.npz", self.root / f"{key}.err"
        with open(self.root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not res.exists() and not err.exists():
                work = self.root / f"{key}.d"
                work.mkdir(exist_ok=True)
                feeds = {f"k{i}_{n}": a for i, c in enumerate(group) for n, a in c.inputs().items()}
                try:
                    m = merge(group)
                    onnx.checker.check_model(m)
                    stderr = io.StringIO()
                    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                        out = _run_cli(m, work, feeds)
                    if out is None:
                        raise RuntimeError(stderr.getvalue().strip())
                    np.savez(res, **out)
                except Exception as exc:  # the cases then run alone and show the real error
                    err.write_text(f"{type(exc).__name__}: {exc}")
            if err.exists():
                return None, err.read_text()
            with np.load(res) as z:
                return {k: z[k] for k in z.files}, ""

    def check(self, case: Case, group: Group | None = None) -> None:
        """Compare `case` with the reference; with a group, from the group's batched run."""
        if group is None:
            check(case.model, self.tmp_path, case.inputs())
            return
        assert any(c is case for c in group), f"{case.id} is not a case of group {group.name}"
        chunks = _chunks(_BY_OPSET[case.opset])
        index = next(i for i, ch in enumerate(chunks) if any(c is case for c in ch))
        same = chunks[index]
        outs, _ = self._batch(f"op{case.opset}_{index}", same)
        if outs is None:  # e.g. another case of the batch is unsupported: this case is judged alone
            check(case.model, self.tmp_path, case.inputs())
            return
        k = next(i for i, c in enumerate(same) if c is case)
        got = {n[len(f"k{k}_"):]: a for n, a in outs.items() if n.startswith(f"k{k}_")}
        try:
            compare(case.model, case.inputs(), got)
        except AssertionError as batch_error:
            check(case.model, self.tmp_path, case.inputs())
            raise AssertionError(f"{case.id} passes alone but not in a batch: {batch_error}") from None


def compiled_graph(m: onnx.ModelProto, tmp_path: Path):
    """The graph after import and passes (what gets lowered), without building C."""
    return compile_model(save(m, tmp_path, "compiled.onnx")).graph


def const(shape: tuple[int, ...], seed: int = 1, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(np.float32)
