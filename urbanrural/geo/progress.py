"""Progress bars for long steps: tqdm on stderr with an ETA, silent under ``-q`` and when
stderr is not a terminal (logs and CI stay clean); warnings are logged either way.

Two forms: :func:`progress` wraps an iterable (one tick per item), :func:`progress_bar`
is a context manager whose bar the caller moves itself (``bar.update(n)``: blocks of
different sizes counted in units, cells or permutations; ``bar.set_postfix_str(s)``: the
stage a job is in).  Both take ``show=``: callers pass ``show=work >= threshold`` so that
small jobs, which finish before a bar could say anything, stay silent.  With
``total=None`` the bar is indeterminate: a count, the elapsed time and a rate, no ETA.

Examples
--------
>>> sum(progress(range(3), desc="demo"))
3
>>> with progress_bar(desc="demo", total=10, unit="cell") as bar:
...     bar.update(4); bar.update(6)
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

T = TypeVar("T")
logger = logging.getLogger("urbanrural")

__all__ = ["progress", "progress_bar", "Bar"]


class Bar(Protocol):
    """What :func:`progress_bar` yields: a tqdm bar, or a no-op stand-in when hidden."""

    def update(self, n: float = 1) -> object: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None: ...


class _NoBar:
    """The silent bar: every call does nothing."""

    def update(self, n: float = 1) -> None:
        return None

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        return None


def _enabled() -> bool:
    """Bars only at INFO verbosity (not ``-q``) and on an interactive stderr."""
    return logger.getEffectiveLevel() <= logging.INFO and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def _tqdm(items: Iterable[T] | None, *, desc: str, total: float | None, unit: str):
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)


def progress(items: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it",
             show: bool = True) -> Iterator[T]:
    """Iterate ``items`` with a progress bar (``desc``, count, rate and ETA) on stderr.

    Parameters
    ----------
    items : iterable
    desc : str
        What is being done ("accessibility", "zonal pop.tif").
    total : int, optional
        Number of items when ``items`` has no length (a generator); without it the bar
        shows a count and the elapsed time, no ETA.
    unit : str
        What one item is ("category", "block").
    show : bool
        False keeps the bar hidden whatever the verbosity (a job too small to need one).
    """
    if not (show and _enabled()):
        yield from items
        return
    with _tqdm(items, desc=desc, total=total, unit=unit) as bar:
        yield from bar


@contextmanager
def progress_bar(*, desc: str, total: float | None = None, unit: str = "it", show: bool = True) -> Iterator[Bar]:
    """A bar on stderr that the caller advances with ``bar.update(n)``.

    Parameters
    ----------
    desc : str
    total : float, optional
        The whole job in ``unit`` (e.g. units, cells, stages); None: indeterminate (count
        and elapsed time).
    unit : str
    show : bool
        False gives the silent bar (small jobs).

    Yields
    ------
    Bar
        ``update(n)`` and ``set_postfix_str(text)``; a no-op under ``-q``, off a terminal
        or with ``show=False``.
    """
    if not (show and _enabled()):
        yield _NoBar()
        return
    with _tqdm(None, desc=desc, total=total, unit=unit) as bar:
        yield bar
