"""Flow maps: origin-destination flows as curved, directed lines over the units, and the
class-by-class flow matrix.

The flow layer (layer ``flows`` of results.gpkg) has one row per directed pair with a
volume: ``origin``, ``destination``, ``kind``, ``year``, ``volume``, ``reverse`` (the
opposite direction's volume), ``balance`` (min/max of the two), ``origin_group``,
``destination_group`` (e.g. urban/rural) and optionally ``predicted`` and ``std_resid``
(gravity model); geometry a line from the origin's representative point to the
destination's. ``reverse`` and ``balance`` are computed from the layer when absent.

How a flow is drawn:

- the largest flows first: ``top_n`` (200 by default) and/or ``min_volume``; the legend
  says how many of how many flows are shown and their share of the volume;
- width proportional to volume (1 px plus up to 11 px in HTML, 0.4 pt plus up to 5.6 pt in
  print; the legend shows three sample widths);
- direction: every flow is a quadratic arc bending to its right (A -> B and B -> A lie on
  opposite sides of the straight line) with an arrowhead at the destination;
- colour by the classes of its ends (:data:`.palettes.FLOW_PAIRS`: rural -> urban orange,
  urban -> rural purple, urban -> urban red, rural -> rural green; others grey);
- tooltips (HTML) name both ends and both directions ("A → B: 1,234", "B → A: 56",
  balance 0.05) in the map's language; every text reaches the page as data shown with
  ``textContent`` (see :mod:`._compact`).

Examples
--------
>>> import geopandas as gpd, shapely
>>> lines = gpd.GeoDataFrame({"origin": ["a", "b"], "destination": ["b", "a"], "kind": "commuting",
...     "volume": [100.0, 5.0], "origin_group": ["rural", "urban"], "destination_group": ["urban", "rural"]},
...     geometry=[shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(1000, 0), (0, 0)])], crs=32650)
>>> sel = select_flows(lines, "commuting", top_n=1)
>>> len(sel.flows), sel.total_count, round(sel.share, 3), sel.flows["balance"].tolist()
(1, 2, 0.952, [0.05])
>>> float(flow_matrix(lines, "commuting").loc["rural", "urban"])
100.0
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from jinja2 import Template

from ..geo.errors import DataError, UnknownNameError
from . import _compact, interactive, labels, palettes
from .escape import css_color, html_attr, html_text

__all__ = ["FlowSelection", "flow_kinds", "select_flows", "flow_arcs", "flow_matrix", "flow_map",
           "flow_map_static", "flow_matrix_html", "flow_matrix_static", "render_flows", "parse_flow_spec",
           "pair_colours", "line_widths", "flow_lines", "TOP_N", "BEND"]

logger = logging.getLogger("urbanrural")

TOP_N = 200
"""Flows drawn by default: the largest 200."""
BEND = 0.2
"""How far an arc bends to its right: the control point's offset over the chord length."""
_WMIN_PX, _WSPAN_PX = 1.0, 11.0
_WMIN_PT, _WSPAN_PT = 0.4, 5.6
_REQUIRED = ("origin", "destination", "volume")


@dataclass(frozen=True)
class FlowSelection:
    """The flows of one kind (and year) that a map draws: ``flows`` (largest first) out
    of ``total_count`` flows holding ``total_volume``; ``top_n``/``min_volume`` as used."""

    flows: gpd.GeoDataFrame
    kind: str
    year: int | None
    total_count: int
    total_volume: float
    top_n: int | None
    min_volume: float | None

    @property
    def share(self) -> float:
        """Share of the kind's volume carried by the flows shown (0-1)."""
        return float(self.flows["volume"].sum() / self.total_volume) if self.total_volume > 0 else 0.0

    def note(self, language: str = "en") -> str:
        """"150 of 1,234 flows shown (85.2 % of the volume)" in ``language``."""
        share = f"{self.share * 100:.1f} %" if language != "zh" else f"{self.share * 100:.1f}%"
        return labels.ui_text("flows_shown", language=language, n=f"{len(self.flows):,}",
                              total=f"{self.total_count:,}", share=share)


def flow_kinds(flows: pd.DataFrame) -> list[str]:
    """The kinds of flow a layer holds (sorted; ``[]`` without a ``kind`` column)."""
    if "kind" not in flows.columns:
        return []
    return sorted(flows["kind"].dropna().astype(str).unique())


def _check_options(top_n: int | None, min_volume: float | None) -> None:
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, (int, np.integer)) or top_n < 1):
        raise DataError(f"top_n={top_n!r}: give a whole number of flows of at least 1 (or None for all)")
    if min_volume is not None:
        try:
            ok = np.isfinite(float(min_volume)) and float(min_volume) >= 0
        except (TypeError, ValueError):
            ok = False
        if not ok or isinstance(min_volume, bool):
            raise DataError(f"min_volume={min_volume!r}: give a volume of 0 or more (or None)")


def _of_kind(flows: gpd.GeoDataFrame, kind: str, year: int | None) -> tuple[gpd.GeoDataFrame, int | None]:
    """Rows of ``kind`` (and ``year``; the latest when the layer has several), volume > 0,
    with ``reverse`` and ``balance`` filled in when the layer lacks them."""
    missing = [c for c in (*_REQUIRED, "kind") if c not in flows.columns]
    if missing:
        raise DataError(f"the flows layer has no {', '.join(map(repr, missing))} column(s); a flow layer has "
                        f"origin, destination, kind, volume (columns: {', '.join(map(str, flows.columns))})")
    kinds = flow_kinds(flows)
    if str(kind) not in kinds:
        from difflib import get_close_matches

        hint = get_close_matches(str(kind), kinds, n=1, cutoff=0.5)
        mean = f"; did you mean {hint[0]!r}?" if hint else ""
        raise UnknownNameError(f"no flows of kind {kind!r}{mean} (kinds in the flows layer: "
                               f"{', '.join(map(repr, kinds)) or 'none'})")
    part = flows[flows["kind"].astype(str) == str(kind)].copy()
    if "year" in part.columns and part["year"].notna().any():
        years = sorted(int(y) for y in pd.to_numeric(part["year"], errors="coerce").dropna().unique())
        if year is None:
            year = years[-1]
            if len(years) > 1:
                logger.warning("note: %s flows of %d years (%s); drawing %d (flow:%s:YEAR for another)",
                               kind, len(years), ", ".join(map(str, years)), year, kind)
        elif int(year) not in years:
            raise UnknownNameError(f"no {kind} flows in {year}; years in the flows layer: "
                                   f"{', '.join(map(str, years))}")
        part = part[pd.to_numeric(part["year"], errors="coerce") == int(year)]
    elif year is not None:
        raise DataError(f"the flows layer has no years, so flow:{kind}:{year} cannot be drawn; use flow:{kind}")
    part["origin"] = part["origin"].astype(str)
    part["destination"] = part["destination"].astype(str)
    part["volume"] = pd.to_numeric(part["volume"], errors="coerce")
    part = part[np.isfinite(part["volume"]) & (part["volume"] > 0) & (part["origin"] != part["destination"])]
    if "reverse" not in part.columns:
        vol = part.set_index(["origin", "destination"])["volume"].groupby(level=[0, 1]).sum()
        part["reverse"] = [float(vol.get((d, o), 0.0)) for o, d in zip(part["origin"], part["destination"],
                                                                      strict=True)]
    part["reverse"] = pd.to_numeric(part["reverse"], errors="coerce").fillna(0.0)
    if "balance" not in part.columns:
        hi = np.maximum(part["volume"], part["reverse"])
        part["balance"] = np.where(hi > 0, np.minimum(part["volume"], part["reverse"]) / hi, 0.0)
    for col in ("origin_group", "destination_group"):
        if col not in part.columns:
            part[col] = None
    return part, (int(year) if year is not None else None)


def select_flows(flows: gpd.GeoDataFrame, kind: str, *, year: int | None = None, top_n: int | None = TOP_N,
                 min_volume: float | None = None) -> FlowSelection:
    """The flows a map of ``kind`` draws: volume >= ``min_volume``, then the ``top_n``
    largest (either may be None), largest first.

    Raises
    ------
    UnknownNameError
        ``kind`` (or ``year``) is not in the layer (the ones present are listed).
    DataError
        A required column is missing, a bad option, or no flow is left to draw.
    """
    _check_options(top_n, min_volume)
    part, year = _of_kind(flows, kind, year)
    total_count, total_volume = len(part), float(part["volume"].sum())
    if total_count == 0:
        raise DataError(f"the flows layer has no {kind} flow with a volume above 0 (between two different units)")
    part = part.sort_values("volume", ascending=False, kind="stable")
    largest = float(part["volume"].iloc[0])
    if min_volume is not None:
        part = part[part["volume"] >= float(min_volume)]
        if part.empty:
            raise DataError(f"min_volume={labels.format_number(float(min_volume))}: no {kind} flow is that large "
                            f"(the largest is {labels.format_number(largest)}); lower it")
    if top_n is not None:
        part = part.head(int(top_n))
    return FlowSelection(part, str(kind), year, total_count, total_volume, top_n,
                         float(min_volume) if min_volume is not None else None)


def flow_arcs(lines: gpd.GeoSeries, *, bend: float = BEND, n: int = 24) -> np.ndarray:
    """Quadratic arcs from each line's first point to its last, bending to the right of
    the direction of travel by ``bend`` times the chord (a flow and its reverse lie on
    opposite sides). ``lines`` in a projected CRS; returns LineStrings."""
    coords = [np.asarray(g.coords) if g is not None and not g.is_empty else None for g in
              shapely.line_merge(np.asarray(lines.geometry.to_numpy(), dtype=object))]
    t = np.linspace(0.0, 1.0, n)[:, None]
    out = []
    for c in coords:
        if c is None or len(c) < 2:
            out.append(None)
            continue
        p0, p2 = c[0, :2], c[-1, :2]
        dx, dy = p2 - p0
        p1 = (p0 + p2) / 2 + bend * np.array([dy, -dx])
        out.append(shapely.LineString((1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2))
    return np.array(out, dtype=object)


def _arrowheads(arcs: np.ndarray, widths_px: np.ndarray, m_per_px: float) -> tuple[np.ndarray, np.ndarray]:
    """(arrowheads, arcs cut short under them): a triangle whose tip is each arc's end,
    ``6 + 1.2 w`` pixels long and ``5 + 1.8 w`` wide for a line ``w`` pixels wide at the
    initial zoom (``m_per_px`` metres a pixel), never longer than a third of the arc."""
    heads, cut = [], []
    for arc, w in zip(arcs, widths_px, strict=True):
        if arc is None:
            heads.append(None)
            cut.append(None)
            continue
        length = arc.length
        h = min((6 + 1.2 * w) * m_per_px, length / 3)
        half = (2.5 + 0.9 * w) * m_per_px * h / ((6 + 1.2 * w) * m_per_px)
        tip = np.asarray(arc.coords)[-1]
        base_pt = arc.interpolate(length - h)
        d = tip - np.array([base_pt.x, base_pt.y])
        u = d / (float(np.hypot(*d)) or 1.0)
        base = tip - u * h
        perp = np.array([-u[1], u[0]]) * half
        heads.append(shapely.Polygon([tip, base + perp, base - perp]))
        cut.append(shapely.ops.substring(arc, 0, length - 0.7 * h))
    return np.array(heads, dtype=object), np.array(cut, dtype=object)


def line_widths(volume: pd.Series | np.ndarray, vmax: float, *, html: bool = True) -> np.ndarray:
    """Line widths proportional to volume: 1 px + 11 px x volume / ``vmax`` (HTML) or
    0.4 pt + 5.6 pt x volume / ``vmax`` (print)."""
    lo, span = (_WMIN_PX, _WSPAN_PX) if html else (_WMIN_PT, _WSPAN_PT)
    v = np.asarray(volume, dtype=float)
    return lo + span * v / vmax if vmax > 0 else np.full(v.shape, lo)


def _samples(vol: pd.Series) -> list[float]:
    """Three round volumes for the width legend (largest, middle, small)."""
    vmax, vmin = float(vol.max()), float(vol.min())
    out: list[float] = []
    for x in (vmax, (vmax + vmin) / 2, vmin):
        r = palettes._nice(x) if x > 0 else 0.0
        r = r if vmin <= r <= vmax else x  # a round number only where the data has lines that wide
        if r not in out:
            out.append(r)
    return out


def pair_colours(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(pair key, colour) of each flow from its ``origin_group`` and ``destination_group``."""
    keys = pd.Series([palettes.flow_pair_key(o, d) for o, d in zip(frame["origin_group"], frame["destination_group"],
                                                                    strict=True)], index=frame.index)
    return keys, keys.map(lambda k: palettes.FLOW_PAIRS.get(k, palettes.FLOW_OTHER))


def _pair_items(keys: pd.Series, language: str) -> list[tuple[str, str]]:
    """(colour, name) of the class pairs present, in the palette's order, "other" last."""
    present = set(keys)
    items = [(c, labels.flow_pair_name(*k.split(">"), language=language)) for k, c in palettes.FLOW_PAIRS.items()
             if k in present]
    if "other" in present:
        items.append((palettes.FLOW_OTHER, labels.ui_text("other_pairs", language=language)))
    return items


def _metric_crs(units: gpd.GeoDataFrame) -> object:
    if units.crs is None:
        raise DataError("the units have no CRS; a flow map needs one")
    return units.crs if units.crs.is_projected else units.estimate_utm_crs()


def flow_lines(sel: FlowSelection, units: gpd.GeoDataFrame, crs: object, *, id_column: str | None = None
               ) -> gpd.GeoSeries:
    """The selected flows' lines in ``crs``: their own geometry, or (a table without
    geometry, or a missing line) from the origin unit's representative point to the
    destination's, matched on the unit code (:func:`.interactive.id_values`)."""
    f = sel.flows
    geom = f.geometry if isinstance(f, gpd.GeoDataFrame) and f.geometry.name in f.columns else None
    if geom is not None and f.crs is None:
        raise DataError("the flows layer has no CRS; write it with the units' CRS (the run does)")
    lines = geom.to_crs(crs) if geom is not None else gpd.GeoSeries([None] * len(f), index=f.index, crs=crs)
    gap = lines.isna() | lines.is_empty
    if gap.any():
        found = interactive.id_values(units, id_column)
        ids = found[1] if found is not None else pd.Series(units.index, index=units.index)
        pts = dict(zip(ids.astype(str), units.to_crs(crs).geometry.representative_point(), strict=True))
        made = [shapely.LineString([pts[o], pts[d]]) if o in pts and d in pts else None
                for o, d in zip(f.loc[gap, "origin"], f.loc[gap, "destination"], strict=True)]
        lines = lines.copy()
        lines[gap] = gpd.GeoSeries(made, index=f.index[gap], crs=crs)
    return lines


def _unit_names(units: gpd.GeoDataFrame, id_column: str | None, language: str) -> dict[str, str]:
    """Unit id -> "name (code)" (or the code) for tooltips."""
    found = interactive.id_values(units, id_column)
    ids = found[1] if found is not None else pd.Series(units.index, index=units.index)
    names = interactive._name_values(units, language)
    out = {}
    for i, key in zip(units.index, ids, strict=True):
        nm = names.get(i) if names is not None else None
        code = str(key)
        out[code] = f"{nm} ({code})" if isinstance(nm, str) and nm.strip() and nm != code else code
    return out


def _tips(sel: FlowSelection, names: Mapping[str, str], language: str) -> list[tuple[str, list[str]]]:
    f = sel.flows
    a = [names.get(o, o) for o in f["origin"]]
    b = [names.get(d, d) for d in f["destination"]]
    fwd = [f"{x} → {y}: {labels.format_number(v)}" for x, y, v in zip(a, b, f["volume"], strict=True)]
    rev = [f"{y} → {x}: {labels.format_number(v)}" for x, y, v in zip(a, b, f["reverse"], strict=True)]
    bal = [labels.format_number(v, 2) if pd.notna(v) else labels.ui_text("no_data", language=language)
           for v in f["balance"]]
    pair = [labels.flow_pair_name(o, d, language=language) for o, d in zip(f["origin_group"], f["destination_group"],
                                                                          strict=True)]
    ui = labels.ui_text
    tips = [(ui("flow", language=language), fwd), (ui("reverse", language=language), rev),
            (ui("balance", language=language), bal), (ui("pair", language=language), pair)]
    if "predicted" in f.columns and f["predicted"].notna().any():
        tips.append((ui("predicted", language=language), [labels.format_number(v) if pd.notna(v) else
                                                          ui("no_data", language=language) for v in f["predicted"]]))
    if "std_resid" in f.columns and f["std_resid"].notna().any():
        tips.append((ui("std_resid", language=language), [labels.format_number(v, 2) if pd.notna(v) else
                                                          ui("no_data", language=language) for v in f["std_resid"]]))
    return tips


FLOW_JS = """
function urFlowLayer(d, aliases) {
  return L.geoJSON(urDecode(d), {
    className: "ur-flow",
    style: function (f) {
      return {color: f.properties.c, weight: d.s[f.properties.i], opacity: 0.8, lineCap: "butt", fill: false};
    },
    onEachFeature: function (f, l) {
      l.on("mouseover", function () {
        l._urOld = {color: l.options.color, opacity: l.options.opacity};
        l.setStyle({color: "#111", opacity: 1});
      });
      l.on("mouseout", function () { if (l._urOld) l.setStyle(l._urOld); });
      l.bindTooltip(function () {
        return urTip(aliases, d.t.map(function (col) { return col[f.properties.i]; }));
      }, {sticky: true});
    }
  });
}
"""


class FlowLayer(_compact.CompactLayer):
    """Flow lines drawn by ``urFlowLayer``: a width per line (``s``), class ``ur-flow``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = urFlowLayer({{ this.data }}, {{ this.aliases }});
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


def _legend(title: str, subtitle: str | None, pairs: list[tuple[str, str]], widths: list[tuple[float, str]],
            notes: Sequence[str]) -> str:
    """The flow legend: class-pair colours, sample widths, notes (all text escaped)."""
    rows = "".join(f'<div class="ur-legend-row" title="{html_attr(lab)}"><span class="ur-flow-swatch" '
                   f'style="display:inline-block;width:22px;height:4px;margin-right:6px;vertical-align:middle;'
                   f'background-color:{css_color(c)}"></span>{html_text(lab)}</div>' for c, lab in pairs)
    rows += "".join(f'<div class="ur-legend-row ur-flow-width"><span style="display:inline-block;width:22px;'
                    f'height:{w:.1f}px;margin-right:6px;vertical-align:middle;background-color:#555555"></span>'
                    f"{html_text(lab)}</div>" for w, lab in widths)
    sub = f'<div class="ur-legend-subtitle" style="margin-bottom:4px">{html_text(subtitle)}</div>' \
        if subtitle and subtitle != title else ""
    foot = "".join(f'<div class="ur-legend-note" style="font-size:11px;color:#555;max-width:240px">'
                   f"{html_text(n)}</div>" for n in notes)
    return ('<div class="ur-legend ur-legend-right" style="position:absolute;bottom:24px;right:10px;z-index:1000;'
            "background:#fff;padding:6px 8px;font:12px/1.4 sans-serif;border-radius:4px;"
            'box-shadow:0 1px 4px rgba(0,0,0,.3);max-height:60%;overflow:auto">'
            f'<div class="ur-legend-title" style="font-weight:bold;margin-bottom:4px">{html_text(title)}</div>'
            f"{sub}{rows}{foot}</div>")


def _notes(sel: FlowSelection, language: str) -> list[str]:
    out = [sel.note(language)]
    if sel.year is not None:
        out.append(f"{labels.ui_text('year', language=language)}: {sel.year}")
    out.append(labels.ui_text("flow_direction", language=language))
    return out


def flow_map(units: gpd.GeoDataFrame, flows: gpd.GeoDataFrame, kind: str, *, year: int | None = None,
             top_n: int | None = TOP_N, min_volume: float | None = None, language: str = "en",
             title: str | None = None, tiles: str | None = None, attr: str | None = None,
             id_column: str | None = None) -> folium.Map:
    """An interactive flow map of ``kind``: units in outline (code and name on hover) and
    the selected flows (:func:`select_flows`) as directed arcs, widths by volume, colours
    by class pair, both directions in each tooltip; no tiles unless ``tiles`` names them.
    Save it with :func:`.offline.save_html`.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> u = gpd.GeoDataFrame({"name": ["A", "B"]}, index=["a", "b"], crs=32650,
    ...     geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)])
    >>> f = gpd.GeoDataFrame({"origin": ["a"], "destination": ["b"], "kind": ["commuting"], "volume": [7.0]},
    ...     geometry=[shapely.LineString([(500, 500), (1500, 500)])], crs=32650)
    >>> type(flow_map(u, f, "commuting")).__name__
    'Map'
    """
    sel = select_flows(flows, kind, year=year, top_n=top_n, min_volume=min_volume)
    head = labels.label(f"flow:{kind}", language=language)
    crs = _metric_crs(units)
    lines = flow_lines(sel, units, crs, id_column=id_column)
    arcs = flow_arcs(lines)
    vmax = float(sel.flows["volume"].max())
    keys, colours = pair_colours(sel.flows)
    ext = units.to_crs(crs).total_bounds
    widths = line_widths(sel.flows["volume"], vmax)
    # the initial view fits the units in roughly 600 px: arrowheads sized to the lines there
    heads, arcs = _arrowheads(arcs, widths, max(ext[2] - ext[0], ext[3] - ext[1]) / 600)
    ok = np.array([a is not None for a in arcs])
    if not ok.all():
        logger.warning("note: %d %s flow(s) have no line and no unit with their code; not drawn",
                       int((~ok).sum()), kind)
    disp_units = interactive.display_frame(units)
    m = interactive._base(disp_units, tiles, attr, title or head.title)
    interactive._layer(m, disp_units, pd.Series("#f0f0f0", index=disp_units.index), None, None,
                       labels.ui_text("units", language=language),
                       tips=interactive.unit_tips(units, [], language=language, id_column=id_column),
                       style={"fo": 0.5, "w": 0.6, "lc": "#737373"})
    f = sel.flows[ok]
    arc_frame = interactive.display_frame(gpd.GeoDataFrame(geometry=list(arcs[ok]), crs=crs, index=f.index),
                                          tolerance_px=0.05)
    head_frame = interactive.display_frame(gpd.GeoDataFrame(geometry=list(heads[ok]), crs=crs, index=f.index),
                                           tolerance_px=0.0, decimals=6)
    data = _compact.encode(arc_frame.geometry.to_numpy())
    codes, pal = pd.factorize(colours[ok].astype(str))
    tips = _tips(FlowSelection(f, sel.kind, sel.year, sel.total_count, sel.total_volume, top_n, min_volume),
                 _unit_names(units, id_column, language), language)
    data.update(k="line", c=codes.tolist(), p=[css_color(c) for c in pal], t=[[str(x) for x in v] for _, v in tips],
                s=[round(float(w), 2) for w in widths[ok]])
    _compact.add_decoder(m)
    m.get_root().header.add_child(_compact.RawHtml(f"<script>{FLOW_JS}</script>"), name="ur_flow_js")
    FlowLayer(data, [a for a, _ in tips], name=html_text(title or head.title)).add_to(m)
    interactive._layer(m, head_frame, colours[ok], None, None, labels.ui_text("flows", language=language) + " →",
                       tips=[], style={"fo": 0.85, "w": 0, "ni": 1})
    widths = [(float(line_widths([v], vmax)[0]), labels.format_number(v)) for v in _samples(f["volume"])]
    m.get_root().html.add_child(_compact.RawHtml(_legend(title or head.text, head.text, _pair_items(keys[ok], language),
                                                         widths, _notes(sel, language))))
    return m


def parse_flow_spec(arg: str) -> tuple[str, int | None]:
    """``"commuting"`` -> ("commuting", None); ``"commuting:2020"`` -> ("commuting", 2020)."""
    kind, sep, tail = str(arg).rpartition(":")
    if sep and tail.strip().isdigit():
        return kind, int(tail)
    return str(arg), None


# print formats and the matrix live in ._flow_print (imported late: matplotlib)
def flow_map_static(*args: Any, **kwargs: Any) -> Path:
    """A print flow map: see :func:`._flow_print.flow_map_static`."""
    from ._flow_print import flow_map_static as impl

    return impl(*args, **kwargs)


def flow_matrix_static(*args: Any, **kwargs: Any) -> Path:
    """A print matrix figure: see :func:`._flow_print.flow_matrix_static`."""
    from ._flow_print import flow_matrix_static as impl

    return impl(*args, **kwargs)


def _group_keys(s: pd.Series) -> pd.Series:
    return s.map(lambda v: "" if interactive._isna(v) or str(v).strip() == "" else str(v).strip())


def _group_order(groups: Sequence[str]) -> list[str]:
    known = [g for g in ("urban", "rural") if g in groups]
    rest = sorted(g for g in groups if g not in known and g != "")
    return known + rest + ([""] if "" in groups else [])


def flow_matrix(flows: pd.DataFrame, kind: str | None = None, *, year: int | None = None) -> pd.DataFrame:
    """Volume by origin class (rows) and destination class (columns) over every flow of
    ``kind`` (all rows when None; the latest year unless ``year``); missing classes as "".

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"origin": ["a", "b", "c"], "destination": ["b", "a", "a"], "kind": "x",
    ...     "volume": [5.0, 2.0, 1.0], "origin_group": ["rural", "urban", "rural"],
    ...     "destination_group": ["urban", "rural", "rural"]})
    >>> flow_matrix(f, "x").to_dict()
    {'urban': {'urban': 0.0, 'rural': 5.0}, 'rural': {'urban': 2.0, 'rural': 1.0}}
    """
    if kind is not None:
        part, _ = _of_kind(flows, kind, year)
    else:
        part = flows.copy()
        part["volume"] = pd.to_numeric(part["volume"], errors="coerce")
        part = part[part["volume"] > 0]
    og = _group_keys(part["origin_group"] if "origin_group" in part.columns else pd.Series("", index=part.index))
    dg = _group_keys(part["destination_group"] if "destination_group" in part.columns
                     else pd.Series("", index=part.index))
    order = _group_order(sorted(set(og) | set(dg)))
    mat = part["volume"].groupby([og.rename("origin_group"), dg.rename("destination_group")]).sum().unstack()
    return mat.reindex(index=order, columns=order).fillna(0.0).astype(float)


def matrix_cells(mat: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float, float | None]]:
    """(volume, share of all, pair balance) per cell; balance min/max of the cell and its
    transpose (None on the diagonal and when both are 0)."""
    total = float(mat.to_numpy().sum())
    out = {}
    for r in mat.index:
        for c in mat.columns:
            v = float(mat.loc[r, c])
            w = float(mat.loc[c, r]) if (c in mat.index and r in mat.columns) else 0.0
            bal = None if r == c or max(v, w) == 0 else min(v, w) / max(v, w)
            out[(r, c)] = (v, v / total if total > 0 else 0.0, bal)
    return out


def flow_matrix_html(flows: gpd.GeoDataFrame, kind: str, path: str | Path, *, year: int | None = None,
                     language: str = "en", title: str | None = None) -> Path:
    """A small self-contained HTML page with the class-by-class matrix as an accessible
    table (caption, header cells with scope, totals); every text escaped."""
    from ..geo.io import atomic_path

    part, year = _of_kind(flows, kind, year)
    mat = flow_matrix(part, None)
    head = labels.label(f"flow_matrix:{kind}", language=language)
    title = title or head.title
    cells = matrix_cells(mat)
    vmax = max((v for v, _s, _b in cells.values()), default=0.0) or 1.0
    ui = labels.ui_text
    import matplotlib

    cmap = matplotlib.colormaps["Blues"]
    name = {g: labels.group_name(g, language=language) for g in mat.index}
    cols = "".join(f'<th scope="col">{html_text(name[c])}</th>' for c in mat.columns)
    body = []
    for r in mat.index:
        tds = []
        for c in mat.columns:
            v, share, bal = cells[(r, c)]
            bg = css_color(cmap(0.05 + 0.75 * v / vmax))
            fg = "#ffffff" if v / vmax > 0.6 else "#111111"
            extra = f'<br><small>{html_text(ui("balance", language=language))} {bal:.2f}</small>' \
                if bal is not None else ""
            tds.append(f'<td style="background-color:{bg};color:{fg}" data-volume="{v:.6g}">'
                       f"{html_text(labels.format_number(v))}<br><small>{share * 100:.1f} %</small>{extra}</td>")
        tot = float(mat.loc[r].sum())
        body.append(f'<tr><th scope="row">{html_text(name[r])}</th>{"".join(tds)}'
                    f"<td>{html_text(labels.format_number(tot))}</td></tr>")
    col_tot = "".join(f"<td>{html_text(labels.format_number(float(mat[c].sum())))}</td>" for c in mat.columns)
    total = labels.format_number(float(mat.to_numpy().sum()))
    unit = head.unit
    cap = head.text + (f", {year}" if year is not None else "")
    lang = "zh-CN" if language == "zh" else "en"
    html = (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html_text(title)}</title>'
            "<style>body{font:14px/1.45 sans-serif;margin:24px;color:#111}table{border-collapse:collapse}"
            "th,td{border:1px solid #bbb;padding:6px 10px;text-align:right}th{background:#f3f3f3}"
            "caption{font-weight:bold;text-align:left;margin-bottom:6px}p.note{color:#555;max-width:46em}</style>"
            f"</head><body><h1>{html_text(title)}</h1><table><caption>{html_text(cap)}</caption>"
            f'<thead><tr><th scope="col">{html_text(ui("matrix_rows", language=language))} \\ '
            f'{html_text(ui("matrix_cols", language=language))}</th>{cols}'
            f'<th scope="col">{html_text(ui("total", language=language))}</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody><tfoot><tr><th scope="row">{html_text(ui("total", language=language))}'
            f"</th>{col_tot}<td>{html_text(total)}</td></tr></tfoot></table>"
            f'<p class="note">{html_text(ui("matrix_note", language=language))}'
            f'{html_text(f" ({unit})" if unit and language != "zh" else f"（{unit}）" if unit else "")}</p>'
            "</body></html>\n")
    path = Path(path)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(html, encoding="utf-8")
    return path


def render_flows(units: gpd.GeoDataFrame, flows: gpd.GeoDataFrame | None, spec: str,
                 out: str | Path | Sequence[str | Path], *, language: str = "en", title: str | None = None,
                 top_n: int | None = TOP_N, min_volume: float | None = None, tiles: str | None = None,
                 attr: str | None = None, id_column: str | None = None,
                 print_options: Mapping[str, Any] | None = None) -> Path | list[Path]:
    """``flow:<kind>[:<year>]`` or ``flow_matrix:<kind>[:<year>]`` to ``out`` (.html or print;
    several print paths get the figure drawn once and saved in each format)."""
    from .offline import save_html

    which, _, arg = spec.partition(":")
    if not arg:
        raise DataError(f"map {spec!r} needs a kind of flow: {which}:KIND (e.g. {which}:commuting)")
    if flows is None:
        raise DataError(f"map {spec!r} needs the flow lines (layer 'flows' of results.gpkg, written by the flows "
                        "analysis): this run has no flows")
    kind, year = parse_flow_spec(arg)
    html = isinstance(out, (str, os.PathLike)) and Path(out).suffix.lower() == ".html"
    out = Path(out) if html else out
    popts = dict(print_options or {})
    if which == "flow_matrix":
        if html:
            return flow_matrix_html(flows, kind, out, year=year, language=language, title=title)
        return flow_matrix_static(flows, kind, out, year=year, language=language, title=title, **popts)
    if html:
        m = flow_map(units, flows, kind, year=year, top_n=top_n, min_volume=min_volume, language=language,
                     title=title, tiles=tiles, attr=attr, id_column=id_column)
        return save_html(m, out)
    return flow_map_static(units, flows, kind, out, year=year, top_n=top_n, min_volume=min_volume,
                           language=language, title=title, id_column=id_column, **popts)
