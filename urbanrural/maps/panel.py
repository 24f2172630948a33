"""Maps and figures of change over time: the panel step's ``<var>_<year>`` unit columns.

Two spec families (:func:`.render.render_map`):

- ``years:<var>``: one map per year of the ``<var>_<year>`` columns in **shared classes**
  (computed over every year pooled, so a colour means the same value in every year). Print
  formats: small multiples (:func:`.static.small_multiples`), one legend. HTML: one layer
  per year (radio buttons in the layer control, one year visible at a time: ``year=``,
  the last by default), one legend, every year's value in each unit's tooltip.
- ``density:<var>``: the kernel density of the variable per year
  (:func:`urbanrural.analysis.panel.kernel_density`, one bandwidth rule, one grid) as a
  ridge-line figure (``style="ridge"``, default: one baseline per year, every curve at the
  same vertical scale) or overlaid curves (``style="overlay"``), coloured by year on a
  sequential ramp (later years darker), the main peak of each year marked, the bandwidth
  rule and :meth:`~urbanrural.analysis.panel.KernelDensity.describe` under the figure.
  HTML: the same figure as inline SVG in a small self-contained page with the per-year
  diagnostics as a table.

The per-unit change columns (``index_change``, ``index_slope``, ``index_annual_rate``,
``early_warning``/``warning_count``, ``hotspot_trend``) are ordinary column maps whose
colours follow their names (:mod:`.palettes`); :func:`panel_head` gives their titles with
the variable and period.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"integration_index_2019": [0.2, 0.4], "integration_index_2023": [0.3, 0.6]},
...     geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)], crs=32650)
>>> panel_variables(g.columns)
{'integration_index': [2019, 2023]}
>>> type(years_map(g, "integration_index", k=2)).__name__
'Map'
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from jinja2 import Template

from ..geo.errors import DataError, UnknownNameError
from ..geo.io import atomic_path
from . import _compact, interactive, labels, palettes
from .escape import css_color, html_attr, html_text, script_json

__all__ = ["panel_variables", "year_columns", "shared_classes", "years_map", "years_static", "density_curves",
           "density_figure", "density_static", "density_html", "render_panel", "panel_head", "STYLES",
           "DensityPlot"]

logger = logging.getLogger("urbanrural")

STYLES = ("ridge", "overlay")
"""Density figure styles: ridge lines (default) or overlaid curves."""
YEAR_CMAP = "YlGnBu"
"""Sequential colours by year (earliest lightest)."""
_YEAR = re.compile(r"(.+)_((?:18|19|20|21)\d\d)")
_SMALL_MULTIPLE_OPTIONS = ("source", "subtitle", "date", "page", "orientation", "ncols", "context", "dpi",
                           "svg_text", "margin_mm")


def panel_variables(columns: Iterable[object]) -> dict[str, list[int]]:
    """The panel variables among ``columns`` (``<var>_<year>``) with their years, ascending.

    Examples
    --------
    >>> panel_variables(["name", "integration_index_2021", "integration_index_2019", "topsis_2020"])
    {'integration_index': [2019, 2021], 'topsis': [2020]}
    """
    found: dict[str, list[int]] = {}
    for c in columns:
        if m := _YEAR.fullmatch(str(c)):
            found.setdefault(m[1], []).append(int(m[2]))
    return {k: sorted(set(v)) for k, v in found.items()}


def year_columns(columns: Iterable[object], variable: str, *, spec: str | None = None) -> dict[int, str]:
    """``{year: "<variable>_<year>"}`` of the columns; UnknownNameError naming the panel
    variables present (with a did-you-mean) when ``variable`` has no year column.

    Examples
    --------
    >>> year_columns(["x_2020", "x_2021"], "x")
    {2020: 'x_2020', 2021: 'x_2021'}
    >>> year_columns(["integration_index_2020"], "integration")
    Traceback (most recent call last):
    ...
    urbanrural.geo.errors.UnknownNameError: map 'years:integration' needs columns 'integration_<year>' ...
    """
    found = panel_variables(columns)
    if variable not in found:
        spec = spec or f"years:{variable}"
        hint = get_close_matches(str(variable), list(found), n=1, cutoff=0.4)
        mean = f"; did you mean {spec.partition(':')[0]}:{hint[0]}?" if hint else ""
        have = ", ".join(repr(v) for v in found) or "none (run the panel analysis: analyses.panel in the config)"
        raise UnknownNameError(f"map {spec!r} needs columns '{variable}_<year>' (e.g. {variable}_2020), which the "
                               f"units do not have{mean} (panel variables in the units: {have})")
    return {y: f"{variable}_{y}" for y in found[variable]}


def _default_variable(columns: Iterable[object]) -> tuple[str, list[int]] | None:
    found = panel_variables(columns)
    if "integration_index" in found:
        return "integration_index", found["integration_index"]
    multi = {k: v for k, v in found.items() if len(v) > 1}
    return next(iter(multi.items())) if len(multi) == 1 else None


def panel_head(column: str, columns: Iterable[object], *, language: str = "en") -> labels.Label:
    """Title and unit of a per-unit change column, with the panel variable and its period
    read from the ``<var>_<year>`` columns ("Change in integration index, 2019-2023")."""
    found = _default_variable(columns)
    if found is None:
        return labels.label(column, language=language)
    var, years = found
    return labels.panel_label(column, variable=var, years=years, language=language)


def shared_classes(units: pd.DataFrame, columns: Sequence[str], *, variable: str, scheme: str = "quantiles",
                   k: int = 5, language: str = "en") -> tuple[interactive.Classes, list[pd.Series]]:
    """One set of classes over every column pooled, and each column's colours in them (the
    same break, the same colour in every year; "no data" grey for missing values).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"v_2019": [1.0, 2.0, 3.0], "v_2020": [2.0, 3.0, 9.0]})
    >>> cls, colours = shared_classes(f, ["v_2019", "v_2020"], variable="v", k=2)
    >>> [float(b) for b in cls.bins], colours[0].tolist() == [cls.colors[0]] * 2 + [cls.colors[1]]
    ([2.0, 9.0], True)
    """
    pooled = pd.concat([units[c] for c in columns], ignore_index=True).rename(variable)
    cls = interactive.Classes(pooled, scheme=scheme, k=k, language=language)
    upper = np.asarray(cls.upper, dtype=float)
    out = []
    for c in columns:
        v = pd.to_numeric(units[c], errors="coerce").replace([np.inf, -np.inf], np.nan)
        idx = np.minimum(np.searchsorted(upper, v.fillna(0).to_numpy(dtype=float), side="left"), len(upper) - 1)
        out.append(pd.Series([palettes.NO_DATA if pd.isna(x) else cls.colors[i] for x, i in zip(v, idx, strict=True)],
                             index=units.index))
    return cls, out


class YearLayer(_compact.CompactLayer):
    """One year of a ``years:`` map: a base layer (a radio button in the layer control) that
    shares its geometry and tooltips (``shared``, a script variable) with the other years
    and carries only its colours; drawn at first only when ``show``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = urLayer(Object.assign({}, {{ this.shared }}, {{ this.data }}),
                                                {{ this.shared }}.a);
        {% endmacro %}
    """)

    def __init__(self, shared: str, colours: pd.Series, *, name: str, show: bool) -> None:
        codes, pal = pd.factorize(colours.astype(str))
        super().__init__({"c": codes.tolist(), "p": [css_color(c) for c in pal]}, [], name=html_text(name))
        self.overlay = False
        self.show = bool(show)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", shared):
            raise DataError(f"bad script variable name {shared!r}")
        self.shared = shared


def _year_tips(units: gpd.GeoDataFrame, variable: str, cols: Mapping[int, str], *, language: str,
               id_column: str | None) -> list[tuple[str, list[str]]]:
    tips = interactive.unit_tips(units, [], language=language, id_column=id_column)
    for y, c in cols.items():
        tips.append((labels.year_name(y, language=language),
                     [labels.format_value(variable, v, language=language) for v in units[c]]))
    return tips


def years_map(units: gpd.GeoDataFrame, variable: str, *, year: int | None = None, scheme: str = "quantiles",
              k: int = 5, language: str = "en", title: str | None = None, tiles: str | None = None,
              attr: str | None = None, id_column: str | None = None) -> folium.Map:
    """An interactive map of ``variable`` per year: one layer per year in shared classes
    (:func:`shared_classes`), switched in the layer control (one year visible: ``year``, the
    last by default), one legend, every year's value in each unit's tooltip. Save it with
    :func:`.offline.save_html`.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"v_2019": [1.0, 2.0], "v_2020": [2.0, 4.0]}, crs=32650,
    ...     geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)])
    >>> m = years_map(g, "v", k=2, year=2019)
    >>> [(c.layer_name, c.show) for c in m._children.values() if isinstance(c, YearLayer)]
    [('2019', True), ('2020', False)]
    """
    interactive.check_scheme(scheme, k)
    cols = year_columns(units.columns, variable)
    years = list(cols)
    shown = years[-1] if year is None else int(year)
    if shown not in cols:
        raise UnknownNameError(f"year {year!r} is not among the years of {variable!r}: "
                               f"{', '.join(map(str, years))}")
    cls, colours = shared_classes(units, list(cols.values()), variable=variable, scheme=scheme, k=k,
                                  language=language)
    head = labels.label(variable, language=language)
    page_title = title or labels.period_title(head.title, years, language=language)
    disp = interactive.display_frame(units)
    m = interactive._base(disp, tiles, attr, page_title)
    tips = _year_tips(units, variable, cols, language=language, id_column=id_column)
    data = _compact.encode(disp.geometry.to_numpy())
    data["t"] = [[str(x) for x in vals] for _, vals in tips]
    data["a"] = [str(a) for a, _ in tips]
    _compact.add_decoder(m)
    shared = f"ur_years_{m.get_name()}"
    m.get_root().header.add_child(_compact.RawHtml(f"<script>var {shared} = {script_json(data)};</script>"),
                                  name=shared)
    for y, col in zip(years, colours, strict=True):
        YearLayer(shared, col, name=labels.year_name(y, language=language), show=y == shown).add_to(m)
    items: list = list(zip(cls.colors, cls.labels, strict=True))
    if any(c.eq(palettes.NO_DATA).any() for c in colours):
        items.append((palettes.NO_DATA, palettes.NO_DATA_LABEL.get(language, "No data")))
    m.get_root().html.add_child(_compact.RawHtml(interactive.legend_html(page_title, items, note=cls.note,
                                                                         subtitle=head.text)))
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def years_static(units: gpd.GeoDataFrame, variable: str, path: str | Path | Sequence[str | Path], *,
                 scheme: str = "quantiles", k: int = 5, language: str = "en", title: str | None = None,
                 print_options: Mapping[str, Any] | None = None, _return_info: bool = False) -> Any:
    """Small multiples of ``variable``, one panel per year, in shared classes with one legend
    (:func:`.static.small_multiples`); ``print_options`` as there (``page``, ``source``...)."""
    from . import static

    cols = year_columns(units.columns, variable)
    head = labels.label(variable, language=language)
    opts = dict(print_options or {})
    dropped = sorted(k_ for k_ in opts if k_ not in _SMALL_MULTIPLE_OPTIONS)
    if dropped:
        logger.warning("note: years:%s: print option(s) %s do not apply to small multiples; ignored", variable,
                       ", ".join(dropped))
    opts = {k_: v for k_, v in opts.items() if k_ in _SMALL_MULTIPLE_OPTIONS}
    return static.small_multiples(units, list(cols.values()), path,
                                  title=title or labels.period_title(head.title, list(cols), language=language),
                                  scheme=scheme, k=k, language=language, legend_title=head.text,
                                  titles={c: labels.year_name(y, language=language) for y, c in cols.items()},
                                  _return_info=_return_info, **opts)


def density_curves(units: pd.DataFrame, variable: str, *, bandwidth: str | float = "scott",
                   n_grid: int = 256) -> tuple[Any, int]:
    """The kernel densities of ``variable`` per year (units x years from the ``<var>_<year>``
    columns; units without a value in every year left out, counted and logged) and the
    number left out.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"v_2019": [1.0, 2.0, 4.0, None], "v_2020": [2.0, 3.0, 7.0, 1.0]})
    >>> kd, dropped = density_curves(f, "v", n_grid=50)
    >>> kd.years, dropped, kd.density.shape
    ([2019, 2020], 1, (50, 2))
    """
    from ..analysis.panel import kernel_density

    cols = year_columns(units.columns, variable, spec=f"density:{variable}")
    if len(cols) < 2:
        raise DataError(f"map 'density:{variable}' needs at least two years; the units have "
                        f"{variable}_{next(iter(cols))} only")
    wide = pd.DataFrame({y: pd.to_numeric(units[c], errors="coerce") for y, c in cols.items()})
    wide = wide.replace([np.inf, -np.inf], np.nan)
    full = wide.dropna()
    dropped = len(wide) - len(full)
    if dropped:
        logger.warning("note: density:%s: %d unit(s) without a value in every year left out", variable, dropped)
    if len(full) < 2:
        raise DataError(f"map 'density:{variable}' needs at least 2 units with a value in every year; "
                        f"{len(full)} have one")
    return kernel_density(full, bandwidth=bandwidth, n_grid=n_grid), dropped


@dataclass
class DensityPlot:
    """A density figure and what it drew: ``density`` (the KernelDensity), ``style``, the
    ``baselines`` per year (0 for overlaid curves) and the vertical ``scale`` of the curves
    (a drawn curve is ``baseline + scale * density``)."""

    figure: Any
    density: Any
    style: str
    baselines: dict[int, float]
    scale: float
    notes: list[str]


def _year_colours(years: Sequence[int]) -> dict[int, str]:
    cm = matplotlib.colormaps[YEAR_CMAP]
    n = max(len(years) - 1, 1)
    return {y: matplotlib.colors.to_hex(cm(0.3 + 0.65 * i / n)) for i, y in enumerate(years)}


def _notes(kd: Any, dropped: int, language: str) -> list[str]:
    rule = labels.ui_text(f"rule_{kd.rule}", language=language)
    hs = ", ".join(f"{labels.format_number(float(kd.bandwidth[y]), 4 if float(kd.bandwidth[y]) < 1 else 2)}"
                   f" ({labels.year_name(y, language=language)})" for y in kd.years)
    if language == "zh":
        hs = hs.replace(" (", "（").replace(")", "）")
    n = int(kd.diagnostics["n"].iloc[0])
    out = [labels.ui_text("kde_rule", language=language, rule=rule, n=n, hs=hs), kd.describe(language=language)]
    if dropped:
        out.append(labels.ui_text("dropped_units", language=language, n=dropped))
    return out


def density_figure(units: pd.DataFrame, variable: str, *, style: str = "ridge", language: str = "en",
                   bandwidth: str | float = "scott", title: str | None = None,
                   page: str | tuple[float, float] = "A4", orientation: str = "landscape",
                   source: str | None = None) -> DensityPlot:
    """The kernel density evolution figure of ``variable`` as an open figure (close it:
    ``plt.close(plot.figure)``); build it inside :func:`.static.font_context` for Chinese.

    Parameters
    ----------
    style : {"ridge", "overlay"}
        ``"ridge"`` (default): one baseline per year (earliest at the top), every curve at
        the same vertical scale, so heights compare; ``"overlay"``: the curves on one axis.
        Either way a curve's colour runs from light (earliest) to dark (latest) and each
        year's main peak is marked.
    bandwidth : {"scott", "silverman"} or float
        The rule applied to every year (see :func:`urbanrural.analysis.panel.kernel_density`).

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> f = pd.DataFrame({"v_2019": [0.1, 0.2, 0.25, 0.4], "v_2021": [0.2, 0.3, 0.5, 0.6]})
    >>> plot = density_figure(f, "v", style="overlay")
    >>> sorted(line.get_gid() for line in plot.figure.axes[0].get_lines() if line.get_gid())
    ['density-2019', 'density-2021', 'peak-2019', 'peak-2021']
    >>> plt.close(plot.figure)
    """
    import matplotlib.pyplot as plt

    from . import layout, static

    if style not in STYLES:
        raise DataError(f"style {style!r}: use one of {', '.join(map(repr, STYLES))}")
    kd, dropped = density_curves(units, variable, bandwidth=bandwidth)
    years = kd.years
    colours = _year_colours(years)
    head = labels.label(variable, language=language)
    fig_title = title or labels.period_title(labels.label(f"density:{variable}", language=language).title,
                                             years, language=language)
    notes = _notes(kd, dropped, language)
    if source:
        notes.append(source)
    # a figure has no map extent to choose by: "auto" is landscape (curves read across the page)
    fig = plt.figure(figsize=layout.page_size(page, "landscape" if orientation == "auto" else orientation), dpi=100)
    try:
        fw, fh = fig.get_size_inches()
        room = int((fw - 1.6) * 72 / (8.0 * 0.55))
        wrapped = [layout._wrap(t, room, 3) for t in notes]
        n_lines = sum(t.count("\n") + 1 for t in wrapped)
        bottom = (0.55 + 0.17 * n_lines + 0.5) / fh
        ax = fig.add_axes((0.9 / fw, bottom, 1 - 1.7 / fw, 1 - bottom - 1.0 / fh))
        grid = kd.grid
        dens = kd.density
        diag = kd.diagnostics
        top = float(dens.to_numpy().max())
        baselines: dict[int, float] = {}
        if style == "overlay":
            scale = 1.0
            for y in years:
                baselines[y] = 0.0
                ax.plot(grid, dens[y].to_numpy(), color=colours[y], lw=1.6, label=labels.year_name(y, language=language),
                        gid=f"density-{y}")
                ax.plot([diag.loc[y, "main_peak"]], [diag.loc[y, "main_peak_height"]], marker="v", ms=6,
                        color=colours[y], mec="#333333", mew=0.5, ls="none", gid=f"peak-{y}")
            ax.plot([], [], marker="v", ms=6, color="#ffffff", mec="#333333", mew=0.5, ls="none",
                    label=labels.ui_text("main_peak", language=language))
            ax.set_ylabel(labels.ui_text("density", language=language), fontsize=9)
            ax.set_ylim(0, top * 1.12)
            ax.legend(fontsize=8, frameon=False, loc="upper right")
        else:
            step = 1.0
            scale = 1.8 * step / top
            for i, y in enumerate(years):  # the earliest year at the top, drawn first (at the back)
                base = (len(years) - 1 - i) * step
                baselines[y] = base
                d = dens[y].to_numpy()
                ax.fill_between(grid, base, base + scale * d, color=colours[y], alpha=0.85, lw=0, zorder=2 * i + 1)
                ax.plot(grid, base + scale * d, color="#252525", lw=0.9, gid=f"density-{y}", zorder=2 * i + 2)
                px, ph = float(diag.loc[y, "main_peak"]), float(diag.loc[y, "main_peak_height"])
                ax.plot([px, px], [base, base + scale * ph], color="#252525", lw=0.8, ls=(0, (2, 1.5)),
                        gid=f"peak-{y}", zorder=2 * i + 2)
            ax.plot([], [], color="#252525", lw=0.8, ls=(0, (2, 1.5)),
                    label=labels.ui_text("main_peak", language=language))
            ax.set_yticks([baselines[y] for y in years], [labels.year_name(y, language=language) for y in years],
                          fontsize=9)
            ax.set_ylim(-0.05, (len(years) - 1) * step + 1.9 * step)
            ax.legend(fontsize=8, frameon=False, loc="upper right")
            for sp in ("left", "right", "top"):
                ax.spines[sp].set_visible(False)
            ax.tick_params(axis="y", length=0)
        if style == "overlay":
            for sp in ("right", "top"):
                ax.spines[sp].set_visible(False)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_xlabel(head.text, fontsize=9)
        ax.tick_params(labelsize=8)
        fig.text(0.9 / fw, 1 - 0.45 / fh, layout.wrap_title(fig_title, fw, 0.9 / fw), ha="left", va="top",
                 fontsize=13, fontweight="bold")
        y0 = 0.45 / fh
        for t in reversed(wrapped):
            fig.text(0.9 / fw, y0, t, ha="left", va="bottom", fontsize=8, color="#333333")
            y0 += (0.17 * (t.count("\n") + 1) + 0.05) / fh
        static.literal_text(fig)
    except BaseException:
        plt.close(fig)
        raise
    return DensityPlot(fig, kd, style, baselines, scale, notes)


def density_static(units: pd.DataFrame, variable: str, path: str | Path | Sequence[str | Path], *,
                   style: str = "ridge", language: str = "en", bandwidth: str | float = "scott",
                   title: str | None = None, page: str | tuple[float, float] = "A4", orientation: str = "landscape",
                   source: str | None = None, dpi: int = 300, svg_text: bool = True) -> Path | list[Path]:
    """Write the density figure (:func:`density_figure`) as .png/.pdf/.svg, drawn once for
    all the paths given (TrueType fonts in PDF, Chinese glyphs from the CJK fallback; see
    :func:`.static.save_figure`)."""
    import matplotlib.pyplot as plt

    from . import static

    static._check_path(path)
    static._check_dpi(dpi)
    with static.font_context(language, svg_text=svg_text):
        plot = density_figure(units, variable, style=style, language=language, bandwidth=bandwidth, title=title,
                              page=page, orientation=orientation, source=source)
    try:
        return static.save_figure(plot.figure, path, dpi=dpi, svg_text=svg_text, language=language)
    finally:
        plt.close(plot.figure)


def _inline_svg(fig: Any, language: str) -> str:
    """The figure as an ``<svg>`` element for an HTML page: no XML prolog, DOCTYPE, metadata
    or namespace URLs (the HTML parser puts ``<svg>`` in the SVG namespace itself)."""
    from . import static

    buf = io.StringIO()
    with static.font_context(language, svg_text=True):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    return svg


def density_html(units: pd.DataFrame, variable: str, path: str | Path, *, style: str = "ridge",
                 language: str = "en", bandwidth: str | float = "scott", title: str | None = None) -> Path:
    """A small self-contained page (no network) with the density figure as inline SVG, its
    notes as text and the per-year diagnostics as a table; every text escaped."""
    import matplotlib.pyplot as plt

    from . import static

    with static.font_context(language, svg_text=True):
        plot = density_figure(units, variable, style=style, language=language, bandwidth=bandwidth, title=title,
                              page=(10.0, 6.5))
    try:
        svg = _inline_svg(plot.figure, language)
    finally:
        plt.close(plot.figure)
    kd = plot.density
    page_title = title or labels.period_title(labels.label(f"density:{variable}", language=language).title,
                                              kd.years, language=language)
    ui = labels.ui_text
    heads = [ui("year", language=language), ui("peaks", language=language), ui("main_peak", language=language),
             ui("sd", language=language)]
    rows = "".join(f"<tr><th scope=\"row\">{html_text(y)}</th><td>{int(d.n_peaks)}</td>"
                   f"<td>{html_text(labels.format_number(float(d.main_peak), 3))}</td>"
                   f"<td>{html_text(labels.format_number(float(d.sd), 3))}</td></tr>"
                   for y, d in kd.diagnostics.iterrows())
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{html_attr(page_title)}"', 1)
    lang = "zh-CN" if language == "zh" else "en"
    notes = "".join(f"<p>{html_text(t)}</p>" for t in plot.notes)
    html = (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html_text(page_title)}'
            "</title><style>body{font:14px/1.45 sans-serif;margin:24px;color:#111;max-width:1000px}"
            "figure{margin:0}svg{max-width:100%;height:auto}figcaption p{margin:4px 0;color:#333}"
            "table{border-collapse:collapse;margin-top:12px}th,td{border:1px solid #bbb;padding:4px 10px;"
            "text-align:right}th{background:#f3f3f3}</style></head><body>"
            f'<figure class="ur-density">{svg}<figcaption>{notes}</figcaption></figure>'
            f'<table class="ur-density-diagnostics"><thead><tr>'
            + "".join(f'<th scope="col">{html_text(h)}</th>' for h in heads)
            + f"</tr></thead><tbody>{rows}</tbody></table></body></html>\n")
    path = Path(path)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(html, encoding="utf-8")
    return path


def render_panel(units: gpd.GeoDataFrame, spec: str, out: str | Path | Sequence[str | Path], *,
                 language: str = "en", title: str | None = None, place: str | None = None,
                 scheme: str = "quantiles", k: int = 5, tiles: str | None = None, attr: str | None = None,
                 id_column: str | None = None, print_options: Mapping[str, Any] | None = None) -> Path | list[Path]:
    """``years:<var>`` or ``density:<var>`` to ``out`` (.html or a print format; several print
    paths get the figure drawn once and saved in each format).

    ``print_options`` of a ``density:`` figure: ``style`` ("ridge" or "overlay"),
    ``bandwidth``, ``page``, ``orientation``, ``source``, ``dpi``, ``svg_text``; of a
    ``years:`` map those of :func:`.static.small_multiples`. A ``years:`` HTML map takes
    ``year`` from ``print_options`` too (the year shown first).
    """
    from .offline import save_html

    which, _, variable = spec.partition(":")
    if not variable:
        raise DataError(f"map {spec!r} needs a variable: {which}:VARIABLE (e.g. {which}:integration_index)")
    html = isinstance(out, (str, os.PathLike)) and Path(out).suffix.lower() == ".html"
    out = Path(out) if html else out
    opts = dict(print_options or {})
    cols = year_columns(units.columns, variable, spec=spec)
    if title is None and place:
        base = labels.label(f"{which}:{variable}", language=language).title
        title = f"{place}: {labels.period_title(base, list(cols), language=language)}"
    if which == "years":
        if html:
            m = years_map(units, variable, year=opts.get("year"), scheme=scheme, k=k, language=language,
                          title=title, tiles=tiles, attr=attr, id_column=id_column)
            return save_html(m, out)
        opts.pop("year", None)
        return years_static(units, variable, out, scheme=scheme, k=k, language=language, title=title,
                            print_options=opts)
    style = opts.pop("style", "ridge")
    bandwidth = opts.pop("bandwidth", "scott")
    if html:
        return density_html(units, variable, out, style=style, language=language, bandwidth=bandwidth, title=title)
    keep = {k_: opts[k_] for k_ in ("page", "orientation", "source", "dpi", "svg_text") if k_ in opts}
    return density_static(units, variable, out, style=style, language=language, bandwidth=bandwidth, title=title,
                          **keep)
