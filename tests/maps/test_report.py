"""report.html: the summary states what the tables hold, numbers are formatted for readers,
no absolute paths, one language throughout, hostile names shown as text."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _support import demo_run_dir
from robustness.hostile import HOSTILE_NAMES

from urbanrural.maps import _report_fmt as F
from urbanrural.maps.report import render_report, summary_facts


class _Text(HTMLParser):
    """Text per element kind (headings, table headers) and all visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        if tag not in ("meta", "img", "br", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if "style" in self.stack:
            return
        self.text.append(data)
        if any(t in ("h1", "h2", "h3", "h4", "th", "figcaption", "nav", "title") for t in self.stack):
            self.headings.append(data)


def parse(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = demo_run_dir(tmp_path_factory, "en")
    html = (out / "report.html").read_text(encoding="utf-8")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    tables = {}
    for p in sorted((out / "tables").glob("*.csv")):
        t = pd.read_csv(p, dtype={"code": str})
        if str(t.columns[0]).startswith("Unnamed"):
            t = t.set_index(t.columns[0]).rename_axis(None)
        tables[p.stem] = t
    import geopandas as gpd

    units = gpd.read_file(out / "results.gpkg", layer="units")
    units = pd.DataFrame(units.drop(columns="geometry")).set_index("code", drop=False)
    return {"out": out, "html": html, "run": run, "tables": tables, "units": units}


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(("value", "text"), [(272172.49006035924, "272,172"), (1234, "1,234"), (0.4, "0"),
                                             (np.nan, "–"), (None, "–")])
def test_fmt_int(value, text):
    assert F.fmt_int(value) == text


@pytest.mark.parametrize(("value", "text"), [(0.6629, "66.3%"), (1.0, "100.0%"), (0.0, "0.0%"), (np.nan, "–")])
def test_fmt_pct(value, text):
    assert F.fmt_pct(value) == text


@pytest.mark.parametrize(("value", "text"), [(0.0, "p < 0.001"), (0.0009, "p < 0.001"), (0.001, "p = 0.001"),
                                             (0.0123, "p = 0.012"), (0.5, "p = 0.500"), (np.nan, "–")])
def test_fmt_p(value, text):
    assert F.fmt_p(value) == text


@pytest.mark.parametrize(("value", "text"), [(272172.49006035924, "272,172"), (0.6695509357024801, "0.67"),
                                             (12.168663099027025, "12.2"), (1.0, "1"), (np.nan, "–"),
                                             (float("inf"), "∞"), (-0.0084, "-0.0084")])
def test_fmt_num(value, text):
    assert F.fmt_num(value) == text


def test_table_cells_never_show_long_floats_or_nan():
    frame = pd.DataFrame({"population": [272172.49006035924, np.nan], "share": [0.6629, 0.5],
                          "p_sim": [0.0, 0.2], "mean_tt_min": [13.764846791974962, 9.5]})
    html = F.html_table(frame, language="en")
    text = " ".join(parse(html).text)
    for s in ("272,172", "66.3%", "50.0%", "< 0.001", "0.200", "13.8", "9.5", "–"):
        assert s in text, s
    assert not re.search(r"\d\.\d{5,}", text) and "nan" not in text.lower()


def test_wide_tables_split_to_at_most_8_columns():
    frame = pd.DataFrame({f"c{i}": [i] for i in range(18)})
    html = F.html_table(frame, language="en", max_cols=8)
    heads = re.findall(r"<thead><tr>(.*?)</tr></thead>", html)
    assert len(heads) == 3 and all(h.count("<th") <= 8 for h in heads)
    assert all(">c0<" in h for h in heads)  # the key column is repeated
    assert html.count("class='tw'") == 3


# --------------------------------------------------------------------------- the demo's summary


def test_summary_access_equals_the_accessibility_table(demo):
    facts = summary_facts(demo["run"], demo["tables"], demo["units"])
    acc = demo["tables"]["accessibility"]
    assert facts["threshold"] == 30
    rows = {r["category"]: r for r in facts["access"]["rows"]}
    assert set(rows) == set(acc["category"])
    for cat in ("hospital", "clinic"):
        for cls in ("urban", "rural"):
            t = acc[(acc.category == cat) & (acc.urban_class == cls) & (acc.threshold_min == 30)].iloc[0]
            assert rows[cat][cls]["share"] == pytest.approx(t["share"])
            assert rows[cat][cls]["beyond"] == pytest.approx(t["population"] - t["population_within"])
    html = demo["html"]
    h = rows["hospital"]
    for cls in ("urban", "rural"):
        assert f"{F.fmt_int(h[cls]['beyond'])} ({F.fmt_pct(1 - h[cls]['share'])})" in html
    summ = demo["tables"]["accessibility_summary"].set_index("category")
    assert h["rural_urban_time_ratio"] == pytest.approx(summ.loc["hospital", "rural_urban_time_ratio"])
    gap = summ["rural_urban_time_ratio"].idxmax()
    assert facts["gap"]["category"] == gap
    assert f"{summ.loc[gap, 'rural_urban_time_ratio']:.2f}" in html


def test_summary_moran_integration_ccd_equal_the_tables(demo):
    facts = summary_facts(demo["run"], demo["tables"], demo["units"])
    auto = demo["tables"]["autocorrelation"].set_index("variable")
    got = {m["variable"]: m for m in facts["moran"]}
    assert set(got) == set(auto.index)
    for var, m in got.items():
        assert m["I"] == pytest.approx(auto.loc[var, "moran_i"])
        assert m["p"] == pytest.approx(auto.loc[var, "p_sim"])
        assert m["HH"] == auto.loc[var, "lisa_HH"] and m["LL"] == auto.loc[var, "lisa_LL"]
    section = demo["html"].split("id='summary'")[1].split("</section>")[0]
    i = auto.loc["integration_index", "moran_i"]
    assert f"I = {i:.3f}" in section
    assert ("p < 0.001" if auto.loc["integration_index", "p_sim"] < 0.001 else
            f"p = {auto.loc['integration_index', 'p_sim']:.3f}") in section
    ii = demo["units"]["integration_index"]
    assert facts["integration"]["min"] == pytest.approx(ii.min())
    assert facts["integration"]["max"] == pytest.approx(ii.max())
    assert f"{ii.min():.3f}" in section and f"{ii.max():.3f}" in section
    ccd = demo["tables"]["integration_ccd"]
    assert facts["ccd"] == [(lab, n) for lab, n in zip(ccd["label_en"], ccd["units"], strict=True)]
    assert demo["run"]["study_area"]["population"] == facts["study"]["population"]
    assert F.fmt_int(demo["run"]["study_area"]["population"]) in section


def test_summary_top_underserved_units(demo):
    facts = summary_facts(demo["run"], demo["tables"], demo["units"])
    units = demo["units"]
    cols = [c for c in units.columns if re.fullmatch(r"underserved_30min_.+", c)]
    worst = units[cols].max(axis=1).sort_values(ascending=False, kind="stable").head(5)
    assert [u["code"] for u in facts["underserved"]] == list(worst.index)
    assert [u["people"] for u in facts["underserved"]] == pytest.approx(list(worst))
    section = demo["html"].split("id='summary'")[1].split("</section>")[0]
    for code in worst.index:
        assert f"<td>{code}</td>" in section
        assert units.loc[code, "name"] in section
    # the 'people can reach no X' notes appear once, as one sentence, with the table's count
    n = demo["tables"]["accessibility_summary"]["people_unreachable"].max()
    assert f"{F.fmt_int(n)} people can reach no " in section


def test_demo_report_has_no_absolute_paths_or_raw_numbers(demo):
    html, run = demo["html"], demo["run"]
    text = " ".join(parse(html).text)
    for v in run["inputs"].values():
        assert v["path"] not in html
        assert Path(v["path"]).name in text
    assert str(demo["out"]) not in html and str(Path(run["config_file"]).parent) not in html
    assert "272172.49" not in html and not re.search(r"\d\.\d{6,}", text), re.findall(r"\S*\d\.\d{6,}\S*", text)[:5]
    assert "{'" not in text and "p = 0.0 " not in text and "nan" not in text.split()
    for v in run["inputs"].values():  # checksums shortened
        assert v["sha256"] not in html and v["sha256"][:12] in html
    assert "<script" not in html.lower() and "http://" not in html and "https://" not in html
    assert "<html lang='en'>" in html
    for _tag, attr, value in parse(html).attrs:
        if attr in ("href", "src"):
            assert value.startswith(("#", "data:image/png;base64,", "maps/", "tables/")) or \
                not re.match(r"^([a-z]+:|/)", value), value
    # maps full width, with links to the map files
    for stem in ("tt_hospital", "lisa_integration_index"):
        assert f"href='maps/{stem}.html'" in html and f"href='maps/{stem}.png'" in html


ENGLISH_HEADINGS = ("Summary", "Inputs", "Checks", "Methods", "Maps", "Outputs", "Population", "Units",
                    "Service", "Coverage", "Share", "Threshold", "Moran", "Integration", "Variable", "Status",
                    "Setting", "Value", "Mean", "Contents", "Warnings", "Code", "Name", "Travel", "Class")


def test_zh_report_is_chinese_throughout(demo):
    run = dict(demo["run"], config=dict(demo["run"]["config"], language="zh"))
    html = render_report(name="演示县", run=run, tables=demo["tables"], units=demo["units"], folder=demo["out"],
                         language="zh")
    assert "<html lang='zh-CN'>" in html
    heads = " ".join(parse(html).headings)
    found = [word for word in ENGLISH_HEADINGS if re.search(rf"\b{word}\b", heads, flags=re.I)]
    assert not found, found
    for zh in ("摘要", "输入数据", "公共服务可达性", "空间集聚", "城乡融合", "服务最不足的单元", "地图", "医院"):
        assert zh in html, zh
    facts = summary_facts(run, demo["tables"], demo["units"], language="zh")
    # unit names in Chinese where the units have them
    assert facts["underserved"][0]["name"] == demo["units"].loc[facts["underserved"][0]["code"], "name_zh"]
    assert "莫兰指数 I = " in html and "人无法到达任何" in html
    # the analyses' notes with a fixed wording are translated; check names too
    assert "no land grid" not in html and "无土地格网" in html and "互不连通" in html
    assert ">geometry validity<" not in html and "几何有效性" in html


# --------------------------------------------------------------------------- small runs, absent sections


def test_sections_absent_when_their_analysis_did_not_run(tmp_path):
    run = {"study_area": {"units": 3, "area_km2": 1.5, "population": 1234.5, "crs": "EPSG:32650"},
           "inputs": {"units": {"path": "/abs/where/units.gpkg", "bytes": 10, "sha256": "ab" * 32}},
           "config_file": "/abs/where/study.yaml", "checks": [], "analyses": [], "variants": {}, "outputs": []}
    html = render_report(name="x", run=run, tables={}, units=pd.DataFrame({"name": ["a", "b", "c"]}),
                         folder=tmp_path, language="en")
    assert "/abs/where" not in html and "units.gpkg" in html
    for absent in ("Access to services", "Spatial clustering", "Urban-rural integration", "Most under-served",
                   "Maps", "Key tables", "Moran"):
        assert absent not in html, absent
    assert "1,234" in html and "1.5 km²" in html


def _hostile_inputs(tmp_path):
    n = len(HOSTILE_NAMES)
    cats = list(HOSTILE_NAMES)
    acc = pd.DataFrame([{"category": c, "urban_class": k, "threshold_min": 30.0, "population": 100.0,
                         "population_within": 60.0, "share": 0.6} for c in cats for k in ("urban", "rural")])
    summ = pd.DataFrame({"category": cats, "people_unreachable": [5.0] * n, "mean_tt_urban_min": 10.0,
                         "mean_tt_rural_min": 20.0, "rural_urban_time_ratio": 2.0})
    units = pd.DataFrame({"name": cats, "population": 100.0, "integration_index": np.linspace(0, 1, n),
                          **{f"underserved_30min_{c}": np.arange(n, dtype=float) for c in cats[:3]}},
                         index=[f"u{i}" for i in range(n - 1)] + [HOSTILE_NAMES[0]])
    auto = pd.DataFrame({"variable": cats[:2], "moran_i": 0.5, "p_sim": 0.001, "lisa_HH": 1, "lisa_LL": 2})
    ccd = pd.DataFrame({"level": range(n), "label_en": cats, "label_zh": cats, "units": 1})
    run = {"study_area": {"units": n, "crs": HOSTILE_NAMES[1], "population": 1.0},
           "config": {"analyses": {"accessibility": {"thresholds": [15, 30, 60]}}},
           "analyses": [{"analysis": h, "status": "warning", "detail": h} for h in HOSTILE_NAMES]}
    return run, {"accessibility": acc, "accessibility_summary": summ, "autocorrelation": auto,
                 "integration_ccd": ccd}, units


@pytest.mark.parametrize("language", ["en", "zh"])
def test_hostile_names_in_summary_are_text(tmp_path, language):
    run, tables, units = _hostile_inputs(tmp_path)
    html = render_report(name=HOSTILE_NAMES[5], run=run, tables=tables, units=units, folder=tmp_path,
                         language=language)
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<svg" not in html.lower()
    assert "{{" not in html and "{%" not in html
    p = parse(html)
    text = re.sub(r"\s+", " ", "".join(p.text)).replace("\ufffd", "\x00")
    for h in HOSTILE_NAMES:
        norm = re.sub(r"\s+", " ", h)
        assert norm.strip() in text, h
    assert {t for t, _, _ in p.attrs} <= {"html", "meta", "style", "a", "section", "div", "table", "thead", "tbody",
                                          "tr", "th", "td", "p", "nav", "main", "ul", "small"}
    for tag, attr, value in p.attrs:
        assert not attr.startswith("on"), (tag, attr)
        if attr == "href":
            assert not value.lower().startswith("javascript"), value


# --------------------------------------------------------------------------- map images: embedded or linked


def _png(path: Path, width: int, height: int, *, noise: bool) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8) if noise else \
        np.full((height, width, 3), 200, dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def test_small_maps_embedded_large_ones_linked_inside_the_run_folder(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "maps").mkdir(parents=True)
    _png(run_dir / "maps" / "ccd.png", 300, 200, noise=False)
    big = _png(run_dir / "maps" / "tt_hospital.png", 600, 400, noise=True)
    (run_dir / "maps" / "tt_hospital.pdf").write_bytes(b"%PDF-1.4")
    _png(run_dir / "maps" / "it's <b>&map.png", 500, 300, noise=True)
    outside = _png(tmp_path / "secret.png", 10, 10, noise=False)
    (run_dir / "maps" / "elsewhere.png").symlink_to(outside)
    run = {"study_area": {"units": 3}, "analyses": [], "checks": [], "outputs": []}
    html = render_report(name="x", run=run, tables={}, units=pd.DataFrame(), folder=run_dir, language="en")
    assert big.stat().st_size > 150_000 and len(html) < 60_000
    srcs = [v for t, a, v in parse(html).attrs if t == "img" and a == "src"]
    assert len(srcs) == 3  # the link out of the run folder is left out
    assert sum(s.startswith("data:image/png;base64,") for s in srcs) == 1  # the small one
    assert "maps/tt_hospital.png" in srcs and "maps/it%27s%20%3Cb%3E%26map.png" in srcs
    assert "width='600' height='400' loading='lazy'" in html
    for s in srcs:  # relative, inside the run folder, no scheme
        assert s.startswith("data:") or (s.startswith("maps/") and ".." not in s and ":" not in s), s
    assert "secret" not in html and "elsewhere" not in html
    assert "href='maps/tt_hospital.pdf'" in html
    # a higher limit embeds them all (a report to send on its own)
    html = render_report(name="x", run=run, tables={}, units=pd.DataFrame(), folder=run_dir, language="zh",
                         embed_max_bytes=10_000_000)
    srcs = [v for t, a, v in parse(html).attrs if t == "img" and a == "src"]
    assert len(srcs) == 3 and all(s.startswith("data:image/png;base64,") for s in srcs)
