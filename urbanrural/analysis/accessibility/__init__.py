"""Accessibility: travel-time engines, one sparse OD table, floating-catchment measures.

Engines return a long-form OD table (``origin``, ``destination``, ``cost`` in minutes):
:mod:`.network` (road graph, scipy.sparse.csgraph), :mod:`.friction` (friction surface,
8-neighbour cost distance; water and penalty grids from :mod:`.barriers`) and
:mod:`.euclidean` (straight line with a circuity factor). Measures on an OD table follow
pysal ``access`` (:mod:`.fca`; RAAM in :mod:`.raam`, with a convergence stop); decay functions
live in :mod:`.decay`; planners' indicators in :mod:`.coverage`; demand points in
:mod:`.demand`.

Examples
--------
>>> import pandas as pd
>>> import urbanrural as ur
>>> od = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["h", "k", "h"], "cost": [5.0, 20.0, 12.0]})
>>> ur.analysis.accessibility.nearest(od).to_dict()
{'a': 5.0, 'b': 12.0}
"""

from __future__ import annotations

from ..._lazy import lazy_submodules
from . import decay
from .fca import (
    cumulative,
    enhanced_two_step_fca,
    gaussian_two_step_fca,
    gravity,
    nearest,
    three_step_fca,
    two_step_fca,
)

_LAZY = ("network", "euclidean", "demand", "coverage", "friction", "barriers", "raam")
_getattr, _dir = lazy_submodules(__name__, _LAZY)


def __getattr__(name: str):
    return _getattr(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_dir()))


__all__ = ["decay", "nearest", "cumulative", "gravity", "two_step_fca", "enhanced_two_step_fca",
           "gaussian_two_step_fca", "three_step_fca", *_LAZY]
