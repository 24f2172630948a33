"""Reading and checking the inputs; the StudyArea; demo data.

Examples
--------
>>> import urbanrural as ur
>>> callable(ur.layers.read_units)
True
"""

from __future__ import annotations

import importlib

from .info import info
from .population import Population, read_population
from .readers import (
    read_facilities,
    read_flows,
    read_indicators,
    read_roads,
    read_table,
    read_units,
    read_vector,
)
from .study_area import StudyArea

_LAZY = {"numbers": ("numbers", None), "parse_numeric": ("numbers", "parse_numeric"),
         "pois": ("pois", None), "read_pois": ("pois", "read_pois"),
         "yearbook": ("yearbook", None), "read_yearbook": ("yearbook", "read_yearbook"),
         "YearbookTable": ("yearbook", "YearbookTable"), "osm": ("osm", None),
         "demo_region": ("demo", "demo_region"), "load_example": ("datasets", "load_example"),
         "china": ("china", None), "demo": ("demo", None), "datasets": ("datasets", None)}


def __getattr__(name: str):
    if name in _LAZY:
        mod, attr = _LAZY[name]
        m = importlib.import_module(f".{mod}", __name__)
        return m if attr is None else getattr(m, attr)
    raise AttributeError(f"module 'urbanrural.layers' has no attribute {name!r}")


__all__ = [
    "info",
    "Population",
    "read_population",
    "read_units",
    "read_facilities",
    "read_roads",
    "read_indicators",
    "read_flows",
    "read_table",
    "read_vector",
    "StudyArea",
    "demo_region",
    "load_example",
    "china",
    "numbers",
    "parse_numeric",
    "pois",
    "read_pois",
    "yearbook",
    "read_yearbook",
    "YearbookTable",
    "osm",
]
