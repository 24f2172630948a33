"""Escaping per HTML context: for any text, the escaped form read back in its context is the
text, and it never holds the sequence that would break out of that context."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from robustness.hostile import HOSTILE_NAMES

from urbanrural.geo.errors import DataError
from urbanrural.maps import escape

# any text UTF-8 can hold (lone surrogates cannot be written, so they are out of scope)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
# bias towards the characters that matter
NASTY = st.lists(st.sampled_from(list("<>&\"'`$\\{}/!-\r\n\t\x00\u2028\u2029 ascript") + ["</script", "<!--", "${"]),
                 max_size=30).map("".join)
JINJA = re.compile(r"\{[{%#]")  # folium renders scripts twice: no template delimiters may survive
ANY = st.one_of(TEXT, NASTY, st.lists(st.sampled_from(["</script", "<!--", "${", "`", "\\", "$", "-->", "{{", "{%", "{#", "}}"]),
                                      max_size=8).map("".join))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


def _read(doc: str) -> _Reader:
    r = _Reader()
    r.feed(doc)
    r.close()
    return r


def _html_expected(s: str) -> str:
    return s.replace("\x00", "\ufffd")


@settings(max_examples=300, deadline=None)
@given(ANY)
def test_html_text_round_trip(s):
    e = escape.html_text(s)
    assert not re.search(r"[<>\"'\r\x00]", e)
    assert re.fullmatch(r"([^&]|&(amp|lt|gt|quot|#39|#13|#123);)*", e, re.S)
    assert not JINJA.search(e)
    r = _read(f"<p>{e}</p>")
    assert r.tags == ["p"] and "".join(r.text) == _html_expected(s)


@settings(max_examples=300, deadline=None)
@given(ANY)
def test_html_attr_round_trip_in_both_quotes(s):
    e = escape.html_attr(s)
    for q in ('"', "'"):
        r = _read(f"<p title={q}{e}{q} id=x>")
        assert r.tags == ["p"] and r.attrs == [("title", _html_expected(s)), ("id", "x")]


@settings(max_examples=300, deadline=None)
@given(ANY)
def test_script_json_and_js_string(s):
    for e in (escape.js_string(s), escape.script_json({"k": [s]})):
        low = e.lower()
        assert "</" not in low and "<!--" not in low and "\u2028" not in e and "\u2029" not in e
        assert "<" not in e and ">" not in e and not JINJA.search(e)
    assert json.loads(escape.js_string(s)) == s
    assert json.loads(escape.script_json({s: [s, 1.5]})) == {s: [s, 1.5]}


def _cook_template(lit: str) -> str:
    """The cooked value of a template literal using only the escapes js_template writes."""
    assert lit[0] == lit[-1] == "`"
    body, out, i = lit[1:-1], [], 0
    while i < len(body):
        c = body[i]
        assert c != "`" and not body.startswith("${", i), "unescaped backtick or substitution"
        if c == "\\":
            n = body[i + 1]
            if n == "u":
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append({"r": "\r", "n": "\n"}.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(ANY)
def test_js_template_round_trip(s):
    e = escape.js_template(s)
    assert "</" not in e and "<!--" not in e and "\r" not in e and not JINJA.search(e)
    assert _cook_template(e) == s
    assert escape.js_template(s, quotes=False) == e[1:-1]


@settings(max_examples=200, deadline=None)
@given(ANY)
def test_href_path_has_no_scheme_and_round_trips(s):
    e = escape.href_path(s)
    assert ":" not in e and not re.search(r"[\s<>\"'&\\]", e)
    assert unquote(e) == s.replace("\\", "/")


def test_css_color():
    assert escape.css_color("#ABCDEF") == "#abcdef"
    assert escape.css_color((1, 0, 0, 0.5)) == "#ff000080"
    for bad in ("red;background:url(x)", "expression(alert(1))", "</style>", "", None):
        with pytest.raises(DataError, match="not a colour"):
            escape.css_color(bad)


def test_lone_surrogates_become_replacement_characters():
    assert escape.html_text("a\ud800b") == "a\ufffdb"
    assert json.loads(escape.js_string("\udfff")) == "\ufffd"
    escape.script_json(["\ud800"]).encode("utf-8")


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_node_reads_js_literals_back():
    import random

    rnd = random.Random(0)
    alphabet = "<>&\"'`$\\{}/!-\r\n\t\x00\u2028\u2029 aé县🏥"
    cases = list(HOSTILE_NAMES) + ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 20)))
                                   for _ in range(500)]
    src = "console.log(JSON.stringify([" + ",".join(
        f"[{escape.js_string(s)},{escape.js_template(s)},{escape.script_json([s])}[0]]" for s in cases) + "]));"
    out = subprocess.run(["node", "-e", src], capture_output=True, text=True, timeout=60, check=True).stdout
    got = json.loads(out)
    for s, (a, b, c) in zip(cases, got, strict=True):
        assert a == s and b == s and c == s, repr(s)


def test_no_template_evaluation_anywhere_in_a_saved_map(tmp_path):
    """folium renders scripts twice; ``{{7*7}}`` in any field must come out as written."""
    import geopandas as gpd
    import shapely

    from urbanrural import maps

    t = "{{7*7}} {% if 1 %}x{% endif %} {# c #}"
    g = gpd.GeoDataFrame({"name": [t, "b"], t: [1.0, 2.0], "c": [t, "z"]},
                         geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326, index=[t, "x"])
    for m in (maps.choropleth(g, t, k=2, title=t, unit=t), maps.categorical(g, "c", title=t, labels={t: t}),
              maps.facilities_map(g, gpd.GeoDataFrame({"category": [t], "name": [t]},
                                                      geometry=[shapely.Point(0.5, 0.5)], crs=4326), title=t)):
        html = maps.to_html(m)
        assert "49 x" not in html  # what the evaluated template would read
        assert "{{7*7}}" not in html and "{%" not in html  # every copy escaped
        assert html.count("&#123;&#123;7*7}}") + html.count("\\u007b{7*7}}") >= 3
