"""Maps and figures of change over time: years in shared classes (print and HTML), the
kernel density figure (ridge and overlay), change/warning/hot spot trend column maps."""

from __future__ import annotations

import html
import io
import json
import re
import zlib

import geopandas as gpd
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import shapely
from fontTools.ttLib import TTFont
from scipy.stats import gaussian_kde

from urbanrural.geo.errors import DataError, UnknownNameError
from urbanrural.maps import labels, palettes, render_map
from urbanrural.maps import panel as pm
from urbanrural.maps.interactive import Classes
from urbanrural.maps.offline import leaflet_assets
from urbanrural.maps.render import map_kind

YEARS = [2019, 2020, 2021, 2022]
HOSTILE = "</script><script>alert(1)</script>{{7*7}}"


@pytest.fixture
def panel_units() -> gpd.GeoDataFrame:
    """25 square units (5 x 5, 1 km, UTM 50N) indexed by code, with ``integration_index_2019``
    ... ``_2022`` (one missing value in 2020), the change columns, early warnings and the
    emerging hot spot trend; unit 7 has a hostile name."""
    rng = np.random.default_rng(7)
    n = 25
    geoms = [shapely.box(400_000 + 1000 * (i % 5), 4_300_000 + 1000 * (i // 5), 401_000 + 1000 * (i % 5),
                         4_301_000 + 1000 * (i // 5)) for i in range(n)]
    base = rng.uniform(0.15, 0.55, n)
    cols = {f"integration_index_{y}": base + 0.04 * j + rng.normal(0, 0.03, n) for j, y in enumerate(YEARS)}
    names = [f"Town {i}" for i in range(n)]
    names[7] = HOSTILE
    g = gpd.GeoDataFrame({"name": names, **cols}, geometry=geoms, crs=32650,
                         index=pd.Index([f"U{i:02d}" for i in range(n)], name="code"))
    g.loc["U03", "integration_index_2020"] = np.nan
    first, last = g["integration_index_2019"], g["integration_index_2022"]
    g["index_change"] = last - first
    g.loc["U00", "index_change"] = -0.2  # declines and growth on both sides of 0
    g.loc["U01", "index_change"] = -0.05
    g["index_annual_rate"] = (last / first) ** (1 / 3) - 1
    g.loc["U00", "index_annual_rate"] = -0.08
    g["index_slope"] = g["index_change"] / 3
    g["warning_count"] = [i % 5 for i in range(n)]
    rules = ["decline", "below county mean", "widening gap", "GM(1,1) falls"]
    g["early_warning"] = ["; ".join(rules[:c]) for c in g["warning_count"]]
    g["hotspot_trend"] = ["no pattern"] * n
    g.iloc[:6, g.columns.get_loc("hotspot_trend")] = ["persistent cold spot", "new hot spot", "No Pattern Detected",
                                                      "historical hot spot", "intensifying hot spot",
                                                      "sporadic cold spot"]
    return g


def _pdf_fonts(data: bytes) -> tuple[set[bytes], list[bytes]]:
    """Font subtypes and the decompressed embedded TrueType programs of a PDF."""
    subtypes = set(re.findall(rb"/Subtype\s*/(Type3|TrueType|Type0|CIDFontType2|CIDFontType0|Type1)", data))
    programs = []
    for m in re.finditer(rb"/FontFile2\s+(\d+)\s+0\s+R", data):
        obj = re.search(rb"\n" + m.group(1) + rb"\s+0\s+obj(.*?)stream\r?\n", data, re.S)
        raw = data[obj.end():data.index(b"endstream", obj.end())]
        programs.append(zlib.decompress(raw) if b"FlateDecode" in obj.group(1) else raw)
    return subtypes, programs


def _assert_type42(path):
    subtypes, programs = _pdf_fonts(path.read_bytes())
    assert b"Type3" not in subtypes and b"CIDFontType2" in subtypes and programs
    for prog in programs:
        assert prog[:4] in (b"\x00\x01\x00\x00", b"true")
        with TTFont(io.BytesIO(prog)) as f:
            assert "glyf" in f and "CFF " not in f


def _urls_outside_leaflet(text: str) -> set[str]:
    js, css = leaflet_assets()
    return {u for u in re.findall(r"https?://[^\s\"'<>)]+", text) if u not in js and u not in css}


def _years_data(text: str) -> dict:
    m = re.search(r"<script>var (ur_years_\w+) = (\{.*?\});</script>", text, re.S)
    return json.loads(m.group(2))


def _legend(text: str) -> str:
    m = re.search(r'<div class="ur-legend .*?</div></div>', text, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "|", m.group(0)))


def _legend_colours(text: str) -> list[str]:
    m = re.search(r'<div class="ur-legend .*?</div></div>', text, re.S)
    return re.findall(r"background-color:(#[0-9a-f]{6})", m.group(0))


# --- years: small multiples and the HTML map -------------------------------------------------

def test_panel_variables_and_unknown_variable(panel_units):
    assert pm.panel_variables(panel_units.columns) == {"integration_index": YEARS}
    with pytest.raises(UnknownNameError, match=r"did you mean years:integration_index\?.*'integration_index'"):
        render_map(panel_units, "years:integration", "x.png")
    with pytest.raises(UnknownNameError, match=r"panel variables in the units: 'integration_index'"):
        render_map(panel_units, "years:foo", "x.html")
    with pytest.raises(UnknownNameError, match="density:foo"):
        render_map(panel_units, "density:foo", "x.pdf")
    with pytest.raises(DataError, match="needs a variable"):
        pm.render_panel(panel_units, "years:", "x.png")


def test_print_years_share_classes_and_one_legend(panel_units, tmp_path):
    path, info = pm.years_static(panel_units, "integration_index", tmp_path / "y.png", k=4,
                                 print_options={"dpi": 60}, _return_info=True)
    cols = [f"integration_index_{y}" for y in YEARS]
    pooled = Classes(pd.concat([panel_units[c] for c in cols], ignore_index=True).rename("integration_index"), k=4)
    assert info.bins == [float(b) for b in pooled.bins]
    assert [a.get_title() for a in info.map_axes] == [str(y) for y in YEARS]
    # one legend: the pooled classes once, and "No data" (the missing 2020 value)
    assert info.legend_texts == [*pooled.labels, "No data"]
    _cls, colours = pm.shared_classes(panel_units, cols, variable="integration_index", k=4)
    for c, want in zip(cols, colours, strict=True):  # every unit in the pooled class of its own year's value
        v = panel_units[c]
        idx = np.searchsorted(pooled.upper, v.fillna(0), side="left")
        exp = [palettes.NO_DATA if pd.isna(x) else pooled.colors[i] for x, i in zip(v, idx, strict=True)]
        assert want.tolist() == exp
    assert path.stat().st_size > 0


def test_print_panels_draw_the_shared_colours(panel_units, tmp_path):
    import urbanrural.maps.static as static

    cols = [f"integration_index_{y}" for y in YEARS]
    _cls, colours = pm.shared_classes(panel_units, cols, variable="integration_index", k=5)
    drawn = []
    orig = static._draw_units

    def spy(ax, g, colors, hatched, linewidth=0.3):
        drawn.append(colors.tolist())
        return orig(ax, g, colors, hatched, linewidth=linewidth)

    static._draw_units, saved = spy, static._draw_units
    try:
        pm.years_static(panel_units, "integration_index", tmp_path / "y.png", print_options={"dpi": 50})
    finally:
        static._draw_units = saved
    assert drawn == [c.tolist() for c in colours]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_print_years_and_density_pdf_have_truetype_fonts(panel_units, tmp_path, language):
    p = render_map(panel_units, "years:integration_index", tmp_path / f"y_{language}.pdf", language=language)
    _assert_type42(p)
    d = render_map(panel_units, "density:integration_index", tmp_path / f"d_{language}.pdf", language=language)
    _assert_type42(d)
    png = render_map(panel_units, "density:integration_index", tmp_path / f"d_{language}.png", language=language,
                     print_options={"dpi": 60, "style": "overlay"})
    assert png.stat().st_size > 1000


def test_years_html_is_offline_with_a_layer_per_year(panel_units, tmp_path):
    p = render_map(panel_units, "years:integration_index", tmp_path / "y.html")
    text = p.read_text(encoding="utf-8")
    assert _urls_outside_leaflet(text) == set()
    assert re.search(r'<(script|link|img)[^>]*(src|href)\s*=\s*"(https?:)?//', text) is None
    assert "<title>Integration index, 2019-2023</title>" not in text
    assert "<title>Integration index, 2019-2022</title>" in text
    base = re.search(r"base_layers : \{(.*?)\}", text, re.S).group(1)
    assert re.findall(r'"(\d{4})"', base) == [str(y) for y in YEARS]
    # only the last year is on the map at first
    year_vars = re.findall(r'"\d{4}" : (compact_layer_\w+)', base)
    added = set(re.findall(r"(compact_layer_\w+)\.addTo\(", text))
    assert added == {year_vars[-1]}
    assert text.count('class="ur-legend ') == 1  # one legend for every year


def test_years_html_layer_control_in_chinese_and_a_chosen_year(panel_units, tmp_path):
    p = render_map(panel_units, "years:integration_index", tmp_path / "y.html", language="zh",
                   print_options={"year": 2020})
    text = p.read_text(encoding="utf-8")
    base = re.search(r"base_layers : \{(.*?)\}", text, re.S).group(1)
    names = [json.loads(f'"{n}"') for n in re.findall(r'"([^"]+)" : compact_layer', base)]
    assert names == [f"{y}年" for y in YEARS]
    assert "<title>城乡融合指数（2019—2022年）</title>" in text
    year_vars = re.findall(r'" : (compact_layer_\w+)', base)
    assert set(re.findall(r"(compact_layer_\w+)\.addTo\(", text)) == {year_vars[1]}
    with pytest.raises(UnknownNameError, match="2019, 2020, 2021, 2022"):
        render_map(panel_units, "years:integration_index", tmp_path / "z.html", print_options={"year": 2030})


def test_years_html_tooltips_hold_every_year_and_escape_names(panel_units, tmp_path):
    p = render_map(panel_units, "years:integration_index", tmp_path / "y.html")
    text = p.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text and "{{7*7}}" not in text and "49" not in _legend(text)
    data = _years_data(text)
    assert data["a"] == ["Unit code", "Name", *[str(y) for y in YEARS]]
    cols = dict(zip(data["a"], data["t"], strict=True))
    assert cols["Name"][7] == HOSTILE  # the raw text, shown with textContent
    assert cols["Unit code"][:2] == ["U00", "U01"]
    for y in YEARS:
        assert cols[str(y)] == [labels.format_value("integration_index", v) for v in
                                panel_units[f"integration_index_{y}"]]
    assert cols["2020"][3] == "no data"


def test_years_html_legend_is_the_pooled_classes(panel_units, tmp_path):
    text = render_map(panel_units, "years:integration_index", tmp_path / "y.html", k=4).read_text(encoding="utf-8")
    cols = [f"integration_index_{y}" for y in YEARS]
    cls, colours = pm.shared_classes(panel_units, cols, variable="integration_index", k=4)
    leg = _legend(text)
    assert all(lab in leg for lab in cls.labels) and "No data" in leg
    assert _legend_colours(text) == [*cls.colors, palettes.NO_DATA]
    # each year layer's palette-indexed colours are that year's shared colours
    for y, want in zip(YEARS, colours, strict=True):
        var = re.search(rf'"{y}" : (compact_layer_\w+)', text).group(1)
        d = json.loads(re.search(rf"var {var} = urLayer\(Object\.assign\(\{{\}}, \w+, (\{{.*?\}})\)", text,
                                 re.S).group(1))
        assert [d["p"][i] for i in d["c"]] == want.tolist()


# --- density ---------------------------------------------------------------------------------

def _wide(units: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({y: units[f"integration_index_{y}"] for y in YEARS}).dropna()


def test_overlay_curves_are_scipy_gaussian_kde(panel_units):
    plot = pm.density_figure(panel_units, "integration_index", style="overlay")
    try:
        wide = _wide(panel_units)
        lines = {ln.get_gid(): ln for ln in plot.figure.axes[0].get_lines() if ln.get_gid()}
        for y in YEARS:
            x, d = lines[f"density-{y}"].get_data()
            np.testing.assert_allclose(d, gaussian_kde(wide[y].to_numpy(), bw_method="scott")(x), rtol=1e-9,
                                       atol=1e-12)
            px, ph = lines[f"peak-{y}"].get_data()
            assert px[0] == plot.density.diagnostics.loc[y, "main_peak"] and ph[0] == pytest.approx(d.max())
    finally:
        plt.close(plot.figure)


def test_ridge_curves_are_the_same_densities_at_one_scale(panel_units):
    plot = pm.density_figure(panel_units, "integration_index", bandwidth="silverman")
    try:
        assert plot.style == "ridge" and len(set(plot.baselines.values())) == len(YEARS)
        wide = _wide(panel_units)
        lines = {ln.get_gid(): ln for ln in plot.figure.axes[0].get_lines() if ln.get_gid()}
        for y in YEARS:
            x, d = lines[f"density-{y}"].get_data()
            kde = gaussian_kde(wide[y].to_numpy(), bw_method="silverman")(x)
            np.testing.assert_allclose((d - plot.baselines[y]) / plot.scale, kde, rtol=1e-9, atol=1e-12)
            px, _ = lines[f"peak-{y}"].get_data()
            assert px[0] == x[np.argmax(kde)]  # the main peak is marked
        assert plot.baselines[YEARS[0]] > plot.baselines[YEARS[-1]]  # the earliest year at the top
        cols = [matplotlib.colors.to_hex(c.get_facecolor()[0]) for c in plot.figure.axes[0].collections]
        lum = [np.mean(matplotlib.colors.to_rgb(c)) for c in cols]
        assert lum == sorted(lum, reverse=True)  # a sequential colour by year: later years darker
    finally:
        plt.close(plot.figure)


def test_density_notes_state_the_rule_and_describe(panel_units, caplog):
    plot = pm.density_figure(panel_units, "integration_index", language="zh")
    try:
        texts = " ".join(t.get_text() for t in plot.figure.texts).replace("\n", "")
        assert "Scott 法则" in texts and "各年采用同一规则" in texts
        assert plot.density.describe(language="zh") in texts
        assert "1 个单元存在缺失年份，未计入" in texts  # U03 has no 2020 value
        assert "城乡融合指数核密度（2019—2022年）" in texts
    finally:
        plt.close(plot.figure)
    assert "1 unit(s) without a value in every year left out" in caplog.text
    with pytest.raises(DataError, match="style 'bars'"):
        pm.density_figure(panel_units, "integration_index", style="bars")


def test_density_html_is_a_small_offline_page(panel_units, tmp_path):
    p = render_map(panel_units, "density:integration_index", tmp_path / "d.html",
                   print_options={"style": "overlay"})
    text = p.read_text(encoding="utf-8")
    assert re.findall(r"https?://", text) == []
    assert "<svg" in text and "<script" not in text and "<?xml" not in text and "<!DOCTYPE svg" not in text
    kd, _ = pm.density_curves(panel_units, "integration_index")
    assert html.escape(kd.describe(), quote=True).replace("&#x27;", "&#39;") in text
    assert text.count("<tr>") == len(YEARS) + 1
    assert "<title>Integration index: kernel density, 2019-2022</title>" in text


# --- change, warnings and hot spot trends ----------------------------------------------------

def test_change_and_slope_diverge_in_symmetric_classes(panel_units, tmp_path):
    for col in ("index_change", "index_slope", "index_annual_rate"):
        assert map_kind(col, panel_units[col]) == "diverging"
    bins = palettes.diverging_bins(panel_units["index_change"], k=5)
    assert bins == [-b for b in reversed(bins)] and len(bins) == 4
    text = render_map(panel_units, "index_change", tmp_path / "c.html").read_text(encoding="utf-8")
    assert "<title>Change in integration index, 2019-2022</title>" in text
    cls = Classes(panel_units["index_change"], scheme="user", bins=bins)
    full = Classes(pd.Series([-1.0, -0.5 * (bins[0] + bins[1]), 0.0, 0.5 * (bins[2] + bins[3]), 1.0],
                             name="index_change"), scheme="user", bins=bins)
    assert _legend_colours(text)[:len(cls.colors)] == cls.colors
    rgb = [np.array(matplotlib.colors.to_rgb(c)) for c in full.colors]
    for a, b in zip(rgb, rgb[::-1], strict=True):  # mirrored colours: red decline, blue growth
        np.testing.assert_allclose(a[[0, 2]], b[[2, 0]], atol=0.12)
    assert rgb[0][0] > rgb[0][2] and rgb[-1][2] > rgb[-1][0]
    zh = render_map(panel_units, "index_change", tmp_path / "c.png", language="zh", print_options={"dpi": 50})
    assert zh.exists()


def test_annual_rate_in_percent(panel_units, tmp_path):
    text = render_map(panel_units, "index_annual_rate", tmp_path / "r.html").read_text(encoding="utf-8")
    leg = _legend(text)
    assert "Annual rate of change (%)" in leg and re.search(r"\|-8 - [\d.]+ %\|", leg)  # fractions shown as %
    assert labels.format_value("index_annual_rate", -0.0234) == "-2.3 %"
    assert labels.label("index_annual_rate", language="zh").text == "年均变化率（%）"


def test_warning_classes_rules_fired(panel_units, tmp_path):
    text = render_map(panel_units, "warning_count", tmp_path / "w.html").read_text(encoding="utf-8")
    leg = _legend(text)
    assert "Early-warning rules fired" in leg
    assert _legend_colours(text) == list(palettes.WARNING.values())
    assert palettes.WARNING[0] == "#d9d9d9"  # none: neutral grey
    assert [x for x in leg.split("|") if "rule" in x or "None" in x][-4:] == \
        ["None (5)", "1 rule (5)", "2 rules (5)", "3 or more rules (10)"]
    ew = render_map(panel_units, "early_warning", tmp_path / "e.html", language="zh").read_text(encoding="utf-8")
    assert "预警规则触发数" in _legend(ew) and "3 条及以上" in _legend(ew)
    tips = [json.loads(m) for m in re.findall(r"urLayer\((\{.*?\}), \[", ew)]
    data = tips[0]
    assert "decline; below county mean" in data["t"][-1]  # the rules on hover
    # without warning_count the rules are counted from the text
    only = panel_units.drop(columns="warning_count")
    ew2 = render_map(only, "early_warning", tmp_path / "e2.html").read_text(encoding="utf-8")
    assert "3 or more rules (10)" in _legend(ew2)
    png = render_map(only, "early_warning", tmp_path / "e2.png", print_options={"dpi": 50})
    assert png.exists()


def test_hotspot_trend_legend_in_fixed_order(panel_units, tmp_path):
    shuffled = panel_units.iloc[::-1]
    text = render_map(shuffled, "hotspot_trend", tmp_path / "h.html").read_text(encoding="utf-8")
    rows = [x for x in _legend(text).split("|") if re.search(r"\(\d+\)$", x)]
    assert [r.rsplit(" (", 1)[0] for r in rows] == ["New hot spot", "Intensifying hot spot", "Historical hot spot",
                                                    "Persistent cold spot", "Sporadic cold spot",
                                                    "No pattern detected"]
    assert "No pattern detected (20)" in rows  # "No Pattern Detected" and "no pattern" are one class
    cols = _legend_colours(text)
    assert cols[:3] == [palettes.EHSA[k] for k in ("new hot spot", "intensifying hot spot", "historical hot spot")]
    assert all(matplotlib.colors.to_rgb(c)[0] > matplotlib.colors.to_rgb(c)[2] for c in cols[:3])  # hot: red
    assert all(matplotlib.colors.to_rgb(c)[2] > matplotlib.colors.to_rgb(c)[0] for c in cols[3:5])  # cold: blue
    zh = render_map(shuffled, "hotspot_trend", tmp_path / "h_zh.html", language="zh").read_text(encoding="utf-8")
    assert [r.rsplit(" (", 1)[0] for r in _legend(zh).split("|") if re.search(r"\(\d+\)$", r)] == \
        ["新热点", "加强热点", "历史热点", "持续冷点", "零星冷点", "无显著模式"]
    assert "新兴热点趋势" in _legend(zh)
    p = render_map(shuffled, "hotspot_trend", tmp_path / "h.pdf", language="zh")
    _assert_type42(p)


# --- in a browser ----------------------------------------------------------------------------

@pytest.mark.browser
def test_years_map_in_chromium_switches_years(browser, panel_units, tmp_path):
    p = render_map(panel_units, "years:integration_index", tmp_path / "b.html", language="zh")
    browser.open(p)
    page = browser.page
    assert browser.requests == [] and browser.errors == [] and browser.dialogs == []
    labels_ = page.eval_on_selector_all(".leaflet-control-layers-base label", "ls => ls.map(l => l.innerText.trim())")
    assert labels_ == [f"{y}年" for y in YEARS]
    n_paths = "document.querySelectorAll('path.leaflet-interactive').length"
    assert page.evaluate(n_paths) == 25  # one year on the map
    page.click("text=2019年")
    page.wait_for_timeout(200)
    assert page.evaluate(n_paths) == 25
    fill = page.evaluate("Array.from(document.querySelectorAll('path.leaflet-interactive'))"
                         ".map(p => p.getAttribute('fill'))")
    _cls, colours = pm.shared_classes(panel_units, [f"integration_index_{y}" for y in YEARS],
                                      variable="integration_index")
    assert sorted(fill) == sorted(colours[0].tolist())
    # hover the hostile unit (U07): its name as text, and its values in every year
    c = panel_units.to_crs(4326).geometry.iloc[7].centroid
    pt = page.evaluate(f"(() => {{ const m = Object.values(window).find(v => v instanceof L.Map); "
                       f"const p = m.latLngToContainerPoint([{c.y}, {c.x}]); return [p.x, p.y]; }})()")
    box = page.query_selector(".leaflet-container").bounding_box()
    page.mouse.move(box["x"] + pt[0], box["y"] + pt[1])
    page.wait_for_timeout(300)
    tip = page.inner_text(".leaflet-tooltip")
    assert HOSTILE in tip and browser.dialogs == []
    for y in YEARS:
        assert f"{y}年" in tip and labels.format_value("integration_index", panel_units.iloc[7][f"integration_index_{y}"]) \
            in tip
