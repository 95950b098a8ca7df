"""LLVM backend vs C backend on the shared float models: every model on the host, a subset on each
emulated Cortex-M board and on both Cortex-A boards (QEMU user mode)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FLOAT_MODELS, MODELS, requires_shared
from tests.llvm.util import assert_same, c_and_llvm, model_inputs, needs_tools

pytestmark = requires_shared()

SUBSET = ["digits_cnn.onnx", "bench/kws_dscnn.onnx", "bench/ic_resnet8.onnx"]
BOARDS = ["cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55", "cortex-a53", "cortex-a7"]


@pytest.mark.parametrize("rel", sorted(FLOAT_MODELS))
def test_every_float_model_on_host(rel: str, tmp_path: Path) -> None:
    outs = c_and_llvm(MODELS / rel, "host", model_inputs(rel, 4), tmp_path, FLOAT_MODELS[rel])
    assert_same(outs, f"{rel} on host")


@pytest.mark.parametrize("board", [pytest.param(b, marks=needs_tools(b)) for b in BOARDS])
@pytest.mark.parametrize("rel", SUBSET)
def test_subset_on_boards(rel: str, board: str, tmp_path: Path) -> None:
    # Few samples: emulation is slow and one inference already exercises every layer.
    count = 2 if rel.startswith("digits") else 1
    outs = c_and_llvm(MODELS / rel, board, model_inputs(rel, count), tmp_path, FLOAT_MODELS[rel])
    assert_same(outs, f"{rel} on {board}")
