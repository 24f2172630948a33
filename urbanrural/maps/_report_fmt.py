"""Number formats, words and the table writer of the run report (English and Chinese).

Private to :mod:`.report`. Numbers are formatted for a reader, never as Python writes
them: thousands separators (``272,172``), shares as percentages (``66.3%``), p-values as
``p < 0.001``, two or three significant decimals, NaN as ``–``. Every cell and header goes
through :func:`.escape.html_text`.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._report_zh import Html, rich
from .escape import html_text
from .labels import category_name, label

DASH = "–"

# every fixed word of the report, English and Chinese
WORDS: dict[str, tuple[str, str]] = {
    "summary": ("Summary", "摘要"),
    "studied": ("What was studied", "研究对象"),
    "found": ("What the run found", "主要发现"),
    "units": ("Units", "单元数"),
    "area": ("Area", "面积"),
    "population": ("Population", "人口"),
    "crs": ("Analysis CRS", "分析坐标系"),
    "urban_share": ("Urban population", "城镇人口"),
    "km2": ("km²", "平方公里"),
    "people": ("people", "人"),
    "access_h": ("Access to services", "公共服务可达性"),
    "access_intro": ("People beyond {t} min of each service, by urban and rural class "
                     "(from the accessibility table); the rural/urban gap is the ratio of mean travel times.",
                     "各类服务 {t} 分钟内无法到达的人口（按城乡分类，来自可达性表）；城乡差距为乡村与城镇平均出行时间之比。"),
    "service": ("Service", "服务类别"),
    "beyond_urban": ("Urban: beyond {t} min", "城镇：{t} 分钟以外"),
    "beyond_rural": ("Rural: beyond {t} min", "乡村：{t} 分钟以外"),
    "within_urban": ("Urban: within {t} min", "城镇：{t} 分钟内"),
    "within_rural": ("Rural: within {t} min", "乡村：{t} 分钟内"),
    "mean_urban": ("Mean time, urban (min)", "城镇平均出行时间（分钟）"),
    "mean_rural": ("Mean time, rural (min)", "乡村平均出行时间（分钟）"),
    "ratio": ("Rural/urban time ratio", "城乡出行时间比"),
    "gap_sentence": ("Largest rural/urban gap: {cat}, rural people travel {r} times as long as urban people "
                     "({rural} vs {urban} min on average).",
                     "城乡差距最大的是{cat}：乡村居民平均出行时间是城镇居民的 {r} 倍（{rural} 分钟对 {urban} 分钟）。"),
    "moran_h": ("Spatial clustering", "空间集聚"),
    "moran_sentence": ("{var}: global Moran's I = {i} ({p}); {hh} High-High and {ll} Low-Low units.",
                       "{var}：全局莫兰指数 I = {i}（{p}）；高-高 {hh} 个单元，低-低 {ll} 个单元。"),
    "integration_h": ("Urban-rural integration", "城乡融合"),
    "integration_sentence": ("Integration index from {lo} ({lo_name}) to {hi} ({hi_name}), median {med}.",
                             "城乡融合指数介于 {lo}（{lo_name}）与 {hi}（{hi_name}）之间，中位数 {med}。"),
    "ccd_classes": ("Coupling coordination classes (units)", "耦合协调等级（单元数）"),
    "underserved_h": ("Most under-served units", "服务最不足的单元"),
    "underserved_intro": ("Ranked by the most people beyond {t} min of any one service.",
                          "按任一服务 {t} 分钟以外人口的最大值排序。"),
    "code": ("Code", "代码"),
    "name": ("Name", "名称"),
    "worst_service": ("Service", "服务类别"),
    "people_beyond": ("People beyond {t} min", "{t} 分钟以外人口"),
    "warnings_h": ("Warnings", "警告"),
    "unreachable_note": ("{n} people can reach no {cats} (network island or barrier).",
                         "{n} 人无法到达任何{cats}（路网孤岛或障碍）。"),
    "inputs": ("Inputs", "输入数据"),
    "role": ("Role", "角色"),
    "file": ("File", "文件"),
    "size": ("Size", "大小"),
    "checksum": ("SHA-256 (first 12)", "SHA-256（前 12 位）"),
    "config_file": ("Config", "配置文件"),
    "checks": ("Checks, repairs and drops", "检查、修复与剔除"),
    "input": ("Input", "输入"),
    "check": ("Check", "检查项"),
    "status": ("Status", "状态"),
    "count": ("Count", "数量"),
    "detail": ("Detail", "说明"),
    "analyses": ("Analysis notes", "分析说明"),
    "analysis": ("Analysis", "分析"),
    "methods": ("Methods and variants", "方法与分析变体"),
    "setting": ("Setting", "设置项"),
    "value": ("Value", "取值"),
    "settings": ("Settings", "参数设置"),
    "tables": ("Key tables", "主要结果表"),
    "maps": ("Maps", "地图"),
    "maps_intro": ("Click a map to open it at full size.", "点击地图查看原图。"),
    "interactive": ("interactive map", "交互地图"),
    "outputs": ("Outputs", "输出文件"),
    "version": ("urbanrural {v}", "urbanrural {v}"),
    "table_part": ("continued", "续"),
    "more_rows": ("{n} more rows in the CSV table.", "另有 {n} 行，见 CSV 表。"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "all": ("all", "全部"),
    "urban": ("urban", "城镇"),
    "rural": ("rural", "乡村"),
    "ok": ("ok", "正常"),
    "info": ("info", "信息"),
    "warning": ("warning", "警告"),
    "error": ("error", "错误"),
    "skipped": ("skipped", "跳过"),
    "done": ("done", "完成"),
    "repaired": ("repaired", "已修复"),
    "dropped": ("dropped", "已剔除"),
    "p_lt": ("p < 0.001", "p < 0.001"),
    "toc": ("Contents", "目录"),
    "panel_h": ("What changed and who is falling behind", "变化趋势与落后预警"),
    "panel_trend": ("{col}, {y0}-{y1}: mean {m0} -> {m1}; {falling} of {n} units fell, {rising} rose.",
                    "{col}（{y0}—{y1}年）：均值由 {m0} 变为 {m1}；{n} 个单元中 {falling} 个下降，{rising} 个上升。"),
    "panel_groups": ("Urban units {u0} -> {u1}, rural units {r0} -> {r1}: the urban-rural gap {gap_dir} from "
                     "{g0} to {g1}.",
                     "城镇单元 {u0} → {u1}，乡村单元 {r0} → {r1}：城乡差距由 {g0} {gap_dir}至 {g1}。"),
    "gap_narrowed": ("narrowed", "缩小"), "gap_widened": ("widened", "扩大"),
    "panel_beta": ("Beta convergence: b = {b} ({p}){speed}.", "β 收敛：b = {b}（{p}）{speed}。"),
    "panel_speed": ("; speed {theta} a year, half-life {hl} years", "；收敛速度每年 {theta}，半衰期 {hl} 年"),
    "panel_hot": ("Emerging hot spots: {classes}.", "新兴热点：{classes}。"),
    "panel_warn": ("{n} unit(s) flagged by the early-warning rules:", "{n} 个单元触发预警规则："),
    "panel_nowarn": ("No unit fired an early-warning rule.", "没有单元触发预警规则。"),
    "rule": ("Rules fired", "触发的规则"), "reasons": ("Reasons", "原因"),
    "pulled": ("Pulled down by", "主要拖累指标"),
    "siting_h": ("Where to build next", "新增设施选址"),
    "siting_sentence": ("{cat}: {n} new site(s) ({model}, {solver}{gap}) would cover {new} more people within "
                        "{t} min (rural {new_r}, urban {new_u}); coverage {s0} -> {s1}; mean time of rural people "
                        "{r0} -> {r1} min; rural/urban time ratio {g0} -> {g1}.",
                        "{cat}：新增 {n} 处（{model}，{solver}{gap}）可使 {t} 分钟内覆盖人口增加 {new} 人（乡村 {new_r}，"
                        "城镇 {new_u}）；覆盖率 {s0} → {s1}；乡村居民平均出行时间 {r0} → {r1} 分钟；城乡出行时间比 "
                        "{g0} → {g1}。"),
    "siting_candidates": ("Candidates: {text}.", "候选点：{text}。"),
    "exact": ("exact, HiGHS", "HiGHS 精确解"), "heuristic": ("heuristic", "启发式"),
    "drivers_h": ("What explains the pattern (geodetector)", "影响因素（地理探测器）"),
    "drivers_sentence": ("Factor detector on {target}: {factors}.", "{target} 的因子探测：{factors}。"),
    "drivers_inter": ("Strongest interaction: {a} ∩ {b}, q = {q} ({type}).",
                      "最强交互作用：{a} ∩ {b}，q = {q}（{type}）。"),
    "flows_h": ("Two-way flows", "要素双向流动"),
    "flows_intro": ("Flows between units by class of origin and destination; balance = smaller direction / "
                    "larger (0 one-way, 1 balanced).",
                    "按起点与终点城乡类型统计的单元间流动；双向平衡指数 = 较小方向 / 较大方向（0 为单向，1 为平衡）。"),
    "flows_model_sentence": ("After travel cost and size ({model} gravity model, pseudo-R² {r2}), {under} pair(s) "
                             "flow well below prediction{detail}.",
                             "扣除出行成本与规模影响后（{model}引力模型，伪 R² {r2}），有 {under} 对单元的实际流量明显"
                             "低于预测{detail}。"),
    "flows_under_detail": ("; rural→urban {ru}, urban→rural {ur}", "；其中乡村→城镇 {ru} 对，城镇→乡村 {ur} 对"),
    "linkage_sentence": ("Linkage network on {value}: {links} links kept, density {density}.",
                         "基于{value}的空间联系网络：保留 {links} 条联系，网络密度 {density}。"),
}

TABLE_TITLES: dict[str, tuple[str, str]] = {
    "urban_rural": ("Urban and rural population", "城乡人口"),
    "accessibility": ("Coverage: people within each travel-time threshold", "覆盖率：各出行时间阈值内的人口"),
    "accessibility_summary": ("Accessibility per service", "各类服务可达性"),
    "autocorrelation": ("Spatial autocorrelation", "空间自相关"),
    "degurba_units": ("Degree of Urbanisation: units", "城镇化程度：单元"),
    "degurba_grid": ("Degree of Urbanisation: grid cells", "城镇化程度：格网"),
    "integration": ("Integration index: entropy weights", "城乡融合指数：熵权"),
    "integration_ccd": ("Coupling coordination classes", "耦合协调等级"),
    "integration_theil": ("Theil decomposition", "泰尔指数分解"),
    "panel_access_summary": ("Travel time per year (facilities open that year)", "逐年出行时间（按当年开放的设施）"),
    "panel_transitions": ("Coupling coordination class: first year (rows) to last year (columns)",
                          "耦合协调等级转移：首年（行）至末年（列）"),
    "panel_markov": ("Markov transition probabilities (classic and spatial)", "马尔可夫转移概率（传统与空间）"),
    "panel_markov_steady": ("Markov steady states", "马尔可夫稳态分布"),
    "panel_density_diagnostics": ("Kernel density: peaks, spread and tails per year", "核密度：逐年峰值、离散度与拖尾"),
    "convergence": ("Sigma convergence and inequality per year", "σ 收敛与逐年不平等"),
    "convergence_beta": ("Beta convergence", "β 收敛"),
    "early_warning": ("Early warning", "预警"),
    "geodetector_factor": ("Geodetector: factor detector", "地理探测器：因子探测"),
    "geodetector_interaction": ("Geodetector: interaction detector", "地理探测器：交互作用探测"),
    "flows_groups": ("Flows between classes (both directions)", "城乡类型之间的双向流动"),
    "flows_network": ("Flow network", "流动网络"),
    "flows_model": ("Spatial interaction model", "空间相互作用模型"),
    "flows_underflow": ("Pairs that flow less than predicted", "实际流量明显低于模型预测的单元对"),
    "flows_units": ("Flows per unit", "各单元流动"),
    "flows_pairs": ("Flows per pair of units", "单元对之间的流动"),
    "flows_linkage": ("Linkage network (modified gravity)", "空间联系网络（修正引力模型）"),
}

ANALYSIS_NAMES: dict[str, tuple[str, str]] = {
    "urban_rural": ("Urban and rural classes", "城乡划分"),
    "straight_line": ("Straight-line distance", "直线距离"),
    "accessibility": ("Accessibility", "可达性"),
    "rural_access_index": ("Rural access index", "农村道路可达指数"),
    "integration": ("Integration index", "城乡融合指数"),
    "ccd": ("Coupling coordination degree", "耦合协调度"),
    "autocorrelation": ("Spatial autocorrelation", "空间自相关"),
    "inequality": ("Inequality", "不平等"),
    "maps": ("Maps", "地图"),
    "flows": ("Flows", "流动"),
    "drivers": ("Drivers", "驱动因素"),
    "siting": ("Facility siting", "设施选址"),
    "panel": ("Panel", "面板分析"),
}

# column headers of the run's tables that the label registry does not name
HEADERS: dict[str, tuple[str, str]] = {
    "category": ("Service", "服务类别"), "urban_class": ("Class", "城乡类型"),
    "threshold_min": ("Threshold (min)", "阈值（分钟）"), "population": ("Population", "人口"),
    "population_within": ("People within", "阈值内人口"), "share": ("Share within", "阈值内比例"),
    "facilities": ("Facilities", "设施数"), "facilities_outside_area": ("Facilities outside the area", "区外设施数"),
    "max_facility_snap_m": ("Longest facility snap (m)", "设施最大吸附距离（米）"), "people": ("People", "人口"),
    "people_unreachable": ("People who reach none", "无法到达人口"),
    "units_unreachable": ("Units that reach none", "无法到达单元数"),
    "units_no_people": ("Units without people", "无人口单元数"),
    "mean_tt_min": ("Mean time (min)", "平均出行时间（分钟）"),
    "mean_tt_urban_min": ("Mean time, urban (min)", "城镇平均出行时间（分钟）"),
    "mean_tt_rural_min": ("Mean time, rural (min)", "乡村平均出行时间（分钟）"),
    "rural_urban_time_ratio": ("Rural/urban time ratio", "城乡出行时间比"),
    "od_pairs": ("OD pairs", "起讫点对数"), "raam_cycles": ("RAAM cycles", "RAAM 迭代次数"),
    "raam_converged": ("RAAM converged", "RAAM 是否收敛"), "raam_period": ("RAAM period", "RAAM 周期"),
    "raam_rho": ("RAAM ρ", "RAAM ρ"),
    "variable": ("Variable", "变量"), "n": ("n", "样本数"), "moran_i": ("Moran's I", "莫兰指数 I"),
    "expected_i": ("E[I]", "期望 E[I]"), "z_norm": ("z (normal)", "z（正态）"), "p_norm": ("p (normal)", "p（正态）"),
    "z_rand": ("z (randomisation)", "z（随机化）"), "p_rand": ("p (randomisation)", "p（随机化）"),
    "z_sim": ("z (permutations)", "z（置换）"), "p_sim": ("p (permutations)", "p（置换）"),
    "geary_c": ("Geary's C", "吉尔里 C"), "geary_p_sim": ("Geary p", "吉尔里 p"),
    "lisa_HH": ("High-High", "高-高"), "lisa_LL": ("Low-Low", "低-低"), "lisa_LH": ("Low-High", "低-高"),
    "lisa_HL": ("High-Low", "高-低"), "lisa_ns": ("Not significant", "不显著"),
    "gi_hot_95pct": ("Hot spots (95%)", "热点（95%）"), "gi_cold_95pct": ("Cold spots (95%)", "冷点（95%）"),
    "units": ("Units", "单元数"), "population_share": ("Population share", "人口比例"), "method": ("Method", "方法"),
    "degurba_l2": ("Class", "等级"), "label": ("Label", "名称"), "code": ("Code", "代码"),
    "class": ("Class", "等级"), "cells": ("Cells", "格网数"),
    "indicator": ("Indicator", "指标"), "dimension": ("Dimension", "维度"), "direction": ("Direction", "方向"),
    "entropy": ("Entropy", "信息熵"), "divergence": ("Divergence", "差异系数"), "weight": ("Weight", "权重"),
    "level": ("Level", "等级"), "label_en": ("Class", "等级名称"), "label_zh": ("Class", "等级名称"),
    "groups": ("Groups", "分组"), "total": ("Total", "总体"), "between": ("Between groups", "组间"),
    "within": ("Within groups", "组内"), "between_share": ("Between-group share", "组间贡献率"),
    "name": ("Name", "名称"),
    "threshold": ("Threshold", "阈值"), "value": ("Value", "取值"), "mean": ("Mean", "均值"), "sd": ("SD", "标准差"),
    "cv": ("CV", "变异系数"), "gini": ("Gini", "基尼系数"), "theil": ("Theil", "泰尔指数"),
    "base": ("Base", "基期值"), "latest": ("Latest", "最新值"), "base_year": ("Base year", "基期年份"),
    "latest_year": ("Latest year", "最新年份"), "excess": ("Times the threshold", "超出阈值倍数"),
    "severity": ("Rules fired", "触发规则数"), "rule": ("Rule", "规则"), "reasons": ("Reasons", "原因"),
    "obstacles": ("Largest obstacles", "主要障碍因子"), "pulled_down_by": ("Pulled down by", "主要拖累指标"),
    "unit": ("Unit", "单元"), "chain": ("Chain", "链类型"), "lag": ("Lag class", "滞后类型"), "from": ("From", "初始等级"),
    "transitions": ("Transitions", "转移次数"), "coef": ("Coefficient", "系数"), "se": ("Std. error", "标准误"),
    "t": ("t", "t"), "p": ("p", "p"), "model": ("Model", "模型"), "q": ("q", "q"), "F": ("F", "F"),
    "lambda": ("λ", "λ"), "significant": ("Significant", "显著"), "strata": ("Strata", "分层数"),
    "merged": ("Classes merged", "合并类数"), "factor": ("Factor", "因子"), "factor_1": ("Factor 1", "因子 1"),
    "factor_2": ("Factor 2", "因子 2"), "q1": ("q1", "q1"), "q2": ("q2", "q2"), "q12": ("q12", "q12"),
    "type": ("Type", "类型"), "singletons": ("One-unit strata", "单单元分层"), "n_peaks": ("Peaks", "峰数"),
    "main_peak": ("Main peak", "主峰位置"), "main_peak_height": ("Main peak height", "主峰高度"),
    "iqr": ("IQR", "四分位距"), "skewness": ("Skewness", "偏度"), "kurtosis": ("Kurtosis", "峰度"),
    "left_tail": ("Left tail", "左拖尾"), "right_tail": ("Right tail", "右拖尾"),
    "facilities_open": ("Facilities open", "开放设施数"), "mean_min": ("Mean time (min)", "平均出行时间（分钟）"),
    "tt_min": ("Time (min)", "出行时间（分钟）"),
    "covered_before": ("Covered before", "原覆盖人口"), "covered_after": ("Covered after", "新增后覆盖人口"),
    "share_before": ("Share before", "原覆盖率"), "share_after": ("Share after", "新增后覆盖率"),
    "newly_covered": ("Newly covered", "新覆盖人口"), "lost": ("No longer covered", "失去覆盖人口"),
    "mean_min_before": ("Mean time before (min)", "原平均出行时间（分钟）"),
    "mean_min_after": ("Mean time after (min)", "新增后平均出行时间（分钟）"),
    "unreachable_before": ("Unreachable before", "原无法到达人口"), "unreachable_after": ("Unreachable after", "新增后无法到达人口"),
    "newly_covered_urban": ("Newly covered, urban", "新覆盖城镇人口"), "newly_covered_rural": ("Newly covered, rural", "新覆盖乡村人口"),
    "within_standard": ("People within the standard", "标准时间内人口"), "points": ("Demand points", "需求点数"),
    "site": ("Site", "选址"), "x": ("x", "x"), "y": ("y", "y"), "constraint": ("Constraint", "约束条件"),
    "before": ("Before", "约束前"), "after": ("After", "约束后"), "excluded": ("Excluded", "排除数"),
    "buffer_m": ("Buffer (m)", "缓冲距离（米）"), "limit": ("Limit", "阈值"), "constraint_zh": ("Constraint (zh)", "约束条件（中文）"),
    "objective": ("Objective", "目标值"), "gain": ("Gain", "增量"), "gain_per_site": ("Gain per site", "单点增量"),
    "gain_share": ("Share of the gain", "增量占比"), "cumulative_share": ("Cumulative share", "累计占比"),
    "kind": ("Kind", "类型"), "year": ("Year", "年份"), "group_a": ("Class A", "类型 A"),
    "group_b": ("Class B", "类型 B"), "a_to_b": ("A → B", "A → B"), "b_to_a": ("B → A", "B → A"),
    "balance": ("Balance", "平衡指数"), "symmetry": ("Symmetry", "对称指数"),
    "share_of_total": ("Share of all flows", "占全部流动比例"), "links": ("Links", "联系数"),
    "density": ("Density", "网络密度"), "reciprocity": ("Reciprocity", "互惠性"),
    "weighted_reciprocity": ("Weighted reciprocity", "加权互惠性"), "total_between": ("Between units", "单元间流动"),
    "total_intra": ("Within units", "单元内部流动"), "term": ("Term", "参数"), "estimate": ("Estimate", "估计值"),
    "std_error": ("Std. error", "标准误"), "z": ("z", "z"), "p_value": ("p", "p"),
    "origin_group": ("Origin class", "起点类型"), "destination_group": ("Destination class", "终点类型"),
    "pairs": ("Pairs below prediction", "低于预测的单元对"), "of_pairs": ("Pairs modelled", "建模单元对"),
    "observed": ("Observed", "实际流量"), "predicted": ("Predicted", "预测流量"), "ratio": ("Observed/predicted", "实际/预测"),
    "origin": ("Origin", "起点"), "destination": ("Destination", "终点"), "R": ("Linkage R", "联系强度 R"),
    "k": ("k", "k"), "kept": ("Kept", "保留"),
}

CHECKS_ZH = {
    "geometry validity": "几何有效性", "zonal sum": "分区统计", "population": "人口", "join to units": "与单元连接",
    "ids": "编号", "crs": "坐标系", "coordinates": "坐标", "overlapping units": "单元重叠",
    "outside the units": "位于单元之外", "non-finite cells": "非有限值栅格", "encoding": "编码", "capacity": "容量",
    "yearbook read": "读取统计年鉴", "unmapped POIs": "未映射的 POI", "units read": "读取单元", "typecode": "类型代码",
    "roads read": "读取道路", "road speed": "道路速度", "polygon facilities": "面状设施",
    "other categories": "其他类别", "oneway": "单行道", "nodata": "无数据值", "negative cells": "负值栅格",
    "multipoint facilities": "多点设施", "merged cells": "合并单元格", "maxspeed": "限速", "layer": "图层",
    "year opened": "开放年份", "year closed": "关闭年份", "panel read": "读取面板数据", "panel coverage": "面板覆盖", "panel rows matching no unit": "未匹配单元的面板记录",
    "flows": "流动数据", "flows read": "读取流动数据", "repeated flow pairs": "重复的流动记录",
    "flows with unknown ids": "编号未知的流动记录", "intra-unit flows": "单元内部流动", "facilities read": "读取设施", "empty geometries": "空几何",
    "duplicate POIs": "重复 POI", "categories by name": "按名称分类", "analysis crs": "分析坐标系",
    "study area": "研究区", "facilities": "设施", "units": "单元", "roads": "道路",
}
"""Chinese names of the input checks (check names the registry does not know stay as written)."""

# analysis notes whose wording is fixed: (English pattern, Chinese template)
NOTES_ZH: tuple[tuple[str, str], ...] = (
    (r"no land grid: every cell counts as permanent land \(no water class\)", "无土地格网：所有格网视为永久陆地（无水域类别）"),
    (r"no built-up grid: the built-up criterion is off", "无建成区格网：不使用建成区标准"),
    (r"road network has (?P<n>\d+) disconnected components \(largest (?P<share>[\d.]+%) of nodes, smallest "
     r"(?P<small>\d+) nodes\).*", "路网有 {n} 个互不连通的部分（最大部分占节点的 {share}，最小部分 {small} 个节点）；"
     "位于无设施部分的人口没有出行时间，计为无法到达；可设置 `roads: components: largest` 将所有人连接到主路网"),
    (r"(?P<cat>[^:]+): (?P<k>\d+) of (?P<m>\d+) facilities outside the study area kept.*",
     "{cat}：研究区外的 {m} 个设施中保留了 {k} 个，居民可跨界使用（`facilities_outside: drop` 可将其剔除）"),
    (r"indicator\(s\) \[(?P<cols>[^\]]*)\] have no yearly values .*",
     "指标 `{cols}` 只有最新年份的数值（如本次计算的出行时间），未纳入逐年指数；逐年指数使用其余指标"),
    (r"(?P<n>\d+) unit\(s\) without every year left out of the distribution, Markov and convergence analyses",
     "{n} 个单元缺少部分年份，未纳入分布动态、马尔可夫链与收敛分析"),
    (r"(?P<col>\S+) has values <= 0: beta convergence ran on the values shifted to be positive",
     "`{col}` 含非正值：β 收敛在平移为正值后计算"),
    (r"(?P<cat>[^:]+): (?P<n>[\d,.]+) people can reach no (?P=cat) \(network island or barrier\).*",
     "{cat}：{n} 人无法到达任何{cat}（路网孤岛或障碍），计为服务不足人口，不计算出行时间"),
)


def _note_zh(detail: object) -> str | None:
    """The Chinese of an analysis note with a fixed wording (`names` in backticks), or None."""
    text = str(detail)
    for pattern, zh in NOTES_ZH:
        m = re.fullmatch(pattern, text, flags=re.S)
        if m:
            groups = {k: (category_name(v, language="zh") if k == "cat" else v).replace("`", "'")
                      for k, v in m.groupdict().items()}
            return zh.format(**groups)
    return None


def note_text(detail: object, language: str) -> str:
    """An analysis note in ``language`` as plain text: known wordings translated, others as written."""
    zh = _note_zh(detail) if language == "zh" else None
    return str(detail) if zh is None else zh.replace("`", "")


def note_html(detail: object, language: str) -> Html:
    """An analysis note in ``language`` as HTML (in Chinese, YAML names in ``<code>``)."""
    zh = _note_zh(detail) if language == "zh" else None
    return Html(html_text(detail)) if zh is None else rich(zh)


def check_name(name: object, language: str) -> str:
    return CHECKS_ZH.get(str(name), str(name)) if language == "zh" else str(name)


DIMENSIONS = {"urban": "城镇", "rural": "乡村", "services": "公共服务", "infrastructure": "基础设施",
              "ecology": "生态", "economy": "经济", "society": "社会", "population": "人口"}


def w(key: str, language: str, **kw: Any) -> str:
    """A fixed word or sentence of the report in ``language`` (``{t}`` etc. filled in)."""
    en, zh = WORDS[key]
    text = zh if language == "zh" else en
    return text.format(**kw) if kw else text


def pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "zh" else pair[0]


def header(column: object, language: str) -> str:
    """A column header: the report's own word, else the label registry, else the name."""
    col = str(column)
    if col in HEADERS:
        return pick(HEADERS[col], language)
    if col.startswith("life_circle_") and col.endswith("_share"):
        mins = col[len("life_circle_"):-len("_share")].replace("-minute", "")
        return f"{mins} 分钟生活圈比例" if language == "zh" else f"{mins}-minute life circle share"
    return label(col, language=language).text


# ---------------------------------------------------------------------------------------------
# numbers


def is_missing(x: object) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return isinstance(x, numbers.Real) and math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def _number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def fmt_int(x: object) -> str:
    """A count with thousands separators (``272,172``); NaN as ``–``; text as it is."""
    if is_missing(x):
        return DASH
    if not _number(x):
        return str(x)
    return f"{round(float(x)):,}"  # type: ignore[arg-type]


def fmt_num(x: object, *, digits: int = 3) -> str:
    """A measure to ``digits`` significant figures without exponent for ordinary sizes;
    1000 and above whole with separators (``272,172``); NaN as ``–``."""
    if is_missing(x):
        return DASH
    if isinstance(x, bool):
        return str(x)
    if not isinstance(x, numbers.Real):
        return str(x)
    v = float(x)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a == 0:
        return "0"
    if a < 1e-4:
        return f"{v:.{max(digits - 1, 0)}e}"
    decimals = max(digits - 1 - math.floor(math.log10(a)), 0)
    s = f"{v:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def fmt_fixed(x: object, decimals: int) -> str:
    """A number with a fixed count of decimals and thousands separators; NaN as ``–``."""
    if is_missing(x) or not isinstance(x, numbers.Real) or isinstance(x, bool):
        return DASH if is_missing(x) else str(x)
    return f"{float(x):,.{decimals}f}"


def column_decimals(values: pd.Series) -> int:
    """Decimals that give a column about three significant figures at its typical size."""
    v = pd.to_numeric(values, errors="coerce").abs()
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return 0
    m = float(v.median())
    if (v.round() == v).all():
        return 0
    return 0 if m >= 1000 else 1 if m >= 10 else 2 if m >= 1 else 3


def fmt_pct(x: object, *, decimals: int = 1) -> str:
    """A share 0-1 as a percentage (``0.6629`` -> ``66.3%``); NaN as ``–``."""
    if is_missing(x):
        return DASH
    if not _number(x):
        return str(x)
    return f"{float(x) * 100:.{decimals}f}%"  # type: ignore[arg-type]


def fmt_p(x: object, *, prefix: bool = True) -> str:
    """A p-value: ``p < 0.001`` below 0.001, else ``p = 0.012`` (``prefix=False``: ``< 0.001``)."""
    if is_missing(x):
        return DASH
    if not _number(x):
        return str(x)
    v = float(x)  # type: ignore[arg-type]
    if v < 0.001:
        return "p < 0.001" if prefix else "< 0.001"
    s = f"{v:.3f}"
    return f"p = {s}" if prefix else s


def fmt_bytes(n: object) -> str:
    if is_missing(n) or not isinstance(n, numbers.Real):
        return DASH if is_missing(n) else str(n)
    v = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if v < 1024 or unit == "GB":
            return f"{fmt_int(v)} {unit}" if unit == "B" else f"{fmt_num(v)} {unit}"
        v /= 1024
    return str(n)  # pragma: no cover


def column_formatter(column: object, values: pd.Series) -> Callable[[object], str]:
    """How a table column is shown, chosen by its name (shares, p-values, counts) and dtype."""
    col = str(column)
    if col.startswith("p_") or col.endswith("_p_sim") or col in ("p_sim", "p", "pvalue", "p_value") \
            or col.startswith("lisa_p_"):
        return lambda v: fmt_p(v, prefix=False)
    if col.endswith("share") or col.startswith("share") or col.startswith("within_"):
        if pd.api.types.is_numeric_dtype(values) and values.dropna().between(0, 1).all():
            return fmt_pct
    if col in ("population", "population_within", "people", "people_unreachable", "cells", "units", "od_pairs",
               "facilities", "n") or col.startswith("underserved_"):
        return fmt_int
    if pd.api.types.is_bool_dtype(values):
        return fmt_num
    if pd.api.types.is_integer_dtype(values):
        return lambda v: DASH if is_missing(v) else f"{int(v):,}"  # type: ignore[call-overload]
    if pd.api.types.is_numeric_dtype(values):
        d = column_decimals(values)
        return lambda v: fmt_fixed(v, d) if isinstance(v, numbers.Real) and not isinstance(v, bool) \
            and abs(float(v)) >= 10 ** -d or is_missing(v) else fmt_num(v)
    return fmt_num


def fmt_value(v: object, language: str) -> str:
    if isinstance(v, bool):
        return w("yes" if v else "no", language)
    return fmt_num(v)


# ---------------------------------------------------------------------------------------------
# tables


def html_table(frame: pd.DataFrame, *, language: str, index: object = None, max_cols: int = 8,
               formatters: dict[str, Callable[[object], str]] | None = None,
               values: dict[str, Callable[[object], str]] | None = None, css: str = "",
               row_class: Sequence[str] | None = None, raw: dict[str, Sequence[str]] | None = None) -> str:
    """A table that fits the page: wrapped in a scrolling box on screen and split into parts of
    at most ``max_cols`` columns (the first column repeated) so each part prints on A4.

    ``index``: a header for the frame's index shown as the first column (None: not shown).
    ``formatters``: per-column functions to text (default by the column's name and dtype);
    ``values``: per-column functions translating a text value (categories, classes); one
    that returns :class:`~._report_zh.Html` is written as it is.
    ``raw``: per-column cells already in HTML (escaped), one per row, shown instead of the frame's.
    """
    f = frame.copy()
    f.columns = [str(c) for c in f.columns]
    if index is not None:
        f = f.reset_index(names=str(index)) if str(index) not in f.columns else f.reset_index(drop=True)
    cols = list(f.columns)
    if not cols:
        return ""
    fmts = {c: (formatters or {}).get(c) or column_formatter(c, f[c]) for c in cols}
    vals = values or {}
    html = {str(c): list(v) for c, v in (raw or {}).items()}

    def cell(c: str, v: object) -> str:
        if c in vals and not is_missing(v):
            out = vals[c](v)
            return out if isinstance(out, Html) else html_text(out)
        if isinstance(v, bool):
            return html_text(fmt_value(v, language))
        if isinstance(v, numbers.Real) or is_missing(v):
            return html_text(fmts[c](v))
        return html_text(v)

    first, rest = cols[0], cols[1:]
    step = max(max_cols - 1, 1)
    chunks = [rest[i:i + step] for i in range(0, len(rest), step)] or [[]]
    out = []
    for k, chunk in enumerate(chunks):
        use = [first, *chunk]
        numeric = {c for c in use if pd.api.types.is_numeric_dtype(f[c]) and not pd.api.types.is_bool_dtype(f[c])}
        head = "".join(f"<th{' class=num' if c in numeric else ''}>{html_text(header(c, language))}</th>" for c in use)
        rows = []
        for i, rec in enumerate(f[use].itertuples(index=False, name=None)):
            cls = f" class='{row_class[i]}'" if row_class is not None else ""
            tds = "".join(f"<td{' class=num' if c in numeric else ''}>{html[c][i] if c in html else cell(c, v)}</td>"
                          for c, v in zip(use, rec, strict=True))
            rows.append(f"<tr{cls}>{tds}</tr>")
        cont = f"<p class=cont>({html_text(w('table_part', language))})</p>" if k else ""
        out.append(f"{cont}<div class='tw'><table class='{css}'><thead><tr>{head}</tr></thead>"
                   f"<tbody>{''.join(rows)}</tbody></table></div>")
    return "".join(out)


def category_value(language: str) -> Callable[[object], str]:
    def f(v: object) -> str:
        s = str(v)
        if s in ("all", "urban", "rural"):
            return w(s, language)
        if s == "rural/urban gap":
            return "城乡差距（乡村/城镇）" if language == "zh" else "rural/urban gap"
        return category_name(s, language=language)
    return f


def variable_value(language: str) -> Callable[[object], str]:
    return lambda v: label(str(v), language=language).title


def dimension_value(language: str) -> Callable[[object], str]:
    return lambda v: DIMENSIONS.get(str(v), str(v)) if language == "zh" else str(v)


def status_value(language: str) -> Callable[[object], str]:
    return lambda v: w(str(v), language) if str(v) in WORDS else str(v)
