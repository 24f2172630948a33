"""Bad and awkward flow tables through the command line (issue 13, item 6).

Each case writes ``flows.csv`` beside the ``small_study`` fixture (six units
``0101001``..``0101006``), adds ``analyses.flows`` and runs ``validate`` or ``run``:
refused with exit 2 and a message naming the file, the rows and the fix, or repaired with
a count in run.json's ``checks`` and the numbers still right.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from robustness.harness import ConfigCase as Case
from robustness.harness import assert_ran, assert_refused, invoke, run_config_case

RUN = "res"
CODES = ["0101001", "0101002", "0101003", "0101004", "0101005", "0101006"]

Mutation = Callable[[Path, dict], None]


def _table() -> pd.DataFrame:
    rows = [("0101003", "0101001", "commuting", 2023, 120.0), ("0101001", "0101003", "commuting", 2023, 30.0),
            ("0101004", "0101002", "commuting", 2023, 80.0), ("0101002", "0101004", "commuting", 2023, 10.0),
            ("0101005", "0101006", "commuting", 2023, 40.0), ("0101006", "0101005", "commuting", 2023, 35.0),
            ("0101003", "0101002", "migration", 2023, 12.0), ("0101002", "0101003", "migration", 2023, 2.0)]
    return pd.DataFrame(rows, columns=["origin", "destination", "kind", "year", "volume"])


def _write(d: Path, t: pd.DataFrame) -> None:
    t.to_csv(d / "flows.csv", index=False)


def _base(d: Path, cfg: dict) -> None:
    _write(d, _table())
    cfg["flows"] = {"path": "flows.csv", "kind": "kind", "year": "year"}
    cfg["analyses"] = {"urban_rural": {"column": "urban_class"},
                       "flows": {"groups": "urban_class", "model": "doubly", "cost": "euclidean"}}


def _checks(d: Path) -> list[dict]:
    return json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))["checks"]


# ---------------------------------------------------------------- mutations
def clean(d, cfg):
    _base(d, cfg)


def negative_volume(d, cfg):
    _base(d, cfg)
    t = _table()
    t.loc[3, "volume"] = -5
    _write(d, t)


def missing_volume(d, cfg):
    _base(d, cfg)
    t = _table()
    t.loc[[1, 6], "volume"] = None
    _write(d, t)


def text_volume(d, cfg):
    _base(d, cfg)
    t = _table().astype({"volume": object})
    t.loc[2, "volume"] = "many"
    _write(d, t)


def unknown_ids(d, cfg):
    _base(d, cfg)
    t = pd.concat([_table(), pd.DataFrame([("9999999", "0101001", "commuting", 2023, 7.0),
                                           ("0101002", "X1", "commuting", 2023, 3.0)],
                                          columns=_table().columns)], ignore_index=True)
    _write(d, t)


def unknown_ids_refused(d, cfg):
    unknown_ids(d, cfg)
    cfg["flows"]["unknown_ids"] = "refuse"


def duplicate_pairs(d, cfg):
    _base(d, cfg)
    t = pd.concat([_table(), _table().iloc[[0, 0, 4]]], ignore_index=True)
    _write(d, t)


def self_flows(d, cfg):
    _base(d, cfg)
    t = pd.concat([_table(), pd.DataFrame([("0101001", "0101001", "commuting", 2023, 500.0)],
                                          columns=_table().columns)], ignore_index=True)
    _write(d, t)


def missing_kind(d, cfg):
    _base(d, cfg)
    t = _table()
    t.loc[5, "kind"] = None
    _write(d, t)


def fractional_year(d, cfg):
    _base(d, cfg)
    t = _table().astype({"year": object})
    t.loc[2, "year"] = "2023.5"
    _write(d, t)


def no_origin(d, cfg):
    _base(d, cfg)
    t = _table()
    t.loc[4, "origin"] = None
    _write(d, t)


def wrong_column(d, cfg):
    _base(d, cfg)
    cfg["flows"]["volume"] = "volumes"


def unknown_kind(d, cfg):
    _base(d, cfg)
    cfg["analyses"]["flows"]["kinds"] = ["comuting"]


def unknown_group(d, cfg):
    _base(d, cfg)
    cfg["analyses"]["flows"]["groups"] = "urban_clas"


def unknown_flow_map(d, cfg):
    _base(d, cfg)
    cfg["outputs"]["maps"] = ["flow:migraton"]


def flows_section_missing(d, cfg):
    _base(d, cfg)
    cfg.pop("flows")


def gb18030_table(d, cfg):
    _base(d, cfg)
    t = _table()
    t["kind"] = t["kind"].map({"commuting": "通勤", "migration": "迁移"})
    t.to_csv(d / "flows.csv", index=False, encoding="gb18030")



CASES = [
    Case(clean, "run", 0, check=("flows read", "ok", 8)),
    Case(negative_volume, "validate", 2, ("flows.csv", "'volume'", "negative", "'5'")),
    Case(missing_volume, "validate", 2, ("flows.csv", "'volume'", "2 missing", "'3', '8'")),
    Case(text_volume, "validate", 2, ("flows.csv", "file rows", "volume", "not numbers", "'4': 'many'")),
    Case(unknown_ids, "run", 0, check=("flows with unknown ids", "dropped", 2)),
    Case(unknown_ids_refused, "validate", 2, ("flows.csv", "2 row(s)", "'9999999'", "'x1'", "unknown_ids: drop")),
    Case(duplicate_pairs, "run", 0, check=("repeated flow pairs", "repaired", 3)),
    Case(self_flows, "run", 0, check=("intra-unit flows", "ok", 1)),
    Case(missing_kind, "validate", 2, ("flows.csv", "without a kind", "'7'")),
    Case(fractional_year, "validate", 2, ("flows.csv", "year", "'4'")),
    Case(no_origin, "validate", 2, ("flows.csv", "without an origin", "'6'")),
    Case(wrong_column, "validate", 2, ("flows.csv has no column 'volumes'", "did you mean 'volume'")),
    Case(unknown_kind, "validate", 2, ("analyses.flows.kinds", "'comuting'", "did you mean 'commuting'")),
    Case(unknown_group, "validate", 2, ("analyses.flows.groups", "did you mean 'urban_class'")),
    Case(unknown_flow_map, "validate", 2, ("flow:migraton", "did you mean 'flow:migration'")),
    Case(flows_section_missing, "validate", 2, ("analyses.flows", "flows:")),
    Case(gb18030_table, "run", 0, check=("flows read", "ok", 8)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_flow_input(case: Case, small_study: Path) -> None:
    run_config_case(case, small_study, run_dir=RUN)


def test_repeated_pairs_are_summed(small_study: Path) -> None:
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    duplicate_pairs(d, cfg)
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert_ran(invoke(["run", small_study.name, "--out", RUN], sandbox=d), RUN)
    units = pd.read_csv(d / RUN / "tables" / "flows_units.csv", dtype={"unit": str})
    row = units[(units["unit"] == "0101001") & (units["kind"] == "commuting")].iloc[0]
    assert row["in"] == pytest.approx(3 * 120.0)  # the row and its two copies
    assert row["out"] == pytest.approx(30.0)


def test_unknown_ids_are_listed(small_study: Path) -> None:
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    unknown_ids(d, cfg)
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert_ran(invoke(["run", small_study.name, "--out", RUN], sandbox=d), RUN)
    rec = [c for c in _checks(d) if c["check"] == "flows with unknown ids"][0]
    assert "'9999999'" in rec["detail"] and "'X1'" in rec["detail"] and "10 of" in rec["detail"]


def test_flows_without_classes_run(small_study):
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    _base(d, cfg)
    cfg["analyses"].pop("urban_rural")
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert_ran(invoke(["run", small_study.name, "--out", RUN], sandbox=d), RUN)
    assert (d / RUN / "tables" / "flows_units.csv").exists()  # the default groups is optional


def test_kinds_sharing_columns_refused(small_study):
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    _base(d, cfg)
    t = _table()
    t.loc[t["kind"] == "migration", "kind"] = "Commuting"
    _write(d, t)
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert_refused(invoke(["validate", small_study.name], sandbox=d), "'commuting'", "'Commuting'", "rename one")
