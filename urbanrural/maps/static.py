"""Print-ready static maps (matplotlib): title, legend with classes and "no data", scale
bar, north arrow, CRS and source note; PNG at 300 dpi, PDF or SVG by the file suffix.

The classes are those of the interactive map (:class:`~urbanrural.maps.interactive.Classes`).
Every text is drawn literally: no mathtext (a ``$x^2$`` title shows the dollars), no TeX;
Chinese labels use a CJK font when one is installed (Noto Sans CJK, Source Han Sans,
WenQuanYi...), and a glyph no font has is drawn as a box and logged, not raised.
Missing values can be split by reason (``missing_reason``: e.g. "unreachable" hatched in
dark grey, apart from "no data").

Examples
--------
>>> import geopandas as gpd, shapely, tempfile, pathlib
>>> g = gpd.GeoDataFrame({"v": [1.0, 2.0, None]}, geometry=[shapely.box(i * 1000, 0, i * 1000 + 1000, 1000)
...                      for i in range(3)], crs=32650)
>>> p = static_map(g, "v", pathlib.Path(tempfile.mkdtemp()) / "m.png", title="Test", k=2)
>>> p.suffix
'.png'
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from ..geo.crs import crs_label  # noqa: E402
from ..geo.errors import DataError  # noqa: E402
from ..geo.io import atomic_path  # noqa: E402
from . import palettes  # noqa: E402
from .interactive import Classes, _palette_for, check_scheme, missing_classes  # noqa: E402

__all__ = ["static_map", "FORMATS"]

FORMATS = (".png", ".pdf", ".svg")
logger = logging.getLogger("urbanrural")
_CJK = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
        "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Noto Serif CJK SC")


@functools.lru_cache(maxsize=1)
def font_family() -> tuple[str, ...]:
    """DejaVu Sans, then the first installed CJK family (matplotlib falls back per glyph)."""
    have = {f.name for f in font_manager.fontManager.ttflist}
    return ("DejaVu Sans", *[f for f in _CJK if f in have][:1])


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


def _nice(length: float) -> float:
    exp = 10 ** np.floor(np.log10(length))
    for f in (5, 2, 1):
        if f * exp <= length:
            return f * exp
    return exp


def _decorate(ax: plt.Axes, gdf: gpd.GeoDataFrame, source: str) -> None:
    minx, miny, maxx, maxy = gdf.total_bounds
    width = maxx - minx
    bar = _nice(width / 4)
    x0, y0 = minx + width * 0.05, miny - (maxy - miny) * 0.06
    ax.plot([x0, x0 + bar], [y0, y0], color="black", lw=3, solid_capstyle="butt")
    ax.text(x0 + bar / 2, y0 - (maxy - miny) * 0.015, f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m",
            ha="center", va="top", fontsize=8)
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.86), xycoords="axes fraction", ha="center", va="center",
                fontsize=11, fontweight="bold", arrowprops=dict(arrowstyle="-|>", color="black", lw=1.5))
    ax.text(0.0, -0.04, f"CRS: {crs_label(gdf.crs)}. {source}", transform=ax.transAxes, fontsize=6, va="top",
            color="#444")
    ax.set_ylim(miny - (maxy - miny) * 0.1, maxy + (maxy - miny) * 0.03)
    ax.set_axis_off()


def static_map(gdf: gpd.GeoDataFrame, column: str, path: str | Path, *, title: str, scheme: str = "quantiles",
               k: int = 5, bins: Sequence[float] | None = None, categorical: bool | None = None,
               palette: Mapping | None = None, unit: str = "", language: str = "en",
               source: str = "Source: urbanrural.", dpi: int = 300, missing_reason: pd.Series | None = None,
               legend_title: str | None = None) -> Path:
    """Write a print map of ``column`` to ``path`` (.png at ``dpi``, .pdf or .svg).

    Parameters
    ----------
    gdf : GeoDataFrame
        Units with a CRS (geographic is projected to UTM; Z coordinates are dropped).
    column : str
        Numeric (classed with ``scheme``, ``k`` >= 2) or categorical.
    path : path-like
        Output; the suffix chooses the format.
    title : str
        Drawn literally, as are every label and note.
    missing_reason : Series of str, optional
        Why a unit has no value; one legend entry per reason, apart from "no data"
        (see :func:`~urbanrural.maps.interactive.missing_classes`).
    legend_title : str, optional
        Defaults to the column name (with ``unit``).
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise DataError(f"{path.name}: static maps are written as {', '.join(FORMATS)}")
    if column not in gdf.columns:
        raise DataError(f"column {column!r} is not in the layer")
    g = _metric(gdf)
    vals = g[column]
    if categorical is None:
        categorical = not pd.api.types.is_numeric_dtype(vals) or column.startswith(("lisa_", "gi_", "degurba",
                                                                                    "ccd_class", "urban_class"))
    hatched: list[tuple[pd.Series, str]] = []
    if categorical:
        pal, lab = _palette_for(vals, palette, language)

        def key(v: object) -> object:
            try:
                return int(v) if float(v).is_integer() and int(v) in pal else v
            except (TypeError, ValueError):
                return v

        colors = vals.map(lambda v: palettes.NO_DATA if pd.isna(v) else pal.get(key(v), palettes.NO_DATA))
        present = {key(v) for v in vals.dropna()}
        items: list[tuple] = [(c, str(lab.get(kk, kk)), False) for kk, c in pal.items() if kk in present]
        if vals.isna().any() or any(key(v) not in pal for v in vals.dropna()):
            items.append((palettes.NO_DATA, palettes.NO_DATA_LABEL.get(language, "No data"), False))
    else:
        check_scheme(scheme, k)
        cls = Classes(vals, scheme=scheme, k=k, bins=bins, unit=unit)
        mcolour, _mlabel, mitems = missing_classes(cls.index.isna(), missing_reason, language)
        colors = cls.color_of().where(cls.index.notna(), mcolour)
        items = [(c, lab, False) for c, lab in zip(cls.colors, cls.labels, strict=True)] + mitems
        hatched = [(mcolour == c, c) for c, _lab, h in mitems if h]
    with plt.rc_context({"font.family": list(font_family()), "text.usetex": False}), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        fig, ax = plt.subplots(figsize=(7.5, 7.0))
        try:
            g.plot(ax=ax, color=colors.to_numpy(), edgecolor="#666666", linewidth=0.3)
            for sel, _c in hatched:
                if sel.any():
                    g[sel.to_numpy()].plot(ax=ax, facecolor="none", edgecolor="#d9d9d9", hatch="////",
                                           linewidth=0.0)
            handles = [Patch(facecolor=c, edgecolor="#d9d9d9" if h else "#666666", hatch="////" if h else None,
                             label=lab) for c, lab, h in items]
            leg_title = legend_title if legend_title is not None else column + (f" ({unit})" if unit else "")
            ax.legend(handles=handles, title=leg_title, loc="lower right", fontsize=7, title_fontsize=8,
                      frameon=True, framealpha=0.9)
            ax.set_title(title, fontsize=12, fontweight="bold")
            _decorate(ax, g, source)
            literal_text(fig)
            with atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix.lstrip(".").lower())
        finally:
            plt.close(fig)
    missing = sorted({str(w.message).split(")")[0] + ")" for w in caught if "missing from" in str(w.message)
                      or "does not have a glyph" in str(w.message)})
    for w in caught:
        if "missing from" not in str(w.message) and "does not have a glyph" not in str(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing:
        logger.warning("note: %s: %d character(s) have no glyph in the installed fonts and are drawn as boxes "
                       "(Chinese text needs a CJK font such as fonts-noto-cjk)", path.name, len(missing))
    return path
