"""Every kind of HTML map opened in headless Chromium with the network blocked."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from urbanrural import maps
from urbanrural.maps.interactive import display_frame

pytestmark = pytest.mark.browser


def _check(browser, path, *, features: int, legend_text: str, tmp_path):
    browser.open(path)
    page = browser.page
    assert browser.requests == [], browser.requests
    assert browser.errors == [], browser.errors
    assert page.evaluate("typeof L") == "object"
    assert browser.drawn() == features
    legend = page.inner_text(".ur-legend")
    assert legend_text in legend
    page.screenshot(path=str(tmp_path / (path.stem + ".png")))
    assert (tmp_path / (path.stem + ".png")).stat().st_size > 5000
    return legend


def _facility_markers(page) -> int:
    """Circle markers drawn by the facilities layers (canvas: not in the DOM)."""
    return page.evaluate("(() => { const m = Object.values(window).find(v => v instanceof L.Map); let n = 0; "
                         "m.eachLayer(l => { if (l.urFacilities) n += l.getLayers().length; }); return n; })()")


def _hover(page, point, expect: str | None = None) -> str:
    """Move the mouse onto ``point`` (lon/lat) and return the tooltip's text; with ``expect``,
    try again with longer pauses until the tooltip shows it (a loaded machine can let the
    canvas see the mouse late, still over the unit beneath)."""
    pt = page.evaluate(f"(() => {{ const m = Object.values(window).find(v => v instanceof L.Map); "
                       f"const p = m.latLngToContainerPoint([{point.y}, {point.x}]); return [p.x, p.y]; }})()")
    box = page.query_selector(".leaflet-container").bounding_box()
    text = ""
    for attempt in range(1, 6):
        page.mouse.move(box["x"] + pt[0] + 30, box["y"] + pt[1] + 30)
        page.wait_for_timeout(100 * attempt)  # Leaflet's canvas looks at the mouse at most every 32 ms
        page.mouse.move(box["x"] + pt[0], box["y"] + pt[1], steps=4)
        page.wait_for_timeout(300 * attempt)
        text = page.inner_text(".leaflet-tooltip")
        if expect is None or expect in text:
            break
    return text


def test_choropleth_offline(browser, grid_units, tmp_path):
    p = maps.save_html(maps.choropleth(grid_units, "value", k=4), tmp_path / "choro.html")
    legend = _check(browser, p, features=25, legend_text="No data", tmp_path=tmp_path)
    assert legend.count(" - ") == 4
    # the decoded geometry lands where it should: layer bounds = the display frame's bounds
    b = browser.page.evaluate("(() => { const m = Object.values(window).find(v => v instanceof L.Map); "
                              "let out = null; m.eachLayer(l => { if (l.getBounds && l.feature === undefined "
                              "&& l.getLayers) { const b = l.getBounds(); out = [b.getWest(), b.getSouth(), "
                              "b.getEast(), b.getNorth()]; } }); return out; })()")
    np.testing.assert_allclose(b, display_frame(grid_units).total_bounds, atol=1e-5)


def test_categorical_lisa_and_degurba(browser, grid_units, tmp_path):
    p = maps.save_html(maps.categorical(grid_units, "lisa_value"), tmp_path / "lisa.html")
    assert "High-High" in _check(browser, p, features=25, legend_text="Not significant", tmp_path=tmp_path)
    p2 = maps.save_html(maps.categorical(grid_units, "degurba_l2", language="zh"), tmp_path / "dou.html")
    _check(browser, p2, features=25, legend_text="城市中心", tmp_path=tmp_path)


def test_facilities_and_raster(browser, grid_units, tmp_path):
    pts = gpd.GeoDataFrame({"category": ["hospital", "school", "school"], "name": ["H", "S1", "S2"]},
                           geometry=[shapely.Point(401_500, 4_301_500), shapely.Point(402_500, 4_302_500),
                                     shapely.Point(403_500, 4_303_500)], crs=32650)
    p = maps.save_html(maps.facilities_map(grid_units, pts), tmp_path / "fac.html")
    # 25 unit outlines + 3 circle markers, all on one canvas (no SVG element each); one overlay per category
    _check(browser, p, features=28, legend_text="school", tmp_path=tmp_path)
    assert _facility_markers(browser.page) == 3
    assert browser.page.evaluate("[document.querySelectorAll('.leaflet-overlay-pane canvas').length, "
                                 "document.querySelectorAll('.leaflet-overlay-pane path').length]") == [1, 0]
    names = browser.page.eval_on_selector_all(".leaflet-control-layers-overlays label",
                                              "els => els.map(e => e.innerText.trim())")
    assert names == ["Units", "hospital", "school"], names
    tip = _hover(browser.page, pts.to_crs(4326).geometry.iloc[1], expect="S1")
    assert "Category" in tip and "school" in tip and "S1" in tip, tip
    assert browser.drawn("l.urName === 'S1' && l.options.weight > 2") == 1  # the marker hovered is highlighted
    tif = tmp_path / "tt.tif"
    arr = np.linspace(0, 90, 25, dtype="float32").reshape(5, 5)
    arr[0, 0] = -2
    with rasterio.open(tif, "w", driver="GTiff", width=5, height=5, count=1, dtype="float32", crs="EPSG:32650",
                       transform=from_origin(400_000, 4_305_000, 1000, 1000), nodata=-1) as dst:
        dst.write(arr, 1)
    m = maps.categorical(grid_units.assign(o="u"), "o", palette={"u": "#ffffff"})
    p2 = maps.save_html(maps.add_raster(m, str(tif), title="Minutes to hospital"), tmp_path / "tt.html")
    browser.open(p2)
    assert browser.requests == [] and browser.errors == []
    assert browser.page.evaluate("document.querySelectorAll('img.leaflet-image-layer').length") == 1
    assert "unreachable" in browser.page.inner_text("body")


def test_hostile_names_are_shown_as_text(browser, grid_units, tmp_path):
    p = maps.save_html(maps.choropleth(grid_units, "value"), tmp_path / "xss.html")
    browser.open(p)
    # hover the unit with the hostile name: its tooltip shows the text, no script runs
    b = display_frame(grid_units).geometry.iloc[7].centroid
    page = browser.page
    pt = page.evaluate(f"(() => {{ const m = Object.values(window).find(v => v instanceof L.Map); "
                       f"const p = m.latLngToContainerPoint([{b.y}, {b.x}]); return [p.x, p.y]; }})()")
    box = page.query_selector(".leaflet-container").bounding_box()
    page.mouse.move(box["x"] + pt[0], box["y"] + pt[1])
    page.wait_for_timeout(300)
    tip = page.inner_text(".leaflet-tooltip")
    assert "<img src=x onerror=alert(1)>" in tip
    assert browser.dialogs == [] and browser.errors == []
    assert page.evaluate("document.querySelectorAll('.leaflet-tooltip img').length") == 0


def test_display_geometry_is_compact(grid_units, tmp_path):
    """Simple polygons cost far fewer bytes than GeoDataFrame.explore() writes."""
    many = gpd.GeoDataFrame({"value": np.arange(2000.0)},
                            geometry=[shapely.box(400_000 + 100 * (i % 50), 4_300_000 + 100 * (i // 50),
                                                  400_100 + 100 * (i % 50), 4_300_100 + 100 * (i // 50))
                                      for i in range(2000)], crs=32650)
    empty = len(maps.to_html(maps.choropleth(many.iloc[:1], "value", k=2)))
    full = len(maps.to_html(maps.choropleth(many, "value")))
    per_polygon = (full - empty) / 1999
    many.explore("value").save(tmp_path / "explore.html")
    explore_per = (tmp_path / "explore.html").stat().st_size / 2000
    assert per_polygon < 0.7 * explore_per, (per_polygon, explore_per)
    assert per_polygon <= 100, per_polygon  # the aim of the issue (explore writes ~290)


def test_roads_layer_draws_every_line(browser, grid_units, tmp_path):
    roads = gpd.GeoDataFrame({"road_class": ["county", "village", "village"]},
                             geometry=[shapely.LineString([(400_000, 4_300_500), (405_000, 4_300_500)]),
                                       shapely.LineString([(402_500, 4_300_000), (402_500, 4_305_000)]),
                                       shapely.LineString([(400_000, 4_304_500), (405_000, 4_304_500)])], crs=32650)
    m = maps.add_roads(maps.choropleth(grid_units, "value"), roads)
    p = maps.save_html(m, tmp_path / "roads.html")
    _check(browser, p, features=28, legend_text="No data", tmp_path=tmp_path)


def test_layers_in_one_map_with_a_layer_control_and_hover(browser, grid_units, tmp_path):
    """Choropleth + isochrones + roads + facilities: every layer listed, the units' tooltip
    (code first) still reachable under the translucent isochrones, hover highlight."""
    fac = gpd.GeoDataFrame({"category": ["hospital", "school"], "name": ["H", "S"]},
                           geometry=[shapely.Point(401_500, 4_301_500), shapely.Point(403_500, 4_303_500)], crs=32650)
    roads = gpd.GeoDataFrame({"road_class": ["county"]},
                             geometry=[shapely.LineString([(400_000, 4_300_200), (405_000, 4_300_200)])], crs=32650)
    iso = gpd.GeoDataFrame({"category": ["hospital"] * 2, "minutes": [15.0, 30.0]},
                           geometry=[shapely.Point(402_500, 4_302_500).buffer(r) for r in (900, 2000)], crs=32650)
    m = maps.choropleth(grid_units, "value", facilities=fac, roads=roads, isochrones=iso, language="zh")
    p = maps.save_html(m, tmp_path / "layers.html")
    browser.open(p)
    page = browser.page
    assert browser.requests == [] and browser.errors == []
    names = page.eval_on_selector_all(".leaflet-control-layers-overlays label", "els => els.map(e => e.innerText.trim())")
    assert names == ["value", "等时圈: 医院", "道路", "医院", "学校"], names
    assert page.evaluate("document.querySelectorAll('.leaflet-tile').length") == 0  # no tiles offline
    b = display_frame(grid_units).geometry.iloc[12].representative_point()  # under the isochrones
    pt = page.evaluate(f"(() => {{ const m = Object.values(window).find(v => v instanceof L.Map); "
                       f"const p = m.latLngToContainerPoint([{b.y}, {b.x}]); return [p.x, p.y]; }})()")
    box = page.query_selector(".leaflet-container").bounding_box()
    page.mouse.move(box["x"] + pt[0] + 30, box["y"] + pt[1] + 30)
    page.mouse.move(box["x"] + pt[0], box["y"] + pt[1])
    page.wait_for_timeout(200)
    tip = page.inner_text(".leaflet-tooltip")
    assert tip.startswith("单元代码") and "012" in tip and "名称" in tip, tip
    assert browser.drawn("l.options.weight > 2") == 1  # the hovered unit is highlighted
    tip = _hover(page, fac.to_crs(4326).geometry.iloc[0])  # a facility over the units: its own tooltip
    assert tip.startswith("类别") and "医院" in tip and "H" in tip, tip
    assert _facility_markers(page) == 2
    page.screenshot(path=str(tmp_path / "layers.png"))
