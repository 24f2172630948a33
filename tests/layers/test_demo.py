"""The synthetic demo county: deterministic, complete, and readable by our own readers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from urbanrural.config import config_problems, load_config
from urbanrural.geo.errors import OutputExistsError
from urbanrural.layers.demo import SPEEDS, demo_region
from urbanrural.pipeline import build_study_area


@pytest.fixture(scope="module")
def demo_yaml(tmp_path_factory):
    """The demo written once for this module; returns the config path."""
    return demo_region(tmp_path_factory.mktemp("demo") / "data")


def test_units_tile_the_county_with_text_codes(demo_yaml):
    units = gpd.read_file(demo_yaml.parent / "units.gpkg")
    assert 80 <= len(units) <= 150
    assert units["code"].str.fullmatch(r"\d{6}").all() and units["code"].str.startswith("0").all()
    assert units["code"].is_unique and units.geometry.is_valid.all()
    # a tiling: no overlaps (sum of areas == area of the union) and no holes inside
    union = units.union_all()
    assert units.area.sum() == pytest.approx(union.area, rel=1e-9)
    assert union.geom_type == "Polygon" and shapely.get_num_interior_rings(union) == 0
    assert set(units["urban_code"]) <= {111, 112, 121, 122, 123, 210, 220}
    assert {111, 220} <= set(units["urban_code"])


def test_population_raster_has_towns_villages_and_nodata(demo_yaml):
    with rasterio.open(demo_yaml.parent / "population.tif") as src:
        assert src.nodata == -9999 and src.crs.to_epsg() == 32650 and src.res == (200.0, 200.0)
        a = src.read(1)
    people = a[a != src.nodata]
    assert 150_000 < people.sum() < 500_000
    dens = people / 0.04
    assert (dens >= 1500).sum() > 100  # the county seat's dense core
    assert (people == 0).sum() > 50  # the reservoir


def test_roads_have_four_classes_and_one_island(demo_yaml):
    roads = gpd.read_file(demo_yaml.parent / "roads.gpkg")
    assert set(roads["road_class"]) == set(SPEEDS)
    # components of the line graph: lines are joined when they share an end/vertex
    tree = shapely.STRtree(roads.geometry.to_numpy())
    left, right = tree.query(roads.geometry.to_numpy(), predicate="intersects")
    adj = sp.coo_matrix((np.ones(len(left)), (left, right)), shape=(len(roads),) * 2)
    n, labels = connected_components(adj, directed=False)
    sizes = np.bincount(labels)
    assert n == 2 and sizes.min() == 1


def test_facilities_and_gcj02_schools_read_back(demo_yaml):
    cfg = load_config(demo_yaml)
    area = build_study_area(cfg)
    cats = set(area.facilities["category"])
    assert {"hospital", "health_centre", "clinic", "school", "nursing_home", "bus_stop", "post_office"} <= cats
    assert (area.facilities["capacity"] > 0).all()
    # schools were written in GCJ-02; after conversion they sit back inside the county
    schools = area.facilities[area.facilities["category"] == "school"]
    inside = schools.within(area.units.union_all().buffer(10)).mean()
    assert inside == 1.0
    assert area.indicators.index.equals(area.units.index)
    assert area.flows["volume"].sum() > 0


def test_schools_csv_really_is_offset_gcj02(demo_yaml):
    # reading the GCJ-02 file as if it were WGS 84 puts schools hundreds of metres off
    s = pd.read_csv(demo_yaml.parent / "schools.csv")
    from urbanrural.geo.china import gcj02_to_wgs84
    lon, lat = gcj02_to_wgs84(s["lon"].to_numpy(), s["lat"].to_numpy())
    pts_true = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(32650)
    pts_naive = gpd.GeoSeries(gpd.points_from_xy(s["lon"], s["lat"]), crs=4326).to_crs(32650)
    off = pts_true.distance(pts_naive)
    assert (off > 100).all() and (off < 1000).all()


def test_config_is_valid_and_the_demo_is_deterministic(demo_yaml, tmp_path):
    cfg, problems = config_problems(demo_yaml)
    assert problems == []
    again = demo_region(tmp_path / "again")
    for name in ("units.gpkg", "roads.gpkg", "facilities.gpkg"):
        a, b = gpd.read_file(demo_yaml.parent / name), gpd.read_file(again.parent / name)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert a.geometry.geom_equals_exact(b.geometry, 0).all()
    for name in ("indicators.csv", "schools.csv", "flows.csv", "demo.yaml"):
        assert (demo_yaml.parent / name).read_bytes() == (again.parent / name).read_bytes()
    with rasterio.open(demo_yaml.parent / "population.tif") as a, rasterio.open(again.parent / "population.tif") as b:
        np.testing.assert_array_equal(a.read(1), b.read(1))


def test_refuses_to_overwrite(demo_yaml):
    with pytest.raises(OutputExistsError):
        demo_region(demo_yaml.parent)
