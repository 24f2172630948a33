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


@pytest.mark.parametrize("suffix", [".png", ".pdf", ".svg"])
def test_mathtext_is_drawn_literally(grid_units, tmp_path, suffix, monkeypatch):
    """``$x^2$`` and backslashes in every text (title, legend title and labels, note) are
    drawn as written: no mathtext parse (which would crash on ``\\frac`` or eat the dollars)."""
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from urbanrural.maps import static

    title = "$x^2$ \\frac{1}{2} \\$ 100$"
    g = grid_units.assign(**{"$a_1$ \\alpha": grid_units["lisa_value"].replace("HH", "$x^2$ \\frac{1}{2}")})
    seen: list[Text] = []
    real = static.literal_text

    def spy(fig):
        real(fig)
        seen.extend(fig.findobj(Text))

    monkeypatch.setattr(static, "literal_text", spy)
    p = maps.static_map(g, "$a_1$ \\alpha", tmp_path / f"m{suffix}", title=title, palette={
        "$x^2$ \\frac{1}{2}": "red", "LL": "blue", "LH": "green", "HL": "orange", "ns": "grey"},
        source="$5 \\$ note")
    assert p.stat().st_size > 1000
    texts = {t.get_text() for t in seen}
    assert {title, "$a_1$ \\alpha", "$x^2$ \\frac{1}{2}"} <= texts
    assert any("$5 \\$ note" in t for t in texts)
    for t in seen:  # drawn literally: no math parsing, no TeX
        assert t.get_parse_math() is False and not t.get_usetex()
        assert t._preprocess_math(t.get_text()) == (t.get_text(), False)
    if suffix == ".svg":
        svg = p.read_text(encoding="utf-8")
        assert "$x^2$ \\frac{1}{2}" in svg or "$x^2$ \\frac{1}{2}".replace("\\", "\\\\") in svg or "x^2" in svg
    plt.close("all")


def test_hostile_titles_draw_in_print_maps(grid_units, tmp_path):
    from robustness.hostile import HOSTILE_NAMES

    title = " | ".join(HOSTILE_NAMES)
    for lang in ("en", "zh"):
        p = maps.render_map(grid_units, "value", tmp_path / f"h_{lang}.png", title=title, language=lang)
        assert p.stat().st_size > 5000


def test_missing_reason_in_print_legend(grid_units, tmp_path):
    import pandas as pd

    reason = pd.Series("ok", index=grid_units.index)
    reason.iloc[3] = "unreachable"
    svg = maps.static_map(grid_units, "value", tmp_path / "r.svg", title="t", missing_reason=reason,
                          language="zh").read_text(encoding="utf-8")
    assert "无法到达" in svg and "无数据" not in svg
