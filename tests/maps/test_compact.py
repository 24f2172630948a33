"""Compact layer encoding: decoded (by an independent Python reading of the format) back to
the input within half a grid step, holes, multipart and lines included."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanrural.geo.errors import DataError
from urbanrural.maps._compact import encode, safe_json


def _decode(enc):
    x = y = 0
    out = []
    for feat in enc["g"]:
        parts = []
        for part in feat:
            rings = part if enc["k"] == "polygon" else [part]
            dec = []
            for r in rings:
                pts = []
                for i in range(0, len(r), 2):
                    x += r[i]
                    y += r[i + 1]
                    pts.append((enc["o"][0] + x * enc["r"], enc["o"][1] + y * enc["r"]))
                dec.append(pts)
            parts.append(dec if enc["k"] == "polygon" else dec[0])
        out.append(parts)
    return out


def test_holes_multipart_and_empty():
    donut = shapely.box(0, 0, 10, 10).difference(shapely.box(3, 3, 6, 6))
    multi = shapely.MultiPolygon([shapely.box(20, 0, 21, 1), shapely.box(22, 0, 23, 1)])
    enc = encode(np.array([donut, None, multi], dtype=object), step=0.01)
    dec = _decode(enc)
    assert len(dec) == 3 and dec[1] == []
    assert len(dec[0]) == 1 and len(dec[0][0]) == 2  # one polygon, exterior + hole
    assert len(dec[2]) == 2
    poly = shapely.Polygon(dec[0][0][0], holes=dec[0][0][1:])
    assert poly.area == pytest.approx(donut.area)
    assert shapely.equals(shapely.normalize(poly), shapely.normalize(donut))


def test_lines_and_mixed_refused():
    enc = encode(np.array([shapely.LineString([(0, 0), (1, 1), (2, 0)])]), step=0.5)
    assert enc["k"] == "line" and _decode(enc)[0][0] == [(0, 0), (1, 1), (2, 0)]
    with pytest.raises(DataError, match="mix"):
        encode(np.array([shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (1, 1)])]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(100, 120), st.floats(20, 45), st.floats(0.001, 0.5)), min_size=1, max_size=12))
def test_round_trip_within_half_a_step(boxes):
    geoms = np.array([shapely.box(x, y, x + w, y + w) for x, y, w in boxes], dtype=object)
    enc = encode(geoms)
    for g, d in zip(geoms, _decode(enc), strict=True):
        got = np.array(d[0][0])
        want = np.asarray(g.exterior.coords)[:-1]
        # vertices that collapse on the grid are dropped; every kept one is within half a step
        dist = np.abs(want[:, None, :] - got[None, :, :]).max(axis=2).min(axis=0)
        assert (dist <= enc["r"] / 2 + 1e-9).all()


def test_safe_json_cannot_close_a_script():
    s = safe_json({"t": ["</script><script>alert(1)</script>", "a\u2028b"]})
    assert "</" not in s and "\u2028" not in s
    assert json.loads(s)["t"][0].startswith("</script>")
