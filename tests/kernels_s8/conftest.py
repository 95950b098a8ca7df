import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mlc_s8_ctypes as mk  # noqa: E402


@pytest.fixture(scope="session")
def lib8(tmp_path_factory):
    """The int8 reference kernels and the requant shim compiled once per session into a ctypes .so."""
    return mk.load(mk.build(tmp_path_factory.mktemp("mlc_ref_s8")))
