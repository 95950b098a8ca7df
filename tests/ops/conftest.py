"""The `ops` fixture: runs per-operator cases batched (see tests/ops/util.py)."""

from __future__ import annotations

import os

import pytest

from tests.ops.util import Runner


@pytest.fixture(scope="session")
def ops_root(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    # xdist workers have basetemp <run>/popen-gwN: share <run>/ops-batches between them.
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "ops-batches"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture
def ops(ops_root, tmp_path) -> Runner:
    return Runner(ops_root, tmp_path)
