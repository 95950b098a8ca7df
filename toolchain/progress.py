"""Progress bars (tqdm) that stay quiet when stderr is not a terminal or when asked."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None = None, desc: str = "", quiet: bool = False) -> Iterator[T]:
    if quiet or not sys.stderr.isatty() or (total is not None and total < 2):
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, leave=False, file=sys.stderr)
