"""Travel time over a tiled friction surface, and nearest facilities over origin partitions, on dask.

Scale-out at the edge (ARCHITECTURE "Scale"): the science is the one friction Dijkstra
(:mod:`._friction_kernel`, the kernel of :func:`.friction.travel_time`) and the one
straight-line rule (:func:`.euclidean.nearest_minutes`); this module only cuts the work
into pieces, runs each piece as a dask task on whatever scheduler is active (or in this
process), and merges. The results equal the single-piece functions (tested).

:func:`travel_time_tiled`
    The grid is cut into ``tile`` x ``tile`` cores; each tile searches its core plus a
    ``halo`` of cells around it. Round 1 runs every tile holding a facility in its window;
    each run writes the minutes of its core into the global grid. A tile runs again when
    a cell of its window got lower than its own last result (a neighbour's core improved
    its halo); it then lowers its last result from those cells only (an incremental
    Dijkstra), so later rounds cost little. Rounds repeat until no window changes. Every
    minute value is the float sum along some path, a tile run never raises a value, and
    at the end every edge (it lies inside some window) is relaxed, so the grid is the
    single-surface least-cost grid exactly: the same float64 minutes (0 difference, not
    just 1e-9) and the same ``inf`` cells. With ``max_cost``, the default halo is the
    number of cells the fastest cell can cross in ``max_cost`` (capped at the tile), so
    one round usually settles everything and the second only confirms it.
:func:`nearest_minutes_partitioned`
    Origins in ``partitions`` contiguous blocks, the facilities sent once to every
    worker, :func:`.euclidean.nearest_minutes` on each block; concatenated in order.
:func:`two_step_fca_partitioned`
    2SFCA on straight-line times over the same origin blocks in two passes: each block's
    demand per facility (summed over the blocks in order), then each block's sum of
    supply ratios; equal to :func:`.fca.two_step_fca` on :func:`.euclidean.od_table` up to
    the order of the float summation (1e-12 relative).

``scheduler``: ``None`` (default) runs the pieces in this process, one after another;
``"dask"`` builds dask tasks and computes them with the active dask scheduler (the run's
LocalCluster or cluster address when the pipeline set one up, else dask's default
threads); ``"synchronous"``, ``"threads"`` or ``"processes"`` name a local dask
scheduler. A distributed client receives the friction tiles once (``scatter``), not each
round.

Examples
--------
>>> import numpy as np
>>> from rasterio.transform import from_origin
>>> from urbanrural.analysis.accessibility.friction import friction_surface, travel_time
>>> s = friction_surface(None, transform=from_origin(0, 1000, 100, 100), shape=(10, 10), off_road_kmh=6)
>>> fac = np.array([[50.0, 950.0], [850.0, 150.0]])
>>> tiled = travel_time_tiled(s, fac, tile=4, halo=1)
>>> bool(np.array_equal(tiled, travel_time(s, fac)))
True
>>> nearest_minutes_partitioned(np.array([[0.0, 0.0], [3000.0, 0.0]]), np.array([[0.0, 4000.0]]),
...                             partitions=2, speed_kmh=60, circuity=1.0).tolist()
[4.0, 5.0]
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...geo.crs import require_projected
from ...geo.errors import DataError, MissingDependencyError
from ...geo.registry import check_choice
from .demand import points_xy
from .euclidean import minutes_per_metre, nearest_minutes, od_table
from .friction import FrictionSurface

__all__ = ["travel_time_tiled", "nearest_minutes_partitioned", "two_step_fca_partitioned", "TiledStats",
           "SCHEDULERS"]

logger = logging.getLogger("urbanrural")
SCHEDULERS = ("dask", "synchronous", "threads", "processes")


@dataclass
class TiledStats:
    """What :func:`travel_time_tiled` did: tiles, halo (cells), rounds and tile runs."""

    tiles: int = 0
    halo: int = 0
    rounds: int = 0
    runs: int = 0


# --------------------------------------------------------------------------- executor
def _check_scheduler(scheduler: str | None) -> None:
    if scheduler is not None:
        check_choice(scheduler, SCHEDULERS, what="scheduler")


def _dask() -> Any:
    try:
        import dask
    except ImportError as e:  # pragma: no cover - dask is in the scale extra
        raise MissingDependencyError("scheduler= needs dask; install the scale extra: pip install "
                                     "'urbanrural[scale]' (or leave scheduler=None)") from e
    return dask


def _client(scheduler: str | None) -> Any:
    """The active distributed client when ``scheduler="dask"`` and one is set up, else None."""
    if scheduler != "dask":
        return None
    from ...geo.cluster import active_client

    return active_client()


def _compute(fn: Callable, calls: Sequence[tuple], scheduler: str | None) -> list:
    """``[fn(*args) for args in calls]``: in this process, or as dask tasks on ``scheduler``."""
    if scheduler is None:
        return [fn(*args) for args in calls]
    dask = _dask()
    task = dask.delayed(fn, pure=False)  # no hashing of the (large) tile arrays for task names
    return list(dask.compute(*[task(*args) for args in calls], scheduler=None if scheduler == "dask" else scheduler))


# --------------------------------------------------------------------------- tiled travel time
def _tile_run(cost: NDArray[np.float64], last: NDArray[np.float64] | None, seen: NDArray[np.float64], sy: float,
              sx: float, limit: float) -> NDArray[np.float64]:
    """One tile's search: its last result lowered where the global grid (``seen``) is lower."""
    from ._friction_kernel import improve

    if last is None:
        last = np.full(cost.shape, np.inf)
    return improve(cost, last, seen, sy, sx, limit)


def _facility_cells(surface: FrictionSurface, facilities: object) -> tuple[NDArray[np.int64], int]:
    """Flat cell numbers of the facilities inside the grid (as friction.travel_time), and the count outside."""
    xy, _ = points_xy(facilities, name="facilities", crs=surface.crs)
    rows, cols = surface.shape
    c, r = (~surface.transform) * (xy[:, 0], xy[:, 1])
    r, c = np.floor(np.asarray(r)).astype(np.int64), np.floor(np.asarray(c)).astype(np.int64)
    inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
    return np.unique(r[inside] * cols + c[inside]), int((~inside).sum())


def _default_halo(surface: FrictionSurface, tile: int, limit: float) -> int:
    if not np.isfinite(limit):
        return max(1, tile // 8)
    f = surface.minutes_per_m
    ok = np.isfinite(f) & (f > 0)
    if not ok.any():
        return 1
    reach = limit / (float(f[ok].min()) * min(surface.cell_size))  # cells the fastest cell crosses in max_cost
    return int(max(1, min(tile, math.ceil(reach) + 1)))


def travel_time_tiled(surface: FrictionSurface, facilities: object, *, tile: int = 2048, halo: int | None = None,
                      max_cost: float | None = None, scheduler: str | None = None,
                      stats: TiledStats | None = None) -> NDArray[np.float64]:
    """Minutes to the nearest facility, computed tile by tile; equal to :func:`.friction.travel_time`.

    Parameters
    ----------
    surface : FrictionSurface
    facilities
        Points: (n, 2) array, DataFrame with ``x``/``y`` or GeoDataFrame in the grid's CRS;
        those outside the grid are left out (logged), as in :func:`.friction.travel_time`.
    tile : int, default 2048
        Core size in cells (a 2048 x 2048 window of float64 is 32 MB per array).
    halo : int, optional
        Cells searched around each core (>= 1). Default: with ``max_cost``, the distance
        the fastest cell covers in ``max_cost`` (at most ``tile``); else ``tile // 8``.
        Any halo gives the same result; a wider one needs fewer rounds.
    max_cost : float, optional
        Stop at this many minutes (cells beyond get ``inf``).
    scheduler : {None, "dask", "synchronous", "threads", "processes"}
        None: tiles run in this process; "dask": dask tasks on the active scheduler (a
        distributed client gets the friction tiles once); or a named local scheduler.
    stats : TiledStats, optional
        Filled with the tiles, halo, rounds and tile runs.

    Returns
    -------
    ndarray
        (rows, cols) float64 minutes, ``inf`` where no facility is reachable.

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> from urbanrural.analysis.accessibility.friction import friction_surface
    >>> s = friction_surface(None, transform=from_origin(0, 300, 100, 100), shape=(3, 9), off_road_kmh=6)
    >>> info = TiledStats()
    >>> travel_time_tiled(s, np.array([[50.0, 150.0]]), tile=3, halo=1, stats=info)[1].round(1).tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    >>> info.tiles, info.rounds > 1
    (3, True)
    """
    problems = []
    if not (isinstance(tile, (int, np.integer)) and tile >= 1):
        problems.append(f"tile must be a whole number of cells >= 1; got {tile!r}")
    if halo is not None and not (isinstance(halo, (int, np.integer)) and halo >= 1):
        problems.append(f"halo must be a whole number of cells >= 1 (a tile must see its neighbours); got {halo!r}")
    limit = np.inf if max_cost is None else float(max_cost)
    if not limit > 0:
        problems.append(f"max_cost must be positive minutes; got {max_cost!r}")
    if problems:
        raise DataError("; ".join(problems))
    _check_scheduler(scheduler)
    tile = int(tile)
    h = int(halo) if halo is not None else _default_halo(surface, tile, limit)
    info = stats if stats is not None else TiledStats()
    rows, cols = surface.shape
    starts, outside = _facility_cells(surface, facilities)
    if outside:
        logger.warning(f"{outside} facilit(y/ies) outside the friction grid were left out")
    grid = np.full((rows, cols), np.inf)
    grid.flat[starts] = 0.0
    sy, sx = (float(v) for v in surface.cell_size)
    cost = np.ascontiguousarray(surface.minutes_per_m, dtype=np.float64)
    # tiles: core (r0, r1, c0, c1) and window (wr0, wr1, wc0, wc1)
    cores = [(r0, min(r0 + tile, rows), c0, min(c0 + tile, cols)) for r0 in range(0, rows, tile)
             for c0 in range(0, cols, tile)]
    wins = [(max(0, r0 - h), min(rows, r1 + h), max(0, c0 - h), min(cols, c1 + h)) for r0, r1, c0, c1 in cores]
    info.tiles, info.halo, info.rounds, info.runs = len(cores), h, 0, 0
    if len(starts) == 0:
        return grid
    client = _client(scheduler)
    pieces: list[Any] = [cost[a:b, c:d] for a, b, c, d in wins]
    if client is not None:  # the friction tiles go to the workers once, not with every round
        pieces = client.scatter(pieces)
    last: list[NDArray[np.float64] | None] = [None] * len(cores)
    while True:
        active = []
        for t, (a, b, c, d) in enumerate(wins):
            seen = grid[a:b, c:d]
            if (np.isfinite(seen).any() if last[t] is None else bool((seen < last[t]).any())):
                active.append(t)
        if not active:
            break
        info.rounds += 1
        info.runs += len(active)
        calls = [(pieces[t], last[t], grid[wins[t][0]:wins[t][1], wins[t][2]:wins[t][3]].copy(), sy, sx, limit)
                 for t in active]
        for t, out in zip(active, _compute(_tile_run, calls, scheduler), strict=True):
            a, b, c, d = wins[t]
            r0, r1, c0, c1 = cores[t]
            last[t] = out
            core = out[r0 - a:r1 - a, c0 - c:c1 - c]
            np.minimum(grid[r0:r1, c0:c1], core, out=grid[r0:r1, c0:c1])
    logger.debug(f"tiled travel time: {info.tiles} tiles, halo {h} cells, {info.rounds} rounds, {info.runs} tile runs")
    return grid


# --------------------------------------------------------------------------- nearest over partitions
def nearest_minutes_partitioned(origins: object, facilities: object, *, partitions: int = 8,
                                speed_kmh: float = 30.0, circuity: float = 1.3, crs: object = None,
                                scheduler: str | None = None) -> NDArray[np.float64]:
    """:func:`.euclidean.nearest_minutes` over ``partitions`` blocks of origins; the same minutes.

    Parameters
    ----------
    origins, facilities
        (n, 2) arrays in metres, DataFrames with ``x``/``y`` or GeoDataFrames in a
        projected CRS (as :func:`.euclidean.nearest_minutes`).
    partitions : int, default 8
        Contiguous blocks of origins, one task each (fewer when there are fewer origins).
    speed_kmh, circuity, crs
        As :func:`.euclidean.nearest_minutes`.
    scheduler : {None, "dask", "synchronous", "threads", "processes"}
        As :func:`travel_time_tiled`; the facilities are sent once to every worker.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [1000.0, 0.0], [5000.0, 0.0]])
    >>> nearest_minutes_partitioned(xy, np.array([[0.0, 0.0]]), partitions=2, speed_kmh=60, circuity=1.0).tolist()
    [0.0, 1.0, 5.0]
    """
    if not (isinstance(partitions, (int, np.integer)) and partitions >= 1):
        raise DataError(f"partitions must be a whole number >= 1; got {partitions!r}")
    _check_scheduler(scheduler)
    minutes_per_metre(speed_kmh=speed_kmh, circuity=circuity)  # refuse bad speeds before any task runs
    if crs is not None:
        require_projected(crs, name="origins", what="straight-line distances")
    oxy, _ = points_xy(origins, name="origins", crs=crs)
    fxy, _ = points_xy(facilities, name="facilities", crs=crs)
    if len(oxy) == 0:
        return np.empty(0)
    bounds = np.linspace(0, len(oxy), min(int(partitions), len(oxy)) + 1).astype(int)
    fac: Any = fxy
    client = _client(scheduler)
    if client is not None:
        fac = client.scatter(fxy, broadcast=True)
    elif scheduler is not None:
        fac = _dask().delayed(fxy, pure=True)  # one key in the graph, shared by the tasks
    calls = [(oxy[a:b], fac, float(speed_kmh), float(circuity)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return np.concatenate(_compute(_nearest_part, calls, scheduler))


def _nearest_part(oxy: NDArray[np.float64], fxy: NDArray[np.float64], speed_kmh: float,
                  circuity: float) -> NDArray[np.float64]:
    return nearest_minutes(oxy, fxy, speed_kmh=speed_kmh, circuity=circuity)


# --------------------------------------------------------------------------- 2SFCA over partitions
def _fca_pairs(oxy: NDArray[np.float64], fxy: NDArray[np.float64], max_cost: float, speed_kmh: float,
               circuity: float, decay: Callable | None) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray]:
    od = od_table(oxy, fxy, max_cost=max_cost, speed_kmh=speed_kmh, circuity=circuity, compact=True)
    o = np.repeat(np.arange(len(oxy)), np.diff(od.indptr))
    w = np.ones(len(od.cost)) if decay is None else np.asarray(decay(od.cost), dtype=float)
    return o, np.asarray(od.dest, dtype=np.intp), w


def _fca_demand(oxy, fxy, p, max_cost, speed_kmh, circuity, decay) -> NDArray[np.float64]:
    """One block's weighted demand per facility: sum_i P_i f(c_ij)."""
    o, d, w = _fca_pairs(oxy, fxy, max_cost, speed_kmh, circuity, decay)
    return np.bincount(d, weights=p[o] * w, minlength=len(fxy))


def _fca_access(oxy, fxy, ratio, max_cost, speed_kmh, circuity, decay) -> NDArray[np.float64]:
    """One block's accessibility: sum_j R_j f(c_ij)."""
    o, d, w = _fca_pairs(oxy, fxy, max_cost, speed_kmh, circuity, decay)
    return np.bincount(o, weights=ratio[d] * w, minlength=len(oxy))


def _amounts(values: object, n: int, name: str) -> NDArray[np.float64]:
    a = np.asarray(values, dtype=float).ravel()
    if len(a) != n:
        raise DataError(f"{name} has {len(a)} values for {n} points; give one per point, in their order")
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        raise DataError(f"{name} has {int(bad.sum())} missing or negative value(s); use amounts >= 0")
    return a


def two_step_fca_partitioned(origins: object, facilities: object, demand: object, supply: object, *,
                             max_cost: float, partitions: int = 8, speed_kmh: float = 30.0, circuity: float = 1.3,
                             decay: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
                             crs: object = None, scheduler: str | None = None) -> pd.Series:
    """Two-step FCA on straight-line minutes over blocks of origins (as :func:`.fca.two_step_fca`).

    Parameters
    ----------
    origins, facilities
        As :func:`nearest_minutes_partitioned`.
    demand, supply
        People per origin and capacity per facility, in the points' order (arrays or
        Series; the values are taken by position).
    max_cost : float
        Catchment in minutes.
    partitions, speed_kmh, circuity, crs, scheduler
        As :func:`nearest_minutes_partitioned`.
    decay : callable, optional
        f(minutes), e.g. from :mod:`.decay` (None: f = 1).

    Returns
    -------
    Series
        Supply per person on the origin ids, named ``2sfca``.

    Examples
    --------
    >>> o = np.array([[0.0, 0.0], [1000.0, 0.0], [50_000.0, 0.0]])
    >>> two_step_fca_partitioned(o, np.array([[500.0, 0.0]]), [100, 300, 50], [8.0], max_cost=30,
    ...                          partitions=2).round(4).tolist()
    [0.02, 0.02, 0.0]
    """
    if not (isinstance(partitions, (int, np.integer)) and partitions >= 1):
        raise DataError(f"partitions must be a whole number >= 1; got {partitions!r}")
    if not (np.isfinite(max_cost) and max_cost > 0):
        raise DataError(f"max_cost must be positive minutes; got {max_cost!r}")
    _check_scheduler(scheduler)
    minutes_per_metre(speed_kmh=speed_kmh, circuity=circuity)
    if crs is not None:
        require_projected(crs, name="origins", what="straight-line distances")
    oxy, oid = points_xy(origins, name="origins", crs=crs)
    fxy, _ = points_xy(facilities, name="facilities", crs=crs)
    p = _amounts(demand, len(oxy), "demand")
    s = _amounts(supply, len(fxy), "supply")
    if len(oxy) == 0 or len(fxy) == 0:
        return pd.Series(np.zeros(len(oxy)), index=oid, name="2sfca")
    bounds = np.linspace(0, len(oxy), min(int(partitions), len(oxy)) + 1).astype(int)
    blocks = list(zip(bounds[:-1], bounds[1:], strict=True))
    client = _client(scheduler)
    fac: Any = client.scatter(fxy, broadcast=True) if client is not None else fxy
    opts = (float(max_cost), float(speed_kmh), float(circuity), decay)
    parts = _compute(_fca_demand, [(oxy[a:b], fac, p[a:b], *opts) for a, b in blocks], scheduler)
    demand_at = np.zeros(len(fxy))
    for part in parts:  # in block order, whatever finished first
        demand_at += part
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand_at > 0, s / demand_at, 0.0)
    out = _compute(_fca_access, [(oxy[a:b], fac, ratio, *opts) for a, b in blocks], scheduler)
    return pd.Series(np.concatenate(out), index=oid, name="2sfca")
