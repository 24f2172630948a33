"""Bundled real datasets and China boundaries load offline with sound ids and CRS."""

from __future__ import annotations

import numpy as np
import pytest

from urbanrural.geo.errors import UnknownNameError
from urbanrural.layers import china, load_example


def test_columbus_matches_published_attributes():
    g = load_example("columbus")
    assert len(g) == 49 and g.index.is_unique and g.index.dtype == object
    assert g.crs is None
    # same values as libpysal's own dbf reader, in the same order
    import libpysal

    from urbanrural.layers.datasets import example_path

    dbf = libpysal.io.open(str(example_path("columbus").with_suffix(".dbf")))
    try:
        crime, polyid = dbf.by_col("CRIME"), dbf.by_col("POLYID")
    finally:
        dbf.close()
    np.testing.assert_array_equal(g["CRIME"].to_numpy(), np.array(crime))
    assert g.index.tolist() == [str(i) for i in polyid]


def test_georgia_gets_utm16_and_matches_its_own_lat_lon_columns():
    g = load_example("georgia")
    assert len(g) == 159 and g.crs.to_epsg() == 26916
    centroids = g.geometry.centroid.to_crs(4326)
    # the file's own Latitude/Longitud columns: within ~0.05 degree of the polygon centroids
    assert np.abs(centroids.y - g["Latitude"]).max() < 0.05
    assert np.abs(centroids.x - g["Longitud"]).max() < 0.05


def test_chicago_lands_on_chicago():
    g = load_example("chicago")
    c = g.to_crs(4326).union_all().centroid
    assert 41.6 < c.y < 42.1 and -88.0 < c.x < -87.5
    assert "name" in g.columns


def test_unknown_example_lists_names():
    with pytest.raises(UnknownNameError, match="columbus"):
        load_example("columbs")


def test_china_districts_of_a_city_have_text_codes():
    g = china.boundaries(province="河北", city="保定")
    assert g.index.str.fullmatch(r"1306\d\d").all()
    assert g.crs.to_epsg() == 4326 and g.geometry.is_valid.mean() > 0.9


def test_china_gcj02_conversion_shifts_by_hundreds_of_metres():
    wgs = china.boundaries(province="北京", level="province")
    gcj = china.boundaries(province="北京", level="province", coords="gcj02")
    shift = wgs.to_crs(32650).centroid.distance(gcj.to_crs(32650).centroid).iloc[0]
    assert 100 < shift < 1000


def test_china_unknown_province_suggests():
    with pytest.raises(UnknownNameError, match="河北"):
        china.boundaries(province="河比省")
