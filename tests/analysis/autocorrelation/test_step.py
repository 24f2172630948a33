"""The autocorrelation step through the pipeline."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import yaml

from urbanrural.pipeline import run


def test_step_writes_table_and_cluster_columns(small_study, tmp_path):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"autocorrelation": {"variables": ["population", "dist_hospital_km", "nope"],
                                           "permutations": 99, "seed": 1}}
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "tables" / "autocorrelation.csv", index_col=0)
    assert list(table.index) == ["population", "dist_hospital_km"]
    assert table["moran_i"].between(-1, 1).all()
    u = gpd.read_file(res.results_gpkg, layer="units")
    assert set(u["lisa_population"]) <= {"HH", "LL", "LH", "HL", "ns"}
    assert u["gi_dist_hospital_km"].notna().all()
    assert any(n["status"] == "skipped" and "nope" in n["detail"] for n in res.run["analyses"])
