"""Chinese texts of the run report: bilingual variant descriptions, config keys and values,
and the recurring phrases of the input checks.

Private to the report and the pipeline steps. A step describes a variant with a
:class:`Phrase`: an English ``str`` (what run.json stores) that carries its Chinese text
for the report. In the Chinese texts, backticks mark literal names (YAML keys, values,
file and column names): the report shows them in ``<code>``, so a reader finds them in the
config. Anything not matched here is shown as written.
"""

from __future__ import annotations

import re
from typing import Any

from .escape import html_text
from .labels import category_name, label

__all__ = ["Html", "Phrase", "rich", "zh_text", "key_html", "value_html", "check_detail_html", "check_name_html",
           "straight_line_zh", "UNIT_POINT_ZH"]


class Html(str):
    """Text that is already HTML (escaped, with our own ``<code>``); written as it is."""


class Phrase(str):
    """An English description (the ``str`` itself, what run.json keeps) with its Chinese text.

    Examples
    --------
    >>> p = Phrase("straight line", "直线距离")
    >>> p == "straight line", p.zh
    (True, '直线距离')
    """

    zh: str

    def __new__(cls, en: str, zh: str) -> Phrase:
        self = super().__new__(cls, en)
        self.zh = zh
        return self

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return Phrase, (str(self), self.zh)


def zh_text(value: object) -> str | None:
    """The Chinese text of a :class:`Phrase` (None for anything else)."""
    return value.zh if isinstance(value, Phrase) else None


_TICK = re.compile(r"`([^`]+)`")


def rich(text: str) -> Html:
    """Trusted Chinese text to HTML: escaped, each `name` in backticks as ``<code>``."""
    parts = _TICK.split(text)
    return Html("".join(f"<code>{html_text(p)}</code>" if i % 2 else html_text(p) for i, p in enumerate(parts)))


def _code(x: object) -> str:
    return f"<code>{html_text(x)}</code>"


# ---------------------------------------------------------------------------------------------
# variant texts shared by more than one step

UNIT_POINT_ZH = ("单元质心；质心不在单元内时（新月形单元、多部分单元、质心落在孔洞中）改用代表点"
                 "（`shapely` 的 `point_on_surface`，必在单元内）")
"""Chinese of :data:`urbanrural.analysis.accessibility.demand.UNIT_POINT_RULE`."""


def straight_line_zh(demand: str) -> str:
    """Chinese of :func:`urbanrural.analysis.accessibility.euclidean.straight_line_variant`."""
    point = f"单元代表点（{UNIT_POINT_ZH}）"
    if demand == "raster":
        how = f"按单元内有人口栅格（栅格中心点）到最近设施距离的人口加权平均；无人口单元：自{point}起算"
    elif demand == "weighted_centroid":
        how = f"自单元栅格的人口加权质心起算；无人口单元：自{point}起算"
    else:
        how = f"自{point}起算"
    return f"到各类别最近设施的直线距离（公里，分析坐标系），{how}"


def _straight_line_plain(text: str) -> str | None:
    """Chinese of a plain straight-line text (a run without the accessibility analysis)."""
    from ..analysis.accessibility.euclidean import straight_line_variant

    for demand in ("raster", "weighted_centroid", "centroid"):
        if text == straight_line_variant(demand):
            return straight_line_zh(demand)
    return None


# ---------------------------------------------------------------------------------------------
# config keys and values

KEYS_ZH: dict[str, str] = {
    # analyses settings
    "method": "方法", "column": "代码字段", "density_threshold": "人口密度阈值", "land": "土地栅格",
    "built": "建成区栅格", "rules": "规则版本", "rural_if": "乡村条件", "urban_if": "城镇条件", "labels": "标签映射",
    "mode": "计算方式", "thresholds": "出行时间阈值（分钟）", "measures": "可达性指标", "max_cost": "最大出行成本（分钟）",
    "circuity": "绕行系数", "speed_kmh": "速度（公里/小时）", "resolution": "分辨率（米）", "categories": "设施类别",
    "demand": "需求点", "facilities_outside": "研究区外设施", "water": "水域", "water_layer": "水域图层",
    "penalty": "惩罚栅格", "raam_tau": "RAAM τ（分钟）", "raam_max_cycles": "RAAM 最大迭代次数",
    "dimensions": "维度", "normalization": "标准化方法", "missing": "缺失值处理", "ccd": "耦合协调度",
    "subsystems": "子系统", "weights": "权重", "variables": "变量", "k": "近邻数 k", "threshold": "距离阈值",
    "islands": "孤立单元处理", "permutations": "置换次数", "seed": "随机种子", "alpha": "显著性水平 α",
    "adjust": "多重比较校正",
    "kinds": "流动类型", "groups": "分组字段", "model": "空间相互作用模型", "decay": "距离衰减函数", "cost": "出行成本",
    "top_n": "显示的最大流数", "underflow": "流动不足阈值（标准化残差）", "linkage": "城乡联系网络",
    "value": "联系强度指标", "accounts": "流入流出核算",
    # variant descriptions
    "engine": "计算引擎", "off_road_kmh": "道路外步行速度（公里/小时）", "network": "路网", "raster": "栅格成本面",
    "straight_line": "直线距离", "fca": "移动搜索法（FCA）系列", "raam": "理性主体可达性模型（RAAM）",
    "unit aggregation": "单元汇总", "reach": "可达状态", "no people": "无人口单元", "unreachable": "无法到达",
    "tt raster": "出行时间栅格", "isochrones": "等时圈", "topsis": "TOPSIS 逼近理想解排序法",
    "inference": "显著性推断", "gi": "热点分析 Gi*", "classes": "等级划分",
    # input roles
    "units": "研究单元", "population": "人口", "facilities": "公共服务设施", "roads": "道路",
    "indicators": "指标表", "flows": "流动数据", "pois": "兴趣点（POI）", "yearbook": "统计年鉴", "boundary": "边界",
}
"""Chinese labels of config keys, variant topics and input roles (the key itself stays in ``<code>``)."""

VALUES_ZH: dict[str, str] = {
    "degurba": "欧盟城市化程度分级（DEGURBA）", "density": "人口密度", "column": "代码字段",
    "network": "路网", "raster": "栅格", "euclidean": "直线距离", "centroid": "单元质心",
    "weighted_centroid": "人口加权质心", "keep": "保留", "drop": "剔除", "raise": "报错",
    "nearest": "最近设施出行时间", "cumulative": "累积机会法", "gravity": "引力模型", "2sfca": "两步移动搜索法",
    "e2sfca": "增强两步移动搜索法", "g2sfca": "高斯两步移动搜索法", "3sfca": "三步移动搜索法",
    "raam": "理性主体可达性模型", "minmax": "极差标准化", "shift": "极差标准化后平移", "rescale": "极差标准化后缩放",
    "mean": "均值填补", "standard": "标准耦合协调度模型", "wang2021": "王淑佳等（2021）修正模型",
    "fan2024": "修正耦合协调度模型（2024）", "equal": "等权重", "queen": "后式邻接", "rook": "车式邻接",
    "knn": "K 近邻", "kernel": "核函数", "distance": "距离阈值", "fdr": "错误发现率校正",
    "bonferroni": "邦费罗尼校正", "+": "正向", "-": "负向", "all": "全部", "largest": "最大连通部分",
    "urban": "城镇", "rural": "乡村", "services": "公共服务", "infrastructure": "基础设施", "ecology": "生态",
    "economy": "经济", "society": "社会", "exact": "精确面积权重", "centre": "栅格中心点",
    "doubly": "双约束模型", "production": "产生约束模型", "attraction": "吸引约束模型", "unconstrained": "无约束模型",
    "none": "无", "power": "幂函数衰减", "exponential": "指数衰减", "auto": "自动", "urban_class": "城乡类型",
}
"""Chinese glosses of config values (shown beside the value in ``<code>``)."""


def _cjk(s: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", s))


def _gloss(name: str) -> str | None:
    """A Chinese name for a key or value: the tables here, else the label registry."""
    if name in VALUES_ZH:
        return VALUES_ZH[name]
    title = label(name, language="zh").title
    if _cjk(title):
        return title
    cat = category_name(name, language="zh")
    return cat if _cjk(cat) else None


def key_html(path: tuple[str, ...], *, config: bool) -> Html:
    """A settings/variants row key in Chinese: the labels of its parts, then (for a config
    key) the key path as written in YAML, in ``<code>``."""
    parts = []
    for i, p in enumerate(path):
        zh = KEYS_ZH.get(p) if i == 0 or p in KEYS_ZH else _gloss(p)
        parts.append(html_text(zh) if zh else _code(p))
    text = " › ".join(parts)
    if config and "<code>" not in text:
        text += f"<br>{_code('.'.join(path))}"
    return Html(text)


def _scalar_html(v: object) -> str:
    from ._report_fmt import fmt_num

    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float)):
        return html_text(fmt_num(v) if isinstance(v, float) else str(v))
    zh = zh_text(v)
    if zh is not None:
        return rich(zh)
    s = str(v)
    if s == "Tian et al. 2021, (a, b]":  # the CCD classes of older runs
        return rich(CCD_CLASSES_ZH)
    plain = _straight_line_plain(s)
    if plain is not None:
        return rich(plain)
    if re.fullmatch(r"[\w.+\-/<>*]+", s):
        gloss = _gloss(s)
        return f"{html_text(gloss)} {_code(s)}" if gloss else _code(s)
    return html_text(s)


def value_html(v: Any) -> Html:
    """A settings/variants value in Chinese: descriptions in Chinese, config values in
    ``<code>`` with a Chinese gloss, lists joined with ``、``."""
    if isinstance(v, (list, tuple)):
        return Html("、".join(_scalar_html(x) for x in v))
    return Html(_scalar_html(v))


CCD_CLASSES_ZH = "Tian 等（2021）的分级标准，各区间左开右闭 (a, b]"

# ---------------------------------------------------------------------------------------------
# input checks

ROADS_ZH = {"national": "国道", "provincial": "省道", "county": "县道", "township": "乡道", "village": "村道",
            "expressway": "高速公路", "motorway": "高速公路", "trunk": "干线公路", "primary": "一级道路",
            "secondary": "二级道路", "tertiary": "三级道路", "residential": "居住区道路", "unclassified": "其他道路",
            "service": "服务性道路", "track": "机耕道", "path": "小路", "footway": "人行道"}

_CRS_HOW = {"as configured": "按配置", "auto: the UTM zone of the units": "自动：单元所在的 UTM 分带",
            "auto: transverse Mercator centred on the units (wider than a UTM zone allows)":
                "自动：以单元为中心的横轴墨卡托投影（范围超出一个 UTM 分带）",
            "auto: Lambert conformal conic over the units": "自动：覆盖单元的兰伯特等角圆锥投影"}

# (English pattern, Chinese template): {name} fills a group, `...` is shown as code
DETAILS_ZH: tuple[tuple[str, str], ...] = (
    (r"kept \(facilities_outside='keep'\); ids (?P<ids>.+)", "保留（`facilities_outside: keep`）；编号 `{ids}`"),
    (r"ids (?P<ids>.+)", "编号 `{ids}`"),
    (r"id column (?P<col>.+)", "编号字段 `{col}`"),
    (r"(?P<share>[\d.]+%) of the raster's value in the units' window \(their bounds plus one cell\) lies outside "
     r"every unit", "单元范围窗口（单元外包矩形外扩一个栅格）内栅格值的 {share} 位于所有单元之外"),
    (r"(?P<crs>.+?) \((?P<how>[^()]*(?:\([^()]*\))?[^()]*)\); max scale error (?P<err>\S+) over the units "
     r"\(tolerance (?P<tol>\S+)\)", "`{crs}`（{how}）；单元范围内最大尺度误差 {err}（容许 {tol}）"),
    (r"every cell inside the units is a number or the declared nodata", "单元内所有栅格均为数值或声明的无数据值"),
    (r"total (?P<total>[\d,.]+) in units; (?P<out>[\d,.]+) outside them \((?P<how>\w+) cell coverage\)(?P<rest>.*)",
     "单元内合计 {total}；单元外 {out}（{how}统计）{rest}"),
    (r"make_valid: (?P<why>.+); ids (?P<ids>.+)", "已用 `make_valid` 修复：`{why}`；编号 `{ids}`"),
    (r"invalid geometries dropped: (?P<why>.+); ids (?P<ids>.+)", "已剔除无效几何：`{why}`；编号 `{ids}`"),
    (r"units without a row: (?P<ids>.+)", "无对应行的单元：`{ids}`"),
    (r"rows matching no unit \(ignored\): (?P<ids>.+)", "未匹配任何单元的行（已忽略）：`{ids}`"),
    (r"rows matching no unit: (?P<ids>.+)", "未匹配任何单元的行：`{ids}`"),
    (r"matched by (?P<how>.+)", "按 `{how}` 匹配"),
    (r"not UTF-8; read as GB18030", "非 UTF-8 编码；按 GB18030 读取"),
    (r"replaced by their centroids", "以其质心代替"),
    (r"exploded into points", "已拆分为单点"),
    (r"missing capacity kept as NaN", "缺失的容量保留为空值（NaN）"),
    (r"leading zeros restored \(zfill to (?P<n>\d+)\)", "已补回前导零（补足至 {n} 位）"),
    (r"read as numbers: (?P<how>.+)", "已按数值读取：`{how}`"),
    (r"reprojected (?P<a>.+) -> (?P<b>.+)", "已由 `{a}` 重投影为 `{b}`"),
    (r"no CRS in file; using the declared (?P<crs>.+)", "文件无坐标系；使用声明的 `{crs}`"),
    (r"stored as numbers; converted to text \(leading zeros, if any, were lost in the file\)",
     "以数值存储；已转为文本（若有前导零，已在文件中丢失）"),
    (r"filled from the merged range's first cell", "按合并区域的第一个单元格填充"),
    (r"unreadable values read as two-way", "无法识别的取值按双向通行处理"),
    (r"origin = destination: kept apart as intra-unit flows, not counted in in/out",
     "起点 = 终点：单列为单元内部流动，不计入流入/流出"),
    (r"(?P<what>[A-Z0-9-]+) converted to WGS 84", "已由 {what} 转换为 WGS 84"),
    (r"kinds: (?P<kinds>[^;]+); years: (?P<years>.+)", "类型：`{kinds}`；年份：{years}"),
    (r"kinds: (?P<kinds>[^;]+)", "类型：`{kinds}`"),
    (r"years: (?P<years>[\d, ]+); (?P<n>\d+) indicator\(s\)", "年份：{years}；{n} 项指标"),
    (r"(?P<layout>long|wide|cross-section), (?P<n>\d+) column\(s\), years \[(?P<years>[\d, ]+)\]",
     "{layout_zh}，{n} 列，年份 {years}"),
    (r"(?P<layout>long|wide|cross-section), (?P<n>\d+) column\(s\)", "{layout_zh}，{n} 列"),
    (r"unit-years without a row: (?P<n>\d+) unit\(s\) miss at least one year \(appeared: (?P<a>\d+), vanished: "
     r"(?P<v>\d+); e.g. (?P<ids>.+)\); boundary changes\?",
     "缺少记录的单元-年份：{n} 个单元至少缺一年（新出现 {a} 个，消失 {v} 个；如 `{ids}`）；是否有行政区划调整？"),
    (r"(?P<n>\d+) id\(s\): (?P<ids>.+)", "{n} 个编号：`{ids}`"),
    (r"(?P<n>\d+) of (?P<m>\d+) facilities have a year (?P<what>opened|closed) \(column '(?P<col>[^']+)'\)",
     "{m} 个设施中 {n} 个有{what_zh}年份（字段 `{col}`）"),
    (r"(?P<n>\d+) rows for the same origin, destination, kind and year were summed",
     "{n} 行起点、终点、类型和年份相同，已合并求和"),
    (r"(?P<n>\d+) id\(s\) not among the units: (?P<ids>.+) \((?P<v>[\d,.]+) of (?P<total>[\d,.]+) volume\)",
     "{n} 个编号不属于任何单元：`{ids}`（流量 {v}，共 {total}）"),
)
_ITEMS = re.compile(r"(?:[^,:]+: \d+)(?:, [^,:]+: \d+)*")


def _counts_zh(detail: str, check: str) -> str | None:
    """``bus_stop: 98, clinic: 74`` (facility categories or road classes) in Chinese."""
    if not _ITEMS.fullmatch(detail) or check not in ("facilities read", "roads read", "POIs read"):
        return None
    out = []
    for item in detail.split(", "):
        k, n = item.rsplit(": ", 1)
        zh = ROADS_ZH.get(k) if check == "roads read" else category_name(k, language="zh")
        out.append(f"{zh}：{n}" if zh and _cjk(zh) else f"`{k}`：{n}")
    return "，".join(out)


def check_detail_html(detail: object, check: object) -> Html:
    """A check's detail in Chinese (HTML): known phrasings translated, others as written."""
    text = str(detail)
    zh = _counts_zh(text, str(check))
    if zh is not None:
        return rich(zh)
    for pattern, template in DETAILS_ZH:
        m = re.fullmatch(pattern, text, flags=re.S)
        if m:
            groups = {k: (_CRS_HOW.get(v, v) if k == "how" else v).replace("`", "'")
                      for k, v in m.groupdict().items()}
            if "what" in groups:
                groups["what_zh"] = {"opened": "开放", "closed": "关闭"}[groups["what"]]
            if "layout" in groups:
                groups["layout_zh"] = {"long": "长表（年份列）", "wide": "宽表（年份为列）",
                                       "cross-section": "截面表"}[groups["layout"]]
            if "how" in groups and groups["how"] in ("exact", "centre"):
                groups["how"] = {"exact": "按栅格精确覆盖面积", "centre": "按栅格中心点"}[groups["how"]]
            if groups.get("rest"):
                groups["rest"] = re.sub(r"^; (\d+) NaN/infinite cell\(s\) inside the units excluded$",
                                        r"；单元内 \1 个非数值/无穷值栅格已排除", groups["rest"])
            return rich(template.format(**groups))
    return Html(html_text(text))


_CHECK_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"id column (?P<x>.+)", "编号字段 `{x}`"), (r"column (?P<x>.+)", "字段 `{x}`"),
    (r"preset (?P<x>.+)", "预设 `{x}`"), (r"join to (?P<x>.+)", "与 `{x}` 连接"),
    (r"units column (?P<x>.+)", "单元字段 `{x}`"),
)


def check_name_html(name: object, table: dict[str, str]) -> Html:
    """An input or check name in Chinese (HTML): from ``table``, a known pattern, or the
    name itself in ``<code>`` (a file name)."""
    s = str(name)
    if s in table:
        return Html(html_text(table[s]))
    for pattern, template in _CHECK_PATTERNS:
        m = re.fullmatch(pattern, s)
        if m:
            return rich(template.format(x=m["x"].replace("`", "'")))
    return Html(_code(s)) if s else Html("")
