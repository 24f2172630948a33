"""The accessibility step end to end on the small study and on the demo county."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml

from urbanrural.analysis.accessibility import demand
from urbanrural.config import load_config
from urbanrural.geo.raster import zonal_sum
from urbanrural.pipeline import build_study_area, run


def test_raster_demand_points_preserve_zonal_sums(small_study):
    area = build_study_area(load_config(small_study))
    pts = demand.from_raster(area.population.raster, area.units)
    by_unit = pts.groupby("unit")["people"].sum().reindex(area.units.index).fillna(0)
    ref = zonal_sum(area.population.raster.path, area.units).sums
    np.testing.assert_allclose(by_unit.to_numpy(), ref.reindex(area.units.index).to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("mode", ["network", "euclidean"])
def test_step_writes_times_shares_and_scores(small_study, tmp_path, mode):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"accessibility": {"mode": mode, "thresholds": [5, 10], "max_cost": 30,
                                         "measures": ["nearest", "2sfca", "e2sfca", "gravity", "3sfca"]}}
    cfg["roads"]["node_crossings"] = True  # the fixture's roads cross without shared vertices
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "out")
    u = gpd.read_file(res.results_gpkg, layer="units")
    for cat in ("hospital", "school"):
        assert u[f"tt_{cat}_min"].between(0, 120).all()
        assert u[f"within_10min_share_{cat}"].between(0, 1).all()
        assert (u[f"within_10min_share_{cat}"] >= u[f"within_5min_share_{cat}"]).all()
        assert u[f"acc_2sfca_{cat}"].notna().all()
    cov = pd.read_csv(tmp_path / "out" / "tables" / "accessibility.csv")
    assert set(cov["threshold_min"]) == {5, 10}
    assert res.run["variants"]["accessibility"]["engine"] == mode


def test_crossing_without_vertex_is_an_island_unless_noded(small_study, tmp_path):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"accessibility": {"mode": "network", "thresholds": [10]}}
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "a")
    notes = " ".join(n["detail"] for n in res.run["analyses"])
    assert "disconnected" in notes and "node_crossings" in notes and "can reach no" in notes
