"""`mlc inspect` and the build reports (OUT/report.md, OUT/memory.svg)."""

from __future__ import annotations

import json
import sys
import time

import pytest

from tests.conftest import MODELS, requires_shared
from tests.unit.test_errors import assert_clean_failure, mlc
from toolchain.boards import load_board
from toolchain.build import build, compile_model
from toolchain.cli import main
from toolchain.inspect_model import inspect_compiled, inspect_model, render_markdown

pytestmark = requires_shared()

DIGITS = MODELS / "digits_cnn.onnx"
KWS = MODELS / "bench" / "kws_dscnn.onnx"
VWW = MODELS / "bench" / "vww_mobilenet025.onnx"


def test_inspect_table_and_totals(capsys) -> None:
    assert main(["inspect", str(DIGITS), "--board", "cortex-m4"]) == 0
    out = capsys.readouterr().out
    macs = compile_model(DIGITS).program.macs
    for text in ("/0/Conv", "Conv", "1x1x8x8", "1x16x8x8", "Relu", "Flatten (view)", f"MACs: {macs}",
                 "lower bound", "fits cortex-m4: yes"):
        assert text in out, text


def test_inspect_numbers_agree_with_the_compiler() -> None:
    c = compile_model(VWW)
    ins = inspect_compiled(c, load_board("cortex-m4"))
    p = c.program
    assert ins.macs == p.macs == sum(r.macs for r in ins.layers)
    assert ins.weight_bytes == p.const_bytes
    assert ins.arena_bytes == p.arena_size and ins.lower_bound_bytes == p.lower_bound
    assert max(r.live_bytes for r in ins.layers) <= ins.lower_bound_bytes  # graph I/O adds the rest, if any
    assert len(ins.layers) == len(c.graph.nodes)
    for row in ins.layers:
        out = row.outputs[0].name
        if row.out_offset is not None:
            assert row.out_offset == p.offsets[out]
            assert row.out_offset + row.out_bytes <= ins.arena_bytes
    # Buffers live at the same step never overlap in the arena.
    for a in ins.buffers:
        for b in ins.buffers:
            if a is not b and a.start <= b.end and b.start <= a.end:
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)


def test_inspect_does_not_fit_names_the_largest_layers(capsys) -> None:
    assert main(["inspect", str(KWS), "--board", "cortex-m0"]) == 0
    out = capsys.readouterr().out
    assert "fits cortex-m0: NO" in out and "RAM" in out
    ins = inspect_model(KWS, load_board("cortex-m0"))
    assert not ins.fits and len(ins.largest) == 3
    worst = max(r.activation_bytes for r in ins.layers)
    assert {r.activation_bytes for r in ins.layers if r.name == ins.largest[0]} == {worst}
    assert ", ".join(ins.largest) in out


def test_inspect_json(tmp_path, capsys) -> None:
    assert main(["inspect", str(DIGITS), "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "digits_cnn.onnx" and data["board"] == "host" and data["fits"] is True
    assert data["macs"] == compile_model(DIGITS).program.macs and len(data["layers"]) == 6
    assert main(["inspect", str(DIGITS), "--json", str(tmp_path / "i.json")]) == 0
    assert "MACs" in capsys.readouterr().out
    assert json.loads((tmp_path / "i.json").read_text()) == data


def test_inspect_is_fast() -> None:
    inspect_model(VWW, load_board("host"))  # imports warm
    start = time.monotonic()
    inspect_model(VWW, load_board("host"))
    assert time.monotonic() - start < 2.0


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_inspect_plot_is_deterministic(tmp_path, suffix: str) -> None:
    pytest.importorskip("matplotlib")
    a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    assert main(["inspect", str(DIGITS), "--plot", str(a)]) == 0
    assert main(["inspect", str(DIGITS), "--plot", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 1000
    if suffix == ".svg":
        assert "<dc:date>" not in a.read_text()


def test_inspect_plot_bad_suffix(tmp_path) -> None:
    proc = mlc(tmp_path, "inspect", DIGITS, "--plot", tmp_path / "memory.pdf")
    line = assert_clean_failure(proc, tmp_path, leftovers=("memory.pdf",))
    assert "--plot" in line and ".svg" in line


def test_inspect_unknown_board(tmp_path) -> None:
    proc = mlc(tmp_path, "inspect", DIGITS, "--board", "no-such-board")
    line = assert_clean_failure(proc, tmp_path)
    assert "no-such-board" in line


def test_plot_without_matplotlib(tmp_path, monkeypatch, capsys) -> None:
    """matplotlib is optional: --plot says how to install it; mlc build still writes report.md."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert main(["inspect", str(DIGITS), "--plot", str(tmp_path / "m.svg")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "matplotlib" in err[0] and "mlc[plot]" in err[0]
    res = build(DIGITS, load_board("host"), tmp_path / "out")
    report = (res.out / "report.md").read_text()
    assert "/0/Conv" in report and "memory.svg" not in report and not (res.out / "memory.svg").exists()


def test_build_reports_are_deterministic(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    board = load_board("host")
    a = build(DIGITS, board, tmp_path / "a").out
    b = build(DIGITS, board, tmp_path / "b").out
    for name in ("report.md", "memory.svg", "manifest.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    report = (a / "report.md").read_text()
    assert "![arena use over time](memory.svg)" in report
    assert "| /0/Conv | Conv |" in report and "## Totals" in report and "(measured)" in report
    svg = (a / "memory.svg").read_text()
    assert "<dc:date>" not in svg and svg.startswith("<?xml")


def test_report_matches_inspect_table() -> None:
    c = compile_model(DIGITS)
    md = render_markdown(inspect_compiled(c, load_board("host")))
    assert md.count("\n| ") == 1 + len(c.graph.nodes)  # header + one row per layer


def test_inspect_ic_resnet8_picture_shows_every_tensor_at_its_planned_offset(tmp_path, capsys) -> None:
    """Issue 7 acceptance: the table is printed and every tensor of the manifest is drawn at its offset."""
    pytest.importorskip("matplotlib")
    import re

    model = MODELS / "bench" / "ic_resnet8.onnx"
    svg = tmp_path / "memory.svg"
    assert main(["inspect", str(model), "--board", "cortex-m4", "--plot", str(svg)]) == 0
    out = capsys.readouterr().out
    assert "Conv" in out and "Add" in out and "lower bound" in out
    drawn = [(int(m[1]), int(m[2])) for m in re.finditer(r'id="mlc-buffer offset=(\d+) size=(\d+)', svg.read_text())]
    assert drawn
    res = build(model, load_board("host"), tmp_path / "out")
    tensors = json.loads((res.out / "manifest.json").read_text())["tensors"]
    for name, t in tensors.items():
        assert any(off == t["offset"] and size >= t["bytes"] for off, size in drawn), f"{name} not drawn at {t}"
