"""Print formats of the flow maps (.png/.pdf/.svg): the flow map in the print layout of
:mod:`.static` (title, legend panel, scale bar, north arrow, source, CJK fonts, TrueType
in PDF) and the class-by-class matrix as an annotated heatmap.

Examples
--------
>>> import geopandas as gpd, shapely, tempfile, pathlib
>>> u = gpd.GeoDataFrame({"name": ["A", "B"]}, index=["a", "b"], crs=32650,
...     geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)])
>>> f = gpd.GeoDataFrame({"origin": ["a", "b"], "destination": ["b", "a"], "kind": "commuting",
...     "volume": [70.0, 5.0], "origin_group": ["rural", "urban"], "destination_group": ["urban", "rural"]},
...     geometry=[shapely.LineString([(500, 500), (1500, 500)]), shapely.LineString([(1500, 500), (500, 500)])],
...     crs=32650)
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> flow_map_static(u, f, "commuting", out / "f.png", dpi=60).name
'f.png'
>>> flow_matrix_static(f, "commuting", out / "m.svg").name
'm.svg'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from . import labels as _lab
from . import layout, static
from .flows import (
    BEND,
    TOP_N,
    _of_kind,
    _pair_items,
    _samples,
    flow_lines,
    flow_matrix,
    line_widths,
    matrix_cells,
    pair_colours,
    select_flows,
)
from .layout import LayoutInfo

__all__ = ["flow_map_static", "flow_matrix_static"]


def flow_map_static(units: gpd.GeoDataFrame, flows: gpd.GeoDataFrame, kind: str, path: static.PathOrPaths, *,
                    year: int | None = None, top_n: int | None = TOP_N, min_volume: float | None = None,
                    language: str = "en", title: str | None = None, source: str | None = None,
                    subtitle: str | None = None, date: str | None = None, page: str | tuple[float, float] = "A4",
                    orientation: str = "auto", margin_mm: float = 12.0, dpi: int = 300,
                    context: Mapping[str, object] | None = None, labels: str | None = None,
                    graticule: bool = False, inset: bool | gpd.GeoDataFrame = False, svg_text: bool = True,
                    id_column: str | None = None, _return_info: bool = False
                    ) -> Path | list[Path] | tuple[Path | list[Path], LayoutInfo]:
    """A print flow map of ``kind``: the units in outline, the flows selected by
    :func:`.flows.select_flows` as arcs bending to their right with an arrowhead at the
    destination, width by volume (three sample widths in the legend), colour by class
    pair; the note under the legend says how many flows of how many are shown and their
    share of the volume. Layout options as :func:`.static.static_map`; several ``path`` get the
    figure drawn once and saved in each format."""
    static._check_path(path)
    static._check_dpi(dpi)
    sel = select_flows(flows, kind, year=year, top_n=top_n, min_volume=min_volume)
    head = _lab.label(f"flow:{kind}", language=language)
    title = title or head.title
    g = static._metric(units)
    lines = flow_lines(sel, units, g.crs, id_column=id_column)
    vmax = float(sel.flows["volume"].max())
    widths = line_widths(sel.flows["volume"], vmax, html=False)
    keys, colours = pair_colours(sel.flows)
    bounds = g.total_bounds
    with static.font_context(language, svg_text=svg_text):
        fig, orient = static._new_figure(page, orientation, bounds)
        try:
            info = LayoutInfo(size_in=tuple(fig.get_size_inches()), orientation=orient)
            fr = layout.make_frame(fig, orientation=orient, margin_mm=margin_mm, has_subtitle=bool(subtitle),
                                   header_lines=static._title_lines(fig, title, margin_mm),
                                   footer_lines=1 + bool(source) + bool(date))
            ax = fig.add_axes(fr.map_box)
            ax.set_axis_off()
            info.denominator = layout.fit_to_scale(ax, bounds)
            g.plot(ax=ax, color="#f0f0f0", edgecolor="#8c8c8c", linewidth=0.3)
            extra = layout.draw_context(ax, g, context, language=language)
            for geom, w, c in zip(lines, widths, colours, strict=True):  # largest first: small ones on top
                if geom is None or geom.is_empty:
                    continue
                xy = np.asarray(geom.coords)
                ax.add_patch(FancyArrowPatch(tuple(xy[0, :2]), tuple(xy[-1, :2]),
                                             connectionstyle=f"arc3,rad={BEND}",
                                             arrowstyle="-|>,head_length=0.5,head_width=0.3",
                                             mutation_scale=6 + 2.2 * w, lw=w, color=c, alpha=0.85,
                                             shrinkA=0, shrinkB=0, zorder=3, joinstyle="miter"))
            handles = [(lab, Line2D([], [], color=c, lw=3)) for c, lab in _pair_items(keys, language)]
            handles += [(_lab.format_number(v), Line2D([], [], color="#555555",
                                                          lw=float(line_widths([v], vmax, html=False)[0])))
                        for v in _samples(sel.flows["volume"])]
            if graticule:
                ax.set_axis_on()
                ax.set_xticks([])
                ax.set_yticks([])
                layout.draw_graticule(ax, g.crs)
            note = sel.note(language)
            if sel.year is not None:
                year_word = _lab.ui_text("year", language=language)
                note += f"；{year_word}：{sel.year}" if language == "zh" else f"; {year_word}: {sel.year}"
            note += ("。" if language == "zh" else ". ") + _lab.ui_text("flow_direction", language=language)
            static._panel(fig, fr, info, g, [], handles + list(extra), inset=inset, bounds=bounds,
                          title=head.text, fontsize=8.0, note=note)
            static._footer(fig, fr, ax, info, g, title=title, subtitle=subtitle, source=source, date=date,
                           language=language)
            info.map_axes = [ax]
            if labels is not None:
                info.labels_drawn, info.labels_skipped = layout.place_labels(ax, g, labels)
            static.literal_text(fig)
        except BaseException:
            plt.close(fig)
            raise
    try:
        out = static.save_figure(fig, path, dpi=dpi, svg_text=svg_text, language=language)
    finally:
        plt.close(fig)
    return (out, info) if _return_info else out


def flow_matrix_static(flows: gpd.GeoDataFrame, kind: str, path: static.PathOrPaths, *, year: int | None = None,
                       language: str = "en", title: str | None = None, source: str | None = None,
                       subtitle: str | None = None, date: str | None = None,
                       page: str | tuple[float, float] = "A4", orientation: str = "auto", margin_mm: float = 12.0,
                       dpi: int = 300, svg_text: bool = True, context: object = None, labels: object = None,
                       graticule: bool = False, inset: object = False) -> Path | list[Path]:
    """The class-by-class flow matrix of ``kind`` as a heatmap on a page: rows the origin
    class, columns the destination class, each cell with its volume, its share of all
    flows and (off the diagonal) the balance min/max of the two directions between the
    classes. ``context``, ``labels``, ``graticule`` and ``inset`` (map options) are ignored."""
    static._check_path(path)
    static._check_dpi(dpi)
    part, year = _of_kind(flows, kind, year)
    mat = flow_matrix(part, None)
    cells = matrix_cells(mat)
    head = _lab.label(f"flow_matrix:{kind}", language=language)
    title = title or head.title
    ui = _lab.ui_text
    names = [_lab.group_name(gr, language=language) for gr in mat.index]
    n = len(mat)
    with static.font_context(language, svg_text=svg_text):
        orient = "portrait" if orientation == "auto" else orientation
        fig = plt.figure(figsize=layout.page_size(page, orient), dpi=100)
        try:
            fr = layout.make_frame(fig, orientation=orient, margin_mm=margin_mm, has_subtitle=bool(subtitle),
                                   header_lines=static._title_lines(fig, title, margin_mm),
                                   footer_lines=1 + bool(source) + bool(date), panel=False)
            fw, fh = fr.size
            x0, y0, w, h = fr.map_box
            side = min(w * fw - 1.6, h * fh - 2.2, 1.2 + 1.5 * n)
            box = (x0 + 1.4 / fw, y0 + h - (side + 0.9) / fh, side / fw, side / fh)
            ax = fig.add_axes(box)
            vals = mat.to_numpy(dtype=float)
            vmax = float(vals.max()) or 1.0
            ax.imshow(vals, cmap="Blues", vmin=0, vmax=vmax / 0.8, aspect="equal")
            for i, r in enumerate(mat.index):
                for j, c in enumerate(mat.columns):
                    v, share, bal = cells[(r, c)]
                    text = f"{_lab.format_number(v)}\n{share * 100:.1f} %"
                    if bal is not None:
                        text += f"\n{ui('balance', language=language)} {bal:.2f}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=9 if n <= 4 else 7,
                            color="#ffffff" if v / vmax > 0.6 else "#111111")
            ax.set_xticks(range(n), names, fontsize=9)
            ax.set_yticks(range(n), names, fontsize=9)
            ax.xaxis.tick_top()
            ax.xaxis.set_label_position("top")
            ax.set_xlabel(ui("matrix_cols", language=language), fontsize=10)
            ax.set_ylabel(ui("matrix_rows", language=language), fontsize=10)
            ax.tick_params(length=0)
            for sp in ax.spines.values():
                sp.set_visible(False)
            room = int(w * fw * 72 / (layout.MIN_FONT_PT * 0.6))
            total = _lab.format_number(float(vals.sum()))
            unit = f" ({head.unit})" if head.unit and language != "zh" else f"（{head.unit}）" if head.unit else ""
            if language == "zh":
                note = f"{ui('total', language=language)}：{total}{unit}" + (f"；{year}年" if year is not None else "")
                note += "。" + ui("matrix_note", language=language)
            else:
                note = f"{ui('total', language=language)}: {total}{unit}" + (f"; {year}" if year is not None else "")
                note += ". " + ui("matrix_note", language=language)
            fig.text(x0, box[1] - 0.35 / fh, layout._wrap(note, room, 4), ha="left", va="top",
                     fontsize=layout.MIN_FONT_PT + 1, color="#444444")
            layout.draw_header_footer(fig, fr, title=title, subtitle=subtitle, source=source, date=date,
                                      crs_note="", language=language)
            static.literal_text(fig)
        except BaseException:
            plt.close(fig)
            raise
    try:
        return static.save_figure(fig, path, dpi=dpi, svg_text=svg_text, language=language)
    finally:
        plt.close(fig)
