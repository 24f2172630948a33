"""The accessibility step end to end on the small study and on the demo county."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml

from urbanrural.analysis.accessibility import demand
from urbanrural.config import load_config
from urbanrural.geo.raster import zonal_sum
from urbanrural.pipeline import build_study_area, run


def test_raster_demand_points_preserve_zonal_sums(small_study):
    area = build_study_area(load_config(small_study))
    pts = demand.from_raster(area.population.raster, area.units)
    by_unit = pts.groupby("unit")["people"].sum().reindex(area.units.index).fillna(0)
    ref = zonal_sum(area.population.raster.path, area.units).sums
    np.testing.assert_allclose(by_unit.to_numpy(), ref.reindex(area.units.index).to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("mode", ["network", "euclidean"])
def test_step_writes_times_shares_and_scores(small_study, tmp_path, mode):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"accessibility": {"mode": mode, "thresholds": [5, 10], "max_cost": 30,
                                         "measures": ["nearest", "2sfca", "e2sfca", "gravity", "3sfca"]}}
    cfg["roads"]["node_crossings"] = True  # the fixture's roads cross without shared vertices
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "out")
    u = gpd.read_file(res.results_gpkg, layer="units")
    for cat in ("hospital", "school"):
        assert u[f"tt_{cat}_min"].between(0, 120).all()
        assert u[f"within_10min_share_{cat}"].between(0, 1).all()
        assert (u[f"within_10min_share_{cat}"] >= u[f"within_5min_share_{cat}"]).all()
        assert u[f"acc_2sfca_{cat}"].notna().all()
    cov = pd.read_csv(tmp_path / "out" / "tables" / "accessibility.csv")
    assert set(cov["threshold_min"]) == {5, 10}
    assert list(cov.columns[:2]) == ["category", "urban_class"]  # no unnamed row-number column
    assert res.run["variants"]["accessibility"]["engine"] == mode


def test_crossing_without_vertex_is_an_island_unless_noded(small_study, tmp_path):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"accessibility": {"mode": "network", "thresholds": [10]}}
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "a")
    notes = " ".join(n["detail"] for n in res.run["analyses"])
    assert "disconnected" in notes and "node_crossings" in notes and "can reach no" in notes


def _edit(path, **acc):
    cfg = yaml.safe_load(path.read_text())
    cfg["analyses"] = {"accessibility": acc}
    cfg["roads"]["node_crossings"] = True
    path.write_text(yaml.safe_dump(cfg))
    return cfg


def test_raster_mode_water_blocks_except_at_bridges(small_study, tmp_path):
    import rasterio
    import shapely

    from urbanrural.analysis.accessibility import friction
    from urbanrural.layers.readers import read_roads

    x0, y0 = 400_000.0, 4_300_000.0
    river = shapely.LineString([(x0 - 500, y0 + 2050), (x0 + 6500, y0 + 2050)])  # bridged by the N-S road
    gpd.GeoDataFrame(geometry=[river], crs=32650).to_file(small_study.parent / "river.gpkg")
    _edit(small_study, mode="raster", resolution=100, thresholds=[10, 30], measures=["nearest"],
          water="river.gpkg")
    res = run(small_study, out_dir=tmp_path / "water")
    fs = res.run["results"]["friction_surface"]
    assert fs["water_cells"] > 0 and fs["road_cells"] > 0
    assert "accessibility.water" in res.run["inputs"]
    with rasterio.open(tmp_path / "water" / "rasters" / "tt_school.tif") as src:
        tt, transform, nodata = src.read(1), src.transform, src.nodata
    # oracle: the same grid built by hand, water burned with every touched cell, off-road 5 km/h
    roads = read_roads(small_study.parent / "roads.gpkg", class_col="road_class",
                       speeds={"county": 40, "village": 25})
    wall = rasterio.features.geometry_mask([river], out_shape=tt.shape, transform=transform, invert=True,
                                           all_touched=True)
    s = friction.friction_surface(roads, transform=transform, shape=tt.shape, crs=32650, off_road_kmh=5.0,
                                  barrier=wall)
    ref = friction.travel_time(s, np.array([[x0 + 3000, y0 + 1000]]), engine="scipy")
    inside = tt != nodata
    fin = inside & (tt >= 0)
    np.testing.assert_allclose(tt[fin], ref[fin], rtol=1e-5)  # GeoTIFF is float32
    # only the water cells themselves are unreachable: the bridges connect both banks
    np.testing.assert_array_equal(inside & (tt == friction.UNREACHABLE), inside & np.isinf(s.minutes_per_m))
    # without water the far bank is nearer: the river costs a detour to a bridge
    _edit(small_study, mode="raster", resolution=100, thresholds=[10, 30], measures=["nearest"])
    run(small_study, out_dir=tmp_path / "dry")
    with rasterio.open(tmp_path / "dry" / "rasters" / "tt_school.tif") as src:
        tt_dry = src.read(1)
    both = (tt >= 0) & (tt_dry >= 0)
    assert (tt[both] >= tt_dry[both] - 1e-4).all()  # a barrier never makes a trip shorter
    ys = np.asarray(rasterio.transform.xy(transform, np.arange(tt.shape[0]), np.zeros(tt.shape[0], int))[1])
    north = both & (ys > y0 + 2150)[:, None]
    south = both & (ys < y0 + 1950)[:, None]
    # north-bank cells that walked south across the river now detour by the bridge
    assert (tt[north] > tt_dry[north] + 1).sum() >= 20
    np.testing.assert_allclose(tt[south], tt_dry[south], rtol=1e-6)  # the school's bank is unaffected


def test_raam_in_the_pipeline_converges_and_matches_the_function(small_study, tmp_path):
    from urbanrural.analysis.accessibility import raam as raam_mod

    _edit(small_study, mode="euclidean", thresholds=[10], max_cost=60, measures=["nearest", "raam", "2sfca"])
    res = run(small_study, out_dir=tmp_path / "o")
    u = gpd.read_file(res.results_gpkg, layer="units").set_index("code")
    summ = pd.read_csv(tmp_path / "o" / "tables" / "accessibility_summary.csv", index_col="category")
    assert bool(summ.loc["hospital", "raam_converged"]) and summ.loc["hospital", "raam_cycles"] >= 1
    assert u["acc_raam_hospital"].notna().all() and (u["acc_raam_hospital"] > 0).all()
    assert "raam" in res.run["variants"]["accessibility"]["raam"].lower()
    # one school: everyone within 60 min goes there, so RAAM = travel/60 + load / (rho * seats) = t/60 + 1
    area = build_study_area(load_config(small_study))
    pts = demand.from_raster(area.population.raster, area.units)
    from urbanrural.analysis.accessibility import euclidean

    od = euclidean.od_table(pts.reset_index(drop=True), pd.DataFrame({"x": [401_000.0 + 2000], "y": [4_301_000.0]}),
                            max_cost=60, speed_kmh=30, circuity=1.3)
    r = raam_mod.raam(od, pts["people"].reset_index(drop=True), pd.Series([300.0]), tau=60)
    np.testing.assert_allclose(r.cost.dropna(), od.set_index("origin")["cost"].loc[r.cost.dropna().index] / 60 + 1,
                               rtol=1e-12)


@pytest.mark.parametrize("policy", ["keep", "drop"])
def test_facilities_outside_the_area_kept_or_dropped(small_study, tmp_path, policy):
    import shapely

    x0, y0 = 400_000.0, 4_300_000.0
    gpd.GeoDataFrame({"beds": [100, 20, 500]}, crs=32650,
                     geometry=[shapely.Point(x0 + 1000, y0 + 1000), shapely.Point(x0 + 5000, y0 + 3000),
                               shapely.Point(x0 + 6500, y0 + 500)]).to_file(small_study.parent / "hospitals.gpkg")
    _edit(small_study, mode="euclidean", thresholds=[10], facilities_outside=policy)
    res = run(small_study, out_dir=tmp_path / policy)
    summ = pd.read_csv(tmp_path / policy / "tables" / "accessibility_summary.csv", index_col="category")
    assert summ.loc["hospital", "facilities_outside_area"] == 1
    assert summ.loc["hospital", "facilities"] == (3 if policy == "keep" else 2)
    notes = " ".join(n["detail"] for n in res.run["analyses"])
    assert ("kept" if policy == "keep" else "dropped") in notes
