"""read_panel: three layouts into one (unit, year) frame; coverage reported; bad panels refused."""

from __future__ import annotations

import pandas as pd
import pytest

from urbanrural.geo.checks import CheckLog
from urbanrural.geo.errors import DataError
from urbanrural.layers.panel import read_panel

UNITS = pd.Index(["001", "002", "003"], name="code")


@pytest.fixture
def long_csv(tmp_path):
    t = pd.DataFrame({"code": ["001", "002", "003"] * 3, "year": [2019] * 3 + [2020] * 3 + [2021] * 3,
                      "income": [10, 20, 30, 11, 21, 31, 12, 22, 32], "name": ["a", "b", "c"] * 3})
    t.to_csv(tmp_path / "long.csv", index=False)
    return tmp_path / "long.csv"


def test_long_table(long_csv):
    p = read_panel(long_csv, id_col="code", units=UNITS)
    assert p.years == (2019, 2020, 2021)
    assert list(p.frame.columns) == ["income"]  # text columns are not indicators
    assert p.frame.loc[("002", 2020), "income"] == 21.0
    assert p.latest["income"].to_dict() == {"001": 12.0, "002": 22.0, "003": 32.0}
    assert p.coverage.all().all() and not p.appeared and not p.vanished


def test_wide_table_equals_long(long_csv, tmp_path):
    long = pd.read_csv(long_csv, dtype={"code": str})
    wide = long.pivot(index="code", columns="year", values="income")
    wide.columns = [f"income {y}" for y in wide.columns]
    wide.reset_index().to_csv(tmp_path / "wide.csv", index=False)
    a = read_panel(long_csv, id_col="code").frame
    b = read_panel(tmp_path / "wide.csv", id_col="code").frame
    pd.testing.assert_frame_equal(a, b, check_names=False)


def test_one_file_per_year_reports_boundary_changes(tmp_path):
    pd.DataFrame({"code": ["001", "002"], "x": [1.0, 2.0]}).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"code": ["001", "003"], "x": [1.5, 3.0]}).to_csv(tmp_path / "b.csv", index=False)
    log = CheckLog()
    p = read_panel(files={2019: tmp_path / "a.csv", "2020年": tmp_path / "b.csv"}, id_col="code",
                   units=UNITS, log=log)
    assert p.years == (2019, 2020)
    assert p.appeared == {2020: ["003"]} and p.vanished == {2020: ["002"]}
    assert list(p.complete_units) == ["001"]
    rec = [c for c in log.records if c.check == "panel coverage"][0]
    assert rec.status == "warning" and rec.count == 2


def test_single_year_refused(tmp_path):
    pd.DataFrame({"code": ["001", "002"], "year": [2020, 2020], "x": [1, 2]}).to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(DataError, match="two or more years"):
        read_panel(tmp_path / "s.csv", id_col="code")


def test_foreign_ids_dropped_and_counted(long_csv):
    t = pd.read_csv(long_csv, dtype={"code": str})
    t = pd.concat([t, pd.DataFrame({"code": ["999"], "year": [2019], "income": [5], "name": ["z"]})])
    t.to_csv(long_csv, index=False)
    log = CheckLog()
    p = read_panel(long_csv, id_col="code", units=UNITS, log=log)
    assert "999" not in p.frame.index.get_level_values("unit")
    rec = [c for c in log.records if c.check == "panel rows matching no unit"][0]
    assert rec.count == 1 and "'999'" in rec.detail


def test_wrong_id_column_refused(long_csv):
    with pytest.raises(DataError, match="only 0% of the units"):
        read_panel(long_csv, id_col="code", units=pd.Index(["A", "B", "C"]))


def test_needs_path_or_files():
    with pytest.raises(DataError, match="either path"):
        read_panel(id_col="code")
