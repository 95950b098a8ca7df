"""The top-level SConstruct builds the whole C runtime for the host with strict warnings."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import ROOT


def test_runtime_builds_with_the_top_level_sconstruct(tmp_path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "runtime_c", repo / "runtime_c")
    shutil.copyfile(ROOT / "SConstruct", repo / "SConstruct")
    proc = subprocess.run([sys.executable, "-m", "SCons", "-Q"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo / "build" / "host" / "libmlc_runtime.a").is_file()
