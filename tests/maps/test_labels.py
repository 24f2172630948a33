"""The label registry and the class schemes chosen by a column's meaning (en and zh)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from urbanrural.analysis.integration import D_CLASSES
from urbanrural.maps import labels, palettes

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("name", "en", "zh"), [
    ("tt_hospital_min", "Travel time to hospital (min)", "到医院出行时间（分钟）"),
    ("tt:clinic", "Travel time to clinic (min)", "到诊所出行时间（分钟）"),
    ("lisa:integration_index", "LISA clusters: Integration index", "城乡融合指数 LISA 聚类"),
    ("lisa_p_integration_index", "LISA pseudo p-value: Integration index", "城乡融合指数 LISA 伪 p 值"),
    ("degurba_l1", "Degree of Urbanisation (level 1)", "城镇化程度（一级）"),
    ("ccd_class", "Coupling coordination class", "耦合协调等级"),
    ("iso:hospital", "Travel-time bands to hospital (min)", "医院等时圈（分钟）"),
    ("within_30min_share_bus_stop", "Share of people within 30 min of bus stop (%)", "30分钟内可达公交站的人口比例（%）"),
])
def test_labels_in_both_languages(name, en, zh):
    assert labels.label(name).text == en
    assert labels.label(name, language="zh").text == zh


def test_unknown_columns_keep_their_name_and_ui_words_translate():
    assert labels.label("my column").text == "my column"
    assert labels.ui_text("code") == "Unit code" and labels.ui_text("code", language="zh") == "单元代码"
    assert labels.category_name("bus_stop", language="zh") == "公交站"
    assert labels.category_name("bus_stop") == "bus stop"


@pytest.mark.parametrize(("name", "value", "en", "zh"), [
    ("tt_hospital_min", 32.3412, "32.3 min", "32.3 分钟"),
    ("within_30min_share_clinic", 0.66291, "66.3 %", "66.3 %"),
    ("population", 272172.49006035924, "272,172 people", "272,172 人"),
    ("lisa_p_x", 0.0, "< 0.001", "< 0.001"),
    ("integration_index", 0.43219, "0.43", "0.43"),
    ("x", float("nan"), "no data", "无数据"),
    ("name", "<b>", "<b>", "<b>"),
])
def test_values_are_formatted_with_units(name, value, en, zh):
    assert labels.format_value(name, value) == en
    assert labels.format_value(name, value, language="zh") == zh


def test_degurba_level1_is_ghsl_not_ccd():
    s = palettes.scheme_for("degurba_l1")
    assert s.colors == palettes.DEGURBA_UNITS and s.colors != {k: palettes.CCD[k] for k in (3, 2, 1)}
    assert [s.labels[k] for k in s.colors] == ["City", "Town or semi-dense area", "Rural area"]
    assert s.colors[1] != palettes.CCD[1]  # rural is green, not CCD's darkest red
    zh = palettes.scheme_for("degurba_l1", language="zh")
    assert all(CJK.search(t) for t in zh.labels.values())
    l2 = palettes.scheme_for("degurba_l2")
    assert l2.labels[30] == "Urban centre" and l2.colors == palettes.DEGURBA


def test_ccd_labels_are_tian_et_al():
    en = palettes.scheme_for("ccd_class")
    zh = palettes.scheme_for("ccd_class", language="zh")
    for k, name_zh, name_en in D_CLASSES:
        assert en.labels[k] == name_en and zh.labels[k] == name_zh


def test_lisa_and_significance_schemes():
    s = palettes.scheme_for("lisa_integration_index")
    assert s.kind == "lisa" and s.colors["HH"] == "#ff0000" and s.colors["LL"] == "#0000ff" and s.show_all
    p = palettes.scheme_for("lisa_p_integration_index")
    assert p.kind == "lisa_p"
    keys = p.keys(pd.Series([0.0001, 0.001, 0.005, 0.04, 0.05, 0.2, None]))
    assert keys.tolist()[:6] == ["0.001", "0.001", "0.01", "0.05", "0.05", "ns"] and pd.isna(keys.iloc[6])
    assert palettes.scheme_for("gi_tt_hospital_min").kind == "gi"
    assert palettes.scheme_for("reach_clinic").kind == "reach"
    for plain in ("integration_index", "population", "level", "tt_hospital_min"):
        assert palettes.scheme_for(plain) is None


@pytest.mark.parametrize(("name", "en", "zh"), [
    ("flow_net_commuting", "Net inflow: commuting (people)", "通勤净流入（人）"),
    ("flow_in_migration", "Inflow: migration (people)", "人口迁移流入（人）"),
    ("flow_out_capital", "Outflow: capital", "资本流出"),
    ("flow_gross_goods", "Gross flow: goods", "货物总流量"),
    ("flow_balance_land", "Flow balance: land (0-1)", "土地流动平衡度（0-1）"),
    ("flow:commuting", "Commuting flows (people)", "通勤流动（人）"),
    ("flow_matrix:capital", "Capital flows by origin and destination class", "资本流动：按起讫类型汇总"),
    ("flow_net_tourism", "Net inflow: tourism", "tourism净流入"),  # unknown kinds as given
    ("flow:my kind", "my kind flows", "my kind流动"),
])
def test_flow_labels_in_both_languages(name, en, zh):
    assert labels.label(name).text == en
    assert labels.label(name, language="zh").text == zh


def test_flow_kinds_groups_and_class_pairs():
    assert [labels.flow_kind_name(k, language="zh") for k in labels.FLOW_KINDS] == ["通勤", "人口迁移", "资本", "土地",
                                                                                   "货物"]
    assert labels.group_name("urban", language="zh") == palettes.URBAN_CLASS_LABELS["zh"]["urban"]
    assert labels.group_name(None) == "no class" and labels.group_name(float("nan"), language="zh") == "未分类"
    assert labels.flow_pair_name("rural", "urban") == "Rural → urban"
    assert labels.flow_pair_name("Rural", "URBAN", language="zh") == "乡村→城镇"
    assert labels.flow_pair_name("city", "rural") == "city → rural"
    assert palettes.flow_pair_key("rural", "urban") == "rural>urban" and palettes.flow_pair_key(None, "urban") == "other"
    assert len(set(palettes.FLOW_PAIRS.values()) | {palettes.FLOW_OTHER}) == 5
    assert labels.format_value("flow_net_commuting", -1234.0) == "-1,234 people"
    assert palettes.ramp_for("flow_net_x") == palettes.DIVERGING and palettes.ramp_for("flow_in_x") == "Blues"


@pytest.mark.parametrize(("name", "en", "zh"), [
    ("index_annual_rate", "Annual rate of change (%)", "年均变化率（%）"),
    ("warning_count", "Early-warning rules fired", "预警规则触发数"),
    ("hotspot_trend", "Emerging hot spot trend", "新兴热点趋势"),
    ("years:integration_index", "Integration index (0-1)", "城乡融合指数（0-1）"),
    ("density:integration_index", "Integration index: kernel density", "城乡融合指数核密度"),
])
def test_change_over_time_labels(name, en, zh):
    assert labels.label(name).text == en
    assert labels.label(name, language="zh").text == zh


def test_change_titles_carry_the_variable_and_period():
    years = [2019, 2020, 2023]
    assert labels.panel_label("index_change", years=years).title == "Change in integration index, 2019-2023"
    assert labels.panel_label("index_change", years=years, language="zh").title == "城乡融合指数变化（2019—2023年）"
    assert labels.period_title("Integration index", years) == "Integration index, 2019-2023"
    assert labels.period_title("城乡融合指数", years, language="zh") == "城乡融合指数（2019—2023年）"
    assert labels.label("integration_index_2021", language="zh").title == "城乡融合指数（2021年）"
    assert labels.label("my_var_2021").title == "my_var_2021"  # unknown variables keep their name
    assert labels.year_name(2020, language="zh") == "2020年"
    assert labels.format_value("index_annual_rate", 0.0512) == "+5.1 %"
    assert labels.format_value("index_change", -0.01234) == "-0.0123"


def test_emerging_hot_spot_classes_in_both_languages():
    en = palettes.scheme_for("hotspot_trend")
    zh = palettes.scheme_for("hotspot_trend", language="zh")
    kinds = ["new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
             "historical"]
    assert list(en.colors) == [f"{k} hot spot" for k in kinds] + [f"{k} cold spot" for k in kinds] + ["no pattern"]
    assert [zh.labels[f"{k} hot spot"] for k in kinds] == ["新热点", "连续热点", "加强热点", "持续热点", "减弱热点",
                                                          "零星热点", "振荡热点", "历史热点"]
    assert [zh.labels[f"{k} cold spot"] for k in kinds] == ["新冷点", "连续冷点", "加强冷点", "持续冷点", "减弱冷点",
                                                           "零星冷点", "振荡冷点", "历史冷点"]
    assert zh.labels["no pattern"] == "无显著模式" and en.labels["no pattern"] == "No pattern detected"
    assert en.keys(pd.Series(["New Hot Spot", "no_pattern_detected", None])).tolist()[:2] == \
        ["new hot spot", "no pattern"]
    w = palettes.scheme_for("warning_count", language="zh")
    assert w.labels == {0: "无", 1: "1 条", 2: "2 条", 3: "3 条及以上"}
