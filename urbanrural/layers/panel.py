"""Indicator panels: the same indicators for the same units over several years.

Three layouts are read into one long frame indexed by ``(unit, year)``:

- one table with a year column (``年份``/``year``; long layout);
- one table with years as columns (yearbook wide layout: ``人均收入 2019 | 2020 | ...``);
- one file per year (``files: {2019: a.csv, 2020: b.csv}``).

Units that appear or vanish between years (boundary changes, new towns) are reported
by year in :attr:`Panel.coverage` and the check log, never filled in silently; rows
whose id is not a unit are dropped and counted.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"code": ["01", "02"] * 2, "year": [2020, 2020, 2021, 2021],
...               "income": [10, 8, 11, 7]}).to_csv(d / "p.csv", index=False)
>>> p = read_panel(d / "p.csv", id_col="code")
>>> p.years, float(p.frame.loc[("02", 2021), "income"])
((2020, 2021), 7.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..geo.checks import CheckLog, get_log
from ..geo.errors import DataError
from ..geo.io import require_file
from ..geo.validate import preview

__all__ = ["Panel", "read_panel"]

PathLike = str | Path


@dataclass(frozen=True)
class Panel:
    """A long indicator panel.

    Attributes
    ----------
    frame : DataFrame
        Numeric indicator columns indexed by ``(unit, year)`` (unit: text id, year: int),
        sorted by unit then year.
    years : tuple of int
        The years, ascending.
    coverage : DataFrame
        units x years, True where the unit has a row that year.
    appeared, vanished : dict
        Year -> units present that year and absent the year before (appeared), or absent
        that year and present the year before (vanished).
    """

    frame: pd.DataFrame
    years: tuple[int, ...]
    coverage: pd.DataFrame = field(repr=False)
    appeared: dict[int, list[str]] = field(default_factory=dict)
    vanished: dict[int, list[str]] = field(default_factory=dict)

    @property
    def latest(self) -> pd.DataFrame:
        """The latest year's rows, indexed by unit."""
        return self.frame.xs(self.years[-1], level="year")

    @property
    def complete_units(self) -> pd.Index:
        """Units with a row in every year."""
        return self.coverage.index[self.coverage.all(axis=1)]

    def summary(self) -> dict:
        return {"years": list(self.years), "units": int(len(self.coverage)),
                "complete_units": int(len(self.complete_units)), "indicators": list(map(str, self.frame.columns)),
                "appeared": {str(y): len(v) for y, v in self.appeared.items()},
                "vanished": {str(y): len(v) for y, v in self.vanished.items()}}


def _year(value: object, where: str) -> int:
    try:
        y = int(str(value).strip().rstrip("年"))
    except ValueError:
        raise DataError(f"{where}: {value!r} is not a year; write years like 2021") from None
    if not 1900 <= y <= 2099:
        raise DataError(f"{where}: {y} is not a year between 1900 and 2099")
    return y


def read_panel(path: PathLike | None = None, *, id_col: str, files: Mapping[object, PathLike] | None = None,
               units: pd.DataFrame | pd.Index | None = None, sheet: str | int | None = None,
               encoding: str | None = None, header_rows: int | str | None = None, min_match: float = 0.5,
               year_column: str | None = None, log: CheckLog | None = None) -> Panel:
    """Read an indicator panel (see the module docstring for the layouts).

    Parameters
    ----------
    path : path-like, optional
        One table holding every year (a year column, or years as columns).
    id_col : str
        The unit id column (header text; units and years removed for yearbook layouts).
    files : mapping year -> path, optional
        One table per year instead of ``path``.
    year_column : str, optional
        The year column of a long table (default: found, e.g. ``年份``/``year``).
    units : GeoDataFrame or Index, optional
        The study's units: rows of other ids are dropped and counted; a year matching
        fewer than ``min_match`` of the units is refused (wrong id column?).

    Raises
    ------
    DataError
        Fewer than two years, a year that is not a year, a file per year holding several
        years, no numeric indicator.
    """
    from .readers import read_indicators
    from .yearbook import read_yearbook

    log = get_log(log)
    if (path is None) == (files is None):
        raise DataError("read_panel needs either path (one table with every year) or files (one per year)")
    unit_ids = None if units is None else (units.index if isinstance(units, pd.DataFrame) else pd.Index(units))
    if files is not None:
        parts = {}
        for key, fp in files.items():
            y = _year(key, "indicators: files")
            frame = read_indicators(fp, id_col=id_col, units=None, sheet=sheet, encoding=encoding,
                                    header_rows=header_rows, log=log)
            parts[y] = frame
        long = pd.concat(parts, names=["year", "unit"]).swaplevel().sort_index()
        name = ", ".join(Path(p).name for p in files.values())
    else:
        p = require_file(path, what="indicator panel")
        name = p.name
        table = read_yearbook(p, id_col=id_col, sheet=sheet, encoding=encoding, years=year_column or "auto",
                              header_rows="auto" if header_rows is None else header_rows, log=log)
        if len(table.years) < 2 or not isinstance(table.frame.index, pd.MultiIndex):
            raise DataError(f"{p.name}: a panel needs two or more years; found "
                            f"{', '.join(map(str, table.years)) or 'none'} (a 年份/year column, or years as "
                            "columns such as 2019, 2020年); for one year use indicators: without analyses.panel")
        long = table.frame.copy()
    long.index = pd.MultiIndex.from_arrays([long.index.get_level_values(0).astype(str).str.strip(),
                                            long.index.get_level_values(1).astype(int)], names=["unit", "year"])
    dup = long.index.duplicated(keep=False)
    if dup.any():
        raise DataError(f"{name}: {int(dup.sum())} rows repeat a unit and year "
                        f"(e.g. {preview(long.index[dup][:3])}); keep one row per unit and year")
    numeric = [c for c in long.columns if pd.api.types.is_numeric_dtype(long[c])]
    if not numeric:
        raise DataError(f"{name}: no numeric indicator column (columns: {preview(long.columns)})")
    long = long[numeric].astype(float).sort_index()
    years = tuple(sorted(int(y) for y in long.index.get_level_values("year").unique()))
    if len(years) < 2:
        raise DataError(f"{name}: a panel needs two or more years; found {years[0]}")
    if unit_ids is not None:
        ids = long.index.get_level_values("unit")
        known = ids.isin(unit_ids.astype(str))
        for y in years:
            at = long.index.get_level_values("year") == y
            share = float(pd.Index(ids[at & known]).nunique()) / max(len(unit_ids), 1)
            if share < min_match:
                raise DataError(f"{name}: in {y} only {share:.0%} of the units have a row (ids e.g. "
                                f"{preview(pd.unique(ids[at])[:3])} vs units {preview(unit_ids[:3])}); check the "
                                "id column (indicators: id:)")
        if (~known).any():
            strange = pd.unique(ids[~known])
            log.add(name, "panel rows matching no unit", "dropped", count=int((~known).sum()),
                    detail=f"{len(strange)} id(s): {preview(strange)}")
            long = long[known]
    coverage = (long.assign(_one=True)["_one"].unstack("year").reindex(columns=list(years))
                .notna())
    if unit_ids is not None:
        coverage = coverage.reindex(unit_ids.astype(str), fill_value=False)
    appeared, vanished = {}, {}
    for a, b in zip(years[:-1], years[1:], strict=True):
        new = coverage.index[coverage[b] & ~coverage[a]].tolist()
        gone = coverage.index[coverage[a] & ~coverage[b]].tolist()
        if new:
            appeared[b] = new
        if gone:
            vanished[b] = gone
    missing = int((~coverage).to_numpy().sum())
    if missing:
        log.add(name, "panel coverage", "warning", count=missing,
                detail=f"unit-years without a row: {int((~coverage.all(axis=1)).sum())} unit(s) miss at least one "
                       f"year (appeared: {sum(map(len, appeared.values()))}, vanished: "
                       f"{sum(map(len, vanished.values()))}; e.g. "
                       f"{preview(coverage.index[~coverage.all(axis=1)][:3])}); boundary changes?")
    log.add(name, "panel read", "ok", count=len(long),
            detail=f"years: {', '.join(map(str, years))}; {len(numeric)} indicator(s)")
    return Panel(long, years, coverage, appeared, vanished)
