"""The demo's maps and report: every HTML map opens offline with features and a legend,
in English and in Chinese, with the classes, colours and tooltips its meaning calls for."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from _support import demo_run_dir

from urbanrural.maps import palettes

CJK = re.compile(r"[\u4e00-\u9fff]")
CODE = "001001"  # the demo's first unit


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo's run folder (shared with the report tests)."""
    return demo_run_dir(tmp_path_factory, "en")


@pytest.fixture(scope="module")
def demo_run_zh(tmp_path_factory):
    """The demo config with ``language: zh``."""
    return demo_run_dir(tmp_path_factory, "zh")


def test_demo_writes_every_format_and_a_report(demo_run):
    out = demo_run
    specs = json.loads((out / "run.json").read_text())["config"]["outputs"]["maps"]
    assert len(specs) >= 7
    for fmt in ("html", "png", "pdf", "svg"):
        assert len(list((out / "maps").glob(f"*.{fmt}"))) == len(specs)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2" in report and "Maps" in report  # the report's own content is tested with the report


@pytest.mark.browser
def test_every_demo_map_and_the_report_open_offline(demo_run, browser, tmp_path):
    out = demo_run
    for page in sorted((out / "maps").glob("*.html")):
        browser.open(page)
        assert browser.requests == [] and browser.errors == [], page.name
        if page.stem.startswith(("flow_matrix_", "density_")):  # a table / a figure page, not a map
            assert browser.page.query_selector("table, svg") is not None, page.name
            browser.page.screenshot(path=str(tmp_path / f"{page.stem}.png"))
            continue
        n = browser.drawn()  # SVG paths, or one canvas on maps with facilities
        assert n >= 120, (page.name, n)  # every unit drawn
        assert browser.page.query_selector(".ur-legend") is not None, page.name
        browser.page.screenshot(path=str(tmp_path / f"{page.stem}.png"))
    browser.open(out / "report.html")
    # the 300 dpi maps are linked (file://, inside the run folder) and load lazily: scroll to each
    browser.page.evaluate("""async () => { for (const i of document.images) { i.scrollIntoView();
                             await i.decode().catch(() => null); } }""")
    assert browser.requests == [] and browser.errors == []
    assert browser.page.evaluate("Array.from(document.images).every(i => i.naturalWidth > 0)")
    assert browser.page.evaluate("Array.from(document.images).filter(i => i.src.startsWith('file:')).length") >= 5


# fire "mouseover" on feature 0 of every layer with tooltips; return the tooltip texts and
# whether the hovered outline got heavier (the hover highlight)
HOVER = """() => {
  const m = Object.values(window).find(v => v instanceof L.Map);
  const out = [];
  m.eachLayer(l => {
    if (!l.feature || l.feature.properties.i !== 0 || !l.getTooltip || !l.getTooltip()) return;
    const w = l.options.weight;
    const at = l.getBounds ? l.getBounds().getCenter() : l.getLatLng();
    l.fire('mouseover', {latlng: at});
    const t = l.isTooltipOpen() ? l.getTooltip().getElement() : null;
    out.push([t ? t.innerText : '', l.options.weight > w]);
    l.fire('mouseout', {latlng: at});
    l.closeTooltip();
  });
  return out;
}"""


def _check_map(browser, page, language, shots):
    browser.open(page)
    pg = browser.page
    assert browser.requests == [] and browser.errors == [], (page.name, browser.errors)
    n = browser.drawn()
    assert n >= 120, (page.name, n)
    rows = pg.eval_on_selector_all(".ur-legend-row", "els => els.map(e => e.innerText.trim())")
    colours = pg.eval_on_selector_all(".ur-legend-row .ur-swatch",
                                      "els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert rows and len(rows) == len(colours), page.name
    subtitle = pg.eval_on_selector_all(".ur-legend-subtitle, .ur-legend-title", "els => els.map(e => e.innerText)")
    if language == "zh":
        assert all(not re.search(r"[A-Za-z]{3,}", r) for r in rows), (page.name, rows)  # no English class
        assert any(CJK.search(s) for s in subtitle), (page.name, subtitle)
        # the page title is the pipeline's (name: spec) until it passes place= instead
    else:
        assert not any(CJK.search(r) for r in rows), (page.name, rows)
    tips = pg.evaluate(HOVER)
    code_field = "单元代码" if language == "zh" else "Unit code"
    unit_tips = [t for t, _ in tips if t.startswith(code_field)]
    assert unit_tips and all(CODE in t for t in unit_tips), (page.name, tips)  # the code, not the row number
    assert any(h for _, h in tips), page.name  # hover highlight
    pg.screenshot(path=str(shots / f"{page.stem}_{language}.png"))
    return rows, colours


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh"])
def test_demo_maps_say_the_right_thing(request, browser, tmp_path, language):
    result = request.getfixturevalue("demo_run" if language == "en" else "demo_run_zh")
    maps = result / "maps"
    units = gpd.read_file(result / "results.gpkg", layer="units")
    assert units.iloc[0, 0] == CODE
    seen = {}
    for page in sorted(maps.glob("*.html")):
        if page.stem.startswith(("flow_matrix_", "density_", "flow_")):
            continue  # a table, a figure, a flow map with line legends: each tested in its module's tests
        seen[page.stem] = _check_map(browser, page, language, tmp_path)
    # DEGURBA level 1 in GHSL colours, cities first, with counts
    rows, colours = seen["degurba"]
    counts = units["degurba_l1"].value_counts()
    want = palettes.DEGURBA_UNITS_LABELS[language]
    assert rows == [f"{want[k]} ({counts.get(k, 0)})" for k in (3, 2, 1)]
    assert colours == [_rgb(palettes.DEGURBA_UNITS[k]) for k in (3, 2, 1)]
    # LISA: GeoDa colours, all five classes
    rows, colours = seen["lisa_integration_index"]
    assert len(rows) == 5 and colours == [_rgb(c) for c in palettes.LISA.values()]
    # CCD: Tian et al. names
    rows, _ = seen["ccd"]
    assert all(re.fullmatch(r"\D+ \(\d+\)", r) for r in rows)
    # travel time: bands that stop at the data, the raster under outline-only units
    rows, _ = seen["tt_hospital_min"]
    tmax = units["tt_hospital_min"].max()
    assert rows[-1].startswith(f"60 - {tmax:.1f}")
    browser.open(maps / "tt_hospital.html")
    pg = browser.page
    assert pg.evaluate("Array.from(document.querySelectorAll('img.leaflet-image-layer'))"
                       ".every(i => i.naturalWidth > 0)")
    assert pg.evaluate("document.querySelectorAll('img.leaflet-image-layer').length") == 1
    outline = browser.drawn("l.feature && l.options.fillOpacity === 0")
    assert outline == len(units)
    unreachable = "无法到达" if language == "zh" else "unreachable"
    box = pg.evaluate("""(w) => { const r = Array.from(document.querySelectorAll('.ur-legend-row'))
        .find(e => e.innerText.includes(w)).getBoundingClientRect();
        const s = document.querySelector('.leaflet-control-scale').getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom, s.left, s.top, s.right, s.bottom]; }""", unreachable)
    r, s = box[:4], box[4:]
    assert r[2] <= s[0] or s[2] <= r[0] or r[3] <= s[1] or s[3] <= r[1]  # not under the scale bar
