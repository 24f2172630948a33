"""Numbers as people type them in statistical tables: ``43,228``, ``１２３４``, ``—``.

Yearbook and spreadsheet exports write numbers with thousands separators, full-width
digits, a leading ``+`` and placeholders for "no data".  :func:`parse_numeric` reads
them all, counts what it did per kind, and refuses anything else naming the cells.

Rules (decided once, for every table)
-------------------------------------
- Thousands separators: ``,`` (also full-width ``，``), a space (also no-break, thin
  and ideographic spaces) and an apostrophe (``1'234``, Swiss style).  Groups must have
  exactly three digits (``1,234,567.5``), so ``1,5`` is *not* read as 1.5: a decimal
  comma is ambiguous with a thousands separator and is refused, never guessed.
- Full-width digits, signs, separators and the decimal point (``１２３４．５``) are
  read like their ASCII forms (Unicode NFKC); a leading ``+`` is dropped; the minus
  sign ``−`` (U+2212) is read as ``-``.
- Percent: ``45.2%`` is read as ``45.2`` (percentage points, as the table shows it).
  A column where some numbers carry ``%`` and others do not is refused as ambiguous.
- Placeholders ``—``, ``–``, ``-``, ``－``, ``−``, ``…``, ``...``, ``/``, ``N/A``,
  ``NA``, ``null``, ``nan`` (any case) and empty or blank cells are missing (NaN),
  counted per kind.
- Anything else (``abc``, ``1.2.3``, ``1,5``, ``(12)``) raises DataError naming up to
  five cells.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import numpy as np
import pandas as pd

from ..geo.errors import DataError

__all__ = ["parse_numeric", "classify_numeric", "describe_counts", "PLACEHOLDERS"]

PLACEHOLDERS: frozenset[str] = frozenset({
    "—", "–", "-", "－", "−", "…", "...", "/", "n/a", "na", "null", "nan", "none",
})
"""Cell texts (compared after stripping, case-insensitive) that mean "no value"."""

_SPACES = "\u00a0\u2009\u202f\u2007\u3000\u2002\u2003\u2004\u2005\u2006\u2008\u200a"
_APOSTROPHES = "'\u2019"
_PLAIN = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_GROUPED = {
    ",": re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$"),
    " ": re.compile(r"^\d{1,3}(?: \d{3})+(?:\.\d+)?$"),
    "'": re.compile(r"^\d{1,3}(?:'\d{3})+(?:\.\d+)?$"),
}

# kinds a cell can be
NUMBER, SEPARATED, PLACEHOLDER, EMPTY, TEXT = "number", "separated", "placeholder", "empty", "text"


@lru_cache(maxsize=65536)
def _parse_text(text: str) -> tuple[str, float, frozenset[str]]:
    """(kind, value, flags) of one cell's text; flags from {'full_width', 'plus', 'percent'}."""
    flags: set[str] = set()
    raw = text.strip()
    if raw == "" or raw.strip(_SPACES) == "":
        return EMPTY, math.nan, frozenset()
    norm = _fold_full_width(raw)
    if norm != raw:
        flags.add("full_width")
    for ch in _SPACES:
        norm = norm.replace(ch, " ")
    for ch in _APOSTROPHES:
        norm = norm.replace(ch, "'")
    norm = norm.replace("\u2212", "-").strip()
    if raw.lower() in PLACEHOLDERS or norm.lower() in PLACEHOLDERS:
        return PLACEHOLDER, math.nan, frozenset(flags)
    sign = 1.0
    if norm[:1] in "+-":
        if norm[0] == "+":
            flags.add("plus")
        else:
            sign = -1.0
        norm = norm[1:].lstrip()
    if norm.endswith("%"):
        flags.add("percent")
        norm = norm[:-1].rstrip()
    if not norm:
        return TEXT, math.nan, frozenset(flags)
    if _PLAIN.match(norm):
        value = sign * float(norm)
        return (NUMBER, value, frozenset(flags)) if math.isfinite(value) else (TEXT, math.nan, frozenset(flags))
    for sep, pattern in _GROUPED.items():
        if pattern.match(norm):
            return SEPARATED, sign * float(norm.replace(sep, "")), frozenset(flags)
    return TEXT, math.nan, frozenset(flags)


def _fold_full_width(text: str) -> str:
    """Full-width ASCII forms (U+FF01-FF5E) and the ideographic space to ASCII; nothing else
    (NFKC would also turn ``5²`` into ``52`` and ``①`` into ``1``)."""
    return "".join(chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else (" " if ch == "\u3000" else ch)
                   for ch in text)


def _cell(value: object) -> tuple[str, float, frozenset[str]]:
    if value is None or value is pd.NA or value is pd.NaT:
        return EMPTY, math.nan, frozenset()
    if isinstance(value, (bool, np.bool_)):
        return TEXT, math.nan, frozenset()
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if math.isnan(v):
            return EMPTY, v, frozenset()
        return (NUMBER, v, frozenset()) if math.isfinite(v) else (TEXT, math.nan, frozenset())
    return _parse_text(str(value))


def classify_numeric(values: pd.Series) -> pd.DataFrame:
    """Per cell: ``kind`` (number, separated, placeholder, empty, text), ``value``, ``text``.

    Never raises; :func:`parse_numeric` builds on it.  Aligned to ``values.index``.

    Examples
    --------
    >>> import pandas as pd
    >>> classify_numeric(pd.Series(["1,234", "—", "x"]))["kind"].tolist()
    ['separated', 'placeholder', 'text']
    """
    s = pd.Series(values)
    cells = [_cell(v) for v in s.to_numpy(dtype=object)]
    return pd.DataFrame({
        "kind": [c[0] for c in cells],
        "value": np.array([c[1] for c in cells], dtype=float),
        "flags": [c[2] for c in cells],
        "text": s.to_numpy(dtype=object),
    }, index=s.index)


def parse_numeric(values: pd.Series, *, name: str) -> tuple[pd.Series, dict]:
    """Parse a column of formatted numbers to float; placeholders become NaN.

    Parameters
    ----------
    values : Series
        The column as read (numbers, text, or a mix).  Not modified.
    name : str
        The input and column in messages, e.g. ``"ind.csv: income"``.

    Returns
    -------
    values : Series of float
        Aligned to ``values.index``, same name; placeholders and empty cells are NaN.
    counts : dict
        ``numbers`` (cells read as numbers), ``reformatted`` (of them, written other
        than as a plain ASCII number), ``separators`` (with thousands separators), ``full_width``, ``plus_sign``, ``percent``, ``empty`` (empty or
        blank cells) and ``placeholders`` (a dict: placeholder text -> count).

    Raises
    ------
    DataError
        When a cell is neither a number nor a placeholder (up to five cells named with
        their row id and value, and the count), or when some numbers carry ``%`` and
        others do not.

    Examples
    --------
    >>> import pandas as pd
    >>> v, n = parse_numeric(pd.Series(["43,228", "１２３４", "+5", "—", ""]), name="t: pop")
    >>> v.tolist()[:3], n["separators"], n["placeholders"]
    ([43228.0, 1234.0, 5.0], 1, {'—': 1})
    """
    s = pd.Series(values)
    col = s.name
    counts: dict = {"numbers": 0, "reformatted": 0, "separators": 0, "full_width": 0, "plus_sign": 0,
                    "percent": 0, "empty": 0, "placeholders": {}}
    numeric_dtype = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if numeric_dtype and not np.isinf(s.astype(float)).any():  # inf goes on to be refused as text
        out = s.astype(float)
        counts["numbers"] = int(out.notna().sum())
        counts["empty"] = int(out.isna().sum())
        return out, counts
    cls = classify_numeric(s)
    kind = cls["kind"]
    text = kind.eq(TEXT)
    if text.any():
        bad = cls.loc[text]
        where = f" column {str(col)!r}" if col is not None and str(col) not in name else ""
        shown = "; ".join(f"row {str(i)!r}{where}: {str(v)!r}" for i, v in zip(bad.index[:5], bad["text"][:5], strict=True))
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise DataError(
            f"{name}: {len(bad)} value(s) are not numbers ({shown}{more}); write plain numbers "
            "(thousands separators 1,234 and full-width digits are fine; a decimal comma is not) "
            "and leave missing values empty or '-'"
        )
    numeric = kind.isin([NUMBER, SEPARATED])
    pct = cls["flags"].map(lambda f: "percent" in f) & numeric
    if pct.any() and not pct[numeric].all():
        plain = cls.loc[numeric & ~pct]
        raise DataError(
            f"{name}: {int(pct.sum())} value(s) end in '%' and {len(plain)} do not (e.g. row "
            f"{str(plain.index[0])!r}: {str(plain['text'].iloc[0])!r}); write the column in one "
            "unit (all percent or all fractions)"
        )
    counts["numbers"] = int(numeric.sum())
    counts["separators"] = int(kind.eq(SEPARATED).sum())
    counts["full_width"] = int((cls["flags"].map(lambda f: "full_width" in f) & numeric).sum())
    counts["plus_sign"] = int((cls["flags"].map(lambda f: "plus" in f) & numeric).sum())
    counts["percent"] = int(pct.sum())
    counts["reformatted"] = int((numeric & (kind.eq(SEPARATED) | cls["flags"].map(bool))).sum())
    counts["empty"] = int(kind.eq(EMPTY).sum())
    ph = cls.loc[kind.eq(PLACEHOLDER), "text"].map(lambda t: str(t).strip())
    counts["placeholders"] = dict(Counter(ph.tolist()))
    out = pd.Series(cls["value"].where(numeric, np.nan).to_numpy(dtype=float), index=s.index, name=col)
    return out, counts


def describe_counts(counts: dict) -> str:
    """One line for the check log: ``'2 with thousands separators, 1 placeholder ('—' x1)'``."""
    parts = []
    for key, label in (("separators", "with thousands separators"), ("full_width", "with full-width characters"),
                       ("plus_sign", "with a leading '+'"), ("percent", "with '%' (read as percentage points)")):
        if counts.get(key):
            parts.append(f"{counts[key]} {label}")
    ph = counts.get("placeholders") or {}
    if ph:
        n = sum(ph.values())
        parts.append(f"{n} placeholder(s) read as missing (" + ", ".join(f"{k!r} x{v}" for k, v in ph.items()) + ")")
    return "; ".join(parts)
