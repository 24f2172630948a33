"""Bad and awkward panels and driver settings through the command line (issue 14, item 8).

Each case writes a multi-year indicator table beside the ``small_study`` fixture (six
units), adds ``analyses.integration`` + ``analyses.panel`` (and ``analyses.drivers``), and
runs ``validate`` or ``run``: refused with exit 2 and a message naming the input, the rule
and a fix, or run with the repair counted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from robustness.harness import ConfigCase as Case
from robustness.harness import assert_ran, assert_refused, invoke, run_config_case

RUN = "res"
CODES = ["0101001", "0101002", "0101003", "0101004", "0101005", "0101006"]
YEARS = (2020, 2021, 2022)

Mutation = Callable[[Path, dict], None]


def _panel(years=YEARS) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for y in years:
        for i, c in enumerate(CODES):
            rows.append({"code": c, "year": y, "income": 10 + 3 * i + (y - 2020) * (1 + i % 2) + rng.normal(0, .2),
                         "nonfarm_share": 0.2 + 0.1 * i + 0.02 * (y - 2020), "beds": 2 + i % 3 + 0.1 * (y - 2020)})
    return pd.DataFrame(rows)


def _base(d: Path, cfg: dict, table: pd.DataFrame | None = None) -> None:
    (table if table is not None else _panel()).to_csv(d / "panel.csv", index=False)
    cfg["indicators"] = {"path": "panel.csv", "id": "code"}
    cfg["analyses"] = {
        "urban_rural": {"column": "urban_class"},
        "integration": {"dimensions": {"economy": {"income": "+", "nonfarm_share": "+"}, "services": {"beds": "+"}}},
        "panel": {"classes": 2, "lag_classes": 2, "spatial_weights": "queen"},
        "drivers": {"target": "integration_index", "factors": ["urban_class", "density_per_km2"], "k": [2, 3]},
    }


def _checks(d: Path) -> list[dict]:
    return json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))["checks"]


# ---------------------------------------------------------------- mutations
def clean(d, cfg):
    _base(d, cfg)


def one_year_only(d, cfg):
    _base(d, cfg, _panel(years=(2021,)))


def unit_missing_a_year(d, cfg):
    t = _panel()
    _base(d, cfg, t[~((t["code"] == "0101004") & (t["year"] == 2021))])


def unit_missing_a_year_refused(d, cfg):
    unit_missing_a_year(d, cfg)
    cfg["analyses"]["panel"]["missing"] = "raise"


def repeated_unit_year(d, cfg):
    t = _panel()
    _base(d, cfg, pd.concat([t, t.iloc[[2]]]))


def year_picked(d, cfg):
    _base(d, cfg)
    cfg["indicators"]["year"] = 2021


def no_integration(d, cfg):
    _base(d, cfg)
    cfg["analyses"].pop("integration")


def unknown_panel_column(d, cfg):
    _base(d, cfg)
    cfg["analyses"]["panel"]["column"] = "integration_indx"


def unknown_ratio_column(d, cfg):
    _base(d, cfg)
    cfg["analyses"]["panel"]["warning"] = {"ratio": ["incme", "beds"]}


def unknown_factor(d, cfg):
    _base(d, cfg)
    cfg["analyses"]["drivers"]["factors"] = ["urban_clas"]


def target_is_factor(d, cfg):
    _base(d, cfg)
    cfg["analyses"]["drivers"]["factors"] = ["integration_index", "urban_class"]


def one_file_per_year(d, cfg):
    _base(d, cfg)
    t = _panel()
    for y in YEARS:
        t[t["year"] == y].drop(columns="year").to_csv(d / f"ind_{y}.csv", index=False)
    cfg["indicators"] = {"files": {y: f"ind_{y}.csv" for y in YEARS}, "id": "code"}


def files_without_panel(d, cfg):
    one_file_per_year(d, cfg)
    cfg["analyses"].pop("panel")
    cfg["analyses"].pop("drivers")


def path_and_files(d, cfg):
    one_file_per_year(d, cfg)
    cfg["indicators"]["path"] = "panel.csv"



CASES = [
    Case(clean, "run", 0, check=("panel read", "ok", 18)),
    Case(one_year_only, "validate", 2, ("panel.csv", "two or more years", "2021")),
    Case(unit_missing_a_year, "run", 0, check=("panel coverage", "warning", 1)),
    Case(unit_missing_a_year_refused, "run", 2, ("0101004", "2020, 2022", "analyses.panel.missing: drop")),
    Case(repeated_unit_year, "validate", 2, ("panel.csv", "0101003")),
    Case(year_picked, "validate", 2, ("analyses.panel", "year:", "remove it")),
    Case(no_integration, "validate", 2, ("analyses.panel", "analyses.integration")),
    Case(unknown_panel_column, "validate", 2, ("analyses.panel.column", "did you mean 'integration_index'")),
    Case(unknown_ratio_column, "validate", 2, ("analyses.panel.warning.ratio", "did you mean 'income'")),
    Case(unknown_factor, "validate", 2, ("analyses.drivers.factors", "did you mean 'urban_class'")),
    Case(target_is_factor, "validate", 2, ("analyses.drivers", "also a factor")),
    Case(one_file_per_year, "run", 0, check=("panel read", "ok", 18)),
    Case(files_without_panel, "validate", 2, ("indicators: files:", "analyses.panel")),
    Case(path_and_files, "validate", 2, ("indicators", "either path", "files")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_panel_input(case: Case, small_study: Path) -> None:
    run_config_case(case, small_study, run_dir=RUN)


def test_clean_panel_writes_the_chain(small_study: Path) -> None:
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    clean(d, cfg)
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert_ran(invoke(["run", small_study.name, "--out", RUN], sandbox=d), RUN)
    for name in ("panel_index", "convergence", "early_warning", "geodetector_factor"):
        assert (d / RUN / "tables" / f"{name}.csv").exists(), name
    idx = pd.read_csv(d / RUN / "tables" / "panel_index.csv", dtype={"unit": str})
    assert len(idx) == 18 and set(idx["year"]) == set(YEARS)


# ---------------------------------------------------------------- travel times per year (opened:, rasters:)
def _with_years(d: Path, cfg: dict, since: list[object] | None, *, column: str = "since",
                rasters: dict | None = None) -> None:
    import geopandas as gpd

    _base(d, cfg)
    if since is not None:
        h = gpd.read_file(d / "hospitals.gpkg")
        h["since"] = since
        h.to_file(d / "hospitals.gpkg")
        cfg["facilities"][0]["opened"] = column
    if rasters is not None:
        cfg["population"]["rasters"] = rasters
    cfg["roads"]["node_crossings"] = True
    cfg["analyses"]["accessibility"] = {"mode": "network"}
    cfg["analyses"]["integration"]["dimensions"]["services"]["tt_hospital_min"] = "-"


YEAR_CASES = [
    pytest.param(lambda d, c: _with_years(d, c, ["1990年", "2021"]), 0, (), id="opened_text_years"),
    pytest.param(lambda d, c: _with_years(d, c, ["1990", "soon"]), 2, ("hospitals.gpkg", "'since'", "row 2: 'soon'"),
                 id="opened_not_a_year"),
    pytest.param(lambda d, c: _with_years(d, c, ["1990", "2021"], column="sinse"), 2,
                 ("hospitals.gpkg", "'sinse'", "did you mean 'since'"), id="opened_column_misspelt"),
    pytest.param(lambda d, c: _with_years(d, c, None, rasters={2021: "pop_2021.tif"}), 2,
                 ("population[2021]", "pop_2021.tif", "does not exist"), id="year_raster_missing"),
    pytest.param(lambda d, c: _with_years(d, c, None, rasters={2021: "pop.tif"}), 0, (), id="year_raster"),
]


@pytest.mark.parametrize(("mutate", "code", "words"), YEAR_CASES)
def test_travel_times_per_year_inputs(mutate: Mutation, code: int, words: tuple[str, ...],
                                      small_study: Path) -> None:
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    mutate(d, cfg)
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out = invoke(["run", small_study.name, "--out", RUN], sandbox=d)
    assert out.exception is None, repr(out.exception)
    if code == 2:
        assert_refused(out, *words)
        return
    assert_ran(out, RUN)
    access = pd.read_csv(d / RUN / "tables" / "panel_access.csv", dtype={"unit": str})
    assert set(access["year"]) == set(YEARS) and set(access["category"]) == {"hospital", "school"}
    weights = pd.read_csv(d / RUN / "tables" / "panel_weights.csv")
    assert "tt_hospital_min" in set(weights["indicator"])


def test_text_control_refused_with_its_key(small_study):
    def mutate(d, cfg):
        _base(d, cfg)
        cfg["analyses"]["panel"]["controls"] = ["name"]
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    mutate(d, cfg)
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    out = invoke(["run", small_study.name, "--out", RUN], sandbox=d)
    assert_refused(out, "analyses.panel.controls", "'name'", "not numbers")
