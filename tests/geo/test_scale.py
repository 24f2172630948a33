"""Scale error of the analysis CRS: refuse distorting CRSs, pick one that fits."""

from __future__ import annotations

import time

import geopandas as gpd
import pytest
import shapely

from urbanrural.geo.crs import scale_error, select_analysis_crs, utm_crs
from urbanrural.geo.errors import CRSError
from urbanrural.layers import StudyArea
from urbanrural.layers.datasets import load_example


def lonlat_units(west, south, east, north, n=4):
    """An n x n grid of lon/lat boxes over the given extent."""
    dx, dy = (east - west) / n, (north - south) / n
    boxes = [shapely.box(west + i * dx, south + j * dy, west + (i + 1) * dx, south + (j + 1) * dy)
             for i in range(n) for j in range(n)]
    return gpd.GeoDataFrame(geometry=boxes, index=[f"u{k}" for k in range(len(boxes))], crs=4326)


def test_known_scale_factors():
    assert scale_error("EPSG:3857", (110, 30, 110, 30)) == pytest.approx(1 / 0.8660254 - 1, rel=1e-4)
    # on the UTM central meridian the scale is k0 = 0.9996
    assert scale_error("EPSG:32650", (117, 0, 117, 0)) == pytest.approx(4e-4, rel=1e-3)
    # the corners count: a box from the central meridian to 6 degrees east at the equator
    assert scale_error("EPSG:32650", (117, 0, 123, 0)) > 0.005


def test_web_mercator_at_30n_refused_with_percent_and_epsg():
    units = lonlat_units(110.0, 29.8, 110.6, 30.2)
    with pytest.raises(CRSError, match=r"EPSG:3857 distorts distances by up to 15\.\d% .*crs: EPSG:32649"):
        StudyArea.build(units, crs="EPSG:3857")


def test_far_utm_zone_refused():
    units = lonlat_units(110.0, 29.8, 110.6, 30.2)
    with pytest.raises(CRSError, match=r"EPSG:32645 distorts distances by up to \d+\.\d%.*EPSG:32649"):
        StudyArea.build(units, crs="EPSG:32645")


def test_tolerance_is_a_keyword():
    units = lonlat_units(110.0, 29.8, 110.6, 30.2)
    area = StudyArea.build(units, crs="EPSG:32645", scale_tolerance=0.2)
    assert area.crs_choice.method == "user" and 0.01 < area.crs_choice.scale_error < 0.2
    with pytest.raises(CRSError, match="scale_tolerance must be a positive"):
        StudyArea.build(units, scale_tolerance=0)


def test_ten_degree_province_gets_a_centred_tmerc_when_utm_is_not_good_enough():
    units = lonlat_units(105.0, 25.0, 115.0, 30.0)
    utm = scale_error(utm_crs((105.0, 25.0, 115.0, 30.0)), (105.0, 25.0, 115.0, 30.0))
    area = StudyArea.build(units, scale_tolerance=0.003)
    assert utm > 0.003
    assert area.crs_choice.method == "tmerc" and area.crs_choice.scale_error < 0.003
    assert area.crs.to_epsg() is None and "Transverse Mercator 110E" in area.crs.name
    s = area.summary()["crs_choice"]
    assert s["method"] == "tmerc" and s["proj"].startswith("+proj=tmerc") and "+lon_0=110" in s["proj"]
    assert area.area_km2.sum() == pytest.approx(10 * 5 * 111.32 * 110.9 * 0.88, rel=0.03)


def test_wide_province_auto_tmerc_at_default_tolerance():
    units = lonlat_units(100.0, 25.0, 120.0, 30.0)  # 20 degrees: 3+ UTM zones
    area = StudyArea.build(units)
    assert area.crs_choice.method == "tmerc" and area.crs_choice.scale_error <= 0.01
    assert any("transverse Mercator" in c.detail for c in area.checks.records)


def test_area_too_large_for_one_projection_refused():
    units = lonlat_units(73.0, 18.0, 135.0, 54.0)
    with pytest.raises(CRSError, match="too large for one map projection.*split the study"):
        select_analysis_crs(units)


def test_georgia_passes_in_its_own_utm_and_auto():
    g = load_example("georgia")
    area = StudyArea.build(g, crs="EPSG:26916")
    assert area.crs_choice.scale_error < 0.01
    auto = StudyArea.build(g)
    assert auto.crs_choice.method == "utm" and auto.crs.to_epsg() == 32617


def test_measurement_is_fast_on_many_units():
    units = lonlat_units(110.0, 29.8, 110.6, 30.2, n=60)
    t = time.perf_counter()
    select_analysis_crs(units)
    assert time.perf_counter() - t < 10  # ~1 s alone; the machine is shared
