"""Interactive folium maps: choropleth, categorical, facilities, roads, raster overlay.

No text from data is ever run or parsed as markup: tooltips are built in the browser with
``textContent`` from JSON made safe for ``<script>`` (:func:`.escape.script_json`), legends
and layer names are HTML-escaped (:func:`.escape.html_text`), colours are checked
(:func:`.escape.css_color`); folium's Tooltip/Popup (which put text in a JavaScript
template literal) are not used. Geometry is simplified to about a fifth of a screen pixel at the
initial zoom and written as delta-encoded integers decoded in the browser
(:mod:`._compact`): a simple polygon costs ~50-70 bytes instead of GeoJSON's ~260. No tile layer unless ``tiles=`` names one (an xyzservices name or a URL
template with ``attr=``).

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"name": ["a", "b"], "v": [1.0, 2.0]},
...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
>>> m = choropleth(g, "v", k=2)
>>> type(m).__name__
'Map'
"""

from __future__ import annotations

import base64
import io
import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import folium
import geopandas as gpd
import mapclassify
import matplotlib
import numpy as np
import pandas as pd
import shapely

from ..geo.errors import DataError, RasterError
from . import _compact, _facilities, labels, palettes
from .escape import css_color, html_attr, html_text

__all__ = ["choropleth", "categorical", "facilities_map", "add_roads", "add_raster", "add_isochrones", "classify",
           "Classes", "display_frame", "legend_html", "missing_classes", "unit_tips", "id_values", "class_keys",
           "raster_classes", "isochrone_bands", "SCHEMES"]

logger = logging.getLogger("urbanrural")

SCHEMES = {"quantiles": "Quantiles", "natural_breaks": "NaturalBreaks", "fisher_jenks": "FisherJenks",
           "equal_interval": "EqualInterval", "user": "UserDefined"}


def check_scheme(scheme: str, k: int) -> None:
    """DataError for an unknown ``scheme`` (listing the valid ones) or ``k < 2``."""
    if scheme not in SCHEMES:
        raise DataError(f"unknown classification scheme {scheme!r}; valid schemes: {', '.join(SCHEMES)}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise DataError(f"k={k!r} classes: k must be a whole number of at least 2 (allowed: 2 up to the number "
                        "of distinct values; a larger k is lowered to that number)")


def _snap_down(sorted_x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The largest data value <= each q (so every break is a value a unit has)."""
    i = np.searchsorted(sorted_x, q, side="right") - 1
    return sorted_x[np.clip(i, 0, len(sorted_x) - 1)]


def _split_ties(sorted_x: np.ndarray, breaks: np.ndarray, want: int) -> np.ndarray:
    """Add breaks until there are ``want`` classes (or no class can be split): each time
    the most populous class with more than one distinct value is split where its two parts
    are most even, so a heavy tie (many 0s, many 1s) gets a class of its own and the few
    units between them stay visible."""
    breaks = np.unique(breaks)
    while len(breaks) < want:
        best = None
        lo = -np.inf
        for b in breaks:
            part = sorted_x[(sorted_x > lo) & (sorted_x <= b)]
            lo = b
            u = np.unique(part)
            if len(u) < 2:
                continue
            cum = np.searchsorted(part, u[:-1], side="right")  # units <= each candidate
            score = np.maximum(cum, len(part) - cum)
            j = int(np.argmin(score))
            if best is None or len(part) > best[0]:
                best = (len(part), u[j])
        if best is None:
            break
        breaks = np.unique(np.append(breaks, best[1]))
    return breaks


class Classes:
    """Class breaks, colours and labels shared by the interactive and static maps.

    ``k`` must be at least 2 (DataError otherwise). Every class holds data: its bounds
    (``lower``, ``upper``) increase, the first is >= the data minimum and the last <= the
    data maximum (a band "60 - 120 min" over data ending at 93.2 reads "60 - 93.2 min").
    Quantile classes never collapse on tied values: breaks are data values, duplicates are
    merged and the most populous classes split again at their most even point, so a share
    with many 0s and 1s keeps its 0s apart (``note`` says what was merged; logged).
    ``scheme="user"`` draws ``bins`` as planners' bands: classes outside the data are
    dropped, and each band keeps its colour whatever the data (the same band, the same
    colour on every map). Units, percent scaling (shares 0-1 shown as %) and the colour
    map follow the column's meaning (:mod:`.labels`) unless given.
    """

    def __init__(self, values: pd.Series, *, scheme: str = "quantiles", k: int = 5, bins: Sequence[float] | None = None,
                 cmap: str | None = None, fmt: str | None = None, unit: str | None = None, language: str = "en",
                 scale: float | None = None) -> None:
        name = str(values.name) if values.name is not None else ""
        v = pd.to_numeric(values, errors="coerce").replace([np.inf, -np.inf], np.nan)
        ok = v.dropna()
        if ok.empty:
            raise DataError(f"column {values.name!r} has no numeric values to map")
        check_scheme(scheme, k)
        x = np.sort(ok.to_numpy(dtype=float))
        vmin, vmax = float(x[0]), float(x[-1])
        nuniq = len(np.unique(x))
        lab = labels.label(name, language=language) if name else None
        if unit is None or unit == "":
            unit = (lab.unit or "") if lab is not None else ""
        if scale is None:  # shares 0-1 and rates (fractions, any sign) are shown as %
            scale = 100.0 if labels.is_rate(name) or (labels.is_share(name) and vmin >= 0 and vmax <= 1) else 1.0
        if cmap is None:
            cmap = palettes.BAND_CMAP if (scheme == "user" and labels.is_minutes(name)) else \
                palettes.ramp_for(name)
        self.note: str | None = None
        kk = min(k, nuniq)
        if kk < k and scheme != "user":
            logger.warning("note: %s has %d distinct value(s); drawing %d class(es) instead of k=%d",
                           values.name, kk, kk, k)
        cm = matplotlib.colormaps[cmap]
        if scheme == "user":
            if bins is None or len(bins) == 0:
                raise DataError("scheme 'user' needs bins=[...]")
            edges = np.unique(np.asarray([float(b) for b in bins], dtype=float))
            uppers_full = np.append(edges, np.inf)
            lowers_full = np.insert(edges, 0, -np.inf)
            nfull = len(uppers_full)
            keep = [i for i in range(nfull) if lowers_full[i] < vmax and uppers_full[i] >= vmin]
            self.index = pd.Series(np.nan, index=v.index)
            full_idx = np.searchsorted(edges, ok.to_numpy(dtype=float), side="left")
            pos = {full: j for j, full in enumerate(keep)}
            self.index[ok.index] = [pos[int(i)] for i in full_idx]
            self.lower = np.array([max(lowers_full[i], vmin) for i in keep])
            self.upper = np.array([min(uppers_full[i], vmax) for i in keep])
            self.colors = [matplotlib.colors.to_hex(cm(0.05 + 0.9 * i / max(nfull - 1, 1))) for i in keep]
        else:
            if scheme == "quantiles":
                q = np.quantile(x, np.linspace(0, 1, k + 1)[1:])
                raw = _snap_down(x, q)
                raw[-1] = vmax
            else:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # mapclassify lowers k itself when values tie
                        raw = np.asarray(mapclassify.classify(x, scheme=scheme, k=max(kk, 1)).bins, dtype=float)
                except (ValueError, ZeroDivisionError, FloatingPointError) as exc:  # degenerate spreads
                    logger.warning("note: %s: %s classes failed (%s); quantiles drawn instead", values.name, scheme,
                                   str(exc)[:80])
                    raw = _snap_down(x, np.quantile(x, np.linspace(0, 1, k + 1)[1:]))
                raw = np.append(raw[raw < vmax], vmax)
            merged = np.unique(raw)
            brk = _split_ties(x, merged, kk) if scheme in ("quantiles", "natural_breaks", "fisher_jenks") else merged
            if len(brk) < k or len(merged) < len(raw):
                self.note = labels.ui_text("ties" if len(brk) < k else "ties_split", language=language, k=k,
                                           n=len(brk))
                logger.warning("note: %s: tied values; %d %s classes became %d (breaks %s)", values.name, k, scheme,
                               len(brk), ", ".join(labels.format_number(b) for b in brk))
            idx = np.searchsorted(brk, ok.to_numpy(dtype=float), side="left")
            if scheme == "equal_interval":
                used = list(range(len(brk)))
                lows = np.insert(brk[:-1], 0, vmin)
                self.lower, self.upper = lows, brk.copy()
            else:  # bounds are the values of each class: no empty, no reversed class
                used = sorted(set(idx.tolist()))
                self.lower = np.array([x[np.searchsorted(brk, x, side="left") == i].min() for i in used])
                self.upper = np.array([x[np.searchsorted(brk, x, side="left") == i].max() for i in used])
            pos = {c: j for j, c in enumerate(used)}
            self.index = pd.Series(np.nan, index=v.index)
            self.index[ok.index] = [pos[int(i)] for i in idx]
            n = len(used)
            self.colors = [matplotlib.colors.to_hex(cm(0.15 + 0.85 * i / max(n - 1, 1))) for i in range(n)]
        self.bins = self.upper.copy()
        self.counts = [int((self.index == i).sum()) for i in range(len(self.upper))]
        span = (vmax - vmin) * scale
        base = 0 if span >= 100 else 1 if span >= 10 else 2 if span >= 0.1 else 3
        suffix = "" if not unit or unit == "0-1" else " %" if unit == "%" else f" {unit}"

        def num(val: float, dec: int) -> str:
            if fmt is not None:
                return fmt.format(val * scale)
            t = f"{val * scale:,.{dec}f}"
            return t.rstrip("0").rstrip(".") if "." in t else t

        def texts(dec: int) -> list[tuple[str, str]]:
            return [(num(lo, dec), num(hi, dec)) for lo, hi in zip(self.lower, self.upper, strict=True)]

        dec = base
        while dec < base + 3 and fmt is None:  # more decimals until no two classes read alike
            t = texts(dec)
            uppers = [hi for _, hi in t]
            if len(set(uppers)) == len(uppers) and all(
                    (a == b) == (lo == hi) for (a, b), lo, hi in zip(t, self.lower, self.upper, strict=True)):
                break
            dec += 1
        self.labels = [(a if a == b else f"{a} - {b}") + suffix for a, b in texts(dec)]
        self.scheme = scheme
        self.unit = unit
        self.scale = scale

    def color_of(self) -> pd.Series:
        return self.index.map(lambda i: palettes.NO_DATA if pd.isna(i) else self.colors[int(i)])


def classify(values: pd.Series, **kwargs: object) -> Classes:
    return Classes(values, **kwargs)


def display_frame(gdf: gpd.GeoDataFrame, *, tolerance_px: float = 0.2, decimals: int = 5) -> gpd.GeoDataFrame:
    """WGS 84, simplified (tolerance ~ ``tolerance_px`` screen pixels at the fitted zoom) and
    quantised to ``decimals`` (5 = ~1 m)."""
    if gdf.crs is None:
        raise DataError("the layer has no CRS; maps need one (read it with read_units(..., crs=...))")
    g = gdf.to_crs(4326)
    g = g.set_geometry(shapely.force_2d(g.geometry.to_numpy()), crs=g.crs)  # Z coordinates dropped for display
    minx, miny, maxx, maxy = g.total_bounds
    span = max(maxx - minx, maxy - miny, 1e-6)
    tol = span / 1000 * tolerance_px  # ~1000 px across the map
    geom = shapely.simplify(g.geometry.to_numpy(), tol, preserve_topology=True)
    try:
        geom = shapely.set_precision(geom, 10 ** -decimals)
    except shapely.errors.GEOSException:  # a topology the snap cannot keep valid: snap vertices only
        geom = shapely.set_precision(shapely.make_valid(geom), 10 ** -decimals, mode="pointwise")
    out = g.copy()
    out["geometry"] = geom
    return out


def _fmt(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "no data" if np.isnan(v) else ("∞" if v > 0 else "-∞")
        return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    if isinstance(v, (int, np.integer)):
        return f"{v:,d}"
    return "no data" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


_HATCH = ("background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.55) 0 2px,transparent 2px 5px);")


def legend_html(title: str, items: Sequence[tuple[str, str] | tuple[str, str, bool]], *,
                position: str = "bottomright", note: str | None = None, subtitle: str | None = None) -> str:
    """A legend box with colour swatches: ``items`` are ``(colour, label)`` or ``(colour,
    label, hatched)``; labels and title HTML-escaped, colours checked. ``bottomleft`` sits
    above the scale bar; ``note`` is a small line under the rows (e.g. merged tied classes)."""
    rows = "".join(f'<div class="ur-legend-row" title="{html_attr(it[1])}"><span class="ur-swatch" '
                   f'style="background-color:{css_color(it[0])};{_HATCH if len(it) > 2 and it[2] else ""}">'
                   f"</span>{html_text(it[1])}</div>" for it in items)
    side = "right" if "right" in position else "left"
    bottom = 24 if side == "right" else 48  # the scale bar holds the bottom left corner
    sub = f'<div class="ur-legend-subtitle" style="margin-bottom:4px">{html_text(subtitle)}</div>' \
        if subtitle and subtitle != title else ""
    foot = f'<div class="ur-legend-note" style="font-size:11px;color:#555;max-width:220px">{html_text(note)}</div>' \
        if note else ""
    return (f'<div class="ur-legend ur-legend-{side}" style="position:absolute;bottom:{bottom}px;{side}:10px;'
            f'z-index:1000;background:#fff;padding:6px 8px;font:12px/1.4 sans-serif;border-radius:4px;'
            f'box-shadow:0 1px 4px rgba(0,0,0,.3);max-height:60%;overflow:auto">'
            f'<div class="ur-legend-title" style="font-weight:bold;margin-bottom:4px">{html_text(title)}</div>'
            f'{sub}{rows}{foot}</div>'
            "<style>.ur-swatch{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;"
            "border:1px solid #888}</style>")


def _tile_layer(tiles: str, attr: str | None) -> folium.TileLayer:
    """A basemap by xyzservices name ("OpenStreetMap.Mapnik", "CartoDB.Positron") or by URL
    template (``https://.../{z}/{x}/{y}.png``, which needs ``attr``). DataError otherwise."""
    t = str(tiles).strip()
    if t.lower().startswith(("http://", "https://")):
        if not all(p in t for p in ("{z}", "{x}", "{y}")):
            raise DataError(f"tiles URL {t[:80]!r} is not a tile template: it needs {{z}}, {{x}} and {{y}}")
        if any(c in t for c in "<>\"'` \\"):
            raise DataError(f"tiles URL {t[:80]!r} holds characters a URL cannot have (quotes, spaces, <>)")
        if not attr or not str(attr).strip():
            raise DataError("a tiles URL needs its attribution (attr=..., e.g. '© OpenStreetMap contributors'): "
                            "tile providers require it")
        return folium.TileLayer(tiles=t, attr=html_text(str(attr)), name=html_text("basemap"), overlay=False,
                                control=True)
    import xyzservices

    try:
        prov = xyzservices.providers.query_name(t)
    except ValueError:
        prov = None
    if prov is None or not hasattr(prov, "build_url"):
        raise DataError(f"unknown tiles {t!r}: give an xyzservices name (OpenStreetMap.Mapnik, CartoDB.Positron, "
                        "Esri.WorldImagery...) or a URL template https://.../{z}/{x}/{y}.png with attr=")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # providers that now want an API key warn
        url = prov.build_url()
    return folium.TileLayer(tiles=url, attr=html_text(attr) if attr else prov.html_attribution,
                            name=html_text(prov.name), overlay=False, control=True,
                            max_zoom=int(prov.get("max_zoom", 19)))


def _base(gdf: gpd.GeoDataFrame, tiles: str | None, attr: str | None, title: str | None = None) -> folium.Map:
    minx, miny, maxx, maxy = gdf.total_bounds
    layer = _tile_layer(tiles, attr) if tiles else None
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True,
                   prefer_canvas=False)
    if title is not None:
        m.get_root().title = html_text(title)  # branca writes it into <title> unescaped
    if layer is not None:
        layer.add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _layer(m: folium.Map, gdf: gpd.GeoDataFrame, color: pd.Series, tooltip: Sequence[str] | None,
           aliases: Sequence[str] | None, name: str, kind: str = "polygon", size: Sequence[float] | None = None, *,
           tips: Sequence[tuple[str, Sequence[str]]] | None = None, style: Mapping[str, object] | None = None) -> None:
    """Add ``gdf`` (display frame, lon/lat) as a compact layer: delta-encoded geometry,
    palette-indexed colours, tooltip text built with ``textContent`` (see :mod:`._compact`).
    ``tips``: (field name, text per feature) pairs, or ``tooltip`` columns (``"__index__"``
    for the index) with ``aliases``; ``name``: raw text. ``style``: ``fo`` fill opacity,
    ``w`` line weight, ``lc`` line colour, ``ni`` not interactive."""
    data = _compact.encode(gdf.geometry.to_numpy())
    if data["k"] != kind and len(gdf):
        raise DataError(f"layer {name!r}: expected {kind}s, got {data['k']}s")
    data["k"] = kind
    codes, palette = pd.factorize(pd.Series(color, index=gdf.index).astype(str))
    data["c"] = codes.tolist()
    data["p"] = [css_color(c) for c in palette]
    if tips is None:
        tips = [(str(a), [_fmt(v) for v in (gdf[col] if col in gdf.columns else gdf.index)])
                for col, a in zip(tooltip or [], aliases or [], strict=True)]
    data["t"] = [[str(x) for x in vals] for _, vals in tips]
    if size is not None:
        data["s"] = [float(x) for x in size]
    for key, val in (style or {}).items():
        data[key] = css_color(str(val)) if key == "lc" else val
    _compact.add_decoder(m)
    _compact.CompactLayer(data, [str(a) for a, _ in tips], name=html_text(name)).add_to(m)


def id_values(gdf: pd.DataFrame, id_column: str | None = None) -> tuple[str, pd.Series] | None:
    """(column name, values) of the unit code: ``id_column``; else a named or non-integer
    index; else the first column when it is unique text (results.gpkg writes the id first).
    None when there is none (the row number is never shown as a code)."""
    if id_column == "__index__":
        return (gdf.index.name or "id", pd.Series(gdf.index, index=gdf.index))
    if id_column is not None:
        if id_column not in gdf.columns:
            raise DataError(f"id column {id_column!r} is not in the layer")
        return id_column, gdf[id_column]
    idx = gdf.index
    if not (isinstance(idx, pd.RangeIndex) and idx.name is None) and not pd.api.types.is_float_dtype(idx) and \
            idx.is_unique:
        return (str(idx.name) if idx.name is not None else "id", pd.Series(idx, index=idx))
    cols = [c for c in gdf.columns if c != getattr(gdf, "_geometry_column_name", "geometry")]
    if cols:
        first = gdf[cols[0]]
        if (first.dtype == object or pd.api.types.is_string_dtype(first)) and first.is_unique and first.notna().all():
            return str(cols[0]), first
    return None


def _name_values(gdf: pd.DataFrame, language: str) -> pd.Series | None:
    if language == "zh" and "name_zh" in gdf.columns:
        zh = gdf["name_zh"].astype(object)
        if zh.map(lambda x: isinstance(x, str) and x.strip() != "").any():
            base = gdf["name"] if "name" in gdf.columns else pd.Series("", index=gdf.index)
            return zh.where(zh.map(lambda x: isinstance(x, str) and x.strip() != ""), base)
    return gdf["name"] if "name" in gdf.columns else None


def unit_tips(gdf: pd.DataFrame, columns: Sequence[str], *, language: str = "en", id_column: str | None = None,
              shown: Mapping[str, pd.Series] | None = None) -> list[tuple[str, list[str]]]:
    """Tooltip fields of units: unit code, name, then each column formatted with its unit
    (:func:`.labels.format_value`) under its human title; ``shown`` replaces a column's
    text (class labels, "unreachable")."""
    tips: list[tuple[str, list[str]]] = []
    found = id_values(gdf, id_column)
    if found is not None:
        tips.append((labels.ui_text("code", language=language), [_text(v) for v in found[1]]))
    names = _name_values(gdf, language)
    if names is not None and (found is None or found[0] not in ("name",)):
        tips.append((labels.ui_text("name", language=language), [_text(v) for v in names]))
    for col in columns:
        if col in ("name", "name_zh") or (found is not None and col == found[0]):
            continue
        if shown is not None and col in shown:
            text = [_text(v) if not _isna(v) else labels.ui_text("no_data", language=language)
                    for v in shown[col].reindex(gdf.index)]
        else:
            text = [labels.format_value(col, v, language=language) for v in gdf[col]]
        tips.append((labels.label(col, language=language).text, text))
    return tips


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _text(v: object) -> str:
    return "" if _isna(v) else _fmt(v) if isinstance(v, (float, np.floating)) else str(v)


def _explicit_tips(gdf: pd.DataFrame, tooltip: Sequence[str], language: str) -> list[tuple[str, list[str]]]:
    out = []
    for col in tooltip:
        if col == "__index__":
            out.append((labels.ui_text("code", language=language), [_text(v) for v in gdf.index]))
        elif col in gdf.columns:
            out.append((labels.label(col, language=language).text,
                        [labels.format_value(col, v, language=language) for v in gdf[col]]))
        else:
            raise DataError(f"tooltip column {col!r} is not in the layer")
    return out


def missing_classes(isna: pd.Series, missing_reason: pd.Series | None, language: str = "en"
                    ) -> tuple[pd.Series, pd.Series, list[tuple[str, str, bool]]]:
    """Why each missing value is missing, and one legend item per reason.

    Parameters
    ----------
    isna : Series of bool
        Which units have no value.
    missing_reason : Series of str, optional
        Text per unit (e.g. ``"unreachable"``, ``"no people"``); used for the missing
        units only; empty, NaN or ``"ok"`` count as "no data".
    language : {"en", "zh"}

    Returns
    -------
    colour : Series
        A colour for each missing unit (NaN elsewhere).
    label : Series
        The reason's label for each unit with a reason (NaN elsewhere).
    items : list of (colour, label, hatched)
        Reasons in order of first appearance, then "no data" when some missing unit has
        no reason.

    Examples
    --------
    >>> import pandas as pd
    >>> c, lab, items = missing_classes(pd.Series([True, True, False]), pd.Series(["unreachable", None, "ok"]))
    >>> [lab for _, lab, _ in items]
    ['unreachable', 'No data']
    """
    isna = isna.astype(bool)
    reason = pd.Series(pd.NA, index=isna.index, dtype=object)
    if missing_reason is not None:
        r = pd.Series(missing_reason).reindex(isna.index)
        r = r.map(lambda x: "" if pd.isna(x) else str(x).strip()).astype(object)
        reason = r.where(isna & ~r.isin(["", "ok"]), None)
    colour = pd.Series(np.nan, index=isna.index, dtype=object)
    labels_ = pd.Series(np.nan, index=isna.index, dtype=object)
    items: list[tuple[str, str, bool]] = []
    extra = iter(palettes.MISSING_EXTRA)
    for r in pd.unique(reason.dropna()):
        c, hatched = palettes.MISSING.get(r) or (next(extra, palettes.MISSING_EXTRA[-1]), True)
        label = palettes.MISSING_LABELS.get(language, palettes.MISSING_LABELS["en"]).get(r, r)
        colour[reason == r] = c
        labels_[reason == r] = label
        items.append((c, label, hatched))
    rest = isna & reason.isna()
    if rest.any():
        colour[rest] = palettes.NO_DATA
        items.append((palettes.NO_DATA, palettes.NO_DATA_LABEL.get(language, "No data"), False))
    return colour, labels_, items


def _add_context(m: folium.Map, *, facilities: gpd.GeoDataFrame | None = None,
                 roads: gpd.GeoDataFrame | None = None, isochrones: gpd.GeoDataFrame | None = None,
                 language: str = "en", category: str | None = None) -> None:
    """Overlay context layers, each listed in the layer control: isochrone bands (outline,
    not interactive), roads, facilities (a layer and a legend per category)."""
    if isochrones is not None and len(isochrones):
        add_isochrones(m, isochrones, category=category, language=language)
    if roads is not None and len(roads):
        add_roads(m, roads, language=language)
    if facilities is not None and len(facilities):
        fac = facilities
        if category is not None and "category" in fac.columns:
            part = fac[fac["category"].astype(str) == str(category)]
            fac = part if len(part) else fac
        _add_facilities(m, fac, language=language)


def choropleth(gdf: gpd.GeoDataFrame, column: str, *, scheme: str = "quantiles", k: int = 5,
               bins: Sequence[float] | None = None, tooltip: Sequence[str] | None = None, title: str | None = None,
               unit: str = "", language: str = "en", tiles: str | None = None, attr: str | None = None,
               cmap: str | None = None, missing_reason: pd.Series | None = None, id_column: str | None = None,
               legend_title: str | None = None, facilities: gpd.GeoDataFrame | None = None,
               roads: gpd.GeoDataFrame | None = None, isochrones: gpd.GeoDataFrame | None = None) -> folium.Map:
    """Choropleth of a numeric column with mapclassify classes and a legend (incl. "no data").

    Parameters
    ----------
    gdf : GeoDataFrame
        Units with a CRS.
    column : str
        A numeric column; its title, unit and % scaling come from :mod:`.labels`.
    scheme : str
        A key of :data:`SCHEMES`; ``k`` >= 2 classes (fewer when there are fewer distinct
        values or ties; see :class:`Classes`); ``"user"`` with ``bins`` (planners' bands).
    tooltip : list of str, optional
        Columns shown on hover (``"__index__"`` for the index); by default the unit code
        (``id_column``, a named index or a unique first text column; never the row
        number), the name and the value with its unit.
    missing_reason : Series of str, optional
        Why a unit has no value (e.g. ``reach_<cat>``: "unreachable", "no people"): each
        reason found among the missing units is drawn and listed in the legend on its own,
        apart from "no data" (see :func:`missing_classes`).
    tiles, attr : str, optional
        A basemap (xyzservices name, or URL template with its attribution); none by default.
    facilities, roads, isochrones : GeoDataFrame, optional
        Context layers drawn over the units, each in the layer control.
    """
    if column not in gdf.columns:
        raise DataError(f"column {column!r} is not in the layer; columns: {[c for c in gdf.columns][:30]}")
    classes = Classes(gdf[column], scheme=scheme, k=k, bins=bins, unit=unit or None, cmap=cmap, language=language)
    lab = labels.label(column, language=language)
    disp = display_frame(gdf)
    m = _base(disp, tiles, attr, title or lab.title)
    mcolour, mlabel, mitems = missing_classes(classes.index.isna(), missing_reason, language)
    if tooltip is not None:
        tips = _explicit_tips(disp, tooltip, language)
    else:
        shown = None
        if missing_reason is not None:  # the tooltip says why a value is missing
            shown = {column: pd.Series([labels.format_value(column, v, language=language) for v in gdf[column]],
                                       index=gdf.index).where(mlabel.isna(), mlabel)}
        tips = unit_tips(gdf, [column], language=language, id_column=id_column, shown=shown)
    color = classes.color_of().where(classes.index.notna(), mcolour)
    _layer(m, disp, color, None, None, title or lab.title, tips=tips)
    _add_context(m, facilities=facilities, roads=roads, isochrones=isochrones, language=language)
    items: list = list(zip(classes.colors, classes.labels, strict=True)) + mitems
    m.get_root().html.add_child(_compact.RawHtml(legend_html(title or legend_title or lab.text, items,
                                                             note=classes.note, subtitle=legend_title or lab.text)))
    return m


def _palette_for(values: pd.Series, palette: Mapping | None, language: str,
                 limit: int = palettes.TEXT_CLASS_LIMIT) -> tuple[dict, dict]:
    """(colours, labels) of a categorical column: ``palette`` when given; else the classes
    its *name* means (:func:`.palettes.scheme_for`: LISA, Gi*, DEGURBA, CCD...; labels with
    counts); else one colour per text value, at most :data:`.palettes.TEXT_CLASS_LIMIT`
    (DataError beyond: choose a numeric column)."""
    uniq = [v for v in pd.unique(values) if not _isna(v)]
    if palette is not None:
        return {k: css_color(c) for k, c in palette.items()}, {k: str(k) for k in palette}
    sch = palettes.scheme_for(str(values.name), language=language)
    if sch is not None:
        keys = sch.keys(values)
        counts = keys.value_counts()
        present = set(counts.index)
        pal = {k: c for k, c in sch.colors.items() if sch.show_all or k in present}
        lab = {k: f"{sch.labels.get(k, k)} ({int(counts.get(k, 0)):,})" for k in pal}
        extra = [k for k in counts.index if k not in sch.colors]
        cm = matplotlib.colormaps["tab10"]
        for i, k in enumerate(sorted(extra, key=str)):  # values the scheme does not name: shown as written
            pal[k] = matplotlib.colors.to_hex(cm(i % 10))
            lab[k] = f"{k} ({int(counts[k]):,})"
        return pal, lab
    _check_text_limit(values, limit)
    cm = matplotlib.colormaps["tab20" if len(uniq) > 10 else "tab10"]
    return ({v: matplotlib.colors.to_hex(cm(i % cm.N)) for i, v in enumerate(sorted(uniq, key=str))},
            {v: str(v) for v in uniq})


def _check_text_limit(values: pd.Series, limit: int = palettes.TEXT_CLASS_LIMIT) -> None:
    n = values.dropna().nunique()
    if n > limit:
        raise DataError(f"column {values.name!r} has {n} distinct values; a categorical map shows at most {limit} "
                        "classes. Map a numeric column instead (a value per unit, e.g. population or "
                        "tt_<category>_min), or group the values into at most "
                        f"{limit} classes first")


def class_keys(values: pd.Series, language: str = "en") -> pd.Series:
    """Each value's class key under its column's meaning (values themselves otherwise)."""
    sch = palettes.scheme_for(str(values.name), language=language)
    if sch is None:
        return values
    return sch.keys(values)


def categorical(gdf: gpd.GeoDataFrame, column: str, *, palette: Mapping | None = None,
                labels: Mapping | None = None, tooltip: Sequence[str] | None = None, title: str | None = None,
                language: str = "en", tiles: str | None = None, attr: str | None = None,
                id_column: str | None = None, legend_title: str | None = None,
                facilities: gpd.GeoDataFrame | None = None, roads: gpd.GeoDataFrame | None = None,
                isochrones: gpd.GeoDataFrame | None = None, extra_tips: Sequence[str] = ()) -> folium.Map:
    """Categorical map (``extra_tips``: more columns shown on hover after the class). Classes follow the column's meaning, by its name (LISA clusters in
    GeoDa's colours with every class and its count, LISA significance ``lisa_p_*``, Gi*,
    DEGURBA levels 1 and 2 in GHSL colours, CCD classes named after Tian et al., urban/
    rural, ``reach_*``), or a given ``palette``; other text columns get one colour per value
    up to :data:`.palettes.TEXT_CLASS_LIMIT_HTML` values (DataError beyond; print maps take
    :data:`.palettes.TEXT_CLASS_LIMIT`)."""
    from . import labels as _labels

    if column not in gdf.columns:
        raise DataError(f"column {column!r} is not in the layer; columns: {[c for c in gdf.columns][:30]}")
    vals = gdf[column]
    pal, lab = _palette_for(vals, palette, language, palettes.TEXT_CLASS_LIMIT_HTML)
    lab = {**lab, **(labels or {})}
    keys = class_keys(vals, language) if palette is None else vals

    def key(v: object) -> object:
        if isinstance(v, (float, np.floating)) and not np.isnan(v) and float(v).is_integer() and int(v) in pal:
            return int(v)
        return v

    keys = keys.map(lambda v: v if _isna(v) else key(v))
    color = keys.map(lambda v: palettes.NO_DATA if _isna(v) else pal.get(v, palettes.NO_DATA))
    head = _labels.label(column, language=language)
    disp = display_frame(gdf)
    m = _base(disp, tiles, attr, title or head.title)
    if tooltip is not None:
        tips = _explicit_tips(disp, tooltip, language)
    else:
        shown = {column: keys.map(lambda v: v if _isna(v) else _strip_count(lab.get(v, v)))}
        tips = unit_tips(gdf, [column, *[c for c in extra_tips if c != column]], language=language,
                         id_column=id_column, shown=shown)
    _layer(m, disp, color, None, None, title or head.title, tips=tips)
    _add_context(m, facilities=facilities, roads=roads, isochrones=isochrones, language=language)
    present = set(keys.dropna())
    show_all = palette is None and palettes.scheme_for(str(column)) is not None
    items = [(c, str(lab.get(k, k))) for k, c in pal.items() if k in present or show_all]
    if keys.isna().any() or any(k not in pal for k in present):
        items.append((palettes.NO_DATA, palettes.NO_DATA_LABEL.get(language, "No data")))
    m.get_root().html.add_child(_compact.RawHtml(legend_html(title or legend_title or head.text, items,
                                                             subtitle=legend_title or head.text)))
    return m


def _strip_count(text: object) -> str:
    t = str(text)
    return t[: t.rindex(" (")] if t.endswith(")") and " (" in t else t


def _add_facilities(m: folium.Map, facilities: gpd.GeoDataFrame, *, language: str = "en",
                    cluster_over: int | None = _facilities.CLUSTER_OVER, legend: bool = True) -> None:
    """Facilities as canvas circle markers coloured by category: one compact block of data,
    one overlay (and legend row) per category (see :mod:`._facilities`)."""
    items = _facilities.add_facilities(m, facilities, language=language, cluster_over=cluster_over)
    if legend and items:
        m.get_root().html.add_child(_compact.RawHtml(legend_html(
            labels.ui_text("facilities", language=language), items, position="bottomleft")))


def facilities_map(units: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, title: str | None = None,
                   language: str = "en", tiles: str | None = None, attr: str | None = None,
                   cluster_over: int | None = _facilities.CLUSTER_OVER, id_column: str | None = None,
                   roads: gpd.GeoDataFrame | None = None, legend_title: str | None = None) -> folium.Map:
    """Unit outlines plus facilities as circle markers coloured by category (one overlay
    each in the layer control), drawn on a canvas from one compact block of data
    (:mod:`._facilities`: ~25 bytes a point); categories with more than ``cluster_over``
    points (None: no limit) are thinned to one marker per ~200 m grid cell with a count
    in the tooltip (no external clustering plugin needed).

    Category and name are shown as text (tooltip ``textContent``, escaped layer names and
    legend), whatever characters they hold; categories by :func:`.labels.category_name`."""
    if "category" not in facilities.columns:
        raise DataError("the facilities layer has no 'category' column")
    title = title or labels.ui_text("facilities", language=language)
    disp = display_frame(units)
    m = _base(disp, tiles, attr, title)
    _layer(m, disp, pd.Series("#f7f7f7", index=disp.index), None, None, labels.ui_text("units", language=language),
           tips=unit_tips(units, [], language=language, id_column=id_column))
    if roads is not None and len(roads):
        add_roads(m, roads, language=language)
    items = _facilities.add_facilities(m, facilities, language=language, cluster_over=cluster_over)
    m.get_root().html.add_child(_compact.RawHtml(legend_html(title, items, subtitle=legend_title)))
    return m


def add_roads(m: folium.Map, roads: gpd.GeoDataFrame, *, class_col: str = "road_class",
              language: str = "en") -> folium.Map:
    """Roads coloured by class, one layer ("Roads" / "道路") with the class on hover."""
    disp = display_frame(roads)
    disp = disp[~(disp.geometry.isna() | disp.geometry.is_empty)]
    cls = disp[class_col].astype(str) if class_col in disp.columns else pd.Series("road", index=disp.index)
    cats = sorted(cls.unique())
    cm = matplotlib.colormaps["Dark2"]
    colors = {c: matplotlib.colors.to_hex(cm(i % 8)) for i, c in enumerate(cats)}
    tips = [(labels.ui_text("road_class", language=language), cls.tolist())] if class_col in disp.columns else []
    _layer(m, disp, cls.map(colors), None, None, labels.ui_text("roads", language=language), kind="line", tips=tips)
    return m


_ISO_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef", "#eff3ff")  # nearest band darkest


def isochrone_bands(iso: gpd.GeoDataFrame, category: str | None, crs: object, language: str = "en"
                    ) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """The category's isochrones as rings, one per threshold (widest first), labelled
    "≤ 15 min", "≤ 30 min"...: each place lies in the band of the nearest threshold it
    meets only (no stacked translucent colours), so the colours drawn are the legend's
    (nearest darkest)."""
    if "minutes" not in iso.columns:
        raise DataError("the isochrones layer has no 'minutes' column")
    part = iso
    if category is not None and "category" in iso.columns:
        part = iso[iso["category"].astype(str) == str(category)]
        if part.empty:
            raise DataError(f"no isochrones for {category!r}; categories with isochrones: "
                            f"{sorted(iso['category'].astype(str).unique())}")
    bands = part.to_crs(crs)[["minutes", "geometry"]].dissolve(by="minutes").sort_index()
    names = [labels.ui_text("min_within", language=language, m=f"{mm:g}") for mm in bands.index]
    geoms, inner = [], None
    for geom in bands.geometry:
        geom = shapely.make_valid(geom)
        try:
            ring = geom if inner is None else shapely.difference(geom, inner)
            inner = geom if inner is None else shapely.union(inner, geom)
        except shapely.errors.GEOSException:  # a topology GEOS cannot cut: draw the band whole
            ring = geom
        geoms.append(shapely.unary_union([p for p in shapely.get_parts(ring)
                                          if p.geom_type in ("Polygon", "MultiPolygon")]))
    colours = dict(zip(names, _ISO_COLOURS, strict=False))
    frame = gpd.GeoDataFrame({"band": names[::-1]}, geometry=geoms[::-1], crs=crs)
    return frame, {n: colours.get(n, _ISO_COLOURS[-1]) for n in names[::-1]}


def add_isochrones(m: folium.Map, iso: gpd.GeoDataFrame, *, category: str | None = None,
                   language: str = "en") -> folium.Map:
    """Isochrone bands (one layer per category, translucent, not interactive so the units
    under them keep their tooltips)."""
    cats = [category] if category is not None or "category" not in iso.columns else \
        sorted(iso["category"].astype(str).unique())
    for cat in cats:
        frame, colours = isochrone_bands(iso, cat, iso.crs, language)
        disp = display_frame(frame)
        name = labels.ui_text("isochrones", language=language)
        if cat is not None:
            name = f"{name}: {labels.category_name(cat, language=language)}"
        _layer(m, disp, disp["band"].map(colours), None, None, name, tips=[],
               style={"fo": 0.25, "w": 1, "lc": "#08519c", "ni": 1})
    return m


def raster_classes(path: str, *, bins: Sequence[float] = palettes.BANDS, unit: str = "min",
                   cmap: str = palettes.BAND_CMAP, language: str = "en") -> tuple[np.ndarray, tuple, Classes | None]:
    """Read a travel-time raster: (values with NaN for nodata, WGS 84 bounds, the band
    classes of its valid values >= 0 or None when it has none)."""
    import rasterio
    from rasterio.warp import transform_bounds

    name = Path(path).name
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise RasterError(f"raster {name} has no CRS; assign one (gdal_edit.py -a_srs EPSG:xxxx) first")
            a = src.read(1, masked=True).astype(float)
            bounds = transform_bounds(src.crs, 4326, *src.bounds)
    except (rasterio.errors.RasterioError, OSError) as exc:
        raise RasterError(f"raster {name} cannot be read ({str(exc).strip()[:200]}); is it a complete GeoTIFF? "
                          "Rerun the accessibility analysis to write it again") from exc
    data = a.filled(np.nan)
    valid = data[np.isfinite(data) & (data >= 0)]
    cls = None
    if valid.size:
        cls = Classes(pd.Series(valid), scheme="user", bins=list(bins), unit=labels._unit(unit, language) or "",
                      cmap=cmap, language=language)
    return data, bounds, cls


def add_raster(m: folium.Map, path: str, *, title: str, unit: str = "min", bins: Sequence[float] = palettes.BANDS,
               cmap: str = palettes.BAND_CMAP, language: str = "en", legend: bool = True,
               legend_title: str | None = None) -> folium.Map:
    """A raster (e.g. travel time) as a PNG overlay under the vector layers (Leaflet's tile
    pane) with a band legend that stops at the data maximum; nodata transparent; negative
    values (no facility reachable) dark grey, listed as "unreachable". RasterError when the
    file cannot be read (missing, truncated, not a raster, no CRS)."""
    data, bounds, cls = raster_classes(path, bins=bins, unit=unit, cmap=cmap, language=language)
    rgba = np.zeros(data.shape + (4,))
    items: list = []
    if cls is not None:
        valid = np.isfinite(data) & (data >= 0)
        flat = pd.Series(data[valid])
        idx = np.full(data.shape, -1)
        # the same classes as the legend: value <= upper bound of its band
        edges = np.asarray(cls.upper, dtype=float).copy()
        edges[-1] = np.inf
        idx[valid] = np.searchsorted(edges, flat.to_numpy(), side="left")
        for i, c in enumerate(cls.colors):
            rgba[idx == i] = matplotlib.colors.to_rgba(c)
        items = list(zip(cls.colors, cls.labels, strict=True))
    unreachable = np.isfinite(data) & (data < 0)
    rgba[unreachable] = matplotlib.colors.to_rgba(palettes.MISSING["unreachable"][0])
    items.append((palettes.MISSING["unreachable"][0],
                  palettes.MISSING_LABELS.get(language, palettes.MISSING_LABELS["en"])["unreachable"], True))
    buf = io.BytesIO()
    matplotlib.pyplot.imsave(buf, rgba, format="png")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    folium.raster_layers.ImageOverlay(uri, bounds=[[bounds[1], bounds[0]], [bounds[3], bounds[2]]], opacity=0.8,
                                      name=html_text(title), pane="tilePane").add_to(m)
    if legend:
        m.get_root().html.add_child(_compact.RawHtml(legend_html(title, items, position="bottomright",
                                                                 subtitle=legend_title)))
    return m
