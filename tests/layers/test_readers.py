from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _support import X0, Y0

from urbanrural.geo.checks import CheckLog
from urbanrural.geo.errors import (
    CRSError,
    DataError,
    GeometryError,
    IdError,
    InputFileError,
    JoinError,
    NetworkError,
)
from urbanrural.layers import (
    read_facilities,
    read_flows,
    read_indicators,
    read_roads,
    read_units,
)


def test_read_units_keeps_text_codes(units_gpkg):
    u = read_units(units_gpkg, id_col="code", name_col="name", layer="townships")
    assert u.index.tolist()[:2] == ["0101001", "0101002"]
    assert u.index.name == "code" and "name" in u.columns and u.crs.to_epsg() == 4326


def test_read_units_geoparquet(tmp_path, units_gdf):
    units_gdf.to_parquet(tmp_path / "u.parquet")
    assert len(read_units(tmp_path / "u.parquet", id_col="code")) == 6


def test_read_units_unknown_layer_and_column(units_gpkg):
    with pytest.raises(InputFileError, match="no layer 'town'.*townships"):
        read_units(units_gpkg, id_col="code", layer="town")
    with pytest.raises(InputFileError, match="no column 'cod' .*did you mean 'code'"):
        read_units(units_gpkg, id_col="cod")


def test_georgia_without_prj_needs_a_crs():
    import libpysal

    path = libpysal.examples.get_path("G_utm.shp")
    with pytest.raises(CRSError, match="G_utm.shp has no CRS; pass crs="):
        read_units(path, id_col="AreaKey")
    g = read_units(path, id_col="AreaKey", crs="EPSG:26916")
    assert len(g) == 159 and g.crs.to_epsg() == 26916
    # the .shp was not modified: still no .prj beside it
    assert not Path(path).with_suffix(".prj").exists()


def test_duplicate_ids_refused(tmp_path, units_gdf):
    g = units_gdf.copy()
    g.loc[1, "code"] = "0101001"
    g.to_file(tmp_path / "dup.gpkg")
    with pytest.raises(IdError, match="1 duplicated id.*'0101001'"):
        read_units(tmp_path / "dup.gpkg", id_col="code")


def test_invalid_units_repaired_and_logged_and_empty_refused(tmp_path, units_gdf):
    g = units_gdf.copy()
    g.loc[0, "geometry"] = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    g.to_file(tmp_path / "bad.gpkg")
    log = CheckLog()
    u = read_units(tmp_path / "bad.gpkg", id_col="code", log=log)
    assert u.is_valid.all()
    assert [r.count for r in log.records if r.status == "repaired"] == [1]
    g.loc[1, "geometry"] = None
    g.to_file(tmp_path / "empty.gpkg")
    with pytest.raises(GeometryError, match="empty or missing geometry \\(ids '0101002'\\)"):
        read_units(tmp_path / "empty.gpkg", id_col="code")


def test_units_swapped_coordinates_refused(tmp_path, units_gdf):
    g = units_gdf.to_crs(4326)
    g["geometry"] = g.geometry.map(lambda p: shapely.ops.transform(lambda x, y: (y, x), p))
    g.to_file(tmp_path / "swapped.gpkg")
    with pytest.raises(CRSError, match="wrong order"):
        read_units(tmp_path / "swapped.gpkg", id_col="code")


def test_facilities_from_csv_with_lonlat(tmp_path, units_gdf):
    pts = units_gdf.centroid.to_crs(4326)
    pd.DataFrame({"lon": pts.x, "lat": pts.y, "beds": [10, 20, np.nan, 5, 0, 8]}).to_csv(tmp_path / "h.csv", index=False)
    log = CheckLog()
    f = read_facilities(tmp_path / "h.csv", category="hospital", capacity_col="beds", x_col="lon",
                        y_col="lat", crs="EPSG:4326", log=log)
    assert f["category"].eq("hospital").all() and f.crs.to_epsg() == 4326
    assert f["capacity"].isna().sum() == 1
    assert any(r.check == "capacity" and r.count == 1 for r in log.records)
    assert f.index[0] == "h-0"


def test_facilities_csv_needs_crs_and_sane_values(tmp_path):
    pd.DataFrame({"x": [116.0], "y": [39.0], "beds": [-3]}).to_csv(tmp_path / "h.csv", index=False)
    with pytest.raises(CRSError, match="no CRS"):
        read_facilities(tmp_path / "h.csv", category="h", x_col="x", y_col="y")
    with pytest.raises(DataError, match="negative"):
        read_facilities(tmp_path / "h.csv", category="h", x_col="x", y_col="y", crs=4326, capacity_col="beds")


def test_facility_polygons_become_centroids(tmp_path, units_gdf):
    units_gdf.assign(kind="school").to_file(tmp_path / "s.gpkg")
    f = read_facilities(tmp_path / "s.gpkg", category_col="kind")
    assert (f.geom_type == "Point").all()
    np.testing.assert_allclose(f.geometry.x.to_numpy(), units_gdf.centroid.x.to_numpy())


def test_roads_speeds_and_missing_class(roads_gpkg):
    with pytest.raises(NetworkError, match=r"class without a speed \(track x1\)"):
        read_roads(roads_gpkg, class_col="kind", speeds={"county": 40, "village": 25})
    r = read_roads(roads_gpkg, class_col="kind", speeds={"county": 40, "village": 25}, default_speed_kmh=15)
    assert r["speed_kmh"].tolist() == [40, 25, 25, 15]
    with pytest.raises(NetworkError, match="positive"):
        read_roads(roads_gpkg, class_col="kind", speeds={"county": 0})


def test_indicators_gb18030_and_join(tmp_path, units_gdf, indicators_frame):
    frame = indicators_frame.rename(columns={"income": "人均收入"})
    frame.to_csv(tmp_path / "ind.csv", index=False, encoding="gb18030")
    log = CheckLog()
    ind = read_indicators(tmp_path / "ind.csv", id_col="code", units=units_gdf.set_index("code"), log=log)
    assert ind.loc["0101001", "人均收入"] == 10.0
    assert any(r.check == "encoding" for r in log.records)


def test_indicators_xlsx(tmp_path, units_gdf, indicators_frame):
    indicators_frame.to_excel(tmp_path / "ind.xlsx", index=False)
    ind = read_indicators(tmp_path / "ind.xlsx", id_col="code", units=units_gdf.set_index("code"))
    assert ind.index.tolist() == units_gdf["code"].tolist()


def test_indicators_that_lost_leading_zeros(tmp_path, units_gdf, indicators_frame):
    frame = indicators_frame.assign(code=indicators_frame["code"].astype(int))  # as Excel does
    frame.to_csv(tmp_path / "ind.csv", index=False)
    units = units_gdf.set_index("code")
    with pytest.raises(JoinError, match="leading zeros lost"):
        read_indicators(tmp_path / "ind.csv", id_col="code", units=units)
    log = CheckLog()
    ind = read_indicators(tmp_path / "ind.csv", id_col="code", units=units, zfill=True, log=log)
    assert ind["income"].notna().all()
    assert any(r.status == "repaired" and r.count == 3 for r in log.records)


def test_flows(tmp_path, units_gdf):
    pd.DataFrame({"origin": ["0101001", "0101002", "9"], "destination": ["1101004", "0101001", "0101001"],
                  "volume": [10, 5, 1]}).to_csv(tmp_path / "f.csv", index=False)
    log = CheckLog()
    f = read_flows(tmp_path / "f.csv", units=units_gdf.set_index("code"), log=log)
    assert len(f) == 2 and f["origin"].iloc[0] == "0101001"
    assert any(r.status == "dropped" and r.count == 1 for r in log.records)


def test_inputs_never_modified(units_gpkg):
    before = units_gpkg.read_bytes()
    read_units(units_gpkg, id_col="code", layer="townships")
    assert units_gpkg.read_bytes() == before


def test_gpd_roundtrip_fixture_sanity(units_gdf):
    assert isinstance(units_gdf, gpd.GeoDataFrame)


# ---------------------------------------------------------------- layers, Z, id as name, numbers
def test_id_column_can_also_be_the_name(units_gpkg):
    u = read_units(units_gpkg, id_col="code", name_col="code", layer="townships")
    assert u.index.tolist()[0] == "0101001" and u["name"].tolist()[0] == "0101001"
    v = read_units(units_gpkg, id_col="name", name_col="name", layer="townships")
    assert v.index.tolist()[0] == "Zhen 0" and v["name"].tolist() == v.index.tolist()
    assert "code" in v.columns  # the other columns stay


def test_multilayer_units_pick_the_only_polygon_layer_or_refuse(units_gpkg, units_gdf):
    gpd.GeoDataFrame(geometry=units_gdf.centroid, crs=units_gdf.crs).to_file(units_gpkg, layer="centres")
    log = CheckLog()
    u = read_units(units_gpkg, id_col="code", log=log)
    assert len(u) == 6 and any(r.check == "layer" and "'townships'" in r.detail for r in log.records)
    units_gdf.to_file(units_gpkg, layer="copy")
    with pytest.raises(InputFileError, match=r"3 layers.*'townships' \(Polygon, 6 features\).*'centres' "
                                             r"\(Point, 6 features\).*config: units: layer:"):
        read_units(units_gpkg, id_col="code")


def test_multilayer_facilities_prefer_points_and_roads_take_lines(tmp_path, units_gdf, roads_gpkg):
    path = tmp_path / "mixed.gpkg"
    units_gdf.to_file(path, layer="areas")
    pts = gpd.GeoDataFrame({"beds": [1, 2]}, geometry=[shapely.Point(X0 + 10, Y0 + 10),
                                                       shapely.Point(X0 + 20, Y0 + 20)], crs=32650)
    pts.to_file(path, layer="clinics")
    gpd.read_file(roads_gpkg).to_file(path, layer="roads")
    assert len(read_facilities(path, category="clinic")) == 2
    r = read_roads(path, class_col="kind", speeds={"county": 40, "village": 25, "track": 10})
    assert len(r) == 4
    pts.to_file(path, layer="clinics2")
    with pytest.raises(InputFileError, match="config: facilities: layer:"):
        read_facilities(path, category="clinic")


def test_z_dropped_with_a_count(tmp_path, units_gdf, roads_gpkg):
    z = units_gdf.set_geometry(shapely.force_3d(np.asarray(units_gdf.geometry.values), 5.0), crs=32650)
    z.to_file(tmp_path / "z.gpkg")
    log = CheckLog()
    u = read_units(tmp_path / "z.gpkg", id_col="code", log=log)
    assert not u.has_z.any()
    assert [(r.check, r.status, r.count) for r in log.records if r.check == "3D coordinates"] == [
        ("3D coordinates", "repaired", 6)]


def test_overlapping_units_refused_and_tolerance_keyword(tmp_path, units_gdf):
    g = units_gdf.copy()
    g.loc[1, "geometry"] = shapely.box(X0 + 1990, Y0, X0 + 4000, Y0 + 2000)  # 0.5 % into unit 0
    g.to_file(tmp_path / "o.gpkg")
    log = CheckLog()
    read_units(tmp_path / "o.gpkg", id_col="code", log=log)
    assert any(r.check == "overlapping units" and r.status == "warning" for r in log.records)
    with pytest.raises(GeometryError, match=r"'0101001' & '0101002': 0%"):
        read_units(tmp_path / "o.gpkg", id_col="code", overlap_tolerance=0.001)


def test_georgia_units_read_fast_without_overlaps():
    import time

    from libpysal import examples

    log = CheckLog()
    t = time.perf_counter()
    g = read_units(examples.get_path("G_utm.shp"), id_col="AreaKey", crs="EPSG:26916", log=log)
    assert len(g) == 159 and time.perf_counter() - t < 10  # ~1 s alone; the machine is shared
    assert not [r for r in log.records if r.check == "overlapping units" and r.status != "ok"]


def test_roads_degenerate_lines_dropped_not_advised_repair(tmp_path):
    lines = [shapely.LineString([(X0, Y0), (X0 + 100, Y0)]), shapely.LineString([(X0, Y0), (X0, Y0)])]
    gpd.GeoDataFrame({"kind": ["county", "county"]}, geometry=lines, crs=32650).to_file(tmp_path / "r.gpkg")
    log = CheckLog()
    r = read_roads(tmp_path / "r.gpkg", class_col="kind", speeds={"county": 40}, log=log)
    assert len(r) == 1
    assert [(x.status, x.count) for x in log.records if x.check == "geometry validity"] == [("dropped", 1)]


def test_indicators_with_formatted_numbers(tmp_path, units_gdf):
    t = pd.DataFrame({"code": units_gdf["code"],
                      "pop": ["43,228", "1 234", "１２３", "—", "…", "7"],
                      "label": list("abcdef"),
                      "mixed": ["1", "2", "three", "4", "5", "6"]})
    t.to_csv(tmp_path / "t.csv", index=False)
    log = CheckLog()
    out = read_indicators(tmp_path / "t.csv", id_col="code", units=units_gdf.set_index("code"), log=log)
    assert out["pop"].tolist()[:3] == [43228.0, 1234.0, 123.0] and out["pop"].isna().sum() == 2
    assert not pd.api.types.is_numeric_dtype(out["label"]) and not pd.api.types.is_numeric_dtype(out["mixed"])
    recs = {r.check: r for r in log.records if r.check.startswith("column")}
    assert (recs["column 'pop'"].status, recs["column 'pop'"].count) == ("repaired", 5)
    assert recs["column 'mixed'"].status == "warning" and "row '1101003'" not in recs["column 'mixed'"].detail
    assert "row '0101003': 'three'" in recs["column 'mixed'"].detail
    assert "column 'label'" not in recs


def test_table_encoding_hint_names_a_real_key(tmp_path):
    (tmp_path / "t.csv").write_bytes("code,x\n01,\x81\x30\n".encode("latin-1") + b"\xff\xfe\xfd")
    with pytest.raises(InputFileError, match=r"config: indicators: encoding"):
        read_indicators(tmp_path / "t.csv", id_col="code", encoding="ascii")
