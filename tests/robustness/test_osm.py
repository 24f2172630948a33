"""Bad inputs to the OpenStreetMap readers: each is refused with a typed urbanrural error
whose message names the problem (library calls; the CLI wraps the same errors)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

osmium = pytest.importorskip("osmium")
from osmium.osm.mutable import Node, Way  # noqa: E402

from urbanrural.geo.errors import (  # noqa: E402
    CRSError,
    DataError,
    GeometryError,
    InputFileError,
    NetworkError,
    UnknownNameError,
)
from urbanrural.layers import osm  # noqa: E402

LON0, LAT0 = 116.0, 39.9


def _write(path: Path, ways: list[dict], *, box=None) -> Path:
    header = None
    if box is not None:
        header = osmium.io.Header()
        header.add_box(osmium.osm.Box(*box))
    with osmium.SimpleWriter(str(path), header=header, overwrite=True) as w:
        for i in range(len(ways)):
            w.add_node(Node(id=2 * i + 1, location=(LON0 + 0.002 * i, LAT0)))
            w.add_node(Node(id=2 * i + 2, location=(LON0 + 0.002 * i, LAT0 + 0.004)))
        for i, tags in enumerate(ways):
            w.add_way(Way(id=i + 1, nodes=[2 * i + 1, 2 * i + 2], tags=tags))
    return path


@pytest.fixture
def good_pbf(tmp_path) -> Path:
    return _write(tmp_path / "good.osm.pbf", [{"highway": "primary"}, {"highway": "footway"},
                                               {"highway": "residential", "amenity": "school"}])


@pytest.fixture
def boxed_pbf(tmp_path) -> Path:
    return _write(tmp_path / "boxed.osm.pbf", [{"highway": "primary"}], box=(115.9, 39.8, 116.1, 40.0))


def _truncated(tmp_path: Path, good: Path) -> Path:
    big = _write(tmp_path / "big.osm.pbf", [{"highway": "primary", "name": f"r{i}"} for i in range(3000)])
    data = big.read_bytes()
    out = tmp_path / "cut.osm.pbf"
    out.write_bytes(data[: len(data) // 2])
    return out


# (name, make path, call, error type, key words)
CASES = [
    ("not a pbf", lambda t, g: _text(t / "roads.osm.pbf", "highway,speed\nprimary,60\n"),
     lambda p, g: osm.read_roads(p), InputFileError, ["roads.osm.pbf", "not a readable"]),
    ("empty file", lambda t, g: _text(t / "empty.osm.pbf", ""),
     lambda p, g: osm.read_roads(p), InputFileError, ["empty.osm.pbf", "empty"]),
    ("truncated pbf", _truncated, lambda p, g: osm.read_roads(p), InputFileError, ["cut.osm.pbf", "truncated"]),
    ("truncated pbf (facilities)", _truncated, lambda p, g: osm.read_facilities(p), InputFileError,
     ["cut.osm.pbf", "truncated"]),
    ("missing file", lambda t, g: t / "nowhere.osm.pbf", lambda p, g: osm.read_roads(p), InputFileError,
     ["nowhere.osm.pbf", "does not exist"]),
    ("wrong suffix", lambda t, g: _text(t / "roads.csv", "a,b\n"), lambda p, g: osm.read_facilities(p),
     InputFileError, ["roads.csv", "not an OpenStreetMap file", ".osm.pbf"]),
    ("a folder", lambda t, g: t, lambda p, g: osm.read_roads(p), InputFileError, ["folder"]),
    ("clip outside the extract", None, lambda p, g: osm.read_roads(p, clip=(100.0, 30.0, 100.1, 30.1)),
     DataError, ["clip lies outside", "good.osm.pbf", "lon 116"]),
    ("clip outside the header box", "boxed", lambda p, g: osm.read_facilities(p, clip=(10.0, 50.0, 10.1, 50.1)),
     DataError, ["clip lies outside", "boxed.osm.pbf", "115.9"]),
    ("unknown preset", None, lambda p, g: osm.read_roads(p, preset="usa"), UnknownNameError,
     ["preset", "'usa'", "'china'", "'europe'"]),
    ("unknown mode", None, lambda p, g: osm.read_roads(p, mode="bike"), UnknownNameError,
     ["mode", "'bike'", "'drive'", "'walk'"]),
    ("unknown node index", None, lambda p, g: osm.read_roads(p, node_index="ssd"), UnknownNameError,
     ["node_index", "'memory'", "'disk'"]),
    ("unknown class in speeds", None, lambda p, g: osm.read_roads(p, speeds={"highway": 50}), UnknownNameError,
     ["speeds", "'highway'", "'motorway'"]),
    ("negative speed", None, lambda p, g: osm.read_roads(p, speeds={"primary": -5}), DataError,
     ["positive km/h", "primary"]),
    ("no drivable road in clip", None,
     lambda p, g: osm.read_roads(p, clip=(LON0 + 0.0015, LAT0, LON0 + 0.0025, LAT0 + 0.004), buffer_m=0),
     NetworkError, ["no drive road", "within the clip", "not_drivable x1"]),
    ("no highway at all", lambda t, g: _write(t / "nohw.osm.pbf", [{"building": "yes"}]),
     lambda p, g: osm.read_roads(p), NetworkError, ["nohw.osm.pbf", "no highway"]),
    ("mapping key without '='", None, lambda p, g: osm.read_facilities(p, mapping={"hospital": "hospital"}),
     DataError, ["'hospital'", "key=value"]),
    ("mapping key with empty value", None, lambda p, g: osm.read_facilities(p, mapping={"amenity=": "x"}),
     DataError, ["'amenity='", "key=value"]),
    ("mapping value not a name", None, lambda p, g: osm.read_facilities(p, mapping={"amenity=bar": 3}),
     DataError, ["amenity=bar", "category name"]),
    ("categories naming no mapped category", None,
     lambda p, g: osm.read_facilities(p, categories=["hopsital"]), UnknownNameError,
     ["facility category", "'hopsital'", "did you mean 'hospital'", "'school'"]),
    ("empty categories", None, lambda p, g: osm.read_facilities(p, categories=[]), DataError,
     ["categories is empty", "hospital"]),
    ("every rule removed", None,
     lambda p, g: osm.read_facilities(p, categories=["bank"], mapping={"amenity=bank": None}), UnknownNameError,
     ["'bank'"]),
    ("clip without a CRS", None,
     lambda p, g: osm.read_roads(p, clip=gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)])), CRSError,
     ["clip has no CRS", "set_crs"]),
    ("projected bare geometry", None,
     lambda p, g: osm.read_roads(p, clip=shapely.box(450000, 4400000, 451000, 4401000)), CRSError,
     ["not lon/lat", "GeoDataFrame"]),
    ("bounds west > east", None, lambda p, g: osm.read_roads(p, clip=(117, 39, 116, 40)), DataError,
     ["west < east"]),
    ("empty clip", None, lambda p, g: osm.read_roads(p, clip=gpd.GeoSeries([], crs=4326)), GeometryError,
     ["clip has no geometry"]),
    ("negative buffer", None, lambda p, g: osm.read_roads(p, clip=(116, 39, 117, 40), buffer_m=-1), DataError,
     ["buffer_m", ">= 0"]),
    ("clip of the wrong type", None, lambda p, g: osm.read_facilities(p, clip="Beijing"), DataError,
     ["clip must be", "bounds"]),
    ("pbf not a path", None, lambda p, g: osm.read_roads(123), InputFileError, ["pbf must be the path"]),
]


def _text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_osm_input_is_refused(case, tmp_path, good_pbf, boxed_pbf):
    _, make, call, err, words = case
    path = boxed_pbf if make == "boxed" else good_pbf if make is None else make(tmp_path, good_pbf)
    with pytest.raises(err) as info:
        call(path, good_pbf)
    msg = str(info.value)
    for w in words:
        assert w in msg, (w, msg)


def test_inputs_are_unchanged_and_nothing_is_left_behind(tmp_path, good_pbf):
    before = good_pbf.read_bytes()
    listing = sorted(tmp_path.iterdir())
    osm.read_roads(good_pbf, node_index="disk")
    osm.read_facilities(good_pbf, node_index="disk")
    assert good_pbf.read_bytes() == before and sorted(tmp_path.iterdir()) == listing
