"""Urban or rural from whatever column a study has: labels, a number and a threshold, or codes.

Real data designates urban and rural areas in many ways: a label column (``urban``/``rural``,
``城镇``/``乡村``, ``城市``/``农村``), a share (libpysal's Georgia has ``PctRural``: rural when
``>= 50``), China's urban-rural codes (111-123 urban, 210/220 rural; see
:func:`urbanrural.analysis.degurba.from_codes`), or a density.  :func:`designate` reads a
column in the way the config says, or recognises labels and codes by itself, and refuses
anything it cannot classify, naming the values and the key that fixes it.

Examples
--------
>>> import pandas as pd
>>> designate(pd.Series(["城镇", "乡村", "urban"])).classes.tolist()
['urban', 'rural', 'urban']
>>> designate(pd.Series([12.5, 71.0]), rural_if=">= 50").classes.tolist()
['urban', 'rural']
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..geo.errors import ConfigError, DataError
from .degurba import _RURAL_CODES, _URBAN_CODES, from_codes

__all__ = ["designate", "from_labels", "from_threshold", "parse_condition", "BUILTIN_LABELS", "Designation"]

BUILTIN_LABELS: dict[str, str] = {
    "urban": "urban", "rural": "rural", "u": "urban", "r": "rural",
    "城镇": "urban", "乡村": "rural", "城市": "urban", "农村": "rural", "城区": "urban", "镇区": "urban",
    "城": "urban", "乡": "rural", "town": "urban", "city": "urban", "village": "rural", "countryside": "rural",
}
"""Labels read without a ``labels:`` mapping (case and surrounding spaces ignored)."""

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}
_COND = re.compile(r"^\s*(>=|<=|>|<|==)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Designation:
    """Classes per unit ("urban"/"rural", on the input index) and how they were read."""

    classes: pd.Series
    method: str
    detail: str


def parse_condition(text: str, *, key: str = "rural_if") -> tuple[str, float]:
    """``">= 50"`` -> (">=", 50.0); ConfigError naming ``key`` for anything else.

    Examples
    --------
    >>> parse_condition("< 30.5")
    ('<', 30.5)
    """
    m = _COND.match(str(text))
    if not m:
        raise ConfigError(f"{key}: {text!r} is not a condition; write an operator and a number, e.g. "
                          f"{key}: '>= 50' (operators: {', '.join(_OPS)})")
    return m.group(1), float(m.group(2))


def _norm(v: object) -> str:
    return str(v).strip().casefold()


def from_labels(values: pd.Series, *, labels: Mapping[str, str] | None = None, name: str = "column") -> pd.Series:
    """Labels to "urban"/"rural": ``labels`` (value -> urban|rural) over :data:`BUILTIN_LABELS`.

    Raises
    ------
    DataError
        Values matched by neither, listed with their counts and the ``labels:`` fix.

    Examples
    --------
    >>> from_labels(pd.Series(["A", "b"]), labels={"A": "urban", "b": "rural"}).tolist()
    ['urban', 'rural']
    """
    table = {_norm(k): v for k, v in BUILTIN_LABELS.items()}
    for k, v in (labels or {}).items():
        if v not in ("urban", "rural"):
            raise ConfigError(f"labels: {k!r} maps to {v!r}; each label maps to urban or rural")
        table[_norm(k)] = v
    s = pd.Series(values)
    missing = s.isna()
    mapped = s[~missing].map(lambda v: table.get(_norm(v)))
    bad = mapped.isna()
    if bad.any():
        counts = s[~missing][bad].astype(str).value_counts()
        shown = ", ".join(f"{k!r} x{n}" for k, n in counts.head(8).items())
        raise DataError(f"{name}: {int(bad.sum())} unit(s) have labels that are neither urban nor rural ({shown}); "
                        f"map them in the config, e.g. labels: {{{counts.index[0]!r}: rural}}")
    out = pd.Series(np.nan, index=s.index, dtype=object)
    out[~missing] = mapped.to_numpy()
    return out.rename("urban_class")


def from_threshold(values: pd.Series, *, rural_if: str | None = None, urban_if: str | None = None,
                   name: str = "column") -> pd.Series:
    """A number and a condition: rural where ``rural_if`` holds (or urban where ``urban_if``).

    Missing values stay missing (counted by the caller); text is refused naming the cells.

    Examples
    --------
    >>> from_threshold(pd.Series([80.0, 20.0, None]), rural_if=">= 50").tolist()
    ['rural', 'urban', nan]
    """
    if (rural_if is None) == (urban_if is None):
        raise ConfigError("give exactly one of rural_if: or urban_if: (e.g. rural_if: '>= 50')")
    from ..layers.numbers import parse_numeric

    key = "rural_if" if rural_if is not None else "urban_if"
    op, limit = parse_condition(rural_if if rural_if is not None else urban_if, key=key)
    num, _ = parse_numeric(pd.Series(values), name=name)
    hit = _OPS[op](num, limit)
    yes, no = ("rural", "urban") if key == "rural_if" else ("urban", "rural")
    out = pd.Series(np.where(hit, yes, no), index=num.index, dtype=object)
    out[num.isna()] = np.nan
    return out.rename("urban_class")


def _looks_like_codes(s: pd.Series) -> bool:
    """Mostly China's codes (at least half): read as codes, so the others are named as bad codes."""
    num = pd.to_numeric(s.dropna().astype("string").str.strip(), errors="coerce")
    return len(num) > 0 and float(num.isin(_URBAN_CODES + _RURAL_CODES).mean()) >= 0.5


def designate(values: pd.Series, *, labels: Mapping[str, str] | None = None, rural_if: str | None = None,
              urban_if: str | None = None, name: str = "column") -> Designation:
    """Urban/rural per unit from one column.

    ``rural_if``/``urban_if``: a numeric column and a condition.  ``labels``: a mapping of
    the column's values (over the built-in labels).  Neither: China's urban-rural codes when
    every value is one, else built-in labels; a numeric column that is not codes is refused
    asking for a condition (``PctRural`` used to pass validate and then fail).

    Examples
    --------
    >>> designate(pd.Series([111, 220])).method
    'codes'
    """
    s = pd.Series(values)
    if rural_if is not None or urban_if is not None:
        cond = rural_if if rural_if is not None else urban_if
        which = "rural" if rural_if is not None else "urban"
        return Designation(from_threshold(s, rural_if=rural_if, urban_if=urban_if, name=name), "threshold",
                           f"{name} {cond} is {which}")
    if labels:
        return Designation(from_labels(s, labels=labels, name=name), "labels",
                           f"labels of {name} ({len(labels)} mapped in the config, others built in)")
    if _looks_like_codes(s):
        out = pd.Series(np.nan, index=s.index, dtype=object)
        ok = s.notna()
        out[ok] = from_codes(s[ok]).to_numpy()
        return Designation(out.rename("urban_class"), "codes",
                           f"China's urban-rural codes in {name}: 111-123 urban, 210/220 rural")
    nums = pd.to_numeric(s.dropna().astype(str).str.replace(",", ""), errors="coerce")
    if pd.api.types.is_numeric_dtype(s) or (len(nums) and nums.notna().all()):
        lo, hi = (float(nums.min()), float(nums.max())) if len(nums) else (0.0, 0.0)
        raise DataError(f"{name} holds numbers ({lo:g} to {hi:g}) that are not China's urban-rural codes; say "
                        f"which are rural, e.g. analyses.urban_rural.rural_if: '>= 50' (or urban_if:)")
    return Designation(from_labels(s, name=name), "labels", f"labels of {name} (built in)")
