"""Spatial weights, global and local autocorrelation, hot spots.

Weights are built with libpysal; the global statistics' analytical moments come from
esda (``permutations=0``) and their permutation inference from our own seeded,
vectorised kernel. Local statistics (LISA, Gi*) use our own conditional-permutation
kernel in plain numpy: esda compiles its local kernels with numba in every new process
(tens of seconds), which a command-line run should not pay. The statistics equal esda's
to machine precision; pseudo p-values agree within Monte Carlo error.

Progress: permutation inference on many units takes seconds to minutes (40,000 units,
queen weights, 999 permutations: ~1.5 s each for LISA and Moran's I; a province of
villages is ten times that).  When a job's work (values permuted or gathered:
permutations x units for global statistics, permutations x links for local ones) is at
least ``BAR_MIN_WORK``, a bar with an ETA runs on stderr (not under ``-q``), over blocks of
permutations (global) or blocks of units (local).  Blocking does not change the numbers:
the global kernel consumes the seeded generator in the same order whatever the block
size (the same permutations; a statistic may differ by float rounding, 1e-16), and the
local kernel splits the units into fixed blocks of ``BLOCK_UNITS`` unit numbers, each
drawing its matrix of conditional permutations from its own stream
``SeedSequence(seed).spawn(...)[b]`` before it is cut into memory-sized chunks (chunked
and unchunked runs are equal to the last bit; both are tested).  The blocks also run in
parallel: ``lisa(..., scheduler="dask")`` sends one task per block to the active dask
scheduler (a LocalCluster or a cluster's address set up by the run) and gives the same
p-values as the serial run.  esda's own ``Moran_Local`` is not called, so there is no esda random stream to
preserve: as before, its statistics are matched exactly and its pseudo p-values within
Monte Carlo error.

Conventions (GeoDa and esda): Moran's I = (n / S0) sum_ij w_ij z_i z_j / sum_i z_i^2;
local I_i = (n - 1) z_i sum_j w_ij z_j / sum_k z_k^2; quadrants 1 HH, 2 LH, 3 LL, 4 HL;
pseudo p = (M + 1) / (R + 1) with M the permutations at least as extreme on the observed
side (folded, as esda). Gi* uses binary weights including the unit itself.

Examples
--------
>>> from urbanrural.layers import load_example
>>> columbus = load_example("columbus")
>>> w = weights(columbus, "queen")
>>> r = moran(columbus["CRIME"], w, permutations=99, seed=1)
>>> round(r.i, 6), round(r.z_norm, 4)
(0.500189, 5.6303)
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy import stats
from scipy.sparse.csgraph import connected_components

from ..geo.crs import require_projected
from ..geo.errors import DataError, IslandError, MissingDependencyError
from ..geo.progress import progress_bar
from ..geo.registry import check_choice
from ..geo.validate import preview

__all__ = ["Weights", "weights", "moran", "geary", "general_g", "moran_bv", "lisa", "local_g", "moran_scatter",
           "MoranResult", "GearyResult", "GeneralGResult", "LisaResult", "KINDS"]

logger = logging.getLogger("urbanrural")
KINDS = ("queen", "rook", "knn", "distance", "kernel")
ISLANDS = ("raise", "drop", "knn")
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
BAR_MIN_WORK = 50_000_000  # permuted/gathered values from which a bar is shown (~1-2 s of work)
BLOCK_UNITS = 2048  # units per block of conditional permutations (each block its own seeded stream)


# --------------------------------------------------------------------------- weights
@dataclass(frozen=True)
class Weights:
    """Spatial weights with the ids they refer to and what was done about islands.

    Attributes
    ----------
    w : libpysal.weights.W
        Transformed weights (``transform``), ids = unit ids (text).
    kind : str
    transform : str
    dropped : tuple of str
        Island ids removed (``islands="drop"``).
    attached : tuple of str
        Island ids joined to their nearest unit (``islands="knn"``).
    """

    w: libpysal.weights.W
    kind: str
    transform: str
    dropped: tuple[str, ...] = ()
    attached: tuple[str, ...] = ()

    @property
    def ids(self) -> pd.Index:
        return pd.Index(self.w.id_order)

    @property
    def n(self) -> int:
        return self.w.n

    def summary(self) -> dict[str, object]:
        card = np.array(list(self.w.cardinalities.values()))
        ncomp, _ = connected_components(self.w.sparse, directed=False)
        return {"kind": self.kind, "transform": self.transform, "n": self.w.n, "links": int(card.sum()),
                "mean_neighbours": round(float(card.mean()), 3), "min_neighbours": int(card.min()),
                "max_neighbours": int(card.max()), "islands": len(self.w.islands), "components": int(ncomp),
                "dropped": list(self.dropped), "attached": list(self.attached)}


def _build(units: gpd.GeoDataFrame, kind: str, k: int | None, threshold: float | None) -> libpysal.weights.W:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands: we handle them explicitly
        if kind == "queen":
            return libpysal.weights.Queen.from_dataframe(units, use_index=True, silence_warnings=True)
        if kind == "rook":
            return libpysal.weights.Rook.from_dataframe(units, use_index=True, silence_warnings=True)
        pts = units.copy()
        pts["geometry"] = units.geometry.representative_point() if units.geom_type.isin(
            ["Polygon", "MultiPolygon"]).any() else units.geometry
        if kind == "knn":
            return libpysal.weights.KNN.from_dataframe(pts, k=k, use_index=True)
        if kind == "distance":
            return libpysal.weights.DistanceBand.from_dataframe(pts, threshold=threshold, binary=True,
                                                                 use_index=True, silence_warnings=True)
        return libpysal.weights.Kernel.from_dataframe(pts, k=k or 6, fixed=False, function="triangular",
                                                      use_index=True)


def weights(units: gpd.GeoDataFrame, kind: str = "queen", *, k: int | None = None, threshold: float | None = None,
            islands: str = "raise", transform: str = "r") -> Weights:
    """Spatial weights between units.

    Parameters
    ----------
    units : GeoDataFrame
        Indexed by unit id.
    kind : {"queen", "rook", "knn", "distance", "kernel"}
        Contiguity (shared edge or vertex / shared edge), k nearest neighbours, a distance
        band (``threshold`` metres, binary), or an adaptive triangular kernel (k neighbours).
    k : int
        Neighbours for knn/kernel (default 6); must be < number of units.
    threshold : float
        Distance band in metres (projected CRS required).
    islands : {"raise", "drop", "knn"}
        Units without neighbours: refuse listing them, drop them (reported), or join each to
        its nearest unit.
    transform : {"r", "b", ...}
        libpysal transformation; row-standardised by default.
    """
    check_choice(kind, KINDS, what="weights kind")
    check_choice(islands, ISLANDS, what="island policy")
    n = len(units)
    if not units.index.is_unique:
        raise DataError(f"units have duplicate ids {preview(units.index[units.index.duplicated()])}")
    if kind in ("knn", "kernel"):
        k = k or 6
        if not 0 < k < n:
            raise DataError(f"k = {k} neighbours needs more than k units; there are {n}: choose k < {n}")
    if kind == "distance":
        if threshold is None or not threshold > 0:
            raise DataError(f"a distance band needs threshold > 0 (metres); got {threshold!r}")
        require_projected(units.crs, name="units", what="a distance band")
    w = _build(units, kind, k, threshold)
    dropped: tuple[str, ...] = ()
    attached: tuple[str, ...] = ()
    if w.islands:
        isl = [str(i) for i in w.islands]
        if islands == "raise":
            raise IslandError(f"{len(isl)} unit(s) have no {kind} neighbours: {preview(isl)}; pass islands='drop' "
                              "to leave them out or islands='knn' to join each to its nearest unit")
        if islands == "drop":
            keep = units.index.difference(pd.Index(isl), sort=False)
            w = _build(units.loc[keep], kind, k, threshold)
            dropped = tuple(isl)
            logger.warning(f"weights: dropped {len(isl)} island(s): {preview(isl)}")
        else:
            w1 = _build(units, "knn", 1, None)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = libpysal.weights.attach_islands(w, w1)
            attached = tuple(isl)
            logger.warning(f"weights: joined {len(isl)} island(s) to their nearest unit: {preview(isl)}")
    w.transform = transform
    return Weights(w, kind, transform, dropped, attached)


def _as_weights(w: object) -> Weights:
    if isinstance(w, Weights):
        return w
    if isinstance(w, libpysal.weights.W):
        return Weights(w, "user", w.transform or "o")
    if hasattr(w, "to_W"):  # libpysal.graph.Graph
        ww = w.to_W()
        return Weights(ww, "user", "o")
    raise DataError(f"weights must come from urbanrural weights(), or be a libpysal W or Graph; got {type(w).__name__}")


def _values(y: object, w: Weights, *, name: str = "y", dropna: bool = False) -> tuple[NDArray[np.float64], Weights]:
    """Align y to the weights' ids; refuse NaN (or drop with a report), constants, mismatches."""
    ids = w.ids
    if isinstance(y, pd.Series):
        missing = ids.difference(y.index.astype(str) if y.index.dtype != ids.dtype else y.index)
        s = y.copy()
        if s.index.dtype != ids.dtype:
            s.index = s.index.astype(str)
        if len(missing):
            raise DataError(f"{name} has no value for {len(missing)} unit(s) of the weights: {preview(missing)}")
        s = s.reindex(ids)
    else:
        arr = np.asarray(y, dtype=float).ravel()
        if len(arr) != w.n:
            raise DataError(f"{name} has {len(arr)} values but the weights have {w.n} units")
        s = pd.Series(arr, index=ids)
    s = pd.to_numeric(s, errors="coerce").astype(float)
    bad = ~np.isfinite(s.to_numpy())
    if bad.any():
        if not dropna:
            raise DataError(f"{name} is missing for {int(bad.sum())} unit(s): {preview(ids[bad])}; fill them or pass "
                            "dropna=True to leave those units out")
        keep = ids[~bad]
        logger.warning(f"{name}: left out {int(bad.sum())} unit(s) with no value: {preview(ids[bad])}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sub = libpysal.weights.w_subset(w.w, list(keep))
        if sub.islands:
            raise IslandError(f"dropping the units without {name} leaves islands {preview(sub.islands)}")
        sub.transform = w.transform
        w = Weights(sub, w.kind, w.transform, w.dropped + tuple(map(str, ids[bad])), w.attached)
        s = s.loc[keep]
    v = s.to_numpy()
    if np.ptp(v) == 0:
        raise DataError(f"{name} is constant ({v[0]:g}) across all units: autocorrelation is undefined")
    return v, w


# --------------------------------------------------------------------------- permutations
def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(seed)


def _folded_p(sim: NDArray[np.float64], obs: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """esda's folded pseudo p-value: (M + 1) / (R + 1), M on the observed side."""
    r = sim.shape[-1]
    larger = (sim >= np.expand_dims(obs, -1)).sum(-1)
    larger = np.where(r - larger < larger, r - larger, larger)
    return (larger + 1.0) / (r + 1.0)


def _global_sims(stat, y: NDArray[np.float64], permutations: int, seed: int | None, chunk: int = 256, *,
                 desc: str = "permutations") -> NDArray[np.float64]:
    """stat(Y) on columns of a (n, m) matrix of permuted y, ``chunk`` permutations at a time.

    The generator is consumed in the same order whatever ``chunk`` is, so the result does
    not depend on it; a bar (``desc``) runs when permutations x n >= ``BAR_MIN_WORK``.
    """
    rng = _rng(seed)
    out = []
    with progress_bar(desc=desc, total=permutations, unit="perm",
                      show=permutations * len(y) >= BAR_MIN_WORK) as bar:
        for start in range(0, permutations, chunk):
            m = min(chunk, permutations - start)
            Y = np.stack([rng.permutation(y) for _ in range(m)], axis=1)
            out.append(stat(Y))
            bar.update(m)
    return np.concatenate(out) if out else np.array([])


# --------------------------------------------------------------------------- global
@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I with normality, randomisation and permutation inference."""

    i: float
    expected_i: float
    var_norm: float
    z_norm: float
    p_norm: float
    var_rand: float
    z_rand: float
    p_rand: float
    z_sim: float
    p_sim: float
    permutations: int
    n: int
    seed: int | None = None
    sims: NDArray[np.float64] = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def summary(self) -> pd.Series:
        """I, E[I], Var, z and p as papers print them (p two-sided for z, pseudo p for sims)."""
        return pd.Series({"I": self.i, "E[I]": self.expected_i, "Var[I] (norm)": self.var_norm,
                          "z (norm)": self.z_norm, "p (norm)": self.p_norm, "Var[I] (rand)": self.var_rand,
                          "z (rand)": self.z_rand, "p (rand)": self.p_rand, "z (sim)": self.z_sim,
                          "pseudo p": self.p_sim, "permutations": self.permutations, "n": self.n})


def _moran_matrix(wsp: sp.csr_matrix, s0: float, n: int):
    def stat(Y: NDArray[np.float64]) -> NDArray[np.float64]:
        Z = Y - Y.mean(0)
        return n / s0 * (Z * (wsp @ Z)).sum(0) / (Z * Z).sum(0)

    return stat


def _sim_z(sims: NDArray[np.float64], obs: float) -> float:
    sd = sims.std(ddof=1) if len(sims) > 1 else np.nan
    return float((obs - sims.mean()) / sd) if sd and np.isfinite(sd) else float("nan")


def moran(y: object, w: object, *, permutations: int = 999, seed: int | None = None,
          dropna: bool = False) -> MoranResult:
    """Global Moran's I (esda moments; seeded permutation inference).

    p_norm and p_rand are two-sided (esda's ``two_tailed=True``); p_sim is the folded
    pseudo p-value.
    """
    ww = _as_weights(w)
    v, ww = _values(y, ww, dropna=dropna)
    import esda  # imported here: importing esda pulls in numba (slow start)

    m = esda.Moran(v, ww.w, transformation=ww.transform, permutations=0, two_tailed=True)
    wsp = ww.w.sparse.tocsr()
    sims = _global_sims(_moran_matrix(wsp, float(ww.w.s0), ww.n), v, permutations, seed,
                        desc="Moran's I permutations") if permutations else None
    p_sim = float(_folded_p(sims, m.I)) if permutations else float("nan")
    z_sim = _sim_z(sims, m.I) if permutations else float("nan")
    return MoranResult(float(m.I), float(m.EI), float(m.VI_norm), float(m.z_norm), float(m.p_norm),
                       float(m.VI_rand), float(m.z_rand), float(m.p_rand), z_sim, p_sim, permutations, ww.n, seed, sims)


@dataclass(frozen=True)
class GearyResult:
    """Geary's C."""

    c: float
    expected_c: float
    z_norm: float
    p_norm: float
    z_rand: float
    p_rand: float
    z_sim: float
    p_sim: float
    permutations: int

    def summary(self) -> pd.Series:
        return pd.Series({"C": self.c, "E[C]": self.expected_c, "z (norm)": self.z_norm, "p (norm)": self.p_norm,
                          "z (rand)": self.z_rand, "p (rand)": self.p_rand, "pseudo p": self.p_sim})


def geary(y: object, w: object, *, permutations: int = 999, seed: int | None = None,
          dropna: bool = False) -> GearyResult:
    """Geary's C (esda moments; seeded permutation inference). C < 1: positive autocorrelation."""
    ww = _as_weights(w)
    v, ww = _values(y, ww, dropna=dropna)
    import esda  # imported here: importing esda pulls in numba (slow start)

    g = esda.Geary(v, ww.w, transformation=ww.transform, permutations=0)
    wsp = ww.w.sparse.tocoo()
    n, s0 = ww.n, float(ww.w.s0)

    def stat(Y: NDArray[np.float64]) -> NDArray[np.float64]:
        Z = Y - Y.mean(0)
        num = (wsp.data[:, None] * (Y[wsp.row] - Y[wsp.col]) ** 2).sum(0)
        return (n - 1) * num / (2 * s0 * (Z * Z).sum(0))

    sims = _global_sims(stat, v, permutations, seed, desc="Geary's C permutations") if permutations else None
    # two-sided normal p from esda's z (esda reports one-sided values for Geary)
    p = lambda z: float(2 * stats.norm.sf(abs(z)))  # noqa: E731
    return GearyResult(float(g.C), float(g.EC), float(g.z_norm), p(g.z_norm), float(g.z_rand), p(g.z_rand),
                       _sim_z(sims, g.C) if permutations else float("nan"),
                       float(_folded_p(sims, g.C)) if permutations else float("nan"), permutations)


@dataclass(frozen=True)
class GeneralGResult:
    """Getis-Ord General G (binary weights)."""

    g: float
    expected_g: float
    z_norm: float
    p_norm: float
    p_sim: float
    permutations: int


def general_g(y: object, w: object, *, permutations: int = 999, seed: int | None = None) -> GeneralGResult:
    """Getis-Ord General G with binary weights (y must be positive)."""
    ww = _as_weights(w)
    v, ww = _values(y, ww)
    if (v < 0).any():
        raise DataError("General G needs non-negative values")
    wb = libpysal.weights.W(ww.w.neighbors, ww.w.weights, id_order=ww.w.id_order, silence_warnings=True)
    wb.transform = "b"
    import esda  # imported here: importing esda pulls in numba (slow start)

    g = esda.G(v, wb, permutations=0)
    wsp = wb.sparse.tocsr()

    def stat(Y: NDArray[np.float64]) -> NDArray[np.float64]:
        return (Y * (wsp @ Y)).sum(0) / ((Y.sum(0) ** 2) - (Y * Y).sum(0))

    sims = _global_sims(stat, v, permutations, seed, desc="General G permutations") if permutations else None
    return GeneralGResult(float(g.G), float(g.EG), float(g.z_norm), float(2 * stats.norm.sf(abs(g.z_norm))),
                          float(_folded_p(sims, g.G)) if permutations else float("nan"), permutations)


def moran_bv(x: object, y: object, w: object, *, permutations: int = 999, seed: int | None = None) -> MoranResult:
    """Bivariate Moran: x against the spatial lag of y (esda ``Moran_BV`` statistic)."""
    ww = _as_weights(w)
    vx, _ = _values(x, ww, name="x")
    vy, _ = _values(y, ww, name="y")
    import esda  # imported here: importing esda pulls in numba (slow start)

    bv = esda.Moran_BV(vx, vy, ww.w, transformation=ww.transform, permutations=0)
    wsp = ww.w.sparse.tocsr()
    zx = (vx - vx.mean()) / vx.std()
    n = ww.n

    def stat(Y: NDArray[np.float64]) -> NDArray[np.float64]:
        Z = (Y - Y.mean(0)) / Y.std(0)
        return (zx[:, None] * (wsp @ Z)).sum(0) / n * (n / float(ww.w.s0))

    sims = _global_sims(stat, vy, permutations, seed, desc="bivariate Moran permutations") if permutations \
        else np.array([])
    nan = float("nan")
    return MoranResult(float(bv.I), -1.0 / (n - 1), nan, nan, nan, nan, nan, nan,
                       _sim_z(sims, bv.I) if permutations else nan,
                       float(_folded_p(sims, bv.I)) if permutations else nan, permutations, n, seed, sims)


# --------------------------------------------------------------------------- local
def _unit_blocks(card: NDArray[np.int64], block: int) -> list[NDArray[np.intp]]:
    """Units with neighbours, in blocks of the ``block`` consecutive unit numbers (fixed by
    n and ``block`` only, so every executor sees the same blocks)."""
    n = len(card)
    out = []
    for s in range(0, n, block):
        u = s + np.flatnonzero(card[s:s + block] > 0)
        if len(u):
            out.append(u)
    return out


def _block_lags(z: NDArray[np.float64], indptr: NDArray, data: NDArray, units: NDArray[np.intp],
                permutations: int, stream: np.random.SeedSequence, chunk_cells: int = 250_000):
    """Yield (unit indices, simulated lags (m, R)) for one block of units.

    As esda: one matrix of random draws (R x the block's max cardinality) from the n - 1
    other units is shared by the block's units; unit i's draws skip i itself; its own
    weights multiply the draws. The matrix comes from the block's own stream, drawn
    before the block is cut into chunks of about ``chunk_cells`` gathered values, so the
    chunks do not change the result.
    """
    n = len(z)
    card = indptr[units + 1] - indptr[units]
    kmax = int(card.max())
    rng = np.random.default_rng(stream)
    draws = np.stack([rng.choice(n - 1, size=kmax, replace=False) for _ in range(permutations)])  # (R, kmax)
    for k in np.unique(card):
        uk = units[card == k]
        d = draws[:, :k]  # (R, k)
        below, above = z[d], z[d + 1]  # unit i's draw j is unit j below i, else unit j + 1 (skip self)
        step = max(1, chunk_cells // max(1, permutations * k))
        for s in range(0, len(uk), step):
            u = uk[s:s + step]
            vals = np.where(d[None, :, :] >= u[:, None, None], above[None], below[None])  # (m, R, k)
            wts = np.stack([data[indptr[i]:indptr[i + 1]] for i in u])  # (m, k)
            yield u, np.einsum("mrk,mk->mr", vals, wts)


def _conditional_lags(z: NDArray[np.float64], wsp: sp.csr_matrix, permutations: int, seed: int | None,
                      chunk_cells: int = 4_000_000, *, desc: str = "local permutations", block: int | None = None):
    """Yield (unit indices, simulated lags (m, R)) under conditional permutation, block by block.

    Units are split into blocks of ``block`` (default :data:`BLOCK_UNITS`) consecutive
    unit numbers; block b draws from its own stream ``SeedSequence(seed).spawn(...)[b]``,
    so any executor running the same blocks gets the same lags (see :func:`_block_lags`).
    A bar runs when permutations x links >= ``BAR_MIN_WORK``.
    """
    card = np.diff(wsp.indptr)
    blocks = _unit_blocks(card, block or BLOCK_UNITS)
    streams = _streams(seed, len(blocks))
    with progress_bar(desc=desc, total=int((card > 0).sum()), unit="unit",
                      show=permutations * int(card.sum()) >= BAR_MIN_WORK) as bar:
        for units, stream in zip(blocks, streams, strict=True):
            for u, lags in _block_lags(z, wsp.indptr, wsp.data, units, permutations, stream, chunk_cells):
                yield u, lags
                bar.update(len(u))


def _streams(seed: int | None, k: int) -> list[np.random.SeedSequence]:
    """One independent seeded stream per block: ``SeedSequence(seed).spawn(k)`` (block b's
    stream depends on (seed, b) only, not on k)."""
    return np.random.SeedSequence(seed).spawn(k)


def _lisa_block(z: NDArray[np.float64], indptr: NDArray, data: NDArray, Is: NDArray[np.float64], den: float,
                units: NDArray[np.intp], permutations: int, stream: np.random.SeedSequence
                ) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """(units, pseudo p, z_sim) of one block of local Moran's I."""
    n = len(z)
    us, ps, zs = [], [], []
    for u, sim_lag in _block_lags(z, indptr, data, units, permutations, stream):
        sim_i = (n - 1) * z[u, None] * sim_lag / den
        sd = sim_i.std(1, ddof=1)
        us.append(u)
        ps.append(_folded_p(sim_i, Is[u]))
        zs.append((Is[u] - sim_i.mean(1)) / np.where(sd > 0, sd, np.nan))
    return np.concatenate(us), np.concatenate(ps), np.concatenate(zs)


def _g_block(v: NDArray[np.float64], indptr: NDArray, data: NDArray, obs: NDArray[np.float64], star: bool,
             units: NDArray[np.intp], permutations: int, stream: np.random.SeedSequence
             ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """(units, pseudo p) of one block of local G."""
    us, ps = [], []
    for u, sim_lag in _block_lags(v, indptr, data, units, permutations, stream):
        sim = sim_lag + (v[u, None] if star else 0.0)
        us.append(u)
        ps.append(_folded_p(sim, obs[u]))
    return np.concatenate(us), np.concatenate(ps)


SCHEDULERS = ("dask", "synchronous", "threads", "processes")


def _default_client():
    """The active distributed client, if one is set up (else None)."""
    from ..geo.cluster import active_client

    return active_client()


def _run_blocks(fn, shared: tuple, blocks: list, streams: list, permutations: int, scheduler: str | None, *,
                desc: str, total: int, work: int) -> list[tuple]:
    """``fn(*shared, units, permutations, stream)`` for every block: in this process
    (``scheduler=None``, with a bar), or as one dask task per block computed with the
    active dask scheduler (``"dask"``: the run's cluster when one is set up) or the named
    local one. The blocks and their streams are the same either way."""
    if scheduler is None:
        out = []
        with progress_bar(desc=desc, total=total, unit="unit", show=permutations * work >= BAR_MIN_WORK) as bar:
            for units, stream in zip(blocks, streams, strict=True):
                out.append(fn(*shared, units, permutations, stream))
                bar.update(len(units))
        return out
    check_choice(scheduler, SCHEDULERS, what="scheduler")
    try:
        import dask
    except ImportError as e:  # pragma: no cover - dask is in the scale extra
        raise MissingDependencyError("scheduler= needs dask; install the scale extra: pip install "
                                     "'urbanrural[scale]' (or leave scheduler=None)") from e
    task = dask.delayed(fn, pure=True)
    client = _default_client() if scheduler == "dask" else None
    if client is not None:  # the arrays go to every worker once, not inside the graph
        held = [client.scatter(a, broadcast=True) if isinstance(a, np.ndarray) else a for a in shared]
    else:
        held = [dask.delayed(a, pure=True) if isinstance(a, np.ndarray) else a for a in shared]  # one key each
    parts = [task(*held, units, permutations, stream) for units, stream in zip(blocks, streams, strict=True)]
    return list(dask.compute(*parts, scheduler=None if scheduler == "dask" else scheduler))


@dataclass(frozen=True)
class LisaResult:
    """Local Moran's I with conditional-permutation pseudo p-values."""

    ids: pd.Index
    Is: NDArray[np.float64]
    z: NDArray[np.float64]
    lag: NDArray[np.float64]
    z_sim: NDArray[np.float64]
    p_sim: NDArray[np.float64]
    quadrant: NDArray[np.int64]
    alpha: float
    adjust: str | None
    threshold: float
    permutations: int
    seed: int | None

    @property
    def significant(self) -> NDArray[np.bool_]:
        return self.p_sim <= self.threshold

    @property
    def cluster(self) -> NDArray[np.object_]:
        lab = np.array([QUADRANTS[q] for q in self.quadrant], dtype=object)
        return np.where(self.significant, lab, "ns")

    def to_frame(self) -> pd.DataFrame:
        """Ii, z_sim, p_sim, quadrant (1 HH, 2 LH, 3 LL, 4 HL), cluster on the unit ids."""
        return pd.DataFrame({"Ii": self.Is, "z": self.z, "lag_z": self.lag, "z_sim": self.z_sim, "p_sim": self.p_sim,
                             "quadrant": self.quadrant, "cluster": self.cluster}, index=self.ids)

    def counts(self) -> dict[str, int]:
        c = pd.Series(self.cluster).value_counts()
        return {k: int(c.get(k, 0)) for k in ("HH", "LL", "LH", "HL", "ns")}


def p_threshold(p: NDArray[np.float64], alpha: float, adjust: str | None) -> float:
    """The p-value at or below which a local statistic is significant at ``alpha``, after the
    multiple-testing ``adjust`` (None, "fdr": Benjamini-Hochberg, "bonferroni").

    Examples
    --------
    >>> p_threshold(np.array([0.001, 0.02, 0.04, 0.3]), 0.05, "fdr")   # 0.04 > 0.05 * 3/4
    0.02
    >>> p_threshold(np.array([0.001, 0.02, 0.04, 0.3]), 0.05, "bonferroni")
    0.0125
    """
    return _threshold(np.asarray(p, dtype=float), alpha, adjust)


def _threshold(p: NDArray[np.float64], alpha: float, adjust: str | None) -> float:
    if adjust is None:
        return alpha
    check_choice(adjust, ("fdr", "bonferroni"), what="p-value adjustment")
    n = len(p)
    if adjust == "bonferroni":
        return alpha / n
    ps = np.sort(p)
    ok = np.flatnonzero(ps <= alpha * np.arange(1, n + 1) / n)  # Benjamini-Hochberg
    return float(ps[ok[-1]]) if len(ok) else 0.0


def lisa(y: object, w: object, *, permutations: int = 999, seed: int | None = None, alpha: float = 0.05,
         adjust: str | None = None, dropna: bool = False, scheduler: str | None = None) -> LisaResult:
    """Local Moran's I (LISA) with conditional-permutation inference.

    Parameters
    ----------
    y : Series on unit ids, or array in the weights' order
    w : Weights (or libpysal W / Graph)
    permutations : int
    seed : int, optional
    alpha : float
        Significance level for clusters.
    adjust : {None, "fdr", "bonferroni"}
        Multiple-testing adjustment of the pseudo p-values' threshold.
    scheduler : {None, "dask", "synchronous", "threads", "processes"}
        Where the permutation blocks run (blocks of :data:`BLOCK_UNITS` units, block b
        drawing from ``SeedSequence(seed).spawn(...)[b]``): None in this process; "dask"
        one dask task per block on the active dask scheduler (the run's cluster, or
        dask's default); or the named local dask scheduler. The same seed gives the same
        p-values whatever the scheduler.

    Examples
    --------
    >>> from urbanrural.layers import load_example
    >>> columbus = load_example("columbus")
    >>> w = weights(columbus, "queen")
    >>> a = lisa(columbus["CRIME"], w, permutations=99, seed=1)
    >>> b = lisa(columbus["CRIME"], w, permutations=99, seed=1, scheduler="synchronous")
    >>> bool((a.p_sim == b.p_sim).all()), a.counts()["HH"] > 0
    (True, True)
    """
    ww = _as_weights(w)
    if ww.w.islands:
        raise IslandError(f"weights have islands {preview(ww.w.islands)}; build them with islands='drop' or 'knn'")
    v, ww = _values(y, ww, dropna=dropna)
    n = ww.n
    z = (v - v.mean()) / v.std()
    wsp = ww.w.sparse.tocsr()
    lag = wsp @ z
    den = (z * z).sum()
    Is = (n - 1) * z * lag / den
    z_sim = np.full(n, np.nan)
    p_sim = np.full(n, np.nan)
    if permutations:
        card = np.diff(wsp.indptr)
        blocks = _unit_blocks(card, BLOCK_UNITS)
        for u, p, zs in _run_blocks(_lisa_block, (z, wsp.indptr, wsp.data, Is, den), blocks,
                                    _streams(seed, len(blocks)), permutations, scheduler, desc="LISA permutations",
                                    total=int((card > 0).sum()), work=int(card.sum())):
            p_sim[u] = p
            z_sim[u] = zs
    quadrant = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3)).astype(np.int64)
    th = _threshold(p_sim, alpha, adjust) if permutations else alpha
    return LisaResult(ww.ids, Is, z, lag, z_sim, p_sim, quadrant, alpha, adjust, th, permutations, seed)


def local_g(y: object, w: object, *, star: bool = True, permutations: int = 999, seed: int | None = None,
            dropna: bool = False, scheduler: str | None = None) -> pd.DataFrame:
    """Getis-Ord local G (Gi* with ``star=True``, binary weights including the unit itself).

    Returns a frame on the unit ids: G, z (analytical, as esda ``G_Local`` and ArcGIS),
    p_norm (two-sided), p_sim (conditional permutation) and hotspot in
    {"hot 99%", "hot 95%", "hot 90%", "cold 99%", "cold 95%", "cold 90%", "ns"} from z.
    ``scheduler`` runs the permutation blocks as in :func:`lisa` (same seeded p_sim on
    every scheduler).
    """
    ww = _as_weights(w)
    v, ww = _values(y, ww, dropna=dropna)
    n = ww.n
    b = ww.w.sparse.tocsr().copy()
    b.data[:] = 1.0
    if star:
        b = (b + sp.identity(n, format="csr")).tocsr()
        b.data[:] = 1.0
    wsum = np.asarray(b.sum(1)).ravel()
    w2 = np.asarray(b.multiply(b).sum(1)).ravel()
    xbar = v.mean()
    s = np.sqrt((v * v).mean() - xbar ** 2)
    lagx = b @ v
    if star:
        denom_sum = v.sum()
        num = lagx - xbar * wsum
        var = np.sqrt((n * w2 - wsum ** 2) / (n - 1))
    else:
        # Gi excludes i: moments over the other n - 1 values
        others = v.sum() - v
        xb = others / (n - 1)
        si = np.sqrt(((v * v).sum() - v * v) / (n - 1) - xb ** 2)
        num = lagx - xb * wsum
        var = np.sqrt(((n - 1) * w2 - wsum ** 2) / (n - 2))
        s = si
        denom_sum = others
    with np.errstate(invalid="ignore", divide="ignore"):
        # a unit whose neighbourhood is every unit has no variance: z undefined (NaN, "ns")
        zval = np.where(var > 0, num / (s * np.where(var > 0, var, 1.0)), np.nan)
        G = lagx / denom_sum
    p_sim = np.full(n, np.nan)
    if permutations:
        # conditional permutation of the neighbours' values (the unit's own value stays)
        nb = ww.w.sparse.tocsr().copy()
        nb.data[:] = 1.0
        card = np.diff(nb.indptr)
        blocks = _unit_blocks(card, BLOCK_UNITS)
        obs = lagx if star else nb @ v
        for u, p in _run_blocks(_g_block, (v, nb.indptr, nb.data, obs, star), blocks, _streams(seed, len(blocks)),
                                permutations, scheduler, desc="local G permutations", total=int((card > 0).sum()),
                                work=int(card.sum())):
            p_sim[u] = p
    p_norm = 2 * stats.norm.sf(np.abs(zval))
    hot = np.select([zval >= 2.576, zval >= 1.960, zval >= 1.645, zval <= -2.576, zval <= -1.960, zval <= -1.645],
                    ["hot 99%", "hot 95%", "hot 90%", "cold 99%", "cold 95%", "cold 90%"], "ns")
    return pd.DataFrame({"G": G, "z": zval, "p_norm": p_norm, "p_sim": p_sim, "hotspot": hot}, index=ww.ids)


def moran_scatter(y: object, w: object) -> pd.DataFrame:
    """Moran scatterplot data: standardised value, its spatial lag, quadrant; the slope of
    lag on z equals Moran's I for row-standardised weights."""
    ww = _as_weights(w)
    v, ww = _values(y, ww)
    z = (v - v.mean()) / v.std()
    lag = ww.w.sparse.tocsr() @ z
    q = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    return pd.DataFrame({"z": z, "lag_z": lag, "quadrant": q, "label": [QUADRANTS[i] for i in q]}, index=ww.ids)
