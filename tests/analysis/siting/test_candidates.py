"""Candidate sites, constraints (exclude / restrict / raster), demand weights."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from urbanrural.analysis.siting import Candidates, apply_constraints, candidate_sites
from urbanrural.analysis.siting.candidates import demand_weights
from urbanrural.geo.errors import CRSError, DataError, GeometryError, IdError, UnknownNameError

CRS = "EPSG:32650"


@pytest.fixture
def two_units() -> gpd.GeoDataFrame:
    """A square unit (centroid inside) and a U-shaped unit (centroid outside)."""
    u_shape = shapely.box(1000, 0, 2000, 1000).difference(shapely.box(1300, 300, 1700, 1000))
    return gpd.GeoDataFrame({"name": ["square", "u"]}, geometry=[shapely.box(0, 0, 1000, 1000), u_shape],
                            index=pd.Index(["001", "002"], name="code"), crs=CRS)


@pytest.fixture
def village_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["A", "B", "C"]}, geometry=shapely.points([[100, 100], [900, 500], [1500, 100]]),
                            crs=CRS)


@pytest.fixture
def population_tif(tmp_path):
    """4 x 4 cells of 100 m from (0, 400): people in 5 cells, a nodata cell, zeros elsewhere."""
    arr = np.zeros((4, 4), dtype="float32")
    arr[0, 0], arr[0, 1], arr[1, 1], arr[3, 3], arr[2, 0] = 10, 20, 5, 50, 1
    arr[3, 0] = -1  # nodata
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", crs=CRS,
                       transform=from_origin(0, 400, 100, 100), nodata=-1) as dst:
        dst.write(arr, 1)
    return path


@pytest.fixture
def slope_tif(tmp_path):
    """2 x 2 cells of 500 m from (0, 1000): slopes 5, 30 / 10, nodata."""
    path = tmp_path / "slope.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32", crs=CRS,
                       transform=from_origin(0, 1000, 500, 500), nodata=-9999) as dst:
        dst.write(np.array([[5, 30], [10, -9999]], dtype="float32"), 1)
    return path


@pytest.fixture
def grid_sites() -> gpd.GeoDataFrame:
    """Ten by ten candidate points 100 m apart."""
    xy = np.array([(x, y) for y in range(50, 1000, 100) for x in range(50, 1000, 100)], dtype=float)
    return gpd.GeoDataFrame(geometry=shapely.points(xy), index=[f"s{i}" for i in range(len(xy))], crs=CRS)


# ---------------------------------------------------------------- sources

def test_units_points_inside(two_units):
    c = candidate_sites("units", units=two_units)
    assert isinstance(c, Candidates)
    assert list(c.sites.index) == ["001", "002"] and c.sites.index.name == "site"
    assert c.sites["point"].tolist() == ["centroid", "representative point"]
    assert c.sites.loc["001"].geometry.equals(shapely.Point(500, 500))
    assert all(two_units.geometry.iloc[i].contains(c.sites.geometry.iloc[i]) for i in range(2))
    assert (c.sites["source"] == "units").all() and c.report.empty
    assert any("representative point" in n for n in c.notes)


def test_units_reprojected_to_crs(two_units):
    c = candidate_sites("units", units=two_units.to_crs(4326), crs=CRS)
    assert c.sites.crs.equals(two_units.crs)
    assert c.sites.loc["001"].geometry.distance(shapely.Point(500, 500)) < 1
    assert any("reprojected" in n for n in c.notes)


def test_units_geographic_refused(two_units):
    with pytest.raises(CRSError, match="geographic"):
        candidate_sites("units", units=two_units.to_crs(4326))


def test_settlements_ids(village_points):
    c = candidate_sites("settlements", settlements=village_points)
    assert list(c.sites.index) == ["cand-0001", "cand-0002", "cand-0003"]
    assert c.sites["name"].tolist() == ["A", "B", "C"]
    named = candidate_sites("settlements", settlements=village_points, id_col="name")
    assert list(named.sites.index) == ["A", "B", "C"]
    text = candidate_sites("settlements", settlements=village_points.set_axis(["v1", "v2", "v3"]))
    assert list(text.sites.index) == ["v1", "v2", "v3"]


def test_settlements_bad_input(village_points):
    with pytest.raises(IdError, match="did you mean 'name'"):
        candidate_sites("settlements", settlements=village_points, id_col="nmae")
    dup = village_points.assign(name=["A", "A", "C"])
    with pytest.raises(IdError, match="duplicated"):
        candidate_sites("settlements", settlements=dup, id_col="name")
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=CRS)
    with pytest.raises(GeometryError, match="lines"):
        candidate_sites("settlements", settlements=lines)
    empty = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), None], crs=CRS)
    with pytest.raises(GeometryError, match="no geometry"):
        candidate_sites("settlements", settlements=empty)
    with pytest.raises(DataError, match="settlements="):
        candidate_sites("settlements")


def test_unknown_kind():
    with pytest.raises(UnknownNameError, match="did you mean 'grid'"):
        candidate_sites("gird")


def test_grid_from_raster(population_tif):
    c = candidate_sites("grid", population=population_tif)
    assert len(c) == 5 and c.sites.crs.equals(CRS)
    xy = {(p.x, p.y): v for p, v in zip(c.sites.geometry, c.sites["people"], strict=True)}
    assert xy == {(50.0, 350.0): 10.0, (150.0, 350.0): 20.0, (150.0, 250.0): 5.0, (50.0, 150.0): 1.0,
                  (350.0, 50.0): 50.0}
    assert c.sites.index[0] == "cand-0001" and c.sites.geometry.iloc[0].equals(shapely.Point(50, 350))


def test_grid_aggregated_min_people(population_tif):
    c = candidate_sites("grid", population=population_tif, spacing_m=200, min_people=2)
    got = {(p.x, p.y): (v, n) for p, v, n in zip(c.sites.geometry, c.sites["people"], c.sites["cells"],
                                                    strict=True)}
    # blocks of 200 m: (0-200, 200-400) holds 10 + 20 + 5; (200-400, 0-200) holds 50; the 1 is below min_people
    assert got == {(100.0, 300.0): (35.0, 3), (300.0, 100.0): (50.0, 1)}
    assert any("min_people" in n for n in c.notes)
    with pytest.raises(DataError, match="finer than"):
        candidate_sites("grid", population=population_tif, spacing_m=50)
    with pytest.raises(DataError, match="min_people"):
        candidate_sites("grid", population=population_tif, min_people=1000)


def test_grid_clipped_to_units(population_tif):
    units = gpd.GeoDataFrame(geometry=[shapely.box(0, 200, 200, 400)], index=["w"], crs=CRS)
    c = candidate_sites("grid", population=population_tif, units=units)
    assert sorted(c.sites["people"]) == [5.0, 10.0, 20.0] and (c.sites["unit"] == "w").all()


def test_grid_from_frame():
    cells = pd.DataFrame({"x": [50.0, 150.0, 250.0], "y": [50.0, 50.0, 50.0], "people": [1.0, 0.0, 3.0]})
    c = candidate_sites("grid", population=cells, crs=CRS)
    assert c.sites["people"].tolist() == [1.0, 3.0]
    with pytest.raises(DataError, match="negative"):
        candidate_sites("grid", population=cells.assign(people=[1.0, -2.0, 3.0]), crs=CRS)
    with pytest.raises(CRSError, match="no CRS"):
        candidate_sites("grid", population=cells)


def test_file_points_and_polygons(tmp_path):
    parcels = gpd.GeoDataFrame({"pid": [7, 8], "cost": [1.5, 2.0]},
                               geometry=[shapely.box(0, 0, 100, 100), shapely.Point(500, 500)], crs=CRS)
    path = tmp_path / "parcels.gpkg"
    parcels.iloc[[0]].to_file(path, layer="polys")
    polys = candidate_sites("file", path=path, id_col="pid")
    assert list(polys.sites.index) == ["7"] and polys.sites.geometry.iloc[0].equals(shapely.Point(50, 50))
    assert polys.sites["cost"].tolist() == [1.5] and polys.sites["point"].tolist() == ["centroid"]
    pts_path = tmp_path / "pts.geojson"
    parcels.iloc[[1]].to_crs(4326).to_file(pts_path)
    pts = candidate_sites("file", path=pts_path, crs=CRS)
    assert pts.sites.index.tolist() == ["cand-0001"]
    assert pts.sites.geometry.iloc[0].distance(shapely.Point(500, 500)) < 0.01


# ---------------------------------------------------------------- constraints

def test_exclude_restrict_counts(grid_sites):
    red = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 300, 300)], crs=CRS)  # 9 points
    zone = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1000, 500)], crs=CRS)  # 50 points
    out = apply_constraints(grid_sites, [{"layer": red, "rule": "exclude", "name": "ecological red line",
                                          "name_zh": "生态保护红线"},
                                         {"layer": zone, "rule": "restrict", "name": "public service land",
                                          "name_zh": "公共服务用地"}], crs=CRS)
    r = out.report
    assert r[["before", "excluded", "after"]].to_numpy().tolist() == [[100, 9, 91], [91, 50, 41]]
    assert (r["before"] - r["excluded"] == r["after"]).all()
    assert (r["before"].iloc[1:].to_numpy() == r["after"].iloc[:-1].to_numpy()).all()
    assert len(out) == 41
    assert out.summary() == "100 candidates, 9 excluded by ecological red line, 50 outside public service land; 41 kept"
    assert out.summary(language="zh") == "100 个候选点，生态保护红线排除 9 个，公共服务用地以外 50 个，保留 41 个"


def test_exclude_buffer_and_boundary(grid_sites):
    line = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 500), (1000, 500)])], crs=CRS)
    out = apply_constraints(grid_sites, [{"layer": line, "rule": "exclude", "buffer_m": 50}], crs=CRS)
    assert out.report["excluded"].tolist() == [20]  # the rows at y = 450 and 550 lie exactly 50 m away
    assert out.report["constraint"].tolist() == ["constraint 1"]
    edge = gpd.GeoDataFrame(geometry=[shapely.box(50, 50, 150, 150)], crs=CRS)
    out = apply_constraints(grid_sites, [{"layer": edge, "rule": "exclude"}], crs=CRS)
    assert out.report["excluded"].tolist() == [4]  # on the edge counts as inside


def test_chained_report_and_path(grid_sites, tmp_path):
    path = tmp_path / "flood zone.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1000, 100)], crs=CRS).to_file(path)
    first = apply_constraints(grid_sites, [{"layer": path, "rule": "exclude"}], crs=CRS)
    assert first.report["constraint"].tolist() == ["flood zone"]
    red = gpd.GeoDataFrame(geometry=[shapely.box(0, 900, 1000, 1000)], crs=CRS).to_crs(4326)
    second = apply_constraints(first, [{"layer": red, "rule": "exclude", "name": "red"}], crs=CRS)
    assert second.report[["before", "after"]].to_numpy().tolist() == [[100, 90], [90, 80]]
    assert any("reprojected" in n for n in second.notes)


def test_raster_rule(slope_tif):
    pts = gpd.GeoDataFrame(geometry=shapely.points([[100, 900], [700, 900], [100, 100], [700, 100], [5000, 5000]]),
                           index=list("abcde"), crs=CRS)
    out = apply_constraints(pts, [{"raster": slope_tif, "rule": "exclude_above", "max": 25, "name": "slope"}],
                            crs=CRS)
    assert list(out.sites.index) == ["a", "c"]  # b is steep; d on nodata and e outside are excluded
    assert out.summary() == "5 candidates, 3 excluded by slope above 25; 2 kept"
    keep = apply_constraints(pts, [{"raster": slope_tif, "max": 25, "nodata": "keep"}], crs=CRS)
    assert list(keep.sites.index) == ["a", "c", "d", "e"]


def test_all_excluded_names_constraint(grid_sites):
    small = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100)], crs=CRS)
    everything = gpd.GeoDataFrame(geometry=[shapely.box(-1, -1, 1001, 1001)], crs=CRS)
    with pytest.raises(DataError, match=r"'whole county' \(exclude\) removed the last 99 \(before it: small "
                                        r"removed 1\); check the layer"):
        apply_constraints(grid_sites, [{"layer": small, "rule": "exclude", "name": "small"},
                                       {"layer": everything, "rule": "exclude", "name": "whole county"}], crs=CRS)
    far = gpd.GeoDataFrame(geometry=[shapely.box(5000, 5000, 6000, 6000)], crs=CRS)
    with pytest.raises(DataError, match="'zoned' \\(restrict\\) removed the last 100"):
        apply_constraints(grid_sites, [{"layer": far, "rule": "restrict", "name": "zoned"}], crs=CRS)


def test_bad_constraints(grid_sites):
    layer = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=CRS)
    with pytest.raises(UnknownNameError, match="exclude, restrict"):
        apply_constraints(grid_sites, [{"layer": layer, "rule": "forbid"}], crs=CRS)
    with pytest.raises(DataError, match="did you mean 'buffer_m'"):
        apply_constraints(grid_sites, [{"layer": layer, "bufer_m": 3}], crs=CRS)
    with pytest.raises(DataError, match="buffer_m must be >= 0"):
        apply_constraints(grid_sites, [{"layer": layer, "buffer_m": -5}], crs=CRS)
    with pytest.raises(DataError, match="needs a number 'max'"):
        apply_constraints(grid_sites, [{"raster": "x.tif"}], crs=CRS)
    with pytest.raises(CRSError, match="reproject"):
        apply_constraints(grid_sites.to_crs(4547), [{"layer": layer}], crs=CRS)


# coordinates in metres as a survey gives them, to the millimetre: offsets such as 1e-307 m (no projected
# layer holds them) make GEOS divide by zero
_m = st.floats(0, 900).map(lambda v: round(v, 3))
polygons = st.lists(st.tuples(_m, _m, st.floats(1, 400), st.floats(1, 400)), min_size=1, max_size=4)
_xy = st.floats(0, 1000).map(lambda v: round(v, 3))
points = st.lists(st.tuples(_xy, _xy), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ex=polygons, re=polygons, xy=points, buffer_m=st.sampled_from([0.0, 10.0, 75.5]))
def test_constraints_never_violated(ex, re, xy, buffer_m):
    sites = gpd.GeoDataFrame(geometry=shapely.points(np.array(xy)), index=[f"p{i}" for i in range(len(xy))],
                             crs=CRS)
    excl = gpd.GeoDataFrame(geometry=[shapely.box(x, y, x + w, y + h) for x, y, w, h in ex], crs=CRS)
    rest = gpd.GeoDataFrame(geometry=[shapely.Point(x, y).buffer(w) for x, y, w, _ in re], crs=CRS)
    cons = [{"layer": excl, "rule": "exclude", "name": "red", "buffer_m": buffer_m},
            {"layer": rest, "rule": "restrict", "name": "zone"}]
    ex_u, re_u = shapely.union_all(excl.geometry), shapely.union_all(rest.geometry)

    def allowed(p: shapely.Point) -> bool:  # buffer 0: inside or on the edge; else within buffer_m
        hit = p.intersects(ex_u) if buffer_m == 0 else p.distance(ex_u) <= buffer_m
        return not hit and p.intersects(re_u)

    should = [i for i, p in zip(sites.index, sites.geometry, strict=True) if allowed(p)]
    try:
        out = apply_constraints(sites, cons, crs=CRS)
    except DataError as exc:
        assert "every candidate excluded" in str(exc) and not should
        return
    kept = out.sites.geometry
    assert not kept.intersects(ex_u).any()
    if buffer_m > 0:
        assert (kept.distance(ex_u) > buffer_m).all()
    assert kept.intersects(re_u).all()
    r = out.report
    assert (r["before"] - r["excluded"] == r["after"]).all() and r["after"].iloc[-1] == len(kept)
    assert r["before"].iloc[0] == len(sites) and r["before"].iloc[1] == r["after"].iloc[0]
    assert list(out.sites.index) == should  # nothing dropped that satisfied both rules


# ---------------------------------------------------------------- demand weights

@pytest.fixture
def demand_points() -> pd.DataFrame:
    return pd.DataFrame({"people": [100.0, 50.0, 20.0, 0.0], "unit": ["a", "a", "b", "b"],
                         "urban_class": ["urban", "rural", "rural", "rural"]}, index=[10, 11, 12, 13])


def test_demand_weights(demand_points):
    assert demand_weights(demand_points).tolist() == [100.0, 50.0, 20.0, 0.0]
    assert demand_weights(demand_points, rural_only=True).tolist() == [0.0, 50.0, 20.0, 0.0]
    w = pd.Series({"a": 0.1, "b": 0.5})
    got = demand_weights(demand_points, weight=w)
    assert got.tolist() == [10.0, 5.0, 10.0, 0.0] and list(got.index) == [10, 11, 12, 13] and got.name == "demand"
    cls = pd.Series(["rural", "urban", "urban", "rural"], index=[10, 11, 12, 13])
    assert demand_weights(demand_points, rural_only=True, classes=cls).tolist() == [100.0, 0.0, 0.0, 0.0]


def test_demand_weights_refused(demand_points):
    with pytest.raises(DataError, match="negative"):
        demand_weights(demand_points.assign(people=[1.0, -1.0, 0.0, 0.0]))
    with pytest.raises(DataError, match="no class"):
        demand_weights(demand_points.assign(urban_class=["urban", None, "rural", "rural"]), rural_only=True)
    with pytest.raises(DataError, match="no class column"):
        demand_weights(demand_points.drop(columns="urban_class"), rural_only=True)
    with pytest.raises(DataError, match="no value for 1 demand point"):
        demand_weights(demand_points, rural_only=True, classes=pd.Series(["rural"] * 3, index=[10, 11, 12]))
    with pytest.raises(DataError, match="no value for 1 unit"):
        demand_weights(demand_points, weight=pd.Series({"a": 0.1}))
    with pytest.raises(DataError, match="negative or infinite"):
        demand_weights(demand_points, weight=pd.Series({"a": 0.1, "b": -0.5}))
