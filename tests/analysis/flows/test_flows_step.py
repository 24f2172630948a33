"""The flows step end to end on the demo county: tables, unit columns, model, sentence.

Independent checks: the per-unit columns in results.gpkg equal sums over the demo's own
flows.csv (pandas groupby, not our accounts); the class pair balance equals min/max of
the two directions summed by hand; the fitted decay is positive and significant (the
demo's flows were generated with distance decay). The models' coefficients are checked
against spint and statsmodels in test_gravity.py.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _support import demo_run_dir


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    return demo_run_dir(tmp_path_factory, "en")


@pytest.fixture(scope="module")
def demo_flows(demo_run) -> pd.DataFrame:
    data = demo_run.parent / "data" / "flows.csv"
    return pd.read_csv(data, dtype={"origin": str, "destination": str})


@pytest.fixture(scope="module")
def results_units(demo_run) -> gpd.GeoDataFrame:
    return gpd.read_file(demo_run / "results.gpkg", layer="units")


@pytest.mark.parametrize("kind", ["commuting", "migration", "capital"])
def test_unit_columns_equal_hand_sums(kind, demo_flows, results_units):
    f = demo_flows[(demo_flows["kind"] == kind) & (demo_flows["origin"] != demo_flows["destination"])]
    inflow = f.groupby("destination")["volume"].sum()
    outflow = f.groupby("origin")["volume"].sum()
    u = results_units.set_index("code")
    np.testing.assert_allclose(u[f"flow_in_{kind}"], inflow.reindex(u.index, fill_value=0.0), rtol=1e-12)
    np.testing.assert_allclose(u[f"flow_out_{kind}"], outflow.reindex(u.index, fill_value=0.0), rtol=1e-12)
    np.testing.assert_allclose(u[f"flow_net_{kind}"], u[f"flow_in_{kind}"] - u[f"flow_out_{kind}"], atol=1e-9)
    assert u[f"flow_in_{kind}"].sum() == pytest.approx(u[f"flow_out_{kind}"].sum(), rel=1e-12)


def test_class_pair_balance_by_hand(demo_run, demo_flows, results_units):
    cls = results_units.set_index("code")["urban_class"]
    f = demo_flows[(demo_flows["kind"] == "migration") & (demo_flows["origin"] != demo_flows["destination"])]
    og, dg = f["origin"].map(cls), f["destination"].map(cls)
    r2u = f.loc[(og == "rural") & (dg == "urban"), "volume"].sum()
    u2r = f.loc[(og == "urban") & (dg == "rural"), "volume"].sum()
    groups = pd.read_csv(demo_run / "tables" / "flows_groups.csv")
    row = groups[(groups["kind"] == "migration") & (groups["group_a"] == "rural") & (groups["group_b"] == "urban")]
    assert row["a_to_b"].iat[0] == pytest.approx(r2u)
    assert row["b_to_a"].iat[0] == pytest.approx(u2r)
    assert row["balance"].iat[0] == pytest.approx(min(r2u, u2r) / max(r2u, u2r))
    run = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    sentence = run["results"]["flows"]["migration"]["sentence_en"]
    assert f"{r2u:,.0f}" in sentence and f"{u2r:,.0f}" in sentence and "one-way" in sentence
    assert "乡村→城镇" in run["results"]["flows"]["migration"]["sentence_zh"]


def test_demo_leans_rural_to_urban(demo_run):
    groups = pd.read_csv(demo_run / "tables" / "flows_groups.csv")
    ru = groups[(groups["group_a"] == "rural") & (groups["group_b"] == "urban")].set_index("kind")
    assert set(ru.index) == {"commuting", "migration", "capital"}
    assert (ru["a_to_b"] > 2 * ru["b_to_a"]).all()  # the deliberate imbalance shows
    assert (ru["b_to_a"] > 0).all()  # but flows do go back


def test_model_estimates(demo_run):
    model = pd.read_csv(demo_run / "tables" / "flows_model.csv")
    beta = model[model["term"] == "beta"].set_index("kind")
    assert (beta["estimate"] > 0).all() and (beta["p_value"] < 0.001).all()  # flow falls with travel time
    fit = model[model["term"] == "pseudo_r2"].set_index("kind")["estimate"]
    assert fit.between(0.5, 1.0).all()


def test_underflow_and_layers(demo_run):
    under = pd.read_csv(demo_run / "tables" / "flows_underflow.csv")
    assert {"kind", "origin_group", "destination_group", "pairs", "of_pairs", "observed", "predicted"} <= set(under)
    layer = gpd.read_file(demo_run / "results.gpkg", layer="flows")
    assert {"origin", "destination", "kind", "volume", "reverse", "balance", "origin_group",
            "destination_group", "std_resid"} <= set(layer.columns)
    assert (layer.geom_type == "LineString").all()
    net = pd.read_csv(demo_run / "tables" / "flows_network.csv").set_index("kind")
    assert ((net["density"] > 0) & (net["density"] < 1)).all()
    links = pd.read_csv(demo_run / "tables" / "flows_linkage.csv")
    assert len(links) and (links["kept"]).all()


def test_cli_flow_maps(demo_run, tmp_path):
    from click.testing import CliRunner

    from urbanrural.cli import main

    res = demo_run / "results.gpkg"
    r = CliRunner().invoke(main, ["map", str(res), "--column", "flow:commuting", "--out", str(tmp_path / "c.html"),
                                  "--top-n", "25", "--lang", "zh"])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "通勤" in html and "25" in html
    r = CliRunner().invoke(main, ["map", str(res), "--column", "flow:comuting", "--out", str(tmp_path / "d.html")])
    assert r.exit_code == 2 and "did you mean 'commuting'" in r.output and not (tmp_path / "d.html").exists()
    r = CliRunner().invoke(main, ["map", str(res), "--column", "flow_matrix:capital", "--out", str(tmp_path / "m.pdf")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m.pdf").read_bytes()[:4] == b"%PDF"
    r = CliRunner().invoke(main, ["map", str(res), "--column", "flow:capital", "--out", str(tmp_path / "x.png"),
                                  "--min-volume", "-1"])
    assert r.exit_code == 2


def test_report_flows_sentences_equal_the_tables(demo_run, tmp_path_factory):
    groups = pd.read_csv(demo_run / "tables" / "flows_groups.csv")
    under = pd.read_csv(demo_run / "tables" / "flows_underflow.csv")
    for lang, out in (("en", demo_run), ("zh", demo_run_dir(tmp_path_factory, "zh"))):
        html = (out / "report.html").read_text(encoding="utf-8")
        block = html.split("<ul class=flows>")[1].split("</ul>")[0]
        items = block.split("<li>")[1:]
        assert len(items) == 3, block
        for item, kind in zip(items, ["commuting", "migration", "capital"], strict=True):
            g = groups[(groups["kind"] == kind) & (groups["group_a"] == "rural")].iloc[0]
            assert f"{g['a_to_b']:,.0f}" in item and f"{g['balance']:.2f}" in item, (lang, item)
            u = under[(under["kind"] == kind) & (under["origin_group"] == "rural")
                      & (under["destination_group"] == "urban")]
            assert (f"rural→urban {int(u['pairs'].iat[0])}" if lang == "en"
                    else f"乡村→城镇 {int(u['pairs'].iat[0])} 对") in item
        assert ("Two-way flows" if lang == "en" else "要素双向流动") in html
