"""Compact vector layers for the offline HTML maps.

GeoJSON spends most of its bytes on coordinates written in full (``[115.84771, 38.84313]``)
and on repeated keys. A layer here is one JSON object decoded in the browser by a small
inlined function (``urDecode``) into an ``L.geoJSON`` layer:

- coordinates are integers on a grid of ``r`` degrees (1/50,000 of the layer's extent:
  ~1/50 pixel at the initial zoom, ~1 m for a county) written as differences from the
  previous vertex, continuing across rings and features,
  so neighbouring units cost a few characters per vertex; rings drop their closing vertex;
- colours are indices into a palette; tooltip values are one array per column of raw
  text, column names likewise: the JSON is made safe for ``<script>`` by
  :func:`.escape.script_json` and the browser builds the tooltip table with
  ``textContent`` (never as HTML), so no value can become markup or script;
- points (``"k": "point"``) are one ``[dx, dy]`` per feature, drawn as circle markers with
  a radius per feature (``"s"``).

A simple polygon with two tooltip fields costs about 50-70 bytes (``GeoDataFrame.explore``
writes ~290).

Layout::

    {"k": "polygon" | "line" | "point", "o": [lon0, lat0], "r": step,
     "g": per feature, polygon: [[[dx, dy, ...] ring, ...] polygon, ...]; line: [[dx, dy, ...] part, ...];
          point: [dx, dy],
     "c": [palette index per feature], "p": [colour, ...], "t": [[text per feature] per tooltip column],
     "s": [radius per feature] (points only),
     optional style: "fo" fill opacity (0: outline only), "w" line weight, "lc" line colour,
     "ni" not interactive (no tooltip or hover highlight: layers drawn over others)}

Hovering a feature highlights its outline (and brings a polygon to the front).

Examples
--------
>>> import shapely, numpy as np
>>> enc = encode(np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]), step=0.5)
>>> enc["k"], enc["o"], enc["g"]  # feature > polygon > ring; the 2nd ring starts from the 1st's end
('polygon', [0.0, 0.0], [[[[2, 0, 0, 2, -2, 0, 0, -2]]], [[[4, 0, 0, 2, -2, 0, 0, -2]]]])
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import numpy as np
import shapely
from jinja2 import Template
from numpy.typing import NDArray

from ..geo.errors import DataError
from .escape import script_json

__all__ = ["encode", "CompactLayer", "DECODER_JS", "add_decoder", "safe_json", "RawHtml"]

_POLY = {"Polygon", "MultiPolygon"}
_LINE = {"LineString", "MultiLineString", "LinearRing"}
_POINT = {"Point"}


safe_json = script_json  # the old name of :func:`.escape.script_json`


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
    elif kinds <= _POINT:
        kind = "point"
    else:
        raise DataError(f"a compact layer holds polygons, lines or points, not a mix of {sorted(kinds)}")
    geoms = np.array([g if g is None else shapely.force_2d(g) for g in geoms], dtype=object)
    present = [g for g in geoms if g is not None and not g.is_empty]
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
        if kind == "point":
            q = np.rint((np.array([g.x, g.y]) - (x0, y0)) / r).astype(np.int64)
            out.append([int(q[0]) - cx, int(q[1]) - cy])
            cx, cy = int(q[0]), int(q[1])
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
function urTip(aliases, values) {
  var t = document.createElement("table");
  for (var k = 0; k < aliases.length; k++) {
    var tr = t.insertRow(), th = document.createElement("th"), td = tr.insertCell();
    th.style.textAlign = "left"; th.style.paddingRight = "6px";
    th.textContent = aliases[k]; td.textContent = values[k];
    tr.insertBefore(th, td);
  }
  return t;
}
function urDecode(d) {
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
    if (d.k === "point") {
      if (!g.length) { feats.push(null); continue; }
      geom = {type: "Point", coordinates: ring(g, false)[0]};
    } else if (d.k === "polygon") {
      var polys = g.map(function (p) { return p.map(function (r) { return ring(r, true); }); });
      geom = {type: "MultiPolygon", coordinates: polys};
    } else {
      geom = {type: "MultiLineString", coordinates: g.map(function (p) { return ring(p, false); })};
    }
    feats.push({type: "Feature", geometry: geom, properties: {i: f, c: d.p[d.c[f]]}});
  }
  return {type: "FeatureCollection", features: feats.filter(function (f) {
    return f && f.geometry.coordinates.length; })};
}
function urLayer(d, aliases) {
  var line = d.k === "line", fo = d.fo === undefined ? 0.8 : d.fo, ni = !!d.ni;
  return L.geoJSON(urDecode(d), {
    interactive: !ni,
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, {radius: d.s ? d.s[f.properties.i] : 5, color: f.properties.c,
                                     fillColor: f.properties.c, fillOpacity: 0.9, weight: 1, interactive: !ni});
    },
    style: function (f) {
      if (d.k === "point") return {};
      return line ? {color: f.properties.c, weight: d.w || 2, opacity: 0.9}
                  : {fillColor: f.properties.c, color: d.lc || "#555", weight: d.w === undefined ? 0.5 : d.w,
                     fillOpacity: fo};
    },
    onEachFeature: function (f, l) {
      if (ni) return;
      l.on("mouseover", function () {
        l._urOld = {weight: l.options.weight, color: l.options.color};
        l.setStyle({weight: (l.options.weight || 1) + 2.5, color: "#111"});
        if (!line && d.k !== "point" && l.bringToFront) {
          l.bringToFront();
          if (window.urFront) urFront(l);  // facilities stay on top (see _facilities.py)
        }
      });
      l.on("mouseout", function () { if (l._urOld) l.setStyle(l._urOld); });
      if (!d.t.length) return;
      l.bindTooltip(function () {
        return urTip(aliases, d.t.map(function (col) { return col[f.properties.i]; }));
      }, {sticky: true});
    }
  });
}
"""


class RawHtml(folium.Element):
    """Finished HTML put in the page as it is.

    ``folium.Element(text)`` treats ``text`` as a Jinja2 *template*: ``{{7*7}}`` in a
    legend label would be evaluated when the map is rendered (template injection). This
    element holds the text as data and writes it unchanged; escape it first (:mod:`.escape`).
    """

    _template = Template("{{ this.raw }}")

    def __init__(self, raw: str) -> None:
        super().__init__()
        self._name = "RawHtml"
        self.raw = raw


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
        """``data`` from :func:`encode` plus ``c``, ``p``, ``t`` (raw text); ``aliases`` raw
        text; ``name`` is shown in the layer control as HTML: pass :func:`.escape.html_text`."""
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "CompactLayer"
        self.data = safe_json(data)
        self.aliases = safe_json(list(aliases))


def add_decoder(m: folium.Map) -> None:
    """Put the decoder in the page header (once: a named child is replaced, not repeated)."""
    m.get_root().header.add_child(RawHtml(f"<script>{DECODER_JS}</script>"), name="ur_decoder")
