"""Facilities on the offline HTML maps: every point in one compact block drawn on a canvas.

A province has thousands of facilities; one Leaflet marker object in the page per point
(folium's ``CircleMarker``) costs ~800 bytes of script each (13,800 points: 11.6 MB) and
an SVG element each in the browser. Here the points are one JSON object in a
``<script>`` (:func:`facility_data`):

- coordinates are integers on a grid of ``r`` degrees (~1 m; 1/200,000 of the extent at
  most) written as differences from the previous point, the points ordered along a
  Hilbert curve so neighbours follow each other (a few characters per point);
- the category is an index into ``cats`` (its label, written once) and ``p`` (its colour);
  the name is raw text, one per point; nothing repeats per point;
- ``s`` (radius per point) only when points were merged (``cluster_over``).

The browser draws them with ``urFacilities`` (:data:`FACILITIES_JS`) as circle markers on
the map's canvas (``prefer_canvas``: the map's vector layers share one canvas, so no DOM
element per point and the units' hover still works), one overlay per category in the
layer control, with the category and name on hover built with ``textContent``
(``urTip`` of :mod:`._compact`): no text from data is ever parsed as HTML. The JSON is made
safe for ``<script>`` by :func:`.escape.script_json`; layer names are HTML-escaped
(:func:`.escape.html_text`), colours checked (:func:`.escape.css_color`).

Layout::

    {"o": [lon0, lat0], "r": step, "x": [dx, dy, dx, dy, ...], "c": [category index per point],
     "n": [name per point], "cats": [category label, ...], "p": [colour per category],
     "s": [radius per point] (optional)}

Examples
--------
>>> import geopandas as gpd, shapely
>>> f = gpd.GeoDataFrame({"category": ["school", "clinic", "school"], "name": ["A", "B", "C"]},
...     geometry=[shapely.Point(115.0, 38.0), shapely.Point(115.01, 38.0), shapely.Point(115.0, 38.01)],
...     crs=4326)
>>> d = facility_data(f)
>>> d["cats"], sorted(d["n"]), len(d["x"])
(['clinic', 'school'], ['A', 'B', 'C'], 6)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import folium
import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from jinja2 import Template

from ..geo.errors import DataError
from . import _compact, labels
from .escape import css_color, html_text, script_json

__all__ = ["facility_data", "add_facilities", "category_colours", "FacilityLayer", "FACILITIES_JS",
           "CLUSTER_OVER"]

#: categories with more points than this are thinned to one marker per ~200 m cell
CLUSTER_OVER = 20_000

FACILITIES_JS = """
var urFacilityGroups = [];
function urFront(l) {  // a unit brought to the front on hover: the facilities on it back on top
  if (!l.getBounds) return;
  var b = l.getBounds();
  urFacilityGroups.forEach(function (g) {
    if (g._map) g.eachLayer(function (m) { if (b.contains(m.getLatLng())) m.bringToFront(); });
  });
}
function urFacilities(d, ci, aliases) {
  if (!d._ll) {  // decoded once, shared by every category's layer
    var x = 0, y = 0;
    d._ll = [];
    for (var i = 0; i < d.x.length; i += 2) {
      x += d.x[i]; y += d.x[i + 1];
      d._ll.push([d.o[1] + y * d.r, d.o[0] + x * d.r]);
    }
  }
  var g = L.featureGroup(), colour = d.p[ci], label = d.cats[ci];
  g.urFacilities = true;
  urFacilityGroups.push(g);
  for (var j = 0; j < d.c.length; j++) {
    if (d.c[j] !== ci) continue;
    var m = L.circleMarker(d._ll[j], {radius: d.s ? d.s[j] : 4, color: colour,
                                      fillColor: colour, fillOpacity: 0.9, weight: 1});
    m.urName = d.n[j];
    g.addLayer(m);
  }
  // one tooltip and one pair of handlers for the whole category (events bubble from the markers)
  g.bindTooltip(function (l) { return urTip(aliases, [label, l.urName]); }, {sticky: true});
  g.on("mouseover", function (e) { e.layer.setStyle({weight: 3.5, color: "#111"}); });
  g.on("mouseout", function (e) { e.layer.setStyle({weight: 1, color: colour}); });
  return g;
}
"""


def category_colours(categories: Sequence[str]) -> dict[str, str]:
    """A colour per category (tab10, in the order given: sorted category codes)."""
    cm = matplotlib.colormaps["tab10"]
    return {c: matplotlib.colors.to_hex(cm(i % 10)) for i, c in enumerate(categories)}


def facility_data(facilities: gpd.GeoDataFrame, *, language: str = "en", cluster_over: int | None = CLUSTER_OVER,
                  decimals: int = 5) -> dict:
    """The compact JSON-ready block of ``facilities`` (any CRS; points, or the
    representative point of other shapes; empty geometries left out).

    Parameters
    ----------
    facilities : GeoDataFrame
        With ``category`` and optionally ``name`` (else the index is shown).
    language : {"en", "zh"}
        Category labels by :func:`.labels.category_name`.
    cluster_over : int or None
        A category with more points is thinned to one marker per ~200 m grid cell, the
        marker larger and its name followed by the count nearby; None keeps every point.
    decimals : int
        The grid is ``10 ** -decimals`` degrees (5: ~1 m) or 1/200,000 of the extent
        when that is coarser.
    """
    if "category" not in facilities.columns:
        raise DataError("the facilities layer has no 'category' column")
    if facilities.crs is None:
        raise DataError("the facilities layer has no CRS; maps need one")
    fac = facilities[~(facilities.geometry.isna() | facilities.geometry.is_empty)].to_crs(4326)
    pts = shapely.force_2d(fac.geometry.representative_point().to_numpy())
    xy = shapely.get_coordinates(pts)
    cat = fac["category"].astype(str).to_numpy()
    names = (fac["name"] if "name" in fac.columns else pd.Series(fac.index, index=fac.index))
    names = names.map(lambda v: "" if _isna(v) else str(v)).to_numpy(dtype=object)
    cats = sorted(set(cat.tolist()))
    counts = np.ones(len(xy), dtype=int)
    if cluster_over is not None and len(xy):
        keep_xy, keep_cat, keep_names, keep_counts = [], [], [], []
        for c in cats:
            sel = cat == c
            cxy, cn = xy[sel], names[sel]
            cc = np.ones(len(cxy), dtype=int)
            if len(cxy) > cluster_over:
                key = np.floor(cxy / 0.002).astype(np.int64)
                _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
                cc = np.bincount(inv.ravel())
                cxy, cn = cxy[first], cn[first]
                cn = np.array([f"{nm} ({labels.ui_text('nearby', language=language, n=n - 1)})" if n > 1 else nm
                               for nm, n in zip(cn, cc, strict=True)], dtype=object)
            keep_xy.append(cxy)
            keep_cat += [c] * len(cxy)
            keep_names.append(cn)
            keep_counts.append(cc)
        xy, cat = np.vstack(keep_xy), np.array(keep_cat, dtype=object)
        names, counts = np.concatenate(keep_names), np.concatenate(keep_counts)
    if len(xy):
        x0, y0 = xy.min(axis=0)
        span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1])))
        order = np.argsort(gpd.GeoSeries(shapely.points(xy)).hilbert_distance().to_numpy(), kind="stable")
    else:
        x0 = y0 = span = 0.0
        order = np.arange(0)
    r = max(10.0 ** -decimals, span / 200_000)
    q = np.rint((xy[order] - (x0, y0)) / r).astype(np.int64)
    d = np.diff(np.vstack([[0, 0], q]), axis=0) if len(q) else q
    idx = {c: i for i, c in enumerate(cats)}
    colours = category_colours(cats)
    data: dict = {"o": [round(float(x0), 7), round(float(y0), 7)], "r": r, "x": d.ravel().tolist(),
                  "c": [idx[c] for c in cat[order]], "n": [str(n) for n in names[order]],
                  "cats": [labels.category_name(c, language=language) for c in cats],
                  "p": [css_color(colours[c]) for c in cats]}
    if (counts > 1).any():
        data["s"] = [round(float(s), 1) for s in 4 + np.minimum(np.log2(counts[order]), 6)]
    return data


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


class FacilityLayer(folium.map.Layer):
    """One category of the shared facilities block (``shared``, a script variable): an
    overlay in the layer control drawn by ``urFacilities`` on the block's canvas."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = urFacilities({{ this.shared }}, {{ this.index }}, {{ this.aliases }});
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, shared: str, index: int, aliases: Sequence[str], *, name: str) -> None:
        """``name`` is shown in the layer control as HTML: pass :func:`.escape.html_text`."""
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "FacilityLayer"
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", shared):
            raise DataError(f"bad script variable name {shared!r}")
        self.shared = shared
        self.index = int(index)
        self.aliases = script_json([str(a) for a in aliases])


def add_facilities(m: folium.Map, facilities: gpd.GeoDataFrame, *, language: str = "en",
                   cluster_over: int | None = CLUSTER_OVER) -> list[tuple[str, str]]:
    """Draw ``facilities`` on ``m`` (one block of data, one overlay per category) and return
    the legend rows (colour, category label)."""
    data = facility_data(facilities, language=language, cluster_over=cluster_over)
    if not data["c"]:
        return []
    _compact.add_decoder(m)  # urTip
    # every vector layer of the map on one canvas: markers cost no DOM element, and the
    # canvas finds what is under the mouse (a canvas over SVG would hide the units' hover)
    m.options["prefer_canvas"] = True
    shared = f"ur_facilities_{m.get_name()}"
    n = sum(1 for k in m.get_root().header._children if k.startswith("ur_facilities_"))
    shared += f"_{n}" if n else ""
    m.get_root().header.add_child(_compact.RawHtml(f"<script>{FACILITIES_JS}</script>"), name="ur_facilities_js")
    m.get_root().header.add_child(_compact.RawHtml(f"<script>var {shared} = {script_json(data)};</script>"),
                                  name=shared)
    aliases = [labels.ui_text("category", language=language), labels.ui_text("name", language=language)]
    for i, label in enumerate(data["cats"]):
        FacilityLayer(shared, i, aliases, name=html_text(label)).add_to(m)
    return list(zip(data["p"], data["cats"], strict=True))
