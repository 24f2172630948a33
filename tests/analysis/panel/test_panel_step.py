"""The panel and drivers steps end to end on the demo county (2019-2023 indicators).

Independent checks: the yearly index columns equal a pooled entropy index recomputed here
from the demo's own indicators.csv with ``integration.entropy_weights`` on the stacked
unit-years; the units flagged by the early warning are exactly the demo's constructed
decliners (plus units pulled into a cold spot by them); the geodetector's q of the
categorical factor equals the hand formula on the run's own columns.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _support import demo_run_dir

from urbanrural.analysis import integration
from urbanrural.layers.demo import declining_units


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    return demo_run_dir(tmp_path_factory, "en")


@pytest.fixture(scope="module")
def run_json(demo_run) -> dict:
    return json.loads((demo_run / "run.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def units(demo_run) -> gpd.GeoDataFrame:
    return gpd.read_file(demo_run / "results.gpkg", layer="units").set_index("code")


def test_pooled_index_recomputed_by_hand(demo_run, run_json, units):
    data = pd.read_csv(demo_run.parent / "data" / "indicators.csv", dtype={"code": str})
    # travel times per year (the demo's facilities have opening years): from panel_access
    access = pd.read_csv(demo_run / "tables" / "panel_access.csv", dtype={"unit": str})
    tt = access.pivot_table(index=["unit", "year"], columns="category", values="tt_min")
    tt.columns = [f"tt_{c}_min" for c in tt.columns]
    data = data.join(tt, on=["code", "year"])
    dims = run_json["config"]["analyses"]["integration"]["dimensions"]
    directions = {c: s for cols in dims.values() for c, s in cols.items() if c in data.columns}
    assert "tt_hospital_min" in directions
    stacked = data.set_index(["code", "year"])[list(directions)]
    res = integration.entropy_weights(stacked, directions=directions)  # one weight vector, every unit-year
    for year in (2019, 2023):
        expect = res.scores.xs(year, level="year").reindex(units.index)
        np.testing.assert_allclose(units[f"integration_index_{year}"], expect, rtol=1e-10)
    change = units["integration_index_2023"] - units["integration_index_2019"]
    np.testing.assert_allclose(units["index_change"], change, atol=1e-12)


def test_the_constructed_decline_is_flagged(demo_run, units):
    gone = declining_units(gpd.read_file(demo_run.parent / "data" / "units.gpkg"))
    ew = pd.read_csv(demo_run / "tables" / "early_warning.csv", dtype={"unit": str})
    drops = set(ew.loc[ew["rule"] == "index_drop", "unit"])
    assert drops == set(gone)
    assert set(units.index[units["index_change"] < 0]) == set(gone)
    for u in gone:  # the reasons name what fell
        row = ew[(ew["unit"] == u) & (ew["rule"] == "index_drop")].iloc[0]
        assert "fell by" in row["reasons"] and isinstance(row["pulled_down_by"], str) and row["pulled_down_by"]
    assert (units.loc[gone, "warning_count"] >= 1).all()
    others = ew[~ew["unit"].isin(gone)]
    assert set(others["rule"]) <= {"cold_spot"}  # only neighbours pulled into a cold spot


def test_chain_tables_and_report(demo_run, run_json):
    tables = demo_run / "tables"
    for name in ("panel_index", "panel_transitions", "panel_density", "panel_markov", "panel_markov_lisa",
                 "convergence", "convergence_beta", "panel_hotspots", "early_warning", "panel_forecast"):
        assert (tables / f"{name}.csv").exists(), name
    markov = pd.read_csv(tables / "panel_markov.csv")
    probs = markov[[c for c in markov.columns if c.startswith("to ")]]
    rows = markov["transitions"] > 0
    np.testing.assert_allclose(probs[rows].sum(axis=1), 1.0, atol=1e-12)
    sigma = pd.read_csv(tables / "convergence.csv")
    assert list(sigma["year"]) == [2019, 2020, 2021, 2022, 2023]
    panel = run_json["results"]["panel"]
    assert panel["falling"] == 3 and panel["convergence"]["b"] < 0
    html = (demo_run / "report.html").read_text(encoding="utf-8")
    assert "What changed and who is falling behind" in html and "What explains the pattern" in html


def test_geodetector_q_by_hand(demo_run, units):
    fac = pd.read_csv(demo_run / "tables" / "geodetector_factor.csv").set_index("factor")
    y = units["integration_index"].astype(float)
    g = units["urban_class"]
    n, var = len(y), y.var(ddof=0)
    ssw = sum(len(s) * s.var(ddof=0) for _, s in y.groupby(g))
    assert fac.loc["urban_class", "q"] == pytest.approx(1 - ssw / (n * var), rel=1e-12)
    assert fac["q"].between(0, 1).all()


def test_new_rural_clinics_shorten_travel_times_over_the_years(demo_run, units):
    from urbanrural.layers.demo import new_facilities

    fac = gpd.read_file(demo_run.parent / "data" / "facilities.gpkg")
    assert (fac["opened"] <= 2023).all() and len(new_facilities(fac)) == 5  # 2023: today's facilities
    access = pd.read_csv(demo_run / "tables" / "panel_access.csv", dtype={"unit": str})
    clinic = access[access["category"] == "clinic"].pivot(index="unit", columns="year", values="tt_min")
    assert (clinic[2023] <= clinic[2019] + 1e-9).all()
    assert int((clinic[2019] - clinic[2023] > 5).sum()) >= 3  # the villages that got a clinic
    np.testing.assert_allclose(clinic[2023].reindex(units.index), units["tt_clinic_min"], rtol=1e-12)
    hospital = access[access["category"] == "hospital"].pivot(index="unit", columns="year", values="tt_min")
    np.testing.assert_allclose(hospital[2019], hospital[2023], rtol=1e-12)  # every hospital predates 2019
