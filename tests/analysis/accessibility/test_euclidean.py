"""Straight-line engine: hand-worked minutes, brute-force OD, CRS refusal."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from urbanrural.analysis.accessibility import euclidean
from urbanrural.geo.errors import CRSError, DataError


def test_by_hand():
    o = pd.DataFrame({"x": [0.0, 10_000.0], "y": [0.0, 0.0]}, index=["a", "b"])
    f = pd.DataFrame({"x": [3000.0], "y": [4000.0]}, index=["h"])
    od = euclidean.od_table(o, f, max_cost=15, speed_kmh=30, circuity=1.2)
    # a: 5 km x 1.2 / 30 km/h = 12 min; b: 8.06 km x 1.2 / 30 km/h = 19.3 min > 15
    assert od.to_dict("records") == [{"origin": "a", "destination": "h", "cost": pytest.approx(12.0)}]
    t = euclidean.nearest_minutes(o, f, speed_kmh=30, circuity=1.2)
    assert t == pytest.approx([12.0, np.hypot(7000, 4000) * 1.2 / 500])


def test_od_equals_brute_force_and_keeps_zero_distance():
    rng = np.random.default_rng(2)
    o = pd.DataFrame(rng.uniform(0, 20_000, (80, 2)), columns=["x", "y"])
    f = pd.DataFrame(rng.uniform(0, 20_000, (9, 2)), columns=["x", "y"])
    f.iloc[0] = o.iloc[0]  # a facility exactly at an origin: cost 0 must be kept
    od = euclidean.od_table(o, f, max_cost=20, speed_kmh=40, circuity=1.25)
    d = np.hypot(o["x"].to_numpy()[:, None] - f["x"].to_numpy()[None, :],
                 o["y"].to_numpy()[:, None] - f["y"].to_numpy()[None, :]) * 1.25 / (40_000 / 60)
    oi, fi = np.nonzero(d <= 20)
    assert len(od) == len(oi)
    np.testing.assert_allclose(od["cost"].to_numpy(), d[oi, fi], rtol=1e-12)  # both in (origin, dest) order
    assert (od["origin"].to_numpy() == oi).all() and (od["destination"].to_numpy() == fi).all()
    assert od.iloc[0]["cost"] == 0.0
    near = euclidean.nearest_minutes(o.to_numpy(), f.to_numpy(), speed_kmh=40, circuity=1.25)
    np.testing.assert_allclose(near, d.min(axis=1), rtol=1e-12)


def test_bad_input():
    o = np.array([[0.0, 0.0]])
    with pytest.raises(DataError, match="circuity"):
        euclidean.nearest_minutes(o, o, circuity=0.9)
    with pytest.raises(DataError, match="speed_kmh"):
        euclidean.nearest_minutes(o, o, speed_kmh=0)
    with pytest.raises(DataError, match="max_cost"):
        euclidean.od_table(o, o, max_cost=0)
    with pytest.raises(CRSError, match="geographic"):
        euclidean.nearest_minutes(o, o, crs="EPSG:4326")
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(116, 39)], crs=4326)
    with pytest.raises(CRSError, match="geographic"):
        euclidean.od_table(pts, pts, max_cost=10)
    assert np.isinf(euclidean.nearest_minutes(o, np.empty((0, 2)))).all()
