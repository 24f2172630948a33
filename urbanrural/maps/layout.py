"""Print layout for static maps: page, margins, header and footer, legend panel, scale
bar with a numeric scale, north arrow, graticule, locator inset, unit labels without
collisions, context layers.

A page (A4/A3/letter, portrait or landscape, "auto" from the map's aspect) is split into
a header (title, subtitle), the map frame, a side or bottom panel for the legend and the
inset (the legend never sits on the map data), and a footer (scale bar, numeric scale,
north arrow, source, date, CRS).  The map is drawn at a nice scale (1:250,000, from
1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5 x 10^n), so the numeric scale is exact on paper at the
page size, whatever the DPI.

Examples
--------
>>> page_size("A4", "portrait")
(8.27, 11.69)
>>> nice_denominator(243_117)
250000
>>> scale_text(250000)
'1:250,000'
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import matplotlib.patheffects as pe
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from ..geo.errors import DataError

__all__ = ["PAGES", "page_size", "nice_denominator", "scale_text", "Frame", "LayoutInfo", "make_frame",
           "fit_to_scale", "draw_scale_bar", "draw_north_arrow", "draw_graticule", "draw_inset", "place_labels",
           "draw_context", "draw_legend", "draw_header_footer", "MIN_FONT_PT"]

PAGES = {"A4": (8.27, 11.69), "A3": (11.69, 16.54), "A5": (5.83, 8.27), "letter": (8.5, 11.0)}
MIN_FONT_PT = 7.0
_NICE = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 10)
_MM = 1 / 25.4
_TEXT = {"en": {"source": "Source", "date": "Date", "boundary": "Boundary", "roads": "Roads",
                "facilities": "Facilities", "scale": "Scale"},
         "zh": {"source": "数据来源", "date": "日期", "boundary": "边界", "roads": "道路", "facilities": "设施",
                "scale": "比例尺"}}


def words(language: str) -> dict[str, str]:
    return _TEXT.get(language, _TEXT["en"])


def page_size(page: str | tuple[float, float], orientation: str = "portrait") -> tuple[float, float]:
    """(width, height) in inches of ``page`` ("A4", "A3", "A5", "letter" or (w, h) inches)."""
    if isinstance(page, str):
        key = {k.lower(): k for k in PAGES}.get(page.strip().lower())
        if key is None:
            raise DataError(f"unknown page {page!r}; valid pages: {', '.join(PAGES)} or (width, height) in inches")
        w, h = PAGES[key]
    else:
        try:
            w, h = (float(x) for x in page)
        except (TypeError, ValueError) as exc:
            raise DataError(f"page {page!r}: give a name ({', '.join(PAGES)}) or (width, height) in inches") from exc
        if not (1 <= w <= 100 and 1 <= h <= 100):
            raise DataError(f"page {page!r}: width and height must be 1 to 100 inches")
    if orientation not in ("portrait", "landscape"):
        raise DataError(f"orientation {orientation!r}: use 'portrait', 'landscape' or 'auto'")
    lo, hi = min(w, h), max(w, h)
    return (lo, hi) if orientation == "portrait" else (hi, lo)


def nice_denominator(d: float) -> int:
    """The smallest nice scale denominator >= ``d`` (so the map still fits its frame)."""
    if not d > 0 or not math.isfinite(d):
        raise DataError(f"scale 1:{d}: the map has no extent")
    exp = 10 ** math.floor(math.log10(d))
    for f in _NICE:
        if f * exp >= d * (1 - 1e-9):
            return int(round(f * exp))
    return int(10 * exp)


def scale_text(denominator: int) -> str:
    return f"1:{denominator:,}"


def _nice_length(length: float) -> float:
    exp = 10 ** np.floor(np.log10(length))
    for f in (5, 2, 1):
        if f * exp <= length:
            return float(f * exp)
    return float(exp)


@dataclass
class Frame:
    """Where things go on the page (figure fractions: left, bottom, width, height)."""

    fig: Figure
    size: tuple[float, float]
    map_box: tuple[float, float, float, float]
    panel_box: tuple[float, float, float, float]
    header_top: float
    footer_top: float
    margin: tuple[float, float]  # (x, y) fractions
    panel_side: str  # "right" or "bottom"


@dataclass
class LayoutInfo:
    """What a layout drew, for tests and callers: page, scale, legend texts, labels."""

    size_in: tuple[float, float] = (0.0, 0.0)
    orientation: str = "portrait"
    denominator: int = 0
    scale_label: str = ""
    legend_texts: list[str] = field(default_factory=list)
    legend_fontsize: float = 0.0
    legend_ncol: int = 1
    labels_drawn: list[Text] = field(default_factory=list)
    labels_skipped: int = 0
    map_axes: list[Axes] = field(default_factory=list)
    legend_axes: Axes | None = None
    inset_axes: Axes | None = None
    bins: list[float] = field(default_factory=list)
    note: str | None = None


def auto_orientation(bounds: Sequence[float], panel: bool = True) -> str:
    """Landscape when the map (plus a side panel) is clearly wider than tall."""
    minx, miny, maxx, maxy = bounds
    aspect = (maxx - minx) / max(maxy - miny, 1e-9)
    return "landscape" if aspect > 1.2 else "portrait"


def make_frame(fig: Figure, *, orientation: str, margin_mm: float = 12.0, header_lines: int = 1,
               has_subtitle: bool = False, footer_lines: int = 2, panel: bool = True,
               panel_fraction: float | None = None) -> Frame:
    """Split the page: header at the top, footer at the bottom, the legend panel on the
    right (landscape) or below the map (portrait)."""
    w, h = fig.get_size_inches()
    mx, my = margin_mm * _MM / w, margin_mm * _MM / h
    header_h = (0.32 * header_lines + (0.24 if has_subtitle else 0) + 0.12) / h
    footer_h = (0.95 + 0.12 * max(footer_lines - 1, 0)) / h  # north arrow, bar, source lines
    top = 1 - my - header_h
    bottom = my + footer_h
    side = "right" if orientation == "landscape" else "bottom"
    if not panel:
        mb = (mx, bottom, 1 - 2 * mx, top - bottom)
        pb = (0.0, 0.0, 0.0, 0.0)
    elif side == "right":
        pw = panel_fraction if panel_fraction is not None else min(0.28, 2.6 / w)
        mb = (mx + 0.2 / w, bottom + 0.2 / h, 1 - 2 * mx - pw - 0.35 / w, top - bottom - 0.2 / h)
        pb = (1 - mx - pw, bottom, pw, top - bottom)
    else:
        ph = panel_fraction if panel_fraction is not None else min(0.24, 2.4 / h)
        mb = (mx, bottom + ph + 0.3 / h, 1 - 2 * mx, top - bottom - ph - 0.3 / h)  # room for graticule labels
        pb = (mx, bottom, 1 - 2 * mx, ph)
    return Frame(fig, (w, h), mb, pb, 1 - my, bottom, (mx, my), side)


def fit_to_scale(ax: Axes, bounds: Sequence[float], pad: float = 0.03) -> int:
    """Centre ``bounds`` (metres) in ``ax`` at the nicest scale at which they fit; returns
    the scale denominator.  The axes keep their box; the limits grow to the nice scale."""
    minx, miny, maxx, maxy = bounds
    fig = ax.figure
    fw, fh = fig.get_size_inches()
    pos = ax.get_position()
    w_in, h_in = pos.width * fw, pos.height * fh
    dx, dy = max(maxx - minx, 1.0) * (1 + 2 * pad), max(maxy - miny, 1.0) * (1 + 2 * pad)
    m_per_in = max(dx / w_in, dy / h_in)
    denom = nice_denominator(m_per_in / 0.0254)
    m_per_in = denom * 0.0254
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - w_in * m_per_in / 2, cx + w_in * m_per_in / 2)
    ax.set_ylim(cy - h_in * m_per_in / 2, cy + h_in * m_per_in / 2)
    ax.set_aspect("equal", adjustable="box")
    ax.set_autoscale_on(False)
    return denom


def axes_denominator(ax: Axes) -> float:
    """The scale 1:x at which ``ax`` draws metres on paper (figure size in inches)."""
    fw, fh = ax.figure.get_size_inches()
    pos = ax.get_position()
    x0, x1 = ax.get_xlim()
    return (x1 - x0) / (pos.width * fw) / 0.0254


def draw_scale_bar(fig: Figure, ax: Axes, denom: int, *, y: float, language: str = "en", fontsize: float = 7.5
                   ) -> str:
    """A 4-segment bar of a nice length (about a quarter of the map frame) under the map,
    after the north arrow, its length in km or m, and the numeric scale beside it."""
    fw, fh = fig.get_size_inches()
    pos = ax.get_position()
    m_per_in = denom * 0.0254
    length = _nice_length(pos.width * fw * m_per_in / 4)
    bar_in = length / m_per_in
    x0 = pos.x0 + 0.5 / fw  # after the north arrow
    seg = bar_in / fw / 4
    hh = 0.06 / fh
    for i in range(4):
        fig.add_artist(Rectangle((x0 + i * seg, y), seg, hh, transform=fig.transFigure,
                                 facecolor="black" if i % 2 == 0 else "white", edgecolor="black", lw=0.6))
    unit = "km" if length >= 1000 else "m"
    f = 1000 if unit == "km" else 1
    for i, frac in enumerate((0, 0.5, 1)):
        val = length * frac / f
        lab = f"{val:g}" + (f" {unit}" if i == 2 else "")
        fig.text(x0 + frac * 4 * seg, y - 0.03 / fh, lab, ha="center", va="top", fontsize=fontsize)
    label = scale_text(denom)
    fig.text(x0 + 4 * seg + 0.35 / fw, y + hh / 2, f"{words(language)['scale']} {label}", ha="left", va="center",
             fontsize=fontsize + 0.5)
    return label


def draw_north_arrow(fig: Figure, ax: Axes, *, y: float, fontsize: float = 9) -> None:
    """A north arrow under the map's left edge, before the scale bar (grid north)."""
    fw, fh = fig.get_size_inches()
    pos = ax.get_position()
    x = pos.x0 + 0.12 / fw
    fig.text(x, y + 0.34 / fh, "N", ha="center", va="bottom", fontsize=fontsize, fontweight="bold")
    fig.patches.append(_arrow(fig, x, y - 0.02 / fh, 0.34 / fh, 0.09 / fw))


def _arrow(fig: Figure, x: float, y: float, height: float, half_w: float) -> Patch:
    from matplotlib.patches import Polygon

    return Polygon([(x, y + height), (x - half_w, y), (x, y + height * 0.3), (x + half_w, y)], closed=True,
                   transform=fig.transFigure, facecolor="black", edgecolor="black", lw=0.5, figure=fig)


def _nice_degrees(span: float) -> float:
    for step in (0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 15, 30):
        if span / step <= 5:
            return step
    return 30.0


def _deg_label(v: float, pos: str, neg: str) -> str:
    s = f"{abs(v):.3f}".rstrip("0").rstrip(".")
    return f"{s}°{pos if v >= 0 else neg}"


def draw_graticule(ax: Axes, crs: object, *, fontsize: float = 7) -> int:
    """Meridians and parallels at a nice step over the axes' extent, labelled at the
    bottom and left edges; returns the number of lines drawn."""
    from pyproj import Transformer

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    box = shapely.box(x0, y0, x1, y1)
    to_ll = Transformer.from_crs(crs, 4326, always_xy=True)
    back = Transformer.from_crs(4326, crs, always_xy=True)
    xs = np.linspace(x0, x1, 25)
    ys = np.linspace(y0, y1, 25)
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = to_ll.transform(gx.ravel(), gy.ravel())
    step = _nice_degrees(max(np.ptp(lon), np.ptp(lat)))
    n = 0
    bottom = shapely.LineString([(x0, y0), (x1, y0)])
    left = shapely.LineString([(x0, y0), (x0, y1)])
    style = dict(color="#9a9a9a", lw=0.4, ls=(0, (4, 3)), zorder=0.5)
    for v in np.arange(math.floor(lon.min() / step) * step, lon.max() + step, step):
        line = shapely.LineString(np.column_stack(back.transform(np.full(50, v), np.linspace(lat.min(), lat.max(), 50))))
        clip = line.intersection(box)
        if clip.is_empty:
            continue
        for part in getattr(clip, "geoms", [clip]):
            ax.plot(*part.xy, **style)
        n += 1
        hit = line.intersection(bottom)
        if not hit.is_empty:
            p = hit if hit.geom_type == "Point" else hit.geoms[0]
            ax.annotate(_deg_label(v, "E", "W"), (p.x, y0), xytext=(0, -3), textcoords="offset points",
                        ha="center", va="top", fontsize=fontsize, color="#555555", annotation_clip=False)
    for v in np.arange(math.floor(lat.min() / step) * step, lat.max() + step, step):
        line = shapely.LineString(np.column_stack(back.transform(np.linspace(lon.min(), lon.max(), 50), np.full(50, v))))
        clip = line.intersection(box)
        if clip.is_empty:
            continue
        for part in getattr(clip, "geoms", [clip]):
            ax.plot(*part.xy, **style)
        n += 1
        hit = line.intersection(left)
        if not hit.is_empty:
            p = hit if hit.geom_type == "Point" else hit.geoms[0]
            ax.annotate(_deg_label(v, "N", "S"), (x0, p.y), xytext=(-3, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=fontsize, color="#555555", rotation=90,
                        annotation_clip=False)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return n


def draw_inset(fig: Figure, box: tuple[float, float, float, float], units: gpd.GeoDataFrame,
               overview: gpd.GeoDataFrame | None, extent: Sequence[float]) -> Axes:
    """A locator: the overview layer (or the units' outline buffered by half their size)
    with the study area in red."""
    ax = fig.add_axes(box)
    outline = units.geometry.union_all()
    if overview is not None and not overview.empty:
        ov = overview.to_crs(units.crs)
        ov.plot(ax=ax, facecolor="#f0f0f0", edgecolor="#9a9a9a", linewidth=0.3)
        bounds = ov.total_bounds
    else:
        minx, miny, maxx, maxy = extent
        buf = max(maxx - minx, maxy - miny) * 0.5
        ctx = shapely.box(minx, miny, maxx, maxy).buffer(buf, join_style="mitre")
        gpd.GeoSeries([ctx], crs=units.crs).plot(ax=ax, facecolor="#f7f7f7", edgecolor="#bdbdbd", linewidth=0.4)
        bounds = ctx.bounds
    gpd.GeoSeries([outline], crs=units.crs).plot(ax=ax, facecolor="#fcbba1", edgecolor="#cb181d", linewidth=0.8)
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for s in ax.spines.values():
        s.set_linewidth(0.5)
        s.set_color("#666666")
    return ax


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def place_labels(ax: Axes, gdf: gpd.GeoDataFrame, column: str, *, fontsize: float = 7.0,
                 pad_px: float = 1.5, max_overhang: float = 1.5) -> tuple[list[Text], int]:
    """Unit names at representative points, largest units first; a label whose box would
    overlap one already placed, leave the map frame, or be wider than ``max_overhang``
    times its unit is dropped.  Returns (drawn, skipped)."""
    if column not in gdf.columns:
        raise DataError(f"labels={column!r} is not a column of the layer; columns: {', '.join(map(str, gdf.columns))}")
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    order = gdf.geometry.area.sort_values(ascending=False).index
    pts = gdf.geometry.representative_point()
    widths = (gdf.geometry.bounds["maxx"] - gdf.geometry.bounds["minx"]).to_numpy()
    px_per_unit = frame.width / max(np.ptp(ax.get_xlim()), 1e-9)
    pos = {i: n for n, i in enumerate(gdf.index)}
    placed: list[tuple[float, float, float, float]] = []
    drawn: list[Text] = []
    skipped = 0
    for i in order:
        name = gdf.at[i, column]
        if pd.isna(name) or not str(name).strip() or pts[i] is None or pts[i].is_empty:
            continue
        t = ax.text(pts[i].x, pts[i].y, str(name), ha="center", va="center", fontsize=fontsize, color="#222222",
                    zorder=6, path_effects=[pe.withStroke(linewidth=1.6, foreground="white")])
        t.set_parse_math(False)
        bb = t.get_window_extent(renderer)
        box = (bb.x0 - pad_px, bb.y0 - pad_px, bb.x1 + pad_px, bb.y1 + pad_px)
        inside = bb.x0 >= frame.x0 and bb.x1 <= frame.x1 and bb.y0 >= frame.y0 and bb.y1 <= frame.y1
        too_wide = bb.width > max_overhang * widths[pos[i]] * px_per_unit
        if not inside or too_wide or any(_overlap(box, p) for p in placed):
            t.remove()
            skipped += 1
            continue
        placed.append(box)
        drawn.append(t)
    return drawn, skipped


def draw_context(ax: Axes, units: gpd.GeoDataFrame, context: Mapping[str, object] | None, *,
                 language: str = "en") -> list[tuple[str, object]]:
    """Draw context layers over the map; returns legend handles (label, handle).

    Keys: ``boundary`` (True: the dissolved units' outline, or a GeoDataFrame),
    ``roads`` (lines; wider for ``road_class`` motorway/trunk/primary), ``facilities``
    (points), any other name: drawn by geometry type with that name in the legend. A value
    may be ``(layer, style)`` with style ``"star"`` (points as red stars: proposed sites),
    ``"hatch"`` (polygons hatched: protected land) or ``"newly"`` (polygons outlined in red:
    units a plan newly brings within the standard).
    """
    if not context:
        return []
    w = words(language)
    handles: list[tuple[str, object]] = []
    for key, value in context.items():
        layer, style = value if isinstance(value, tuple) else (value, None)
        if layer is None or layer is False:
            continue
        label = w.get(str(key), str(key))
        if key == "boundary" and layer is True:
            geo = gpd.GeoSeries([units.geometry.union_all()], crs=units.crs)
        elif isinstance(layer, (gpd.GeoDataFrame, gpd.GeoSeries)):
            if layer.crs is None:
                raise DataError(f"context layer {key!r} has no CRS")
            geo = layer.to_crs(units.crs)
        else:
            raise DataError(f"context layer {key!r}: give a GeoDataFrame (or True for 'boundary')")
        gs = geo.geometry if isinstance(geo, gpd.GeoDataFrame) else geo
        kinds = set(gs.geom_type.dropna())
        if style == "hatch" and kinds <= {"Polygon", "MultiPolygon"}:
            gs.plot(ax=ax, facecolor="none", edgecolor="#2d6a2d", hatch="\\\\", linewidth=0.8, zorder=3)
            handles.append((label, Patch(facecolor="none", edgecolor="#2d6a2d", hatch="\\\\", linewidth=0.8)))
            continue
        if style == "newly" and kinds <= {"Polygon", "MultiPolygon"}:  # areas a plan newly brings in reach
            gs.boundary.plot(ax=ax, color="#d7191c", linewidth=1.3, zorder=4)
            handles.append((label, Patch(facecolor="none", edgecolor="#d7191c", linewidth=1.3)))
            continue
        if style == "star":
            pts = gs.representative_point() if not kinds <= {"Point", "MultiPoint"} else gs
            pts.plot(ax=ax, color="#d7191c", markersize=110, marker="*", zorder=6, edgecolor="white", linewidth=0.5)
            handles.append((label, Line2D([], [], color="#d7191c", marker="*", ls="", markersize=11,
                                          markeredgecolor="white")))
            continue
        if key == "boundary" or kinds <= {"Polygon", "MultiPolygon"}:
            gs.boundary.plot(ax=ax, color="#252525", linewidth=1.2, zorder=4)
            handles.append((label, Line2D([], [], color="#252525", lw=1.2)))
        elif kinds <= {"LineString", "MultiLineString"}:
            lw = 0.6
            if isinstance(geo, gpd.GeoDataFrame) and "road_class" in geo.columns:
                major = geo["road_class"].astype(str).str.lower().isin(["motorway", "trunk", "primary", "highway",
                                                                       "expressway", "national"])
                geo[~major].plot(ax=ax, color="#7f7f7f", linewidth=0.5, zorder=3)
                geo[major].plot(ax=ax, color="#4d4d4d", linewidth=1.1, zorder=3)
            else:
                gs.plot(ax=ax, color="#6f6f6f", linewidth=lw, zorder=3)
            handles.append((label, Line2D([], [], color="#6f6f6f", lw=0.9)))
        else:
            pts = gs.representative_point() if not kinds <= {"Point", "MultiPoint"} else gs
            pts.plot(ax=ax, color="#111111", markersize=28, marker="^", zorder=5, edgecolor="white", linewidth=0.4)
            handles.append((label, Line2D([], [], color="#111111", marker="^", ls="", markersize=7,
                                          markeredgecolor="white")))
    return handles


def draw_legend(fig: Figure, box: tuple[float, float, float, float], items: Sequence[tuple[str, str, bool]], *,
                title: str, extra: Sequence[tuple[str, object]] = (), fontsize: float = 8.0) -> tuple[Axes, object]:
    """The legend in its own panel: patches for classes (hatched when flagged), then the
    context layers; wraps into columns when the entries do not fit the panel height."""
    ax = fig.add_axes(box)
    ax.set_axis_off()
    handles = [Patch(facecolor=c, edgecolor="#d9d9d9" if h else "#666666", hatch="////" if h else None,
                     linewidth=0.5, label=lab) for c, lab, h in items]
    handles += [h for _lab, h in extra]
    labels = [lab for _c, lab, _h in items] + [lab for lab, _h in extra]
    fw, fh = fig.get_size_inches()
    height_pt = box[3] * fh * 72
    width_pt = box[2] * fw * 72
    fs = max(fontsize, MIN_FONT_PT)
    longest = max((len(s) for s in labels), default=1)
    while True:
        rows = max(1, int((height_pt - 2.4 * fs) // (fs * 1.75)))
        ncol = math.ceil(len(handles) / rows)
        col_w = (longest * 0.62 + 4) * fs
        if ncol * col_w <= width_pt or fs <= MIN_FONT_PT:
            break
        fs = max(MIN_FONT_PT, fs - 0.5)
    leg = ax.legend(handles=handles, labels=labels, title=title, loc="upper left", ncol=ncol, fontsize=fs,
                    title_fontsize=fs + 1, frameon=False, borderaxespad=0.0, handlelength=1.8, columnspacing=1.2,
                    alignment="left")
    return ax, leg


def draw_header_footer(fig: Figure, frame: Frame, *, title: str, subtitle: str | None, source: str | None,
                       date: str | None, crs_note: str, language: str = "en") -> None:
    """Title and subtitle at the top left; source, date and the CRS at the bottom."""
    mx, my = frame.margin
    w = words(language)
    text = wrap_title(title, frame.size[0], mx)
    fig.text(mx, frame.header_top, text, ha="left", va="top", fontsize=14, fontweight="bold")
    if subtitle:
        fig.text(mx, frame.header_top - (0.1 + 0.26 * (text.count("\n") + 1)) / frame.size[1], subtitle, ha="left", va="top", fontsize=10,
                 color="#333333")
    lines = []
    if source:
        lines.append(f"{w['source']}: {source}" if not _has_prefix(source) else source)
    if date:
        lines.append(f"{w['date']}: {date}")
    lines.append(crs_note)
    fig.text(1 - mx, my, "\n".join(lines), ha="right", va="bottom", fontsize=7, color="#444444", linespacing=1.4)


def wrap_title(title: str, page_width_in: float, margin_frac: float) -> str:
    """The title broken to the page width (two lines at most); wrapped here because
    matplotlib's ``wrap=True`` measures "$...$" as mathtext even with parse_math off."""
    room = int((1 - 2 * margin_frac) * page_width_in * 72 / (14 * 0.62))
    return _wrap(title, room, 2)


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in s)


def _wrap(text: str, room: int, max_lines: int) -> str:
    """Break ``text`` into at most ``max_lines`` lines of about ``room`` narrow characters
    (wide CJK characters count two); the last line ends with an ellipsis when cut."""
    lines, cur = [], ""
    for ch in text:
        if _width(cur + ch) > room:
            cut = cur.rfind(" ")
            if cut > len(cur) // 2:
                lines.append(cur[:cut])
                cur = cur[cut + 1:]
            else:
                lines.append(cur)
                cur = ""
        cur += ch
    lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return "\n".join(line.strip() for line in lines)


def _has_prefix(source: str) -> bool:
    s = source.strip().lower()
    return s.startswith(("source", "sources", "data:", "数据来源", "来源", "资料来源"))
