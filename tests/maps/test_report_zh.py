"""report.html in Chinese: methods/variants, checks and config keys in Chinese with the literal
names (YAML keys, values, files, ids) kept in ``<code>``; run.json and the English report keep
their English texts."""

from __future__ import annotations

import copy
import json
import pickle
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from _support import demo_run_dir

from urbanrural.maps import _report_zh as Z
from urbanrural.maps.report import render_report

# acronyms and authors' names that a Chinese text writes in Latin letters
ALLOWED = {"LISA", "DEGURBA", "SFCA", "SRMSE", "RAAM", "TOPSIS", "GHSL", "EPSG", "Dijkstra", "Saxon", "Snow", "Tian", "Wilson", "sqrt", "ESRI", "Mann", "Kendall", "Scott", "Silverman", "Welch", "OPGD", "Song",
           "Wang", "giddy", "Church", "ReVelle", "Hakimi", "HiGHS", "LSCP", "MCLP", "Toregas"}


class _Visible(HTMLParser):
    """Visible text outside ``<code>`` (and ``<style>``)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.code: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ("meta", "img", "br", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if "style" in self.stack:
            return
        (self.code if "code" in self.stack else self.text).append(data)


def visible(html: str) -> _Visible:
    p = _Visible()
    p.feed(html)
    return p


def section(html: str, sid: str) -> str:
    return html.split(f"<section id='{sid}'")[1].split("</section>")[0]


def english_words(text: str) -> list[str]:
    """Runs of >= 4 ASCII letters that are not an allowed acronym or name (numbers, units
    like ``km`` and single letters such as ``p``, ``z``, ``T`` pass)."""
    return [w for w in re.findall(r"[A-Za-z]{4,}", text) if w not in ALLOWED]


@pytest.fixture(scope="module")
def zh(tmp_path_factory):
    out = demo_run_dir(tmp_path_factory, "zh")
    return {"out": out, "html": (out / "report.html").read_text(encoding="utf-8"),
            "run": json.loads((out / "run.json").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def en(tmp_path_factory):
    out = demo_run_dir(tmp_path_factory, "en")
    return {"out": out, "html": (out / "report.html").read_text(encoding="utf-8"),
            "run": json.loads((out / "run.json").read_text(encoding="utf-8"))}


# analyses whose step does not give its variant texts in Chinese yet (their settings are checked)
ENGLISH_VARIANTS: set[str] = set()


def methods_text(html: str, *, strict: bool = False) -> str:
    """The methods section's visible text outside code; the variant tables of
    :data:`ENGLISH_VARIANTS` left out unless ``strict``."""
    parts = section(html, "methods").split("<h3>")
    keep = [parts[0]]
    for part in parts[1:]:
        title = part.split("</h3>")[0]
        if title in ENGLISH_VARIANTS and not strict:
            tables = part.split("<div class=tw>")
            part = "<div class=tw>".join(tables[:2])  # the heading and the settings table
        keep.append(part)
    return " ".join(visible("<h3>".join(keep)).text)


@pytest.mark.parametrize("sid", ["methods", "checks", "inputs"])
def test_zh_sections_have_no_english_outside_code(zh, sid):
    text = methods_text(zh["html"]) if sid == "methods" else " ".join(visible(section(zh["html"], sid)).text)
    assert text.strip()
    words = english_words(text)
    assert not words, sorted(set(words))


def test_zh_flows_variants_in_chinese(zh):
    words = english_words(methods_text(zh["html"], strict=True))
    assert not words, sorted(set(words))


def test_zh_warnings_have_no_english_outside_code(zh):
    warn = section(zh["html"], "summary").split("<ul class=warn>")[1].split("</ul>")[0]
    words = english_words(" ".join(visible(warn).text))
    assert not words, sorted(set(words))
    assert "<code>roads: components: largest</code>" in warn


def test_zh_methods_use_the_domain_terms_and_keep_keys_as_code(zh):
    methods = section(zh["html"], "methods")
    for term in ("两步移动搜索法", "增强两步移动搜索法", "引力模型", "局部空间自相关（LISA）", "耦合协调度", "熵权法",
                 "欧盟城市化程度分级（DEGURBA", "理性主体可达性模型（RAAM）", "直线距离", "行标准化"):
        assert term in methods, term
    # config keys: a Chinese label with the YAML key as code
    for label, key in (("最大出行成本（分钟）", "max_cost"), ("计算方式", "mode"), ("置换次数", "permutations"),
                       ("标准化方法", "normalization")):
        assert f"<td>{label}<br><code>{key}</code></td>" in methods, (label, key)
    # config values: a gloss with the value as code
    assert "路网 <code>network</code>" in methods and "引力模型 <code>gravity</code>" in methods
    assert "正向 <code>+</code>" in methods
    code = " ".join(visible(methods).code)
    for name in ("max_cost", "underserved_*", "reach_<cat>", "facilities_outside", "scipy.sparse.csgraph"):
        assert name in code, name


def test_zh_checks_translate_statuses_and_details(zh):
    checks = section(zh["html"], "checks")
    text = " ".join(visible(checks).text)
    for zh_text in ("正常", "警告", "信息", "读取设施", "公交站：98", "村道：121", "单元内所有栅格均为数值或声明的无数据值",
                    "单元所在的 UTM 分带", "位于所有单元之外"):
        assert zh_text in text, zh_text
    code = " ".join(visible(checks).code)
    assert "population.tif" in code and "'facilities-107'" in code and "EPSG:32650" in code


def test_run_json_keeps_english_and_equals_the_english_run(zh, en):
    assert zh["run"]["variants"] == en["run"]["variants"]
    text = json.dumps(zh["run"]["variants"], ensure_ascii=False)
    assert not re.search(r"[\u4e00-\u9fff]", text)
    assert "populated raster cells" in zh["run"]["variants"]["accessibility"]["demand"]


def test_english_report_states_the_english_variants(en):
    methods = section(en["html"], "methods")
    assert not re.search(r"[\u4e00-\u9fff]", methods + section(en["html"], "checks"))
    assert "<code>" not in methods
    p = visible(methods)
    text = " ".join(p.text)
    for name, v in en["run"]["variants"].items():
        leaves = v.values() if isinstance(v, dict) else [v]
        for leaf in leaves:
            if isinstance(leaf, str):
                assert leaf in text, (name, leaf[:60])
    assert "max_cost" in text and "ccd › method" in text


def test_zh_report_from_a_plain_run_json_keeps_tables_chinese(zh):
    """A run re-read from run.json (plain English texts): headers and known values still
    Chinese, the straight-line text from its exact English, the rest as written."""
    run = zh["run"]
    html = render_report(name="演示县", run=run, tables={}, units=pd.DataFrame(), folder=zh["out"], language="zh")
    methods = section(html, "methods")
    assert "到各类别最近设施的直线距离" in methods
    assert "路网 <code>network</code>" in methods


# --------------------------------------------------------------------------- the helpers


def test_phrase_is_its_english_text_everywhere_but_the_report():
    p = Z.Phrase("straight line", "直线 `x`")
    assert p == "straight line" and json.dumps({"v": p}) == '{"v": "straight line"}'
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert q == p and q.zh == p.zh
    assert Z.value_html(p) == "直线 <code>x</code>"


@pytest.mark.parametrize(("detail", "check", "expected"), [
    ("make_valid: Self-intersection x2; ids 'a', 'b'", "geometry validity",
     "已用 <code>make_valid</code> 修复：<code>Self-intersection x2</code>；编号 <code>&#39;a&#39;, &#39;b&#39;</code>"),
    ("village: 3, county: 1", "roads read", "村道：3，县道：1"),
    ("hospital: 2, odd_kind: 1", "facilities read", "医院：2，<code>odd_kind</code>：1"),
    ("not UTF-8; read as GB18030", "encoding", "非 UTF-8 编码；按 GB18030 读取"),
    ("something new <b>", "other", "something new &lt;b&gt;"),
    ("units without a row: '`<x>`'", "join to units", "无对应行的单元：<code>&#39;&#39;&lt;x&gt;&#39;&#39;</code>"),
])
def test_check_details(detail, check, expected):
    assert Z.check_detail_html(detail, check) == expected


def test_check_names_and_keys():
    assert Z.check_name_html("id column 'code'", {}) == "编号字段 <code>&#39;code&#39;</code>"
    assert Z.check_name_html("units.gpkg", {}) == "<code>units.gpkg</code>"
    assert Z.key_html(("max_cost",), config=True) == "最大出行成本（分钟）<br><code>max_cost</code>"
    assert Z.key_html(("dimensions", "odd", "x"), config=True) == "维度 › <code>odd</code> › <code>x</code>"
    assert Z.value_html(["nearest", "2sfca"]) == "最近设施出行时间 <code>nearest</code>、两步移动搜索法 <code>2sfca</code>"
    assert Z.value_html(True) == "是" and Z.value_html(0.05) == "0.05"
