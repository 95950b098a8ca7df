"""ONNX backend node tests of every operator `mlc ops` lists (see tests/conformance/runner.py).

The tests are generated into a temporary folder and removed afterwards; nothing is written into the
checkout. `python -m tests.conformance.runner --out docs/conformance.md` writes the full report.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conformance import runner

# Share of the float32 node tests (all graph inputs and outputs float32) that must pass.
MIN_FLOAT32_PASSED = 0.95


@pytest.fixture(scope="module")
def report() -> runner.Report:
    return runner.run(runner.default_jobs())


def test_node_tests_were_selected(report: runner.Report) -> None:
    assert report.counts(float32_only=True).total() > 0, "no ONNX node test uses only listed operators"


def test_no_failures(report: runner.Report) -> None:
    failed = report.by_status("failed")
    lines = [f"{r.name} [{report.tests[r.name].op}]: {r.detail}" for r in failed]
    assert not failed, f"{len(failed)} node tests FAILED:\n" + "\n".join(lines)


def test_float32_pass_share(report: runner.Report) -> None:
    c = report.counts(float32_only=True)
    total = c.total()
    share = c["passed"] / total
    why = Counter(f"{report.tests[n].op}: {r.status}: {r.detail}" for n, r in report.results.items()
                  if report.tests[n].float32 and r.status != "passed")
    top = [f"{k} tests  {reason}" for reason, k in sorted(why.items(), key=lambda kv: (-kv[1], kv[0]))[:25]]
    assert share >= MIN_FLOAT32_PASSED, (
        f"{c['passed']} of {total} float32 node tests passed ({share:.1%} < {MIN_FLOAT32_PASSED:.0%}); "
        + "; ".join(runner.summary_lines(report)) + "\nmost common reasons:\n" + "\n".join(top))


def test_report_renders(report: runner.Report) -> None:
    text = runner.markdown(report)
    assert runner.COMMAND in text
    assert text == runner.markdown(report)  # deterministic for the same results
    assert "mlc-conformance-" not in text
