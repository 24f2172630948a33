"""Flow maps: directed arcs over the units (HTML offline and print), the class-by-class
matrix, net-flow choropleths diverging around 0, labels in en and zh, bad input."""

from __future__ import annotations

import html
import io
import json
import re
import zlib

import geopandas as gpd
import matplotlib.colors
import numpy as np
import pandas as pd
import pytest
import shapely
from fontTools.ttLib import TTFont
from hypothesis import example, given, settings
from hypothesis import strategies as st
from robustness.hostile import HOSTILE_NAMES

from urbanrural.geo.errors import DataError, UnknownNameError
from urbanrural.maps import flows as fm
from urbanrural.maps import palettes, render_map
from urbanrural.maps._flow_print import flow_map_static
from urbanrural.maps.interactive import Classes

URBAN = {"U05", "U06", "U09", "U10"}  # the 4 central cells of the 4 x 4 grid


@pytest.fixture
def flow_units() -> gpd.GeoDataFrame:
    """16 square units (4 x 4 grid, 2 km, UTM 50N) indexed U00..U15; the centre is urban."""
    ids = [f"U{i:02d}" for i in range(16)]
    geoms = [shapely.box(400_000 + 2000 * (i % 4), 4_300_000 + 2000 * (i // 4), 402_000 + 2000 * (i % 4),
                         4_302_000 + 2000 * (i // 4)) for i in range(16)]
    return gpd.GeoDataFrame({"name": [f"Town {i}" for i in range(16)], "name_zh": [f"镇{i}" for i in range(16)],
                             "urban_class": ["urban" if u in URBAN else "rural" for u in ids]},
                            geometry=geoms, crs=32650, index=pd.Index(ids, name="code"))


def flow_layer(units: gpd.GeoDataFrame, kinds: dict[str, int] | None = None, seed: int = 1) -> gpd.GeoDataFrame:
    """Directed flows between distinct units (volume > 0 only) as the pipeline writes them."""
    rng = np.random.default_rng(seed)
    pts = units.geometry.representative_point()
    cls = units["urban_class"]
    rows = []
    for kind, zero_every in (kinds or {"commuting": 7, "capital": 3}).items():
        vol = {}
        for i, o in enumerate(units.index):
            for j, d in enumerate(units.index):
                if o != d and (i * 16 + j) % zero_every:
                    vol[(o, d)] = float(rng.integers(1, 2000))
        for (o, d), v in vol.items():
            r = vol.get((d, o), 0.0)
            rows.append({"origin": o, "destination": d, "kind": kind, "year": 2020, "volume": v, "reverse": r,
                         "balance": min(v, r) / max(v, r), "origin_group": cls[o], "destination_group": cls[d],
                         "geometry": shapely.LineString([pts[o], pts[d]])})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=units.crs)


@pytest.fixture
def flow_lines(flow_units) -> gpd.GeoDataFrame:
    """Commuting (about 205 flows) and capital flows between the grid's units."""
    return flow_layer(flow_units)


def flow_layers(text: str) -> list[tuple[dict, list[str]]]:
    """The data and tooltip field names of the flow layers of a saved map."""
    return [(json.loads(m.group(1)), json.loads(m.group(2)))
            for m in re.finditer(r"urFlowLayer\((\{.*?\}), (\[.*?\])\);", text)]


def legend_text(text: str) -> str:
    m = re.search(r'<div class="ur-legend .*?</div></div>', text, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "|", m.group(0)))


def test_flow_map_html_is_offline_with_top_n_widths_and_a_title(flow_units, flow_lines, tmp_path):
    n_all = int((flow_lines["kind"] == "commuting").sum())
    assert n_all > fm.TOP_N
    out = render_map(flow_units, "flow:commuting", tmp_path / "f.html", flows=flow_lines)
    text = out.read_text(encoding="utf-8")
    assert re.search(r'<(script|link|img)[^>]*(src|href)\s*=\s*"(https?:)?//', text) is None
    assert "tile" not in text.lower() or "TileLayer(" not in text  # no basemap unless asked
    assert "<title>Commuting flows</title>" in text
    (data, aliases), = flow_layers(text)
    assert len(data["g"]) == fm.TOP_N and data["k"] == "line"
    top = flow_lines[flow_lines["kind"] == "commuting"].nlargest(fm.TOP_N, "volume")
    share = top["volume"].sum() / flow_lines.loc[flow_lines["kind"] == "commuting", "volume"].sum()
    leg = legend_text(text)
    assert f"200 of {n_all} flows shown ({share * 100:.1f} % of the volume)" in leg
    assert "Each flow bends to its right" in leg and "Rural → urban" in leg and "Urban → rural" in leg
    widths = data["s"]
    assert widths == sorted(widths, reverse=True) and max(widths) == pytest.approx(12.0)  # largest first
    assert len(re.findall(r"ur-flow-width", text)) == 3  # three sample widths
    assert aliases[:4] == ["Flow", "Reverse flow", "Balance", "Class pair"]


def test_top_n_and_min_volume_filter(flow_units, flow_lines, tmp_path):
    text = render_map(flow_units, "flow:commuting", tmp_path / "a.html", flows=flow_lines, top_n=10).read_text()
    assert len(flow_layers(text)[0][0]["g"]) == 10
    cut = 1500.0
    want = int(((flow_lines["kind"] == "commuting") & (flow_lines["volume"] >= cut)).sum())
    text = render_map(flow_units, "flow:commuting", tmp_path / "b.html", flows=flow_lines, top_n=None,
                      min_volume=cut).read_text()
    assert len(flow_layers(text)[0][0]["g"]) == want
    sel = fm.select_flows(flow_lines, "commuting", top_n=5, min_volume=cut)
    assert len(sel.flows) == 5 and (sel.flows["volume"] >= cut).all()
    with pytest.raises(DataError, match="top_n"):
        fm.select_flows(flow_lines, "commuting", top_n=0)
    with pytest.raises(DataError, match="largest is"):
        fm.select_flows(flow_lines, "commuting", min_volume=1e9)


def test_tooltips_name_both_directions(flow_units, flow_lines, tmp_path):
    text = render_map(flow_units, "flow:commuting", tmp_path / "f.html", flows=flow_lines, top_n=None).read_text()
    (data, aliases), = flow_layers(text)
    fwd, rev, bal = data["t"][0], data["t"][1], data["t"][2]
    row = flow_lines[(flow_lines["origin"] == "U00") & (flow_lines["destination"] == "U05")
                     & (flow_lines["kind"] == "commuting")].iloc[0]
    i = fwd.index(f"Town 0 (U00) → Town 5 (U05): {row['volume']:,.0f}")
    assert rev[i] == f"Town 5 (U05) → Town 0 (U00): {row['reverse']:,.0f}"
    assert bal[i] == f"{row['balance']:.2f}"
    assert data["t"][3][i] == "Rural → urban"


def test_reverse_and_balance_are_computed_when_absent(flow_lines):
    bare = flow_lines.drop(columns=["reverse", "balance"])
    got = fm.select_flows(bare, "commuting", top_n=None).flows.sort_index()
    want = flow_lines[flow_lines["kind"] == "commuting"].sort_index()
    np.testing.assert_allclose(got["reverse"], want["reverse"])
    np.testing.assert_allclose(got["balance"], want["balance"])


def test_arcs_bend_right_so_the_two_directions_do_not_overlap():
    ab = gpd.GeoSeries([shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(1000, 0), (0, 0)])])
    a, b = fm.flow_arcs(ab)
    assert a.coords[0] == (0, 0) and a.coords[-1] == (1000, 0)
    assert a.interpolate(0.5, normalized=True).y < 0 < b.interpolate(0.5, normalized=True).y  # east: bends south


def test_hostile_ids_names_and_kinds_are_text(flow_units, tmp_path):
    hostile = [h for h in HOSTILE_NAMES if h.strip()][:16]
    units = flow_units.copy()
    units["name"] = hostile
    units.index = pd.Index([f"{h}#{i}" for i, h in enumerate(hostile)], name="code")
    kind = "<script>alert(1)</script>"
    lines = flow_layer(units, {kind: 5})
    text = render_map(units, f"flow:{kind}", tmp_path / "x.html", flows=lines, top_n=None).read_text()
    for bad in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "{{7*7}}",
                "</script><script>"):
        assert bad not in text
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; flows</title>" in text  # title and legend escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt; flows (" not in text  # no made-up unit for an unknown kind
    (data, _aliases), = flow_layers(text)
    shown = " ".join(data["t"][0] + data["t"][1])  # decoded JSON: the raw text, shown with textContent
    for i, h in enumerate(hostile):
        assert f"{h}#{i}" in shown


def test_units_in_outline_with_their_code_and_no_tiles(flow_units, flow_lines, tmp_path):
    text = render_map(flow_units, "flow:commuting", tmp_path / "u.html", flows=flow_lines, top_n=3).read_text()
    units_layer = [json.loads(m.group(1)) for m in re.finditer(r"urLayer\((\{.*?\}), (\[.*?\])\);", text)]
    assert len(units_layer[0]["g"]) == 16 and units_layer[0]["t"][0][:2] == ["U00", "U01"]
    assert units_layer[1]["ni"] == 1 and len(units_layer[1]["g"]) == 3  # arrowheads, not interactive
    assert "L.tileLayer" not in text
    with_tiles = render_map(flow_units, "flow:commuting", tmp_path / "t.html", flows=flow_lines, top_n=3,
                            tiles="OpenStreetMap.Mapnik").read_text()
    assert "L.tileLayer" in with_tiles


def test_a_table_without_lines_is_drawn_from_the_units(flow_units, flow_lines, tmp_path):
    table = pd.DataFrame(flow_lines.drop(columns="geometry"))
    text = render_map(flow_units, "flow:commuting", tmp_path / "t.html", flows=table, top_n=5).read_text()
    assert len(flow_layers(text)[0][0]["g"]) == 5
    render_map(flow_units, "flow:commuting", tmp_path / "t.png", flows=table, top_n=5, print_options={"dpi": 50})


def test_zh_labels_and_pairs(flow_units, flow_lines, tmp_path):
    text = render_map(flow_units, "flow:commuting", tmp_path / "zh.html", flows=flow_lines, language="zh",
                      top_n=20).read_text()
    assert "<title>通勤流动</title>" in text
    leg = legend_text(text)
    assert "通勤流动（人）" in leg and "乡村→城镇" in leg and "城镇→乡村" in leg and "显示" in leg
    (data, aliases), = flow_layers(text)
    assert aliases[:4] == ["流量", "反向流量", "平衡度", "起讫类型"]
    assert any(t.startswith("镇") and "→ 镇" in t for t in data["t"][0])


def test_unknown_kind_and_missing_layer(flow_units, flow_lines, tmp_path):
    with pytest.raises(UnknownNameError, match="did you mean 'commuting'.*kinds in the flows layer: 'capital', "
                                               "'commuting'"):
        render_map(flow_units, "flow:comuting", tmp_path / "x.html", flows=flow_lines)
    with pytest.raises(DataError, match="no flows"):
        render_map(flow_units, "flow:commuting", tmp_path / "x.html")
    gpkg = tmp_path / "results.gpkg"
    flow_units.reset_index().to_file(gpkg, layer="units")
    with pytest.raises(DataError, match="has no flows"):
        render_map(gpkg, "flow:commuting", tmp_path / "x.html")
    with pytest.raises(DataError, match="flow:KIND"):
        render_map(flow_units, "flow", tmp_path / "x.html", flows=flow_lines)
    flow_lines.to_file(gpkg, layer="flows")
    out = render_map(gpkg, "flow:capital", tmp_path / "g.html", top_n=7, place="Demo county")
    text = out.read_text()
    assert len(flow_layers(text)[0][0]["g"]) == 7 and "<title>Demo county: Capital flows</title>" in text
    assert "Town 3 (U03)" in " ".join(flow_layers(text)[0][0]["t"][0])  # the unit code from results.gpkg
    with pytest.raises(UnknownNameError, match="years in the flows layer: 2020"):
        render_map(gpkg, "flow:capital:1999", tmp_path / "y.html")


def _pdf_fonts(data: bytes) -> tuple[set[bytes], list[bytes]]:
    subtypes = set(re.findall(rb"/Subtype\s*/(Type3|TrueType|Type0|CIDFontType2|CIDFontType0|Type1)", data))
    programs = []
    for m in re.finditer(rb"/FontFile2\s+(\d+)\s+0\s+R", data):
        obj = re.search(rb"\n" + m.group(1) + rb"\s+0\s+obj(.*?)stream\r?\n", data, re.S)
        raw = data[obj.end():data.index(b"endstream", obj.end())]
        programs.append(zlib.decompress(raw) if b"FlateDecode" in obj.group(1) else raw)
    return subtypes, programs


def test_print_flow_map_png_and_pdf_with_truetype_fonts(flow_units, flow_lines, tmp_path):
    png = render_map(flow_units, "flow:commuting", tmp_path / "f.png", flows=flow_lines, top_n=30,
                     print_options={"dpi": 60, "source": "县统计局 2024"})
    assert png.stat().st_size > 10_000
    pdf = render_map(flow_units, "flow:commuting", tmp_path / "f.pdf", flows=flow_lines, language="zh",
                     top_n=30, print_options={"source": "县统计局 2024"})
    subtypes, programs = _pdf_fonts(pdf.read_bytes())
    assert b"Type3" not in subtypes and programs
    for prog in programs:
        with TTFont(io.BytesIO(prog)) as f:
            assert "glyf" in f
    _path, info = flow_map_static(flow_units, flow_lines, "commuting", tmp_path / "i.png", top_n=30, dpi=50,
                                  _return_info=True)
    texts = info.legend_texts
    assert texts[:2] == ["Rural → urban", "Urban → rural"] and "Urban → urban" in texts
    assert len(texts) == 4 + 3  # four class pairs, three sample widths
    assert info.note.startswith(f"30 of {int((flow_lines['kind'] == 'commuting').sum())} flows shown")
    svg = render_map(flow_units, "flow:commuting", tmp_path / "f.svg", flows=flow_lines, top_n=30,
                     language="zh").read_text(encoding="utf-8")
    assert "通勤流动" in svg and "乡村→城镇" in svg


def test_matrix_numbers_are_the_group_sums(flow_units, flow_lines, tmp_path):
    part = flow_lines[flow_lines["kind"] == "commuting"]
    want = part.groupby(["origin_group", "destination_group"])["volume"].sum()
    mat = fm.flow_matrix(flow_lines, "commuting")
    assert list(mat.index) == ["urban", "rural"] == list(mat.columns)
    for (o, d), v in want.items():
        assert mat.loc[o, d] == pytest.approx(v)
    assert mat.to_numpy().sum() == pytest.approx(part["volume"].sum())
    text = render_map(flow_units, "flow_matrix:commuting", tmp_path / "m.html", flows=flow_lines).read_text()
    cells = [float(x) for x in re.findall(r'data-volume="([^"]+)"', text)]
    np.testing.assert_allclose(cells, mat.to_numpy().ravel(), rtol=1e-5)
    ru, ur = mat.loc["rural", "urban"], mat.loc["urban", "rural"]
    assert f"Balance {min(ru, ur) / max(ru, ur):.2f}" in text
    assert '<th scope="col">' in text and "<caption>" in text and "http" not in text
    svg = render_map(flow_units, "flow_matrix:commuting", tmp_path / "m.svg", flows=flow_lines,
                     language="zh").read_text(encoding="utf-8")
    assert f"{ru:,.0f}" in svg and "起点类型" in svg and "乡村" in svg
    pdf = render_map(flow_units, "flow_matrix:commuting", tmp_path / "m.pdf", flows=flow_lines, language="zh")
    assert b"Type3" not in _pdf_fonts(pdf.read_bytes())[0]


def test_net_flow_choropleth_diverges_around_zero(flow_units, flow_lines, tmp_path):
    part = flow_lines[flow_lines["kind"] == "commuting"]
    inflow = part.groupby("destination")["volume"].sum()
    outflow = part.groupby("origin")["volume"].sum()
    units = flow_units.assign(flow_in_commuting=inflow, flow_out_commuting=outflow,
                              flow_net_commuting=inflow - outflow,
                              flow_balance_commuting=np.linspace(0, 1, 16))
    text = render_map(units, "flow_net_commuting", tmp_path / "n.html").read_text()
    rows = re.findall(r'class="ur-swatch" style="background-color:(#[0-9a-fA-F]+);[^"]*"></span>([^<]*)</div>', text)
    assert "Net inflow: commuting (people)" in html.unescape(text)
    bins = palettes.diverging_bins(units["flow_net_commuting"], k=5)
    assert bins == [-b for b in reversed(bins)] and len(bins) == 4
    rgb = [matplotlib.colors.to_rgb(c) for c, _ in rows]
    assert rgb[0][0] > rgb[0][2] and rgb[-1][2] > rgb[-1][0]  # red outflow ... blue inflow
    c = Classes(units["flow_net_commuting"], scheme="user", bins=bins)
    # the same colour positions mirrored around the middle class (RdBu at 0.5: near white)
    assert c.colors == [matplotlib.colors.to_hex(matplotlib.colormaps["RdBu"](0.05 + 0.9 * i / 4)) for i in range(5)]
    assert min(matplotlib.colors.to_rgb(c.colors[2])) > 0.9
    zh = html.unescape(render_map(units, "flow_net_commuting", tmp_path / "z.html", language="zh").read_text())
    assert "通勤净流入（人）" in zh
    bal = re.findall(r'</span>([^<]*)</div>', render_map(units, "flow_balance_commuting",
                                                         tmp_path / "b.html").read_text())
    assert bal[0].startswith("0 - 0.2") and bal[-1].endswith("1")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50), st.integers(2, 9))
@example([5e-324], 2)  # a subnormal value: its magnitude underflowed to 0 (divide by zero)
def test_diverging_bins_are_symmetric(values, k):
    bins = palettes.diverging_bins(values, k=k)
    assert bins == [-b for b in reversed(bins)]
    assert all(a < b for a, b in zip(bins, bins[1:], strict=False)) and len(bins) <= 2 * max(1, k // 2)


@pytest.mark.browser
def test_flow_map_in_chromium_draws_paths_and_tooltips(browser, flow_units, flow_lines, tmp_path):
    p = render_map(flow_units, "flow:commuting", tmp_path / "b.html", flows=flow_lines, top_n=12)
    browser.open(p)
    page = browser.page
    assert browser.requests == [] and browser.errors == []
    assert page.evaluate("document.querySelectorAll('path.ur-flow').length") == 12
    assert page.evaluate("document.querySelectorAll('path.leaflet-interactive:not(.ur-flow)').length") == 16
    sel = fm.select_flows(flow_lines, "commuting", top_n=12)
    last = sel.flows.iloc[-1]  # the smallest is drawn last: on top
    arc = gpd.GeoSeries(fm.flow_arcs(sel.flows.geometry.iloc[-1:]), crs=flow_units.crs).to_crs(4326).iloc[0]
    mid = arc.interpolate(0.5, normalized=True)
    pt = page.evaluate(f"(() => {{ const m = Object.values(window).find(v => v instanceof L.Map); "
                       f"const p = m.latLngToContainerPoint([{mid.y}, {mid.x}]); return [p.x, p.y]; }})()")
    box = page.query_selector(".leaflet-container").bounding_box()
    page.mouse.move(box["x"] + pt[0], box["y"] + pt[1])
    page.wait_for_timeout(300)
    tip = page.inner_text(".leaflet-tooltip")
    o, d = last["origin"], last["destination"]
    assert f"({o}) → " in tip and f"({d}) → " in tip and f"{last['volume']:,.0f}" in tip
    assert "Reverse flow" in tip and "Balance" in tip
    assert "Commuting flows" in page.inner_text(".ur-legend")
    page.screenshot(path=str(tmp_path / "flows.png"))
