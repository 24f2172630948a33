"""Integration indices: normalisation, entropy weights, TOPSIS, obstacle degree, coupling
coordination degree (CCD) with its classes.

Variants (recorded in results and run.json):

- normalisation ``minmax`` (default): positive Z = (x - min)/(max - min), negative
  Z = (max - x)/(max - min), with 0 ln 0 = 0 in the entropy; ``shift``: minmax + 0.0001
  (avoids ln 0); ``rescale``: a + (b - a) Z with ``bounds`` (a, b), default (0.01, 0.99)
  as SPSSAU, or e.g. (0.002, 0.996).
- entropy weights: p_ij = Z_ij / sum_i Z_ij; e_j = -(1/ln m) sum_i p_ij ln p_ij;
  d_j = 1 - e_j; w_j = d_j / sum d_j; score S_i = sum_j w_j Z_ij. For panels pool every
  unit-year as a row so the weights are fixed across years.
- TOPSIS: V = Z diag(w); C_i = D-_i / (D+_i + D-_i) with Euclidean distances to the
  column maxima and minima of V.
- obstacle degree O_ij = w_j (1 - Z_ij) / sum_j w_j (1 - Z_ij).
- CCD (U_i in [0, 1]): ``standard`` C = [prod U_i / (mean U)^n]^(1/n); ``wang2021``
  (Wang et al. 2021, J. Nat. Resour. 36(3):793) C = sqrt{[1 - sum_{i>j}|U_i - U_j| /
  sum_{m=1}^{n-1} m] x [prod_i U_i / max U]^(1/(n-1))}; ``fan2024`` (Fan et al. 2024)
  C = 1 - 2 sqrt[(n sum U^2 - (sum U)^2) / n^2]; T = sum a_i U_i (equal a by default);
  D = sqrt(C T). D classes (Tian et al. 2021) on intervals (a, b].

Examples
--------
>>> import pandas as pd
>>> u = pd.DataFrame({"urban": [0.8, 0.5], "rural": [0.4, 0.5]})
>>> coupling_coordination(u)[["C", "D", "level", "label_en"]].round(4)
        C       D  level              label_en
0  0.9428  0.7520      8  intermediate coordination
1  1.0000  0.7071      8  intermediate coordination
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..geo.errors import DataError
from ..geo.registry import check_choice
from ..geo.validate import preview

__all__ = ["normalize", "entropy_weights", "EntropyResult", "topsis", "obstacle_degree", "coupling_coordination",
           "urban_rural_lag", "D_CLASSES", "C_STAGES", "NORMALIZATIONS", "CCD_METHODS"]

NORMALIZATIONS = ("minmax", "shift", "rescale")
CCD_METHODS = ("standard", "wang2021", "fan2024")
MISSING = ("raise", "drop", "mean")
SHIFT = 1e-4

# Tian et al. 2021 (Acta Geogr. Sin. 76(4):781), D on (a, b]
D_CLASSES = [
    (1, "极度失调", "extreme disorder"), (2, "严重失调", "serious disorder"), (3, "中度失调", "moderate disorder"),
    (4, "轻度失调", "mild disorder"), (5, "濒临失调", "on the verge of disorder"),
    (6, "勉强协调", "barely coordinated"), (7, "初级协调", "primary coordination"),
    (8, "中级协调", "intermediate coordination"), (9, "良好协调", "good coordination"),
    (10, "优质协调", "high-quality coordination"),
]
C_STAGES = [(0.3, "低水平耦合", "low-level coupling"), (0.5, "拮抗", "antagonism"), (0.8, "磨合", "running-in"),
            (1.0, "高水平耦合", "high-level coupling")]


def _directions(frame: pd.DataFrame, directions: Mapping[str, str]) -> pd.DataFrame:
    missing = [c for c in directions if c not in frame.columns]
    if missing:
        raise DataError(f"indicator column(s) {missing} are missing; available: {list(frame.columns)[:30]}")
    bad = {c: d for c, d in directions.items() if d not in ("+", "-")}
    if bad:
        raise DataError(f"directions must be '+' or '-'; got {bad}")
    return frame[list(directions)].apply(pd.to_numeric, errors="coerce").astype(float)


def _missing(x: pd.DataFrame, policy: str) -> pd.DataFrame:
    check_choice(policy, MISSING, what="missing-value policy")
    bad = x.isna()
    if not bad.any().any():
        return x
    if policy == "raise":
        where = {c: preview(x.index[bad[c]]) for c in x.columns if bad[c].any()}
        raise DataError(f"indicators have missing values {where}; fill them, or set missing: drop (drop those "
                        "units) or missing: mean (column mean)")
    if policy == "drop":
        return x[~bad.any(axis=1)]
    return x.fillna(x.mean())


def normalize(frame: pd.DataFrame, *, directions: Mapping[str, str], method: str = "minmax",
              bounds: tuple[float, float] = (0.01, 0.99), missing: str = "raise") -> pd.DataFrame:
    """Range-normalise indicators by direction (see the module notes for the variants).

    Raises DataError for a constant indicator (it carries no information; drop it).
    """
    check_choice(method, NORMALIZATIONS, what="normalization")
    x = _missing(_directions(frame, directions), missing)
    if len(x) < 2:
        raise DataError(f"need at least 2 units to normalise indicators; got {len(x)}")
    lo, hi = x.min(), x.max()
    const = list(x.columns[(hi - lo) == 0])
    if const:
        raise DataError(f"indicator(s) {const} are constant across units: they carry no information; remove them")
    z = (x - lo) / (hi - lo)
    neg = [c for c, d in directions.items() if d == "-"]
    z[neg] = 1.0 - z[neg]
    if method == "shift":
        z = z + SHIFT
    elif method == "rescale":
        a, b = bounds
        if not 0 <= a < b <= 1:
            raise DataError(f"rescale bounds must satisfy 0 <= a < b <= 1; got {bounds}")
        z = a + (b - a) * z
    return z


@dataclass(frozen=True)
class EntropyResult:
    """Entropy-weight method output."""

    weights: pd.Series
    entropy: pd.Series
    divergence: pd.Series
    normalized: pd.DataFrame
    scores: pd.Series
    method: str

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"entropy": self.entropy, "divergence": self.divergence, "weight": self.weights})


def entropy_weights(frame: pd.DataFrame, *, directions: Mapping[str, str], normalization: str = "minmax",
                    bounds: tuple[float, float] = (0.01, 0.99), missing: str = "raise") -> EntropyResult:
    """Entropy weights of indicators and the weighted score of each unit.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [10.0, 10, 10, 40]})
    >>> r = entropy_weights(f, directions={"a": "+", "b": "+"})
    >>> r.weights.round(4).to_dict()
    {'a': 0.2129, 'b': 0.7871}
    """
    z = normalize(frame, directions=directions, method=normalization, bounds=bounds, missing=missing)
    m = len(z)
    p = z / z.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p.where(p > 0, 1.0)), 0.0)  # 0 ln 0 = 0
    e = pd.Series(-plogp.sum(axis=0) / np.log(m), index=z.columns)
    d = 1.0 - e
    w = d / d.sum()
    scores = (z * w).sum(axis=1)
    label = normalization if normalization != "rescale" else f"rescale{tuple(bounds)}"
    return EntropyResult(w, e, d, z, scores, label)


def topsis(frame: pd.DataFrame, *, directions: Mapping[str, str], weights: pd.Series | None = None,
           normalization: str = "minmax", missing: str = "raise") -> pd.Series:
    """TOPSIS closeness C_i in [0, 1] (entropy weights by default)."""
    z = normalize(frame, directions=directions, method=normalization, missing=missing)
    w = entropy_weights(frame, directions=directions, normalization=normalization, missing=missing).weights \
        if weights is None else pd.Series(weights, dtype=float).reindex(z.columns)
    v = z * w
    dplus = np.sqrt(((v - v.max()) ** 2).sum(axis=1))
    dminus = np.sqrt(((v - v.min()) ** 2).sum(axis=1))
    return (dminus / (dplus + dminus)).rename("topsis")


def obstacle_degree(frame: pd.DataFrame, *, directions: Mapping[str, str], weights: pd.Series | None = None,
                    normalization: str = "minmax", missing: str = "raise") -> pd.DataFrame:
    """Obstacle degree of each indicator for each unit (rows sum to 1; NaN where a unit is
    best on every indicator)."""
    z = normalize(frame, directions=directions, method=normalization, missing=missing)
    w = entropy_weights(frame, directions=directions, normalization=normalization, missing=missing).weights \
        if weights is None else pd.Series(weights, dtype=float).reindex(z.columns)
    dev = (1.0 - z) * w
    total = dev.sum(axis=1)
    return dev.div(total.where(total > 0), axis=0)


def _coupling(u: np.ndarray, method: str) -> np.ndarray:
    n = u.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "standard":
            mean = u.mean(axis=1)
            c = np.where(mean > 0, (np.prod(u, axis=1) / mean ** n) ** (1.0 / n), 0.0)
        elif method == "wang2021":
            i, j = np.triu_indices(n, k=1)
            spread = np.abs(u[:, i] - u[:, j]).sum(axis=1) / (n * (n - 1) / 2)
            mx = u.max(axis=1)
            ratio = np.where(mx > 0, np.prod(u / np.where(mx > 0, mx, 1.0)[:, None], axis=1), 0.0)
            c = np.sqrt(np.clip((1.0 - spread) * ratio ** (1.0 / (n - 1)), 0.0, None))
        else:  # fan2024
            s, s2 = u.sum(axis=1), (u * u).sum(axis=1)
            c = 1.0 - 2.0 * np.sqrt(np.clip(n * s2 - s * s, 0.0, None) / n ** 2)
    return c


def coupling_coordination(subsystems: pd.DataFrame, *, method: str = "standard",
                          weights: Sequence[float] | None = None) -> pd.DataFrame:
    """Coupling degree C, development T, coordination D and their classes.

    Parameters
    ----------
    subsystems : DataFrame
        One column per subsystem, values U in [0, 1] (at least 2 columns).
    method : {"standard", "wang2021", "fan2024"}
    weights : sequence of float, optional
        a_i for T (sum 1); equal by default.

    Returns
    -------
    DataFrame
        C, T, D, level (1..10), label_zh, label_en, stage_zh, stage_en on the input index.
    """
    check_choice(method, CCD_METHODS, what="CCD method")
    u = subsystems.apply(pd.to_numeric, errors="coerce").astype(float)
    n = u.shape[1]
    if n < 2:
        raise DataError(f"coupling needs at least 2 subsystems; got {list(u.columns)}")
    if u.isna().any().any():
        raise DataError(f"subsystem scores are missing for {preview(u.index[u.isna().any(axis=1)])}")
    if ((u < 0) | (u > 1)).any().any():
        raise DataError("subsystem scores must lie in [0, 1]; normalise them first "
                        f"(range found {u.min().min():g} to {u.max().max():g})")
    a = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=float)
    if len(a) != n or abs(a.sum() - 1) > 1e-9 or (a < 0).any():
        raise DataError(f"weights must be {n} non-negative numbers summing to 1; got {list(a)}")
    arr = u.to_numpy()
    c = _coupling(arr, method)
    t = arr @ a
    d = np.sqrt(c * t)
    level = np.clip(np.ceil(np.round(d * 10, 12)), 1, 10).astype(int)
    stage_idx = np.searchsorted([s[0] for s in C_STAGES], np.round(c, 12), side="left").clip(0, 3)
    return pd.DataFrame({
        "C": c, "T": t, "D": d, "level": level,
        "label_zh": [D_CLASSES[k - 1][1] for k in level], "label_en": [D_CLASSES[k - 1][2] for k in level],
        "stage_zh": [C_STAGES[k][1] for k in stage_idx], "stage_en": [C_STAGES[k][2] for k in stage_idx],
    }, index=subsystems.index)


def urban_rural_lag(urban: pd.Series, rural: pd.Series, *, threshold: float = 0.1,
                    language: str = "en") -> pd.Series:
    """Which side lags when |U_urban - U_rural| > threshold (Xu et al. 2020):
    urbanisation lags (新型城镇化滞后) or rural revitalisation lags (乡村振兴滞后)."""
    diff = urban - rural
    zh = language == "zh"
    out = np.where(diff > threshold, "乡村振兴滞后" if zh else "rural lags",
                   np.where(diff < -threshold, "新型城镇化滞后" if zh else "urban lags", "同步" if zh else "synchronous"))
    return pd.Series(out, index=urban.index, name="ccd_lag")
