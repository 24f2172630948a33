import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _support import X0, Y0
from hypothesis import given
from hypothesis import strategies as st

from urbanrural.geo.checks import CheckLog
from urbanrural.geo.errors import GeometryError, IdError, JoinError
from urbanrural.geo.validate import (
    LINEAR,
    POLYGONAL,
    check_geometries,
    check_ids,
    check_join,
    check_numeric,
    check_overlaps,
    drop_z,
    ids_as_text,
)


def layer(zoo, names):
    return gpd.GeoDataFrame(geometry=[zoo[n] for n in names], index=names, crs=32650)


def test_invalid_polygons_repaired_and_counted(geometry_zoo):
    g = layer(geometry_zoo, ["square", "bowtie", "spike"])
    log = CheckLog()
    out = check_geometries(g, name="u.gpkg", expected=POLYGONAL, log=log)
    assert out.is_valid.all() and out.geom_type.isin(POLYGONAL).all()
    rec = [r for r in log.records if r.status == "repaired"][0]
    assert rec.count == 2 and "Self-intersection" in rec.detail
    assert not g.is_valid.all()  # input untouched


def test_invalid_refused_without_repair(geometry_zoo):
    with pytest.raises(GeometryError, match="1 invalid geometries .*Self-intersection.*'bowtie'"):
        check_geometries(layer(geometry_zoo, ["square", "bowtie"]), name="u", expected=POLYGONAL, repair=False)


@pytest.mark.parametrize("bad", ["empty", "none"])
def test_empty_or_missing_geometry_refused_or_dropped(geometry_zoo, bad):
    g = layer(geometry_zoo, ["square", bad])
    with pytest.raises(GeometryError, match=rf"1 feature\(s\) have an empty or missing geometry \(ids '{bad}'\)"):
        check_geometries(g, name="u", expected=POLYGONAL)
    log = CheckLog()
    out = check_geometries(g, name="u", expected=POLYGONAL, drop_empty=True, log=log)
    assert list(out.index) == ["square"]
    assert log.records[0].status == "dropped" and log.records[0].count == 1


def test_mixed_types_refused(geometry_zoo):
    with pytest.raises(GeometryError, match="found Point x1, LineString x1"):
        check_geometries(layer(geometry_zoo, ["square", "point", "line"]), name="u", expected=POLYGONAL)


def test_multipart_and_z_are_fine(geometry_zoo):
    out = check_geometries(layer(geometry_zoo, ["multi", "z"]), name="u", expected=POLYGONAL)
    assert len(out) == 2


def test_duplicate_and_missing_ids_all_listed():
    with pytest.raises(IdError, match=r"1 missing id\(s\).*2 duplicated id\(s\): '01', '02'"):
        check_ids(pd.Index(["01", "02", "01", None, "02"]), name="u.gpkg", column="code")


def test_numeric_ids_become_text_and_are_flagged():
    log = CheckLog()
    idx = ids_as_text(pd.Series([101001.0, 101002.0]), name="t.csv", column="code", log=log)
    assert list(idx) == ["101001", "101002"]
    assert "leading zeros" in log.records[0].detail


def test_join_detects_lost_leading_zeros():
    units = pd.Index(["0101001", "0101002", "0101003"])
    table = pd.Index(["101001", "101002", "101003"])
    with pytest.raises(JoinError, match="leading zeros lost .*'101001' vs '0101001'"):
        check_join(units, table, left_name="units", right_name="ind.csv")


def test_join_low_match_rate_refused_and_partial_logged():
    units = pd.Index([f"u{i}" for i in range(10)])
    with pytest.raises(JoinError, match="only 2 of 10 units"):
        check_join(units, pd.Index(["u0", "u1", "zz"]), left_name="units", right_name="t.csv")
    log = CheckLog()
    rate = check_join(units, pd.Index([f"u{i}" for i in range(8)] + ["x"]), left_name="units",
                      right_name="t.csv", log=log)
    assert rate == pytest.approx(0.8)
    assert sorted(r.count for r in log.records) == [1, 2]


def test_numeric_checks():
    s = pd.Series([1.0, np.nan, -2.0], index=["a", "b", "c"])
    with pytest.raises(Exception, match=r"1 missing value\(s\) \(ids 'b'\)"):
        check_numeric(s, name="pop")
    with pytest.raises(Exception, match="negative"):
        check_numeric(s, name="pop", allow_nan=True, nonnegative=True)
    with pytest.raises(Exception, match="not numbers"):
        check_numeric(pd.Series(["1", "x"]), name="pop")


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30, unique=True))
def test_ids_as_text_roundtrip(values):
    idx = ids_as_text(pd.Series(values), name="t", column="c")
    assert list(idx) == [str(v) for v in values]


# ---------------------------------------------------------------- overlaps, Z, hints
def _grid(n, size=100.0):
    return gpd.GeoDataFrame(geometry=[shapely.box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size)
                                      for i in range(n) for j in range(n)],
                            index=[f"c{k}" for k in range(n * n)], crs=32650)


def test_overlaps_refused_naming_pairs_and_shares():
    g = _grid(3)
    g.loc["c4", "geometry"] = shapely.box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 150)  # 25 % of its three neighbours
    with pytest.raises(GeometryError, match=r"3 pair\(s\) of units overlap.*'c\d' & 'c4': 25%"):
        check_overlaps(g, name="u.gpkg")


def test_identical_units_refused():
    g = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 10, Y0 + 10)] * 3, index=["a", "b", "c"], crs=32650)
    with pytest.raises(GeometryError, match=r"3 pair\(s\).*'a' & 'b': 100%"):
        check_overlaps(g, name="u.gpkg")


def test_slivers_below_tolerance_are_counted():
    g = _grid(2)
    g.loc["c0", "geometry"] = shapely.box(X0, Y0, X0 + 100.5, Y0 + 100)  # 0.5 % into c2
    log = CheckLog()
    assert check_overlaps(g, name="u.gpkg", log=log) == 1
    assert log.records[-1].status == "warning" and log.records[-1].count == 1
    with pytest.raises(GeometryError):
        check_overlaps(g, name="u.gpkg", tolerance=0.001)


def test_overlap_check_is_near_linear_on_40k_cells():
    g = _grid(200)
    t = time.perf_counter()
    assert check_overlaps(g, name="grid") == 0
    assert time.perf_counter() - t < 10  # ~1 s alone; the machine is shared


def test_drop_z_counts(geometry_zoo):
    g = gpd.GeoDataFrame(geometry=[geometry_zoo["z"], geometry_zoo["square"]], crs=32650)
    log = CheckLog()
    out = drop_z(g, name="z.gpkg", log=log)
    assert not out.has_z.any() and g.has_z.iloc[0]  # input untouched
    assert (log.records[0].check, log.records[0].count) == ("3D coordinates", 1)


def test_geometry_hints_come_from_the_caller(geometry_zoo):
    g = gpd.GeoDataFrame(geometry=[geometry_zoo["bowtie"]], crs=32650)
    with pytest.raises(GeometryError, match="fix the file, please"):
        check_geometries(g, name="r", expected=POLYGONAL, repair=False, invalid_hint="fix the file, please")
    with pytest.raises(GeometryError, match="config: units: repair: true"):
        check_geometries(g, name="r", expected=POLYGONAL, repair=False)
    e = gpd.GeoDataFrame(geometry=[geometry_zoo["empty"]], crs=32650)
    with pytest.raises(GeometryError, match="delete them"):
        check_geometries(e, name="r", expected=POLYGONAL, empty_hint="delete them")


def test_invalid_lines_dropped_with_a_count():
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (0, 0)]), shapely.LineString([(0, 0), (1, 1)])],
                             crs=32650)
    log = CheckLog()
    out = check_geometries(lines, name="roads", expected=LINEAR, repair=False, drop_invalid=True, log=log)
    assert len(out) == 1 and (log.records[-1].status, log.records[-1].count) == ("dropped", 1)
