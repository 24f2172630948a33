"""Degree of Urbanisation, stage 1: the grid rules on plain arrays (private).

:func:`classify_arrays` applies the rules to aligned 2-D arrays (population per cell,
permanent-land share, built-up share); :mod:`urbanrural.analysis.degurba` wraps it for
rasters, resampling and units.  Everything is vectorised with :mod:`scipy.ndimage`
(connected-component labelling, separable dilation) except the iterative majority rule,
which only revisits the cells next to the cells added in the previous round.

Conventions follow GHSL R2023A as reconstructed by cvmigero/flexurba (0.2.x):

- density = people / (permanent-land share x cell area); a cell with no land and people
  has infinite density, one with neither has none (NaN: never dense);
- built-up per permanent land is rounded to 3 decimals before the threshold is applied;
- cluster sizes sum the people of every cell of the cluster (NaN counts as 0);
- the R2023A majority rule counts, among the 8 neighbours, every cell except permanent
  water and "ignored" cells (land < 0.5 and no people) that are not yet in a centre;
  cells outside the grid count as valid non-members; water never joins.  R2022A needs
  5 of the 8 neighbours in one centre;
- holes (4-connected regions enclosed by a single centre) of at most ``max_gap - 1``
  km2 are filled after smoothing (flexurba fills polygon holes of area <= max_gap - 1);
- water (10, level 1: 0) only replaces very-low-density (level 1: rural) cells.

The rules are whole-grid operations (a cluster may span any tile), so here the grid is
held whole; :mod:`urbanrural.analysis._degurba_tiled` gives the same codes tile by tile
on dask for grids larger than memory, reusing these helpers.  From ``BAR_MIN_CELLS``
cells (about a 3,000 x 3,000 km grid, a few seconds) a bar on stderr counts the stages
(urban centres, dense, semi-dense, suburban and rural clusters, rural and water) and
names the one running; not under ``-q``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from ..geo.errors import ConfigError
from ..geo.progress import Bar, progress_bar
from ..geo.registry import check_choice

__all__ = ["GridParams", "classify_arrays", "optimal_builtup", "NODATA", "BAR_MIN_CELLS"]

NODATA = 255
BAR_MIN_CELLS = 10_000_000  # grids from this size show a bar over the stages
_N4 = ndimage.generate_binary_structure(2, 1)
_N8 = ndimage.generate_binary_structure(2, 2)
_OFFSETS = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
_PRESETS = ("2024", "R2023A", "R2022A")


@dataclass(frozen=True)
class GridParams:
    """Every threshold and rule of the grid classification.

    Defaults are flexurba's (``DoU_get_grid_parameters``), i.e. GHSL R2023A rules with
    the July 2024 revision of semi-dense urban clusters (>= 900/km2, >= 2,500 people,
    4-connected, more than 2 cells from urban centres and dense clusters).
    :meth:`preset` gives the GHS-SMOD R2023A product rules (semi-dense >= 300/km2,
    >= 5,000 people, 8-connected, 3-cell buffer) and the R2022A rules.

    Densities are people per km2 of permanent land; sizes are people; contiguity is 4
    (rook) or 8 (queen); built-up thresholds are shares of permanent land (0-1) or
    ``"optimal"`` (the data-driven R2023A threshold, see :func:`optimal_builtup`).

    Examples
    --------
    >>> GridParams().sduc_density, GridParams.preset("R2023A").sduc_density
    (900.0, 300.0)
    >>> GridParams(uc_contiguity=6)
    Traceback (most recent call last):
    ...
    urbanrural.geo.errors.ConfigError: uc_contiguity must be 4 or 8; got 6
    """

    # urban centres (30 / level 1: 3)
    uc_density: float = 1500.0
    uc_size: float = 50_000.0
    uc_contiguity: int = 4
    uc_built: bool = True
    uc_built_threshold: float | str = 0.2
    uc_smooth_pop: bool = False
    uc_smooth_pop_window: int = 5
    uc_gap_fill: bool = True
    uc_max_gap_km2: float = 15.0
    uc_smooth_edge: str | None = "R2023A"
    # level 1 urban clusters (2)
    ucl_density: float = 300.0
    ucl_size: float = 5000.0
    ucl_contiguity: int = 8
    ucl_smooth_pop: bool = False
    ucl_smooth_pop_window: int = 5
    # level 2: dense urban clusters (23)
    duc_density: float = 1500.0
    duc_size: float = 5000.0
    duc_contiguity: int = 4
    duc_built: bool = True
    duc_built_threshold: float | str = 0.2
    # semi-dense urban clusters (22)
    sduc_density: float = 900.0
    sduc_size: float = 2500.0
    sduc_contiguity: int = 4
    sduc_buffer: int = 2
    # suburban or peri-urban cells (21)
    surb_density: float = 300.0
    surb_size: float = 5000.0
    surb_contiguity: int = 8
    # rural clusters (13), low density rural (12)
    rc_density: float = 300.0
    rc_size: float = 500.0
    rc_contiguity: int = 8
    ldr_density: float = 50.0
    # water (10 / level 1: 0): land share < water_land, people <= water_pop, built <= water_built
    water_land: float = 0.5
    water_pop: float = 0.0
    water_built: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name.endswith("contiguity"):
                if v not in (4, 8):
                    raise ConfigError(f"{f.name} must be 4 or 8; got {v!r}")
            elif f.name.endswith("built_threshold"):
                if v != "optimal" and not (isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1):
                    raise ConfigError(f"{f.name} must be a share in [0, 1] or 'optimal'; got {v!r}")
            elif f.name.endswith("_window"):
                if not (isinstance(v, (int, np.integer)) and v >= 1 and v % 2 == 1):
                    raise ConfigError(f"{f.name} must be an odd positive number of cells; got {v!r}")
            elif f.name in ("uc_built", "duc_built", "uc_gap_fill", "uc_smooth_pop", "ucl_smooth_pop"):
                if not isinstance(v, (bool, np.bool_)):
                    raise ConfigError(f"{f.name} must be True or False; got {v!r}")
            elif f.name == "sduc_buffer":
                if not (isinstance(v, (int, np.integer)) and v >= 0):
                    raise ConfigError(f"sduc_buffer must be a whole number of cells >= 0; got {v!r}")
            elif f.name == "uc_smooth_edge":
                if v is not None:
                    check_choice(v, ("R2023A", "R2022A"), what="majority rule (uc_smooth_edge; None turns it off)")
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ConfigError(f"{f.name} must be a finite number >= 0; got {v!r}")
        if not 0 <= self.water_land <= 1 or not 0 <= self.water_built <= 1:
            raise ConfigError("water_land and water_built are shares in [0, 1]")

    @classmethod
    def preset(cls, name: str = "2024", **overrides: Any) -> GridParams:
        """Named rule sets: ``"2024"`` (the defaults), ``"R2023A"`` (GHS-SMOD R2023A product:
        semi-dense clusters >= 300/km2, >= 5,000 people, 8-connected, 3-cell buffer) and
        ``"R2022A"`` (as R2023A with a 50 % built-up threshold and the R2022A majority rule)."""
        check_choice(name, _PRESETS, what="Degree of Urbanisation rule set")
        base: dict[str, Any] = {}
        if name in ("R2023A", "R2022A"):
            base.update(sduc_density=300.0, sduc_size=5000.0, sduc_contiguity=8, sduc_buffer=3)
        if name == "R2022A":
            base.update(uc_built_threshold=0.5, duc_built_threshold=0.5, uc_smooth_edge="R2022A")
        base.update(overrides)
        return cls(**base)

    def with_overrides(self, **overrides: Any) -> GridParams:
        """A copy with some fields replaced; unknown names raise UnknownNameError."""
        names = [f.name for f in fields(self)]
        for k in overrides:
            if k not in names:
                check_choice(k, names, what="Degree of Urbanisation parameter")
        return replace(self, **overrides) if overrides else self


# ---------------------------------------------------------------------------- helpers

def _label(mask: NDArray[np.bool_], contiguity: int) -> tuple[NDArray[np.int32], int]:
    lab, n = ndimage.label(mask, structure=_N4 if contiguity == 4 else _N8, output=np.int32)
    return lab, int(n)


def _sums(lab: NDArray[np.int32], n: int, pop0: NDArray, mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """People per label (index 0 = background, left 0); only the labelled cells are read,
    which is ~15x faster than a bincount over the whole grid."""
    return np.bincount(lab[mask], weights=np.nan_to_num(pop0[mask]), minlength=n + 1)


def _smooth(a: NDArray, window: int) -> NDArray:
    """Moving mean over a window x window square ignoring NaN (and cells outside the
    grid), like ``terra::focal(fun="mean", na.rm=TRUE)``; infinite values stay infinite."""
    finite = np.isfinite(a)
    vals = np.where(finite, a, 0.0).astype(np.float64)
    size = (window, window)
    total = _window_sum(vals, window)
    count = _window_sum(finite.astype(np.float64), window)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / count
    out[count < 0.5] = np.nan
    inf = np.isposinf(a)
    if inf.any():
        near_inf = ndimage.maximum_filter(inf.astype(np.uint8), size=size, mode="constant", cval=0) > 0
        out[near_inf] = np.inf
    return out.astype(a.dtype, copy=False)


def _window_sum(a: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """Sum over a window x window square (zeros outside), added in the same order for
    every cell (rows, then columns), so a tile with a halo gives the same bits as the
    whole grid (a running sum, as ``ndimage.uniform_filter``, depends on where it starts)."""
    r = window // 2
    h, w = a.shape
    pad = np.pad(a, r)
    rows = pad[0:h, :].copy()
    for k in range(1, window):
        rows += pad[k:k + h, :]
    out = rows[:, 0:w].copy()
    for k in range(1, window):
        out += rows[:, k:k + w]
    return out


def _dilate_square(mask: NDArray[np.bool_], radius: int) -> NDArray[np.bool_]:
    """``radius`` rounds of 8-neighbour dilation (a (2r+1) square), done separably."""
    if radius <= 0:
        return mask
    k = 2 * radius + 1
    out = ndimage.binary_dilation(mask, structure=np.ones((k, 1), dtype=bool))
    return ndimage.binary_dilation(out, structure=np.ones((1, k), dtype=bool))


def _majority(ids: NDArray[np.int32], *, water: NDArray[np.bool_], ignore: NDArray[np.bool_] | None,
              version: str, max_rounds: int | None = None, outside: NDArray[np.bool_] | None = None
              ) -> NDArray[np.int32]:
    """Iterative majority-rule edge smoothing of labelled centres (synchronous rounds).

    Each round is a function of every cell's 3 x 3 neighbourhood (only the cells next to
    the previous round's additions are revisited: the others cannot change), so r rounds
    on a tile with an r-cell halo give the tile's core exactly; ``max_rounds`` stops
    there (the tiled classification repeats tiles until no cell changes).  ``outside``
    marks a tile's padding beyond the grid: never joins, counts as a valid non-member."""
    h, w = ids.shape
    pid = np.pad(ids, 1)  # 0 = not in a centre (also outside the grid)
    if version == "R2023A":
        excl = water if ignore is None else (water | ignore)
        if outside is not None:
            excl = excl & ~outside
            water = water | outside
        pex = np.pad(excl, 1, constant_values=False)  # outside the grid: a valid non-member
        pwater = np.pad(water, 1, constant_values=True)
    pout = None if outside is None else np.pad(outside, 1, constant_values=True)
    rows, cols = np.nonzero(ndimage.binary_dilation(ids > 0, structure=_N8) & (ids == 0))
    rows, cols = rows + 1, cols + 1
    rounds = 0
    while len(rows) and (max_rounds is None or rounds < max_rounds):
        rounds += 1
        keep = pid[rows, cols] == 0
        if version == "R2023A":
            keep &= ~pwater[rows, cols]
        if pout is not None:
            keep &= ~pout[rows, cols]
        rows, cols = rows[keep], cols[keep]
        if not len(rows):
            break
        nb = np.stack([pid[rows + dr, cols + dc] for dr, dc in _OFFSETS])
        if version == "R2023A":
            ex = np.stack([pex[rows + dr, cols + dc] for dr, dc in _OFFSETS]) & (nb == 0)
            valid = 8 - ex.sum(0)
        best = np.zeros(len(rows), dtype=np.int32)
        best_n = np.zeros(len(rows), dtype=np.int64)
        for k in range(8):
            v = nb[k]
            cnt = (nb == v[None, :]).sum(0)
            better = (v > 0) & (cnt > best_n)
            best = np.where(better, v, best)
            best_n = np.where(better, cnt, best_n)
        ok = (best_n * 2 > valid) if version == "R2023A" else (best_n >= 5)
        if not ok.any():
            break
        nr, nc = rows[ok], cols[ok]
        pid[nr, nc] = best[ok]
        cand_r = np.concatenate([nr + dr for dr, _ in _OFFSETS])
        cand_c = np.concatenate([nc + dc for _, dc in _OFFSETS])
        inside = (cand_r >= 1) & (cand_r <= h) & (cand_c >= 1) & (cand_c <= w)
        flat = np.unique(cand_r[inside] * (w + 2) + cand_c[inside])
        rows, cols = flat // (w + 2), flat % (w + 2)
    return pid[1:-1, 1:-1].copy()


def _fill_gaps(ids: NDArray[np.int32], max_cells: int) -> NDArray[np.int32]:
    """Fill holes of at most ``max_cells`` cells: 4-connected regions of non-centre cells
    that touch neither the grid edge nor more than one centre.  Negative ids mark cells
    outside the grid (a tile's padding): regions next to them touch the edge."""
    if max_cells < 1:
        return ids
    bg, n = _label(ids == 0, 4)
    if n == 0:
        return ids
    sizes = np.bincount(bg.ravel(), minlength=n + 1)
    cand = sizes <= max_cells
    cand[0] = False
    cand[np.unique(np.concatenate([bg[0], bg[-1], bg[:, 0], bg[:, -1]]))] = False
    if not cand.any():
        return ids
    rows, cols = np.nonzero(cand[bg])
    region = bg[rows, cols]
    pid = np.pad(ids, 1)
    owners = np.stack([pid[rows + 1 + dr, cols + 1 + dc] for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))])
    # per region: the smallest and largest neighbouring centre id (0 = none: not a centre cell)
    big = np.iinfo(np.int32).max
    lo = np.full(n + 1, big, dtype=np.int64)
    hi = np.zeros(n + 1, dtype=np.int64)
    for o in owners:
        has = o > 0
        np.minimum.at(lo, region[has], o[has])
        np.maximum.at(hi, region[has], o[has])
    outside = (owners < 0).any(0)
    if outside.any():
        cand[np.unique(region[outside])] = False
    single = (lo == hi) & (hi > 0) & cand
    keep = single[region]
    out = ids.copy()
    out[rows[keep], cols[keep]] = hi[region[keep]].astype(np.int32)
    return out


class _Inputs:
    """Aligned arrays and the derived densities, computed once."""

    def __init__(self, pop: NDArray, land: NDArray | None, built: NDArray | None, cell_km2: float):
        self.pop = pop
        self.land = land
        self.built = built
        with np.errstate(divide="ignore", invalid="ignore"):
            if land is None:
                self.density = pop / pop.dtype.type(cell_km2)
            else:
                self.density = pop / (land * pop.dtype.type(cell_km2))
            self.built_per_land = None
            if built is not None:
                bpl = built if land is None else built / land
                self.built_per_land = np.round(bpl, 3)
        self._water: NDArray[np.bool_] | None = None
        self._water_key: tuple[float, float, float] | None = None
        self._labels: dict[tuple, tuple[NDArray[np.int32], int, NDArray[np.float64]]] = {}

    def water(self, p: GridParams) -> NDArray[np.bool_]:
        key = (p.water_land, p.water_pop, p.water_built)
        if self._water is None or self._water_key != key:
            w = np.isnan(self.pop) | (self.pop <= p.water_pop)
            if self.land is None:
                w &= False
            else:
                w &= np.isnan(self.land) | (self.land < p.water_land)
            if self.built is not None:
                w &= np.isnan(self.built) | (self.built <= p.water_built)
            self._water, self._water_key = w, key
        return self._water

    def dense(self, density: NDArray, threshold: float, built_threshold: float | None) -> NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            d = density >= threshold
            if built_threshold is not None and self.built_per_land is not None:
                d |= self.built_per_land >= built_threshold
        return d

    def clusters(self, key: tuple, mask_fn, contiguity: int, pop0: NDArray
                 ) -> tuple[NDArray[np.int32], int, NDArray[np.float64]]:
        """Labels and people per label, cached by ``key`` (same rule -> same labels)."""
        full = (*key, contiguity)
        if full not in self._labels:
            mask = mask_fn()
            lab, n = _label(mask, contiguity)
            self._labels[full] = (lab, n, _sums(lab, n, pop0, mask))
        return self._labels[full]

    def release(self, *keys: tuple, keep: tuple = ()) -> None:
        """Forget cached labels (memory) unless another step still needs them."""
        for k in keys:
            if k not in keep:
                for full in [f for f in self._labels if f[:-1] == k]:
                    del self._labels[full]

    def cluster_mask(self, key: tuple, mask_fn, contiguity: int, size: float, pop0: NDArray | None = None
                     ) -> NDArray[np.bool_]:
        lab, n, sums = self.clusters(key, mask_fn, contiguity, self.pop if pop0 is None else pop0)
        keep = sums >= size
        keep[0] = False
        return keep[lab]


def optimal_builtup(pop: NDArray, land: NDArray | None, built: NDArray, *, density: float = 1500.0,
                    size: float = 5000.0, contiguity: int = 4, cell_km2: float = 1.0) -> float:
    """The R2023A "optimal" built-up threshold: the mean built-up share of the cells of
    clusters with >= ``density`` people per km2 of permanent land and >= ``size`` people
    (GHSL Data Package 2023, footnote 30, as reconstructed by flexurba); NaN without such
    clusters.  The classification uses it rounded *up* to two decimals.

    Examples
    --------
    >>> pop = np.zeros((5, 5)); pop[1:4, 1:4] = 2000.0
    >>> built = np.zeros((5, 5)); built[1:4, 1:4] = 0.3; built[2, 2] = 0.6
    >>> round(optimal_builtup(pop, None, built), 4)
    0.3333
    """
    inp = _Inputs(np.asarray(pop, dtype=np.float64), None if land is None else np.asarray(land, dtype=np.float64),
                  None, cell_km2)
    mask = inp.cluster_mask(("opt", density), lambda: inp.dense(inp.density, density, None), contiguity, size)
    vals = np.asarray(built, dtype=np.float64)[mask]
    vals = vals[~np.isnan(vals)]
    return float(vals.mean()) if vals.size else float("nan")


def _ceil2(x: float) -> float:
    return float(np.ceil(x * 100) / 100)


def built_thresholds(p: GridParams, level: int, has_built: bool,
                     optimal: Callable[[float, float, int], float]) -> tuple[float | None, float | None]:
    """The built-up thresholds of urban centres and dense clusters in use (None: criterion
    off), ``"optimal"`` resolved by ``optimal(density, size, contiguity)`` and rounded up to
    2 decimals (R2023A); shared by the in-memory and tiled classifications."""
    def resolve(use: bool, thr: float | str, density: float, size: float, contiguity: int) -> float | None:
        if not use or not has_built:
            return None
        if thr == "optimal":
            opt = optimal(density, size, contiguity)
            if math.isnan(opt):
                raise ConfigError("built threshold 'optimal': no cluster of >= "
                                  f"{density:g}/km2 and >= {size:g} people to derive it from; give a number")
            return _ceil2(opt)
        return float(thr)

    if level == 1:
        return resolve(p.uc_built, p.uc_built_threshold, p.uc_density, p.ucl_size, p.uc_contiguity), None
    opt_args = (p.duc_density, p.duc_size, p.duc_contiguity)
    return (resolve(p.uc_built, p.uc_built_threshold, *opt_args),
            resolve(p.duc_built, p.duc_built_threshold, *opt_args))


# ---------------------------------------------------------------------------- classification

class _Stages:
    """Moves a bar one stage on and names the stage now running."""

    def __init__(self, bar: Bar) -> None:
        self.bar = bar
        self.running = False

    def __call__(self, name: str) -> None:
        if self.running:
            self.bar.update(1)
        self.running = True
        self.bar.set_postfix_str(name)

    def done(self) -> None:
        if self.running:
            self.bar.update(1)
        self.running = False


def classify_arrays(pop: NDArray, land: NDArray | None, built: NDArray | None, *, level: int, params: GridParams,
                    cell_km2: float = 1.0) -> tuple[NDArray[np.uint8], dict[str, Any]]:
    """Classify aligned arrays; returns the codes and a dict of what was used
    (``built_threshold_uc``/``_duc`` after resolving ``"optimal"``, ``built_criterion``).

    Grids of at least ``BAR_MIN_CELLS`` cells show a bar over the stages (3 at level 1,
    5 at level 2)."""
    with progress_bar(desc="degurba grid", total=3 if level == 1 else 5, unit="stage",
                      show=pop.size >= BAR_MIN_CELLS) as bar:
        stage = _Stages(bar)
        out = _classify(pop, land, built, level=level, params=params, cell_km2=cell_km2, stage=stage)
        stage.done()
    return out


def _classify(pop: NDArray, land: NDArray | None, built: NDArray | None, *, level: int, params: GridParams,
              cell_km2: float, stage: _Stages) -> tuple[NDArray[np.uint8], dict[str, Any]]:
    p = params
    stage("urban centres")
    inp = _Inputs(pop, land, built, cell_km2)
    info: dict[str, Any] = {"built_criterion": built is not None and (p.uc_built or (level == 2 and p.duc_built))}

    # built-up thresholds ("optimal" -> from the data, rounded up to 2 decimals)
    uc_thr, duc_thr = built_thresholds(p, level, built is not None, lambda density, size, contiguity: optimal_builtup(
        pop, land, built, density=density, size=size, contiguity=contiguity, cell_km2=cell_km2))
    info["built_threshold_uc"], info["built_threshold_duc"] = uc_thr, duc_thr

    # urban centres
    if p.uc_smooth_pop:
        uc_pop = _smooth(pop, p.uc_smooth_pop_window)
        uc_density = _smooth(inp.density, p.uc_smooth_pop_window)
        uc_pop0 = uc_pop
    else:
        uc_pop, uc_density, uc_pop0 = pop, inp.density, pop
    key = ("dense", p.uc_density, uc_thr, p.uc_smooth_pop and p.uc_smooth_pop_window)
    lab, n, sums = inp.clusters(key, lambda: inp.dense(uc_density, p.uc_density, uc_thr), p.uc_contiguity, uc_pop0)
    keep = sums >= p.uc_size
    keep[0] = False
    new_id = np.zeros(n + 1, dtype=np.int32)
    new_id[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    ids = new_id[lab]
    if p.uc_smooth_edge and keep.any():
        water = inp.water(GridParams())  # permanent water with the default rule, as GHSL/flexurba
        ignore = None
        if land is not None:
            with np.errstate(invalid="ignore"):
                ignore = (land < 0.5) & (uc_pop == 0)
        ids = _majority(ids, water=water, ignore=ignore, version=p.uc_smooth_edge)
    if p.uc_gap_fill and keep.any():
        ids = _fill_gaps(ids, int(math.ceil(p.uc_max_gap_km2 / cell_km2)) - 1)
    out = np.zeros(pop.shape, dtype=np.uint8)
    out[ids > 0] = 30
    del ids, lab

    if level == 1:
        stage("urban clusters")
        if p.ucl_smooth_pop:
            ucl_pop = _smooth(pop, p.ucl_smooth_pop_window)
            ucl_density = _smooth(inp.density, p.ucl_smooth_pop_window)
            m = inp.cluster_mask(("ucl-smooth", p.ucl_density, p.ucl_smooth_pop_window),
                                 lambda: ucl_density >= p.ucl_density, p.ucl_contiguity, p.ucl_size, ucl_pop)
        else:
            m = inp.cluster_mask(("dense", p.ucl_density, None, False), lambda: inp.dense(inp.density, p.ucl_density,
                                 None), p.ucl_contiguity, p.ucl_size)
        out[(out == 0) & m] = 21
        stage("rural and water")
    else:
        later = (("dense", p.sduc_density, None, False), ("dense", p.surb_density, None, False),
                 ("dense", p.rc_density, None, False))
        stage("dense urban clusters")
        duc_key = ("dense", p.duc_density, duc_thr, False)
        inp.release(key, keep=(duc_key, *later))
        m = inp.cluster_mask(duc_key, lambda: inp.dense(inp.density, p.duc_density, duc_thr), p.duc_contiguity,
                             p.duc_size)
        inp.release(duc_key, keep=later)
        out[(out == 0) & m] = 23
        del m
        stage("semi-dense urban clusters")
        buffer = _dilate_square(out > 0, p.sduc_buffer)
        lab, n, sums = inp.clusters(("dense", p.sduc_density, None, False),
                                    lambda: inp.dense(inp.density, p.sduc_density, None), p.sduc_contiguity,
                                    pop)
        keep = sums >= p.sduc_size
        keep[0] = False
        keep[np.unique(lab[buffer])] = False
        out[(out == 0) & keep[lab]] = 22
        del buffer, lab
        inp.release(later[0], keep=later[1:])
        stage("suburban and rural clusters")
        for density, size, contiguity, code in ((p.surb_density, p.surb_size, p.surb_contiguity, 21),
                                                (p.rc_density, p.rc_size, p.rc_contiguity, 13)):
            m = inp.cluster_mask(("dense", density, None, False), lambda d=density: inp.dense(inp.density, d, None),
                                 contiguity, size)
            out[(out == 0) & m] = code
        stage("rural and water")
        with np.errstate(invalid="ignore"):
            out[(out == 0) & (inp.density >= p.ldr_density)] = 12
    out[out == 0] = 11
    out[(out == 11) & inp.water(p)] = 10
    if land is None:
        out[np.isnan(pop)] = NODATA  # outside the population data: no class
    if level == 1:
        lut = np.full(256, NODATA, dtype=np.uint8)
        lut[[30, 23, 22, 21, 13, 12, 11, 10]] = [3, 2, 2, 2, 1, 1, 1, 0]
        out = lut[out]
    return out, info
