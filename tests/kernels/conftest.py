import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mlc_kernels_ctypes as mk  # noqa: E402


@pytest.fixture(scope="session")
def lib(tmp_path_factory):
    """The reference kernels compiled once per session with host gcc into a ctypes-loaded .so."""
    return mk.load(mk.build(tmp_path_factory.mktemp("mlc_ref_f32")))
