"""Locate data shipped with the package (templates, boards, runtime_c), from a checkout or an install."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """`name` is one of "templates", "boards", "runtime_c".

    An installed wheel carries them under toolchain/_data/; a checkout keeps them at the repo top.
    """
    for base in (_PKG / "_data", _PKG.parent):
        path = base / name
        if path.is_dir():
            return path
    raise FileNotFoundError(f"mlc data folder {name!r} not found beside {_PKG}; reinstall mlc")
