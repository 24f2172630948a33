"""The autocorrelation step through the pipeline."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from urbanrural.geo.errors import ConfigError
from urbanrural.pipeline import run


def test_step_writes_table_and_cluster_columns(small_study, tmp_path):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"autocorrelation": {"variables": ["population", "dist_hospital_km"],
                                           "permutations": 99, "seed": 1}}
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "tables" / "autocorrelation.csv", index_col=0)
    assert list(table.index) == ["population", "dist_hospital_km"]
    assert table["moran_i"].between(-1, 1).all()
    u = gpd.read_file(res.results_gpkg, layer="units")
    assert set(u["lisa_population"]) <= {"HH", "LL", "LH", "HL", "ns"}
    assert u["gi_dist_hospital_km"].notna().all()
    assert "gi_hot_95pct" in table.columns and "gi_cold_95pct" in table.columns


def test_unknown_variable_refused_before_computing(small_study, tmp_path):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"autocorrelation": {"variables": ["population", "populaton"]}}
    small_study.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match="unknown variable 'populaton'; did you mean 'population'"):
        run(small_study, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_gi_counts_follow_alpha(small_study, tmp_path):
    """Georgia-like check on the small study: counts at alpha 0.10 >= counts at 0.05, names follow alpha."""
    cfg = yaml.safe_load(small_study.read_text())
    counts = {}
    for alpha in (0.05, 0.1):
        cfg["analyses"] = {"autocorrelation": {"variables": ["population"], "permutations": 0, "alpha": alpha}}
        small_study.write_text(yaml.safe_dump(cfg))
        run(small_study, out_dir=tmp_path / f"out{alpha}")
        t = pd.read_csv(tmp_path / f"out{alpha}" / "tables" / "autocorrelation.csv", index_col=0)
        counts[alpha] = t
    assert "gi_hot_95pct" in counts[0.05] and "gi_hot_90pct" in counts[0.1]
    assert counts[0.1]["gi_hot_90pct"].iloc[0] >= counts[0.05]["gi_hot_95pct"].iloc[0]


def test_gi_counts_follow_the_adjustment(small_study, tmp_path):
    """With adjust: bonferroni the Gi* counts use alpha / n, like the LISA clusters, and say so."""
    import numpy as np

    from urbanrural.analysis import autocorrelation as ac

    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"autocorrelation": {"variables": ["population"], "permutations": 0,
                                           "adjust": "bonferroni"}}
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "o")
    t = pd.read_csv(tmp_path / "o" / "tables" / "autocorrelation.csv", index_col=0)
    units = gpd.read_file(res.results_gpkg, layer="units").set_index("code")
    w = ac.weights(units.to_crs(32650), "queen")
    gi = ac.local_g(units["population"], w, permutations=0)
    p = gi["p_norm"].to_numpy()
    expected = int(((p <= 0.05 / np.isfinite(p).sum()) & (gi["z"] > 0)).sum())
    assert t.loc["population", "gi_hot_95pct_bonferroni"] == expected
