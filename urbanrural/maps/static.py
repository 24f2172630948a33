from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from ..geo.crs import crs_label  # noqa: E402
from ..geo.errors import DataError  # noqa: E402
from ..geo.io import atomic_path  # noqa: E402
from . import fonts, layout, palettes  # noqa: E402
from .interactive import Classes, _isna, _palette_for, check_scheme, class_keys, missing_classes  # noqa: E402
from .layout import LayoutInfo  # noqa: E402

__all__ = ["static_map", "map_figure", "small_multiples", "save_figure", "out_paths", "FORMATS", "LayoutInfo"]

FORMATS = (".png", ".pdf", ".svg")
#: one output file, or several formats of the same map (drawn once, saved in each)
PathOrPaths = str | os.PathLike | Sequence[str | os.PathLike]
logger = logging.getLogger("urbanrural")
_CATEGORICAL_PREFIXES = ("lisa_", "gi_", "degurba", "ccd_class", "urban_class")


def font_family(language: str = "en") -> tuple[str, ...]:
    """DejaVu Sans, then the CJK fallback found by :func:`~urbanrural.maps.fonts.find_cjk_font`."""
    return tuple(fonts.family(language))


def literal_text(fig: plt.Figure) -> None:
    """Draw every text of ``fig`` as written: no mathtext (``$``), no TeX."""
    for t in fig.findobj(Text):
        t.set_parse_math(False)
        t.set_usetex(False)


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise DataError("the layer has no CRS; a print map needs one for its scale bar")
    g = gdf if gdf.crs.is_projected else gdf.to_crs(gdf.estimate_utm_crs())
    if shapely.has_z(g.geometry.to_numpy()).any():  # 3D units are drawn flat
        g = g.set_geometry(shapely.force_2d(g.geometry.to_numpy()), crs=g.crs)
    return g


def _is_categorical(vals: pd.Series, column: str, categorical: bool | None) -> bool:
    if categorical is not None:
        return categorical
    return not pd.api.types.is_numeric_dtype(vals) or column.startswith(_CATEGORICAL_PREFIXES)


def _symbolise(vals: pd.Series, *, categorical: bool, scheme: str, k: int, bins: Sequence[float] | None,
               palette: Mapping | None, unit: str, language: str, missing_reason: pd.Series | None
               ) -> tuple[pd.Series, list[tuple[str, str, bool]], list[tuple[pd.Series, str]], list[float],
                          str | None]:
    """(colour per unit, legend items (colour, label, hatched), hatched selections, bins,
    note on merged classes)."""
    if categorical:
        # the classes of the interactive map: keys by the column's meaning, every class of a
        # known scheme listed (with its count), "no data" last
        pal, lab = _palette_for(vals, palette, language)
        keys = class_keys(vals, language) if palette is None else vals

        def key(v: object) -> object:
            try:
                return int(v) if float(v).is_integer() and int(v) in pal else v
            except (TypeError, ValueError, OverflowError):
                return v

        keys = keys.map(lambda v: v if _isna(v) else key(v))
        colors = keys.map(lambda v: palettes.NO_DATA if _isna(v) else pal.get(v, palettes.NO_DATA))
        present = set(keys.dropna())
        show_all = palette is None and palettes.scheme_for(str(vals.name)) is not None
        items: list[tuple[str, str, bool]] = [(c, str(lab.get(kk, kk)), False) for kk, c in pal.items()
                                              if kk in present or show_all]
        if keys.isna().any() or any(kk not in pal for kk in present):
            items.append((palettes.NO_DATA, palettes.NO_DATA_LABEL.get(language, "No data"), False))
        return colors, items, [], [], None
    check_scheme(scheme, k)
    cls = Classes(vals, scheme=scheme, k=k, bins=bins, unit=unit, language=language)
    mcolour, _mlabel, mitems = missing_classes(cls.index.isna(), missing_reason, language)
    colors = cls.color_of().where(cls.index.notna(), mcolour)
    items = [(c, lab, False) for c, lab in zip(cls.colors, cls.labels, strict=True)] + list(mitems)
    hatched = [(mcolour == c, c) for c, _lab, h in mitems if h]
    return colors, items, hatched, [float(b) for b in cls.bins], getattr(cls, "note", None)


def _draw_units(ax: plt.Axes, g: gpd.GeoDataFrame, colors: pd.Series, hatched: list[tuple[pd.Series, str]],
                linewidth: float = 0.3) -> None:
    g.plot(ax=ax, color=colors.to_numpy(), edgecolor="#666666", linewidth=linewidth)
    for sel, _c in hatched:
        if sel.any():
            g[sel.to_numpy()].plot(ax=ax, facecolor="none", edgecolor="#d9d9d9", hatch="////", linewidth=0.0)
    ax.set_xlabel("")  # geopandas names the CRS axes ("Easting [metre]"); a print map has no axis titles
    ax.set_ylabel("")


def _orientation(orientation: str, bounds: Sequence[float]) -> str:
    if orientation == "auto":
        return layout.auto_orientation(bounds)
    if orientation not in ("portrait", "landscape"):
        raise DataError(f"orientation {orientation!r}: use 'portrait', 'landscape' or 'auto'")
    return orientation


def _new_figure(page: str | tuple[float, float], orientation: str, bounds: Sequence[float]
                ) -> tuple[plt.Figure, str]:
    orient = _orientation(orientation, bounds)
    size = layout.page_size(page, orient)
    return plt.figure(figsize=size, dpi=100), orient


def map_figure(gdf: gpd.GeoDataFrame, column: str, *, title: str, scheme: str = "quantiles", k: int = 5,
               bins: Sequence[float] | None = None, categorical: bool | None = None,
               palette: Mapping | None = None, unit: str = "", language: str = "en", source: str | None = None,
               missing_reason: pd.Series | None = None, legend_title: str | None = None,
               page: str | tuple[float, float] = "A4", orientation: str = "auto", margin_mm: float = 12.0,
               subtitle: str | None = None, date: str | None = None, graticule: bool = False,
               inset: bool | gpd.GeoDataFrame = False, labels: str | None = None,
               context: Mapping[str, object] | None = None, legend_fontsize: float = 8.0
               ) -> tuple[plt.Figure, LayoutInfo]:
    """The print layout of :func:`static_map` as an open figure and what it drew (the
    caller closes it: ``plt.close(fig)``).  Fonts are set while the figure is built; call
    inside :func:`font_context` to render, or use :func:`save_figure`."""
    if column not in gdf.columns:
        raise DataError(f"column {column!r} is not in the layer")
    g = _metric(gdf)
    vals = g[column]
    cat = _is_categorical(vals, column, categorical)
    colors, items, hatched, cbins, note = _symbolise(vals, categorical=cat, scheme=scheme, k=k, bins=bins,
                                                    palette=palette, unit=unit, language=language,
                                                    missing_reason=missing_reason)
    bounds = g.total_bounds
    fig, orient = _new_figure(page, orientation, bounds)
    try:
        info = LayoutInfo(size_in=tuple(fig.get_size_inches()), orientation=orient, bins=cbins)
        fr = layout.make_frame(fig, orientation=orient, margin_mm=margin_mm, has_subtitle=bool(subtitle),
                               header_lines=_title_lines(fig, title, margin_mm),
                               footer_lines=1 + bool(source) + bool(date))
        ax = fig.add_axes(fr.map_box)
        ax.set_axis_off()
        info.denominator = layout.fit_to_scale(ax, bounds)
        _draw_units(ax, g, colors, hatched)
        extra = layout.draw_context(ax, g, context, language=language)
        if graticule:
            ax.set_axis_on()
            ax.set_xticks([])
            ax.set_yticks([])
            for sp in ax.spines.values():
                sp.set_linewidth(0.5)
            layout.draw_graticule(ax, g.crs)
        _panel(fig, fr, info, g, items, extra, inset=inset, bounds=bounds,
               title=legend_title if legend_title is not None else column + (f" ({unit})" if unit else ""),
               fontsize=legend_fontsize, note=note)
        _footer(fig, fr, ax, info, g, title=title, subtitle=subtitle, source=source, date=date, language=language)
        ax.set_xlabel("")  # geopandas names the CRS axes on every plot; a print map has no axis titles
        ax.set_ylabel("")
        info.map_axes = [ax]
        if labels is not None:
            info.labels_drawn, info.labels_skipped = layout.place_labels(ax, g, labels)
        literal_text(fig)
    except BaseException:
        plt.close(fig)
        raise
    return fig, info


def _title_lines(fig: plt.Figure, title: str, margin_mm: float) -> int:
    w = float(fig.get_size_inches()[0])
    return layout.wrap_title(title, w, margin_mm / 25.4 / w).count("\n") + 1


def _panel(fig: plt.Figure, fr: layout.Frame, info: LayoutInfo, g: gpd.GeoDataFrame, items: list, extra: list, *,
           inset: bool | gpd.GeoDataFrame, bounds: Sequence[float], title: str, fontsize: float,
           note: str | None = None) -> None:
    x, y, w, h = fr.panel_box
    fw, fh = fr.size
    leg_box = (x, y, w, h)
    if inset is not False and inset is not None:
        side = min(1.6 / fw if fr.panel_side == "right" else h * fh / fw, w)
        ih = side * fw / fh
        if fr.panel_side == "right":
            inset_box = (x + w - side, y, side, ih)
            leg_box = (x, y + ih + 0.2 / fh, w, h - ih - 0.2 / fh)
        else:
            inset_box = (x + w - side, y, side, min(ih, h))
            leg_box = (x, y, w - side - 0.2 / fw, h)
        overview = inset if isinstance(inset, gpd.GeoDataFrame) else None
        info.inset_axes = layout.draw_inset(fig, inset_box, g, overview, bounds)
    if note:  # e.g. tied quantiles merged: said under the legend
        info.note = note
        room = int(leg_box[2] * fw * 72 / (layout.MIN_FONT_PT * 0.6))
        fig.text(leg_box[0], leg_box[1], layout._wrap(note, room, 3), ha="left", va="bottom",
                 fontsize=layout.MIN_FONT_PT, color="#555555", style="italic")
        leg_box = (leg_box[0], leg_box[1] + 0.45 / fh, leg_box[2], leg_box[3] - 0.45 / fh)
    lax, leg = layout.draw_legend(fig, leg_box, items, title=title, extra=extra, fontsize=fontsize)
    info.legend_axes = lax
    info.legend_texts = [t.get_text() for t in leg.get_texts()]
    info.legend_fontsize = min(t.get_fontsize() for t in leg.get_texts()) if leg.get_texts() else fontsize
    info.legend_ncol = leg._ncols


def _footer(fig: plt.Figure, fr: layout.Frame, ax: plt.Axes, info: LayoutInfo, g: gpd.GeoDataFrame, *, title: str,
            subtitle: str | None, source: str | None, date: str | None, language: str) -> None:
    fh = fr.size[1]
    ybar = fr.margin[1] + 0.3 / fh
    layout.draw_north_arrow(fig, ax, y=ybar - 0.05 / fh)
    info.scale_label = layout.draw_scale_bar(fig, ax, info.denominator, y=ybar, language=language)
    layout.draw_header_footer(fig, fr, title=title, subtitle=subtitle, source=source, date=date,
                              crs_note=f"CRS: {crs_label(g.crs)}", language=language)


@contextmanager
def font_context(language: str = "en", *, svg_text: bool = True) -> Iterator[None]:
    """rcParams for building and saving print maps: font fallback, Type 42, SVG text."""
    with plt.rc_context({"font.family": list(font_family(language)), "text.usetex": False, "pdf.fonttype": 42,
                         "ps.fonttype": 42, "svg.fonttype": "none" if svg_text else "path",
                         "axes.unicode_minus": False}):
        yield


@contextmanager
def _truetype_for_pdf(fig: plt.Figure) -> Iterator[None]:
    """Swap the CJK fallback for a TrueType subset holding the figure's characters (a CFF
    font in a Type 42 slot makes PDFs strict readers reject) while the PDF is written; the
    fonts are put back after, so the same figure saved next as SVG names the real font."""
    cjk = fonts.find_cjk_font()
    if cjk is None or not cjk.is_cff:
        yield
        return
    texts = fig.findobj(Text)
    # bold titles stay bold: a bold subset joins the family when a bold CJK face exists
    fam = fonts.truetype_fallback("".join(t.get_text() for t in texts), bold=True)
    if fam is None:
        yield
        return
    before = [t.get_fontfamily() for t in texts]
    for t in texts:
        t.set_fontfamily([fam if f == cjk.family else f for f in t.get_fontfamily()])
    try:
        yield
    finally:
        for t, f in zip(texts, before, strict=True):
            t.set_fontfamily(f)


def save_figure(fig: plt.Figure, path: PathOrPaths, *, dpi: int = 300, svg_text: bool = True,
                language: str = "en") -> Path | list[Path]:
    """Write ``fig`` to ``path`` at its page size (no tight crop), atomically; glyphs no
    font has are logged (drawn as boxes), other warnings pass through.

    ``path`` is one file or several (``[x.png, x.pdf, x.svg]``): the figure is drawn once
    and saved in each format (the suffix chooses it); the paths saved are returned as
    given (one path, or a list).

    Examples
    --------
    >>> import matplotlib.pyplot as plt, tempfile, pathlib
    >>> fig = plt.figure(figsize=(2, 2))
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in save_figure(fig, [out / "f.png", out / "f.pdf", out / "f.svg"], dpi=50)]
    ['f.png', 'f.pdf', 'f.svg']
    >>> plt.close(fig)
    """
    paths = out_paths(path)
    for p in paths:
        _save_one(fig, p, dpi=dpi, svg_text=svg_text, language=language)
    return paths[0] if _single(path) else paths


def _save_one(fig: plt.Figure, path: Path, *, dpi: int, svg_text: bool, language: str) -> None:
    fmt = path.suffix.lstrip(".").lower()
    fm_log = logging.getLogger("matplotlib.font_manager")
    level = fm_log.level
    fm_log.setLevel(logging.ERROR)  # "no bold weight for <CJK font>, using 400" is expected, not news
    try:
        with font_context(language, svg_text=svg_text), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            pdf_fonts = _truetype_for_pdf(fig) if fmt in ("pdf", "ps", "eps") else nullcontext()
            with pdf_fonts, atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=dpi, format=fmt, metadata={"Creator": "urbanrural"} if fmt == "pdf" else None)
    finally:
        fm_log.setLevel(level)
    glyph = [w for w in caught if "missing from" in str(w.message) or "does not have a glyph" in str(w.message)]
    for w in caught:
        if w not in glyph:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if glyph:
        logger.warning("note: %s: %d character(s) have no glyph in the installed fonts and are drawn as boxes (%s)",
                       path.name, len({str(w.message) for w in glyph}), fonts.INSTALL_HINT)


def _single(path: object) -> bool:
    return isinstance(path, (str, os.PathLike))


def out_paths(path: PathOrPaths) -> list[Path]:
    """One output path or several as a list of paths (DataError for none or a repeat).

    Examples
    --------
    >>> [p.name for p in out_paths("m.png")], [p.suffix for p in out_paths(["m.png", "m.pdf"])]
    (['m.png'], ['.png', '.pdf'])
    """
    paths = [Path(path)] if _single(path) else [Path(p) for p in path]  # type: ignore[union-attr]
    if not paths:
        raise DataError("no output path given: pass a file such as maps/x.png (or several: x.png, x.pdf)")
    seen = [p for i, p in enumerate(paths) if p in paths[:i]]
    if seen:
        raise DataError(f"output path {str(seen[0])!r} given twice")
    return paths


def _check_path(path: PathOrPaths) -> list[Path]:
    """The output paths of a print map, each with a print suffix (DataError otherwise)."""
    paths = out_paths(path)
    bad = [p.name for p in paths if p.suffix.lower() not in FORMATS]
    if bad:
        raise DataError(f"{', '.join(bad)}: static maps are written as {', '.join(FORMATS)}")
    return paths


def _check_dpi(dpi: int) -> None:
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 50 <= dpi <= 1200:
        raise DataError(f"dpi={dpi!r}: use a number from 50 to 1200 (300 for print)")


def static_map(gdf: gpd.GeoDataFrame, column: str, path: PathOrPaths, *, title: str, scheme: str = "quantiles",
               k: int = 5, bins: Sequence[float] | None = None, categorical: bool | None = None,
               palette: Mapping | None = None, unit: str = "", language: str = "en",
               source: str | None = None, dpi: int = 300, missing_reason: pd.Series | None = None,
               legend_title: str | None = None, page: str | tuple[float, float] = "A4",
               orientation: str = "auto", margin_mm: float = 12.0, subtitle: str | None = None,
               date: str | None = None, graticule: bool = False, inset: bool | gpd.GeoDataFrame = False,
               labels: str | None = None, context: Mapping[str, object] | None = None,
               svg_text: bool = True) -> Path | list[Path]:
    """Write a print map of ``column`` to ``path`` (.png at ``dpi``, .pdf or .svg).

    Parameters
    ----------
    gdf : GeoDataFrame
        Units with a CRS (geographic is projected to UTM; Z coordinates are dropped).
    column : str
        Numeric (classed with ``scheme``, ``k`` >= 2) or categorical.
    path : path-like or list of path-like
        Output; the suffix chooses the format. Several paths (``[x.png, x.pdf, x.svg]``)
        get the same map, drawn once and saved in each format; the paths are returned
        as a list then.
    title : str
        Drawn literally, as are every label and note.
    source, subtitle, date : str, optional
        Lines of the layout; a missing one is omitted (no made-up source).
    missing_reason : Series of str, optional
        Why a unit has no value; one legend entry per reason, apart from "no data"
        (see :func:`~urbanrural.maps.interactive.missing_classes`).
    legend_title : str, optional
        Defaults to the column name (with ``unit``).
    page, orientation, margin_mm
        "A4" (default), "A3", "A5", "letter" or (width, height) inches; "auto" picks
        landscape for maps clearly wider than tall.
    graticule : bool
        Longitude/latitude lines, labelled at the frame.
    inset : bool or GeoDataFrame
        A locator map: True draws the study area in a buffered overview of its extent;
        a GeoDataFrame (e.g. the province's counties) is drawn as the overview.
    labels : str, optional
        Column of unit names drawn at representative points; a name that would overlap
        another (larger units win) or leave the frame is skipped.
    context : dict, optional
        ``{"boundary": True, "roads": roads_gdf, "facilities": fac_gdf, ...}`` drawn
        over the units and listed in the legend.
    svg_text : bool
        SVG keeps text as ``<text>`` (editable, searchable) rather than paths.
    """
    _check_path(path)
    _check_dpi(dpi)
    with font_context(language, svg_text=svg_text):
        fig, _info = map_figure(gdf, column, title=title, scheme=scheme, k=k, bins=bins, categorical=categorical,
                                palette=palette, unit=unit, language=language, source=source,
                                missing_reason=missing_reason, legend_title=legend_title, page=page,
                                orientation=orientation, margin_mm=margin_mm, subtitle=subtitle, date=date,
                                graticule=graticule, inset=inset, labels=labels, context=context)
    try:
        return save_figure(fig, path, dpi=dpi, svg_text=svg_text, language=language)
    finally:
        plt.close(fig)


def small_multiples(gdf: gpd.GeoDataFrame, columns: Sequence[str], path: PathOrPaths, *, title: str,
                    scheme: str = "quantiles", k: int = 5, bins: Sequence[float] | None = None,
                    categorical: bool | None = None, palette: Mapping | None = None, unit: str = "",
                    titles: Mapping[str, str] | Sequence[str] | None = None, language: str = "en",
                    source: str | None = None, subtitle: str | None = None, date: str | None = None,
                    page: str | tuple[float, float] = "A4", orientation: str = "auto", ncols: int | None = None,
                    legend_title: str | None = None, context: Mapping[str, object] | None = None,
                    dpi: int = 300, svg_text: bool = True, margin_mm: float = 12.0,
                    _return_info: bool = False) -> Path | list[Path] | tuple[Path | list[Path], LayoutInfo]:
    """One panel per column with the same classes (computed over all columns pooled), one
    legend, one scale bar (every panel at the same scale) and the layout's lines.

    Examples
    --------
    >>> import geopandas as gpd, shapely, tempfile, pathlib
    >>> g = gpd.GeoDataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 3.0, 4.0]},
    ...     geometry=[shapely.box(i * 1000, 0, i * 1000 + 1000, 1000) for i in range(3)], crs=32650)
    >>> small_multiples(g, ["a", "b"], pathlib.Path(tempfile.mkdtemp()) / "sm.png", title="t", k=2,
    ...                 dpi=60).suffix
    '.png'
    """
    _check_path(path)
    _check_dpi(dpi)
    columns = list(columns)
    if not columns:
        raise DataError("small_multiples needs at least one column")
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise DataError(f"column(s) {', '.join(map(repr, missing))} not in the layer")
    if isinstance(titles, Mapping):
        panel_titles = [str(titles.get(c, c)) for c in columns]
    elif titles is not None:
        panel_titles = [str(t) for t in titles]
        if len(panel_titles) != len(columns):
            raise DataError(f"titles: {len(panel_titles)} given for {len(columns)} columns")
    else:
        panel_titles = columns
    g = _metric(gdf)
    pooled = pd.concat([g[c] for c in columns], ignore_index=True).rename(columns[0])
    cat = _is_categorical(pooled, columns[0], categorical)
    note = None
    if cat:
        # text columns: one palette over all panels; named schemes (LISA, DEGURBA...) have
        # fixed colours per class
        _c, items, _h, shared, _n = _symbolise(pooled, categorical=True, scheme=scheme, k=k, bins=bins,
                                               palette=palette, unit=unit, language=language, missing_reason=None)
        named = palette is None and palettes.scheme_for(columns[0]) is not None
        pal = None if named else (palette or _palette_for(pooled, None, language)[0])
        symb = [_symbolise(g[c].rename(columns[0]), categorical=True, scheme=scheme, k=k, bins=bins, palette=pal,
                           unit=unit, language=language, missing_reason=None)[:3] for c in columns]
    else:
        pooled_cls = Classes(pooled, scheme=scheme, k=k, bins=bins, unit=unit, language=language)
        _c, items, _h, shared, note = _symbolise(pooled, categorical=False, scheme=scheme, k=k, bins=bins,
                                                 palette=palette, unit=unit, language=language, missing_reason=None)
        upper = np.asarray(pooled_cls.upper if hasattr(pooled_cls, "upper") else pooled_cls.bins, dtype=float)
        symb = []
        for c in columns:  # each panel's values in the pooled classes: same break, same colour
            v = pd.to_numeric(g[c], errors="coerce").replace([np.inf, -np.inf], np.nan)
            idx = np.minimum(np.searchsorted(upper, v.fillna(0).to_numpy(dtype=float), side="left"), len(upper) - 1)
            col = pd.Series([palettes.NO_DATA if pd.isna(x) else pooled_cls.colors[i] for x, i in zip(v, idx,
                                                                                                   strict=True)],
                            index=g.index)
            symb.append((col, items, []))
    bounds = g.total_bounds
    n = len(columns)
    with font_context(language, svg_text=svg_text):
        minx, miny, maxx, maxy = bounds
        aspect = (maxx - minx) / max(maxy - miny, 1e-9)
        orient = orientation if orientation != "auto" else ("landscape" if n > 1 and aspect * min(n, 3) > 1.6 * (
            math.ceil(n / min(n, 3))) else "portrait")
        fig, orient = _new_figure(page, orient, bounds)
        try:
            fw, fh = fig.get_size_inches()
            nc = ncols or max(1, min(n, round(math.sqrt(n * (fw / fh) / max(aspect, 1e-9))) or 1))
            nr = math.ceil(n / nc)
            info = LayoutInfo(size_in=(fw, fh), orientation=orient, bins=shared)
            fr = layout.make_frame(fig, orientation=orient, margin_mm=margin_mm, has_subtitle=bool(subtitle),
                               header_lines=_title_lines(fig, title, margin_mm),
                                   footer_lines=1 + bool(source) + bool(date))
            x0, y0, w, h = fr.map_box
            gap_x, gap_y = 0.15 / fw, 0.32 / fh
            cw, ch = (w - gap_x * (nc - 1)) / nc, (h - gap_y * nr) / nr
            axes = []
            for i, ptitle in enumerate(panel_titles):
                r, c = divmod(i, nc)
                ax = fig.add_axes((x0 + c * (cw + gap_x), y0 + (nr - 1 - r) * (ch + gap_y), cw, ch))
                ax.set_axis_off()
                axes.append(ax)
                ax.set_title(ptitle, fontsize=9, pad=3)
            denom = max(layout.fit_to_scale(ax, bounds) for ax in axes)
            extra: list = []
            for ax, (colors, _items, hatched) in zip(axes, symb, strict=True):
                layout.fit_to_scale(ax, _scaled_bounds(ax, bounds, denom))
                _draw_units(ax, g, colors, hatched, linewidth=0.2)
                extra = layout.draw_context(ax, g, context, language=language)
            info.denominator = denom
            leg_title = legend_title if legend_title is not None else (unit or "")
            _panel(fig, fr, info, g, items, extra, inset=False, bounds=bounds, title=leg_title, fontsize=8.0,
                   note=note)
            _footer(fig, fr, axes[0], info, g, title=title, subtitle=subtitle, source=source, date=date,
                    language=language)
            info.map_axes = axes
            literal_text(fig)
        except BaseException:
            plt.close(fig)
            raise
    try:
        out = save_figure(fig, path, dpi=dpi, svg_text=svg_text, language=language)
    finally:
        plt.close(fig)
    return (out, info) if _return_info else out


def _scaled_bounds(ax: plt.Axes, bounds: Sequence[float], denom: int) -> tuple[float, float, float, float]:
    """Bounds that fit_to_scale turns into exactly ``denom`` in ``ax``."""
    fw, fh = ax.figure.get_size_inches()
    pos = ax.get_position()
    m = denom * 0.0254 / 1.06 * 0.999
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    hw, hh = pos.width * fw * m / 2, pos.height * fh * m / 2
    return (cx - hw, cy - hh, cx + hw, cy + hh)
