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


class Stages:
    """A one-line indicator of named stages (import, C build, ...) on a terminal; silent otherwise."""

    def __init__(self, names: list[str], desc: str = "", quiet: bool = False) -> None:
        self._bar = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=len(names), desc=desc, leave=False, file=sys.stderr,
                             bar_format="{desc} [{n_fmt}/{total_fmt}] {postfix}")
        self._started = False

    def step(self, name: str) -> None:
        if self._bar is None:
            return
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_postfix_str(name)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
