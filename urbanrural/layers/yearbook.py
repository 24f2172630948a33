"""Statistical yearbook tables (统计年鉴) as they come: headers over two rows, units in the
headers, years as columns or rows, merged cells, footnotes and total rows.

:func:`read_yearbook` reads a CSV (UTF-8 with or without BOM, GB18030) or XLSX table
and returns a :class:`YearbookTable`: a numeric frame indexed by unit (and year), the
unit of each column, and a report of everything it dropped, repaired or could not join.

What it handles
---------------
- Title lines above the table (``表3-1 各区县主要指标``) and a unit line
  (``单位：万元``: the unit of every column without its own).
- One to four header rows, found automatically (the first row holding a number that is
  not a year starts the body) or given with ``header_rows=``.  Merged XLSX cells are
  filled from their top-left cell; in CSV, a group header (``人口`` over ``户籍``,
  ``常住``) is carried right over the columns below it.  The parts of a header become one
  name, joined with ``_`` (``人口_户籍``).
- Units in headers, split off into ``units_of``: ``GDP（亿元）``, ``城镇化率(%)``,
  ``常住人口 万人``, ``收入/元/人``, or a header row of units (``万元``, ``元/人``).
- Years as columns (``2019年``, ``2020``, ``2021年末``, ``2019年GDP``, ``GDP(2019年)``)
  or as rows (a ``年份``/``年度``/``year`` column); the frame is then long, indexed by
  (unit, year).  A single year in the title (``2020年各区县...``) dates a cross-section.
- Footnote rows (``注：...``, ``资料来源：...``, ``说明``) and total rows (``合计``,
  ``总计``, ``全市``, ``全县``, ``小计``...) dropped and counted.
- Numbers with thousands separators, full-width digits and placeholders (``—``, ``…``)
  read with :func:`~urbanrural.layers.numbers.parse_numeric`, counted per column.
- Codes that lost their leading zeros (``0101001`` saved by Excel as ``101001``),
  restored when ``units`` has zero-padded codes of one width (``zfill="auto"``).
- With ``units``, a join report: matched and unmatched ids; when the table has no id
  column (or its ids match too few units), names are matched instead, with or without
  suffixes (通川 / 通川区), as :func:`urbanrural.layers.china.boundaries` does.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "gdp.csv").write_text(
...     "表1 各区县地区生产总值\\n,,单位：亿元\\n地区,2019年,2020年\\n通川区,\\"1,011.5\\",1052.3\\n"
...     "达川区,498.2,—\\n合计,1509.7,1052.3\\n注：2020年为初步核算数。\\n", encoding="utf-8")
>>> t = read_yearbook(d / "gdp.csv")
>>> t.frame
                  地区生产总值
unit year
通川区  2019        1011.5
     2020        1052.3
达川区  2019         498.2
     2020           NaN
>>> t.units_of, t.report["totals_dropped"], t.report["footnotes_dropped"]
({'地区生产总值': '亿元'}, 1, 1)
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

import numpy as np
import pandas as pd

from ..geo.checks import CheckLog, get_log
from ..geo.errors import DataError, IdError, InputFileError, JoinError, UnknownNameError
from ..geo.io import require_file
from ..geo.validate import preview
from .numbers import _cell as _numeric_cell
from .numbers import describe_counts, parse_numeric

__all__ = ["read_yearbook", "YearbookTable", "split_unit", "restore_zeros"]

PathLike = str | os.PathLike

_SPACE = re.compile(r"[\s\u3000\u00a0]+")
_YEAR = re.compile(r"^((?:19|20)\d{2})\s*(?:年(?:末|底|度|初|中)?)?(?:数据|数)?$")
_YEAR_PREFIX = re.compile(r"^((?:19|20)\d{2})\s*年(?:末|底|度)?\s*(?=\S)")
_YEAR_SUFFIX = re.compile(r"(?<=\S)[\s_]*((?:19|20)\d{2})\s*年?(?:末|底|度)?$")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_BASE = ("吨标准煤|标准煤|平方公里|平方千米|平方米|立方米|千瓦时|千瓦|公顷|公里|千米|公斤|千克|人次|小时|分钟|"
         "元|人|户|个|所|张|吨|亩|米|辆|台|床|家|座|项|件|次|天|册|岁|年|km²|km2|m²|m2|kg|kwh|ha|t")
_ONE = rf"(?:[万亿千百十]?(?:{_BASE}))"
_UNIT = re.compile(rf"^(?:{_ONE}(?:/{_ONE})?|%|‰|个百分点|百分比|倍)$", re.IGNORECASE)
_PAREN = re.compile(r"^(.*?)\s*[（(]\s*(?:单位\s*[：:]\s*)?([^（）()]+?)\s*[)）]\s*$")
_TRAIL = re.compile(rf"^(.+?)\s*(?:[\s/／]+\s*({_ONE}(?:/{_ONE})?)|(%|‰))$", re.IGNORECASE)
_UNIT_LINE = re.compile(r"单位\s*[：:]\s*(\S+)")
_FOOTNOTE = re.compile(r"^(?:注|说明|备注|附注|资料来源|数据来源|来源)\s*(?:[:：\d①-⑩、.．]|$)")
_TOTAL = re.compile(r"^(?:合计|总计|共计|小计|全(?:国|省|市|县|区|旗|盟|州|镇|乡)(?:合计|总计)?|"
                    r"(?:全市|全县|全区)?(?:合计|总计))$")
_YEAR_COLUMN = {"年份", "年度", "年", "year", "时间", "统计年度", "年份年", "年代"}
_ID_HEADER = re.compile(r"(代码|编码|编号|区划码|^code$|^adcode$|^id$|^geoid$)", re.IGNORECASE)
_NAME_HEADER = re.compile(r"(地区|区县|县市区|县（市、区）|县\(市、区\)|乡镇|街道|单位名称|名称|地名|行政区|"
                          r"村|区域|市州|城市|省份|^name$|^region$|^county$)", re.IGNORECASE)
_MARKS = "*＊#①②③④⑤⑥⑦⑧⑨⑩†‡ "
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")  # 宣 汉 -> 宣汉 (names padded to width)


@dataclass(frozen=True)
class YearbookTable:
    """A yearbook table read by :func:`read_yearbook`.

    Attributes
    ----------
    frame : DataFrame
        Indicator columns (float; text columns kept as text).  Indexed by ``(unit, year)``
        when the table has years, else by ``unit``.  ``unit`` is the unit id (the units'
        id after a join, else the table's code, else its name), as text.
    units_of : dict
        Column -> unit text (``"万元"``) for the columns that state one.
    report : dict
        What was read, dropped and repaired: ``header_rows``, ``layout`` (``"wide"``,
        ``"long"`` or ``"cross-section"``), ``years``, ``title``, ``totals_dropped`` and
        ``totals`` (labels), ``footnotes_dropped`` and ``footnotes``, ``ids_restored``,
        ``numbers`` (per column counts), ``text_columns`` and, with units, ``join``
        (``matched_by``, ``matched``, ``unmatched_rows``, ``units_without_row``).
    names : Series
        The table's name of each unit (its label column), on the unit index.
    """

    frame: pd.DataFrame
    units_of: dict[str, str]
    report: dict = field(default_factory=dict)
    names: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))

    @property
    def years(self) -> tuple[int, ...]:
        """The years the table holds (empty for an undated cross-section)."""
        return tuple(self.report.get("years", ()))

    def at_year(self, year: int | str) -> pd.DataFrame:
        """The frame of one year, indexed by unit.

        Raises DataError naming the years the table holds, or saying that it has none.
        """
        y = _as_year(year)
        if y is None:
            raise DataError(f"year={year!r} is not a year (1900-2099)")
        name = self.report.get("file", "the table")
        if not self.years:
            raise DataError(
                f"{name}: no year found (no header such as 2019, 2019年 or 2021年末, no 年份/year column, "
                f"no year in the title), so year={year!r} cannot be picked; drop year= to read it as one "
                "cross-section")
        if y not in self.years:
            raise DataError(f"{name} has no year {y}; its years are {', '.join(map(str, self.years))}")
        if isinstance(self.frame.index, pd.MultiIndex):
            return self.frame.xs(y, level="year")
        return self.frame


def _as_year(value: object) -> int | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and float(value).is_integer()):
        v = int(value)
        return v if 1900 <= v <= 2099 else None
    if isinstance(value, str):
        m = _YEAR.match(_SPACE.sub("", value))
        return int(m.group(1)) if m else None
    return None


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        text = value.strip().strip("\u3000\u00a0").strip()
        return text or None
    return value


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_number(value: object) -> bool:
    """A cell parse_numeric reads as a number (not a placeholder, not text)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    return _numeric_cell(value)[0] in ("number", "separated")


def split_unit(header: str) -> tuple[str, str | None]:
    """A header without its unit, and the unit: ``"GDP（亿元）"`` -> ``("GDP", "亿元")``.

    Examples
    --------
    >>> [split_unit(h) for h in ["GDP（亿元）", "城镇化率(%)", "常住人口 万人", "收入/元/人", "面积"]]
    [('GDP', '亿元'), ('城镇化率', '%'), ('常住人口', '万人'), ('收入', '元/人'), ('面积', None)]
    """
    text = str(header).strip()
    m = _PAREN.match(text)
    if m and _UNIT.match(m.group(2).strip()):
        return m.group(1).strip(), m.group(2).strip()
    m = _TRAIL.match(text)
    if m:
        return m.group(1).strip(), (m.group(2) or m.group(3)).strip()
    return text, None


def restore_zeros(ids: pd.Index, unit_ids: Iterable[object], *, zfill: bool | str = "auto") -> tuple[pd.Index, int]:
    """Pad ids that lost their leading zeros to the width of the units' codes.

    ``zfill=True`` pads every id to the units' (longest) width; ``"auto"`` pads only when
    the units' codes are digits of one width and padding matches more units than not;
    ``False`` never pads.  Returns the ids and the number changed.

    Examples
    --------
    >>> ids, n = restore_zeros(pd.Index(["101001", "1101004"]), ["0101001", "1101004"])
    >>> ids.tolist(), n
    (['0101001', '1101004'], 1)
    """
    ids = pd.Index([str(i) for i in ids], dtype=object)
    units = pd.Index([str(u) for u in unit_ids], dtype=object)
    if zfill is False or not len(units):
        return ids, 0
    width = int(units.str.len().max())
    padded = pd.Index(ids.str.zfill(width), dtype=object)
    if zfill == "auto":
        one_width = bool(units.str.fullmatch(r"\d+").all()) and units.str.len().nunique() == 1
        digits = ids.str.fullmatch(r"\d+")
        if not one_width or not digits.all() or padded.isin(units).sum() <= ids.isin(units).sum():
            return ids, 0
    n = int((padded != ids).sum())
    return padded, n


def _read_grid(p: Path, *, sheet: str | int | None, encoding: str | None, log: CheckLog) -> list[list[object]]:
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(p, data_only=True)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise InputFileError(f"{p.name} cannot be read as a spreadsheet ({exc}); is it complete and saved as .xlsx?") from exc
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(wb.worksheets):
                raise InputFileError(f"{p.name} has {len(wb.worksheets)} sheet(s); sheet={sheet} does not exist")
            ws = wb.worksheets[sheet]
        else:
            if sheet not in wb.sheetnames:
                raise InputFileError(f"{p.name} has no sheet {sheet!r}; its sheets are: {', '.join(wb.sheetnames)}")
            ws = wb[sheet]
        grid = [[c.value for c in row] for row in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row,
                                                                 max_col=ws.max_column)]
        filled = 0
        for rng in ws.merged_cells.ranges:
            top = grid[rng.min_row - 1][rng.min_col - 1]
            if not isinstance(top, str) and not (_as_year(top) is not None and rng.min_row == rng.max_row):
                continue  # merged numbers stay in their first cell only (a year over columns spreads)
            for r in range(rng.min_row - 1, rng.max_row):
                for c in range(rng.min_col - 1, rng.max_col):
                    if grid[r][c] is None:
                        grid[r][c] = top
                        filled += 1
        if filled:
            log.add(p.name, "merged cells", "info", count=filled, detail="filled from the merged range's first cell")
        return grid
    if suffix == ".xls":
        try:
            return pd.read_excel(p, sheet_name=sheet or 0, header=None, dtype=object).to_numpy().tolist()
        except (ValueError, ImportError, OSError) as exc:
            raise InputFileError(f"{p.name} cannot be read as a spreadsheet ({exc}); save it as .xlsx") from exc
    raw = p.read_bytes()
    if not raw.strip():
        raise InputFileError(f"{p.name} is empty; check the path")
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in tried:
        try:
            text = raw.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            if isinstance(exc, LookupError):
                raise InputFileError(f"{p.name}: unknown text encoding {encoding!r}; use utf-8 or gb18030") from None
            continue
        if enc == "gb18030":
            log.add(p.name, "encoding", "info", detail="not UTF-8; read as GB18030")
        delimiter = "\t" if suffix == ".tsv" else ","
        return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    raise InputFileError(f"{p.name} is neither UTF-8 nor GB18030 text; save it as UTF-8 (Excel: Save As > CSV UTF-8)")


def _is_data_row(row: list[object]) -> bool:
    """A body row holds a number that is not a year (codes count: they are numbers)."""
    return any(v is not None and _is_number(v) and _as_year(v) is None for v in row)


def _header_names(header: list[list[object]], *, default_unit: str | None, indicator: str,
                  use_years: bool) -> tuple[list[str], list[int | None], dict[str, str]]:
    """One name, year and unit per column from the header rows."""
    rows = [list(r) for r in header]
    n_rows, n_cols = len(rows), len(rows[0]) if rows else 0
    # carry a group header right over the columns below it (CSV exports of merged cells)
    for r in range(n_rows - 1):
        for c in range(1, n_cols):
            if rows[r][c] is None and rows[r][c - 1] is not None and rows[r + 1][c - 1] is not None \
                    and rows[r + 1][c] is not None:
                rows[r][c] = rows[r][c - 1]
    names, years, units = [], [], {}
    for c in range(n_cols):
        parts: list[str] = []
        year: int | None = None
        unit: str | None = None
        for r in range(n_rows):
            v = rows[r][c]
            if v is None:
                continue
            text = _SPACE.sub(" ", _text(v)).strip()
            if use_years and _as_year(v) is not None:
                year = _as_year(v)
                continue
            if use_years:
                m = _YEAR_PREFIX.match(text) or _YEAR_SUFFIX.search(text)
                if m:
                    year = int(m.group(1))
                    text = (text[m.end():] if m.start() == 0 else text[: m.start()]).strip()
                pm = _PAREN.match(text)
                if pm and _as_year(pm.group(2)) is not None:
                    year, text = _as_year(pm.group(2)), pm.group(1).strip()
            unit_line = _UNIT_LINE.fullmatch(text)
            if unit_line or _UNIT.match(text.strip("()（）")):
                unit = (unit_line.group(1) if unit_line else text.strip("()（）"))
                continue
            text, u = split_unit(text)
            unit = u or unit
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        name = "_".join(parts) if parts else (indicator if year is not None else f"column_{c + 1}")
        names.append(name.replace(" ", ""))
        years.append(year)
        if unit is None and year is not None or unit is None and parts and default_unit:
            unit = default_unit
        if unit is not None:
            units[names[-1]] = unit
    return names, years, units


def _label(value: object) -> str | None:
    if value is None:
        return None
    text = _CJK_GAP.sub("", _SPACE.sub(" ", _text(value))).strip(_MARKS)
    text = re.sub(r"^其中[:：]", "", text)
    return text or None


def _column(names: list[str], given: str | None, pattern: re.Pattern[str], *, role: str, name: str,
            raw: list[str]) -> int | None:
    if given is not None:
        for i, (n, r) in enumerate(zip(names, raw, strict=True)):
            if given in (n, r) or _SPACE.sub("", given) in (n, _SPACE.sub("", r)):
                return i
        close = get_close_matches(given, names, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputFileError(f"{name} has no column {given!r} for the {role}{hint}; its columns are: "
                             + ", ".join(map(repr, names)))
    for i, n in enumerate(names):
        if pattern.search(n):
            return i
    return None


def read_yearbook(path: PathLike, *, id_col: str | None = None, name_col: str | None = None,
                  sheet: str | int | None = None, header_rows: int | str = "auto",
                  years: str | None = "auto", year: int | str | None = None,
                  units: pd.DataFrame | pd.Index | Iterable[object] | None = None,
                  zfill: bool | str = "auto", min_match: float = 0.5, encoding: str | None = None,
                  log: CheckLog | None = None) -> YearbookTable:
    """Read a statistical yearbook table (CSV/XLSX) into a :class:`YearbookTable`.

    Parameters
    ----------
    path : path-like
        CSV/TSV (UTF-8 with or without BOM, GB18030) or XLSX (merged cells understood).
    id_col, name_col : str, optional
        The unit code and unit name columns (header text, units and years removed);
        default detected (``代码``/``code``...; ``地区``/``区县``/``乡镇``/``name``...).
    sheet : str or int, optional
        Sheet of an XLSX; default the first.
    header_rows : int or "auto"
        Number of header rows below the title lines.
    years : {"auto", "columns", "rows"}, str or None
        Where the years are: found automatically, required as columns (wide), required
        as a year column (long), the name of the year column, or None to ignore years.
    year : int, optional
        Keep one year: the frame is then indexed by unit only.
    units : GeoDataFrame, Index or iterable, optional
        Units to join to (their index, or the ids; a ``name`` column enables matching by
        name).  Rows matching no unit are dropped and listed in ``report["join"]``.
    zfill : {"auto", True, False}
        Restore leading zeros lost by the table's codes (see :func:`restore_zeros`).
    min_match : float
        With ``units``, the share of units that must match (else JoinError).
    encoding : str, optional
        Text encoding of a CSV (default UTF-8, then GB18030).
    log : CheckLog, optional
        Receives every count (footnotes, totals, placeholders, restored zeros, join).

    Returns
    -------
    YearbookTable

    Raises
    ------
    InputFileError
        Empty file, no header row or no data row, unknown id/name/year column or sheet.
    DataError
        Years asked for and not found (``years="columns"``, ``year=``), unknown year.
    IdError
        Duplicated units (per year), units without id or name.
    JoinError
        Fewer than ``min_match`` of ``units`` matched; a name matching several units.
    """
    log = get_log(log)
    p = require_file(path, what="yearbook table")
    if p.is_dir():
        raise InputFileError(f"{p} is a folder, not a table; give the path of the file itself")
    name = p.name
    grid = [[_cell(v) for v in row] for row in _read_grid(p, sheet=sheet, encoding=encoding, log=log)]
    width = max((len(r) for r in grid), default=0)
    rows = [(i + 1, r + [None] * (width - len(r))) for i, r in enumerate(grid)]
    rows = [(i, r) for i, r in rows if any(v is not None for v in r)]
    if not rows:
        raise InputFileError(f"{name} is empty (no cell holds anything); check the path and the sheet")
    keep_cols = [c for c in range(width) if any(r[c] is not None for _, r in rows)]
    rows = [(i, [r[c] for c in keep_cols]) for i, r in rows]
    report: dict = {"file": name}

    # title and unit lines: one text in the row (merged cells repeat it), above the table
    title, default_unit = None, None
    while rows and len(rows[0][1]) >= 2 and len({_text(v) for v in rows[0][1] if v is not None}) <= 1 \
            and not _is_data_row(rows[0][1]):
        text = _text(next(v for v in rows[0][1] if v is not None))
        unit_line = _UNIT_LINE.search(text)
        if unit_line:
            default_unit = unit_line.group(1).strip("()（）")
        elif title is None:
            title = text
        rows = rows[1:]
    report.update(title=title, default_unit=default_unit)

    # header rows
    if header_rows == "auto":
        n_header = next((k for k, (_, r) in enumerate(rows) if _is_data_row(r)), None)
        if n_header is None:
            raise InputFileError(f"{name}: no row holds a number, so no table body was found; check the sheet "
                                 "(sheet=) or give header_rows=")
        if n_header == 0:
            raise InputFileError(f"{name}: the first row (file row {rows[0][0]}) already holds numbers, so the "
                                 "table has no header; add a header row naming the columns")
        if n_header > 4:
            raise InputFileError(f"{name}: {n_header} rows before the first row of numbers (file rows "
                                 f"{rows[0][0]}-{rows[n_header - 1][0]}); give header_rows= (the number of "
                                 "header rows below the title)")
    else:
        if isinstance(header_rows, bool) or not isinstance(header_rows, int) or header_rows < 1:
            raise UnknownNameError(f"header_rows={header_rows!r} must be 'auto' or a whole number >= 1")
        n_header = header_rows
        if n_header >= len(rows):
            raise InputFileError(f"{name}: header_rows={n_header} leaves no row for the body ({len(rows)} rows)")
    header = [r for _, r in rows[:n_header]]
    body = rows[n_header:]
    report["header_rows"] = n_header
    use_years = years is not None
    title_core = re.sub(r"^(表\s*[\d\-－—.]+\s*)", "", title or "")
    title_core = re.sub(r"^((?:19|20)\d{2}\s*年)?\s*(各|全)?(省|市|县|区|乡镇|区县|县区|县市区)*(主要)?", "", title_core)
    indicator = title_core.strip() or "value"
    col_names, col_years, units_of = _header_names(header, default_unit=default_unit, indicator=indicator,
                                                   use_years=use_years)
    raw_names = ["_".join(_text(h[c]) for h in header if h[c] is not None) for c in range(len(col_names))]

    # id, name and year columns
    i_id = _column(col_names, id_col, _ID_HEADER, role="unit id", name=name, raw=raw_names)
    i_name = _column(col_names, name_col, _NAME_HEADER, role="unit name", name=name, raw=raw_names)
    if i_name is None and name_col is None:
        texty = [c for c in range(len(col_names)) if c != i_id and col_years[c] is None
                 and sum(isinstance(r[c], str) and not _is_number(r[c]) for _, r in body) > len(body) / 2]
        i_name = texty[0] if texty else None
    if i_id is None and i_name is None:
        raise InputFileError(f"{name}: no unit id or name column found (columns: {', '.join(map(repr, col_names))}); "
                             "name them with id_col= or name_col=")
    i_year = None
    if years not in (None, "auto", "columns", "rows"):
        i_year = _column(col_names, str(years), re.compile("$^"), role="year", name=name, raw=raw_names)
    elif years in ("auto", "rows"):
        for c, n in enumerate(col_names):
            if c not in (i_id, i_name) and n.lower() in _YEAR_COLUMN:
                i_year = c
                break
    wide_years = sorted({y for c, y in enumerate(col_years) if y is not None and c not in (i_id, i_name)})
    if years == "rows" and i_year is None:
        raise DataError(f"{name}: years='rows' but no year column (年份, 年度, year) among {col_names}")
    if years == "columns" and not wide_years:
        raise DataError(f"{name}: years='columns' but no header holds a year (2019, 2019年, 2021年末)")
    if i_year is not None and wide_years:
        raise DataError(f"{name}: years both in a column ({col_names[i_year]!r}) and in headers ({wide_years}); "
                        "pass years= to say which")

    # body rows: footnotes, totals, empty section rows
    footnotes, totals, sections, records = [], [], [], []
    in_notes = False
    value_cols = [c for c in range(len(col_names)) if c not in (i_id, i_name, i_year)]
    for file_row, r in body:
        first = next(_text(v) for v in r if v is not None)
        filled = [v for v in r if v is not None]
        if _FOOTNOTE.match(first.lstrip(_MARKS)) or (in_notes and len(filled) == 1):
            footnotes.append(first)
            in_notes = True
            continue
        label = _label(r[i_name]) if i_name is not None else None
        code = _label(r[i_id]) if i_id is not None else None
        if (label and _TOTAL.match(label)) or (code and _TOTAL.match(code)):
            totals.append(label or code)
            continue
        if code is None and all(r[c] is None for c in value_cols):
            sections.append(label or first)
            continue
        if code is None and label is None:
            raise IdError(f"{name}: file row {file_row} has values but no unit id or name; fill it or delete the row")
        records.append((file_row, code, label, r))
    if not records:
        raise InputFileError(f"{name}: no unit rows left after dropping {len(totals)} total and "
                             f"{len(footnotes)} footnote rows")
    for what, items, detail in (("footnote rows", footnotes, "notes and sources below the table"),
                                ("total rows", totals, "totals are not units"),
                                ("section rows", sections, "labels without values (headings inside the table)")):
        if items:
            log.add(name, what, "dropped", count=len(items), detail=f"{detail}: {preview(items)}")
    report.update(footnotes_dropped=len(footnotes), footnotes=footnotes, totals_dropped=len(totals),
                  totals=totals, section_rows_dropped=len(sections))

    # values
    labels = pd.Series([lab for _, _, lab, _ in records], dtype=object)
    codes = pd.Series([c for _, c, _, _ in records], dtype=object)
    numbers: dict[str, dict] = {}
    text_columns: list[str] = []
    values: dict[int, pd.Series] = {}
    for c in value_cols:
        col = pd.Series([r[c] for _, _, _, r in records], dtype=object)
        label = f"{name}: {col_names[c]}" + (f" ({col_years[c]})" if col_years[c] else "")
        try:
            parsed, counts = parse_numeric(col, name=label)
        except DataError as exc:
            if col.map(lambda v: v is not None and _is_number(v)).sum() > len(col) / 2:
                raise
            values[c] = col
            text_columns.append(col_names[c])
            log.add(name, f"column {col_names[c]!r}", "info", detail=f"kept as text ({str(exc)[:80]})")
            continue
        values[c] = parsed
        changed = counts["reformatted"] + sum(counts["placeholders"].values())
        if changed:
            numbers[col_names[c] + (f"@{col_years[c]}" if col_years[c] else "")] = counts
            log.add(name, f"column {label.split(': ', 1)[1]!r}", "repaired", count=changed,
                    detail=f"read as numbers: {describe_counts(counts)}")
    report.update(numbers=numbers, text_columns=sorted(set(text_columns)))

    # unit ids: codes as text, zeros restored; names matched to units when there is no code
    unit_ids, unit_names = _units(units)
    ids = pd.Index(codes.where(codes.notna(), labels).astype(object))
    n_restored = 0
    if i_id is not None and unit_ids is not None:
        ids, n_restored = restore_zeros(ids, unit_ids, zfill=zfill)
        if n_restored:
            log.add(name, "ids", "repaired", count=n_restored,
                    detail=f"leading zeros restored (padded to {len(str(unit_ids[0]))} digits as the units' codes)")
    elif i_id is not None:
        lengths = pd.Index(ids.astype(str)).str.len()
        if pd.Index(ids.astype(str)).str.fullmatch(r"\d+").all() and lengths.nunique() > 1:
            log.add(name, "ids", "warning", count=int((lengths < lengths.max()).sum()),
                    detail="codes of different lengths: leading zeros may have been lost; pass units= to restore them")
    report["ids_restored"] = n_restored
    if unit_ids is not None:
        ids = _join(ids, labels, has_code=i_id is not None, unit_ids=unit_ids, unit_names=unit_names,
                    min_match=min_match, name=name, report=report, log=log)

    # the frame: long (unit, year), or by unit
    keep = pd.Series([i is not None for i in ids])
    ids_kept = pd.Index([i for i in ids if i is not None], name="unit", dtype=object)
    rows_kept = np.flatnonzero(keep.to_numpy())
    names_s = pd.Series(labels.to_numpy()[rows_kept], index=ids_kept, name="name")
    if wide_years:
        parts = []
        for y in wide_years:
            cols = {col_names[c]: values[c].to_numpy()[rows_kept] for c in value_cols if col_years[c] in (y, None)}
            parts.append(pd.DataFrame(cols, index=ids_kept).assign(year=y))
        frame = pd.concat(parts).set_index("year", append=True)
        frame = frame.sort_index(level=0, sort_remaining=True, kind="stable")
        frame = frame.reindex(pd.MultiIndex.from_tuples(
            [(u, y) for u in dict.fromkeys(ids_kept) for y in wide_years], names=["unit", "year"]))
        layout = "wide"
    elif i_year is not None:
        yv = [_as_year(r[i_year]) for _, _, _, r in records]
        bad = [(records[k][0], records[k][3][i_year]) for k in range(len(records)) if yv[k] is None]
        if bad:
            raise DataError(f"{name}: {len(bad)} value(s) of the year column {col_names[i_year]!r} are not years "
                            f"(file rows {preview([b[0] for b in bad])}: {preview([b[1] for b in bad])})")
        frame = pd.DataFrame({col_names[c]: values[c].to_numpy()[rows_kept] for c in value_cols},
                             index=pd.MultiIndex.from_arrays([ids_kept, np.asarray(yv)[rows_kept].astype(int)],
                                                             names=["unit", "year"]))
        layout = "long"
    else:
        frame = pd.DataFrame({col_names[c]: values[c].to_numpy()[rows_kept] for c in value_cols}, index=ids_kept)
        layout = "cross-section"
    report["layout"] = layout
    dup = frame.index.duplicated(keep=False)
    if dup.any():
        what = "unit and year" if isinstance(frame.index, pd.MultiIndex) else "unit"
        shown = preview([str(k) for k in frame.index[dup].unique()])
        raise IdError(f"{name}: {int(frame.index[dup].nunique())} duplicated {what} row(s) ({shown}); each unit "
                      f"must appear once{' per year' if isinstance(frame.index, pd.MultiIndex) else ''}: "
                      "delete the repeated rows (or give id_col= if names repeat across parents)")
    if frame.columns.duplicated().any():
        dups = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise InputFileError(f"{name}: several columns are named {dups} after units and years were split off; "
                             "rename them in the header")
    years_found = wide_years or (sorted(frame.index.get_level_values("year").unique()) if layout == "long" else [])
    if not years_found and use_years and title:
        in_title = sorted({int(y) for y in _TITLE_YEAR.findall(title)})
        if len(in_title) == 1:
            years_found = in_title
            frame = frame.assign(year=in_title[0]).set_index("year", append=True)
            report["year_from_title"] = in_title[0]
    report["years"] = [int(y) for y in years_found]
    if names_s.index.has_duplicates:
        names_s = names_s[~names_s.index.duplicated()]
    units_of = {k: v for k, v in units_of.items() if k in frame.columns}
    log.add(name, "yearbook read", "ok", count=len(frame),
            detail=f"{layout}, {len(frame.columns)} column(s), years {report['years'] or 'none'}")
    table = YearbookTable(frame=frame, units_of=units_of, report=report, names=names_s)
    if year is not None:
        return YearbookTable(frame=table.at_year(year), units_of=units_of, report={**report, "year": _as_year(year)},
                             names=names_s)
    return table


def _units(units: object) -> tuple[pd.Index | None, pd.Series | None]:
    if units is None:
        return None, None
    if isinstance(units, pd.DataFrame):
        ids = pd.Index(units.index.astype(str))
        names = units["name"].astype(object) if "name" in units.columns else None
        return ids, (pd.Series(names.to_numpy(), index=ids) if names is not None else None)
    return pd.Index([str(u) for u in units]), None


def _join(ids: pd.Index, labels: pd.Series, *, has_code: bool, unit_ids: pd.Index, unit_names: pd.Series | None,
          min_match: float, name: str, report: dict, log: CheckLog) -> list[str | None]:
    """Table rows -> unit ids (None where no unit matches), by code, else by name."""
    from .china import strip_suffix

    out: list[str | None] = [str(i) if has_code and str(i) in set(unit_ids) else None for i in ids]
    rate = len({o for o in out if o is not None}) / len(unit_ids) if len(unit_ids) else 0.0
    matched_by = "id" if has_code else "name"
    if (not has_code or rate < min_match) and unit_names is not None:
        exact: dict[str, list[str]] = {}
        loose: dict[str, list[str]] = {}
        for uid, uname in unit_names.items():
            if uname is None or (isinstance(uname, float) and np.isnan(uname)):
                continue
            key = _label(uname) or ""
            exact.setdefault(key, []).append(uid)
            loose.setdefault(strip_suffix(key), []).append(uid)
        by_name: list[str | None] = []
        for lab in labels:
            if lab is None:
                by_name.append(None)
                continue
            hits = exact.get(lab) or loose.get(strip_suffix(lab)) or []
            if len(hits) > 1:
                raise JoinError(f"{name}: the name {lab!r} matches {len(hits)} units ({preview(hits)}); "
                                "give the table a code column (id_col=) to tell them apart")
            by_name.append(hits[0] if hits else None)
        n_name = len({b for b in by_name if b is not None})
        if n_name / max(len(unit_ids), 1) > rate:
            out = [o if o is not None else b for o, b in zip(out, by_name, strict=True)] if has_code else by_name
            matched_by = "id+name" if has_code and rate > 0 else "name"
            rate = len({o for o in out if o is not None}) / len(unit_ids)
    unmatched_rows = [str(lab if lab is not None else i) for i, lab, o in zip(ids, labels, out, strict=True)
                      if o is None]
    matched_set = {o for o in out if o is not None}
    without = [u for u in unit_ids if u not in matched_set]
    report["join"] = {"matched_by": matched_by, "matched": len(matched_set), "units": len(unit_ids),
                      "unmatched_rows": unmatched_rows, "units_without_row": without}
    if rate < min_match:
        hint = ("; the table has no code column: give the units a 'name' column to match by name"
                if not has_code and unit_names is None else "; check that the codes are the same (id_col=)")
        raise JoinError(f"{name}: only {len(matched_set)} of {len(unit_ids)} units ({rate:.0%}) have a row "
                        f"(units without: {preview(without)}; table rows: {preview(unmatched_rows or list(ids))})"
                        f"{hint}")
    if unmatched_rows:
        log.add(name, "join to units", "dropped", count=len(unmatched_rows),
                detail=f"rows matching no unit: {preview(unmatched_rows)}")
    if without:
        log.add(name, "join to units", "warning", count=len(without), detail=f"units without a row: {preview(without)}")
    if matched_by != "id":
        log.add(name, "join to units", "info", count=len(matched_set), detail=f"matched by {matched_by}")
    return out
