"""The report's "what changed and who is falling behind" and "drivers" parts (en/zh).

Numbers come from the run's results (``run["results"]["panel"]``, ``["drivers"]``) and
tables (``early_warning``); every value is escaped where it lands.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _report_fmt as F
from ._report_fmt import fmt_int, fmt_p, html_table, w
from .escape import html_text as _e
from .labels import label

RULES = {"index_drop": ("index fell", "指数下降"), "class_worse": ("CCD class worsened", "耦合协调等级下降"),
         "cold_spot": ("moved into a cold spot", "进入冷点"), "ratio_widened": ("urban/rural ratio widened", "城乡比扩大")}
INTERACTION_ZH = {"nonlinear weaken": "非线性减弱", "uni-variable weaken": "单因子非线性减弱",
                  "bi-variable enhance": "双因子增强", "independent": "独立", "nonlinear enhance": "非线性增强"}
HOTSPOT_ZH = {"new": "新", "consecutive": "连续", "intensifying": "加强", "persistent": "持续", "diminishing": "减弱",
              "sporadic": "零星", "oscillating": "振荡", "historical": "历史"}


def _f(x: object, d: int = 3) -> str:
    return F.fmt_fixed(float(x), d) if x is not None and np.isfinite(float(x)) else F.DASH


def _hot_name(pattern: str, lang: str) -> str:
    if lang != "zh":
        return pattern
    p = str(pattern).lower()
    if "no pattern" in p or "not" in p:
        return "无显著模式"
    kind = "热点" if "hot" in p else "冷点" if "cold" in p else ""
    for en, zh in HOTSPOT_ZH.items():
        if p.startswith(en):
            return f"{zh}{kind}"
    return str(pattern)


def _reason_zh(row: pd.Series, col_title: str) -> str:
    rule = str(row.get("rule"))
    base, latest = row.get("base"), row.get("latest")
    y0, y1 = row.get("base_year"), row.get("latest_year")
    if rule == "index_drop":
        return f"{col_title}由 {_f(base)}（{y0}年）降至 {_f(latest)}（{y1}年）"
    if rule == "class_worse":
        return f"耦合协调等级由 {F.fmt_fixed(float(base), 0)} 降至 {F.fmt_fixed(float(latest), 0)}（{y0}—{y1}年）"
    if rule == "cold_spot":
        return f"{y1}年进入冷点"
    if rule == "ratio_widened":
        return f"城乡比由 {_f(base, 2)} 扩大至 {_f(latest, 2)}（{y0}—{y1}年）"
    return str(row.get("reasons", ""))


def panel_section(run: dict[str, Any], tables: dict[str, pd.DataFrame], units: pd.DataFrame, lang: str) -> str:
    """HTML of the change-over-time summary, or "" when the panel analysis did not run."""
    info = (run.get("results") or {}).get("panel")
    if not isinstance(info, dict) or not info.get("years"):
        return ""
    zh = lang == "zh"
    col_title = label(str(info.get("column", "integration_index")), language=lang).title
    years = info["years"]
    means = info.get("mean_by_year") or {}
    parts = [f"<h3>{_e(w('panel_h', lang))}</h3><ul class=panel>"]
    parts.append("<li>" + _e(w("panel_trend", lang, col=col_title, y0=years[0], y1=years[-1],
                               m0=_f(means.get(str(years[0]))), m1=_f(means.get(str(years[-1]))),
                               falling=fmt_int(info.get("falling", 0)), rising=fmt_int(info.get("rising", 0)),
                               n=fmt_int(info.get("units", 0)))) + "</li>")
    groups = info.get("mean_by_group") or {}
    if "urban" in groups and "rural" in groups:
        u, r = groups["urban"], groups["rural"]
        y0, y1 = str(years[0]), str(years[-1])
        g0, g1 = u[y0] - r[y0], u[y1] - r[y1]
        parts.append("<li>" + _e(w("panel_groups", lang, u0=_f(u[y0]), u1=_f(u[y1]), r0=_f(r[y0]), r1=_f(r[y1]),
                                   g0=_f(g0), g1=_f(g1),
                                   gap_dir=w("gap_narrowed" if abs(g1) < abs(g0) else "gap_widened", lang)))
                     + "</li>")
    dens = info.get("density") or {}
    if dens.get(lang):
        parts.append(f"<li>{_e(dens[lang])}</li>")
    conv = info.get("convergence") or {}
    if conv.get("b") is not None:
        speed = ""
        if conv.get("theta") is not None and np.isfinite(float(conv["theta"])) and conv.get("half_life") is not None:
            speed = w("panel_speed", lang, theta=F.fmt_pct(float(conv["theta"])), hl=_f(conv["half_life"], 1))
        parts.append("<li>" + _e(w("panel_beta", lang, b=_f(conv["b"], 4), p=fmt_p(conv.get("p")), speed=speed))
                     + "</li>")
    hot = {k: v for k, v in (info.get("hotspots") or {}).items() if "no pattern" not in str(k).lower()}
    if hot:
        sep = "，" if zh else ", "
        parts.append("<li>" + _e(w("panel_hot", lang, classes=sep.join(
            f"{_hot_name(k, lang)} {fmt_int(v)}" for k, v in sorted(hot.items(), key=lambda kv: -kv[1])))) + "</li>")
    parts.append("</ul>")
    ew = tables.get("early_warning")
    if ew is not None and len(ew):
        names = units["name"] if "name" in units.columns else pd.Series(dtype=object)
        if zh and "name_zh" in units.columns:
            names = units["name_zh"]
        rows = []
        for unit, grp in ew.groupby("unit", sort=False):
            rules = ("、" if zh else "; ").join(RULES.get(str(r), (str(r), str(r)))[1 if zh else 0] for r in grp["rule"])
            reasons = ("；" if zh else "; ").join(
                _reason_zh(r, col_title) if zh else str(r.get("reasons", "")) for _, r in grp.iterrows())
            pulled = grp["pulled_down_by"].dropna().astype(str).iloc[0] if "pulled_down_by" in grp.columns and \
                grp["pulled_down_by"].notna().any() else ""
            rows.append({w("code", lang): str(unit), w("name", lang): str(names.get(unit, "")),
                         w("rule", lang): rules, w("reasons", lang): reasons, w("pulled", lang): pulled})
        parts.append(f"<p>{_e(w('panel_warn', lang, n=fmt_int(len(rows))))}</p>"
                     + html_table(pd.DataFrame(rows[:15]), language=lang, css="warning"))
    elif ew is not None:
        parts.append(f"<p>{_e(w('panel_nowarn', lang))}</p>")
    return "".join(parts)


def drivers_section(run: dict[str, Any], lang: str) -> str:
    info = (run.get("results") or {}).get("drivers")
    if not isinstance(info, dict) or not info.get("factors"):
        return ""
    zh = lang == "zh"
    sep = "；" if zh else "; "
    facs = sep.join(f"{label(f['factor'], language=lang).title} q = {_f(f['q'])} ({fmt_p(f['p'])})"
                    for f in info["factors"])
    parts = [f"<h3>{_e(w('drivers_h', lang))}</h3><p>"
             + _e(w("drivers_sentence", lang, target=label(str(info["target"]), language=lang).title, factors=facs))]
    top = info.get("top_interaction")
    if top:
        kind = INTERACTION_ZH.get(top["type"], top["type"]) if zh else top["type"]
        parts.append(" " + _e(w("drivers_inter", lang, a=label(top["factor_1"], language=lang).title,
                                b=label(top["factor_2"], language=lang).title, q=_f(top["q12"]), type=kind)))
    parts.append("</p>")
    return "".join(parts)


MODEL_NAMES = {"mclp": ("MCLP", "最大覆盖模型"), "p_median": ("p-median", "P 中值模型"), "lscp": ("LSCP", "集合覆盖模型"),
               "p_center": ("p-center", "P 中心模型")}


def siting_section(run: dict[str, Any], lang: str) -> str:
    """One sentence per sited service: new sites, people newly covered, coverage and the gap before/after."""
    from .labels import category_name

    info = (run.get("results") or {}).get("siting")
    if not isinstance(info, dict) or not info:
        return ""
    zh = lang == "zh"
    parts = [f"<h3>{_e(w('siting_h', lang))}</h3><ul class=siting>"]
    for cat, r in info.items():
        rows = {str(x.get("class", x.get("urban_class", ""))): x for x in r.get("before_after", [])}
        allr, rural, urban = rows.get("all", {}), rows.get("rural", {}), rows.get("urban", {})
        gap = rows.get("rural/urban gap", {})
        solver = w("exact" if r.get("solver") == "highs" else "heuristic", lang)
        g = r.get("gap")
        gap_txt = "" if not g else (f"，差距 {F.fmt_pct(g)}" if zh else f", gap {F.fmt_pct(g)}")
        text = w("siting_sentence", lang, cat=category_name(cat, language=lang), n=fmt_int(r.get("new_sites", 0)),
                 model=MODEL_NAMES.get(str(r.get("model")), (str(r.get("model")),) * 2)[1 if zh else 0],
                 solver=solver, gap=gap_txt, new=fmt_int(allr.get("newly_covered", 0)),
                 new_r=fmt_int(rural.get("newly_covered", 0)), new_u=fmt_int(urban.get("newly_covered", 0)),
                 t=F.fmt_num(r.get("standard_min")), s0=F.fmt_pct(allr.get("share_before")),
                 s1=F.fmt_pct(allr.get("share_after")), r0=_f(rural.get("mean_min_before"), 1),
                 r1=_f(rural.get("mean_min_after"), 1), g0=_f(gap.get("mean_min_before"), 2),
                 g1=_f(gap.get("mean_min_after"), 2))
        cand = r.get("constraints_zh" if zh else "constraints")
        if cand:
            text += " " + w("siting_candidates", lang, text=cand) if not zh else w("siting_candidates", lang, text=cand)
        parts.append(f"<li>{_e(text)}</li>")
    parts.append("</ul>")
    return "".join(parts)
