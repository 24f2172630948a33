"""Every hostile name in every field of every HTML map kind and the report, opened in
headless Chromium with the network blocked: nothing runs, nothing is fetched, and the
text is shown as text where it belongs (tooltips, legends, layer names, titles)."""

from __future__ import annotations

import random
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from robustness.hostile import HOSTILE_NAMES

from urbanrural.maps import escape
from urbanrural.maps.interactive import categorical, choropleth
from urbanrural.maps.offline import save_html
from urbanrural.maps.render import render_map
from urbanrural.maps.report import render_report

pytestmark = pytest.mark.browser

N = len(HOSTILE_NAMES)
JOINED = " ¦ ".join(HOSTILE_NAMES)

HOOK = """
window.__calls = [];
for (const f of ["alert", "confirm", "prompt", "print", "open"]) {
  window[f] = function () { window.__calls.push(f + ":" + String(arguments[0])); };
}
"""

# every tooltip of every layer, opened at once (Leaflet keeps several tooltips open)
TOOLTIPS = """(() => {
  const m = Object.values(window).find(v => v instanceof L.Map); const out = [];
  m.eachLayer(l => { if (l.getTooltip && l.getTooltip()) {
    const at = l.getBounds ? l.getBounds().getCenter() : l.getLatLng();
    l.openTooltip(at); const el = l.getTooltip().getElement();
    out.push([el.innerText, el.querySelectorAll("*:not(table):not(tbody):not(tr):not(th):not(td)").length]);
    l.closeTooltip(); } });
  return out; })()"""


def norm(s: str) -> str:
    """What a browser shows of a text: NUL as U+FFFD, CSS white space collapsed."""
    return re.sub(r"[ \t\n\r\f]+", " ", s.replace("\x00", "\ufffd")).strip()


class Page:
    def __init__(self, page):
        self.page, self.requests, self.errors, self.dialogs = page, [], [], []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

        def route(r):
            if r.request.url.startswith(("file:", "data:", "about:")):
                r.continue_()
            else:
                self.requests.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.add_init_script(HOOK)

    def open(self, path) -> None:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_timeout(150)

    def assert_inert(self) -> None:
        assert self.requests == [], self.requests
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs
        assert self.page.evaluate("window.__calls") == []
        assert self.page.evaluate("document.querySelectorAll('img[onerror], svg[onload], [onmouseover]').length") == 0


@pytest.fixture
def page(chromium):
    pg = chromium.new_page(viewport={"width": 1000, "height": 800})
    yield Page(pg)
    pg.close()


@pytest.fixture(scope="module")
def hostile_units() -> gpd.GeoDataFrame:
    """One unit per hostile name: the name is the id, the ``name`` and a category value;
    ``tt_<name>_min`` with unreachable units; lisa/gi/degurba/ccd columns on hostile vars."""
    geoms = [shapely.box(400_000 + 1000 * (i % 6), 4_300_000 + 1000 * (i // 6), 401_000 + 1000 * (i % 6),
                         4_301_000 + 1000 * (i // 6)) for i in range(N)]
    rng = np.random.default_rng(1)
    v = rng.uniform(0, 100, N)
    v[::5] = np.nan
    reach = np.where(np.isnan(v), np.where(np.arange(N) % 2 == 0, "unreachable", "no people"), "ok")
    reach[0] = "ok"  # missing without a reason: "no data"
    frame = {"name": list(HOSTILE_NAMES), "value": v, "cat": list(HOSTILE_NAMES),
             "lisa_" + HOSTILE_NAMES[0]: [["HH", "LL", "LH", "HL", "ns", None][i % 6] for i in range(N)],
             "gi_" + HOSTILE_NAMES[1]: [["hot 99%", "cold 95%", "ns"][i % 3] for i in range(N)],
             "degurba_l1": [i % 3 + 1 for i in range(N)], "ccd_class": [i % 10 + 1 for i in range(N)],
             "tt_clinic_min": v, "reach_clinic": reach}
    for i, h in enumerate(HOSTILE_NAMES):
        frame["col " + h] = [h] * N if i % 2 else v
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=32650, index=list(HOSTILE_NAMES))


@pytest.fixture(scope="module")
def extras(hostile_units, tmp_path_factory):
    d = tmp_path_factory.mktemp("extras")
    c = hostile_units.geometry.union_all().centroid
    pts = [shapely.Point(c.x + 200 * np.cos(i), c.y + 200 * np.sin(i) + 10 * i) for i in range(N)]
    fac = gpd.GeoDataFrame({"category": list(HOSTILE_NAMES), "name": list(reversed(HOSTILE_NAMES))},
                           geometry=pts, crs=32650)
    iso = gpd.GeoDataFrame({"category": [HOSTILE_NAMES[3]] * 2, "minutes": [15.0, 30.0]},
                           geometry=[c.buffer(800), c.buffer(2000)], crs=32650)
    tif = d / "tt.tif"
    arr = np.linspace(-5, 90, 36, dtype="float32").reshape(6, 6)
    with rasterio.open(tif, "w", driver="GTiff", width=6, height=6, count=1, dtype="float32", crs="EPSG:32650",
                       transform=from_origin(400_000, 4_306_000, 1000, 1000), nodata=-1) as dst:
        dst.write(arr, 1)
    return fac, iso, tif


SPECS = ["value", "cat", "lisa:" + HOSTILE_NAMES[0], "gi:" + HOSTILE_NAMES[1], "degurba", "ccd", "facilities",
         "tt:" + HOSTILE_NAMES[2], "iso:" + HOSTILE_NAMES[3], "tt_clinic_min"]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("spec", SPECS)
def test_render_map_kinds_show_hostile_text_and_run_nothing(page, hostile_units, extras, tmp_path, spec, language):
    fac, iso, tif = extras
    out = render_map(hostile_units, spec, tmp_path / "m.html", language=language, title=JOINED, facilities=fac,
                     raster=tif, isochrones=iso)
    page.open(out)
    page.assert_inert()
    pg = page.page
    assert norm(pg.evaluate("document.title")) == norm(JOINED)
    legend = norm(" ".join(pg.eval_on_selector_all(".ur-legend", "els => els.map(e => e.innerText)")))
    assert norm(JOINED) in legend  # the title heads the legend
    layers = norm(pg.evaluate("document.querySelector('.leaflet-control-layers').textContent"))
    tips = pg.evaluate(TOOLTIPS)
    assert tips and all(n_el == 0 for _, n_el in tips), "markup inside a tooltip"
    tiptext = norm(" ".join(t for t, _ in tips))
    if spec == "facilities":
        for h in HOSTILE_NAMES:
            assert norm(h) in legend and norm(h) in layers and norm(h) in tiptext, h
    elif spec == "cat":
        for h in HOSTILE_NAMES:
            assert norm(h) in legend and norm(h) in tiptext, h
    elif not spec.startswith(("tt:", "iso:")):
        for h in HOSTILE_NAMES:  # unit ids and names in the tooltips
            assert norm(h) in tiptext, h
    if spec == "tt_clinic_min":
        want = ["无法到达", "无人口", "无数据"] if language == "zh" else ["unreachable", "no people", "No data"]
        for w in want:
            assert w in legend, (w, legend)
    if spec not in ("facilities",):
        assert norm(JOINED) in layers  # the map's layer is named after the title


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("kind", ["choropleth", "categorical"])
def test_hostile_column_names_and_labels(page, hostile_units, tmp_path, kind, language):
    cols = [c for c in hostile_units.columns if c.startswith("col ")]
    if kind == "choropleth":
        m = choropleth(hostile_units, "value", tooltip=["__index__", *cols], title=HOSTILE_NAMES[5],
                       unit=HOSTILE_NAMES[3], language=language)
    else:
        m = categorical(hostile_units, "cat", tooltip=cols, title=HOSTILE_NAMES[6], language=language,
                        labels={h: "label " + h for h in HOSTILE_NAMES})
    page.open(save_html(m, tmp_path / "c.html"))
    page.assert_inert()
    tips = norm(" ".join(t for t, _ in page.page.evaluate(TOOLTIPS)))
    legend = norm(page.page.inner_text(".ur-legend"))
    for h in HOSTILE_NAMES:
        assert norm("col " + h) in tips, h
        if kind == "categorical":
            assert norm("label " + h) in legend, h
    assert norm(HOSTILE_NAMES[3]) in legend or kind == "categorical"


def _report_inputs(tmp_path):
    maps_dir = tmp_path / "maps"
    maps_dir.mkdir()
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
    stems = [h for h in HOSTILE_NAMES if h not in ("", ".", "..") and "/" not in h and "\x00" not in h
             and len(h) < 200]
    for s in stems:
        (maps_dir / f"{s}.png").write_bytes(png)
        (maps_dir / f"{s}.html").write_text("x")
    run = {"study_area": {"units": 3, "crs": HOSTILE_NAMES[0], "population": HOSTILE_NAMES[1]},
           "urbanrural": HOSTILE_NAMES[2],
           "inputs": {h: {"path": h, "bytes": 1, "sha256": h + "0" * 16} for h in HOSTILE_NAMES},
           "checks": [{"input": h, "check": h, "status": h, "count": 1, "detail": h} for h in HOSTILE_NAMES],
           "analyses": [{"analysis": h, "status": h, "detail": h} for h in HOSTILE_NAMES],
           "outputs": list(HOSTILE_NAMES), "variants": {h: h for h in HOSTILE_NAMES}}
    table = pd.DataFrame({h: [h] for h in HOSTILE_NAMES}, index=[HOSTILE_NAMES[4]])
    units = pd.DataFrame({"name": list(HOSTILE_NAMES), "integration_index": np.linspace(0, 1, N),
                          "ccd_label": list(HOSTILE_NAMES)}, index=list(HOSTILE_NAMES))
    tables = {"urban_rural": table, "autocorrelation": table, "integration": table}
    return run, tables, units, stems


@pytest.mark.parametrize("language", ["en", "zh"])
def test_report_shows_hostile_text_and_runs_nothing(page, tmp_path, language):
    run, tables, units, stems = _report_inputs(tmp_path)
    html = render_report(name=JOINED, run=run, tables=tables, units=units, folder=tmp_path, language=language)
    out = tmp_path / "report.html"
    out.write_text(html, encoding="utf-8")
    page.open(out)
    page.assert_inert()
    pg = page.page
    assert pg.evaluate("document.scripts.length") == 0
    body = norm(pg.inner_text("body"))
    assert norm(pg.evaluate("document.title")) == norm(JOINED) and norm(JOINED) in body
    for h in HOSTILE_NAMES:
        assert norm(h) in body, h
    hrefs = pg.eval_on_selector_all("a", "els => els.map(e => e.href)")
    assert hrefs and all(h.startswith("file:") for h in hrefs), [h for h in hrefs if not h.startswith("file:")]
    alts = set(pg.eval_on_selector_all("img", "els => els.map(e => e.alt)"))
    assert {norm(s) for s in stems} <= {norm(a) for a in alts}
    assert ("分析" in body) == (language == "zh")


def test_every_context_reads_back_in_the_browser(page, tmp_path):
    """A real parser reads each escaped form back as the text (HOSTILE_NAMES and random mixes)."""
    rnd = random.Random(0)
    alphabet = "<>&\"'`$\\{}/!-\r\n\t\x00\u2028\u2029 aé县🏥"
    cases = list(HOSTILE_NAMES) + ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 24)))
                                   for _ in range(300)]
    parts = ["<!doctype html><html><head><meta charset='utf-8'></head><body>"]
    for i, s in enumerate(cases):
        parts.append(f"<p id='t{i}' title=\"{escape.html_attr(s)}\" data-q='{escape.html_attr(s)}'>"
                     f"{escape.html_text(s)}</p>")
    js = ",".join(f"[{escape.js_string(s)},{escape.js_template(s)},{escape.script_json({'v': [s]})}.v[0]]"
                  for s in cases)
    parts.append(f"<script>window.R = [{js}];</script></body></html>")
    p = tmp_path / "ctx.html"
    p.write_text("".join(parts), encoding="utf-8")
    page.open(p)
    page.assert_inert()
    got = page.page.evaluate("""n => { const out = []; for (let i = 0; i < n; i++) {
        const p = document.getElementById('t' + i);
        out.push([p.textContent, p.getAttribute('title'), p.getAttribute('data-q'),
                  ...window.R[i]]); } return out; }""", len(cases))
    for s, (text, title, q, a, b, c) in zip(cases, got, strict=True):
        h = s.replace("\x00", "\ufffd")
        assert text == h and title == h and q == h, repr(s)
        assert a == s and b == s and c == s, repr(s)
