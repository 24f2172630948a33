"""Print maps: size and dpi, not blank, legend present; the render entry point."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from PIL import Image

from urbanrural import maps
from urbanrural.geo.errors import DataError


def test_png_at_300_dpi_not_blank(grid_units, tmp_path):
    p = maps.static_map(grid_units, "value", tmp_path / "v.png", title="Value", k=4)
    with Image.open(p) as im:
        dpi = im.info.get("dpi")
        a = np.asarray(im.convert("L"), dtype=float)
    assert dpi is not None and round(dpi[0]) == 300
    assert min(a.shape) > 1500 and a.std() > 10


def test_svg_has_legend_classes_scale_and_no_data(grid_units, tmp_path):
    p = maps.static_map(grid_units, "value", tmp_path / "v.svg", title="Value", k=4)
    text = p.read_text(encoding="utf-8")
    for word in ("No data", "km", "CRS: EPSG:32650", "Value"):
        assert word in text, word
    p2 = maps.static_map(grid_units, "lisa_value", tmp_path / "l.pdf", title="LISA")
    assert p2.read_bytes()[:4] == b"%PDF"


def test_render_map_specs_and_errors(grid_units, tmp_path):
    assert maps.render_map(grid_units, "lisa:value", tmp_path / "l.html").exists()
    assert maps.render_map(grid_units, "value", tmp_path / "v.png").exists()
    with pytest.raises(DataError, match="lisa_nope"):
        maps.render_map(grid_units, "lisa:nope", tmp_path / "x.html")
    with pytest.raises(DataError, match=".html, .png"):
        maps.render_map(grid_units, "value", tmp_path / "x.jpg")


def test_isochrone_map_nested_bands(grid_units, tmp_path):
    c = grid_units.geometry.union_all().centroid
    iso = gpd.GeoDataFrame({"category": ["clinic"] * 4 + ["school"], "facility": ["a", "a", "b", "b", "s"],
                            "minutes": [15.0, 30.0, 15.0, 30.0, 15.0]}, crs=grid_units.crs,
                           geometry=[c.buffer(r) for r in (300, 900, 200, 700, 100)])
    svg = maps.render_map(grid_units, "iso:clinic", tmp_path / "iso.svg", isochrones=iso).read_text()
    assert "≤ 15 min" in svg and "≤ 30 min" in svg
    html = maps.render_map(grid_units, "iso:clinic", tmp_path / "iso.html", isochrones=iso).read_text()
    assert "≤ 30 min" in html and "≤ 15 min" in html
    with pytest.raises(DataError, match="no isochrones for 'hospital'.*clinic"):
        maps.render_map(grid_units, "iso:hospital", tmp_path / "x.html", isochrones=iso)
    with pytest.raises(DataError, match="isochrones layer"):
        maps.render_map(grid_units, "iso:clinic", tmp_path / "x.png")
