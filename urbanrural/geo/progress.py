"""Progress bars for long steps: tqdm on stderr with an ETA, silent under ``-q`` and when
stderr is not a terminal (logs and CI stay clean); warnings are logged either way.

Examples
--------
>>> sum(progress(range(3), desc="demo"))
3
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
logger = logging.getLogger("urbanrural")

__all__ = ["progress"]


def _enabled() -> bool:
    """Bars only at INFO verbosity (not ``-q``) and on an interactive stderr."""
    return logger.getEffectiveLevel() <= logging.INFO and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def progress(items: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate ``items`` with a progress bar (``desc``, count, rate and ETA) on stderr."""
    if not _enabled():
        yield from items
        return
    from tqdm import tqdm

    with tqdm(items, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True) as bar:
        yield from bar
