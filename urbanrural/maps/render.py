"""One entry point for the CLI and the pipeline: a map spec and an output path.

Specs: a column name, ``lisa:<var>`` (clusters), ``lisa_p:<var>`` (significance),
``gi:<var>``, ``degurba`` (level 1 of the units), ``degurba_l2``, ``ccd``, ``urban_class``,
``facilities``, ``tt:<category>`` (travel-time raster under the units in outline),
``iso:<category>`` (the accessibility step's isochrone polygons of that category over the
units, nested by threshold), ``years:<var>`` (one map per year of the panel's
``<var>_<year>`` columns in shared classes), ``density:<var>`` (kernel density per year;
see :mod:`.panel`). The format follows the suffix: .html (offline, self-contained) or
.png/.pdf/.svg (print layout).

How a column is drawn follows its meaning, from its name (:func:`map_kind`), never its
values: named classes (:func:`.palettes.scheme_for`), travel-time bands for minutes
(``bins``: the config's thresholds), net flows ``flow_net_<kind>`` diverging around 0 in
symmetric classes (red net outflow, blue net inflow), pair balances ``flow_balance_<kind>``
in fixed 0-1 classes, classed numbers, or text up to a limit. Change over time: ``index_change``,
``index_slope`` and ``index_annual_rate`` (as %) diverge around 0 in symmetric classes,
``early_warning`` / ``warning_count`` show the rules fired (0 grey; 1, 2, 3+ warm; an
``early_warning`` map classes ``warning_count`` when present and lists the rules on hover),
``hotspot_trend`` the emerging hot spot classes in ESRI's order and colours. Titles,
legends and tooltips come from :mod:`.labels` in the map's language; tooltips start with
the unit code (the index, or the first column of a results.gpkg, which the run writes
named as the config's id), then the name and the values with their units.

Bad input is refused before anything is written, with a typed error the CLI turns into
exit 2: a file that is missing, empty, not a vector dataset or without geometry, a layer
it does not have (the layers are listed), an unknown scheme (the valid ones are listed),
``k < 2`` (a ``k`` above the number of distinct values is lowered to it, with a note), an
output suffix other than .html/.png/.pdf/.svg, an unreadable travel-time raster, a text
column with more classes than a legend can hold, unknown tiles or a tiles URL without
its attribution.

For ``tt_<cat>_min`` and ``acc_<measure>_<cat>`` columns, a ``reach_<cat>`` column (``ok``,
``unreachable``, ``no people``) splits the missing units by reason in the legend.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import pyogrio

from ..geo.errors import DataError, InputFileError
from ..geo.io import safe_name
from . import _compact, interactive, labels, palettes, static
from . import flows as flow_maps
from . import panel as panel_maps
from .offline import save_html

__all__ = ["render_map", "resolve_spec", "read_layer", "missing_reason_for", "map_kind", "OUTPUT_SUFFIXES"]

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

_CATEGORICAL = {"lisa", "lisa_p", "gi", "degurba", "ccd", "urban_class"}


def resolve_spec(spec: str, columns: list[str]) -> tuple[str, str]:
    """(kind, column) for a map spec; DataError naming the missing column.

    ``lisa:VAR`` (clusters), ``lisa_p:VAR`` (significance), ``gi:VAR``, ``degurba``
    (level 1 of the units, else urban_class), ``degurba_l2``, ``ccd``, ``urban_class``,
    ``facilities``, ``tt:CAT``, ``iso:CAT``, else a column name.
    """
    kind, _, arg = spec.partition(":")
    if kind == "lisa":
        col = f"lisa_{arg}"
    elif kind == "lisa_p":
        col = f"lisa_p_{arg}"
    elif kind == "gi":
        col = f"gi_{arg}"
    elif kind == "degurba" and not arg:
        col = "degurba_l1" if "degurba_l1" in columns else "urban_class"
    elif kind == "ccd" and not arg:
        col = "ccd_class"
    elif kind in ("facilities", "tt", "iso", "flow", "flow_matrix", "years", "density"):
        return kind, arg
    else:
        kind, col = "column", spec
    if col not in columns:
        from difflib import get_close_matches

        hint = get_close_matches(col, columns, n=1, cutoff=0.6)
        mean = f"; did you mean {hint[0]!r}?" if hint else ""
        shown = ", ".join(c for c in columns if c != "geometry")
        shown = shown if len(shown) <= 300 else shown[:300] + " ..."
        raise DataError(f"map {spec!r} needs column {col!r}, which the units do not have{mean} (columns: {shown})")
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


def map_kind(column: str, values: pd.Series) -> str:
    """How a column is drawn, by its meaning: "classes" (a categorical result named by
    :func:`.palettes.scheme_for`), "bands" (minutes: planners' travel-time bands),
    "diverging" (net flows: classes symmetric around 0, :func:`.palettes.diverging_bins`),
    "balance" (0-1 in :data:`.palettes.BALANCE_BINS`), "numeric" (classed), or "text" (one
    colour per value, up to a limit).

    Examples
    --------
    >>> import pandas as pd
    >>> [map_kind(c, pd.Series([1.0])) for c in ("flow_net_commuting", "flow_balance_capital", "flow_in_land")]
    ['diverging', 'balance', 'numeric']
    """
    if palettes.scheme_for(column) is not None:
        return "classes"
    if labels.is_minutes(column):
        return "bands"
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        if palettes.is_diverging(column):
            return "diverging"
        if str(column).startswith("flow_balance_"):
            return "balance"
        return "numeric"
    return "text"


def _read_optional(src: Path, name: str) -> gpd.GeoDataFrame | None:
    try:
        return read_layer(src, name)
    except (InputFileError, DataError):
        return None


def render_map(source: gpd.GeoDataFrame | str | Path, spec: str, out: str | Path | Sequence[str | Path], *,
               layer: str = "units",
               language: str = "en", title: str | None = None, facilities: gpd.GeoDataFrame | None = None,
               raster: str | Path | None = None, scheme: str = "quantiles", k: int = 5,
               isochrones: gpd.GeoDataFrame | None = None, bins: Sequence[float] | None = None,
               roads: gpd.GeoDataFrame | None = None, tiles: str | None = None, attr: str | None = None,
               id_column: str | None = None, context: Sequence[str] = (), place: str | None = None,
               print_options: Mapping[str, Any] | None = None, flows: gpd.GeoDataFrame | None = None,
               top_n: int | None = flow_maps.TOP_N, min_volume: float | None = None) -> Path | list[Path]:
    """Render map ``spec`` of ``source`` (a GeoDataFrame or a results.gpkg) to ``out``.

    ``out`` is one file or several formats of the same map (``[x.html, x.png, x.pdf,
    x.svg]``): the source is read once, each HTML map is built on its own and the print
    map is drawn once (one matplotlib figure) and saved in every print format; the paths
    written are returned (a list when ``out`` is a list).

    The way a column is drawn follows its meaning (its name), never its values: LISA,
    LISA significance, Gi*, DEGURBA levels 1 and 2, CCD classes, urban/rural and
    ``reach_<cat>`` as named classes; travel times (``tt_<cat>_min``,
    ``acc_nearest_<cat>``, ``acc_raam_<cat>``) in planners' bands (``bins``, the config's
    thresholds; 15/30/60 min by default) with "unreachable" and "no people" apart from
    "no data"; other numbers classed by ``scheme``/``k``; text as categories up to
    :data:`.palettes.TEXT_CLASS_LIMIT` values in print (``TEXT_CLASS_LIMIT_HTML`` in HTML,
    whose legend scrolls). Titles, legends and tooltips come from
    :mod:`.labels` in ``language``.

    Parameters
    ----------
    title : str, optional
        Defaults to the spec's human title (``place``: prefixed, e.g. the study area).
    bins : list of float, optional
        Travel-time bands in minutes (the accessibility thresholds).
    facilities, roads, isochrones : GeoDataFrame, optional
        Layers of the run. ``facilities`` make the facilities map and are drawn on
        ``tt:``/``iso:`` maps (that category's); ``isochrones`` make ``iso:`` maps.
    context : sequence of {"facilities", "roads", "isochrones"}
        Context layers drawn over an HTML map (each in the layer control): the frames
        given above, or for a results.gpkg ``source`` its layers of those names.
    print_options : mapping, optional
        Passed to :func:`.static.static_map` for print formats: ``page``, ``orientation``,
        ``dpi``, ``subtitle``, ``source``, ``date``, ``context`` ({"boundary": True, ...}),
        ``labels``, ``graticule``, ``inset``, ``svg_text``.
    tiles, attr : str, optional
        HTML basemap: an xyzservices name or a URL template with its attribution
        (offline, no tiles, by default).
    id_column : str, optional
        The unit code shown first in tooltips; by default the index when it is named or
        not a row number, else the first text column (results.gpkg writes the id first).
    flows : GeoDataFrame, optional
        The flow lines of ``flow:`` and ``flow_matrix:`` maps (one row per directed pair:
        origin, destination, kind, volume...; see :mod:`.flows`); for a results.gpkg
        ``source`` its layer ``flows``.
    top_n, min_volume : optional
        Which flows a ``flow:`` map draws: the ``top_n`` largest (200; None for all) with a
        volume of at least ``min_volume``.

    Raises
    ------
    InputFileError
        ``source`` is missing, empty, unreadable, has no geometry or no ``layer``.
    DataError
        Unknown spec column, scheme or suffix; ``k < 2``; a layer the spec needs is absent;
        a text column with too many values.
    RasterError
        The travel-time raster of a ``tt:`` map cannot be read.
    UnknownNameError
        A ``flow:``/``flow_matrix:`` kind (or year) the flows layer does not hold (the
        kinds present are listed).
    """
    single = isinstance(out, (str, os.PathLike))
    outs = static.out_paths(out)
    for o in outs:
        if o.suffix.lower() not in OUTPUT_SUFFIXES:
            raise DataError(f"{o.name}: maps are written as .html, .png, .pdf or .svg; got "
                            f"{o.suffix.lower() or 'no suffix'!r}")
    suffix = outs[0].suffix.lower()
    if not single and suffix != ".html" and any(o.suffix.lower() == ".html" for o in outs):
        suffix = ".html"  # a mix: split below, once the source is read
    interactive.check_scheme(scheme, k)
    kind0, _, arg0 = spec.partition(":")
    if kind0 in ("tt", "iso") and not arg0:
        raise DataError(f"map {spec!r} needs a category: {kind0}:CATEGORY")
    bands = [float(b) for b in (bins if bins is not None else palettes.BANDS)]
    if not bands:
        raise DataError("bins: give at least one travel-time threshold in minutes, e.g. [15, 30, 60]")
    if isinstance(source, (str, Path)):
        src = Path(source)
        gdf = read_layer(src, layer)
        if facilities is None and (spec == "facilities" or "facilities" in context):
            facilities = read_layer(src, "facilities") if spec == "facilities" else _read_optional(src, "facilities")
        if roads is None and "roads" in context:
            roads = _read_optional(src, "roads")
        if isochrones is None and "isochrones" in context:
            isochrones = _read_optional(src, "isochrones")
        if spec.startswith("iso:"):
            try:
                isochrones = read_layer(src, "isochrones")
            except InputFileError as exc:
                raise DataError(f"{src.name} has no isochrones layer (run the accessibility analysis)") from exc
        if flows is None and kind0 in ("flow", "flow_matrix"):
            try:
                flows = read_layer(src, "flows")
            except (InputFileError, DataError) as exc:
                raise DataError(f"{src.name} has no flows (no layer 'flows' with flow lines): this run has no "
                                "flows; add flows: to the config and run the flows analysis") from exc
        if raster is None and spec.startswith("tt:"):
            raster = run_raster(src, f"tt_{spec[3:]}")
        if id_column is None and layer == "units":
            cols = [c for c in gdf.columns if c != gdf.geometry.name]
            if cols and gdf[cols[0]].is_unique:  # results.gpkg: the config's id is the first column
                id_column = str(cols[0])
    else:
        gdf = source
    if not single and suffix == ".html":  # each HTML map alone, the print formats together (drawn once)
        prints = [o for o in outs if o.suffix.lower() != ".html"]
        targets: list[Path | list[Path]] = [o for o in outs if o.suffix.lower() == ".html"]
        done: list[Path] = []
        for target in targets + ([prints] if prints else []):
            r = render_map(gdf, spec, target, layer=layer, language=language, title=title, facilities=facilities,
                           raster=raster, scheme=scheme, k=k, isochrones=isochrones, bins=bins, roads=roads,
                           tiles=tiles, attr=attr, id_column=id_column, context=context, place=place,
                           print_options=print_options, flows=flows, top_n=top_n, min_volume=min_volume)
            done += r if isinstance(r, list) else [r]
        return done
    out = outs[0] if single else outs
    kind, col = resolve_spec(spec, list(gdf.columns))
    if kind in ("flow", "flow_matrix"):
        flow_title = title
        if flow_title is None and place:
            flow_kind, _year = flow_maps.parse_flow_spec(col)
            flow_title = f"{place}: {labels.label(f'{kind}:{flow_kind}', language=language).title}"
        return flow_maps.render_flows(gdf, flows, spec, out, language=language, title=flow_title, top_n=top_n,
                                      min_volume=min_volume, tiles=tiles, attr=attr, id_column=id_column,
                                      print_options=print_options)
    if kind in ("years", "density"):
        return panel_maps.render_panel(gdf, f"{kind}:{col}", out, language=language, title=title, place=place,
                                       scheme=scheme, k=k, tiles=tiles, attr=attr, id_column=id_column,
                                       print_options=print_options)
    # facilities are drawn on facilities, tt: and iso: maps (that category's); context layers
    # over other maps only when asked for (context=("facilities", "roads", "isochrones"))
    over = facilities if (kind in ("facilities", "tt", "iso") or "facilities" in context) else None
    roads = roads if "roads" in context else None
    iso_over = isochrones if "isochrones" in context else None
    head = labels.label(spec if kind in ("tt", "iso") else col, language=language)
    if kind == "facilities":
        head = labels.Label(labels.ui_text("facilities", language=language), None, language)
    elif col in labels.PANEL_COLUMNS:  # change over time: the variable and period in the title
        head = panel_maps.panel_head(col, gdf.columns, language=language)
    extra_tips: list[str] = []
    if col == "early_warning":  # the legend counts the rules fired
        head = labels.label("warning_count", language=language)
        if "warning_count" in gdf.columns:  # classes from the count, the rules on hover
            col, extra_tips = "warning_count", ["early_warning"]
    if title is None and place:
        title = f"{place}: {head.title}"
    if title is None and col in labels.PANEL_COLUMNS and suffix == ".html":
        title = head.title  # the period in the page title
    page_title = title or head.title
    html = suffix == ".html"
    popts = dict(print_options or {})
    extra = dict(tiles=tiles, attr=attr, id_column=id_column) if html else {}
    if kind == "facilities":
        if facilities is None:
            raise DataError("a facilities map needs the facilities layer")
        if "category" not in facilities.columns:
            raise DataError("the facilities layer has no 'category' column")
        if not html:
            fac = facilities.copy()
            fac["geometry"] = fac.buffer(150) if fac.crs is not None and fac.crs.is_projected else fac.geometry
            fac["category"] = fac["category"].astype(str).map(lambda c: labels.category_name(c, language=language))
            return static.static_map(fac.reset_index(drop=True), "category", out, title=page_title, categorical=True,
                                     language=language, legend_title=head.text, **popts)
        m = interactive.facilities_map(gdf, facilities, title=page_title, language=language, roads=roads,
                                       legend_title=head.text, **extra)
        return save_html(m, out)
    if kind == "iso":
        return _isochrone_map(gdf, isochrones, col, out, title=title, language=language, facilities=facilities,
                              roads=roads, extra=extra, print_options=popts)
    if kind == "tt":
        colname = f"tt_{col}_min"
        if not html:
            if colname not in gdf.columns:
                raise DataError(f"map {spec!r} needs column {colname!r}")
            return static.static_map(gdf, colname, out, title=page_title, scheme="user", bins=bands,
                                     language=language, missing_reason=missing_reason_for(gdf, colname),
                                     legend_title=labels.label(colname, language=language).text, **popts)
        if raster is None:
            raise DataError(f"map {spec!r} needs the travel-time raster of {col!r} (rasters/ beside the results, "
                            "written by the accessibility analysis)")
        return save_html(_travel_time_html(gdf, col, raster, title=title, bins=bands, language=language,
                                           facilities=facilities, roads=roads, **extra), out)
    how = map_kind(col, gdf[col])
    values = gdf[col]
    if how == "classes" and col.startswith("lisa_p_"):
        # significance classes from the pseudo p-values (GeoDa's significance map)
        gdf = gdf.assign(**{col: interactive.class_keys(values, language)})
    if how == "text":
        interactive._check_text_limit(values, palettes.TEXT_CLASS_LIMIT_HTML if html else palettes.TEXT_CLASS_LIMIT)
    categorical = how in ("classes", "text")
    reason = None if categorical else missing_reason_for(gdf, col)
    use_scheme, use_bins = (("user", bands) if how == "bands" else (scheme, None))
    if how == "diverging":  # net flows: symmetric classes around 0 (the scheme does not apply)
        use_scheme, use_bins = "user", palettes.diverging_bins(values, k=k)
    elif how == "balance":
        use_scheme, use_bins = "user", list(palettes.BALANCE_BINS)
    if html:
        if categorical:
            m = interactive.categorical(gdf, col, title=title, language=language, facilities=over,
                                        roads=roads, isochrones=iso_over, legend_title=head.text,
                                        extra_tips=extra_tips, **extra)
        else:
            m = interactive.choropleth(gdf, col, scheme=use_scheme, k=k, bins=use_bins, title=title,
                                       legend_title=head.text,
                                       language=language, missing_reason=reason, facilities=over, roads=roads,
                                       isochrones=iso_over, **extra)
        return save_html(m, out)
    return static.static_map(gdf, col, out, title=page_title, scheme=use_scheme, k=k, bins=use_bins,
                             categorical=categorical, language=language, missing_reason=reason,
                             legend_title=head.text, **popts)


def _travel_time_html(units: gpd.GeoDataFrame, category: str, raster: str | Path, *, title: str,
                      bins: Sequence[float], language: str, facilities: gpd.GeoDataFrame | None = None,
                      roads: gpd.GeoDataFrame | None = None, tiles: str | None = None, attr: str | None = None,
                      id_column: str | None = None) -> folium.Map:
    """The travel-time raster in bands under the units drawn as outlines (no fill), with
    the unit code, name and travel time (or why there is none) on hover."""
    col = f"tt_{category}_min"
    disp = interactive.display_frame(units)
    head = labels.label(col, language=language)
    m = interactive._base(disp, tiles, attr, title or head.title)
    interactive.add_raster(m, str(raster), title=title or head.text, bins=bins, language=language,
                           legend_title=head.text)
    shown = None
    cols = [col] if col in units.columns else []
    reason = missing_reason_for(units, col) if cols else None
    if reason is not None:
        _, mlabel, _ = interactive.missing_classes(units[col].isna(), reason, language)
        shown = {col: pd.Series([labels.format_value(col, v, language=language) for v in units[col]],
                                index=units.index).where(mlabel.isna(), mlabel)}
    tips = interactive.unit_tips(units, cols, language=language, id_column=id_column, shown=shown)
    interactive._layer(m, disp, pd.Series("#333333", index=disp.index), None, None,
                       labels.ui_text("units", language=language), tips=tips,
                       style={"fo": 0.0, "w": 0.8, "lc": "#333333"})
    interactive._add_context(m, facilities=facilities, roads=roads, language=language, category=category)
    return m


def _isochrone_map(units: gpd.GeoDataFrame, iso: gpd.GeoDataFrame | None, category: str, out: Path | list[Path],
                   *, title: str, language: str, facilities: gpd.GeoDataFrame | None = None,
                   roads: gpd.GeoDataFrame | None = None, extra: dict | None = None,
                   print_options: Mapping[str, Any] | None = None) -> Path | list[Path]:
    """Units in outline with the category's isochrones dissolved per threshold, the widest
    band drawn first so the nearer ones sit on top."""
    if iso is None or "category" not in iso.columns:
        raise DataError(f"map 'iso:{category}' needs the isochrones layer of results.gpkg")
    bands, palette = interactive.isochrone_bands(iso, category, units.crs, language)
    names = list(bands["band"])
    head = labels.label(f"iso:{category}", language=language)
    if isinstance(out, Path) and out.suffix.lower() == ".html":
        extra = extra or {}
        disp_units = interactive.display_frame(units)
        m = interactive._base(disp_units, extra.get("tiles"), extra.get("attr"), title or head.title)
        disp = interactive.display_frame(bands)
        interactive._layer(m, disp, disp["band"].map(palette), None, None, title or head.title,
                           tips=[(labels.ui_text("band", language=language), list(disp["band"]))],
                           style={"fo": 0.7, "w": 0.4, "lc": "#08519c"})
        interactive._layer(m, disp_units, pd.Series("#333333", index=disp_units.index), None, None,
                           labels.ui_text("units", language=language),
                           tips=interactive.unit_tips(units, [], language=language, id_column=extra.get("id_column")),
                           style={"fo": 0.0, "w": 0.6, "lc": "#333333"})
        interactive._add_context(m, facilities=facilities, roads=roads, language=language, category=category)
        items = [(palette[n], n) for n in reversed(names)]
        m.get_root().html.add_child(_compact.RawHtml(interactive.legend_html(title or head.text, items,
                                                                             subtitle=head.text)))
        return save_html(m, out)
    unit_name = labels.ui_text("units", language=language)
    frame = gpd.GeoDataFrame({"band": [unit_name] * len(units) + names},
                             geometry=list(units.geometry) + list(bands.geometry), crs=units.crs)
    return static.static_map(frame, "band", out, title=title or head.title, categorical=True,
                             palette={unit_name: "#ffffff", **palette}, language=language, legend_title=head.text,
                             **(print_options or {}))
