"""A run on a LocalCluster (scale: scheduler: local) equals the serial run (issue 16).

The county-size synthetic region of benchmarks/_regions.py, run twice: serially and on a
two-worker LocalCluster with the DEGURBA grid in 16-cell tiles (3 x 3 tiles) and the LISA
permutation blocks on the workers. Unit classes, travel times and LISA results must agree
exactly; run.json names the scheduler and the tiles.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from benchmarks._regions import make_region
from urbanrural._steps import urban_rural
from urbanrural.pipeline import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    d = tmp_path_factory.mktemp("county")
    cfg = make_region("county", d, measures=["nearest"], maps=False)
    data = yaml.safe_load(cfg.read_text())
    data["analyses"]["autocorrelation"]["permutations"] = 199
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    return cfg


def test_local_cluster_run_equals_serial(county, monkeypatch):
    serial = run(county, out_dir=county.parent / "serial")
    data = yaml.safe_load(county.read_text())
    data["scale"] = {"scheduler": "local", "workers": 2, "memory_gb": 3}
    local_cfg = county.parent / "local.yaml"
    local_cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setattr(urban_rural, "TILE_CELLS", 16)
    local = run(local_cfg, out_dir=county.parent / "local")
    info = json.loads((local.out_dir / "run.json").read_text())
    assert info["scale"]["scheduler"] == "local" and info["scale"]["workers"] == 2
    assert info["results"]["degurba_tiles"] == {"tile_cells": 16, "scheduler": "local"}
    assert "degurba_tiles" not in serial.run["results"]
    a = gpd.read_file(serial.results_gpkg, layer="units").set_index("code")
    b = gpd.read_file(local.results_gpkg, layer="units").set_index("code")
    cols = ["urban_class", "degurba_l2", "tt_hospital_min", "lisa_tt_hospital_min", "lisa_p_tt_hospital_min"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert a["urban_class"].nunique() == 2  # towns and countryside both present


@pytest.mark.parametrize("mode", ["raster", "euclidean"])
def test_travel_times_on_a_cluster_equal_serial(county, monkeypatch, mode):
    """raster: the friction surface in 128-cell tiles with halos on the workers; euclidean:
    nearest facility over origin blocks on the workers. Same minutes as in process."""
    from urbanrural._steps import accessibility

    data = yaml.safe_load(county.read_text())
    data["analyses"] = {"accessibility": {"mode": mode, "resolution": 200, "thresholds": [15, 30],
                                          "measures": ["nearest"]}}
    cfgs = {}
    for name, scale in (("serial", None), ("local", {"scheduler": "local", "workers": 2, "memory_gb": 3})):
        d = dict(data, **({"scale": scale} if scale else {}))
        cfgs[name] = county.parent / f"{mode}-{name}.yaml"
        cfgs[name].write_text(yaml.safe_dump(d, sort_keys=False))
    monkeypatch.setattr(accessibility, "TT_TILE", 128)
    ra = run(cfgs["serial"], out_dir=county.parent / f"{mode}-serial")
    rb = run(cfgs["local"], out_dir=county.parent / f"{mode}-local")
    a = gpd.read_file(ra.results_gpkg, layer="units")
    b = gpd.read_file(rb.results_gpkg, layer="units")
    cols = [c for c in a.columns if c.startswith(("tt_", "within_", "reach_"))]
    assert "tt_clinic_min" in cols
    pd.testing.assert_frame_equal(a[cols], b[cols])
    # the same files: travel-time rasters and isochrones included
    assert ra.run["outputs"] == rb.run["outputs"] and "rasters/tt_clinic.tif" in ra.run["outputs"]
    # run.json: the workers' memory beside this process's when a cluster ran the step
    assert rb.run["memory_gb"]["accessibility"]["workers_peak"] > 0.05
    assert "workers_peak" not in ra.run["memory_gb"]["accessibility"]
    import rasterio

    with rasterio.open(ra.out_dir / "rasters/tt_clinic.tif") as x, rasterio.open(rb.out_dir / "rasters/tt_clinic.tif") as y:
        assert (x.read(1) == y.read(1)).all()
    pd.testing.assert_frame_equal(gpd.read_file(ra.results_gpkg, layer="isochrones").drop(columns="geometry"),
                                  gpd.read_file(rb.results_gpkg, layer="isochrones").drop(columns="geometry"))
