"""The accessibility step: one demand point per unit for every measure, a time for every
unit with a reach label, tt rasters in every mode, isochrones that match the cells."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml

from urbanrural.analysis.accessibility.friction import NODATA
from urbanrural.pipeline import run


def _edit(path, *, maps=None, **acc):
    cfg = yaml.safe_load(path.read_text())
    cfg["analyses"] = {"accessibility": acc}
    cfg["roads"]["node_crossings"] = True
    if maps is not None:
        cfg["outputs"] = {"dir": "out", "maps": maps, "formats": ["html"]}
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return cfg


@pytest.mark.parametrize("how", ["centroid", "raster", "weighted_centroid"])
def test_straight_line_and_travel_time_come_from_the_same_points(small_study, tmp_path, how):
    # straight line at 30 km/h, circuity 1.2: minutes = km x 1000 x 1.2 / 500, per point, so the
    # population-weighted unit means are proportional too, whatever the demand points
    _edit(small_study, mode="euclidean", demand=how, thresholds=[10], circuity=1.2, speed_kmh=30)
    res = run(small_study, out_dir=tmp_path / "o")
    u = gpd.read_file(res.results_gpkg, layer="units")
    for cat in ("hospital", "school"):
        np.testing.assert_allclose(u[f"tt_{cat}_min"], u[f"dist_{cat}_km"] * 1000 * 1.2 / 500, rtol=1e-9, atol=1e-9)
        assert (u[f"reach_{cat}"] == "ok").all()
    v = res.run["variants"]
    assert "centroid" in v["accessibility"]["demand"] and "straight line" in v["straight_line"]
    if how == "raster":
        assert "population-weighted mean" in v["straight_line"]


def test_centroid_demand_uses_the_centroid_and_names_it(small_study, tmp_path):
    _edit(small_study, mode="euclidean", demand="centroid", thresholds=[10], circuity=1.0, speed_kmh=60)
    res = run(small_study, out_dir=tmp_path / "o")
    u = gpd.read_file(res.results_gpkg, layer="units").to_crs(32650)
    c = u.geometry.centroid
    hosp = [shapely.Point(401_000, 4_301_000), shapely.Point(405_000, 4_303_000)]
    ref = np.min([c.distance(h).to_numpy() for h in hosp], axis=0) / 1000
    np.testing.assert_allclose(u["dist_hospital_km"], ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(u["tt_hospital_min"], ref, rtol=1e-9, atol=1e-9)  # 60 km/h: a minute per km
    assert "0 of 6 units use the representative point" in res.run["variants"]["accessibility"]["demand"]


def test_unit_without_people_keeps_a_time_and_says_so(small_study, tmp_path):
    pop_path = small_study.parent / "pop.tif"
    with rasterio.open(pop_path) as src:
        profile, a = src.profile, src.read(1)
    a[20:40, 40:60] = 0  # unit 0101003 (the south-east square) is empty
    with rasterio.open(pop_path, "w", **profile) as dst:
        dst.write(a, 1)
    _edit(small_study, mode="network", thresholds=[5, 10], measures=["nearest", "2sfca", "raam"])
    res = run(small_study, out_dir=tmp_path / "o")
    u = gpd.read_file(res.results_gpkg, layer="units").set_index("code")
    assert u.loc["0101003", "reach_hospital"] == "no people"
    assert np.isfinite(u.loc["0101003", "tt_hospital_min"]) and np.isfinite(u.loc["0101003", "dist_hospital_km"])
    assert u.loc["0101003", "acc_2sfca_hospital"] >= 0 and np.isnan(u.loc["0101003", "acc_raam_hospital"])
    assert np.isnan(u.loc["0101003", "within_5min_share_hospital"])  # no people: no share
    others = u.drop(index="0101003")
    assert (others["reach_hospital"] == "ok").all() and others["tt_hospital_min"].notna().all()
    summ = res.run["results"]["accessibility"]
    assert summ["unit_points_without_people"] == 1
    # its time is the time from its centroid (network: nearest node + walk)
    from urbanrural.analysis.accessibility import network
    from urbanrural.layers.readers import read_roads

    roads = read_roads(small_study.parent / "roads.gpkg", class_col="road_class", speeds={"county": 40, "village": 25})
    g = network.build_graph(roads, node_crossings=True)
    ref = network.nearest_facility(g, np.array([[405_000.0, 4_301_000.0]]),
                                   np.array([[401_000.0, 4_301_000.0], [405_000.0, 4_303_000.0]]), walk_kmh=5.0)
    assert u.loc["0101003", "tt_hospital_min"] == pytest.approx(ref.cost[0], rel=1e-9)


@pytest.mark.parametrize("mode", ["network", "euclidean", "raster"])
def test_tt_raster_and_map_exist_in_every_mode_with_centroid_demand(small_study, tmp_path, mode):
    _edit(small_study, mode=mode, demand="centroid", thresholds=[15, 30], resolution=200,
          maps=["tt:hospital", "iso:hospital"])
    res = run(small_study, out_dir=tmp_path / "o")
    path = tmp_path / "o" / "rasters" / "tt_hospital.tif"
    with rasterio.open(path) as src:
        tt = src.read(1)
    inside = tt != NODATA
    assert inside.mean() > 0.5 and (tt[inside] >= 0).all()
    assert "maps/tt_hospital.html" in res.run["results"]["maps"]
    assert "maps/iso_hospital.html" in res.run["results"]["maps"]
    assert not [n for n in res.run["analyses"] if n["analysis"] == "maps"]
    iso = gpd.read_file(res.results_gpkg, layer="isochrones").to_crs(32650)
    units = gpd.read_file(res.results_gpkg, layer="units").to_crs(32650)
    study = shapely.union_all(units.geometry.to_numpy())
    for geom, th in zip(iso.loc[iso["category"] == "hospital", "geometry"], iso.loc[iso["category"] == "hospital",
                                                                                  "minutes"], strict=True):
        assert geom.difference(study).area < 1e-3 * study.area
        assert abs(geom.area / study.area - ((tt[inside] >= 0) & (tt[inside] <= th)).mean()) < 0.05


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    import urbanrural as ur

    d = tmp_path_factory.mktemp("demo")
    cfg = ur.layers.demo_region(d / "demo")
    return run(cfg, out_dir=d / "out")


@pytest.mark.slow
def test_demo_isochrones_agree_with_the_travel_time_cells(demo_run):
    out = demo_run.out_dir
    iso = gpd.read_file(demo_run.results_gpkg, layer="isochrones")
    units = gpd.read_file(demo_run.results_gpkg, layer="units").to_crs(iso.crs)
    study = shapely.union_all(units.geometry.to_numpy())
    assert {"hospital", "clinic", "school", "bus_stop"} <= set(iso["category"])
    for (cat, th), geom in zip(zip(iso["category"], iso["minutes"], strict=True), iso.geometry, strict=True):
        with rasterio.open(out / "rasters" / f"tt_{cat}.tif") as src:
            tt = src.read(1)
        cells = tt[tt != NODATA]
        share = ((cells >= 0) & (cells <= th)).mean()
        assert abs(geom.area / study.area - share) < 0.05, (cat, th)
        assert geom.difference(study).area < 1e-6 * study.area
    h30 = iso[(iso["category"] == "hospital") & (iso["minutes"] == 30)].geometry.iloc[0]
    assert 0.3 < h30.area / study.area < 0.45  # was 0.76 with hulls around the reached nodes
    assert demo_run.run["timings_s"]["accessibility"] < 30


@pytest.mark.slow
def test_demo_units_have_dist_tt_and_reach_from_one_point(demo_run):
    u = gpd.read_file(demo_run.results_gpkg, layer="units")
    for cat in ("hospital", "school", "clinic"):
        assert set(u[f"reach_{cat}"]) <= {"ok", "unreachable", "no people"}
        assert (u[f"tt_{cat}_min"].isna() == (u[f"reach_{cat}"] == "unreachable")).all()
        assert u[f"dist_{cat}_km"].notna().all()
    v = demo_run.run["variants"]
    assert "population-weighted mean over the unit's populated cells" in v["straight_line"]
    assert "populated raster cells" in v["accessibility"]["demand"]


def test_grouped_and_plain_od_tables_give_the_same_scores(small_study, tmp_path, monkeypatch):
    """The step keeps network OD pairs grouped by road node when the plain table would not fit
    its share of the memory budget: every FCA score and RAAM equal, bit for bit."""
    from urbanrural._steps import accessibility

    _edit(small_study, mode="network", resolution=100, thresholds=[15, 30], max_cost=30,
          measures=["nearest", "2sfca", "e2sfca", "3sfca", "gravity", "cumulative", "raam"])
    plain = run(small_study, out_dir=tmp_path / "plain")
    monkeypatch.setattr(accessibility, "PLAIN_SHARE", 0.0)  # never fits: grouped
    grouped = run(small_study, out_dir=tmp_path / "grouped")
    a = gpd.read_file(plain.results_gpkg, layer="units")
    b = gpd.read_file(grouped.results_gpkg, layer="units")
    cols = [c for c in a.columns if c.startswith("acc_")]
    assert len(cols) >= 14 and a[cols].notna().all().all()
    assert np.array_equal(a[cols].to_numpy(dtype=float), b[cols].to_numpy(dtype=float))
    ta = pd.read_csv(plain.out_dir / "tables" / "accessibility_summary.csv")
    tb = pd.read_csv(grouped.out_dir / "tables" / "accessibility_summary.csv")
    assert (ta["od_pairs"] > 0).all()
    pd.testing.assert_frame_equal(ta, tb)
