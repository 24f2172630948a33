"""The integration step through the pipeline."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml

from urbanrural.geo.errors import ConfigError
from urbanrural.pipeline import run


def test_step_writes_index_scores_and_ccd(small_study, tmp_path):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"integration": {
        "dimensions": {"urban": {"income": "+"}, "rural": {"nonfarm_share": "+", "dist_hospital_km": "-"}},
        "ccd": {"subsystems": ["urban", "rural"]}}}
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "out")
    u = gpd.read_file(res.results_gpkg, layer="units")
    assert u["integration_index"].between(0, 1).all()
    assert u["ccd_D"].between(0, 1).all() and u["ccd_class"].between(1, 10).all()
    w = pd.read_csv(tmp_path / "out" / "tables" / "integration.csv", index_col=0)
    assert np.isclose(w["weight"].sum(), 1.0)


def test_misspelt_indicator_refused_with_did_you_mean(small_study, tmp_path):
    """A misspelt indicator used to be dropped at run time, silently changing the weights."""
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"integration": {"dimensions": {"urban": {"incme": "+"}, "rural": {"nonfarm_share": "+"}}}}
    small_study.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match="unknown indicator 'incme'; did you mean 'income'"):
        run(small_study, out_dir=tmp_path / "out")
