"""Degree of Urbanisation, stage 1, on a grid cut into tiles (dask; private).

:func:`classify_tiled` gives exactly the codes of
:func:`urbanrural.analysis._degurba_grid.classify_arrays` (same rules, same helpers) on
a grid held as a dask array, so a grid larger than memory is classified tile by tile:

- **clusters**: every tile is labelled on its own (:func:`scipy.ndimage.label`, the
  serial labelling); each tile returns its labels' people and the labels on its four
  edges; the driver joins labels across tile borders (4- or 8-contiguity, corners too)
  with :func:`scipy.sparse.csgraph.connected_components`, adds the people per cluster,
  applies the size rules to whole clusters and sends each tile a lookup (its label ->
  kept / cluster id).  Tiles relabel themselves when they need their clusters again, so
  no label grid is ever held;
- **majority rule** (urban-centre edges): each round is a 3 x 3 rule, so a tile with an
  r-cell halo (``dask.array.overlap``) runs r rounds exactly; tiles are repeated, only
  where a cell of their core or halo changed, until no cell changes;
- **gap filling**: a hole of at most m cells lies within m cells of any of its cells,
  so tiles with an (m + 1)-cell halo fill exactly the serial holes;
- **semi-dense buffer**: a dilation with a halo of the buffer width; a semi-dense
  cluster touching it anywhere is dropped whole (flags joined like the sums);
- **smoothed population** (optional rules): a halo of half the window (the window sums
  add cells in the same order on a tile as on the whole grid).

The urban-centre ids between majority rounds go to a scratch directory (one ``.npz``
per tile that has any: its non-zero cells), which every worker must see (a local cluster does; a remote one
needs a shared ``scratch``).  Cluster sums add float64 tile sums, not cells in raster
order: a cluster exactly at a size threshold to the last bit could in principle differ.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..geo.errors import ConfigError, DataError
from ._degurba_grid import (
    NODATA,
    GridParams,
    _dilate_square,
    _fill_gaps,
    _Inputs,
    _label,
    _majority,
    _smooth,
    built_thresholds,
)

__all__ = ["classify_grid_tiled", "classify_tiled"]

MAJORITY_ROUNDS = 16  # majority rounds per tile visit (= its halo)


# ---------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class _Rule:
    """A cluster rule: cells at >= density (or built-up >= built_thr), optionally on a
    smoothed grid (window), joined with contiguity, weighted by (smoothed) people."""

    density: float
    built_thr: float | None
    window: int | None
    contiguity: int


class _Tile:
    """One tile's inputs with a halo of ``halo`` cells and what the rules derive from them."""

    def __init__(self, pop: NDArray, land: NDArray | None, built: NDArray | None, halo: int, cell_km2: float):
        self.halo = halo
        self.inp = _Inputs(pop, land, built, cell_km2)
        self._smoothed: dict[int, tuple[NDArray, NDArray]] = {}

    def core(self, a: NDArray) -> NDArray:
        h = self.halo
        return a[h:a.shape[0] - h, h:a.shape[1] - h] if h else a

    def smoothed(self, window: int) -> tuple[NDArray, NDArray]:
        if window not in self._smoothed:
            self._smoothed[window] = (_smooth(self.inp.pop, window), _smooth(self.inp.density, window))
        return self._smoothed[window]

    def mask_weights(self, rule: _Rule) -> tuple[NDArray[np.bool_], NDArray]:
        if rule.window:
            pop, density = self.smoothed(rule.window)
        else:
            pop, density = self.inp.pop, self.inp.density
        return self.core(self.inp.dense(density, rule.density, rule.built_thr)), self.core(pop)

    def labels(self, rule: _Rule) -> tuple[NDArray[np.int32], int, NDArray[np.bool_], NDArray]:
        mask, weights = self.mask_weights(rule)
        lab, n = _label(mask, rule.contiguity)
        return lab, n, mask, weights


# ---------------------------------------------------------------------------- the grid

class _Grid:
    """The inputs as dask arrays (same chunks) and the per-tile plumbing."""

    def __init__(self, pop: da.Array, land: da.Array | None, built: da.Array | None, *, cell_km2: float,
                 halo: int, scheduler: Any):
        self.pop, self.land, self.built = pop, land, built
        self.cell_km2, self.halo, self.scheduler = cell_km2, halo, scheduler
        self.chunks = pop.chunks
        self.nb = pop.numblocks
        self._ext = [self._overlap(a) for a in (pop, land, built)]

    def _overlap(self, a: da.Array | None) -> NDArray | None:
        """Per tile, a delayed block with a halo of NaN (outside the grid: no data)."""
        if a is None:
            return None
        if self.halo:
            a = da.overlap.overlap(a, depth={0: self.halo, 1: self.halo}, boundary={0: np.nan, 1: np.nan})
        return a.to_delayed()

    def compute(self, *xs: Any) -> tuple:
        return dask.compute(*xs, scheduler=self.scheduler)

    def blocks(self) -> list[tuple[int, int]]:
        return [(i, j) for i in range(self.nb[0]) for j in range(self.nb[1])]

    def shape(self, i: int, j: int) -> tuple[int, int]:
        return self.chunks[0][i], self.chunks[1][j]

    def tile_args(self, i: int, j: int) -> tuple:
        return tuple(None if e is None else e[i, j] for e in self._ext)

    def per_tile(self, fn: Callable, extra: dict[tuple[int, int], Any] | None = None, *, dtype: Any = None,
                 ) -> Any:
        """``fn(tile_inputs..., extra)`` on every tile: a dask array of ``dtype`` (tile
        shaped outputs) or, without dtype, a dict of delayed small results."""
        d = dask.delayed(fn, pure=False)
        out = {}
        for i, j in self.blocks():
            out[i, j] = d(*self.tile_args(i, j), None if extra is None else extra.get((i, j)))
        if dtype is None:
            return out
        return da.block([[da.from_delayed(out[i, j], shape=self.shape(i, j), dtype=dtype)
                          for j in range(self.nb[1])] for i in range(self.nb[0])])

    # -------------------------------------------------------------- clusters

    def clusters(self, rules: list[_Rule]) -> dict[_Rule, _Clusters]:
        """Label every rule on every tile, join across borders, sum people per cluster."""
        halo, ck = self.halo, self.cell_km2

        def scan(pop, land, built, _):
            t = _Tile(pop, land, built, halo, ck)
            res = []
            for rule in rules:
                lab, n, mask, w = t.labels(rule)
                sums = np.bincount(lab[mask], weights=np.nan_to_num(w[mask]), minlength=n + 1)
                res.append((n, sums, lab[0].copy(), lab[-1].copy(), lab[:, 0].copy(), lab[:, -1].copy()))
            return res

        tiles = self.per_tile(scan)
        keys = list(tiles)
        vals = self.compute(*[tiles[k] for k in keys])
        per = dict(zip(keys, vals, strict=True))
        return {rule: _Clusters.join(rule.contiguity, {k: v[r] for k, v in per.items()}, self.nb)
                for r, rule in enumerate(rules)}

    def tile_values(self, rule: _Rule, lookups: dict[tuple[int, int], NDArray], dtype: Any) -> da.Array:
        """A grid of ``lookup[local label]`` per tile (0 off the rule's cells)."""
        halo, ck = self.halo, self.cell_km2

        def apply(pop, land, built, lut):
            lab = _Tile(pop, land, built, halo, ck).labels(rule)[0]
            return lut[lab]

        return self.per_tile(apply, lookups, dtype=dtype)

    def elementwise(self, fn: Callable[[_Tile], NDArray], dtype: Any) -> da.Array:
        halo, ck = self.halo, self.cell_km2
        return self.per_tile(lambda pop, land, built, _: fn(_Tile(pop, land, built, halo, ck)), dtype=dtype)


class _Clusters:
    """Clusters of one rule over the whole grid: tile offsets, cluster of every tile label,
    people per cluster."""

    def __init__(self, offsets: dict[tuple[int, int], int], counts: dict[tuple[int, int], int],
                 comp: NDArray[np.int64], sums: NDArray[np.float64]):
        self.offsets, self.counts, self.comp, self.sums = offsets, counts, comp, sums

    @classmethod
    def join(cls, contiguity: int, tiles: dict[tuple[int, int], tuple], nb: tuple[int, int]) -> _Clusters:
        offsets, counts, total = {}, {}, 1  # global node 0 = background
        for k in sorted(tiles):
            offsets[k], counts[k] = total - 1, tiles[k][0]
            total += tiles[k][0]
        weights = np.zeros(total)
        a_list, b_list = [], []

        def g(k, lab):
            lab = np.asarray(lab, dtype=np.int64)
            return np.where(lab > 0, lab + offsets[k], 0)

        for k, (n, sums, *_e) in tiles.items():
            weights[offsets[k] + 1:offsets[k] + n + 1] = sums[1:]
        for (i, j), (_n, _s, _top, bottom, _left, right) in tiles.items():
            pairs = []
            if j + 1 < nb[1]:  # right neighbour
                a, b = g((i, j), right), g((i, j + 1), tiles[i, j + 1][4])
                pairs.append((a, b))
                if contiguity == 8:
                    pairs += [(a[1:], b[:-1]), (a[:-1], b[1:])]
            if i + 1 < nb[0]:  # neighbour below
                a, b = g((i, j), bottom), g((i + 1, j), tiles[i + 1, j][2])
                pairs.append((a, b))
                if contiguity == 8:
                    pairs += [(a[1:], b[:-1]), (a[:-1], b[1:])]
            if contiguity == 8 and i + 1 < nb[0]:  # diagonal corners
                if j + 1 < nb[1]:
                    pairs.append((g((i, j), bottom[-1:]), g((i + 1, j + 1), tiles[i + 1, j + 1][2][:1])))
                if j > 0:
                    pairs.append((g((i, j), bottom[:1]), g((i + 1, j - 1), tiles[i + 1, j - 1][2][-1:])))
            for a, b in pairs:
                ok = (a > 0) & (b > 0)
                a_list.append(a[ok])
                b_list.append(b[ok])
        a = np.concatenate(a_list) if a_list else np.zeros(0, dtype=np.int64)
        b = np.concatenate(b_list) if b_list else np.zeros(0, dtype=np.int64)
        graph = sparse.coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(total, total)).tocsr()
        _, comp = connected_components(graph, directed=False)
        comp = comp.astype(np.int64)
        sums = np.bincount(comp, weights=weights)
        return cls(offsets, counts, comp, sums)

    def lookups(self, values: NDArray) -> dict[tuple[int, int], NDArray]:
        """Per tile: value of the cluster of each local label (index 0: background)."""
        out = {}
        for k, off in self.offsets.items():
            c = self.comp[np.r_[0, off + 1:off + self.counts[k] + 1]]
            v = values[c].copy()
            v[0] = 0
            out[k] = v
        return out

    def any_per_cluster(self, flags: dict[tuple[int, int], NDArray[np.bool_]]) -> NDArray[np.bool_]:
        """Whether any tile flagged a label of each cluster."""
        out = np.zeros(len(self.sums), dtype=bool)
        for k, f in flags.items():
            idx = np.nonzero(f)[0]
            idx = idx[idx > 0]
            out[self.comp[self.offsets[k] + idx]] = True
        out[0] = False
        return out


# ---------------------------------------------------------------------------- tile store

class _Store:
    """Tiles of an integer grid on disk (``.npz`` of the non-zero cells; no file: all zeros)."""

    def __init__(self, root: Path, chunks: tuple, dtype: Any):
        self.root, self.chunks, self.dtype = root, chunks, np.dtype(dtype)
        self.files: dict[tuple[int, int], str | None] = {}

    def array(self) -> da.Array:
        load = dask.delayed(_load, pure=False)
        rows = []
        for i, h in enumerate(self.chunks[0]):
            rows.append([da.from_delayed(load(self.files.get((i, j)), (h, w), self.dtype), shape=(h, w),
                                         dtype=self.dtype) for j, w in enumerate(self.chunks[1])])
        return da.block(rows)


def _load(path: str | None, shape: tuple[int, int], dtype: Any) -> NDArray:
    out = np.zeros(shape, dtype=dtype)
    if path is not None:
        with np.load(path) as f:
            out.reshape(-1)[f["at"]] = f["ids"]
    return out


def _save(a: NDArray, path: str) -> str | None:
    """Keep a tile's non-zero cells (centres are a small share of a tile); None if none."""
    at = np.flatnonzero(a)
    if not len(at):
        return None
    np.savez(path, at=at.astype(np.int64), ids=a.reshape(-1)[at])
    return path + ".npz" if not path.endswith(".npz") else path


# ---------------------------------------------------------------------------- classification

def classify_tiled(pop: da.Array, land: da.Array | None, built: da.Array | None, *, level: int,
                   params: GridParams, cell_km2: float = 1.0, scratch: str | Path | None = None,
                   scheduler: Any = None) -> tuple[da.Array, dict[str, Any], Callable[[], None]]:
    """Classify a dask grid tile by tile; returns the (lazy) codes, what was used (as
    :func:`classify_arrays`) and a function that removes the scratch tiles once the codes
    are computed or written."""
    p = params
    need = max(MAJORITY_ROUNDS, int(math.ceil(p.uc_max_gap_km2 / cell_km2)), p.sduc_buffer,
               p.uc_smooth_pop_window // 2, p.ucl_smooth_pop_window // 2)
    if min(pop.shape) < need:
        raise ConfigError(f"a grid of {pop.shape[0]} x {pop.shape[1]} cells is too small to tile (halos of "
                          f"{need} cells); use classify_grid")
    chunks = tuple(_merge_small(c, need) for c in pop.chunks)
    if min(min(c) for c in chunks) < need:
        raise ConfigError(f"tiles must be at least {need} cells wide (halos of the rules); "
                          f"smallest is {min(min(c) for c in pop.chunks)}")
    if chunks != pop.chunks:
        pop, land, built = (None if a is None else a.rechunk(chunks) for a in (pop, land, built))
    windows = [w for on, w in ((p.uc_smooth_pop, p.uc_smooth_pop_window),
                                (p.ucl_smooth_pop and level == 1, p.ucl_smooth_pop_window)) if on]
    halo = max([w // 2 for w in windows], default=0)
    g = _Grid(pop, land, built, cell_km2=cell_km2, halo=halo, scheduler=scheduler)
    info: dict[str, Any] = {"built_criterion": built is not None and (p.uc_built or (level == 2 and p.duc_built))}
    root = Path(tempfile.mkdtemp(prefix="degurba-tiles-", dir=scratch))

    def cleanup() -> None:
        shutil.rmtree(root, ignore_errors=True)

    try:
        return _classify(g, level, p, info, root), info, cleanup
    except BaseException:
        cleanup()
        raise


def _merge_small(sizes: tuple[int, ...], need: int) -> tuple[int, ...]:
    """Fold a last tile narrower than ``need`` into the one before (ragged grids)."""
    if len(sizes) > 1 and sizes[-1] < need:
        return (*sizes[:-2], sizes[-2] + sizes[-1])
    return sizes


def _optimal(g: _Grid, density: float, size: float, contiguity: int) -> float:
    """The R2023A optimal built-up threshold (see :func:`optimal_builtup`), tiled."""
    rule = _Rule(density, None, None, contiguity)
    cl = g.clusters([rule])[rule]
    lut = cl.lookups(cl.sums >= size)
    halo, ck = g.halo, g.cell_km2

    def part(pop, land, built, keep):
        t = _Tile(pop, land, built, halo, ck)
        lab = t.labels(rule)[0]
        b = t.core(built)[keep[lab]]
        b = b[~np.isnan(b)]
        return float(b.sum()), b.size

    parts = g.compute(*g.per_tile(part, lut).values())
    total, n = sum(x[0] for x in parts), sum(x[1] for x in parts)
    return total / n if n else float("nan")


def _classify(g: _Grid, level: int, p: GridParams, info: dict[str, Any], root: Path) -> da.Array:
    uc_thr, duc_thr = built_thresholds(p, level, g.built is not None,
                                       lambda density, size, contiguity: _optimal(g, density, size, contiguity))
    info["built_threshold_uc"], info["built_threshold_duc"] = uc_thr, duc_thr

    uc = _Rule(p.uc_density, uc_thr, p.uc_smooth_pop_window if p.uc_smooth_pop else None, p.uc_contiguity)
    if level == 1:
        ucl = _Rule(p.ucl_density, None, p.ucl_smooth_pop_window if p.ucl_smooth_pop else None, p.ucl_contiguity)
        others = [(ucl, p.ucl_size, 21)]
    else:
        duc = _Rule(p.duc_density, duc_thr, None, p.duc_contiguity)
        sduc = _Rule(p.sduc_density, None, None, p.sduc_contiguity)
        others = [(duc, p.duc_size, 23), (sduc, p.sduc_size, 22),
                  (_Rule(p.surb_density, None, None, p.surb_contiguity), p.surb_size, 21),
                  (_Rule(p.rc_density, None, None, p.rc_contiguity), p.rc_size, 13)]
    rules = list(dict.fromkeys([uc] + [r for r, _, _ in others]))
    clusters = g.clusters(rules)

    # urban centres: cluster ids of the kept clusters, then majority rule and gap filling
    cl = clusters[uc]
    keep = cl.sums >= p.uc_size
    keep[0] = False
    ids = np.where(keep, np.arange(len(keep)), 0).astype(np.int32)
    centres = _centres(g, uc, cl.lookups(ids), p, root, any_centre=bool(keep.any()))

    # the other classes, in the serial order (a cell keeps the first code it gets)
    kept: list[tuple[_Rule, dict, int]] = []
    for rule, size, code in others:
        c = clusters[rule]
        k = c.sums >= size
        k[0] = False
        kept.append((rule, c, k, code))
    if level == 2:
        # semi-dense clusters: not within sduc_buffer cells of centres or dense clusters
        duc_rule, duc_cl, duc_keep, _ = kept[0]
        urban = centres | g.tile_values(duc_rule, duc_cl.lookups(duc_keep), bool)
        rule, c, k, code = kept[1]
        buffer = da.map_overlap(lambda m: _dilate_square(m, p.sduc_buffer), urban, depth=p.sduc_buffer,
                                boundary=False, dtype=bool) if p.sduc_buffer else urban
        bl = buffer.to_delayed()
        halo, ck = g.halo, g.cell_km2

        def touched(pop, land, built, blk):
            lab, n = _Tile(pop, land, built, halo, ck).labels(rule)[:2]
            f = np.zeros(n + 1, dtype=bool)
            f[np.unique(lab[blk])] = True
            return f

        d = dask.delayed(touched, pure=False)
        res = g.compute(*[d(*g.tile_args(i, j), bl[i, j]) for i, j in g.blocks()])
        flags = dict(zip(g.blocks(), res, strict=True))
        kept[1] = (rule, c, k & ~c.any_per_cluster(flags), code)

    out = da.where(centres, np.uint8(30), np.uint8(0))
    for rule, c, k, code in kept:
        m = g.tile_values(rule, c.lookups(k), bool)
        out = da.where((out == 0) & m, np.uint8(code), out)
    ldr = p.ldr_density
    water_p = p
    land_given = g.land is not None

    def finish(t: _Tile) -> NDArray[np.uint8]:
        inp = t.inp
        o = np.zeros(t.core(inp.pop).shape, dtype=np.uint8)
        if level == 2:
            with np.errstate(invalid="ignore"):
                o[t.core(inp.density) >= ldr] = 12
        o[o == 0] = 11
        o[(o == 11) & t.core(inp.water(water_p))] = 10
        if not land_given:
            o[np.isnan(t.core(inp.pop))] = NODATA
        return o

    rest = g.elementwise(finish, np.uint8)
    if not land_given:
        out = da.where(rest == NODATA, np.uint8(NODATA), da.where(out == 0, rest, out))
    else:
        out = da.where(out == 0, rest, out)
        out = da.where((out == 11) & (rest == 10), np.uint8(10), out)
    if level == 1:
        lut = np.full(256, NODATA, dtype=np.uint8)
        lut[[30, 23, 22, 21, 13, 12, 11, 10]] = [3, 2, 2, 2, 1, 1, 1, 0]
        out = out.map_blocks(lambda b: lut[b], dtype=np.uint8)
    return out


def _centres(g: _Grid, uc: _Rule, lookups: dict, p: GridParams, root: Path, *, any_centre: bool) -> da.Array:
    """Urban-centre cells after the majority rule and gap filling (bool dask array)."""
    ids0 = g.tile_values(uc, lookups, np.int32)
    if not any_centre:
        return ids0 > 0
    store = _Store(root, g.chunks, np.int32)
    save = dask.delayed(_save, pure=False)
    blocks = ids0.to_delayed()
    paths = g.compute(*[save(blocks[i, j], str(root / f"c0_{i}_{j}.npz")) for i, j in g.blocks()])
    store.files = dict(zip(g.blocks(), paths, strict=True))

    def near(changed: set) -> list[tuple[int, int]]:
        return [(i, j) for i, j in g.blocks()
                if any((i + di, j + dj) in changed for di in (-1, 0, 1) for dj in (-1, 0, 1))]

    if p.uc_smooth_edge:
        water0 = GridParams()
        land_given = g.land is not None
        uc_window = uc.window

        def masks(t: _Tile) -> NDArray[np.uint8]:
            water = t.core(t.inp.water(water0))
            code = water.astype(np.uint8)  # 1 water, 2 ignored, 3 both
            if land_given:
                pop = t.smoothed(uc_window)[0] if uc_window else t.inp.pop
                with np.errstate(invalid="ignore"):
                    ign = t.core((t.inp.land < 0.5) & (pop == 0))
                code |= ign.astype(np.uint8) << 1
            return code

        flags = g.elementwise(masks, np.uint8)
        r = MAJORITY_ROUNDS
        fl = da.overlap.overlap(flags, depth={0: r, 1: r}, boundary={0: 4, 1: 4}).to_delayed()  # 4: outside
        version = p.uc_smooth_edge
        active = {k for k, f in store.files.items() if f is not None}
        step = 0
        while active:
            step += 1
            ext = da.overlap.overlap(store.array(), depth={0: r, 1: r}, boundary={0: 0, 1: 0}).to_delayed()
            todo = near(active) if step == 1 else sorted(active)

            def run(ids, f, path):
                new = _majority(ids, water=(f & 1) > 0, ignore=(f & 2) > 0, version=version, max_rounds=r,
                                outside=(f & 4) > 0)
                core = (slice(r, -r), slice(r, -r))
                diff = new[core] != ids[core]
                if not diff.any():
                    return None, ()
                # the tiles whose halo (or core) holds a changed cell: only they can change next
                sel = {-1: slice(0, r), 0: slice(None), 1: slice(-r, None)}
                hit = tuple((di, dj) for di in (-1, 0, 1) for dj in (-1, 0, 1) if diff[sel[di], sel[dj]].any())
                return _save(new[core], path), hit

            d = dask.delayed(run, pure=False)
            res = g.compute(*[d(ext[i, j], fl[i, j], str(root / f"m{step}_{i}_{j}.npz")) for i, j in todo])
            active = set()
            for (i, j), (path, hit) in zip(todo, res, strict=True):
                if hit:
                    store.files[i, j] = path
                    active.update((i + di, j + dj) for di, dj in hit
                                  if 0 <= i + di < g.nb[0] and 0 <= j + dj < g.nb[1])

    ids = store.array()
    if p.uc_gap_fill:
        m = int(math.ceil(p.uc_max_gap_km2 / g.cell_km2)) - 1
        if m >= 1:
            ids = da.map_overlap(lambda a: _fill_gaps(a, m), ids, depth=m + 1, boundary=-1, dtype=np.int32)
    return ids > 0


# ---------------------------------------------------------------------------- inputs and outputs

class _WindowReader:
    """A raster band read lazily by windows (NaN on nodata), for :func:`dask.array.from_array`."""

    def __init__(self, info: Any):
        self.info = info
        self.shape = (info.height, info.width)
        self.dtype = np.dtype("float64")
        self.ndim = 2

    def __getitem__(self, key: tuple[slice, slice]) -> NDArray[np.float64]:
        import rasterio.windows

        from ..geo.raster import read_masked

        rows, cols = (k.indices(n) for k, n in zip(key, self.shape, strict=True))
        win = rasterio.windows.Window(cols[0], rows[0], cols[1] - cols[0], rows[1] - rows[0])
        return read_masked(self.info, window=win, nonnegative=False).filled(np.nan)


def as_dask(a: Any, chunks: int | tuple | None, name: str) -> tuple[da.Array, Any]:
    """A 2-D float dask array from a dask/numpy array, an xarray DataArray or a raster path
    (read by windows); also the RasterInfo of a path (else None)."""
    from ..geo.raster import open_raster

    info = None
    if isinstance(a, (str, Path)):
        info = open_raster(a, name=name)
        a = da.from_array(_WindowReader(info), chunks=chunks or 2000, asarray=False,
                          meta=np.empty((0, 0), dtype=np.float64), name=f"{name}-{tokenize_path(info)}")
    elif hasattr(a, "dims") and hasattr(a, "data"):  # xarray.DataArray
        if a.ndim == 3 and a.shape[0] == 1:
            a = a[0]
        a = a.data
    if not isinstance(a, da.Array):
        a = da.from_array(np.asarray(a), chunks=chunks or 2000)
    elif chunks is not None:
        a = a.rechunk(chunks)
    if a.ndim != 2:
        raise DataError(f"{name} must be a 2-D grid; got shape {a.shape}")
    if a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float64)
    return a, info


def tokenize_path(info: Any) -> str:
    from dask.base import tokenize

    p = Path(info.path)
    st = p.stat()
    return tokenize(str(p.resolve()), st.st_size, st.st_mtime_ns)


def write_geotiff(codes: da.Array, path: Path, *, transform: Any, crs: Any, level: int, scheduler: Any,
                  tags: dict[str, str]) -> Path:
    """Write the codes block row by block row (each row of tiles computed in parallel)."""
    import rasterio
    from rasterio.windows import Window

    from ..geo.io import atomic_path

    h, w = codes.shape
    profile = dict(driver="GTiff", width=w, height=h, count=1, dtype="uint8", crs=crs, transform=transform,
                   nodata=NODATA, compress="deflate", tiled=True, blockxsize=256, blockysize=256, BIGTIFF="IF_SAFER")
    blocks = codes.to_delayed()
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        r0 = 0
        for i, hh in enumerate(codes.chunks[0]):
            row = dask.compute(*blocks[i, :], scheduler=scheduler)
            c0 = 0
            for blk in row:
                dst.write(blk, 1, window=Window(c0, r0, blk.shape[1], blk.shape[0]))
                c0 += blk.shape[1]
            r0 += hh
        dst.update_tags(level=str(level), **tags)
    return path


# ---------------------------------------------------------------------------- public entry

def classify_grid_tiled(population: Any, *, land: Any = None, built: Any = None, level: int = 2,
                        params: GridParams | None = None, chunks: int | tuple[int, int] | None = None,
                        cell_km2: float | None = None, out: str | Path | None = None, scratch: str | Path | None = None,
                        client: Any = None, transform: Any = None, crs: Any = None,
                        **overrides: Any) -> Any:
    """Classify a population grid tile by tile on dask (stage 1): the codes of
    :func:`classify_grid`, cell for cell, for grids larger than memory.

    Clusters are labelled per tile and joined across tile borders, their people summed
    per cluster before the size rules; the majority rule, gap filling, semi-dense buffer
    and smoothing run on tiles with halos (see ``_degurba_tiled``).  Computes with the
    active dask scheduler (a ``distributed.Client`` made default, or ``client=``).

    Parameters
    ----------
    population : dask array, numpy array, xarray.DataArray or raster path
        People per cell (NaN = no data); a path is read lazily by windows.
    land, built : same kinds, optional
        As :func:`classify_grid` (shares or m2 per cell), on the population's grid.
    level, params, cell_km2, **overrides
        As :func:`classify_grid` (``cell_km2`` from the raster for paths).
    chunks : int or (rows, cols), optional
        Tile size (default: a dask array's own chunks, else 2,000 cells); tiles must be
        at least 16 cells wide (the majority rule's halo).
    out : path, optional
        Write a GeoTIFF (uint8, nodata 255) one row of tiles at a time and return the path;
        without it the codes come back as a dask array held in (distributed) memory.
    scratch : directory, optional
        Where urban-centre tiles wait between majority rounds (default: the system temp
        directory); every worker must see it.
    client : distributed.Client, optional
        Compute on this cluster instead of the active scheduler.
    transform, crs : optional
        Georeferencing of ``out`` (default: the population raster's).

    Returns
    -------
    dask.array.Array of uint8, or Path when ``out`` is given

    Raises
    ------
    DataError
        Grids of different shapes, negative population, a level other than 1 or 2.
    ConfigError
        Tiles narrower than the rules' halos; a bad parameter.
    ImportError
        dask is not installed (``pip install 'urbanrural[scale]'``).

    Examples
    --------
    >>> from urbanrural.analysis.degurba import classify_grid
    >>> pop = np.full((60, 60), 20.0)
    >>> pop[20:35, 25:40] = 1500.0              # 225 x 1,500 = 337,500 people, across 4 tiles
    >>> tiled = classify_grid_tiled(pop, chunks=30).compute(scheduler="synchronous")
    >>> bool((tiled == classify_grid(pop)).all()), int(tiled[27, 32])
    (True, 30)
    """
    from .degurba import _params, logger

    if level not in (1, 2):
        raise DataError(f"level must be 1 or 2; got {level!r}")
    p = _params(params, overrides)
    scheduler = None if client is None else client.get
    pop, info = as_dask(population, chunks, "population")
    if info is not None:
        cell_km2 = info.cell_area_m2 / 1e6 if cell_km2 is None else cell_km2
        transform = info.transform if transform is None else transform
        crs = info.crs if crs is None else crs
    cell_km2 = 1.0 if cell_km2 is None else float(cell_km2)
    if out is not None and (transform is None or crs is None):
        raise DataError("out= needs the grid's transform and crs: give them, or a population raster path")
    grids: dict[str, Any] = {}
    for name, a in (("land", land), ("built", built)):
        if a is not None:
            g, _ = as_dask(a, pop.chunks, name)
            if g.shape != pop.shape:
                raise DataError(f"{name} grid has shape {g.shape}, population {pop.shape}: they must align")
            grids[name] = g.astype(pop.dtype).rechunk(pop.chunks)
    checks = [da.nanmin(pop)] + [da.nanmax(g) for g in grids.values()]
    lows = dask.compute(*checks, scheduler=scheduler)
    if lows[0] < 0:
        raise DataError("population grid has negative cells: declare the nodata value or clip negatives")
    for (name, g), mx in zip(grids.items(), lows[1:], strict=True):
        if mx > 1.0:
            if mx / (cell_km2 * 1e6) > 1.0 + 1e-6:
                raise DataError(f"{name} grid: values exceed the cell area ({cell_km2 * 1e6:g} m2); give shares "
                                "(0-1) or square metres per cell")
            grids[name] = g / g.dtype.type(cell_km2 * 1e6)
    if "built" not in grids and (p.uc_built or (level == 2 and p.duc_built)):
        logger.info("degurba: no built-up grid: the built-up criterion is off")
    codes, used, cleanup = classify_tiled(pop, grids.get("land"), grids.get("built"), level=level, params=p,
                                             cell_km2=cell_km2, scratch=scratch, scheduler=scheduler)
    try:
        if out is not None:
            return write_geotiff(codes, Path(out), transform=transform, crs=crs,
                                    level=level, scheduler=scheduler,
                                    tags={"method": "Degree of Urbanisation, stage 1 (GHSL R2023A rules), tiled",
                                          "built_threshold": str(used.get("built_threshold_uc")),
                                          "params": str(asdict(p))})
        (codes,) = dask.persist(codes, scheduler=scheduler)
        if client is not None or _distributed_active():  # persist runs in the background there
            from distributed import wait

            # the scratch tiles go in `finally`: wait on the cluster that holds the futures
            # (distributed.wait uses the default client, which `client` need not be)
            if client is not None:
                with client.as_current():
                    wait(codes)
            else:
                wait(codes)
        return codes
    finally:
        cleanup()


def _distributed_active() -> bool:
    try:
        from distributed import default_client

        default_client()
    except (ImportError, ValueError):
        return False
    return True
