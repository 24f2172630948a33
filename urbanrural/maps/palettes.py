"""Conventional palettes and class labels for categorical maps (English and Chinese), and
the choice of a class scheme from a column's *meaning* (its name), never from its values.

:func:`scheme_for` maps a column name to its classes: ``lisa_<var>`` (GeoDa's LISA
colours, every class listed), ``lisa_p_<var>`` (GeoDa's significance map: p <= 0.001,
0.01, 0.05, not significant), ``gi_<var>`` (Gi* hot/cold spots at 90/95/99 %),
``degurba_l1`` (GHSL: city 3, town or semi-dense area 2, rural area 1), ``degurba_l2``
(GHSL level 2 codes), ``ccd_class`` (Tian et al. 2021 classes 1-10 with their names),
``urban_class`` and ``reach_<cat>`` (ok / unreachable / no people); change over time:
``hotspot_trend`` (emerging hot spots: ESRI's classes in a fixed order, hot reds, cold
blues, no pattern neutral, :data:`EHSA`) and ``warning_count`` / ``early_warning``
(early-warning rules fired: 0 neutral grey, 1, 2, 3+ warm, :data:`WARNING`).

Numbers are drawn in a colour ramp that also follows the name (:func:`ramp_for`): flow
accounts ``flow_net_<kind>`` diverge around 0 (:data:`DIVERGING`: red = net outflow,
white = balanced, blue = net inflow) in classes symmetric around 0
(:func:`diverging_bins`); ``flow_balance_<kind>`` is a 0-1 ramp in fixed classes
(:data:`BALANCE_BINS`); ``flow_in_`` (blues), ``flow_out_`` (reds), ``flow_gross_``
(purples) are sequential; the panel's ``index_change``, ``index_slope`` and
``index_annual_rate`` diverge around 0 like net flows (red decline, blue growth). Flow lines are coloured by the class pair of their ends
(:data:`FLOW_PAIRS`, :func:`flow_pair_key`).

Examples
--------
>>> s = scheme_for("degurba_l1", language="en")
>>> [s.labels[k] for k in s.colors]
['City', 'Town or semi-dense area', 'Rural area']
>>> scheme_for("ccd_class", language="zh").labels[6]
'勉强协调'
>>> scheme_for("lisa_p_x").keys(__import__("pandas").Series([0.0005, 0.02, 0.3])).tolist()
['0.001', '0.05', 'ns']
>>> scheme_for("integration_index") is None
True
>>> ramp_for("flow_net_commuting"), diverging_bins([-90.0, -10.0, 0.0, 5.0, 40.0], k=5)
('RdBu', [-40.0, -10.0, 10.0, 40.0])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["ClassScheme", "scheme_for", "LISA", "LISA_LABELS", "LISA_P", "LISA_P_LABELS", "GI", "GI_LABELS",
           "DEGURBA", "DEGURBA_LABELS", "DEGURBA_UNITS", "DEGURBA_UNITS_LABELS", "CCD", "ccd_labels",
           "URBAN_CLASS", "URBAN_CLASS_LABELS", "REACH", "REACH_LABELS", "NO_DATA", "NO_DATA_LABEL", "SEQUENTIAL",
           "MISSING", "MISSING_EXTRA", "MISSING_LABELS", "TEXT_CLASS_LIMIT", "TEXT_CLASS_LIMIT_HTML", "BANDS",
           "DIVERGING", "BALANCE_BINS", "ramp_for", "is_diverging", "diverging_bins", "FLOW_PAIRS", "FLOW_OTHER",
           "flow_pair_key", "EHSA", "EHSA_LABELS", "WARNING", "WARNING_LABELS", "hotspot_key",
           "warning_key"]

# GeoDa's LISA cluster map colours (Anselin's convention)
LISA = {"HH": "#ff0000", "LL": "#0000ff", "LH": "#a7adf9", "HL": "#f4ada8", "ns": "#eeeeee"}
LISA_LABELS = {"en": {"HH": "High-High", "LL": "Low-Low", "LH": "Low-High", "HL": "High-Low", "ns": "Not significant"},
               "zh": {"HH": "高-高", "LL": "低-低", "LH": "低-高", "HL": "高-低", "ns": "不显著"}}
# GeoDa's LISA significance map
LISA_P = {"0.001": "#348124", "0.01": "#53c53c", "0.05": "#84f576", "ns": "#eeeeee"}
LISA_P_LABELS = {"en": {"0.001": "p ≤ 0.001", "0.01": "p ≤ 0.01", "0.05": "p ≤ 0.05", "ns": "Not significant"},
                 "zh": {"0.001": "p ≤ 0.001", "0.01": "p ≤ 0.01", "0.05": "p ≤ 0.05", "ns": "不显著"}}
GI = {"hot 99%": "#b2182b", "hot 95%": "#ef8a62", "hot 90%": "#fddbc7", "ns": "#eeeeee",
      "cold 90%": "#d1e5f0", "cold 95%": "#67a9cf", "cold 99%": "#2166ac"}
GI_LABELS = {"en": {k: ("Hot spot " + k[4:] if k.startswith("hot") else "Cold spot " + k[5:] if k.startswith("cold")
                        else "Not significant") for k in GI},
             "zh": {k: ("热点 " + k[4:] if k.startswith("hot") else "冷点 " + k[5:] if k.startswith("cold")
                        else "不显著") for k in GI}}
# GHSL Degree of Urbanisation colours (level 2)
DEGURBA = {30: "#ff0000", 23: "#732600", 22: "#a87000", 21: "#ffff00", 13: "#375623", 12: "#abcd66",
           11: "#cdf57a", 10: "#7ab6f5"}
DEGURBA_LABELS = {"en": {30: "Urban centre", 23: "Dense urban cluster", 22: "Semi-dense urban cluster",
                         21: "Suburban or peri-urban", 13: "Rural cluster", 12: "Low density rural",
                         11: "Very low density rural", 10: "Water"},
                  "zh": {30: "城市中心", 23: "密集城市集群", 22: "半密集城市集群", 21: "郊区或城市边缘", 13: "农村集群",
                         12: "低密度农村", 11: "极低密度农村", 10: "水域"}}
# GHSL level 1 (units): cities red, towns and semi-dense areas yellow-orange, rural areas green
DEGURBA_UNITS = {3: "#ff0000", 2: "#ffaa00", 1: "#73b273"}
DEGURBA_UNITS_LABELS = {"en": {3: "City", 2: "Town or semi-dense area", 1: "Rural area"},
                        "zh": {3: "城市", 2: "城镇与半密集地区", 1: "农村地区"}}
CCD = {1: "#a50026", 2: "#d73027", 3: "#f46d43", 4: "#fdae61", 5: "#fee08b", 6: "#d9ef8b", 7: "#a6d96a",
       8: "#66bd63", 9: "#1a9850", 10: "#006837"}
URBAN_CLASS = {"urban": "#e31a1c", "rural": "#33a02c"}
URBAN_CLASS_LABELS = {"en": {"urban": "Urban", "rural": "Rural"}, "zh": {"urban": "城镇", "rural": "乡村"}}  # 统计上划分城乡的规定: 城镇 / 乡村
REACH = {"ok": "#74c476", "unreachable": "#4d4d4d", "no people": "#f7f7f7"}
REACH_LABELS = {"en": {"ok": "Reachable", "unreachable": "Unreachable", "no people": "No people"},
                "zh": {"ok": "可到达", "unreachable": "无法到达", "no people": "无人口"}}
NO_DATA = "#bdbdbd"
NO_DATA_LABEL = {"en": "No data", "zh": "无数据"}
SEQUENTIAL = "YlOrRd"
# why a value is missing (choropleth ``missing_reason``): colour and hatch per reason
MISSING = {"unreachable": ("#4d4d4d", True), "no people": ("#f7f7f7", False)}
MISSING_EXTRA = ("#8c8c8c", "#737373", "#969696", "#636363")
MISSING_LABELS = {"en": {"unreachable": "unreachable", "no people": "no people"},
                  "zh": {"unreachable": "无法到达", "no people": "无人口"}}
TEXT_CLASS_LIMIT = 12
"""A text column with more distinct values than this is refused as a print map."""
TEXT_CLASS_LIMIT_HTML = 40
"""The limit of an HTML map, whose legend scrolls (and whose tooltips name each unit)."""
BANDS = (15.0, 30.0, 60.0)
"""Planners' travel-time bands (minutes) when the caller gives none (the config's thresholds)."""
# travel-time bands: green (near) to red (far), one colour per band edge position
BAND_CMAP = "RdYlGn_r"
DIVERGING = "RdBu"
"""Net flows: red net outflow (< 0), white about balanced, blue net inflow (> 0)."""
BALANCE_BINS = (0.2, 0.4, 0.6, 0.8)
"""Pair balance min/max classes (0 one-way, 1 balanced): the same colour on every map."""
_RAMPS = (("flow_net_", DIVERGING), ("index_change", DIVERGING), ("index_slope", DIVERGING),
          ("index_annual_rate", DIVERGING), ("flow_in_", "Blues"), ("flow_out_", "Reds"), ("flow_gross_", "Purples"),
          ("flow_balance_", "YlGnBu"))
# flow lines by the classes of their ends: into towns warm, out to the countryside cool
FLOW_PAIRS = {"rural>urban": "#e66101", "urban>rural": "#5e3c99", "urban>urban": "#b2182b",
              "rural>rural": "#1b7837"}
FLOW_OTHER = "#8c8c8c"
"""Flows between other (or missing) classes."""
_EHSA_KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
               "historical")
_HOT = ("#b30000", "#e34a33", "#7f0000", "#d7301f", "#fc8d59", "#ef6548", "#fdbb84", "#fdd49e")
_COLD = ("#08519c", "#3182bd", "#08306b", "#2171b5", "#6baed6", "#4292c6", "#9ecae1", "#c6dbef")
EHSA = {**{f"{k} hot spot": c for k, c in zip(_EHSA_KINDS, _HOT, strict=True)},
        **{f"{k} cold spot": c for k, c in zip(_EHSA_KINDS, _COLD, strict=True)}, "no pattern": "#eeeeee"}
"""Emerging hot spot classes (ESRI's, as esda/sfdep name them) in ESRI's legend order: hot
classes in reds, cold classes in blues, no pattern neutral (the ``ns`` grey of Gi*)."""
_EHSA_ZH = dict(zip(_EHSA_KINDS, ("新", "连续", "加强", "持续", "减弱", "零星", "振荡", "历史"), strict=True))
EHSA_LABELS = {"en": {k: (k[:1].upper() + k[1:] if k != "no pattern" else "No pattern detected") for k in EHSA},
               "zh": {**{f"{k} hot spot": f"{z}热点" for k, z in _EHSA_ZH.items()},
                      **{f"{k} cold spot": f"{z}冷点" for k, z in _EHSA_ZH.items()}, "no pattern": "无显著模式"}}
WARNING = {0: "#d9d9d9", 1: "#fdae61", 2: "#f46d43", 3: "#a50026"}
"""Early-warning rules fired per unit: none neutral grey, 1, 2, 3 or more in warm colours."""
WARNING_LABELS = {"en": {0: "None", 1: "1 rule", 2: "2 rules", 3: "3 or more rules"},
                  "zh": {0: "无", 1: "1 条", 2: "2 条", 3: "3 条及以上"}}


def ramp_for(name: str) -> str:
    """The matplotlib colour map a numeric column's name means (:data:`SEQUENTIAL` else)."""
    n = str(name)
    return next((cmap for prefix, cmap in _RAMPS if n.startswith(prefix)), SEQUENTIAL)


def is_diverging(name: str) -> bool:
    """Whether a column is drawn diverging around 0 (net flows)."""
    return ramp_for(name) == DIVERGING


def _nice(x: float) -> float:
    """``x`` rounded to two significant digits."""
    if x <= 0 or not np.isfinite(x):
        return 0.0
    mag = 10 ** (np.floor(np.log10(x)) - 1)
    if mag == 0:  # a subnormal x (below ~1e-307): its magnitude underflows; keep it as it is
        return float(x)
    return float(np.round(x / mag) * mag)


def diverging_bins(values: object, *, k: int = 5) -> list[float]:
    """Class edges symmetric around 0 for a diverging map: ``k // 2`` classes on each side
    (at least one) and one middle class about 0 (``k`` rounded up to an odd number).

    The edges are quantiles of the absolute values (so each side's classes hold about as
    many units) rounded to two significant digits: ``[-b2, -b1, b1, b2]`` gives the classes
    ``<= -b2``, ``-b2 - -b1``, ``-b1 - b1`` (about balanced), ``b1 - b2`` and ``> b2``.
    """
    v = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    a = np.abs(v[np.isfinite(v)])
    side = max(1, int(k) // 2)
    nz = a[a > 0]
    if nz.size == 0:
        return [-1.0, 1.0]
    edges: list[float] = []
    for j in range(1, side + 1):
        b = _nice(float(np.quantile(nz, j / (side + 1))))
        if b > 0 and (not edges or b > edges[-1]):
            edges.append(b)
    if not edges:
        edges = [_nice(float(nz.max()))]
    return [-b for b in reversed(edges)] + edges


def flow_pair_key(origin_group: object, destination_group: object) -> str:
    """The pair key of a flow's two classes (``"rural>urban"``); ``"other"`` when either
    is missing or not urban/rural."""
    o, d = (str(g).strip().lower() if not _isna(g) else "" for g in (origin_group, destination_group))
    key = f"{o}>{d}"
    return key if key in FLOW_PAIRS else "other"


def ccd_labels(language: str = "en") -> dict[int, str]:
    """Tian et al. (2021) coupling coordination class names, 1-10."""
    from ..analysis.integration import D_CLASSES

    return {k: (zh if language == "zh" else en) for k, zh, en in D_CLASSES}


def _int_key(v: object) -> object:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d+(\.0*)?\s*", v):
        return int(float(v))
    return v


def _p_class(v: object) -> object:
    try:
        p = float(v)
    except (TypeError, ValueError):
        return v
    if not np.isfinite(p):
        return np.nan
    return "0.001" if p <= 0.001 else "0.01" if p <= 0.01 else "0.05" if p <= 0.05 else "ns"


def hotspot_key(v: object) -> object:
    """An emerging hot spot class as a key of :data:`EHSA` ("New Hot Spot", "new_hot_spot"
    -> "new hot spot"; "No pattern detected" -> "no pattern"); other text as written.

    Examples
    --------
    >>> hotspot_key("Intensifying_Hot-Spot"), hotspot_key("No Pattern Detected")
    ('intensifying hot spot', 'no pattern')
    """
    t = re.sub(r"[\s_-]+", " ", str(v)).strip().lower()
    t = re.sub(r"\bhotspot\b", "hot spot", re.sub(r"\bcoldspot\b", "cold spot", t))
    if t in ("no pattern detected", "no pattern", "none", ""):
        return "no pattern"
    return t if t in EHSA else str(v).strip()


def warning_key(v: object) -> object:
    """The :data:`WARNING` class of a unit: a count of rules fired (``warning_count``) or the
    text of the rules (``early_warning``: rules separated by ``;``, ``,``, ``、`` or ``|``;
    empty when none fired), capped at 3 ("3 or more").

    Examples
    --------
    >>> [warning_key(v) for v in (0, 2.0, 7, "", "decline; below county mean", "a, b, c, d")]
    [0, 2, 3, 0, 2, 3]
    """
    if isinstance(v, str):
        s = v.strip()
        if re.fullmatch(r"-?\d+(\.0*)?", s):
            n = int(float(s))
        else:
            n = len([p for p in re.split(r"[;,|；，、]+", s) if p.strip()])
    else:
        try:
            n = int(float(v))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return v
    return min(max(n, 0), 3)


def _str_key(v: object) -> object:
    return str(v).strip()


@dataclass
class ClassScheme:
    """Classes of a categorical result: ``colors`` (key -> colour, legend order), ``labels``
    (key -> text), ``key`` (a value -> its key), ``show_all`` (list classes with no unit)."""

    kind: str
    colors: dict
    labels: dict
    key: Callable[[object], object] = field(default=_str_key)
    show_all: bool = True

    def keys(self, values: pd.Series) -> pd.Series:
        """The class key of every value (NaN stays NaN)."""
        return pd.Series(values).map(lambda v: np.nan if _isna(v) else self.key(v))


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def scheme_for(name: str, *, language: str = "en") -> ClassScheme | None:
    """The class scheme a column's name means (None for a column without one)."""
    lang = "zh" if language == "zh" else "en"
    n = str(name)
    if n.startswith("lisa_p_"):
        return ClassScheme("lisa_p", LISA_P, LISA_P_LABELS[lang], _p_class)
    if n.startswith("lisa_"):
        return ClassScheme("lisa", LISA, LISA_LABELS[lang])
    if n.startswith("gi_"):
        return ClassScheme("gi", GI, GI_LABELS[lang])
    if n in ("degurba_l1", "degurba"):
        return ClassScheme("degurba_l1", DEGURBA_UNITS, DEGURBA_UNITS_LABELS[lang], _int_key)
    if n == "degurba_l2":
        return ClassScheme("degurba_l2", DEGURBA, DEGURBA_LABELS[lang], _int_key, show_all=False)
    if n in ("ccd_class", "ccd"):
        return ClassScheme("ccd", CCD, ccd_labels(lang), _int_key, show_all=False)
    if n == "urban_class":
        return ClassScheme("urban_class", URBAN_CLASS, URBAN_CLASS_LABELS[lang],
                           lambda v: str(v).strip().lower())
    if n.startswith("reach_"):
        return ClassScheme("reach", REACH, REACH_LABELS[lang], lambda v: str(v).strip().lower())
    if n == "hotspot_trend":
        return ClassScheme("hotspot_trend", EHSA, EHSA_LABELS[lang], hotspot_key, show_all=False)
    if n in ("warning_count", "early_warning"):
        return ClassScheme("warning", WARNING, WARNING_LABELS[lang], warning_key)
    return None
