"""ONNX backend node tests against mlc: every node test whose operators `mlc ops` lists, built for the host.

    python -m tests.conformance.runner [--out docs/conformance.md] [-j N] [--work DIR] [-k SUBSTRING]

The tests are generated at run time from the generator the onnx wheel ships
(`onnx.backend.test.case.node.collect_testcases()`), written in the layout of ONNX's backend test data
(`<test>/model.onnx`, `<test>/test_data_set_0/{input,output}_<j>.pb`) into a temporary folder, and
never committed. A test is selected when every node of its model (subgraphs included) is an operator
of the default domain that `mlc ops` lists, or a Constant (folded at import).

Each selected test ends as
  passed    the host runner's outputs match output_<j>.pb (shape, dtype, and
            numpy.testing.assert_allclose with the test's rtol/atol: 1e-3/1e-7, as ONNX's own runner);
  rejected  compile_model() (import, passes, plan, lower: everything before code generation) raised an
            MlcError, whose one line is the reason;
  FAILED    anything else: wrong result, an internal exception, a C compile failure, a runner failure,
            or an MlcError after code generation.

Work is shared: the runtime's kernel sources are compiled to objects once; every test runs
compile_model first and only the ones it accepts write their project (toolchain.build.write_project,
the generated code as `mlc build` writes it) and link model.c and the host runner against those
objects with the project's host flags. When that fast link fails, the test is built again by
toolchain.build.build (scons, the real path) and only a failure there counts.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

FLOAT = TensorProto.FLOAT
RUN_TIMEOUT_S = 60
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = "docs/conformance.md"
COMMAND = f"python -m tests.conformance.runner --out {DEFAULT_OUT}"


# ---- selection ----------------------------------------------------------------------------------


def listed_ops() -> set[str]:
    """The operators `mlc ops` lists (whatever the registry holds now, and those expanded at import)."""
    from toolchain.ops_catalog import REWRITTEN_AT_IMPORT, function_ops, supported_ops

    return set(supported_ops()) | set(function_ops()) | set(REWRITTEN_AT_IMPORT)


def _graph_ops(g: onnx.GraphProto):
    for n in g.node:
        yield n.domain, n.op_type
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from _graph_ops(a.g)
            for sub in a.graphs:
                yield from _graph_ops(sub)


def _is_float32(vi: onnx.ValueInfoProto) -> bool:
    return vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type == FLOAT


@dataclass
class NodeTest:
    name: str
    op: str  # the operator the ONNX test is written for (an expanded function's name included)
    float32: bool  # every graph input and output is a float32 tensor
    rtol: float
    atol: float


def _base_name(name: str) -> str:
    return name.split("_expanded")[0]


def _tested_op(case, by_name: dict) -> str:
    """The operator an ONNX node test is about: its node's op, or for a function's expanded body the
    op of the unexpanded test (marked "(expanded)" when that op itself is not supported)."""
    base = by_name.get(_base_name(case.name), case)
    ops = sorted({n.op_type for n in base.model.graph.node if n.op_type != "Constant"}) or ["Constant"]
    return "+".join(ops)


def collect(allowed: set[str], match: str | None = None) -> tuple[list, dict[str, NodeTest]]:
    """The ONNX node test cases whose operators are all in `allowed` (plus Constant)."""
    from onnx.backend.test.case import node as node_cases

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cases = node_cases.collect_testcases()
    by_name = {c.name: c for c in cases}
    ok = allowed | {"Constant"}
    chosen, meta = [], {}
    for c in sorted(cases, key=lambda c: c.name):
        if c.model is None or c.name in meta or (match and match not in c.name):
            continue
        if not all(d in ("", "ai.onnx") and op in ok for d, op in _graph_ops(c.model.graph)):
            continue
        op = _tested_op(c, by_name)
        if c.name != _base_name(c.name) and op not in allowed:
            op += " (expanded)"
        g = c.model.graph
        f32 = all(_is_float32(v) for v in list(g.input) + list(g.output))
        chosen.append(c)
        meta[c.name] = NodeTest(c.name, op, f32, c.rtol, c.atol)
    return chosen, meta


def _proto(value, vi: onnx.ValueInfoProto):
    """A data-set value as the protobuf ONNX's generate_data writes for it."""
    if vi.type.HasField("sequence_type"):
        return numpy_helper.from_list(value, vi.name)
    if vi.type.HasField("optional_type"):
        return numpy_helper.from_optional(value, vi.name)
    if vi.type.HasField("map_type"):
        return numpy_helper.from_dict(value, vi.name)
    return value if isinstance(value, TensorProto) else numpy_helper.from_array(np.asarray(value), vi.name)


def write_case(case, root: Path) -> Path:
    """<root>/<name>/model.onnx and test_data_set_0/{input,output}_<j>.pb (ONNX's backend test layout)."""
    d = root / case.name
    data = d / "test_data_set_0"
    data.mkdir(parents=True)
    (d / "model.onnx").write_bytes(case.model.SerializeToString())
    inputs, outputs = case.data_sets[0]
    for j, v in enumerate(inputs):
        (data / f"input_{j}.pb").write_bytes(_proto(v, case.model.graph.input[j]).SerializeToString())
    for j, v in enumerate(outputs):
        (data / f"output_{j}.pb").write_bytes(_proto(v, case.model.graph.output[j]).SerializeToString())
    return d


# ---- shared work: the runtime's kernels compiled once --------------------------------------------


def compile_kernels(objdir: Path, jobs: int) -> dict[str, Path]:
    """Object files of runtime_c/kernels/ref/*.c with the host flags, by source file name."""
    from toolchain.build import HOST_FLAGS
    from toolchain.resources import resource_dir

    rt = resource_dir("runtime_c")
    objdir.mkdir(parents=True, exist_ok=True)
    flags = [*HOST_FLAGS, f"-I{rt / 'include'}", f"-I{rt / 'kernels' / 'ref'}"]
    srcs = sorted((rt / "kernels" / "ref").glob("*.c"))
    objs: dict[str, Path] = {}
    with cf.ThreadPoolExecutor(max(1, jobs)) as pool:
        procs = {src: pool.submit(subprocess.run, ["gcc", *flags, "-c", str(src), "-o", str(objdir / (src.stem + ".o"))],
                                  capture_output=True) for src in srcs}
    for src, fut in procs.items():
        if fut.result().returncode == 0:  # a kernel that does not compile here is left to the real build
            objs[src.name] = objdir / (src.stem + ".o")
    return objs


# ---- one test -----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    status: str  # "passed" | "rejected" | "failed"
    detail: str = ""
    seconds: float = 0.0
    real_build: bool = False  # the fast link failed and toolchain.build.build was used


class _Failed(Exception):
    pass


SEE_OPS = "; see `mlc ops` for what is supported"


def _one_line(text: str, case_dir: Path) -> str:
    """One line, without the temporary paths (the report must not depend on where it ran)."""
    text = " ".join(str(text).split())
    text = text.replace(f"{case_dir / 'model.onnx'}: ", "").replace(f"{case_dir}/", "").replace(str(case_dir), ".")
    text = re.sub(re.escape(tempfile.gettempdir()) + r"/[^\s:;,)']*", "<tmp>", text).removesuffix(SEE_OPS)
    return text if len(text) <= 300 else text[:297] + "..."


def _fast_build(compiled, out: Path, objs: dict[str, Path]) -> Path:
    """write_project, then link model.c and the host runner against the prebuilt kernel objects."""
    from toolchain.boards import load_board
    from toolchain.build import HOST_FLAGS, _kernel_sources, write_project

    out.mkdir(parents=True)
    write_project(compiled, load_board("host"), out)
    kernels = [objs[s.name] for s in _kernel_sources(compiled.program)]  # KeyError: left to the real build
    (out / "build").mkdir(exist_ok=True)
    cmd = ["gcc", *HOST_FLAGS, "-I.", "-Imlc_runtime/include", "-Imlc_runtime/kernels",
           "model.c", "mlc_runtime/host/main_host.c", *map(str, kernels),
           "-Wl,--gc-sections", "-o", "build/mlc_runner", "-lm"]
    proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True)
    if proc.returncode != 0:
        errors = [ln.strip() for ln in proc.stderr.splitlines() if ": error:" in ln]
        if errors and not errors[0].startswith("/"):  # in the generated project: the real build fails the same way
            raise _Failed(f"C build failed: {errors[0]}")
        raise RuntimeError(proc.stderr)  # a link or set-up problem of this fast path: the real build decides
    return out / "build" / "mlc_runner"


def _read_tensor(path: Path) -> np.ndarray:
    t = TensorProto()
    t.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(t)


def _host_outputs(compiled, artifact: Path, case_dir: Path) -> dict[str, np.ndarray]:
    import toolchain.run as run
    from toolchain.io_arrays import batch_from_arrays, shape_outputs

    model = onnx.load(case_dir / "model.onnx", load_external_data=False)
    data = case_dir / "test_data_set_0"
    feeds = {}
    for j, vi in enumerate(model.graph.input):
        if not vi.type.HasField("tensor_type"):
            raise _Failed(f"runner: graph input {vi.name!r} is not a tensor but compile_model accepted the model")
        feeds[vi.name] = _read_tensor(data / f"input_{j}.pb")
    program = compiled.program
    missing = [t.name for t in program.inputs if t.name not in feeds]
    if missing:
        raise _Failed(f"runner: compiled model has inputs {missing} the test does not feed")
    batch = batch_from_arrays([feeds[t.name] for t in program.inputs], program.inputs, "test_data_set_0")
    run.HOST_TIMEOUT_S = RUN_TIMEOUT_S
    flat = run.run_host(SimpleNamespace(artifact=artifact, compiled=compiled), batch)  # type: ignore[arg-type]
    return {t.name: a for t, a in zip(program.outputs, shape_outputs(batch, program.outputs, flat))}


def _compare(got: dict[str, np.ndarray], case_dir: Path, rtol: float, atol: float) -> None:
    model = onnx.load(case_dir / "model.onnx", load_external_data=False)
    for j, vo in enumerate(model.graph.output):
        ref = _read_tensor(case_dir / "test_data_set_0" / f"output_{j}.pb")
        if vo.name not in got:
            raise _Failed(f"no output {vo.name!r} from the host runner (it has {sorted(got)})")
        out = got[vo.name]
        if out.shape != ref.shape:
            raise _Failed(f"output {vo.name!r}: shape {out.shape}, expected {ref.shape}")
        if out.dtype != ref.dtype:
            raise _Failed(f"output {vo.name!r}: dtype {out.dtype}, expected {ref.dtype}")
        try:
            np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)
        except AssertionError:
            bad = ~np.isclose(out, ref, rtol=rtol, atol=atol, equal_nan=True)
            k = int(np.argmax(bad.reshape(-1)))
            idx = np.unravel_index(k, ref.shape) if ref.shape else ()
            raise _Failed(f"output {vo.name!r}: {int(bad.sum())}/{ref.size} elements differ, first at {tuple(map(int, idx))}: "
                          f"expected {ref.reshape(-1)[k]!r}, got {out.reshape(-1)[k]!r}") from None


def run_one(task: tuple[str, str, dict[str, str], float, float]) -> Result:
    """Compile, build for the host, run and compare one test (in a worker process)."""
    name, case_dir_s, objs_s, rtol, atol = task
    case_dir = Path(case_dir_s)
    objs = {k: Path(v) for k, v in objs_s.items()}
    t0 = time.monotonic()
    from toolchain.build import build, compile_model
    from toolchain.errors import MlcError

    real = False

    def done(status: str, detail: str = "") -> Result:
        return Result(name, status, _one_line(detail, case_dir), round(time.monotonic() - t0, 3), real)

    try:
        compiled = compile_model(case_dir / "model.onnx")
    except MlcError as exc:
        return done("rejected", str(exc))
    except Exception as exc:  # noqa: BLE001 - any other exception is a toolchain bug
        return done("failed", f"internal error in compile_model: {type(exc).__name__}: {exc}")
    try:
        out = case_dir / "out"
        try:
            artifact = _fast_build(compiled, out, objs)
        except _Failed:
            raise
        except Exception:  # noqa: BLE001 - the real build decides
            shutil.rmtree(out, ignore_errors=True)
            real = True
            try:
                from toolchain.boards import load_board

                artifact = build(case_dir / "model.onnx", load_board("host"), out, compiled=compiled).artifact
            except MlcError as exc:
                msg = str(exc)
                kind = "C build failed" if "building the generated project failed" in msg else "rejected after code generation"
                raise _Failed(f"{kind}: {msg}") from None
        got = _host_outputs(compiled, artifact, case_dir)
        _compare(got, case_dir, rtol, atol)
    except _Failed as exc:
        return done("failed", str(exc))
    except MlcError as exc:
        return done("failed", f"after code generation: {exc}")
    except Exception as exc:  # noqa: BLE001
        return done("failed", f"crash: {type(exc).__name__}: {exc}")
    return done("passed")


# ---- the whole run ------------------------------------------------------------------------------


@dataclass
class Report:
    tests: dict[str, NodeTest]
    results: dict[str, Result]
    onnx_version: str = onnx.__version__
    opset: int = field(default_factory=onnx.defs.onnx_opset_version)
    seconds: float = 0.0

    def counts(self, float32_only: bool = False) -> Counter:
        return Counter(r.status for n, r in self.results.items() if self.tests[n].float32 or not float32_only)

    def by_status(self, status: str) -> list[Result]:
        return [self.results[n] for n in sorted(self.results) if self.results[n].status == status]


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def run(jobs: int | None = None, work: Path | None = None, match: str | None = None, quiet: bool = True) -> Report:
    """Generate, select and run the node tests; `work` keeps the generated tests and builds."""
    jobs = jobs or default_jobs()
    t0 = time.monotonic()
    cases, meta = collect(listed_ops(), match)
    tmp = None
    if work is None:
        tmp = tempfile.TemporaryDirectory(prefix="mlc-conformance-")
        work = Path(tmp.name)
    try:
        cases_root = work / "node"
        if cases_root.exists():
            shutil.rmtree(cases_root)
        dirs = {c.name: write_case(c, cases_root) for c in cases}
        objs = {k: str(v) for k, v in compile_kernels(work / "kernels", jobs).items()}
        tasks = [(n, str(d), objs, meta[n].rtol, meta[n].atol) for n, d in dirs.items()]
        results: dict[str, Result] = {}
        ctx = multiprocessing.get_context("spawn")  # no fork: the caller may be threaded (pytest-xdist)
        with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = {pool.submit(run_one, t): t[0] for t in tasks}
            for fut in cf.as_completed(futures):
                name = futures[fut]
                try:
                    results[name] = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker died
                    results[name] = Result(name, "failed", f"worker died: {type(exc).__name__}: {exc}")
                if not quiet:
                    r = results[name]
                    mark = {"passed": ".", "rejected": "r", "failed": "F"}[r.status]
                    print(mark, end="" if len(results) % 80 else "\n", file=sys.stderr, flush=True)
        if not quiet:
            print(file=sys.stderr)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return Report(meta, results, seconds=time.monotonic() - t0)


# ---- the report ---------------------------------------------------------------------------------


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "-"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def summary_lines(rep: Report) -> list[str]:
    rows = []
    for label, f32 in (("all selected node tests", False), ("float32 node tests", True)):
        c = rep.counts(f32)
        total = sum(c.values())
        rows.append(f"{label}: {total} tests, {c['passed']} passed ({_pct(c['passed'], total)}), "
                    f"{c['rejected']} rejected, {c['failed']} FAILED")
    return rows


def markdown(rep: Report) -> str:
    ops = sorted({t.op for t in rep.tests.values()})
    lines = [
        "# ONNX conformance: backend node tests",
        "",
        "Generated by `" + COMMAND + "`; do not edit by hand.",
        "",
        f"The node tests of onnx {rep.onnx_version} (opset {rep.opset}) whose operators are all listed by "
        "`mlc ops` (Constant nodes count as listed), each compiled for the host, run on "
        "`test_data_set_0` and compared with the expected outputs as ONNX's backend runner does "
        "(same shape and dtype, `numpy.testing.assert_allclose` with rtol 1e-3, atol 1e-7).",
        "**Rejected**: `compile_model` (everything before code generation) refused the model with an `MlcError`; "
        "the reason is its message. **FAILED**: anything else (wrong result, crash, C build failure, "
        "runner failure, a refusal after code generation). A *float32 node test* has only float32 graph "
        "inputs and outputs.",
        "",
        "| tests | total | passed | rejected | FAILED | passed share |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, f32 in (("all", False), ("float32", True)):
        c = rep.counts(f32)
        total = sum(c.values())
        lines.append(f"| {label} | {total} | {c['passed']} | {c['rejected']} | {c['failed']} | {_pct(c['passed'], total)} |")
    lines += ["", "## Per operator", "",
              "Tests are grouped by the operator ONNX wrote them for; *(expanded)* marks the function body of "
              "an operator mlc does not list, built from listed ones.", "",
              "| operator | tests | passed | rejected | FAILED | float32 tests | float32 passed |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for op in ops:
        names = [n for n, t in rep.tests.items() if t.op == op]
        c = Counter(rep.results[n].status for n in names)
        f = [n for n in names if rep.tests[n].float32]
        fp = sum(1 for n in f if rep.results[n].status == "passed")
        lines.append(f"| {op} | {len(names)} | {c['passed']} | {c['rejected']} | {c['failed']} | {len(f)} | {fp} |")
    lines += ["", "## FAILED", ""]
    failed = rep.by_status("failed")
    for r in failed:
        tag = "" if rep.tests[r.name].float32 else ", not float32"
        lines.append(f"- `{r.name}` ({rep.tests[r.name].op}{tag}): {_md(r.detail)}")
    if not failed:
        lines.append("None.")
    lines += ["", "## Rejected", "", "By operator and reason; tests marked * are not float32 node tests.", ""]
    rejected = rep.by_status("rejected")
    for op in ops:
        reasons: dict[str, list[str]] = {}
        for r in rejected:
            if rep.tests[r.name].op == op:
                reasons.setdefault(r.detail, []).append(f"`{r.name}`" + ("" if rep.tests[r.name].float32 else "*"))
        if reasons:
            lines.append(f"- **{op}**")
            lines += [f"  - {_md(reason)}: {', '.join(names)}" for reason, names in sorted(reasons.items())]
    if not rejected:
        lines.append("None.")
    lines += ["", "## Passed", ""]
    for op in ops:
        names = [f"`{r.name}`" for r in rep.by_status("passed") if rep.tests[r.name].op == op]
        if names:
            lines.append(f"- **{op}**: {', '.join(names)}")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.conformance.runner", description=__doc__.splitlines()[0])
    ap.add_argument("--out", help=f"write the markdown report here (e.g. {DEFAULT_OUT})")
    ap.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--work", type=Path, help="keep the generated tests and builds in this folder")
    ap.add_argument("-k", dest="match", help="only tests whose name contains this")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)
    rep = run(args.jobs, args.work, args.match, quiet=args.quiet)
    for line in summary_lines(rep):
        print(line)
    for r in rep.by_status("failed"):
        print(f"FAILED {r.name} [{rep.tests[r.name].op}]: {r.detail}")
    real = sum(1 for r in rep.results.values() if r.real_build)
    print(f"{len(rep.results)} tests in {rep.seconds:.1f} s" + (f" ({real} needed the real build)" if real else ""))
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown(rep))
        print(f"wrote {out}")
    return 1 if rep.counts()["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
