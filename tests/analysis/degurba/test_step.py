"""The urban_rural step with each method."""

from __future__ import annotations

import geopandas as gpd
import pytest
import yaml

from urbanrural.pipeline import run


@pytest.mark.parametrize("section", [{"column": "urban_class"}, {"density_threshold": 100},
                                     {"method": "degurba"}])
def test_step_writes_urban_class(small_study, tmp_path, section):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"urban_rural": section}
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "out")
    u = gpd.read_file(res.results_gpkg, layer="units")
    assert set(u["urban_class"]) <= {"urban", "rural"}
    if "column" in section:
        assert list(u["urban_class"]) == ["urban", "urban", "rural", "rural", "rural", "urban"]
    if section.get("method") == "degurba":
        assert (tmp_path / "out" / "rasters" / "degurba_grid.tif").exists()
        assert u["degurba_l1"].isin([1, 2, 3]).all()
