"""The run report: one self-contained HTML file that tells what was studied and what was found.

First screen: the study (name, units, area, population, CRS) and the findings computed from
the run's tables and units (people beyond the middle travel-time threshold of each service,
urban and rural; the rural/urban time ratio; global Moran's I with its p; the integration
index range and the CCD class counts; the most under-served units; warnings). Then inputs
(names relative to the config, checksums shortened), checks (problems first), methods and
variants as key/value tables, the key tables with formatted numbers, the maps full width
(small PNGs embedded, 300 dpi pages linked by their path in the run folder; a click opens
the full map file) and links to every output.

English or Chinese throughout (``language``; ``<html lang="zh-CN">``). Sections whose
analysis did not run are absent. No script, no external resource: CSS inline, images as
data URIs or files of the run folder (the report opens offline from there); print CSS for
A4. Every string goes through :mod:`.escape`.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

from ..geo.io import atomic_path
from . import _report_fmt as F
from . import _report_zh as Z
from ._report_fmt import fmt_int, fmt_num, fmt_p, fmt_pct, html_table, pick, w
from ._report_panel import drivers_section, panel_section, siting_section
from .escape import href_path, html_attr, html_text
from .labels import category_name, label
from .palettes import DEGURBA_LABELS

__all__ = ["report_from_run", "render_report", "summary_facts"]

_e = html_text

_CSS = """*{box-sizing:border-box}
body{font:15px/1.55 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#222;
margin:0;background:#fff}
main{max-width:960px;margin:0 auto;padding:1.5em 1.2em 3em}
h1{font-size:1.7em;margin:.2em 0 .1em}h2{font-size:1.35em;margin:1.8em 0 .5em;border-bottom:2px solid #2b6cb0;
padding-bottom:.15em}h3{font-size:1.1em;margin:1.3em 0 .4em}
p,li,figcaption{overflow-wrap:anywhere}td,th{overflow-wrap:break-word}
td.num{white-space:nowrap}
.meta{color:#555;margin:0 0 1em}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.6em;margin:.8em 0}
.fig{border:1px solid #d6dde6;border-radius:6px;padding:.5em .7em;background:#f7fafc}
.fig b{display:block;font-size:1.35em}.fig span{color:#555;font-size:.9em}
.tw{max-width:100%;overflow-x:auto;margin:.4em 0 1.2em}
table{border-collapse:collapse;font-size:13.5px}td,th{border:1px solid #ccd3db;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#edf2f7}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.warning td{background:#fff4d6}tr.error td{background:#fde0e0}tr.skipped td{background:#f3f3f3}
.kv td:first-child{white-space:nowrap;font-weight:600;width:12em}
.cont{margin:.2em 0 0;color:#666;font-size:.85em}
ul.warn li{margin:.2em 0}
figure{margin:1em 0 2em;break-inside:avoid}figure img{display:block;width:100%;height:auto;border:1px solid #ccd3db}
figcaption{font-weight:600;margin:.3em 0}figcaption a{font-weight:400;margin-left:.6em}
nav{margin:.2em 0 1em;font-size:.95em}
ul.files{columns:2;font-size:.9em}
code{background:#f2f4f7;padding:0 3px}
@media (max-width:640px){ul.files{columns:1}}
@page{size:A4;margin:15mm 14mm}
@media print{body{font-size:10.5pt}main{max-width:none;padding:0}h2{break-before:page}section.first h2{break-before:auto}
.tw{overflow:visible}table{font-size:8.5pt;width:100%}tr,figure,.fig{break-inside:avoid}h2,h3{break-after:avoid}
figure img{max-height:230mm;width:auto;max-width:100%}a{color:inherit;text-decoration:none}nav{display:none}}"""

_DEGURBA_L2_ZH = {30: "城市", 23: "密集城镇", 22: "半密集城镇", 21: "郊区或城市边缘地区", 13: "村庄",
                  12: "分散农村地区", 11: "基本无人居住地区", 10: "水域"}
_SEVERITY = {"error": 0, "warning": 1, "skipped": 2, "repaired": 3, "dropped": 3, "info": 4, "ok": 5}
_UNREACHABLE = re.compile(r"^([^:]+): [\d,.]+ people can reach no \1 ")


def _cls(x: object) -> str:
    """A CSS class from a status word (letters, digits, ``-``, ``_`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "", str(x))


def _num(x: object) -> float:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


# ---------------------------------------------------------------------------------------------
# the findings, as numbers (the tests compare them with the tables)


def _threshold(run: dict[str, Any], tables: dict[str, pd.DataFrame]) -> float | None:
    cfg = ((run.get("config") or {}).get("analyses") or {}).get("accessibility") or {}
    ts = [float(t) for t in (cfg.get("thresholds") or [])]
    acc = tables.get("accessibility")
    if not ts and acc is not None and "threshold_min" in acc.columns:
        ts = sorted({float(t) for t in acc["threshold_min"].dropna()})
    if not ts:
        return None
    ts = sorted(ts)
    return 30.0 if 30.0 in ts else ts[len(ts) // 2]


def _tmin(t: float) -> str:
    return fmt_num(t)


def _names(units: pd.DataFrame, language: str) -> pd.Series:
    if language == "zh" and "name_zh" in units.columns:
        return units["name_zh"].astype(str)
    if "name" in units.columns:
        return units["name"].astype(str)
    return pd.Series([""] * len(units), index=units.index)


def _flat_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Tables with a named index (``category``, ``variable``) as a column, as in their CSV."""
    out = {}
    for k, t in tables.items():
        if isinstance(t, pd.DataFrame) and t.index.name is not None and str(t.index.name) not in map(str, t.columns):
            t = t.reset_index()
        out[k] = t
    return out


def summary_facts(run: dict[str, Any], tables: dict[str, pd.DataFrame], units: pd.DataFrame,
                  *, language: str = "en") -> dict[str, Any]:
    """The numbers of the report's first screen, each taken from the run's tables and units.

    Keys are present only when their analysis ran: ``study`` (units, area_km2, population,
    crs, urban_share), ``threshold``, ``access`` (per service: people and share beyond the
    threshold per class, mean times, rural/urban ratio), ``gap``, ``moran`` (per variable),
    ``integration`` (min, max, median and the units), ``ccd`` (class, units), ``underserved``
    (top 5 units), ``unreachable`` (people who reach no facility: categories).
    """
    tables = _flat_tables(tables)
    out: dict[str, Any] = {}
    sa = run.get("study_area") or {}
    study = {"units": sa.get("units"), "area_km2": sa.get("area_km2"), "population": sa.get("population"),
             "crs": sa.get("crs")}
    ur = tables.get("urban_rural")
    if ur is not None and {"urban_class", "population_share"} <= set(map(str, ur.columns)):
        row = ur[ur["urban_class"].astype(str) == "urban"]
        if len(row):
            study["urban_share"] = _num(row["population_share"].iloc[0])
    out["study"] = study
    t = _threshold(run, tables)
    acc = tables.get("accessibility")
    if t is not None and acc is not None and {"category", "urban_class", "threshold_min", "population",
                                              "population_within", "share"} <= set(map(str, acc.columns)):
        out["threshold"] = t
        at = acc[acc["threshold_min"].astype(float) == t]
        present = set(at["urban_class"].astype(str))
        classes = [c for c in ("urban", "rural") if c in present] or (["all"] if "all" in present else [])
        summ = tables.get("accessibility_summary")
        summ = summ.set_index("category") if summ is not None and "category" in summ.columns else None
        rows = []
        for cat in dict.fromkeys(at["category"].astype(str)):
            r: dict[str, Any] = {"category": cat}
            for c in classes:
                x = at[(at["category"].astype(str) == cat) & (at["urban_class"].astype(str) == c)]
                if len(x):
                    pop, within, share = (_num(x[k].iloc[0]) for k in ("population", "population_within", "share"))
                    r[c] = {"population": pop, "within": within, "beyond": pop - within, "share": share,
                            "beyond_share": 1 - share}
            if summ is not None and cat in summ.index:
                s = summ.loc[cat]
                for k in ("mean_tt_urban_min", "mean_tt_rural_min", "rural_urban_time_ratio", "people_unreachable"):
                    if k in summ.columns:
                        r[k] = _num(s[k])
            rows.append(r)
        out["access"] = {"classes": classes, "rows": rows}
        ratios = [r for r in rows if np.isfinite(r.get("rural_urban_time_ratio", np.nan))]
        if ratios:
            out["gap"] = max(ratios, key=lambda r: r["rural_urban_time_ratio"])
        und = []
        for col in units.columns:
            m = re.fullmatch(r"underserved_(.+?)min_(.+)", str(col))
            if m and _num(m[1]) == t and pd.api.types.is_numeric_dtype(units[col]):
                und.append((col, m[2]))
        if und:
            frame = units[[c for c, _ in und]].astype(float)
            worst = frame.max(axis=1, skipna=True)
            top = worst[worst > 0].sort_values(ascending=False, kind="stable").head(5)
            names = _names(units, language)
            out["underserved"] = [
                {"code": str(i), "name": names.get(i, ""), "people": float(top[i]),
                 "population": _num(units["population"].get(i)) if "population" in units.columns else float("nan"),
                 "category": dict(und)[frame.loc[i].idxmax()]} for i in top.index]
    summ = tables.get("accessibility_summary")
    if summ is not None and {"category", "people_unreachable"} <= set(map(str, summ.columns)):
        groups: dict[int, list[str]] = {}
        for cat, n in zip(summ["category"].astype(str), summ["people_unreachable"], strict=True):
            if _num(n) > 0:
                groups.setdefault(round(_num(n)), []).append(cat)
        if groups:
            out["unreachable"] = groups
    auto = tables.get("autocorrelation")
    if auto is not None and {"variable", "moran_i", "p_sim"} <= set(map(str, auto.columns)):
        out["moran"] = [{"variable": str(r["variable"]), "I": _num(r["moran_i"]), "p": _num(r["p_sim"]),
                         "HH": _num(r.get("lisa_HH")), "LL": _num(r.get("lisa_LL"))}
                        for _, r in auto.iterrows()]
    if "integration_index" in units.columns and pd.api.types.is_numeric_dtype(units["integration_index"]):
        ii = units["integration_index"].astype(float).dropna()
        if len(ii):
            names = _names(units, language)
            lo, hi = ii.idxmin(), ii.idxmax()
            out["integration"] = {"min": float(ii.min()), "max": float(ii.max()), "median": float(ii.median()),
                                  "min_unit": (str(lo), names.get(lo, "")), "max_unit": (str(hi), names.get(hi, ""))}
    flows = _flow_facts(run, tables, language)
    if flows:
        out["flows"] = flows
    ccd = tables.get("integration_ccd")
    if ccd is not None and "units" in ccd.columns:
        lab = "label_zh" if language == "zh" and "label_zh" in ccd.columns else \
            "label_en" if "label_en" in ccd.columns else ccd.columns[0]
        out["ccd"] = [(str(a), _num(b)) for a, b in zip(ccd[lab], ccd["units"], strict=True)]
    return out


_MODEL_ZH = {"doubly": "双约束", "production": "发生约束", "attraction": "吸引约束", "unconstrained": "无约束"}


def _flow_facts(run: dict[str, Any], tables: dict[str, pd.DataFrame], language: str) -> dict[str, Any]:
    """Per flow kind: the two-way sentence, the model fit and the pairs below prediction by class pair."""
    res = (run.get("results") or {}).get("flows") or {}
    under = tables.get("flows_underflow")
    kinds = []
    for kind, info in res.items():
        if not isinstance(info, dict):
            continue
        k: dict[str, Any] = {"kind": str(kind), "sentence": info.get(f"sentence_{language}") or info.get("sentence_en")}
        if info.get("pseudo_r2") is not None:
            k["model"] = {"constraint": info.get("model"), "pseudo_r2": _num(info["pseudo_r2"]),
                          "under": int(info.get("underflow_pairs") or 0)}
            if under is not None and {"kind", "origin_group", "destination_group", "pairs"} <= set(under.columns):
                u = under[under["kind"].astype(str) == str(kind)]
                for a, b, key in (("rural", "urban", "rural_urban"), ("urban", "rural", "urban_rural")):
                    hit = u[(u["origin_group"].astype(str) == a) & (u["destination_group"].astype(str) == b)]
                    if len(hit):
                        k["model"][key] = int(hit["pairs"].iloc[0])
        kinds.append(k)
    out: dict[str, Any] = {"kinds": kinds} if kinds else {}
    link = (run.get("results") or {}).get("flows_linkage")
    if isinstance(link, dict) and link.get("links") is not None:
        out["linkage"] = link
    return out


def _flows_summary(facts: dict[str, Any], lang: str) -> str:
    from .labels import flow_kind_name

    f = facts["flows"]
    parts = [f"<h3>{_e(w('flows_h', lang))}</h3>"]
    if f.get("kinds"):
        parts.append(f"<p>{_e(w('flows_intro', lang))}</p><ul class=flows>")
        for k in f["kinds"]:
            name = flow_kind_name(k["kind"], language=lang)
            text = f"{name}：" if lang == "zh" else f"{name[:1].upper()}{name[1:]}: "
            if k.get("sentence"):
                text += str(k["sentence"])
                if lang == "zh" and not text.endswith("。"):
                    text += "。"
            m = k.get("model")
            if m:
                detail = ""
                if "rural_urban" in m and "urban_rural" in m:
                    detail = w("flows_under_detail", lang, ru=fmt_int(m["rural_urban"]), ur=fmt_int(m["urban_rural"]))
                model = _MODEL_ZH.get(str(m["constraint"]), str(m["constraint"])) if lang == "zh" else \
                    f"{m['constraint']}-constrained"
                text += (" " if lang != "zh" else "") + w("flows_model_sentence", lang, model=model,
                                                          r2=F.fmt_fixed(m["pseudo_r2"], 2),
                                                          under=fmt_int(m["under"]), detail=detail)
            parts.append(f"<li>{_e(text)}</li>")
        parts.append("</ul>")
    link = f.get("linkage")
    if link:
        parts.append("<p>" + _e(w("linkage_sentence", lang, value=label(str(link.get("value")), language=lang).title,
                                  links=fmt_int(link["links"]), density=F.fmt_fixed(_num(link.get("density")), 3)))
                     + "</p>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# sections


def _section(sid: str, title: str, body: str, *, first: bool = False) -> str:
    return f"<section id='{sid}'{' class=first' if first else ''}><h2>{_e(title)}</h2>{body}</section>"


def _summary(facts: dict[str, Any], run: dict[str, Any], lang: str, tables: dict[str, pd.DataFrame],
             units: pd.DataFrame) -> str:
    zh = lang == "zh"
    st = facts["study"]
    figs = [(fmt_int(st["units"]), w("units", lang)),
            (f"{fmt_num(st['area_km2'])} {w('km2', lang)}", w("area", lang)),
            (fmt_int(st["population"]), w("population", lang)),
            (st["crs"] if st["crs"] is not None else F.DASH, w("crs", lang))]
    if "urban_share" in st:
        figs.append((fmt_pct(st["urban_share"]), w("urban_share", lang)))
    parts = [f"<h3>{_e(w('studied', lang))}</h3><div class=figs>"]
    parts += [f"<div class=fig><b>{_e(v)}</b><span>{_e(k)}</span></div>" for v, k in figs]
    parts.append(f"</div><h3>{_e(w('found', lang))}</h3>")
    if "access" in facts:
        t = _tmin(facts["threshold"])
        classes = facts["access"]["classes"]
        head = [w("service", lang)]
        head += [w(f"beyond_{c}", lang, t=t) if c in ("urban", "rural") else
                 (f"{t} 分钟以外" if zh else f"Beyond {t} min") for c in classes]
        has_time = any("rural_urban_time_ratio" in r for r in facts["access"]["rows"])
        if has_time:
            head += [w("mean_urban", lang), w("mean_rural", lang), w("ratio", lang)]
        rows = []
        for r in facts["access"]["rows"]:
            cells = [_e(category_name(r["category"], language=lang))]
            for c in classes:
                x = r.get(c)
                cells.append(_e(f"{fmt_int(x['beyond'])} ({fmt_pct(x['beyond_share'])})") if x else F.DASH)
            if has_time:
                cells += [_e(F.fmt_fixed(r.get(k, np.nan), d)) for k, d in
                          (("mean_tt_urban_min", 1), ("mean_tt_rural_min", 1), ("rural_urban_time_ratio", 2))]
            rows.append("<tr>" + "".join(f"<td{'' if i == 0 else ' class=num'}>{c}</td>" for i, c in
                                         enumerate(cells)) + "</tr>")
        parts.append(f"<h3>{_e(w('access_h', lang))}</h3><p>{_e(w('access_intro', lang, t=t))}</p>"
                     "<div class=tw><table id=summary-access><thead><tr>"
                     + "".join(f"<th{'' if i == 0 else ' class=num'}>{_e(h)}</th>" for i, h in enumerate(head))
                     + f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
        if "gap" in facts:
            g = facts["gap"]
            parts.append("<p>" + _e(w("gap_sentence", lang, cat=category_name(g["category"], language=lang),
                                      r=F.fmt_fixed(g["rural_urban_time_ratio"], 2),
                                      rural=F.fmt_fixed(g.get("mean_tt_rural_min"), 1),
                                      urban=F.fmt_fixed(g.get("mean_tt_urban_min"), 1))) + "</p>")
    if "moran" in facts:
        parts.append(f"<h3>{_e(w('moran_h', lang))}</h3><ul>")
        for m in facts["moran"]:
            parts.append("<li>" + _e(w("moran_sentence", lang, var=label(m["variable"], language=lang).title,
                                       i=F.fmt_fixed(m["I"], 3), p=fmt_p(m["p"]), hh=fmt_int(m["HH"]),
                                       ll=fmt_int(m["LL"]))) + "</li>")
        parts.append("</ul>")
    if "integration" in facts or "ccd" in facts:
        parts.append(f"<h3>{_e(w('integration_h', lang))}</h3>")
    if "integration" in facts:
        g = facts["integration"]
        parts.append("<p>" + _e(w("integration_sentence", lang, lo=F.fmt_fixed(g["min"], 3), hi=F.fmt_fixed(g["max"], 3),
                                  med=F.fmt_fixed(g["median"], 3), lo_name=" ".join(x for x in g["min_unit"] if x),
                                  hi_name=" ".join(x for x in g["max_unit"] if x))) + "</p>")
    if "ccd" in facts:
        parts.append(f"<p>{_e(w('ccd_classes', lang))}: " + "; ".join(
            f"{_e(a)} {_e(fmt_int(b))}" for a, b in facts["ccd"]) + "</p>")
    if "flows" in facts:
        parts.append(_flows_summary(facts, lang))
    parts.append(panel_section(run, tables, units, lang))
    parts.append(siting_section(run, lang))
    parts.append(drivers_section(run, lang))
    if facts.get("underserved"):
        t = _tmin(facts["threshold"])
        frame = pd.DataFrame([{w("code", lang): u["code"], w("name", lang): u["name"],
                               w("population", lang): fmt_int(u["population"]),
                               w("worst_service", lang): category_name(u["category"], language=lang),
                               w("people_beyond", lang, t=t): fmt_int(u["people"])} for u in facts["underserved"]])
        parts.append(f"<h3>{_e(w('underserved_h', lang))}</h3><p>{_e(w('underserved_intro', lang, t=t))}</p>"
                     + html_table(frame, language=lang, css="underserved"))
    warn = _warnings(facts, run, lang)
    if warn:
        parts.append(f"<h3>{_e(w('warnings_h', lang))}</h3><ul class=warn>"
                     + "".join(f"<li>{x}</li>" for x in warn) + "</ul>")
    return "".join(parts)


def _warnings(facts: dict[str, Any], run: dict[str, Any], lang: str) -> list[Z.Html]:
    """The first screen's warnings as HTML items (analysis notes and input checks)."""
    out = []
    sep = "、" if lang == "zh" else ", "
    colon = "：" if lang == "zh" else ": "
    for n, cats in (facts.get("unreachable") or {}).items():
        out.append(Z.Html(_e(w("unreachable_note", lang, n=fmt_int(n),
                                 cats=sep.join(category_name(c, language=lang) for c in cats)))))
    for note in run.get("analyses") or []:
        if note.get("status") in ("warning", "error", "skipped"):
            if "unreachable" in facts and _UNREACHABLE.match(str(note.get("detail", ""))):
                continue
            name = pick(F.ANALYSIS_NAMES.get(str(note.get("analysis")), (str(note.get("analysis")),) * 2), lang)
            out.append(Z.Html(_e(name + colon) + F.note_html(note.get("detail", ""), lang)))
    for c in run.get("checks") or []:
        if c.get("status") in ("warning", "error"):
            parts = [_check_name(c.get("input", ""), lang), _check_name(c.get("check", ""), lang),
                     _check_detail(c, lang)]
            out.append(Z.Html(_e(colon).join(parts)))
    return out


def _check_name(name: object, lang: str) -> Z.Html:
    """An input or check name: Chinese where known; in Chinese, others (file names) as code."""
    if lang == "zh":
        return Z.check_name_html(name, F.CHECKS_ZH)
    return Z.Html(_e(name))


def _check_detail(check: dict[str, Any], lang: str) -> Z.Html:
    detail = check.get("detail", "")
    if lang == "zh":
        return Z.check_detail_html(detail, check.get("check", ""))
    return Z.Html(_e(detail))


def _relative(path: object, config_file: object) -> str:
    """An input's path as the config names it: relative to the config's folder, never absolute."""
    p = str(path)
    if config_file:
        base = os.path.dirname(str(config_file))
        try:
            if os.path.isabs(p) and os.path.isabs(base):
                return PurePath(os.path.relpath(p, base)).as_posix()
        except ValueError:  # another drive on Windows
            pass
    if os.path.isabs(p) or re.match(r"^[A-Za-z]:[\\/]", p):
        return PurePath(p.replace("\\", "/")).name or p
    return p


def _inputs(run: dict[str, Any], lang: str) -> str:
    rows = []
    for role, v in (run.get("inputs") or {}).items():
        v = v if isinstance(v, dict) else {"path": v}
        rows.append({"role": str(role), "file": _relative(v.get("path", ""), run.get("config_file")),
                     "size": F.fmt_bytes(v.get("bytes")), "sha": str(v.get("sha256", ""))[:12]})
    if not rows:
        return ""
    frame = pd.DataFrame(rows)
    raw = {w("role", lang): [_role(r["role"], lang) for r in rows],
           w("file", lang): [_literal(r["file"], lang) for r in rows],
           w("checksum", lang): [_literal(r["sha"], lang) for r in rows]}
    frame = frame.rename(columns={"role": w("role", lang), "file": w("file", lang),
                                  "size": w("size", lang), "sha": w("checksum", lang)})
    cfg = run.get("config_file")
    note = (f"<p class=meta>{_e(w('config_file', lang))}{'：' if lang == 'zh' else ': '}"
            f"{_literal(PurePath(str(cfg)).name, lang)}</p>") if cfg else ""
    return note + html_table(frame, language=lang, css="inputs", raw=raw)


def _literal(text: object, lang: str) -> str:
    """A name as written in a file or the config: in Chinese set apart as code."""
    return f"<code>{_e(text)}</code>" if lang == "zh" else _e(text)


def _role(role: str, lang: str) -> str:
    """An input's role (a config key: ``facilities[0]``); in Chinese its label and the key as code."""
    if lang != "zh":
        return _e(role)
    zh = Z.KEYS_ZH.get(role.split("[")[0])
    return f"{_e(zh)} {_literal(role, lang)}" if zh else _literal(role, lang)


def _checks(run: dict[str, Any], lang: str) -> str:
    checks = sorted(run.get("checks") or [], key=lambda c: _SEVERITY.get(str(c.get("status")), 3))
    if not checks:
        return ""
    frame = pd.DataFrame([{"input": str(c.get("input", "")), "check": str(c.get("check", "")),
                           "status": c.get("status", ""), "count": c.get("count"),
                           "detail": str(c.get("detail", ""))} for c in checks])
    frame["count"] = frame["count"].map(lambda v: fmt_int(v) if isinstance(v, (int, float)) else str(v))
    frame = frame.rename(columns={k: w(k, lang) for k in ("input", "check", "status", "count", "detail")})
    raw = {w("input", lang): [_check_name(c.get("input", ""), lang) for c in checks],
           w("check", lang): [_check_name(c.get("check", ""), lang) for c in checks],
           w("detail", lang): [_check_detail(c, lang) for c in checks]}
    return html_table(frame, language=lang, css="checks", row_class=[_cls(c.get("status")) for c in checks],
                      values={w("status", lang): F.status_value(lang)}, raw=raw)


def _notes(run: dict[str, Any], lang: str) -> str:
    notes = sorted(run.get("analyses") or [], key=lambda n: _SEVERITY.get(str(n.get("status")), 3))
    if not notes:
        return ""
    frame = pd.DataFrame([{w("analysis", lang): pick(F.ANALYSIS_NAMES.get(str(n.get("analysis")),
                                                                          (str(n.get("analysis")),) * 2), lang),
                           w("status", lang): n.get("status", ""),
                           w("detail", lang): str(n.get("detail", ""))}
                          for n in notes])
    raw = {w("detail", lang): [F.note_html(n.get("detail", ""), lang) for n in notes]}
    return (f"<h3>{_e(w('analyses', lang))}</h3>"
            + html_table(frame, language=lang, css="notes", row_class=[_cls(n.get("status")) for n in notes],
                         values={w("status", lang): F.status_value(lang)}, raw=raw))


Leaf = tuple[tuple[str, ...], Any]


def _flatten(obj: Any, prefix: tuple[str, ...] = ()) -> list[Leaf]:
    """Nested dicts to ``(("a", "b"), value)`` rows (lists of scalars kept whole); None left out."""
    if isinstance(obj, dict):
        rows: list[Leaf] = []
        for k, v in obj.items():
            rows += _flatten(v, (*prefix, str(k)))
        return rows
    if obj is None:
        return []
    if isinstance(obj, (list, tuple)):
        if all(not isinstance(x, (dict, list, tuple)) for x in obj):
            return [(prefix, list(obj))]
        rows = []
        for i, x in enumerate(obj):
            rows += _flatten(x, (*prefix[:-1], f"{prefix[-1] if prefix else ''} [{i + 1}]"))
        return rows
    return [(prefix, obj)]


def _value_en(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(fmt_num(x) if isinstance(x, float) else str(x) for x in v)
    if isinstance(v, bool):
        return str(v).lower()
    return fmt_num(v) if isinstance(v, float) else str(v)


def _kv(rows: list[Leaf], lang: str, *, config: bool) -> str:
    """A key/value table of settings (``config``: the keys are YAML keys) or variants; in
    Chinese, keys and values are labelled with the literal names kept as code."""
    if lang == "zh":
        cells = [(Z.key_html(k, config=config), Z.value_html(v)) for k, v in rows]
    else:
        cells = [(_e(" › ".join(k)), _e(_value_en(v))) for k, v in rows]
    body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in cells)
    return (f"<div class=tw><table class=kv><thead><tr><th>{_e(w('setting', lang))}</th><th>{_e(w('value', lang))}"
            f"</th></tr></thead><tbody>{body}</tbody></table></div>")


def _description(v: Any, lang: str) -> str:
    """A variant given as one text, in the report's language."""
    return Z.value_html(v) if lang == "zh" else _e(v)


def _methods(run: dict[str, Any], lang: str) -> str:
    variants = run.get("variants") or {}
    settings = ((run.get("config") or {}).get("analyses")) or {}
    names = list(dict.fromkeys([*settings, *variants]))
    parts = []
    for name in names:
        title = pick(F.ANALYSIS_NAMES.get(str(name), (str(name),) * 2), lang)
        body = []
        s = settings.get(name)
        if isinstance(s, dict) and _flatten(s):
            body.append(f"<p class=cont>{_e(w('settings', lang))}</p>" + _kv(_flatten(s), lang, config=True))
        v = variants.get(name)
        if isinstance(v, (dict, list, tuple)):
            rows = _flatten(v)
            if rows:
                body.append(_kv(rows, lang, config=False))
        elif v is not None:
            body.append(f"<p>{_description(v, lang)}</p>")
        if body:
            parts.append(f"<h3>{_e(title)}</h3>" + "".join(body))
    return "".join(parts)


_ORDER = {
    "accessibility_summary": ["category", "facilities", "people_unreachable", "mean_tt_min", "mean_tt_urban_min",
                              "mean_tt_rural_min", "rural_urban_time_ratio"],
    "flows_groups": ["kind", "year", "group_a", "group_b", "a_to_b", "b_to_a", "balance", "share_of_total"],
    "flows_underflow": ["kind", "origin_group", "destination_group", "pairs", "of_pairs", "observed", "predicted",
                        "ratio"],
    "autocorrelation": ["variable", "n", "moran_i", "z_sim", "p_sim", "geary_c", "geary_p_sim", "variable",
                        "lisa_HH", "lisa_LL", "lisa_LH", "lisa_HL", "lisa_ns", "gi_hot_95pct", "gi_cold_95pct"],
}
_TABLE_ORDER = ["urban_rural", "degurba_units", "degurba_grid", "accessibility", "accessibility_summary",
                "integration", "integration_ccd", "integration_theil", "autocorrelation", "flows_groups",
                "flows_network", "flows_model", "flows_underflow", "convergence", "convergence_beta",
                "panel_transitions", "panel_markov", "panel_markov_steady", "panel_density_diagnostics",
                "early_warning", "panel_access_summary", "geodetector_factor", "geodetector_interaction"]
# long per-unit and per-pair tables: linked from the outputs list, not printed
_CSV_ONLY = {"flows_units", "flows_pairs", "flows_linkage", "panel_index", "panel_access", "panel_change", "panel_density",
             "panel_hotspots", "panel_forecast", "panel_weights", "panel_markov_lisa", "geodetector_risk",
             "geodetector_ecological", "geodetector_discretization"}
# the siting tables are per service (siting_<cat>_...): before/after and the sites are printed


_SITING_TABLES = {"before_after": ("coverage and travel time before and after", "新增选址前后的覆盖率与出行时间"),
                  "sites": ("people each proposed site newly covers", "各新增选址新覆盖的人口"),
                  "candidates": ("candidate sites and the constraints", "候选点与约束条件"),
                  "curve": ("marginal gain of each extra site", "每增加一处设施的边际收益")}


def _table_title(name: str, lang: str) -> str:
    if name in F.TABLE_TITLES:
        return pick(F.TABLE_TITLES[name], lang)
    if m := re.fullmatch(r"siting_(.+)_(before_after|sites|candidates|curve)", name):
        cat = category_name(m[1], language=lang)
        what = pick(_SITING_TABLES[m[2]], lang)
        return f"{cat}：{what}" if lang == "zh" else f"Siting, {cat}: {what}"
    return name


def _key_table(name: str, table: pd.DataFrame, lang: str, max_rows: int = 40) -> str:
    t = table.copy()
    t.columns = [str(c) for c in t.columns]
    values: dict[str, Any] = {}
    formatters: dict[str, Any] = {}
    index: object = None
    cols = set(t.columns)
    if name == "accessibility" and {"category", "urban_class", "threshold_min", "share"} <= cols:
        piv = t.pivot_table(index=["category", "threshold_min"], columns="urban_class", values="share",
                            sort=False).reset_index()
        order = [c for c in ("all", "urban", "rural") if c in piv.columns]
        order += [c for c in piv.columns if c not in order and c not in ("category", "threshold_min")]
        shares = {c: (f"{F.w(c, lang) if c in F.WORDS else c}：{F.pick(F.HEADERS['share'], lang)}" if lang == "zh"
                      else f"{F.pick(F.HEADERS['share'], lang)}: {c}") for c in order}
        t = piv[["category", "threshold_min", *order]].rename(columns=shares)
        formatters = {v: fmt_pct for v in shares.values()}
        formatters["threshold_min"] = fmt_num
        values["category"] = F.category_value(lang)
    else:
        if name in _ORDER:
            first = list(dict.fromkeys(c for c in _ORDER[name] if c in cols))
            t = t[first + [c for c in t.columns if c not in first]]
        if name == "integration_ccd":
            drop = "label_en" if lang == "zh" else "label_zh"
            t = t.drop(columns=[c for c in (drop,) if c in cols])
        if name == "integration" and not isinstance(t.index, pd.RangeIndex):
            index = "indicator"
            values["indicator"] = F.variable_value(lang)
            formatters = {c: fmt_num for c in ("entropy", "divergence", "weight")}
        elif not isinstance(t.index, pd.RangeIndex) or t.index.name is not None:
            index = t.index.name or ""
        for c in ("category", "urban_class", "group_a", "group_b", "origin_group", "destination_group", "class"):
            if c in cols:
                values[c] = F.category_value(lang)
        if "kind" in cols:
            from .labels import flow_kind_name

            values["kind"] = lambda v: flow_kind_name(str(v), language=lang)
        if "year" in cols:
            formatters["year"] = lambda v: F.DASH if F.is_missing(v) else str(int(float(v)))
        if name in ("panel_markov", "panel_markov_steady", "panel_markov_lisa"):  # probabilities: 3 decimals
            for c in t.columns:
                if c.startswith("to ") or re.fullmatch(r"Q\d+|HH|LH|LL|HL", c):
                    formatters[c] = lambda v: F.DASH if F.is_missing(v) else F.fmt_fixed(float(v), 3)
        for c in ("variable", "groups"):
            if c in cols:
                values[c] = F.variable_value(lang)
        if "dimension" in cols:
            values["dimension"] = F.dimension_value(lang)
        if lang == "zh" and name == "degurba_units" and {"degurba_l2", "label"} <= cols:
            t["label"] = [_DEGURBA_L2_ZH.get(int(c), lab) if pd.notna(c) else lab
                          for c, lab in zip(t["degurba_l2"], t["label"], strict=True)]
        if lang == "zh" and name == "degurba_grid" and {"code", "class"} <= cols:
            t["class"] = [DEGURBA_LABELS["zh"].get(int(c), lab) if pd.notna(c) else lab
                          for c, lab in zip(t["code"], t["class"], strict=True)]
        for c in ("degurba_l2", "code", "level"):
            if c in cols:
                formatters[c] = lambda v: F.DASH if F.is_missing(v) else str(v)
    more = ""
    if len(t) > max_rows:
        more = f"<p class=cont>{_e(w('more_rows', lang, n=fmt_int(len(t) - max_rows)))}</p>"
        t = t.head(max_rows)
    title = _table_title(name, lang)
    link = f" <a href='tables/{href_path(name)}.csv'>CSV</a>"
    return (f"<h3>{_e(title)}<small>{link}</small></h3>"
            + html_table(t, language=lang, index=index, formatters=formatters, values=values, css=_cls(name)) + more)


def _tables(tables: dict[str, pd.DataFrame], lang: str) -> str:
    tables = _flat_tables(tables)
    names = [n for n in _TABLE_ORDER if n in tables] + [n for n in tables if n not in _TABLE_ORDER
                                                         and n not in _CSV_ONLY]
    return "".join(_key_table(n, tables[n], lang) for n in names if isinstance(tables[n], pd.DataFrame))


def _map_title(stem: str, lang: str) -> str:
    if m := re.fullmatch(r"tt_(.+)", stem):
        if not stem.endswith("_min"):
            return label(f"tt:{m[1]}", language=lang).text
    if m := re.fullmatch(r"iso_(.+)", stem):
        return label(f"iso:{m[1]}", language=lang).text
    return label(stem, language=lang).text


#: map images up to this size are embedded in the report; larger ones are linked
EMBED_MAX_BYTES = 150_000


def _png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header (no decoding); None when it is not a PNG."""
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return None


def _inside(path: Path, folder: Path) -> str | None:
    """``path`` relative to ``folder`` (POSIX, no ``..``), or None when it resolves outside
    (a link out of the run folder is never followed)."""
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except (OSError, ValueError):
        return None


def _image(png: Path, rel: str, *, embed_max_bytes: int) -> str:
    """``src`` and size attributes of a map image: the file's bytes as a data URI when it is
    small, else its path in the run folder (the report opens from there, offline)."""
    with png.open("rb") as fh:
        head = fh.read(24)
    size = _png_size(head)
    dims = f" width='{size[0]}' height='{size[1]}'" if size else ""
    if png.stat().st_size <= embed_max_bytes:
        return f"src='data:image/png;base64,{base64.b64encode(png.read_bytes()).decode()}'{dims}"
    return f"src='{html_attr(href_path(rel))}'{dims} loading='lazy' decoding='async'"


def _maps(folder: Path, lang: str, *, embed_max_bytes: int = EMBED_MAX_BYTES) -> str:
    pngs = sorted((folder / "maps").glob("*.png"))
    parts = []
    for p in pngs:
        rel = _inside(p, folder)
        if rel is None or not p.is_file():
            continue
        title = _map_title(p.stem, lang)
        links = []
        for ext in (".html", ".png", ".pdf", ".svg"):
            other = p.with_suffix(ext)
            other_rel = _inside(other, folder) if other.exists() else None
            if other_rel is not None:
                text = w("interactive", lang) if ext == ".html" else ext[1:].upper()
                links.append(f"<a href='{html_attr(href_path(other_rel))}'>{_e(text)}</a>")
        img = _image(p, rel, embed_max_bytes=embed_max_bytes)
        parts.append(f"<figure><figcaption>{_e(title)}{''.join(links)}</figcaption>"
                     f"<a href='{html_attr(href_path(rel))}'><img {img} alt='{html_attr(p.stem)}' "
                     f"title='{html_attr(title)}'></a></figure>")
    if not parts:
        return ""
    return f"<p>{_e(w('maps_intro', lang))}</p>" + "".join(parts)


def _outputs(run: dict[str, Any]) -> str:
    outs = run.get("outputs") or []
    if not outs:
        return ""
    return "<ul class=files>" + "".join(f"<li><a href='{href_path(o)}'>{_e(o)}</a></li>" for o in outs) + "</ul>"


def render_report(*, name: str, run: dict[str, Any], tables: dict[str, pd.DataFrame], units: pd.DataFrame,
                  folder: Path, language: str = "en", embed_max_bytes: int = EMBED_MAX_BYTES) -> str:
    """The report HTML for a run folder, written to the folder's top (``report.html``), in
    ``language`` ("en" or "zh"); every value from the run escaped for where it lands.

    The maps of ``folder/maps/*.png`` are shown full width: a PNG of at most
    ``embed_max_bytes`` is embedded as a data URI, a larger one (a 300 dpi page) is linked
    by its path in the run folder (``maps/x.png``, loaded lazily), so the report stays small
    however many maps the run draws and opens offline from the run folder. Files that
    resolve outside ``folder`` are left out.
    """
    lang = "zh" if language == "zh" else "en"
    facts = summary_facts(run, tables, units, language=lang)
    sections: list[tuple[str, str, str]] = [
        ("summary", w("summary", lang), _summary(facts, run, lang, _flat_tables(tables), units))]
    sections.append(("inputs", w("inputs", lang), _inputs(run, lang)))
    sections.append(("checks", w("checks", lang), _checks(run, lang) + _notes(run, lang)))
    sections.append(("methods", w("methods", lang), _methods(run, lang)))
    sections.append(("tables", w("tables", lang), _tables(tables, lang)))
    sections.append(("maps", w("maps", lang), _maps(Path(folder), lang, embed_max_bytes=embed_max_bytes)))
    sections.append(("outputs", w("outputs", lang), _outputs(run)))
    sections = [s for s in sections if s[2]]
    toc = " · ".join(f"<a href='#{sid}'>{_e(title)}</a>" for sid, title, _ in sections)
    body = "".join(_section(sid, title, html, first=i == 0) for i, (sid, title, html) in enumerate(sections))
    version = run.get("urbanrural")
    meta = f"<p class=meta>{_e(w('version', lang, v=version))}</p>" if version else ""
    return (f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_e(name)}</title>"
            f"<style>{_CSS}</style></head><body><main><h1>{_e(name)}</h1>{meta}"
            f"<nav><b>{_e(w('toc', lang))}:</b> {toc}</nav>{body}</main></body></html>")


def report_from_run(ctx: Any, run: dict[str, Any], path: str | Path) -> Path:
    """Write report.html for a pipeline run (``ctx`` is the pipeline's RunContext)."""
    path = Path(path)
    units = pd.DataFrame(ctx.units.drop(columns="geometry"))
    language = ((run.get("config") or {}).get("language")) or getattr(ctx.config, "language", "en")
    text = render_report(name=ctx.config.title(language), run=run, tables=ctx.tables, units=units, folder=ctx.tmp,
                         language=language)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return path
