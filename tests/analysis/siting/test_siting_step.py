"""The siting step end to end on the demo county: clinics (rural demand) and nursing homes
proposed around the protected land the demo carries.

Independent checks: no proposed site lies in the protected polygons (shapely on the
demo's own protected.gpkg); the people newly covered per site add up to the plan's
before/after difference; with rural-only demand no urban person is newly covered by the
clinics; coverage after recomputed here from the run's OD-free outputs (the per-unit time
after never exceeds the time before).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _support import demo_run_dir


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    return demo_run_dir(tmp_path_factory, "en")


@pytest.fixture(scope="module")
def run_json(demo_run) -> dict:
    return json.loads((demo_run / "run.json").read_text(encoding="utf-8"))


def test_proposed_sites_respect_the_protected_land(demo_run):
    sites = gpd.read_file(demo_run / "results.gpkg", layer="sites")
    zones = gpd.read_file(demo_run.parent / "data" / "protected.gpkg").to_crs(sites.crs)
    proposed = sites[sites["status"] == "proposed"]
    assert set(proposed["category"]) == {"clinic", "nursing_home"}
    assert (proposed.groupby("category").size() == pd.Series({"clinic": 3, "nursing_home": 2})).all()
    inside = shapely.intersects(proposed.geometry.to_numpy()[:, None], zones.geometry.to_numpy()[None, :])
    assert not inside.any()


@pytest.mark.parametrize("cat", ["clinic", "nursing_home"])
def test_before_after_adds_up(demo_run, cat):
    ba = pd.read_csv(demo_run / "tables" / f"siting_{cat}_before_after.csv").set_index("class")
    per_site = pd.read_csv(demo_run / "tables" / f"siting_{cat}_sites.csv")
    assert per_site["newly_covered"].sum() == pytest.approx(ba.loc["all", "newly_covered"], rel=1e-9)
    assert ba.loc["all", "covered_after"] - ba.loc["all", "covered_before"] == pytest.approx(
        ba.loc["all", "newly_covered"] - ba.loc["all", "lost"], rel=1e-9)
    assert ba.loc["all", "share_after"] >= ba.loc["all", "share_before"]
    assert ba.loc["rural", "mean_min_after"] <= ba.loc["rural", "mean_min_before"] + 1e-9


def test_rural_only_clinics_cover_rural_people(demo_run, run_json):
    ba = pd.read_csv(demo_run / "tables" / "siting_clinic_before_after.csv").set_index("class")
    assert ba.loc["urban", "newly_covered"] == 0 and ba.loc["rural", "newly_covered"] > 0
    # the rural/urban coverage gap narrows
    assert abs(ba.loc["rural/urban gap", "share_after"]) < abs(ba.loc["rural/urban gap", "share_before"])
    info = run_json["results"]["siting"]["clinic"]
    assert info["solver"] == "highs" and info["gap"] == 0.0
    assert "44 excluded by ecological red line" in info["constraints"] or "excluded by ecological red line" in \
        info["constraints"]


def test_time_after_never_longer(demo_run):
    u = gpd.read_file(demo_run / "results.gpkg", layer="units")
    for cat in ("clinic", "nursing_home"):
        after, before = u[f"tt_after_{cat}_min"], u[f"tt_{cat}_min"]
        both = after.notna() & before.notna()
        assert (after[both] <= before[both] + 1e-6).all()


def test_curve_gains_fall(demo_run):
    curve = pd.read_csv(demo_run / "tables" / "siting_clinic_curve.csv")
    assert list(curve["k"]) == [1, 2, 3, 4, 5, 6]
    assert np.all(np.diff(curve["objective"]) >= -1e-6)
    html = (demo_run / "report.html").read_text(encoding="utf-8")
    assert "Where to build next" in html and "new site(s)" in html


def test_newly_covered_per_unit_adds_up(demo_run):
    u = gpd.read_file(demo_run / "results.gpkg", layer="units")
    for cat in ("clinic", "nursing_home"):
        ba = pd.read_csv(demo_run / "tables" / f"siting_{cat}_before_after.csv").set_index("class")
        assert u[f"newly_covered_{cat}"].sum() == pytest.approx(ba.loc["all", "newly_covered"], rel=1e-9)


def test_siting_reuses_the_accessibility_snap(monkeypatch):
    """The siting step prices sites from the accessibility step's demand points without
    snapping them again (the cached snap, subset to the points with people): same table."""
    from types import SimpleNamespace

    from urbanrural._steps import siting
    from urbanrural.analysis.accessibility import network

    roads = gpd.GeoDataFrame({"speed_kmh": [40.0, 20.0]}, crs=32650, geometry=[
        shapely.LineString([(0, 0), (5000, 0)]), shapely.LineString([(5000, 0), (5000, 5000)])])
    graph = network.build_graph(roads)
    rng = np.random.default_rng(0)
    pts = pd.DataFrame({"x": rng.uniform(0, 5000, 300), "y": rng.uniform(0, 500, 300),
                        "people": np.where(rng.random(300) < 0.3, 0.0, 5.0)})
    snap = network.snap(graph, pts[["x", "y"]].to_numpy())
    acc = SimpleNamespace(mode="network", speed_kmh=30.0, circuity=1.2)
    ctx = SimpleNamespace(cache={"accessibility": {"points": pts, "snap": snap, "graph": graph, "mode": "network",
                                                   "walk_kmh": 5.0, "surface": None}},
                          config=SimpleNamespace(analyses=SimpleNamespace(accessibility=acc), roads=None),
                          area=SimpleNamespace(roads=roads), units=pd.DataFrame(index=pd.Index([], name="unit")))
    points = siting._points(ctx)
    assert len(points) == int((pts["people"] > 0).sum())
    calls = []
    real = network.snap
    monkeypatch.setattr(network, "snap", lambda g, xy, **kw: calls.append(len(xy)) or real(g, xy, **kw))
    costs = siting._Costs(ctx, points)
    sites = pd.DataFrame({"x": [1000.0, 4900.0], "y": [10.0, 3000.0]}, index=["s1", "s2"])
    od = costs.od(sites, 60.0)
    assert len(points) not in calls and calls == [2]  # only the sites were snapped
    fresh = network.od_table(graph, points[["x", "y"]], sites, max_cost=60.0, walk_kmh=5.0)
    pd.testing.assert_frame_equal(od, fresh)
    assert len(od) > 200
