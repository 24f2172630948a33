"""render_map and the shared classes: chosen by the column's meaning, bounded by the data,
tied quantiles merged or split with a note, bands for travel times, a limit on text
columns, tooltips that start with the unit code, context layers and tiles."""

from __future__ import annotations

import html
import json
import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanrural.geo.errors import DataError
from urbanrural.maps import interactive, palettes, render_map, to_html
from urbanrural.maps.interactive import Classes

CJK = re.compile(r"[\u4e00-\u9fff]")
N = 30


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    geoms = [shapely.box(400_000 + 1000 * (i % 6), 4_300_000 + 1000 * (i // 6), 401_000 + 1000 * (i % 6),
                         4_301_000 + 1000 * (i // 6)) for i in range(N)]
    rng = np.random.default_rng(3)
    tt = rng.uniform(16.1, 93.2, N)
    tt[[0, 1, 2]] = np.nan
    share = np.r_[np.zeros(4), np.ones(22), [0.2, 0.5, 0.7, 0.9]]
    return gpd.GeoDataFrame({
        "code": [f"U{i:03d}" for i in range(N)], "name": [f"unit {i}" for i in range(N)],
        "name_zh": [f"单元{i}" for i in range(N)],
        "degurba_l1": [1, 2, 3] * 10, "level": [1, 2, 3] * 10, "degurba_l2": [30, 23, 21, 13, 12, 11] * 5,
        "ccd_class": [(i % 10) + 1 for i in range(N)], "urban_class": ["urban", "rural", "rural"] * 10,
        "lisa_x": ["HH", "LL", "ns"] * 10, "lisa_p_x": np.linspace(0.0001, 0.5, N),
        "tt_clinic_min": tt, "reach_clinic": ["unreachable", "no people", "ok"] + ["ok"] * (N - 3),
        "within_30min_share_clinic": share, "population": rng.integers(100, 50_000, N).astype(float),
        "town": [f"town {i}" for i in range(N)], "village_type": ["a", "b"] * 15,
    }, geometry=geoms, crs=32650)


def legend(text: str) -> list[tuple[str, str]]:
    """(colour, label) of every legend row of a saved map."""
    rows = re.findall(r'class="ur-swatch" style="background-color:(#[0-9a-fA-F]+);[^"]*"></span>([^<]*)</div>', text)
    return [(c.lower(), html.unescape(t)) for c, t in rows]


def layers(text: str) -> list[tuple[dict, list[str]]]:
    """The compact layers' data and tooltip field names."""
    out = []
    for m in re.finditer(r"urLayer\((\{.*?\}), (\[.*?\])\);", text):
        out.append((json.loads(m.group(1)), json.loads(m.group(2))))
    return out


def draw(units, spec, tmp_path, **kw) -> str:
    return render_map(units, spec, tmp_path / "m.html", **kw).read_text(encoding="utf-8")


def test_degurba_l1_gets_ghsl_colours_and_names(units, tmp_path):
    rows = legend(draw(units, "degurba_l1", tmp_path))
    assert rows == [(palettes.DEGURBA_UNITS[3], "City (10)"), (palettes.DEGURBA_UNITS[2], "Town or semi-dense area (10)"),
                    (palettes.DEGURBA_UNITS[1], "Rural area (10)")]
    assert legend(draw(units, "degurba", tmp_path)) == rows  # the spec means level 1
    zh = legend(draw(units, "degurba_l1", tmp_path, language="zh"))
    assert [t for _, t in zh] == ["城市 (10)", "城镇与半密集地区 (10)", "农村地区 (10)"]


def test_same_values_under_another_name_are_not_guessed(units, tmp_path):
    rows = legend(draw(units, "level", tmp_path, k=3))
    assert all(" - " in t or t.isdigit() for _, t in rows)
    assert {c for c, _ in rows}.isdisjoint(palettes.DEGURBA_UNITS.values())


def test_degurba_l2_ccd_urban_lisa_and_significance(units, tmp_path):
    l2 = dict((t.rsplit(" (", 1)[0], c) for c, t in legend(draw(units, "degurba_l2", tmp_path)))
    assert l2["Urban centre"] == palettes.DEGURBA[30] and "Water" not in l2
    ccd = [t for _, t in legend(draw(units, "ccd", tmp_path))]
    assert ccd[0] == "extreme disorder (3)" and ccd[-1] == "high-quality coordination (3)" and len(ccd) == 10
    ccd_zh = [t for _, t in legend(draw(units, "ccd_class", tmp_path, language="zh"))]
    assert ccd_zh[0] == "极度失调 (3)"
    assert [t for _, t in legend(draw(units, "urban_class", tmp_path))] == ["Urban (10)", "Rural (20)"]
    lisa = legend(draw(units, "lisa:x", tmp_path))
    assert lisa == [("#ff0000", "High-High (10)"), ("#0000ff", "Low-Low (10)"), ("#a7adf9", "Low-High (0)"),
                    ("#f4ada8", "High-Low (0)"), ("#eeeeee", "Not significant (10)")]  # every class, with counts
    sig = [t for _, t in legend(draw(units, "lisa_p:x", tmp_path))]
    assert sig[0].startswith("p ≤ 0.001") and sig[-1].startswith("Not significant") and len(sig) == 4


def test_travel_time_bands_from_the_caller(units, tmp_path):
    text = draw(units, "tt_clinic_min", tmp_path, bins=[15, 30, 60])
    rows = [t for _, t in legend(text)]
    vmin, vmax = units["tt_clinic_min"].min(), units["tt_clinic_min"].max()
    assert rows[:3] == [f"{vmin:.1f} - 30 min", "30 - 60 min", f"60 - {vmax:.1f} min"]  # nothing beyond the data
    assert rows[3:] == ["unreachable", "no people", "No data"]  # three reasons, three rows
    assert len({c for c, _ in legend(text)}) == 6
    custom = [t for _, t in legend(draw(units, "tt_clinic_min", tmp_path, bins=[20, 45]))]
    assert custom[:3] == [f"{vmin:.1f} - 20 min", "20 - 45 min", f"45 - {vmax:.1f} min"]
    zh = [t for _, t in legend(draw(units, "tt_clinic_min", tmp_path, language="zh"))]
    assert zh[0].endswith("分钟") and "无法到达" in zh and "无人口" in zh and "无数据" in zh


def test_tied_quantiles_keep_the_underserved_apart(units, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="urbanrural"):
        text = draw(units, "within_30min_share_clinic", tmp_path)
    rows = [t for _, t in legend(text)]
    assert rows[0] == "0 %" and rows[-1] == "100 %" and len(rows) >= 3  # the 0s are a class of their own
    assert "tied values" in caplog.text
    assert "tied values" in text  # the note under the legend
    c = Classes(units["within_30min_share_clinic"])
    assert c.counts[0] == 4 and min(c.counts) > 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 5).map(float), st.floats(-1e4, 1e4, allow_nan=False)), min_size=2,
                max_size=40),
       st.sampled_from(["quantiles", "natural_breaks", "fisher_jenks", "equal_interval", "user"]),
       st.integers(2, 7))
def test_class_bounds_increase_within_the_data(values, scheme, k):
    s = pd.Series(values, name="v")
    if s.nunique() < 2 and scheme != "user":
        return
    c = Classes(s, scheme=scheme, k=k, bins=[0.0, 15.0, 30.0, 60.0])
    lo, hi = np.asarray(c.lower), np.asarray(c.upper)
    assert (lo <= hi).all() and (hi[:-1] <= lo[1:]).all()  # never reversed, never overlapping
    assert lo[0] >= s.min() and hi[-1] <= s.max()
    assert len(c.labels) == len(c.colors) == len(lo) <= max(k, 5)
    assert c.index.notna().all() and sum(c.counts) == len(s)
    if scheme != "equal_interval" and scheme != "user":
        assert min(c.counts) > 0  # no empty class


def test_text_columns_are_limited(units, tmp_path):
    big = units.assign(town=[f"town {i}" for i in range(N)])
    with pytest.raises(DataError, match=r"'town'.*30 distinct.*numeric"):
        render_map(big, "town", tmp_path / "t.png")
    assert legend(draw(units, "village_type", tmp_path))  # a few classes draw
    many = units.assign(town=[f"t{i}" for i in range(N)] * 1)
    render_map(many, "town", tmp_path / "t.html")  # HTML legends scroll: up to 40 classes
    lots = gpd.GeoDataFrame({"t": [f"x{i}" for i in range(50)]},
                            geometry=[shapely.box(i, 0, i + 1, 1) for i in range(50)], crs=4326)
    with pytest.raises(DataError, match="'t' has 50 distinct"):
        render_map(lots, "t", tmp_path / "t2.html")


def test_tooltips_start_with_the_unit_code(units, tmp_path):
    path = tmp_path / "results.gpkg"
    units.to_file(path, layer="units")
    text = render_map(path, "tt_clinic_min", tmp_path / "g.html").read_text(encoding="utf-8")
    data, aliases = layers(text)[0]
    assert aliases == ["Unit code", "Name", "Travel time to clinic (min)"]
    assert data["t"][0][:4] == ["U000", "U001", "U002", "U003"]  # codes, not row numbers
    assert data["t"][2][:3] == ["unreachable", "no people", "no data"]
    assert re.fullmatch(r"\d+\.\d min", data["t"][2][5])
    zh = render_map(path, "within_30min_share_clinic", tmp_path / "z.html", language="zh").read_text("utf-8")
    data, aliases = layers(zh)[0]
    assert aliases[:2] == ["单元代码", "名称"] and CJK.search(aliases[2])
    assert data["t"][1][0] == "单元0" and data["t"][2][0] == "0.0 %"
    # a GeoDataFrame indexed by its code (as the pipeline passes it)
    data, _ = layers(draw(units.set_index("code"), "population", tmp_path))[0]
    assert data["t"][0][0] == "U000" and data["t"][2][0].endswith(" people") and "," in "".join(data["t"][2])


def test_page_title_context_layers_and_tiles(units, tmp_path):
    fac = gpd.GeoDataFrame({"category": ["clinic", "school"], "name": ["C", "S"]},
                           geometry=[shapely.Point(401_500, 4_301_500), shapely.Point(402_500, 4_302_500)], crs=32650)
    roads = gpd.GeoDataFrame({"road_class": ["county"]},
                             geometry=[shapely.LineString([(400_000, 4_300_500), (405_000, 4_300_500)])], crs=32650)
    iso = gpd.GeoDataFrame({"category": ["clinic", "clinic"], "minutes": [15.0, 30.0]},
                           geometry=[shapely.Point(402_000, 4_302_000).buffer(r) for r in (800, 2000)], crs=32650)
    plain = draw(units, "population", tmp_path, facilities=fac)
    assert [d["k"] for d, _ in layers(plain)] == ["polygon"]  # facilities over a column map only when asked
    text = draw(units, "population", tmp_path, facilities=fac, roads=roads, isochrones=iso, language="zh",
                title="<b>Demo</b>", context=("facilities", "roads", "isochrones"))
    assert "<title>&lt;b&gt;Demo&lt;/b&gt;</title>" in text
    kinds = [d["k"] for d, _ in layers(text)]
    assert kinds == ["polygon", "polygon", "line"]  # units, isochrones, roads
    # facilities: one block of data, one overlay per category (see test_facilities.py)
    block = json.loads(re.search(r"var ur_facilities_\w+ = (\{.*?\});</script>", text).group(1))
    assert block["cats"] == ["诊所", "学校"] and block["n"] in (["C", "S"], ["S", "C"])
    assert text.count("urFacilities(ur_facilities_") == 2
    assert layers(text)[1][0].get("ni") == 1  # isochrones leave the units' tooltips reachable
    names = [json.dumps(w)[1:-1] for w in ("诊所", "道路", "等时圈")]  # layer names, JSON-escaped in scripts
    assert all(n in text for n in names) and "L.control.layers" in text
    assert "L.tileLayer(" not in text  # offline: no tiles by default
    with pytest.raises(DataError, match="attribution"):
        render_map(units, "population", tmp_path / "t.html", tiles="https://tile.example.org/{z}/{x}/{y}.png")
    with pytest.raises(DataError, match="unknown tiles"):
        render_map(units, "population", tmp_path / "t.html", tiles="NoSuchProvider")
    t = draw(units, "population", tmp_path, tiles="https://tile.example.org/{z}/{x}/{y}.png", attr="<i>me</i>")
    assert '"https://tile.example.org/{z}/{x}/{y}.png"' in t
    assert '"attribution": "\\u0026lt;i\\u0026gt;me' in t  # shown as text, not markup
    assert "tile.openstreetmap.org" in draw(units, "population", tmp_path, tiles="OpenStreetMap.Mapnik")


def test_choropleth_keeps_its_public_signature(units):
    m = interactive.choropleth(units, "population", scheme="quantiles", k=4, tooltip=["code", "population"])
    assert "L.map" in to_html(m)
    m = interactive.categorical(units, "urban_class")
    assert legend(to_html(m))[0][1] == "Urban (10)"
