"""Print-ready static maps (matplotlib): title, legend with classes and "no data", scale
bar, north arrow, CRS and source note; PNG at 300 dpi, PDF or SVG by the file suffix.

The classes are those of the interactive map (:class:`~urbanrural.maps.interactive.Classes`).

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

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..geo.crs import crs_label  # noqa: E402
from ..geo.errors import DataError  # noqa: E402
from ..geo.io import atomic_path  # noqa: E402
from . import palettes  # noqa: E402
from .interactive import Classes, _palette_for  # noqa: E402

__all__ = ["static_map", "FORMATS"]

FORMATS = (".png", ".pdf", ".svg")


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise DataError("the layer has no CRS; a print map needs one for its scale bar")
    return gdf if gdf.crs.is_projected else gdf.to_crs(gdf.estimate_utm_crs())


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
               source: str = "Source: urbanrural.", dpi: int = 300) -> Path:
    """Write a print map of ``column`` to ``path`` (.png at ``dpi``, .pdf or .svg)."""
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
    fig, ax = plt.subplots(figsize=(7.5, 7.0))
    if categorical:
        pal, lab = _palette_for(vals, palette, language)

        def key(v: object) -> object:
            try:
                return int(v) if float(v).is_integer() and int(v) in pal else v
            except (TypeError, ValueError):
                return v

        colors = vals.map(lambda v: palettes.NO_DATA if pd.isna(v) else pal.get(key(v), palettes.NO_DATA))
        present = {key(v) for v in vals.dropna()}
        items = [(c, lab.get(kk, str(kk))) for kk, c in pal.items() if kk in present]
    else:
        cls = Classes(vals, scheme=scheme, k=k, bins=bins, unit=unit)
        colors = cls.color_of()
        items = list(zip(cls.colors, cls.labels, strict=True))
    if vals.isna().any():
        items.append((palettes.NO_DATA, palettes.NO_DATA_LABEL.get(language, "No data")))
    g.plot(ax=ax, color=colors.to_numpy(), edgecolor="#666666", linewidth=0.3)
    handles = [Patch(facecolor=c, edgecolor="#666666", label=lab) for c, lab in items]
    ax.legend(handles=handles, title=column + (f" ({unit})" if unit else ""), loc="lower right", fontsize=7,
              title_fontsize=8, frameon=True, framealpha=0.9)
    ax.set_title(title, fontsize=12, fontweight="bold")
    _decorate(ax, g, source)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix.lstrip(".").lower())
    plt.close(fig)
    return path
