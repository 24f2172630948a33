"""Where to build next: facility siting on the accessibility engine (METHODS.md, Siting).

Input everywhere: an OD table (``origin``, ``destination``, ``cost`` in minutes) between
demand points (origins; e.g. populated cells) and candidate or existing sites
(destinations), as the accessibility step builds it, plus demand weights per origin.

- :mod:`.models`: MCLP, p-median, LSCP, p-center (exact MILP with HiGHS; heuristics with
  a reported bound), existing sites kept open, capacities, per-site costs with a budget;
- :mod:`.candidates`: candidate sites (settlements, unit centroids, a grid over populated
  cells, a file) and constraint layers that exclude or restrict them, counted;
- :mod:`.evaluate`: coverage and travel time before/after by urban/rural class, the
  marginal gain of each extra site.

Names are imported on first use.
"""

from __future__ import annotations

from ..._lazy import lazy_names

_WHERE = {
    "mclp": "models", "p_median": "models", "lscp": "models", "p_center": "models",
    "SitingResult": "models", "curve": "models",
    "candidate_sites": "candidates", "apply_constraints": "candidates", "Candidates": "candidates",
    "demand_weights": "candidates", "point_classes": "candidates",
    "before_after": "evaluate", "marginal_gain": "evaluate", "newly_covered": "evaluate",
    "nearest_minutes": "evaluate",
}
__getattr__, __dir__, __all__ = lazy_names(__name__, _WHERE)
