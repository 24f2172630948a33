"""Print maps: size and dpi, not blank, legend present; the render entry point."""

from __future__ import annotations

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
