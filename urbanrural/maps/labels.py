"""Human titles and units for every output column and map spec, in English and Chinese.

One registry used by map titles, legends, tooltips and the report: ``tt_hospital_min`` is
"Travel time to hospital (min)" / "到医院出行时间（分钟）", ``lisa:integration_index`` is
"LISA clusters: integration index" / "城乡融合指数 LISA 聚类".  Columns the registry does
not know keep their own name.  Class labels of categorical results (LISA, Gi*, DEGURBA,
CCD, urban/rural) live beside their colours in :mod:`.palettes`.

Examples
--------
>>> label("tt_hospital_min").text
'Travel time to hospital (min)'
>>> label("tt_hospital_min", language="zh").text
'到医院出行时间（分钟）'
>>> label("lisa:PctRural").title
'LISA clusters: PctRural'
>>> label("within_30min_share_clinic", language="zh").text
'30分钟内可达诊所的人口比例（%）'
>>> label("flow_net_commuting").text, label("flow_net_commuting", language="zh").text
('Net inflow: commuting (people)', '通勤净流入（人）')
>>> label("flow:migration").text, flow_pair_name("rural", "urban", language="zh")
('Migration flows (people)', '乡村→城镇')

Change over time: a year column ``<var>_<year>`` of a known variable is "Integration
index, 2019" / "城乡融合指数（2019年）"; :func:`period_title` adds the years to a title.

>>> label("integration_index_2019").title, label("integration_index_2019", language="zh").title
('Integration index, 2019', '城乡融合指数（2019年）')
>>> period_title(label("index_change", language="zh").title, [2019, 2023], language="zh")
'城乡融合指数变化（2019—2023年）'
>>> label("index_annual_rate").text, label("warning_count", language="zh").text
('Annual rate of change (%)', '预警规则触发数')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["Label", "label", "category_name", "measure_name", "CATEGORY_ZH", "format_number", "format_value",
           "ui_text", "is_share", "is_minutes", "FLOW_KINDS", "flow_kind_name", "flow_unit", "group_name",
           "flow_pair_name", "period", "period_title", "year_name", "panel_label", "is_rate",
           "PANEL_COLUMNS"]

CATEGORY_ZH: dict[str, str] = {
    "hospital": "医院", "county_hospital": "县医院", "clinic": "诊所", "health_centre": "卫生院",
    "village_clinic": "村卫生室", "doctors": "诊所", "pharmacy": "药店", "school": "学校",
    "primary_school": "小学", "middle_school": "中学", "kindergarten": "幼儿园", "nursing_home": "养老机构",
    "elderly_care": "养老服务", "bank": "银行", "post_office": "邮政网点", "bus_stop": "公交站",
    "rail_station": "火车站", "market": "集贸市场", "culture": "文化设施", "telecom": "通信设施",
    "townhall": "政府机关", "library": "图书馆", "police": "派出所",
}
"""Chinese names of facility categories (others are shown as written)."""

_MEASURES = {
    "en": {"nearest": "nearest-facility time", "2sfca": "2SFCA access", "e2sfca": "E2SFCA access",
           "g2sfca": "Gaussian 2SFCA access", "3sfca": "3SFCA access", "gravity": "gravity access",
           "cumulative": "cumulative opportunities", "raam": "RAAM cost"},
    "zh": {"nearest": "最近设施出行时间", "2sfca": "两步移动搜索法可达性", "e2sfca": "增强两步移动搜索法可达性",
           "g2sfca": "高斯两步移动搜索法可达性", "3sfca": "三步移动搜索法可达性", "gravity": "重力模型可达性",
           "cumulative": "累积机会", "raam": "RAAM 出行成本"},
}

_FIXED = {
    "population": (("Population", "people"), ("人口", "人")),
    "density_per_km2": (("Population density", "people/km²"), ("人口密度", "人/平方公里")),
    "urban_class": (("Urban or rural", None), ("城乡类型", None)),
    "degurba_l1": (("Degree of Urbanisation (level 1)", None), ("城镇化程度（一级）", None)),
    "degurba_l2": (("Degree of Urbanisation (level 2)", None), ("城镇化程度（二级）", None)),
    "degurba": (("Degree of Urbanisation", None), ("城镇化程度", None)),
    "integration_index": (("Integration index", "0-1"), ("城乡融合指数", "0-1")),
    "topsis": (("TOPSIS closeness", "0-1"), ("TOPSIS 贴近度", "0-1")),
    "ccd_C": (("Coupling degree C", None), ("耦合度 C", None)),
    "ccd_T": (("Comprehensive index T", None), ("综合协调指数 T", None)),
    "ccd_D": (("Coupling coordination degree D", None), ("耦合协调度 D", None)),
    "ccd_class": (("Coupling coordination class", None), ("耦合协调等级", None)),
    "ccd": (("Coupling coordination class", None), ("耦合协调等级", None)),
    "ccd_label": (("Coupling coordination class", None), ("耦合协调等级", None)),
    "ccd_lag": (("Lagging subsystem", None), ("滞后子系统", None)),
    "facilities": (("Facilities", None), ("公共服务设施", None)),
    "index_change": (("Change in integration index", None), ("城乡融合指数变化", None)),
    "index_slope": (("Linear trend of integration index", "per year"), ("城乡融合指数线性趋势", "per year")),
    "index_annual_rate": (("Annual rate of change", "%"), ("年均变化率", "%")),
    "early_warning": (("Early-warning rules", None), ("触发的预警规则", None)),
    "warning_count": (("Early-warning rules fired", None), ("预警规则触发数", None)),
    "hotspot_trend": (("Emerging hot spot trend", None), ("新兴热点趋势", None)),
}

PANEL_COLUMNS = ("index_change", "index_annual_rate", "index_slope", "early_warning", "warning_count",
                 "hotspot_trend")
"""Per-unit columns of the panel step (change over time), beside ``<var>_<year>``."""
_YEAR = re.compile(r"(.+)_((?:18|19|20|21)\d\d)")

FLOW_KINDS: dict[str, tuple[str, str, str | None]] = {
    "commuting": ("commuting", "通勤", "people"), "migration": ("migration", "人口迁移", "people"),
    "capital": ("capital", "资本", None), "land": ("land", "土地", None), "goods": ("goods", "货物", None),
}
"""Known flow kinds: English and Chinese names, unit of volume (others are shown as given)."""

_FLOW_ACCOUNTS = {"in": ("Inflow", "流入"), "out": ("Outflow", "流出"), "net": ("Net inflow", "净流入"),
                  "gross": ("Gross flow", "总流量"), "balance": ("Flow balance", "流动平衡度")}

_UNIT_ZH = {"min": "分钟", "km": "公里", "people": "人", "%": "%", "0-1": "0-1", "people/km²": "人/平方公里", "per year": "每年"}


@dataclass(frozen=True)
class Label:
    """A column's title and unit in one language; ``text`` is "Title (unit)"."""

    title: str
    unit: str | None
    language: str

    @property
    def text(self) -> str:
        if not self.unit:
            return self.title
        return f"{self.title}（{self.unit}）" if self.language == "zh" else f"{self.title} ({self.unit})"


def category_name(category: str, *, language: str = "en") -> str:
    """A facility category as a reader would say it ("bus_stop" -> "bus stop" / "公交站")."""
    cat = str(category)
    if language == "zh":
        return CATEGORY_ZH.get(cat, cat)
    return cat.replace("_", " ")


def measure_name(measure: str, *, language: str = "en") -> str:
    """An accessibility measure's name ("2sfca" -> "2SFCA access")."""
    return _MEASURES["zh" if language == "zh" else "en"].get(measure, measure)


def flow_kind_name(kind: str, *, language: str = "en") -> str:
    """A flow kind as a reader says it ("commuting" / "通勤"); unknown kinds as given."""
    k = str(kind)
    known = FLOW_KINDS.get(k.strip().lower())
    if known is None:
        return k
    return known[1] if language == "zh" else known[0]


def flow_unit(kind: str) -> str | None:
    """The unit of a flow kind's volume ("people" for commuting and migration; else None)."""
    known = FLOW_KINDS.get(str(kind).strip().lower())
    return known[2] if known else None


def group_name(group: object, *, language: str = "en") -> str:
    """A flow end's class (``urban_class`` value) as the urban/rural maps name it ("rural" ->
    "Rural" / "乡村"); missing as "no class" / "未分类"; others as given."""
    from . import palettes

    try:
        missing = group is None or bool(group != group) or str(group).strip() == ""
    except (TypeError, ValueError):
        missing = False
    if missing:
        return ui_text("no_class", language=language)
    names = palettes.URBAN_CLASS_LABELS["zh" if language == "zh" else "en"]
    return names.get(str(group).strip().lower(), str(group))


def flow_pair_name(origin_group: object, destination_group: object, *, language: str = "en") -> str:
    """A class pair of flows, origin first ("Rural → urban" / "乡村→城镇")."""
    o = group_name(origin_group, language=language)
    d = group_name(destination_group, language=language)
    if language == "zh":
        return f"{o}→{d}"
    return f"{o} → {d[:1].lower() + d[1:] if d in ('Urban', 'Rural') else d}"


def _unit(unit: str | None, language: str) -> str | None:
    return _UNIT_ZH.get(unit, unit) if (unit and language == "zh") else unit


def period(years: object, *, language: str = "en") -> str:
    """The years a figure covers: "2019-2023" / "2019—2023年" (one year: "2019" / "2019年")."""
    ys = sorted({int(y) for y in years})  # type: ignore[union-attr]
    if not ys:
        return ""
    span = str(ys[0]) if ys[0] == ys[-1] else (f"{ys[0]}—{ys[-1]}" if language == "zh" else f"{ys[0]}-{ys[-1]}")
    return f"{span}年" if language == "zh" else span


def period_title(title: str, years: object, *, language: str = "en") -> str:
    """``title`` with its period: "Integration index, 2019-2023" / "城乡融合指数（2019—2023年）"."""
    p = period(years, language=language)
    if not p:
        return title
    return f"{title}（{p}）" if language == "zh" else f"{title}, {p}"


def year_name(year: int, *, language: str = "en") -> str:
    """A year as a panel or layer is named: "2019" / "2019年"."""
    return f"{int(year)}年" if language == "zh" else str(int(year))


def panel_label(name: str, *, variable: str = "integration_index", years: object = (),
                language: str = "en") -> Label:
    """The label of a panel column (:data:`PANEL_COLUMNS`) for the panel ``variable`` and
    its ``years``: "Change in integration index, 2019-2023" / "城乡融合指数变化（2019—2023年）".

    Examples
    --------
    >>> panel_label("index_change", variable="topsis", years=[2019, 2020, 2023]).title
    'Change in TOPSIS closeness, 2019-2023'
    """
    zh = language == "zh"
    base = label(name, language=language)
    if name in ("index_change", "index_slope"):
        var = label(variable, language=language).title
        if zh:
            title = f"{var}变化" if name == "index_change" else f"{var}线性趋势"
        else:
            low = var if var[1:2].isupper() else var[:1].lower() + var[1:]
            title = f"Change in {low}" if name == "index_change" else f"Linear trend of {low}"
        base = Label(period_title(title, years, language=language), base.unit, language)
    return base


def is_rate(name: str) -> bool:
    """Whether a column is a rate stored as a fraction and shown as a signed % (``index_annual_rate``)."""
    return str(name) == "index_annual_rate"


def _pattern(name: str, zh: bool) -> tuple[str, str | None] | None:
    if m := re.fullmatch(r"tt_after_(.+)_min", name):  # the siting step: with the proposed sites open
        c = category_name(m[1], language="zh" if zh else "en")
        return (f"新增选址后到{c}出行时间", "min") if zh else (f"Travel time to {c} with the proposed sites", "min")
    if m := re.fullmatch(r"tt_(.+)_min", name):
        c = category_name(m[1], language="zh" if zh else "en")
        return (f"到{c}出行时间", "min") if zh else (f"Travel time to {c}", "min")
    if m := re.fullmatch(r"dist_(.+)_km", name):
        c = category_name(m[1], language="zh" if zh else "en")
        return (f"到{c}直线距离", "km") if zh else (f"Straight-line distance to {c}", "km")
    if m := re.fullmatch(r"within_(.+?)min_share_(.+)", name):
        c = category_name(m[2], language="zh" if zh else "en")
        return (f"{m[1]}分钟内可达{c}的人口比例", "%") if zh else \
            (f"Share of people within {m[1]} min of {c}", "%")
    if m := re.fullmatch(r"underserved_(.+?)min_(.+)", name):
        c = category_name(m[2], language="zh" if zh else "en")
        return (f"{m[1]}分钟内无法到达{c}的人口", "people") if zh else \
            (f"People beyond {m[1]} min of {c}", "people")
    if m := re.fullmatch(r"reach_(.+)", name):
        c = category_name(m[1], language="zh" if zh else "en")
        return (f"{c}可达情况", None) if zh else (f"Reach of {c}", None)
    if m := re.fullmatch(r"acc_(nearest|2sfca|e2sfca|g2sfca|3sfca|gravity|cumulative|raam)_(.+)", name):
        c = category_name(m[2], language="zh" if zh else "en")
        meas = measure_name(m[1], language="zh" if zh else "en")
        unit = "min" if m[1] in ("nearest", "raam") else None
        return (f"{c}{meas}", unit) if zh else (f"{c.capitalize()}: {meas}", unit)
    if m := re.fullmatch(r"flow_(in|out|net|gross|balance)_(.+)", name):
        k = flow_kind_name(m[2], language="zh" if zh else "en")
        en, cn = _FLOW_ACCOUNTS[m[1]]
        unit = "0-1" if m[1] == "balance" else flow_unit(m[2])
        return (f"{k}{cn}", unit) if zh else (f"{en}: {k}", unit)
    if m := re.fullmatch(r"score_(.+)", name):
        return (f"{m[1]}得分", "0-1") if zh else (f"Score: {m[1]}", "0-1")
    if m := re.fullmatch(r"lisa_p_(.+)", name):
        return (f"{label(m[1], language='zh').title} LISA 伪 p 值", None) if zh else \
            (f"LISA pseudo p-value: {label(m[1]).title}", None)
    if m := re.fullmatch(r"lisa_(.+)", name):
        return (f"{label(m[1], language='zh').title} LISA 聚类", None) if zh else \
            (f"LISA clusters: {label(m[1]).title}", None)
    if m := re.fullmatch(r"gi_(.+)", name):
        return (f"{label(m[1], language='zh').title} 冷热点（Gi*）", None) if zh else \
            (f"Hot and cold spots (Gi*): {label(m[1]).title}", None)
    if (m := _YEAR.fullmatch(name)) and (base := label(m[1])).title != m[1]:
        lang = "zh" if zh else "en"
        return period_title(label(m[1], language=lang).title, [m[2]], language=lang), base.unit
    return None


def label(name: str, *, language: str = "en") -> Label:
    """Title and unit of a column or map spec (``tt:hospital``, ``lisa:var``, ``iso:clinic``).

    Unknown names keep their own text (no unit), so a user's column shows as written.
    """
    zh = language == "zh"
    name = str(name)
    kind, sep, arg = name.partition(":")
    if sep:
        if kind == "tt":
            return label(f"tt_{arg}_min", language=language)
        if kind == "iso":
            c = category_name(arg, language=language)
            return Label(f"{c}等时圈" if zh else f"Travel-time bands to {c}", _unit("min", language), language)
        if kind in ("lisa", "gi"):
            return label(f"{kind}_{arg}", language=language)
        if kind == "years":
            return label(arg, language=language)
        if kind == "density":
            base = label(arg, language=language)
            return Label(f"{base.title}核密度" if zh else f"{base.title}: kernel density", None, language)
        if kind in ("flow", "flow_matrix"):
            k = flow_kind_name(arg, language=language)
            big = k[:1].upper() + k[1:] if str(arg).strip().lower() in FLOW_KINDS else k
            if kind == "flow":
                title = f"{k}流动" if zh else f"{big} flows"
            else:
                title = f"{k}流动：按起讫类型汇总" if zh else f"{big} flows by origin and destination class"
            return Label(title, _unit(flow_unit(arg), language), language)
    if name in _FIXED:
        title, unit = _FIXED[name][1 if zh else 0]
        return Label(title, _unit(unit, language), language)
    found = _pattern(name, zh)
    if found is not None:
        return Label(found[0], _unit(found[1], language), language)
    return Label(name, None, language)


_UI = {
    "en": {"code": "Unit code", "name": "Name", "units": "Units", "roads": "Roads", "isochrones": "Isochrones",
           "facilities": "Facilities", "category": "Category", "road_class": "Road class", "band": "Band",
           "no_data": "no data", "ties": "tied values: {k} classes merged into {n}",
           "ties_split": "tied values: breaks moved so equal values share a class",
           "min_within": "≤ {m} min", "nearby": "{n} more nearby",
           "flow": "Flow", "reverse": "Reverse flow", "balance": "Balance", "pair": "Class pair",
           "predicted": "Gravity model", "std_resid": "Standardised residual", "no_class": "no class",
           "other_pairs": "Other classes", "flows": "Flows", "origin": "Origin", "destination": "Destination",
           "total": "Total", "share": "share", "year": "Year",
           "flows_shown": "{n} of {total} flows shown ({share} of the volume)",
           "flows_filter": "top {top_n}", "flows_min": "volume ≥ {v}",
           "flow_direction": "Each flow bends to its right; the arrow points to the destination",
           "flow_width": "Line width: volume",
           "matrix_note": "Rows: origin class; columns: destination class. Share: of all flows. "
                          "Balance: min/max of the two directions between the classes",
           "matrix_rows": "Origin class", "matrix_cols": "Destination class",
           "density": "Density", "main_peak": "Main peak", "peaks": "Peaks", "sd": "Standard deviation",
           "kde_rule": "Gaussian kernel, {rule}, the same rule every year; {n} units; bandwidth h: {hs}",
           "rule_scott": "Scott's rule (h = sd · n^-1/5)", "rule_silverman": "Silverman's rule (h = sd · (3n/4)^-1/5)",
           "rule_fixed": "a fixed bandwidth",
           "dropped_units": "{n} unit(s) without a value in every year left out"},
    "zh": {"code": "单元代码", "name": "名称", "units": "单元", "roads": "道路", "isochrones": "等时圈",
           "facilities": "公共服务设施", "category": "类别", "road_class": "道路等级", "band": "时间圈",
           "no_data": "无数据", "ties": "存在相同取值：{k} 类合并为 {n} 类",
           "ties_split": "存在相同取值：分级点已调整，相同取值归入同一类",
           "min_within": "{m} 分钟以内", "nearby": "附近另有 {n} 处",
           "flow": "流量", "reverse": "反向流量", "balance": "平衡度", "pair": "起讫类型",
           "predicted": "重力模型预测", "std_resid": "标准化残差", "no_class": "未分类",
           "other_pairs": "其他类型", "flows": "流线", "origin": "起点", "destination": "终点",
           "total": "合计", "share": "占比", "year": "年份",
           "flows_shown": "显示 {total} 条流中的 {n} 条（占总量 {share}）",
           "flows_filter": "前 {top_n} 条", "flows_min": "流量 ≥ {v}",
           "flow_direction": "流线向行进方向右侧弯曲，箭头指向终点",
           "flow_width": "线宽：流量",
           "matrix_note": "行：起点类型；列：终点类型。占比：占全部流量的比例。平衡度：两类之间两个方向流量的最小值/最大值",
           "matrix_rows": "起点类型", "matrix_cols": "终点类型",
           "density": "核密度", "main_peak": "主峰", "peaks": "峰数", "sd": "标准差",
           "kde_rule": "高斯核，{rule}，各年采用同一规则；单元数 {n}；带宽 h：{hs}",
           "rule_scott": "Scott 法则（h = 标准差 × n^(-1/5)）",
           "rule_silverman": "Silverman 法则（h = 标准差 × (3n/4)^(-1/5)）", "rule_fixed": "固定带宽",
           "dropped_units": "{n} 个单元存在缺失年份，未计入"},
}


def ui_text(key: str, *, language: str = "en", **fmt: object) -> str:
    """Fixed interface words of the maps ("Unit code" / "单元代码", "Roads" / "道路")."""
    text = _UI["zh" if language == "zh" else "en"].get(key, key)
    return text.format(**fmt) if fmt else text


def is_share(name: str) -> bool:
    """Whether a column is a share of 0-1 shown as % (``within_30min_share_clinic``); rates
    (:func:`is_rate`) are not shares."""
    return label(name).unit == "%" and not is_rate(name)


def is_minutes(name: str) -> bool:
    """Whether a column holds minutes (``tt_<cat>_min``, ``acc_nearest_<cat>``, ``acc_raam_<cat>``)."""
    return label(name).unit == "min"


def format_number(v: float, decimals: int | None = None) -> str:
    """Thousands separators, 0-2 decimals by magnitude (or ``decimals``), no "-0".

    Examples
    --------
    >>> format_number(272172.49006035924), format_number(32.3412), format_number(0.66291), format_number(3.0)
    ('272,172', '32.3', '0.66', '3')
    """
    x = float(v)
    if not math.isfinite(x):
        return "∞" if x > 0 else "-∞" if x < 0 else ""
    if decimals is None:
        if x == int(x) and abs(x) < 1e15:
            decimals = 0
        else:
            decimals = 0 if abs(x) >= 1000 else 1 if abs(x) >= 10 else 2
    s = f"{x:,.{decimals}f}"
    return s[1:] if s.startswith("-") and float(s.replace(",", "")) == 0 else s


def format_value(name: str, value: object, *, language: str = "en") -> str:
    """A value of column ``name`` as a reader sees it: number with unit, % for shares,
    "p < 0.001" style p-values, "no data" for missing values, text as written.

    Examples
    --------
    >>> format_value("tt_hospital_min", 32.3412), format_value("tt_hospital_min", 32.3412, language="zh")
    ('32.3 min', '32.3 分钟')
    >>> format_value("within_30min_share_clinic", 0.66291), format_value("population", 12345.0)
    ('66.3 %', '12,345 people')
    >>> format_value("lisa_p_x", 0.0), format_value("x", float("nan"))
    ('< 0.001', 'no data')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ui_text("no_data", language=language)
    try:
        import pandas as pd

        if pd.isna(value):
            return ui_text("no_data", language=language)
    except (TypeError, ValueError):
        pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "dtype"):
        return str(value)
    try:
        x = float(value)  # numpy scalars
    except (TypeError, ValueError):
        return str(value)
    lab = label(name, language=language)
    if is_rate(name):
        return f"{x * 100:+,.1f} %"
    if str(name) in ("index_change", "index_slope"):
        t = f"{x:+.3g}" if x != 0 else "0"
        return f"{t} {lab.unit}" if lab.unit else t
    if str(name).startswith("lisa_p_"):
        return "< 0.001" if x < 0.001 else f"{x:.3f}"
    if lab.unit == "%" and -1e-9 <= x <= 1 + 1e-9:
        return f"{x * 100:,.1f} %"
    if lab.unit == "people" or (lab.unit == "人"):
        return f"{format_number(x, 0)} {lab.unit}" if language != "zh" else f"{format_number(x, 0)} 人"
    if lab.unit in ("0-1", None) or not lab.unit:
        return format_number(x, None if x == int(x) else (2 if abs(x) < 10 else None))
    return f"{format_number(x)} {lab.unit}"
