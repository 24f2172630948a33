"""render_map and the print writers given several formats of one map: drawn once, saved in each."""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
from PIL import Image

from urbanrural.geo.errors import DataError
from urbanrural.maps import _flow_print, fonts, panel, render, static

ZH_TITLE = "到医院出行时间（分钟）"


@pytest.fixture
def map_figure_calls(monkeypatch):
    """A list that grows by one each time :func:`static.map_figure` draws a figure."""
    calls: list[str] = []
    real = static.map_figure

    def counted(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(static, "map_figure", counted)
    return calls


@pytest.fixture
def new_figure_calls(monkeypatch):
    """A list that grows by one each time a print layout opens its page (``static._new_figure``)."""
    calls: list[int] = []
    real = static._new_figure

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(static, "_new_figure", counted)
    return calls


def test_static_map_draws_once_and_writes_every_format(grid_units, tmp_path, map_figure_calls):
    paths = [tmp_path / "v.png", tmp_path / "v.pdf", tmp_path / "v.svg"]
    out = static.static_map(grid_units, "value", paths, title="Value", k=4, dpi=60)
    assert out == paths and map_figure_calls == ["value"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert paths[1].read_bytes()[:4] == b"%PDF" and "<svg" in paths[2].read_text(encoding="utf-8")
    # one path in, one path out (as before)
    assert static.static_map(grid_units, "value", tmp_path / "one.png", title="Value", k=4, dpi=60) == \
        tmp_path / "one.png"


def test_png_saved_with_other_formats_equals_png_alone(grid_units, tmp_path):
    static.static_map(grid_units, "value", [tmp_path / "a.pdf", tmp_path / "a.svg", tmp_path / "a.png"],
                      title=ZH_TITLE, language="zh", k=4, dpi=60)
    static.static_map(grid_units, "value", tmp_path / "b.png", title=ZH_TITLE, language="zh", k=4, dpi=60)
    with Image.open(tmp_path / "a.png") as a, Image.open(tmp_path / "b.png") as b:
        assert a.size == b.size
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_chinese_text_in_pdf_and_svg_saved_from_one_figure(grid_units, tmp_path):
    cjk = fonts.find_cjk_font()
    if cjk is None:
        pytest.skip(f"no CJK font on this machine; {fonts.INSTALL_HINT}")
    pdf, svg = tmp_path / "zh.pdf", tmp_path / "zh.svg"
    static.static_map(grid_units, "value", [pdf, svg], title=ZH_TITLE, language="zh", source="县统计局 2024")
    data = pdf.read_bytes()
    assert b"Type3" not in data and b"FontFile2" in data
    if cjk.is_cff:  # the PDF takes a TrueType subset of the CJK font...
        assert b"urbanrural" in data and b"CJK" in data
    text = svg.read_text(encoding="utf-8")
    assert "<text" in text and ZH_TITLE in text and "县统计局 2024" in text
    # ...and the SVG saved after it names the installed font again, not the PDF's subset
    assert "urbanrural CJK" not in text and cjk.family in text


def test_repeated_or_wrong_paths_refused(grid_units, tmp_path):
    with pytest.raises(DataError, match="twice"):
        static.static_map(grid_units, "value", [tmp_path / "a.png", tmp_path / "a.png"], title="t")
    with pytest.raises(DataError, match="static maps are written as"):
        static.static_map(grid_units, "value", [tmp_path / "a.png", tmp_path / "a.html"], title="t")
    with pytest.raises(DataError, match="no output path"):
        static.static_map(grid_units, "value", [], title="t")
    assert not list(tmp_path.iterdir())


def test_render_map_html_and_print_formats_in_one_call(grid_units, tmp_path, map_figure_calls):
    outs = [tmp_path / "value.html", tmp_path / "value.png", tmp_path / "value.pdf", tmp_path / "value.svg"]
    done = render.render_map(grid_units, "value", outs, language="zh", print_options={"dpi": 60})
    assert done == outs and all(p.exists() for p in outs)
    assert map_figure_calls == ["value"]
    assert "L.map" in outs[0].read_text(encoding="utf-8")


def test_render_map_from_results_gpkg_reads_once(grid_units, tmp_path, monkeypatch, map_figure_calls):
    gpkg = tmp_path / "results.gpkg"
    grid_units.drop(columns="lisa_value").to_file(gpkg, layer="units")
    reads: list[str] = []
    real = render.read_layer
    monkeypatch.setattr(render, "read_layer", lambda src, layer: reads.append(layer) or real(src, layer))
    outs = [tmp_path / "m.svg", tmp_path / "m.html", tmp_path / "m.png"]
    assert render.render_map(gpkg, "value", outs, print_options={"dpi": 50}) == [outs[1], outs[0], outs[2]]
    assert reads == ["units"] and map_figure_calls == ["value"]


def test_facilities_print_map_drawn_once(grid_units, tmp_path, map_figure_calls):
    pts = gpd.GeoDataFrame({"category": ["hospital", "school"], "name": ["H", "S"]},
                           geometry=[shapely.Point(401_500, 4_301_500), shapely.Point(402_500, 4_302_500)],
                           crs=32650)
    outs = [tmp_path / "f.png", tmp_path / "f.svg"]
    assert render.render_map(grid_units, "facilities", outs, facilities=pts, print_options={"dpi": 50}) == outs
    assert map_figure_calls == ["category"]


def test_small_multiples_flow_and_density_draw_once(grid_units, tmp_path, new_figure_calls, monkeypatch):
    g = grid_units.assign(v_2019=grid_units["value"], v_2020=grid_units["value"] * 1.1)
    outs = [tmp_path / "y.png", tmp_path / "y.pdf", tmp_path / "y.svg"]
    assert panel.years_static(g, "v", outs, print_options={"dpi": 50}) == outs
    assert len(new_figure_calls) == 1
    f = gpd.GeoDataFrame({"origin": ["000", "001"], "destination": ["001", "000"], "kind": "commuting",
                          "volume": [70.0, 5.0]},
                         geometry=[shapely.LineString([(400_500, 4_300_500), (401_500, 4_300_500)]),
                                   shapely.LineString([(401_500, 4_300_500), (400_500, 4_300_500)])], crs=32650)
    outs = [tmp_path / "f.png", tmp_path / "f.svg"]
    assert _flow_print.flow_map_static(grid_units, f, "commuting", outs, dpi=50) == outs
    assert len(new_figure_calls) == 2
    figures: list[int] = []
    real = panel.density_figure
    monkeypatch.setattr(panel, "density_figure", lambda *a, **k: figures.append(1) or real(*a, **k))
    outs = [tmp_path / "d.png", tmp_path / "d.pdf"]
    assert panel.density_static(g, "v", outs, dpi=50) == outs and figures == [1]
    assert all(p.stat().st_size > 1000 for p in outs)
    assert plt.get_fignums() == []  # every figure closed
