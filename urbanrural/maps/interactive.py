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
from . import _compact, palettes
from .escape import css_color, html_attr, html_text

__all__ = ["choropleth", "categorical", "facilities_map", "add_roads", "add_raster", "classify", "Classes",
           "display_frame", "legend_html", "missing_classes", "SCHEMES"]

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


class Classes:
    """Class breaks, colours and labels shared by the interactive and static maps.

    ``k`` must be at least 2 (DataError otherwise); when the column has fewer distinct
    values than ``k``, there are as many classes as distinct values (logged as a note).
    """

    def __init__(self, values: pd.Series, *, scheme: str = "quantiles", k: int = 5, bins: Sequence[float] | None = None,
                 cmap: str = palettes.SEQUENTIAL, fmt: str = "{:,.2f}", unit: str = "") -> None:
        v = pd.to_numeric(values, errors="coerce").replace([np.inf, -np.inf], np.nan)
        ok = v.dropna()
        if ok.empty:
            raise DataError(f"column {values.name!r} has no numeric values to map")
        check_scheme(scheme, k)
        kk = min(k, ok.nunique())
        if kk < k and scheme != "user":
            logger.warning("note: %s has %d distinct value(s); drawing %d class(es) instead of k=%d",
                           values.name, kk, kk, k)
        if scheme == "user":
            if not bins:
                raise DataError("scheme 'user' needs bins=[...]")
            cls = mapclassify.UserDefined(ok.to_numpy(), bins=list(bins))
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # mapclassify lowers k itself when values tie; we report len(bins)
                cls = mapclassify.classify(ok.to_numpy(), scheme=scheme, k=max(kk, 1))
        self.bins = np.asarray(cls.bins, dtype=float)
        self.index = pd.Series(np.nan, index=v.index)
        self.index[ok.index] = cls.yb
        n = len(self.bins)
        cm = matplotlib.colormaps[cmap]
        self.colors = [matplotlib.colors.to_hex(cm(0.15 + 0.85 * i / max(n - 1, 1))) for i in range(n)]
        lows = [float(ok.min())] + list(self.bins[:-1])
        self.labels = [f"{fmt.format(lo)} - {fmt.format(hi)}{(' ' + unit) if unit else ''}"
                       for lo, hi in zip(lows, self.bins, strict=True)]
        self.scheme = scheme

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
    geom = shapely.set_precision(geom, 10 ** -decimals)
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
                position: str = "bottomright") -> str:
    """A legend box with colour swatches: ``items`` are ``(colour, label)`` or ``(colour,
    label, hatched)``; labels and title HTML-escaped, colours checked."""
    rows = "".join(f'<div class="ur-legend-row" title="{html_attr(it[1])}"><span class="ur-swatch" '
                   f'style="background-color:{css_color(it[0])};{_HATCH if len(it) > 2 and it[2] else ""}">'
                   f"</span>{html_text(it[1])}</div>" for it in items)
    side = "right" if "right" in position else "left"
    return (f'<div class="ur-legend" style="position:absolute;bottom:24px;{side}:10px;z-index:1000;background:#fff;'
            f'padding:6px 8px;font:12px/1.4 sans-serif;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
            f'<div class="ur-legend-title" style="font-weight:bold;margin-bottom:4px">{html_text(title)}</div>'
            f'{rows}</div>'
            "<style>.ur-swatch{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;"
            "border:1px solid #888}</style>")


def _base(gdf: gpd.GeoDataFrame, tiles: str | None, attr: str | None, title: str | None = None) -> folium.Map:
    minx, miny, maxx, maxy = gdf.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True,
                   prefer_canvas=False)
    if title is not None:
        m.get_root().title = html_text(title)  # branca writes it into <title> unescaped
    if tiles:
        folium.TileLayer(tiles=tiles, attr=html_text(attr or tiles), name="basemap").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _layer(m: folium.Map, gdf: gpd.GeoDataFrame, color: pd.Series, tooltip: Sequence[str], aliases: Sequence[str],
           name: str, kind: str = "polygon", size: Sequence[float] | None = None) -> None:
    """Add ``gdf`` (display frame, lon/lat) as a compact layer: delta-encoded geometry,
    palette-indexed colours, tooltip text built with ``textContent`` (see :mod:`._compact`).
    ``tooltip``: columns (``"__index__"`` for the index); ``aliases`` and ``name``: raw text."""
    data = _compact.encode(gdf.geometry.to_numpy())
    if data["k"] != kind and len(gdf):
        raise DataError(f"layer {name!r}: expected {kind}s, got {data['k']}s")
    data["k"] = kind
    codes, palette = pd.factorize(pd.Series(color, index=gdf.index).astype(str))
    data["c"] = codes.tolist()
    data["p"] = [css_color(c) for c in palette]
    data["t"] = [[_fmt(v) for v in (gdf[col] if col in gdf.columns else gdf.index)] for col in tooltip]
    if size is not None:
        data["s"] = [float(x) for x in size]
    _compact.add_decoder(m)
    _compact.CompactLayer(data, [str(a) for a in aliases], name=html_text(name)).add_to(m)


def _tooltip_cols(gdf: gpd.GeoDataFrame, column: str, tooltip: Sequence[str] | None) -> list[str]:
    if tooltip is not None:
        return list(tooltip)
    return ["__index__"] + [c for c in ("name",) if c in gdf.columns and c != column] + [column]


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
    labels = pd.Series(np.nan, index=isna.index, dtype=object)
    items: list[tuple[str, str, bool]] = []
    extra = iter(palettes.MISSING_EXTRA)
    for r in pd.unique(reason.dropna()):
        c, hatched = palettes.MISSING.get(r) or (next(extra, palettes.MISSING_EXTRA[-1]), True)
        label = palettes.MISSING_LABELS.get(language, palettes.MISSING_LABELS["en"]).get(r, r)
        colour[reason == r] = c
        labels[reason == r] = label
        items.append((c, label, hatched))
    rest = isna & reason.isna()
    if rest.any():
        colour[rest] = palettes.NO_DATA
        items.append((palettes.NO_DATA, palettes.NO_DATA_LABEL.get(language, "No data"), False))
    return colour, labels, items


def choropleth(gdf: gpd.GeoDataFrame, column: str, *, scheme: str = "quantiles", k: int = 5,
               bins: Sequence[float] | None = None, tooltip: Sequence[str] | None = None, title: str | None = None,
               unit: str = "", language: str = "en", tiles: str | None = None, attr: str | None = None,
               cmap: str = palettes.SEQUENTIAL, missing_reason: pd.Series | None = None) -> folium.Map:
    """Choropleth of a numeric column with mapclassify classes and a legend (incl. "no data").

    Parameters
    ----------
    gdf : GeoDataFrame
        Units with a CRS.
    column : str
        A numeric column.
    scheme : str
        A key of :data:`SCHEMES`; ``k`` >= 2 classes (fewer when there are fewer distinct values).
    missing_reason : Series of str, optional
        Why a unit has no value (e.g. ``reach_<cat>``: "unreachable", "no people"): each
        reason found among the missing units is drawn and listed in the legend on its own,
        apart from "no data" (see :func:`missing_classes`).
    """
    if column not in gdf.columns:
        raise DataError(f"column {column!r} is not in the layer; columns: {[c for c in gdf.columns][:30]}")
    classes = Classes(gdf[column], scheme=scheme, k=k, bins=bins, unit=unit, cmap=cmap)
    disp = display_frame(gdf)
    m = _base(disp, tiles, attr, title or column)
    cols = _tooltip_cols(gdf, column, tooltip)
    aliases = ["id" if c == "__index__" else c for c in cols]
    mcolour, mlabel, mitems = missing_classes(classes.index.isna(), missing_reason, language)
    if missing_reason is not None:  # the tooltip says why a value is missing
        disp[column] = disp[column].astype(object).where(mlabel.isna(), mlabel)
    color = classes.color_of().where(classes.index.notna(), mcolour)
    _layer(m, disp, color, cols, aliases, title or column)
    items: list = list(zip(classes.colors, classes.labels, strict=True)) + mitems
    m.get_root().html.add_child(_compact.RawHtml(legend_html(title or column, items)))
    return m


def _palette_for(values: pd.Series, palette: Mapping | None, language: str) -> tuple[dict, dict]:
    uniq = [v for v in pd.unique(values) if not pd.isna(v)]
    s = set(map(str, uniq))
    if palette is not None:
        return {k: css_color(c) for k, c in palette.items()}, {k: str(k) for k in palette}
    if s <= set(palettes.LISA):
        return palettes.LISA, palettes.LISA_LABELS[language]
    if s <= set(palettes.GI):
        return palettes.GI, palettes.GI_LABELS[language]
    if s <= set(palettes.URBAN_CLASS):
        return palettes.URBAN_CLASS, palettes.URBAN_CLASS_LABELS[language]
    ints = {int(v) for v in uniq if isinstance(v, (int, np.integer, float, np.floating)) and float(v).is_integer()}
    if len(ints) == len(uniq) and ints <= set(palettes.DEGURBA):
        return palettes.DEGURBA, palettes.DEGURBA_LABELS[language]
    if len(ints) == len(uniq) and ints <= set(palettes.CCD):
        return palettes.CCD, {k: str(k) for k in palettes.CCD}
    cm = matplotlib.colormaps["tab20"]
    return ({v: matplotlib.colors.to_hex(cm(i % 20)) for i, v in enumerate(sorted(uniq, key=str))},
            {v: str(v) for v in uniq})


def categorical(gdf: gpd.GeoDataFrame, column: str, *, palette: Mapping | None = None,
                labels: Mapping | None = None, tooltip: Sequence[str] | None = None, title: str | None = None,
                language: str = "en", tiles: str | None = None, attr: str | None = None) -> folium.Map:
    """Categorical map with conventional palettes chosen from the values (LISA clusters,
    Gi* classes, DEGURBA codes, CCD levels, urban/rural) or a given ``palette``."""
    if column not in gdf.columns:
        raise DataError(f"column {column!r} is not in the layer; columns: {[c for c in gdf.columns][:30]}")
    vals = gdf[column]
    pal, lab = _palette_for(vals, palette, language)
    lab = {**lab, **(labels or {})}

    def key(v: object) -> object:
        if isinstance(v, (float, np.floating)) and not np.isnan(v) and float(v).is_integer() and int(v) in pal:
            return int(v)
        return v

    color = vals.map(lambda v: palettes.NO_DATA if pd.isna(v) else pal.get(key(v), palettes.NO_DATA))
    disp = display_frame(gdf)
    m = _base(disp, tiles, attr, title or column)
    cols = _tooltip_cols(gdf, column, tooltip)
    aliases = ["id" if c == "__index__" else c for c in cols]
    _layer(m, disp, color, cols, aliases, title or column)
    present = {key(v) for v in vals.dropna()}
    items = [(c, str(lab.get(k, k))) for k, c in pal.items() if k in present]
    if vals.isna().any() or any(key(v) not in pal for v in vals.dropna()):
        items.append((palettes.NO_DATA, palettes.NO_DATA_LABEL.get(language, "No data")))
    m.get_root().html.add_child(_compact.RawHtml(legend_html(title or column, items)))
    return m


def facilities_map(units: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, title: str = "Facilities",
                   language: str = "en", tiles: str | None = None, attr: str | None = None,
                   cluster_over: int = 500) -> folium.Map:
    """Unit outlines plus facilities as circle markers coloured by category (one layer each);
    categories with more than ``cluster_over`` points are thinned to one marker per ~200 m
    grid cell with a count in the tooltip (no external clustering plugin needed).

    Category and name are shown as text (tooltip ``textContent``, escaped layer names and
    legend), whatever characters they hold."""
    if "category" not in facilities.columns:
        raise DataError("the facilities layer has no 'category' column")
    disp = display_frame(units)
    m = _base(disp, tiles, attr, title)
    _layer(m, disp, pd.Series("#f7f7f7", index=disp.index), ["__index__"] + (["name"] if "name" in units else []),
           ["id"] + (["name"] if "name" in units else []), "units" if language != "zh" else "单元")
    fac = display_frame(facilities)
    fac = fac[~(fac.geometry.isna() | fac.geometry.is_empty)]
    fac = fac.set_geometry(fac.geometry.representative_point(), crs=fac.crs)
    cats = sorted(fac["category"].astype(str).unique())
    cm = matplotlib.colormaps["tab10"]
    colors = {c: matplotlib.colors.to_hex(cm(i % 10)) for i, c in enumerate(cats)}
    cat_label, name_label = ("category", "name") if language != "zh" else ("类别", "名称")
    for cat in cats:
        g = fac[fac["category"].astype(str) == cat]
        xy = np.column_stack([g.geometry.x, g.geometry.y])
        counts = np.ones(len(g), dtype=int)
        names = g["name"].astype(str).to_numpy() if "name" in g.columns else g.index.astype(str).to_numpy()
        if len(g) > cluster_over:
            key = np.round(xy / 0.002).astype(np.int64)
            _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
            counts = np.bincount(inv.ravel())
            xy, names = xy[first], names[first]
        pts = gpd.GeoDataFrame({"category": cat, "name": [f"{nm} (+{n - 1} nearby)" if n > 1 else nm
                                                          for nm, n in zip(names, counts, strict=True)]},
                               geometry=shapely.points(xy), crs=4326)
        _layer(m, pts, pd.Series(colors[cat], index=pts.index), ["category", "name"], [cat_label, name_label], cat,
               kind="point", size=4 + np.minimum(np.log2(counts), 6))
    m.get_root().html.add_child(_compact.RawHtml(legend_html(title, [(colors[c], c) for c in cats])))
    return m


def add_roads(m: folium.Map, roads: gpd.GeoDataFrame, *, class_col: str = "road_class") -> folium.Map:
    """Roads coloured and weighted by class, one layer."""
    disp = display_frame(roads)
    cats = sorted(disp[class_col].astype(str).unique())
    cm = matplotlib.colormaps["Dark2"]
    colors = {c: matplotlib.colors.to_hex(cm(i % 8)) for i, c in enumerate(cats)}
    _layer(m, disp, disp[class_col].astype(str).map(colors), [class_col], [class_col], "roads", kind="line")
    return m


def add_raster(m: folium.Map, path: str, *, title: str, unit: str = "min", bins: Sequence[float] = (15, 30, 60),
               cmap: str = "RdYlGn_r", language: str = "en") -> folium.Map:
    """A raster (e.g. travel time) as a PNG overlay with a class legend; nodata transparent;
    negative values (no facility reachable) in grey. RasterError when the file cannot be
    read (missing, truncated, not a raster, no CRS)."""
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
    edges = [0.0, *bins, np.inf]
    cm = matplotlib.colormaps[cmap]
    cols = [cm(i / (len(edges) - 2)) for i in range(len(edges) - 1)]
    rgba = np.zeros(a.shape + (4,))
    data = a.filled(np.nan)
    for i in range(len(edges) - 1):
        sel = (data >= edges[i]) & (data < edges[i + 1])
        rgba[sel] = cols[i]
    rgba[(data < 0)] = matplotlib.colors.to_rgba(palettes.NO_DATA)
    rgba[np.isnan(data)] = (0, 0, 0, 0)
    buf = io.BytesIO()
    matplotlib.pyplot.imsave(buf, rgba, format="png")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    folium.raster_layers.ImageOverlay(uri, bounds=[[bounds[1], bounds[0]], [bounds[3], bounds[2]]], opacity=0.75,
                                      name=html_text(title)).add_to(m)
    labels = [f"< {bins[0]:g} {unit}"] + [f"{lo:g} - {hi:g} {unit}" for lo, hi in zip(bins[:-1], bins[1:],
                                                                                          strict=True)]
    labels.append(f">= {bins[-1]:g} {unit}")
    items = [(matplotlib.colors.to_hex(c), lab) for c, lab in zip(cols, labels, strict=True)]
    items.append((palettes.MISSING["unreachable"][0],
                  palettes.MISSING_LABELS.get(language, palettes.MISSING_LABELS["en"])["unreachable"], True))
    m.get_root().html.add_child(_compact.RawHtml(legend_html(title, items, position="bottomleft")))
    return m
