"""Kernel density of one variable per year, with the diagnostics papers describe.

One Gaussian kernel density per year, all on **one bandwidth rule** and evaluated on
**one common grid**, so the curves of different years can be laid on top of each other
(METHODS.md, "Change over time").  The numbers follow :class:`scipy.stats.gaussian_kde`
exactly; the kernel sum is our own (numpy), scipy stays the test oracle.

Bandwidth (the standard deviation ``h`` of the Gaussian kernel, in data units):

- ``"scott"`` (default): ``h_t = n_t ** (-1/5) * s_t``, with ``n_t`` the number of units
  and ``s_t`` the sample standard deviation (``ddof=1``) of year ``t`` -- scipy's
  ``gaussian_kde(x, bw_method="scott")``.  The *rule* is the same every year, the
  resulting ``h_t`` follows each year's spread;
- ``"silverman"``: ``h_t = (3 n_t / 4) ** (-1/5) * s_t`` (scipy's ``"silverman"``);
- a positive float ``h``: the same fixed kernel sd ``h`` in data units for every year
  (scipy's ``bw_method=h / s_t``).

Diagnostics per year (:attr:`KernelDensity.diagnostics`), read from the density on the grid
and from the sample itself:

- ``n_peaks``: local maxima of the density on the grid whose height is at least 5 % of
  that year's highest density (smaller bumps are noise in the tails);
- ``main_peak`` / ``main_peak_height``: position and height of the highest maximum;
- ``sd`` (``ddof=1``), ``iqr`` (75th - 25th percentile), ``skewness`` and ``kurtosis``
  (excess, Fisher; both bias-corrected, ``scipy.stats.skew/kurtosis(bias=False)``);
- ``left_tail`` = main peak - 5th percentile, ``right_tail`` = 95th percentile - main peak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ...geo.errors import DataError
from ._values import as_wide

__all__ = ["KernelDensity", "kernel_density", "PEAK_FLOOR"]

#: a local maximum counts as a peak when it reaches this share of the year's highest density
PEAK_FLOOR = 0.05
#: relative changes below this are "about the same" in :meth:`KernelDensity.describe`
_SAME = 0.05
_RULES = ("scott", "silverman")


@dataclass(frozen=True, eq=False)
class KernelDensity:
    """Kernel densities of one variable, one column per year, on a common grid.

    Attributes
    ----------
    grid : numpy.ndarray
        The evaluation points (ascending), shared by every year.
    density : pandas.DataFrame
        Density values, index = grid (named ``x``), columns = years.
    bandwidth : pandas.Series
        Kernel standard deviation per year, in data units.
    rule : str
        ``"scott"``, ``"silverman"`` or ``"fixed"`` (a float bandwidth).
    diagnostics : pandas.DataFrame
        One row per year: ``n``, ``n_peaks``, ``main_peak``, ``main_peak_height``, ``mean``,
        ``sd``, ``iqr``, ``skewness``, ``kurtosis``, ``left_tail``, ``right_tail``.
    """

    grid: np.ndarray
    density: pd.DataFrame
    bandwidth: pd.Series
    rule: str
    diagnostics: pd.DataFrame

    @property
    def years(self) -> list[int]:
        """The years, ascending."""
        return [int(y) for y in self.density.columns]

    def describe(self, *, language: Literal["en", "zh"] = "en", first: int | None = None,
                 last: int | None = None) -> str:
        """One or two sentences on how the distribution changed between two years.

        Compares the diagnostics of ``first`` and ``last`` (default: the first and last
        year): the main peak moves (by more than 5 % of the first year's sd) and rises or
        falls (by more than 5 %), the spread (sd) widens or narrows (more than 5 %), the
        number of peaks changes (a side peak appears: polarisation), a tail lengthens.

        Parameters
        ----------
        language : {"en", "zh"}
            English or Chinese wording.
        first, last : int, optional
            The years to compare.

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> a = rng.normal(0, 1, 200)
        >>> b = np.r_[rng.normal(0.5, 1.2, 150), rng.normal(5, 0.5, 50)]
        >>> kd = kernel_density(pd.DataFrame({2000: a, 2020: b}))
        >>> print(kd.describe())
        From 2000 to 2020 the main peak moves right and falls, the distribution widens, a side peak appears (polarisation), and the right tail lengthens.
        >>> print(kd.describe(language="zh"))
        2000—2020年，主峰右移且高度下降，分布变宽，出现侧峰（多极化），右拖尾延长。
        """
        if language not in ("en", "zh"):
            raise DataError(f"language must be 'en' or 'zh'; got {language!r}")
        years = self.years
        y0 = years[0] if first is None else int(first)
        y1 = years[-1] if last is None else int(last)
        for y in (y0, y1):
            if y not in years:
                raise DataError(f"year {y} is not in the densities; years: {years}")
        d0, d1 = self.diagnostics.loc[y0], self.diagnostics.loc[y1]
        en: list[str] = []
        zh: list[str] = []
        shift = (d1.main_peak - d0.main_peak) / d0.sd
        height = d1.main_peak_height / d0.main_peak_height - 1
        move_en = "moves right" if shift > _SAME else "moves left" if shift < -_SAME else "stays put"
        move_zh = "主峰右移" if shift > _SAME else "主峰左移" if shift < -_SAME else "主峰位置基本不变"
        h_en = "rises" if height > _SAME else "falls" if height < -_SAME else "keeps its height"
        h_zh = "高度上升" if height > _SAME else "高度下降" if height < -_SAME else "高度基本不变"
        en.append(f"the main peak {move_en} and {h_en}")
        zh.append(f"{move_zh}且{h_zh}")
        spread = d1.sd / d0.sd - 1
        if spread > _SAME:
            en.append("the distribution widens")
            zh.append("分布变宽")
        elif spread < -_SAME:
            en.append("the distribution narrows")
            zh.append("分布收窄")
        else:
            en.append("the spread stays about the same")
            zh.append("离散程度基本不变")
        p0, p1 = int(d0.n_peaks), int(d1.n_peaks)
        if p1 > p0:
            en.append("a side peak appears (polarisation)" if p1 - p0 == 1 else
                      f"{p1 - p0} side peaks appear (polarisation)")
            zh.append("出现侧峰（多极化）")
        elif p1 < p0:
            en.append("side peaks disappear (towards one pole)")
            zh.append("侧峰消失（趋于单极）")
        elif p1 > 1:
            en.append(f"it stays {p1}-peaked")
            zh.append("仍呈多峰分布")
        for side, side_zh in (("right", "右"), ("left", "左")):
            t0, t1 = d0[f"{side}_tail"], d1[f"{side}_tail"]
            if t0 > 0 and t1 / t0 - 1 > 2 * _SAME:
                en.append(f"the {side} tail lengthens")
                zh.append(f"{side_zh}拖尾延长")
        if language == "zh":
            return f"{y0}—{y1}年，" + "，".join(zh) + "。"
        body = ", ".join(en[:-1]) + ", and " + en[-1] if len(en) > 2 else " and ".join(en)
        return f"From {y0} to {y1} " + body + "."


def _bandwidths(frame: pd.DataFrame, bandwidth: str | float) -> tuple[pd.Series, str]:
    n = frame.shape[0]
    sd = frame.std(axis=0, ddof=1)
    flat = [int(y) for y, s in sd.items() if not s > 0]
    if flat:
        raise DataError(f"values are constant in year(s) {flat}: a density needs spread; drop those years")
    if isinstance(bandwidth, str):
        if bandwidth not in _RULES:
            raise DataError(f"bandwidth must be one of {list(_RULES)} or a positive number (data units); "
                            f"got {bandwidth!r}")
        factor = n ** (-1.0 / 5) if bandwidth == "scott" else (n * 3.0 / 4.0) ** (-1.0 / 5)
        return (sd * factor).rename("bandwidth"), bandwidth
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float, np.floating, np.integer)) \
            or not np.isfinite(bandwidth) or bandwidth <= 0:
        raise DataError(f"bandwidth must be one of {list(_RULES)} or a positive number (data units); "
                        f"got {bandwidth!r}")
    return pd.Series(float(bandwidth), index=frame.columns, name="bandwidth"), "fixed"


def _gauss_sum(x: np.ndarray, grid: np.ndarray, h: float) -> np.ndarray:
    """Gaussian kernel density of sample ``x`` with kernel sd ``h`` at ``grid``."""
    out = np.empty(grid.size)
    step = max(1, 2_000_000 // max(x.size, 1))
    norm = x.size * h * np.sqrt(2 * np.pi)
    for start in range(0, grid.size, step):
        z = (grid[start:start + step, None] - x[None, :]) / h
        out[start:start + step] = np.exp(-0.5 * z * z).sum(axis=1) / norm
    return out


def _peaks(dens: np.ndarray) -> np.ndarray:
    """Indices of local maxima (plateaus: their first point) at least PEAK_FLOOR of the maximum."""
    d = np.asarray(dens)
    floor = PEAK_FLOOR * d.max()
    left = np.r_[-np.inf, d[:-1]]
    # next different value to the right, to treat plateaus as one peak
    right = np.empty_like(d)
    nxt = -np.inf
    for i in range(d.size - 1, -1, -1):
        right[i] = nxt
        if i > 0 and d[i - 1] != d[i]:
            nxt = d[i]
    is_peak = (d > left) & (d > right) & (d >= floor)
    return np.flatnonzero(is_peak)


def _diagnostics(frame: pd.DataFrame, dens: pd.DataFrame, grid: np.ndarray) -> pd.DataFrame:
    rows = []
    for y in frame.columns:
        x = frame[y].to_numpy()
        d = dens[y].to_numpy()
        top = int(np.argmax(d))
        p5, q1, q3, p95 = np.percentile(x, [5, 25, 75, 95])
        rows.append({
            "n": x.size,
            "n_peaks": len(_peaks(d)),
            "main_peak": grid[top],
            "main_peak_height": d[top],
            "mean": x.mean(),
            "sd": x.std(ddof=1),
            "iqr": q3 - q1,
            "skewness": stats.skew(x, bias=False),
            "kurtosis": stats.kurtosis(x, bias=False),
            "left_tail": grid[top] - p5,
            "right_tail": p95 - grid[top],
        })
    out = pd.DataFrame(rows, index=pd.Index(frame.columns, name="year"))
    return out.astype({"n": int, "n_peaks": int})


def kernel_density(values: pd.DataFrame | pd.Series, *, bandwidth: str | float = "scott",
                   grid: np.ndarray | None = None, n_grid: int = 256) -> KernelDensity:
    """Gaussian kernel density per year on one bandwidth rule and one grid.

    Parameters
    ----------
    values : pandas.DataFrame or pandas.Series
        Units x years (index: unit ids, columns: integer years), or a long Series
        indexed by ``(unit, year)``.  At least 2 years, no missing cells.
    bandwidth : {"scott", "silverman"} or float
        The rule applied to every year (see the module docstring), or one fixed kernel
        sd in data units for all years.
    grid : array-like, optional
        Evaluation points, ascending.  Default: ``n_grid`` equally spaced points from the
        smallest value of any year minus 3 times the largest bandwidth to the largest value
        plus 3 times the largest bandwidth.
    n_grid : int
        Number of grid points when ``grid`` is not given.

    Returns
    -------
    KernelDensity
        ``.grid``, ``.density`` (grid x years), ``.bandwidth`` (per year),
        ``.diagnostics`` (per year) and ``.describe()``.

    Raises
    ------
    DataError
        One year only, missing cells, a year with constant values, a bad bandwidth or grid.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({2010: [1.0, 2.0, 2.5, 3.0, 6.0], 2020: [2.0, 3.0, 3.5, 4.0, 9.0]},
    ...                  index=["a", "b", "c", "d", "e"])
    >>> kd = kernel_density(v, n_grid=101)
    >>> kd.density.shape
    (101, 2)
    >>> kd.bandwidth.round(3).tolist()
    [1.366, 1.978]
    >>> kd.diagnostics.loc[2020, "n_peaks"]
    np.int64(1)
    """
    frame = as_wide(values, what="values", min_years=2, min_units=2)
    bw, rule = _bandwidths(frame, bandwidth)
    if grid is None:
        if isinstance(n_grid, bool) or not isinstance(n_grid, (int, np.integer)) or n_grid < 3:
            raise DataError(f"n_grid must be an integer >= 3; got {n_grid!r}")
        pad = 3 * bw.max()
        arr = frame.to_numpy()
        g = np.linspace(arr.min() - pad, arr.max() + pad, int(n_grid))
    else:
        g = np.asarray(grid, dtype=float).ravel()
        if g.size < 3 or not np.isfinite(g).all() or np.any(np.diff(g) <= 0):
            raise DataError("grid must hold at least 3 finite, strictly increasing values, "
                            "e.g. np.linspace(0, 100, 256)")
    dens = pd.DataFrame({y: _gauss_sum(frame[y].to_numpy(), g, float(bw[y])) for y in frame.columns},
                        index=pd.Index(g, name="x"))
    dens.columns.name = "year"
    bw.index.name = "year"
    return KernelDensity(grid=g, density=dens, bandwidth=bw, rule=rule,
                         diagnostics=_diagnostics(frame, dens, g))
