"""Facilities on the HTML maps: one compact block of data drawn on a canvas."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from urbanrural import maps
from urbanrural.geo.errors import DataError
from urbanrural.maps import _facilities

CATS = ["hospital", "clinic", "school", "nursing_home", "bus_stop", "post_office"]
HOSTILE = "</script><img src=x onerror=alert(1)>{{7*7}}"


@pytest.fixture
def province_facilities() -> gpd.GeoDataFrame:
    """13,800 facilities over ~300 x 300 km in UTM 50N (the size of issue 16's province)."""
    rng = np.random.default_rng(1)
    n = 13_800
    xy = rng.uniform((300_000, 4_000_000), (600_000, 4_300_000), (n, 2))
    return gpd.GeoDataFrame({"category": rng.choice(CATS, n), "name": [f"第{i}号卫生室" for i in range(n)]},
                            geometry=shapely.points(xy), crs=32650)


def _decode(d: dict) -> np.ndarray:
    q = np.cumsum(np.asarray(d["x"], dtype=np.int64).reshape(-1, 2), axis=0)
    return np.asarray(d["o"]) + q * d["r"]


def test_block_round_trips_points_names_and_categories():
    f = gpd.GeoDataFrame({"category": ["school", "clinic", "school", "clinic"], "name": ["A", "B", None, HOSTILE]},
                         geometry=[shapely.Point(115.0, 38.0), shapely.Point(115.2, 38.1), shapely.Point(115.1, 38.3),
                                   shapely.Point(115.3, 38.2)], crs=4326)
    d = _facilities.facility_data(f)
    assert d["cats"] == ["clinic", "school"] and len(d["p"]) == 2 and "s" not in d
    got = {(n, d["cats"][c]): tuple(xy) for n, c, xy in zip(d["n"], d["c"], _decode(d), strict=True)}
    want = {(n if isinstance(n, str) else "", c): (g.x, g.y) for n, c, g in zip(f["name"], f["category"],
                                                                                  f.geometry, strict=True)}
    assert got.keys() == want.keys()
    for k, xy in got.items():
        np.testing.assert_allclose(xy, want[k], atol=d["r"])  # rounded to the grid (~1 m)
    assert d["r"] <= 1e-5 * 1.0001


def test_chinese_labels_and_empty_geometries_left_out():
    f = gpd.GeoDataFrame({"category": ["hospital", "school"], "name": ["县医院", "一中"]},
                         geometry=[shapely.Point(500_000, 4_300_000), shapely.Point()], crs=32650)
    d = _facilities.facility_data(f, language="zh")
    assert d["cats"] == ["医院"] and d["n"] == ["县医院"]


def test_bad_layers_refused():
    with pytest.raises(DataError, match="'category'"):
        _facilities.facility_data(gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(0, 0)], crs=4326))
    with pytest.raises(DataError, match="no CRS"):
        _facilities.facility_data(gpd.GeoDataFrame({"category": ["a"]}, geometry=[shapely.Point(0, 0)]))


def test_thinning_over_the_limit_counts_the_merged_points():
    pts = [shapely.Point(115.0 + 0.0001 * i, 38.0) for i in range(5)] + [shapely.Point(116.0, 38.0)]
    f = gpd.GeoDataFrame({"category": ["school"] * 6, "name": list("abcdef")}, geometry=pts, crs=4326)
    d = _facilities.facility_data(f, cluster_over=3)
    assert len(d["n"]) == 2 and sorted(d["s"]) == [4.0, round(4 + np.log2(5), 1)]
    assert any(re.search(r"\b4\b", n) for n in d["n"])  # "a (4 more nearby)"
    assert len(_facilities.facility_data(f, cluster_over=None)["n"]) == 6


def test_province_of_facilities_fits_in_well_under_two_megabytes(grid_units, province_facilities, tmp_path):
    html = maps.to_html(maps.facilities_map(grid_units, province_facilities))
    size = len(html.encode("utf-8"))
    base = len(maps.to_html(maps.facilities_map(grid_units, province_facilities.iloc[:1])).encode("utf-8"))
    per_point = (size - base) / (len(province_facilities) - 1)
    assert size <= 2_000_000, size
    assert per_point <= 40, per_point  # ~10 bytes of coordinates, the name, a category index
    assert html.count("L.circleMarker(d._ll[j]") == 1  # one loop, not a marker object per point
    assert html.count("urFacilities(ur_facilities_") == len(CATS)  # one overlay per category


def test_text_lands_as_data_not_markup():
    f = gpd.GeoDataFrame({"category": [HOSTILE], "name": [HOSTILE]}, geometry=[shapely.Point(115, 38)], crs=4326)
    g = gpd.GeoDataFrame({"v": [1.0]}, geometry=[shapely.box(114.9, 37.9, 115.1, 38.1)], crs=4326)
    html = maps.to_html(maps.facilities_map(g, f, language="zh"))
    # {{7*7}} never becomes 49 (folium's random hex element ids such as ..._bebcbe8fc7dfe6ab45e49f and
    # longer numbers are taken out first: they may hold "49" by chance)
    plain = re.sub(r"\d{3,}", "", re.sub(r"_[0-9a-f]{12,}\b", "", html))
    assert "</script><img" not in html and "<img src=x" not in html and "49" not in plain
    assert "\\u003c/script\\u003e\\u003cimg" in html  # JSON in <script>
    assert "&lt;/script&gt;&lt;img" in html  # the layer name and legend (HTML text)


@pytest.mark.browser
def test_province_of_facilities_in_chromium(browser, grid_units, province_facilities, tmp_path):
    p = maps.save_html(maps.facilities_map(grid_units, province_facilities, language="zh"), tmp_path / "fac.html")
    browser.open(p)
    page = browser.page
    assert browser.requests == [] and browser.errors == []
    n = page.evaluate("(() => { const m = Object.values(window).find(v => v instanceof L.Map); let n = 0; "
                      "m.eachLayer(l => { if (l.urFacilities) n += l.getLayers().length; }); return n; })()")
    assert n == len(province_facilities)
    assert page.evaluate("document.querySelectorAll('.leaflet-overlay-pane path').length") == 0  # canvas only
    names = page.eval_on_selector_all(".leaflet-control-layers-overlays label", "els => els.map(e => e.innerText)")
    assert [x.strip() for x in names][1:] == ["公交站", "诊所", "医院", "养老机构", "邮政网点", "学校"], names
    # a category switched off in the layer control leaves the map
    page.eval_on_selector_all(".leaflet-control-layers-overlays input", "els => els[2].click()")
    n2 = page.evaluate("(() => { const m = Object.values(window).find(v => v instanceof L.Map); let n = 0; "
                       "m.eachLayer(l => { if (l.urFacilities) n += l.getLayers().length; }); return n; })()")
    assert n2 == n - int((province_facilities["category"] == "clinic").sum())
    assert "设施" in page.inner_text(".ur-legend")
    page.screenshot(path=str(tmp_path / "fac.png"))
