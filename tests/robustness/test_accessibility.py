"""Accessibility runs on awkward studies through the CLI: each exits 0 with the numbers it
should have (no silent NaN, no misleading value), no traceback, inputs unchanged and every
file inside the run folder."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import shapely.affinity
import yaml
from rasterio.transform import from_origin
from robustness.harness import Outcome, assert_ran, invoke

X0, Y0 = 500_000.0, 3_400_000.0


def _study(root: Path, *, units: list | None = None, pop: np.ndarray | None = None,
           facilities: list[tuple[float, float, str, float]] | None = None, roads: list | None = None,
           acc: dict | None = None, maps: list[str] | None = None) -> Path:
    """A 6 x 4 km study (six 2 km squares by default), 100 m population cells, a road grid
    (segmentised every 250 m, so nodes are close), facilities in study metres."""
    d = root / "study"
    d.mkdir(parents=True)
    geoms = units or [shapely.box(2000 * (i % 3), 2000 * (i // 3), 2000 * (i % 3 + 1), 2000 * (i // 3 + 1))
                      for i in range(6)]
    geoms = [shapely.affinity.translate(g, X0, Y0) for g in geoms]
    codes = [f"u{i}" for i in range(len(geoms))]
    gpd.GeoDataFrame({"code": codes, "name": [f"Unit {i}" for i in range(len(geoms))]}, geometry=geoms,
                     crs=32650).to_file(d / "units.gpkg")
    a = pop if pop is not None else np.full((40, 60), 10.0, dtype="float32")
    with rasterio.open(d / "pop.tif", "w", driver="GTiff", width=a.shape[1], height=a.shape[0], count=1,
                       dtype="float32", crs="EPSG:32650", nodata=-9999,
                       transform=from_origin(X0, Y0 + 4000, 100, 100)) as dst:
        dst.write(a.astype("float32"), 1)
    fac = facilities or [(1000, 1000, "hospital", 100.0), (5000, 3000, "hospital", 20.0)]
    gpd.GeoDataFrame({"kind": [f[2] for f in fac], "beds": [f[3] for f in fac]}, crs=32650,
                     geometry=[shapely.Point(X0 + f[0], Y0 + f[1]) for f in fac]).to_file(d / "fac.gpkg")
    lines = roads or [[(0, 1000), (6000, 1000)], [(0, 3000), (6000, 3000)], [(1000, 0), (1000, 4000)],
                      [(3000, 0), (3000, 4000)], [(5000, 0), (5000, 4000)]]
    geo = [shapely.segmentize(shapely.LineString([(X0 + x, Y0 + y) for x, y in ln]), 250) for ln in lines]
    gpd.GeoDataFrame({"road_class": ["county"] * len(geo)}, geometry=geo, crs=32650).to_file(d / "roads.gpkg")
    cfg = {
        "name": "Accessibility robustness",
        "units": {"path": "units.gpkg", "id": "code", "name": "name"},
        "population": {"raster": "pop.tif"},
        "facilities": [{"path": "fac.gpkg", "category_column": "kind", "capacity": "beds"}],
        "roads": {"path": "roads.gpkg", "class": "road_class", "speeds": {"county": 30}, "node_crossings": True},
        "analyses": {"accessibility": {"mode": "network", "thresholds": [10, 30], "max_cost": 30,
                                       "measures": ["nearest", "2sfca"], **(acc or {})}},
        "outputs": {"dir": "out", "maps": maps or [], "formats": ["html"]},
    }
    path = d / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _run(cfg: Path) -> tuple[Outcome, gpd.GeoDataFrame, Path]:
    out = invoke(["run", cfg.name, "--out", "results"], sandbox=cfg.parent)
    assert_ran(out, "results")
    assert "traceback" not in out.output.lower()
    run_dir = cfg.parent / "results"
    units = gpd.read_file(run_dir / "results.gpkg", layer="units").set_index("code")
    return out, units, run_dir


def _summary(run_dir: Path) -> pd.DataFrame:
    return pd.read_csv(run_dir / "tables" / "accessibility_summary.csv", index_col="category")


def test_unit_without_people_gets_a_time_and_says_so(tmp_path):
    a = np.full((40, 60), 10.0, dtype="float32")
    a[20:40, 40:60] = 0  # u2, the south-east square
    _, u, _ = _run(_study(tmp_path, pop=a, acc={"measures": ["nearest", "2sfca", "raam"]}))
    assert u.loc["u2", "reach_hospital"] == "no people"
    assert u.loc["u2", "tt_hospital_min"] > 0 and u.loc["u2", "dist_hospital_km"] > 0
    assert u.loc["u2", "acc_2sfca_hospital"] > 0 and np.isnan(u.loc["u2", "acc_raam_hospital"])
    assert (u.drop(index="u2")["reach_hospital"] == "ok").all()


def test_unit_on_a_road_island_is_unreachable_not_no_data(tmp_path):
    # u5 (north-east) only has a road of its own: its people snap to it and reach nothing
    roads = [[(0, 1000), (3500, 1000)], [(1000, 0), (1000, 3500)], [(3000, 0), (3000, 3500)],
             [(4300, 3000), (5700, 3000)], [(5000, 2300), (5000, 3700)]]
    fac = [(1000, 1000, "hospital", 100.0), (3000, 1000, "hospital", 50.0)]
    _, u, run_dir = _run(_study(tmp_path, roads=roads, facilities=fac))
    assert u.loc["u5", "reach_hospital"] == "unreachable" and np.isnan(u.loc["u5", "tt_hospital_min"])
    assert u.loc["u5", "acc_2sfca_hospital"] == 0  # FCA: no supply in reach
    assert u.loc["u5", "underserved_30min_hospital"] > 0
    assert u.loc["u0", "reach_hospital"] == "ok" and np.isfinite(u.loc["u0", "tt_hospital_min"])
    assert _summary(run_dir).loc["hospital", "people_unreachable"] > 0
    with rasterio.open(run_dir / "rasters" / "tt_hospital.tif") as src:
        assert (src.read(1) == -2).any()


def test_facility_outside_the_area_is_dropped_from_times_and_distances(tmp_path):
    fac = [(1000, 1000, "hospital", 100.0), (5000, 3000, "hospital", 20.0), (6500, 3500, "hospital", 500.0)]
    _, u, run_dir = _run(_study(tmp_path, facilities=fac, acc={"facilities_outside": "drop"}))
    s = _summary(run_dir)
    assert s.loc["hospital", "facilities"] == 2 and s.loc["hospital", "facilities_outside_area"] == 1
    # u5's centre (5000, 3000) holds a hospital; the dropped one 1.58 km away does not count
    assert u.loc["u5", "dist_hospital_km"] < 1.2
    with_keep = _run(_study(tmp_path / "keep", facilities=fac))[1]
    assert (with_keep["dist_hospital_km"] <= u["dist_hospital_km"] + 1e-9).all()


def test_every_facility_unreachable_exits_0_with_unreachable_units(tmp_path):
    # raster mode: the only hospital stands in a lake no road crosses (and no one lives in it)
    a = np.full((40, 60), 10.0, dtype="float32")
    a[3:7, 53:57] = 0
    cfg = _study(tmp_path, pop=a, facilities=[(5500, 3500, "hospital", 100.0)], maps=["tt:hospital"],
                 acc={"mode": "raster", "resolution": 100, "water": "lake.gpkg"})
    gpd.GeoDataFrame(geometry=[shapely.box(X0 + 5300, Y0 + 3300, X0 + 5700, Y0 + 3700)],
                     crs=32650).to_file(cfg.parent / "lake.gpkg")
    out, u, run_dir = _run(cfg)
    assert (u["reach_hospital"] == "unreachable").all() and u["tt_hospital_min"].isna().all()
    assert (u["acc_2sfca_hospital"] == 0).all()
    assert u["dist_hospital_km"].notna().all()  # the straight line still exists
    assert _summary(run_dir).loc["hospital", "units_unreachable"] == 6
    with rasterio.open(run_dir / "rasters" / "tt_hospital.tif") as src:
        tt = src.read(1)
    assert (tt >= 0).sum() <= 1 and (tt == -2).sum() > 2000  # only the hospital's own cell is 0
    assert (run_dir / "maps" / "tt_hospital.html").exists()


@pytest.mark.parametrize("how", ["centroid", "raster"])
def test_demand_centroid_and_raster_are_consistent(tmp_path, how):
    cfg = _study(tmp_path, acc={"mode": "euclidean", "demand": how, "circuity": 1.0, "speed_kmh": 60})
    out, u, run_dir = _run(cfg)
    # straight line at 60 km/h, circuity 1: one minute per km from the same points
    np.testing.assert_allclose(u["tt_hospital_min"], u["dist_hospital_km"], rtol=1e-9, atol=1e-9)
    if how == "centroid":
        c = u.to_crs(32650).geometry.centroid
        hosp = [shapely.Point(X0 + 1000, Y0 + 1000), shapely.Point(X0 + 5000, Y0 + 3000)]
        ref = np.min([c.distance(h).to_numpy() for h in hosp], axis=0) / 1000
        np.testing.assert_allclose(u["dist_hospital_km"], ref, rtol=1e-9, atol=1e-9)
    else:  # uniform people: the mean over cells exceeds the distance from the centre
        assert (u["dist_hospital_km"] > 0.3).all()
    run = yaml.safe_load((run_dir / "run.json").read_text(encoding="utf-8"))
    assert "centroid" in run["variants"]["accessibility"]["demand"]


def test_zero_capacity_facilities(tmp_path):
    fac = [(1000, 1000, "hospital", 0.0), (5000, 3000, "hospital", 0.0)]
    out, u, run_dir = _run(_study(tmp_path, facilities=fac, acc={"measures": ["nearest", "2sfca", "raam"]}))
    assert (u["acc_2sfca_hospital"] == 0).all() and u["acc_raam_hospital"].isna().all()
    assert (u["reach_hospital"] == "ok").all() and u["tt_hospital_min"].notna().all()
    run = yaml.safe_load((run_dir / "run.json").read_text(encoding="utf-8"))
    assert any("capacity 0" in n["detail"] for n in run["analyses"])


@pytest.mark.parametrize("name", ["x/../../population", "县级医院", "..", "a:b*c?d|e<f>g\"h"])
def test_hostile_category_names_stay_in_the_run_folder(tmp_path, name):
    fac = [(1000, 1000, name, 100.0), (5000, 3000, name, 20.0)]
    out, u, run_dir = _run(_study(tmp_path, facilities=fac, maps=[f"tt:{name}"]))
    assert f"tt_{name}_min" in u.columns and f"reach_{name}" in u.columns
    assert (u[f"reach_{name}"] == "ok").all()
    rasters = list((run_dir / "rasters").glob("tt*.tif"))
    assert len(rasters) == 1 and rasters[0].parent == run_dir / "rasters"
    assert not (tmp_path / "study" / "population.tif").exists() and not (tmp_path / "population.tif").exists()
    if name == "县级医院":
        assert rasters[0].name == "tt_县级医院.tif"


def test_unit_with_a_hole_uses_a_point_inside_it(tmp_path):
    ring = shapely.box(0, 0, 4000, 4000).difference(shapely.box(1000, 1000, 3000, 3000))
    units = [ring, shapely.box(1000, 1000, 3000, 3000), shapely.box(4000, 0, 6000, 4000)]
    fac = [(2000, 2000, "hospital", 100.0)]  # in the hole, i.e. in the middle unit
    cfg = _study(tmp_path, units=units, facilities=fac,
                 acc={"mode": "euclidean", "demand": "centroid", "circuity": 1.0, "speed_kmh": 60})
    out, u, run_dir = _run(cfg)
    run = yaml.safe_load((run_dir / "run.json").read_text(encoding="utf-8"))
    assert "1 of 3 units use the representative point" in run["variants"]["accessibility"]["demand"]
    # the ring's centroid (the hospital itself) would give 0 km; its point is inside the ring
    assert u.loc["u0", "dist_hospital_km"] >= 1.0 - 1e-9
    assert u.loc["u1", "dist_hospital_km"] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(u["tt_hospital_min"], u["dist_hospital_km"], rtol=1e-9, atol=1e-9)


def test_multipart_unit_is_priced_from_a_point_on_one_of_its_parts(tmp_path):
    two = shapely.MultiPolygon([shapely.box(0, 0, 1000, 1000), shapely.box(5000, 3000, 6000, 4000)])
    units = [two, shapely.box(1000, 0, 5000, 4000)]
    a = np.full((40, 60), 10.0, dtype="float32")
    fac = [(3000, 2000, "hospital", 100.0)]  # at the multipart unit's centroid, in the other unit
    cfg = _study(tmp_path, units=units, pop=a, facilities=fac,
                 acc={"mode": "euclidean", "demand": "centroid", "circuity": 1.0, "speed_kmh": 60})
    out, u, run_dir = _run(cfg)
    assert u.loc["u0", "dist_hospital_km"] > 2.0  # not 0: the centroid lies between the parts
    assert u.loc["u0", "reach_hospital"] == "ok"
    np.testing.assert_allclose(u["tt_hospital_min"], u["dist_hospital_km"], rtol=1e-9, atol=1e-9)
    # raster demand: the people of both parts; each part is ~2.9 km away on average
    cfg2 = _study(tmp_path / "r", units=units, pop=a, facilities=fac, acc={"mode": "euclidean", "demand": "raster"})
    u2 = _run(cfg2)[1]
    assert 2.0 < u2.loc["u0", "dist_hospital_km"] < 3.5


def test_network_centroid_demand_writes_the_tt_raster_for_the_map(tmp_path):
    cfg = _study(tmp_path, acc={"demand": "centroid"}, maps=["tt:hospital", "iso:hospital"])
    out, u, run_dir = _run(cfg)
    assert (run_dir / "maps" / "tt_hospital.html").exists() and (run_dir / "maps" / "iso_hospital.html").exists()
    with rasterio.open(run_dir / "rasters" / "tt_hospital.tif") as src:
        tt = src.read(1)
    assert tt.shape == (40, 60) and (tt >= 0).all()  # the population grid; every cell is in the study area
    run = yaml.safe_load((run_dir / "run.json").read_text(encoding="utf-8"))
    assert not [n for n in run["analyses"] if n["status"] in ("skipped", "warning") and n["analysis"] == "maps"]


def test_raster_mode_isochrones_stay_inside_the_study_area(tmp_path):
    l_shape = shapely.box(0, 0, 6000, 4000).difference(shapely.box(3000, 2000, 6000, 4000))
    cfg = _study(tmp_path, units=[l_shape], acc={"mode": "raster", "resolution": 200, "thresholds": [5, 10]})
    out, u, run_dir = _run(cfg)
    iso = gpd.read_file(run_dir / "results.gpkg", layer="isochrones").to_crs(32650)
    study = shapely.affinity.translate(l_shape, X0, Y0)
    assert len(iso) >= 1
    for geom in iso.geometry:
        assert geom.difference(study).area < 1e-3 * study.area


def test_roads_meeting_at_a_corner_keep_their_own_speeds(tmp_path):
    """A national road (60 km/h) turning at a corner into a county road (20 km/h), noded
    with node_crossings: true. The noding used to line-merge the two into one piece: with
    equal lengths its midpoint is the corner, the piece-to-road match got two answers and the
    run stopped ("Length of values .. does not match length of index"); otherwise the
    whole L took one road's speed. Now the county road's 2.9 km alone take 8.7 minutes."""
    cfg = _study(tmp_path, facilities=[(3000, 3900, "hospital", 10.0)],
                 roads=[[(0, 1000), (3000, 1000)], [(3000, 1000), (3000, 4000)]])
    geo = [shapely.LineString([(X0, Y0 + 1000), (X0 + 3000, Y0 + 1000)]),
           shapely.LineString([(X0 + 3000, Y0 + 1000), (X0 + 3000, Y0 + 4000)])]
    gpd.GeoDataFrame({"road_class": ["national", "county"]}, geometry=geo, crs=32650).to_file(
        cfg.parent / "roads.gpkg")
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["roads"]["speeds"] = {"national": 60, "county": 20}
    data["analyses"]["accessibility"]["max_cost"] = 60
    data["analyses"]["accessibility"]["thresholds"] = [30, 60]
    cfg.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _, u, _ = _run(cfg)
    # u0 (west, by the national road): at least the county road's 2.9 km at 20 km/h (8.7 min)
    # plus some national road at 60 km/h; the merged L at one speed gave under 6 minutes
    assert u.loc["u0", "tt_hospital_min"] > 8.7 + 1.0
    assert u["tt_hospital_min"].notna().all()
