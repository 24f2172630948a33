"""OpenStreetMap inputs through the config and the CLI: roads and facilities from one PBF."""

from __future__ import annotations

import geopandas as gpd
import pytest
import yaml
from pyproj import Transformer
from robustness.harness import assert_ran, assert_refused, invoke

osmium = pytest.importorskip("osmium")
from osmium.osm.mutable import Node, Way  # noqa: E402

X0, Y0 = 400_000.0, 4_300_000.0  # the small study's corner (UTM 50N)


def _lonlat(x, y):
    return Transformer.from_crs(32650, 4326, always_xy=True).transform(x, y)


@pytest.fixture
def study_pbf(small_study):
    """The small study's three roads and two facilities as OSM data (lon/lat)."""
    path = small_study.parent / "study.osm.pbf"
    lines = [[(X0 - 500, Y0 + 1000), (X0 + 3000, Y0 + 1000), (X0 + 6500, Y0 + 1000)],
             [(X0 + 3000, Y0 - 500), (X0 + 3000, Y0 + 1000), (X0 + 3000, Y0 + 3000), (X0 + 3000, Y0 + 4500)],
             [(X0 - 500, Y0 + 3000), (X0 + 3000, Y0 + 3000), (X0 + 6500, Y0 + 3000)]]
    tags = [{"highway": "secondary"}, {"highway": "residential", "maxspeed": "30"}, {"highway": "tertiary"}]
    nodes, ids, ways = {}, {}, []
    for k, line in enumerate(lines):
        refs = []
        for xy in line:
            if xy not in ids:
                ids[xy] = len(ids) + 1
                nodes[ids[xy]] = _lonlat(*xy)
            refs.append(ids[xy])
        ways.append((k + 1, refs, tags[k]))
    pois = [(1000, (X0 + 1000, Y0 + 1000), {"amenity": "hospital", "name": "县医院", "beds": "120"}),
            (1001, (X0 + 5000, Y0 + 3000), {"amenity": "clinic", "name": "卫生院"})]
    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        for nid, (lon, lat) in sorted(nodes.items()):
            w.add_node(Node(id=nid, location=(lon, lat), tags={}))
        for nid, xy, t in pois:
            w.add_node(Node(id=nid, location=_lonlat(*xy), tags=t))
        for wid, refs, t in ways:
            w.add_way(Way(id=wid, nodes=refs, tags=t))
    return path


def _edit(path, fn):
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(cfg)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _osm(c, roads=None, facilities=None):
    c["roads"] = roads or {"osm": "study.osm.pbf", "clip_buffer_m": 1000}
    c["facilities"] = facilities or [{"osm": "study.osm.pbf", "clip_buffer_m": 1000}]


def test_roads_and_facilities_from_one_pbf(small_study, study_pbf, tmp_path):
    def use(c):
        _osm(c)
        c["analyses"] = {"accessibility": {"mode": "network", "demand": "raster", "measures": ["nearest", "2sfca"]}}

    _edit(small_study, use)
    o = invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    res = tmp_path / "res" / "results.gpkg"
    fac = gpd.read_file(res, layer="facilities")
    assert sorted(fac["category"]) == ["clinic", "hospital"]
    assert fac.set_index("category").loc["hospital", "capacity"] == 120
    units = gpd.read_file(res, layer="units")
    assert (units["reach_hospital"] == "ok").all() and units["tt_hospital_min"].between(0, 60).all()


@pytest.mark.parametrize("roads,facilities,words", [
    ({"osm": "study.osm.pbf", "class": "highway"}, None, ["osm: roads take classes", "class"]),
    ({"osm": "study.osm.pbf", "path": "roads.gpkg"}, None, ["exactly one of path:", "osm:"]),
    ({"osm": "study.osm.pbf", "preset": "usa"}, None, ["preset", "china", "europe"]),
    ({"osm": "study.osm.pbf", "mode": "fly"}, None, ["mode", "drive", "walk"]),
    ({"osm": "ind.csv"}, None, ["ind.csv"]),
    (None, [{"osm": "study.osm.pbf", "category": "hospital"}], ["categories:", "mapping:"]),
    (None, [{"osm": "study.osm.pbf", "categories": ["spaceport"]}], ["spaceport", "hospital"]),
    (None, [{"osm": "nope.osm.pbf"}], ["does not exist"]),
])
def test_bad_osm_config(small_study, study_pbf, tmp_path, roads, facilities, words):
    _edit(small_study, lambda c: _osm(c, roads, facilities))
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), *words)
