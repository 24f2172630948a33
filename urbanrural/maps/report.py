"""The run report: one self-contained HTML file that opens offline.

Inputs and their checks (counts, repairs, CRS), key tables when the analyses produced
them (coverage by urban/rural class, global Moran, integration index top and bottom
units, CCD classes), print maps embedded as data URIs, links to every output file.
Everything shown goes through :mod:`.escape`: text and attributes HTML-escaped, links
percent-encoded relative paths (no ``javascript:``), class names reduced to letters.
The report has no script.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..geo.io import atomic_path
from .escape import href_path, html_attr, html_text

__all__ = ["report_from_run", "render_report"]

_CSS = """body{font:14px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left}th{background:#f2f2f2}.warning{background:#fff4d6}.error{background:#fde0e0}
figure{display:inline-block;margin:.5em;max-width:48%}figure img{max-width:100%;border:1px solid #ddd}
code{background:#f5f5f5;padding:0 3px}"""


_e = html_text


def _cls(x: object) -> str:
    """A CSS class from a status word (letters, digits, ``-``, ``_`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "", str(x))


def _table(frame: pd.DataFrame, *, index: bool = True, digits: int = 4, max_rows: int = 40) -> str:
    f = frame.head(max_rows)
    head = ("<th></th>" if index else "") + "".join(f"<th>{_e(c)}</th>" for c in f.columns)
    rows = []
    for idx, row in f.iterrows():
        cells = "".join(f"<td>{_e(round(v, digits) if isinstance(v, float) else v)}</td>" for v in row)
        rows.append(f"<tr>{f'<td>{_e(idx)}</td>' if index else ''}{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


_ZH = {'Inputs': '输入', 'Checks, repairs and drops': '检查、修复与剔除', 'Analyses': '分析', 'Urban and rural population': '城乡人口', 'Coverage: share of people within each threshold': '覆盖率：各阈值内的人口比例', 'Per category': '分类别', 'Global spatial autocorrelation': '全局空间自相关', 'Integration index': '融合指数', 'Top 10 units': '前 10 个单元', 'Bottom 10 units': '后 10 个单元', 'Entropy weights': '熵权', 'Coupling coordination classes': '耦合协调等级', 'Theil decomposition': '泰尔分解', 'Maps': '地图', 'Outputs': '输出', 'Variants': '分析变体'}


def render_report(*, name: str, run: dict[str, Any], tables: dict[str, pd.DataFrame], units: pd.DataFrame,
                  folder: Path, language: str = "en") -> str:
    """The report HTML for a run folder (``folder`` holds maps/*.png to embed); headings in
    ``language`` ("en" or "zh"); every value from the run escaped for where it lands."""
    zh = language == "zh"

    def t(text: str) -> str:
        return _ZH.get(text, text) if zh else text

    parts = [f"<!doctype html><html lang='{'zh' if zh else 'en'}'><head><meta charset='utf-8'><title>{_e(name)}</title><style>{_CSS}</style>"
             f"</head><body><h1>{_e(name)}</h1>"]
    sa = run.get("study_area", {})
    parts.append(f"<p>{_e(sa.get('units'))} units; analysis CRS {_e(sa.get('crs'))}; population "
                 f"{_e(sa.get('population'))}; urbanrural {_e(run.get('urbanrural'))}.</p>")
    parts.append(f"<h2>{t('Inputs')}</h2><table><tr><th>role</th><th>file</th><th>bytes</th><th>SHA-256</th></tr>")
    for role, v in run.get("inputs", {}).items():
        parts.append(f"<tr><td>{_e(role)}</td><td>{_e(v['path'])}</td><td>{_e(v['bytes'])}</td>"
                     f"<td><code>{_e(v['sha256'][:16])}…</code></td></tr>")
    parts.append(f"</table><h2>{t('Checks, repairs and drops')}</h2><table><tr><th>input</th><th>check</th><th>status</th>"
                 "<th>count</th><th>detail</th></tr>")
    for c in run.get("checks", []):
        parts.append(f"<tr class='{_cls(c['status'])}'><td>{_e(c['input'])}</td><td>{_e(c['check'])}</td>"
                     f"<td>{_e(c['status'])}</td><td>{_e(c['count'])}</td><td>{_e(c['detail'])}</td></tr>")
    parts.append(f"</table><h2>{t('Analyses')}</h2><ul>")
    for n in run.get("analyses", []):
        parts.append(f"<li class='{_cls(n['status'])}'><b>{_e(n['analysis'])}</b>: {_e(n['status'])}: "
                     f"{_e(n['detail'])}</li>")
    parts.append("</ul>")
    if "urban_rural" in tables:
        parts.append(f"<h2>{t('Urban and rural population')}</h2>" + _table(tables["urban_rural"]))
    if "accessibility" in tables:
        cov = tables["accessibility"]
        piv = cov.pivot_table(index=["category", "threshold_min"], columns="urban_class", values="share")
        parts.append(f"<h2>{t('Coverage: share of people within each threshold')}</h2>" + _table(piv.reset_index(), index=False))
    if "accessibility_summary" in tables:
        parts.append(f"<h3>{t('Per category')}</h3>" + _table(tables["accessibility_summary"]))
    if "autocorrelation" in tables:
        parts.append(f"<h2>{t('Global spatial autocorrelation')}</h2>" + _table(tables["autocorrelation"]))
    if "integration_index" in units.columns:
        cols = [c for c in ("name", "integration_index", "ccd_D", "ccd_label") if c in units.columns]
        ranked = units[cols].sort_values("integration_index", ascending=False)
        parts.append(f"<h2>{t('Integration index')}</h2><h3>{t('Top 10 units')}</h3>" + _table(ranked.head(10)) +
                     f"<h3>{t('Bottom 10 units')}</h3>" + _table(ranked.tail(10)))
    if "integration" in tables:
        parts.append(f"<h3>{t('Entropy weights')}</h3>" + _table(tables["integration"]))
    if "integration_ccd" in tables:
        parts.append(f"<h2>{t('Coupling coordination classes')}</h2>" + _table(tables["integration_ccd"]))
    if "integration_theil" in tables:
        parts.append(f"<h2>{t('Theil decomposition')}</h2>" + _table(tables["integration_theil"], index=False))
    pngs = sorted((folder / "maps").glob("*.png"))
    if pngs:
        parts.append(f"<h2>{t('Maps')}</h2>")
        for p in pngs:
            uri = "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode()
            html_map = p.with_suffix(".html")
            link = f' (<a href="maps/{href_path(html_map.name)}">interactive</a>)' if html_map.exists() else ""
            parts.append(f"<figure><img src='{uri}' alt='{html_attr(p.stem)}'><figcaption>{_e(p.stem)}{link}"
                         "</figcaption></figure>")
    parts.append(f"<h2>{t('Outputs')}</h2><ul>")
    for o in run.get("outputs", []):
        parts.append(f"<li><a href='{href_path(o)}'>{_e(o)}</a></li>")
    parts.append(f"</ul><h2>{t('Variants')}</h2>" + "".join(f"<p><b>{_e(k)}</b>: {_e(v)}</p>"
                                                  for k, v in run.get("variants", {}).items()))
    parts.append("</body></html>")
    return "".join(parts)


def report_from_run(ctx: Any, run: dict[str, Any], path: str | Path) -> Path:
    """Write report.html for a pipeline run (``ctx`` is the pipeline's RunContext)."""
    path = Path(path)
    units = pd.DataFrame(ctx.units.drop(columns="geometry"))
    text = render_report(name=ctx.config.name, run=run, tables=ctx.tables, units=units, folder=ctx.tmp,
                         language=getattr(ctx.config, "language", "en"))
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return path
