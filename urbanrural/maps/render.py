"""One entry point for the CLI and the pipeline: a map spec and an output path.

Specs: a column name (choropleth, or categorical for text/class columns), ``lisa:<var>``,
``gi:<var>``, ``degurba`` (unit classes), ``ccd``, ``urban_class``, ``facilities``,
``tt:<category>`` (travel-time raster over the units), ``iso:<category>`` (the
accessibility step's isochrone polygons of that category over the units, nested by
threshold). The format follows the suffix:
.html (offline, self-contained) or .png/.pdf/.svg (print layout).

Bad input is refused before anything is written, with a typed error the CLI turns into
exit 2: a file that is missing, empty, not a vector dataset or without geometry, a layer
it does not have (the layers are listed), an unknown scheme (the valid ones are listed),
``k < 2`` (a ``k`` above the number of distinct values is lowered to it, with a note), an
output suffix other than .html/.png/.pdf/.svg, an unreadable travel-time raster.

For ``tt_<cat>_min`` and ``acc_<measure>_<cat>`` columns, a ``reach_<cat>`` column (``ok``,
``unreachable``, ``no people``) splits the missing units by reason in the legend.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..geo.errors import DataError, InputFileError
from ..geo.io import safe_name
from . import interactive, static
from .escape import html_text
from .offline import save_html

__all__ = ["render_map", "resolve_spec", "read_layer", "missing_reason_for", "OUTPUT_SUFFIXES"]

OUTPUT_SUFFIXES = (".html", *static.FORMATS)


def read_layer(path: str | Path, layer: str) -> gpd.GeoDataFrame:
    """Read ``layer`` of a vector file, or InputFileError saying what is wrong and the fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "empty.gpkg"
    >>> _ = p.write_bytes(b"")
    >>> read_layer(p, "units")
    Traceback (most recent call last):
    ...
    urbanrural.geo.errors.InputFileError: empty.gpkg is empty (0 bytes); ...
    """
    src = Path(path)
    if not src.exists():
        raise InputFileError(f"{src} does not exist; pass a run's results.gpkg")
    if not src.is_file():
        raise InputFileError(f"{src} is not a file; pass a run's results.gpkg")
    if src.stat().st_size == 0:
        raise InputFileError(f"{src.name} is empty (0 bytes); pass a run's results.gpkg (rerun if it was cut off)")
    try:
        info = pyogrio.list_layers(src)
    except Exception as exc:  # pyogrio's DataSourceError and GDAL errors for unreadable files
        raise InputFileError(f"{src.name} cannot be read as a vector file (GeoPackage, shapefile, GeoJSON...); "
                             f"pass a run's results.gpkg") from exc
    names = [str(n) for n in info[:, 0]]
    with_geom = [str(n) for n, t in info if t is not None]
    if not with_geom:
        raise InputFileError(f"{src.name} has no layer with geometry (a table such as a CSV?); maps need a "
                             "GeoPackage with unit polygons, such as a run's results.gpkg")
    if layer not in names:
        raise InputFileError(f"{src.name} has no layer {layer!r}; its layers: {', '.join(map(repr, names))}; "
                             "choose one with --layer")
    if layer not in with_geom:
        raise InputFileError(f"layer {layer!r} of {src.name} has no geometry; layers with geometry: "
                             f"{', '.join(map(repr, with_geom))}")
    try:
        gdf = gpd.read_file(src, layer=layer, engine="pyogrio")
    except Exception as exc:  # a corrupt or truncated file
        raise InputFileError(f"layer {layer!r} of {src.name} cannot be read ({type(exc).__name__}); is the file "
                             "complete? Rerun the analysis to write it again") from exc
    if gdf.empty:
        raise DataError(f"layer {layer!r} of {src.name} has no features to map")
    return gdf


def missing_reason_for(gdf: pd.DataFrame, column: str) -> pd.Series | None:
    """The ``reach_<cat>`` column that explains missing values of ``tt_<cat>_min`` or
    ``acc_<measure>_<cat>`` (None when there is none).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"tt_clinic_min": [1.0], "acc_2sfca_clinic": [0.1], "reach_clinic": ["ok"]})
    >>> missing_reason_for(f, "acc_2sfca_clinic").name, missing_reason_for(f, "tt_clinic_min").name
    ('reach_clinic', 'reach_clinic')
    """
    cats = []
    m = re.fullmatch(r"tt_(.+)_min", column)
    if m:
        cats.append(m.group(1))
    if column.startswith("acc_"):
        cats += [str(c)[6:] for c in gdf.columns if str(c).startswith("reach_") and column.endswith("_" + str(c)[6:])]
    for cat in sorted(cats, key=len, reverse=True):
        if f"reach_{cat}" in gdf.columns:
            return gdf[f"reach_{cat}"]
    return None

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


def run_raster(results: Path, name: str) -> Path | None:
    """The raster ``name`` (e.g. ``tt_县级医院``) of the run folder holding ``results``.

    run.json lists every raster the run wrote under its safe file name (names from data
    are sanitised, and two that collide get a hash); without run.json the safe name is
    tried.  Only files inside the run folder's ``rasters/`` are returned.
    """
    folder = (results.parent / "rasters").resolve()
    rel = None
    run = results.parent / "run.json"
    if run.is_file():
        try:
            rel = (json.loads(run.read_text(encoding="utf-8")).get("results") or {}).get("rasters", {}).get(name)
        except (OSError, ValueError, AttributeError):
            rel = None
    cand = (results.parent / rel).resolve() if isinstance(rel, str) else folder / f"{safe_name(name)}.tif"
    return cand if cand.parent == folder and cand.is_file() else None


def render_map(source: gpd.GeoDataFrame | str | Path, spec: str, out: str | Path, *, layer: str = "units",
               language: str = "en", title: str | None = None, facilities: gpd.GeoDataFrame | None = None,
               raster: str | Path | None = None, scheme: str = "quantiles", k: int = 5,
               isochrones: gpd.GeoDataFrame | None = None) -> Path:
    """Render map ``spec`` of ``source`` (a GeoDataFrame or a results.gpkg) to ``out``.

    Raises
    ------
    InputFileError
        ``source`` is missing, empty, unreadable, has no geometry or no ``layer``.
    DataError
        Unknown spec column, scheme or suffix; ``k < 2``; a layer the spec needs is absent.
    RasterError
        The travel-time raster of a ``tt:`` map cannot be read.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise DataError(f"{out.name}: maps are written as .html, .png, .pdf or .svg; got "
                        f"{suffix or 'no suffix'!r}")
    interactive.check_scheme(scheme, k)
    kind0, _, arg0 = spec.partition(":")
    if kind0 in ("tt", "iso") and not arg0:
        raise DataError(f"map {spec!r} needs a category: {kind0}:CATEGORY")
    if isinstance(source, (str, Path)):
        src = Path(source)
        gdf = read_layer(src, layer)
        if facilities is None and spec == "facilities":
            facilities = read_layer(src, "facilities")
        if spec.startswith("iso:"):
            try:
                isochrones = read_layer(src, "isochrones")
            except InputFileError as exc:
                raise DataError(f"{src.name} has no isochrones layer (run the accessibility analysis)") from exc
        if raster is None and spec.startswith("tt:"):
            raster = run_raster(src, f"tt_{spec[3:]}")
    else:
        gdf = source
    kind, col = resolve_spec(spec, list(gdf.columns))
    title = title if title is not None else (col if kind == "column" else spec)
    if kind == "facilities":
        if facilities is None:
            raise DataError("a facilities map needs the facilities layer")
        if "category" not in facilities.columns:
            raise DataError("the facilities layer has no 'category' column")
        if suffix != ".html":
            fac = facilities.copy()
            fac["geometry"] = fac.buffer(150) if fac.crs is not None and fac.crs.is_projected else fac.geometry
            return static.static_map(fac.reset_index(drop=True), "category", out, title=title, categorical=True,
                                     language=language)
        return save_html(interactive.facilities_map(gdf, facilities, title=title, language=language), out)
    if kind == "iso":
        return _isochrone_map(gdf, isochrones, col, out, title=title, language=language)
    if kind == "tt":
        colname = f"tt_{col}_min"
        if suffix != ".html":
            if colname not in gdf.columns:
                raise DataError(f"map {spec!r} needs column {colname!r}")
            return static.static_map(gdf, colname, out, title=title, scheme="user", bins=[15, 30, 60, 120],
                                     unit="min", language=language, missing_reason=missing_reason_for(gdf, colname))
        if raster is None:
            raise DataError(f"map {spec!r} needs the travel-time raster of {col!r} (rasters/ beside the results, "
                            "written by the accessibility analysis)")
        m = interactive.categorical(gdf.assign(_outline="unit"), "_outline", palette={"unit": "#ffffff"},
                                    labels={"unit": "unit" if language != "zh" else "单元"},
                                    title="units" if language != "zh" else "单元", language=language)
        m = interactive.add_raster(m, str(raster), title=title, language=language)
        m.get_root().title = html_text(title)
        return save_html(m, out)
    categorical = kind in _CATEGORICAL or not pd.api.types.is_numeric_dtype(gdf[col])
    reason = None if categorical else missing_reason_for(gdf, col)
    if suffix == ".html":
        m = interactive.categorical(gdf, col, title=title, language=language) if categorical else \
            interactive.choropleth(gdf, col, scheme=scheme, k=k, title=title, language=language,
                                   missing_reason=reason)
        return save_html(m, out)
    return static.static_map(gdf, col, out, title=title, scheme=scheme, k=k, categorical=categorical,
                             language=language, missing_reason=reason)


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
