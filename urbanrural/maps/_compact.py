"""Compact vector layers for the offline HTML maps.

GeoJSON spends most of its bytes on coordinates written in full (``[115.84771, 38.84313]``)
and on repeated keys. A layer here is one JSON object decoded in the browser by a small
inlined function (``urDecode``) into an ``L.geoJSON`` layer:

- coordinates are integers on a grid of ``r`` degrees (1/50,000 of the layer's extent:
  ~1/50 pixel at the initial zoom, ~1 m for a county) written as differences from the
  previous vertex, continuing across rings and features,
  so neighbouring units cost a few characters per vertex; rings drop their closing vertex;
- colours are indices into a palette; tooltip values are one array per column, already
  HTML-escaped in Python (the browser inserts them as HTML), column names likewise.

A simple polygon with two tooltip fields costs about 50-70 bytes (``GeoDataFrame.explore``
writes ~290).

Layout::

    {"k": "polygon" | "line", "o": [lon0, lat0], "r": step,
     "g": per feature, polygon: [[[dx, dy, ...] ring, ...] polygon, ...]; line: [[dx, dy, ...] part, ...],
     "c": [palette index per feature], "p": [colour, ...], "t": [[value per feature] per tooltip column]}

Examples
--------
>>> import shapely, numpy as np
>>> enc = encode(np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]), step=0.5)
>>> enc["k"], enc["o"], enc["g"]  # feature > polygon > ring; the 2nd ring starts from the 1st's end
('polygon', [0.0, 0.0], [[[[2, 0, 0, 2, -2, 0, 0, -2]]], [[[4, 0, 0, 2, -2, 0, 0, -2]]]])
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import folium
import numpy as np
import shapely
from jinja2 import Template
from numpy.typing import NDArray

from ..geo.errors import DataError

__all__ = ["encode", "CompactLayer", "DECODER_JS", "add_decoder", "safe_json"]

_POLY = {"Polygon", "MultiPolygon"}
_LINE = {"LineString", "MultiLineString", "LinearRing"}


def safe_json(obj: object) -> str:
    """JSON safe inside an HTML ``<script>`` (``<``, ``>``, ``&`` and line separators escaped)."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _rings(geom: shapely.Geometry) -> list[list[NDArray[np.float64]]]:
    """Polygons as lists of rings (exterior first), closing vertex dropped; lines as [[part]]."""
    parts = shapely.get_parts(geom)
    out = []
    for p in parts:
        if p.geom_type == "Polygon":
            rings = [np.asarray(p.exterior.coords)[:-1]] + [np.asarray(r.coords)[:-1] for r in p.interiors]
            out.append([r for r in rings if len(r) >= 3])
        else:
            out.append([np.asarray(p.coords)])
    return out


def encode(geoms: NDArray[np.object_], *, step: float | None = None) -> dict:
    """Encode polygons or lines (lon/lat) as integer deltas on a grid of ``step`` degrees.

    ``step`` defaults to 1/50,000 of the larger side of the extent (at least 1e-7).
    Empty or missing geometries become empty features (kept, so indices stay aligned).
    """
    geoms = np.asarray(geoms, dtype=object)
    present = [g for g in geoms if g is not None and not g.is_empty]
    kinds = {g.geom_type for g in present}
    if kinds <= _POLY:
        kind = "polygon"
    elif kinds <= _LINE:
        kind = "line"
    else:
        raise DataError(f"a compact layer holds polygons or lines, not a mix of {sorted(kinds)}")
    if present:
        x0, y0, x1, y1 = shapely.total_bounds(np.array(present, dtype=object))
    else:
        x0 = y0 = x1 = y1 = 0.0
    r = float(step) if step is not None else max(max(x1 - x0, y1 - y0) / 50_000, 1e-7)
    cx = cy = 0
    out = []
    for g in geoms:
        if g is None or g.is_empty:
            out.append([])
            continue
        feat = []
        for part in _rings(g):
            enc_part = []
            for ring in part:
                q = np.rint((ring - (x0, y0)) / r).astype(np.int64)
                keep = np.ones(len(q), dtype=bool)
                keep[1:] = (q[1:] != q[:-1]).any(axis=1)  # drop vertices that collapse on the grid
                q = q[keep]
                if kind == "polygon" and len(q) < 3:
                    continue
                d = np.diff(np.vstack([[cx, cy], q]), axis=0)
                cx, cy = int(q[-1, 0]), int(q[-1, 1])
                enc_part.append(d.ravel().tolist())
            if enc_part:
                feat.append(enc_part if kind == "polygon" else enc_part[0])
        out.append(feat)
    return {"k": kind, "o": [float(x0), float(y0)], "r": r, "g": out}


DECODER_JS = """
function urDecode(d, aliases) {
  var x = 0, y = 0, feats = [];
  function ring(a, close) {
    var c = [];
    for (var i = 0; i < a.length; i += 2) { x += a[i]; y += a[i + 1];
      c.push([d.o[0] + x * d.r, d.o[1] + y * d.r]); }
    if (close && c.length) c.push(c[0]);
    return c;
  }
  for (var f = 0; f < d.g.length; f++) {
    var g = d.g[f], geom;
    if (d.k === "polygon") {
      var polys = g.map(function (p) { return p.map(function (r) { return ring(r, true); }); });
      geom = {type: "MultiPolygon", coordinates: polys};
    } else {
      geom = {type: "MultiLineString", coordinates: g.map(function (p) { return ring(p, false); })};
    }
    var tip = "";
    for (var k = 0; k < d.t.length; k++) {
      tip += "<tr><th style='text-align:left;padding-right:6px'>" + aliases[k] + "</th><td>" + d.t[k][f] + "</td></tr>";
    }
    feats.push({type: "Feature", geometry: geom, properties: {c: d.p[d.c[f]], tip: tip}});
  }
  return {type: "FeatureCollection", features: feats.filter(function (f) { return f.geometry.coordinates.length; })};
}
function urLayer(d, aliases) {
  var line = d.k === "line";
  return L.geoJSON(urDecode(d, aliases), {
    style: function (f) {
      return line ? {color: f.properties.c, weight: 2, opacity: 0.9}
                  : {fillColor: f.properties.c, color: "#555", weight: 0.5, fillOpacity: 0.8};
    },
    onEachFeature: function (f, l) {
      if (f.properties.tip) l.bindTooltip("<table>" + f.properties.tip + "</table>", {sticky: true});
    }
  });
}
"""


class CompactLayer(folium.map.Layer):
    """A folium layer drawn from :func:`encode` data by ``urLayer`` (listed in the layer control).

    The page needs :data:`DECODER_JS` once (see :func:`add_decoder`)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = urLayer({{ this.data }}, {{ this.aliases }});
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: dict, aliases: Sequence[str], *, name: str) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "CompactLayer"
        self.data = safe_json(data)
        self.aliases = safe_json(list(aliases))


def add_decoder(m: folium.Map) -> None:
    """Put the decoder in the page header (once: a named child is replaced, not repeated)."""
    m.get_root().header.add_child(folium.Element(f"<script>{DECODER_JS}</script>"), name="ur_decoder")
