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
