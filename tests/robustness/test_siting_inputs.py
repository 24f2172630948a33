"""Siting settings and layers through the command line (issue 15): refused with a fix, or run
with the constraint counted.

The ``small_study`` fixture (six 2 km units, a population raster, two hospitals, roads)
gets ``analyses.accessibility`` and ``analyses.siting`` for hospitals.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import yaml
from robustness.harness import assert_ran, assert_refused, invoke

RUN = "res"
X0, Y0 = 400_000.0, 4_300_000.0


def _setup(d: Path, cfg: dict, **siting) -> None:
    cfg["roads"]["node_crossings"] = True  # the fixture's roads cross without shared vertices
    cfg["analyses"] = {"urban_rural": {"column": "urban_class"},
                       "accessibility": {"mode": "network", "thresholds": [5, 10], "max_cost": 10},
                       "siting": {"category": "hospital", "model": "mclp", "k": 1, "standard_min": 8,
                                  "candidates": "units", **siting}}


def _zone(d: Path, geom, name: str = "zone.gpkg") -> None:
    gpd.GeoDataFrame({"name": ["red line"]}, geometry=[geom], crs=32650).to_file(d / name)


def _run(small_study: Path, mutate, command: str = "run"):
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    mutate(d, cfg)
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    args = [command, small_study.name] + (["--out", RUN] if command == "run" else [])
    return d, invoke(args, sandbox=d)


def test_clean_siting_runs_and_counts_the_constraint(small_study):
    def mutate(d, cfg):
        _zone(d, shapely.box(X0, Y0, X0 + 2000, Y0 + 2000))  # the first unit's square
        _setup(d, cfg, constraints=[{"path": "zone.gpkg", "rule": "exclude", "name": "red line"}])
    d, out = _run(small_study, mutate)
    assert_ran(out, RUN)
    run = json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))
    info = run["results"]["siting"]["hospital"]
    assert "1 excluded by red line" in info["constraints"] and info["new_sites"] == 1
    sites = gpd.read_file(d / RUN / "results.gpkg", layer="sites")
    zone = gpd.read_file(d / "zone.gpkg").to_crs(sites.crs)
    proposed = sites[sites["status"] == "proposed"]
    assert not shapely.intersects(proposed.geometry.to_numpy(), zone.geometry.iat[0]).any()


@pytest.mark.parametrize(("siting", "words"), [
    ({"category": "hospitl"}, ("analyses.siting.category", "did you mean 'hospital'")),
    ({"k": None}, ("analyses.siting", "needs k:")),
    ({"budget": 100}, ("budget:", "cost:")),
    ({"candidates": "file"}, ("candidates: file", "candidates_path:")),
    ({"weight": "elderly"}, ("analyses.siting.weight", "elderly")),
])
def test_settings_refused(small_study, siting, words):
    _d, out = _run(small_study, lambda d, cfg: _setup(d, cfg, **siting), command="validate")
    assert_refused(out, *words)


def test_every_candidate_excluded_is_a_warning_not_a_crash(small_study):
    def mutate(d, cfg):
        _zone(d, shapely.box(X0 - 1000, Y0 - 1000, X0 + 7000, Y0 + 5000))  # the whole study area
        _setup(d, cfg, constraints=[{"path": "zone.gpkg", "rule": "exclude", "name": "red line"}])
    d, out = _run(small_study, mutate)
    assert_ran(out, RUN)
    run = json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))
    notes = [n for n in run["analyses"] if n["analysis"] == "siting"]
    assert any(n["status"] == "warning" and "red line" in n["detail"] for n in notes), notes


def test_missing_constraint_file_refused(small_study):
    def mutate(d, cfg):
        _setup(d, cfg, constraints=[{"path": "nowhere.gpkg", "rule": "exclude"}])
    _d, out = _run(small_study, mutate, command="validate")
    assert_refused(out, "nowhere.gpkg", "does not exist")


def test_slope_raster_excludes_steep_candidates(small_study):
    import numpy as np
    from _support import write_raster

    def mutate(d, cfg):
        slope = np.zeros((40, 60), dtype="float32")
        slope[:, :20] = 30.0  # the western third is steep
        write_raster(d / "slope.tif", slope, nodata=-1.0, y0=Y0 + 4000)
        _setup(d, cfg, constraints=[{"path": "slope.tif", "rule": "exclude_above", "limit": 25, "name": "slope"}])
    d, out = _run(small_study, mutate)
    assert_ran(out, RUN)
    run = json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))
    assert "excluded by slope" in run["results"]["siting"]["hospital"]["constraints"]
    sites = gpd.read_file(d / RUN / "results.gpkg", layer="sites").to_crs(32650)
    proposed = sites[sites["status"] == "proposed"]
    assert (proposed.geometry.x >= X0 + 2000).all()


def test_raster_rule_needs_a_limit(small_study):
    _d, out = _run(small_study, lambda d, cfg: _setup(d, cfg, constraints=[
        {"path": "pop.tif", "rule": "exclude_above"}]), command="validate")
    assert_refused(out, "exclude_above", "limit:")


def test_no_new_site_needed_still_runs(small_study):
    # a standard so generous that the existing hospitals reach everyone: MCLP opens nothing new
    d, out = _run(small_study, lambda d, cfg: _setup(d, cfg, standard_min=120))
    assert_ran(out, RUN)
    run = json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))
    assert run["results"]["siting"]["hospital"]["new_sites"] == 0
    assert any("no new site improves" in n["detail"] for n in run["analyses"])


def test_p_median_with_people_out_of_reach(small_study):
    d, out = _run(small_study, lambda d, cfg: _setup(d, cfg, model="p_median", k=1, k_curve=2))
    assert_ran(out, RUN)
    run = json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))
    assert run["results"]["siting"]["hospital"]["new_sites"] == 1


def test_rural_only_needs_classes(small_study):
    def mutate(d, cfg):
        _setup(d, cfg, rural_only=True)
        cfg["analyses"].pop("urban_rural")
    _d, out = _run(small_study, mutate, command="validate")
    assert_refused(out, "rural_only", "analyses.urban_rural")


def test_siting_columns_can_be_mapped(small_study):
    def mutate(d, cfg):
        _setup(d, cfg)
        cfg["outputs"]["maps"] = ["tt_after_hospital_min", "sites:hospital"]
        cfg["outputs"]["formats"] = ["png"]
    d, out = _run(small_study, mutate)
    assert_ran(out, RUN)
    assert (d / RUN / "maps" / "tt_after_hospital_min.png").exists()
    assert (d / RUN / "maps" / "sites_hospital.png").exists()


def test_two_sitings_keep_their_inputs_apart(small_study):
    def mutate(d, cfg):
        _zone(d, shapely.box(X0, Y0, X0 + 2000, Y0 + 2000))
        _setup(d, cfg)
        one = dict(cfg["analyses"]["siting"])
        cfg["analyses"]["siting"] = [{**one, "constraints": [{"path": "missing.gpkg"}]},
                                     {**one, "category": "school", "constraints": [{"path": "zone.gpkg"}]}]
    _d, out = _run(small_study, mutate, command="validate")
    assert_refused(out, "missing.gpkg", "does not exist")


def test_raster_mode_sites_on_the_friction_surface(small_study):
    def mutate(d, cfg):
        _setup(d, cfg, standard_min=10)
        cfg["analyses"]["accessibility"].update(mode="raster", resolution=200)
    d, out = _run(small_study, mutate)
    assert_ran(out, RUN)
    run = json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))
    assert "friction-surface minutes" in run["variants"]["siting"]["cost"]
    ba = pd.read_csv(d / RUN / "tables" / "siting_hospital_before_after.csv").set_index("class")
    # before = the accessibility step's own times on the same surface: the same people out of reach
    summ = pd.read_csv(d / RUN / "tables" / "accessibility_summary.csv").set_index("category")
    assert ba.loc["all", "unreachable_before"] == pytest.approx(summ.loc["hospital", "people_unreachable"], abs=1e-6)
