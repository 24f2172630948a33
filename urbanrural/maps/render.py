"""One entry point for the CLI and the pipeline: a map spec and an output path.

Specs: a column name (choropleth, or categorical for text/class columns), ``lisa:<var>``,
``gi:<var>``, ``degurba`` (unit classes), ``ccd``, ``urban_class``, ``facilities``,
``tt:<category>`` (travel-time raster over the units), ``iso:<category>`` (the
accessibility step's isochrone polygons of that category over the units, nested by
threshold). The format follows the suffix:
.html (offline, self-contained) or .png/.pdf/.svg (print layout).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..geo.errors import DataError, InputFileError
from . import interactive, static
from .offline import save_html

__all__ = ["render_map", "resolve_spec"]

_CATEGORICAL = {"lisa", "gi", "degurba", "ccd", "urban_class"}


def resolve_spec(spec: str, columns: list[str]) -> tuple[str, str]:
    """(kind, column) for a map spec; DataError naming the missing column."""
    kind, _, arg = spec.partition(":")
    if kind == "lisa":
        col = f"lisa_{arg}"
    elif kind == "gi":
        col = f"gi_{arg}"
    elif kind == "degurba":
        col = "degurba_l1" if "degurba_l1" in columns else "urban_class"
    elif kind == "ccd":
        col = "ccd_class"
    elif kind in ("facilities", "tt", "iso"):
        return kind, arg
    else:
        kind, col = "column", spec
    if col not in columns:
        raise DataError(f"map {spec!r} needs column {col!r}, which the units do not have")
    return kind, col


def render_map(source: gpd.GeoDataFrame | str | Path, spec: str, out: str | Path, *, layer: str = "units",
               language: str = "en", title: str | None = None, facilities: gpd.GeoDataFrame | None = None,
               raster: str | Path | None = None, scheme: str = "quantiles", k: int = 5,
               isochrones: gpd.GeoDataFrame | None = None) -> Path:
    """Render map ``spec`` of ``source`` (a GeoDataFrame or a results.gpkg) to ``out``."""
    out = Path(out)
    if isinstance(source, (str, Path)):
        src = Path(source)
        if not src.exists():
            raise InputFileError(f"{src} does not exist")
        gdf = gpd.read_file(src, layer=layer)
        if facilities is None and spec == "facilities":
            try:
                facilities = gpd.read_file(src, layer="facilities")
            except Exception as exc:  # pyogrio raises its own error for a missing layer
                raise DataError(f"{src.name} has no facilities layer") from exc
        if spec.startswith("iso:"):
            try:
                isochrones = gpd.read_file(src, layer="isochrones")
            except Exception as exc:  # pyogrio raises its own error for a missing layer
                raise DataError(f"{src.name} has no isochrones layer (run the accessibility analysis with "
                                "at most 50 facilities in the category)") from exc
        if raster is None and spec.startswith("tt:"):
            cand = src.parent / "rasters" / f"tt_{spec[3:]}.tif"
            raster = cand if cand.exists() else None
    else:
        gdf = source
    kind, col = resolve_spec(spec, list(gdf.columns))
    suffix = out.suffix.lower()
    if suffix not in (".html", *static.FORMATS):
        raise DataError(f"{out.name}: maps are written as .html, .png, .pdf or .svg")
    title = title or (col if kind == "column" else spec)
    if kind == "facilities":
        if facilities is None:
            raise DataError("a facilities map needs the facilities layer")
        if suffix != ".html":
            fac = facilities.copy()
            fac["geometry"] = fac.buffer(150) if fac.crs is not None and fac.crs.is_projected else fac.geometry
            return static.static_map(fac.reset_index(drop=True), "category", out, title=title, categorical=True)
        return save_html(interactive.facilities_map(gdf, facilities, title=title, language=language), out)
    if kind == "iso":
        return _isochrone_map(gdf, isochrones, col, out, title=title, language=language)
    if kind == "tt":
        if raster is None:
            raise DataError(f"map {spec!r} needs the travel-time raster rasters/tt_{col}.tif")
        if suffix != ".html":
            colname = f"tt_{col}_min"
            if colname not in gdf.columns:
                raise DataError(f"map {spec!r} needs column {colname!r}")
            return static.static_map(gdf, colname, out, title=title, scheme="user", bins=[15, 30, 60, 120],
                                     unit="min")
        m = interactive.categorical(gdf.assign(_outline="unit"), "_outline", palette={"unit": "#ffffff"},
                                    title="units", language=language)
        return save_html(interactive.add_raster(m, str(raster), title=title, language=language), out)
    categorical = kind in _CATEGORICAL or not pd.api.types.is_numeric_dtype(gdf[col])
    if suffix == ".html":
        m = interactive.categorical(gdf, col, title=title, language=language) if categorical else \
            interactive.choropleth(gdf, col, scheme=scheme, k=k, title=title, language=language)
        return save_html(m, out)
    return static.static_map(gdf, col, out, title=title, scheme=scheme, k=k, categorical=categorical,
                             language=language)


_ISO_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef", "#eff3ff")  # nearest band darkest


def _isochrone_map(units: gpd.GeoDataFrame, iso: gpd.GeoDataFrame | None, category: str, out: Path, *,
                   title: str, language: str) -> Path:
    """Units in outline with the category's isochrones dissolved per threshold, the widest
    band drawn first so the nearer ones sit on top."""
    if iso is None or "category" not in iso.columns:
        raise DataError(f"map 'iso:{category}' needs the isochrones layer of results.gpkg")
    part = iso[iso["category"].astype(str) == category]
    if part.empty:
        raise DataError(f"no isochrones for {category!r}; categories with isochrones: "
                        f"{sorted(iso['category'].astype(str).unique())}")
    bands = part.to_crs(units.crs).dissolve(by="minutes").sort_index(ascending=False)
    lab = {"zh": "分钟以内", "en": "min"}.get(language, "min")
    names = [f"≤ {m:g} {lab}" for m in bands.index]
    frame = gpd.GeoDataFrame({"band": ["unit"] * len(units) + names},
                             geometry=list(units.geometry) + list(bands.geometry), crs=units.crs)
    colours = dict(zip(reversed(names), _ISO_COLOURS, strict=False))
    palette = {"unit": "#ffffff", **{n: colours.get(n, _ISO_COLOURS[-1]) for n in names}}
    labels = {"unit": "unit" if language != "zh" else "单元"}
    if out.suffix.lower() == ".html":
        return save_html(interactive.categorical(frame, "band", palette=palette, labels=labels, title=title,
                                                 tooltip=["band"], language=language), out)
    return static.static_map(frame, "band", out, title=title, categorical=True, palette=palette,
                             language=language)
