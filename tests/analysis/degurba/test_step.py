"""The urban_rural step with each method, through pipeline.run on the small study."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

from urbanrural.geo.errors import UrbanRuralError
from urbanrural.pipeline import run


def _run(small_study, tmp_path, section):
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"urban_rural": section}
    small_study.write_text(yaml.safe_dump(cfg))
    res = run(small_study, out_dir=tmp_path / "out")
    return res, gpd.read_file(res.results_gpkg, layer="units")


def test_column_method(small_study, tmp_path):
    res, u = _run(small_study, tmp_path, {"column": "urban_class"})
    # the fixture's codes: 111, 121, 210, 220, 220, 112
    assert list(u["urban_class"]) == ["urban", "urban", "rural", "rural", "rural", "urban"]
    table = pd.read_csv(tmp_path / "out" / "tables" / "urban_rural.csv").set_index("urban_class")
    assert table.loc["urban", "units"] == 3 and table.loc["rural", "units"] == 3
    np.testing.assert_allclose(table.loc["urban", "population"],
                               u.loc[u["urban_class"] == "urban", "population"].sum(), rtol=1e-9)


def test_density_method(small_study, tmp_path):
    res, u = _run(small_study, tmp_path, {"density_threshold": 2450})
    expected = np.where(u["density_per_km2"] >= 2450, "urban", "rural")
    assert (u["urban_class"].to_numpy() == expected).all()
    assert set(expected) == {"urban", "rural"}  # the threshold splits this study


def test_bad_code_column_fails_the_run(small_study, tmp_path):
    import geopandas as gpd

    units = gpd.read_file(small_study.parent / "units.gpkg")
    units.loc[0, "urban_class"] = 999
    units.to_file(small_study.parent / "units.gpkg")
    with pytest.raises(UrbanRuralError, match="999"):  # refused before computing (validate finds it too)
        _run(small_study, tmp_path, {"column": "urban_class"})


def test_degurba_method(small_study, tmp_path):
    res, u = _run(small_study, tmp_path, {"method": "degurba"})
    out = tmp_path / "out"
    grid = out / "rasters" / "degurba_grid.tif"
    with rasterio.open(grid) as src:
        classes = src.read(1)
        assert src.crs.to_string() == "ESRI:54009" and src.res == (1000.0, 1000.0) and src.nodata == 255
    assert set(np.unique(classes).tolist()) <= {11, 12, 13, 21, 22, 23, 30, 255}
    # the fixture: 0-49 people per 100 m cell (~2,450/km2 on average) over 6 x 4 km: about
    # 60,000 people, dense everywhere -> one urban centre; most units are cities
    with rasterio.open(small_study.parent / "pop.tif") as src:
        fine = src.read(1)
    people = float(fine[fine != -9999].sum())
    grid_counts = pd.read_csv(out / "tables" / "degurba_grid.csv").set_index("code")
    np.testing.assert_allclose(grid_counts["population"].sum(), people, rtol=1e-6)  # resampling keeps everyone
    assert grid_counts.loc[30, "population"] >= 50_000  # partly covered edge cells fall below 1,500/km2
    assert u["degurba_l1"].isin([1, 2, 3]).all() and u["degurba_l2"].isin([30, 23, 22, 21, 13, 12, 11]).all()
    assert (u["urban_class"] == np.where(u["degurba_l1"] >= 2, "urban", "rural")).all()
    assert (u["degurba_l1"] == 3).sum() >= 4
    run_json = json.loads((out / "run.json").read_text())
    assert "no land grid" in json.dumps(run_json)


def test_degurba_small_population_is_rural(small_study, tmp_path):
    with rasterio.open(small_study.parent / "pop.tif", "r+") as dst:
        a = dst.read(1)
        a[a != -9999] = 1.0  # 100 people/km2: no cluster of 300/km2
        dst.write(a, 1)
    res, u = _run(small_study, tmp_path, {"method": "degurba"})
    assert (u["degurba_l1"] == 1).all() and (u["degurba_l2"] == 12).all()
    assert (u["urban_class"] == "rural").all()
