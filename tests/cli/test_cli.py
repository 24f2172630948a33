import json

import pytest
from click.testing import CliRunner

import urbanrural
from urbanrural.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_version(runner):
    res = runner.invoke(main, ["--version"])
    assert res.exit_code == 0 and urbanrural.__version__ in res.output


def test_info_vector_raster_table(runner, small_study):
    d = small_study.parent
    res = runner.invoke(main, ["info", str(d / "units.gpkg")])
    assert res.exit_code == 0 and "6 Polygon features, crs EPSG:4326" in res.output
    res = runner.invoke(main, ["info", "--json", str(d / "pop.tif")])
    assert json.loads(res.output)["nodata"] == -9999
    res = runner.invoke(main, ["info", str(d / "ind.csv")])
    assert "count: 6" in res.output


def test_missing_file_is_one_line_and_exit_2(runner, tmp_path):
    res = runner.invoke(main, ["info", str(tmp_path / "nope.gpkg")])
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and "does not exist" in res.output


def test_validate_ok_and_bad(runner, small_study):
    res = runner.invoke(main, ["validate", str(small_study)])
    assert res.exit_code == 0, res.output
    assert "ok - 6 units in EPSG:32650" in res.output
    small_study.write_text(small_study.read_text().replace("id: code", "idd: code"))
    res = runner.invoke(main, ["validate", str(small_study)])
    assert res.exit_code == 2
    assert "did you mean 'id'" in res.output and "problem(s)" in res.output


def test_run_writes_outputs_and_refuses_to_overwrite(runner, small_study):
    out = small_study.parent / "o"
    res = runner.invoke(main, ["-q", "run", str(small_study), "--out", str(out)])
    assert res.exit_code == 0, res.output
    for name in ("results.gpkg", "run.json", "report.html"):
        assert (out / name).is_file()
    run = json.loads((out / "run.json").read_text())
    assert set(run["inputs"]) >= {"units", "population", "facilities[0]", "facilities[1]", "roads"}
    assert all(len(v["sha256"]) == 64 for v in run["inputs"].values())
    assert run["study_area"]["crs"] == "EPSG:32650"
    assert "pyproj" in run["versions"] and "total" in run["timings_s"]
    res = runner.invoke(main, ["run", str(small_study), "--out", str(out)])
    assert res.exit_code == 2 and "--overwrite" in res.output
    res = runner.invoke(main, ["-q", "run", str(small_study), "--out", str(out), "--overwrite"])
    assert res.exit_code == 0


def test_bad_input_exits_2_naming_file_and_fix(runner, small_study):
    d = small_study.parent
    # a raster with no nodata declared
    import numpy as np
    import rasterio

    with rasterio.open(d / "pop.tif") as src:
        prof, arr = src.profile, src.read(1)
    prof.pop("nodata")
    with rasterio.open(d / "pop2.tif", "w", **prof) as dst:
        dst.write(np.where(arr < 0, 0, arr), 1)
    small_study.write_text(small_study.read_text().replace("pop.tif", "pop2.tif"))
    res = runner.invoke(main, ["run", str(small_study), "--out", str(d / "o")])
    assert res.exit_code == 2
    line = res.output.strip().splitlines()[-1]
    assert line.startswith("error: pop2.tif declares no nodata value") and "nodata: -9999" in line
    assert not (d / "o").exists()


def test_bug_exit_1(runner, monkeypatch, small_study):
    import urbanrural.pipeline as pipeline

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(pipeline, "build_study_area", boom)
    res = runner.invoke(main, ["run", str(small_study)])
    assert res.exit_code == 1 and "internal error" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["-v", "run", str(small_study)])
    assert res.exit_code == 1 and "Traceback" in res.output


def test_failed_run_leaves_no_partial_output(runner, monkeypatch, small_study):
    import urbanrural.pipeline as pipeline
    from urbanrural.geo.errors import DataError

    def fail_midway(ctx):
        (ctx.tmp / "half-written.csv").write_text("x")
        raise DataError("synthetic failure in an analysis step")

    monkeypatch.setitem(pipeline.ANALYSES, "_maps", fail_midway)
    out = small_study.parent / "o"
    res = runner.invoke(main, ["run", str(small_study), "--out", str(out)])
    assert res.exit_code == 2 and "synthetic failure" in res.output
    assert not out.exists()
    assert [p.name for p in small_study.parent.iterdir() if p.name.startswith(".o")] == []


def test_demo_end_to_end(runner, tmp_path):
    out = tmp_path / "demo"
    res = runner.invoke(main, ["demo", "--out", str(out)])
    assert res.exit_code == 0, res.output
    run = json.loads((out / "results" / "run.json").read_text(encoding="utf-8"))
    assert run["study_area"]["units"] >= 80
    import geopandas as gpd

    units = gpd.read_file(out / "results" / "results.gpkg", layer="units")
    assert units["code"].str.startswith("0").all()
    assert units["population"].sum() > 150_000
    assert (units["dist_hospital_km"] > 0).all()
    # a second demo into the same folder is refused, then allowed with --overwrite
    res = runner.invoke(main, ["demo", "--out", str(out)])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert runner.invoke(main, ["demo", "--out", str(out), "--overwrite"]).exit_code == 0


@pytest.mark.shared
def test_degurba_command(runner, shared_data, tmp_path):
    d = shared_data / "degurba-belgium"
    out = tmp_path / "classes.tif"
    res = runner.invoke(main, ["degurba", str(d / "POP.tif"), "--land", str(d / "LAND.tif"), "--built",
                               str(d / "BUILT_S.tif"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists() and "urban centre" in res.output
    again = runner.invoke(main, ["degurba", str(d / "POP.tif"), "--out", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.output
    product = runner.invoke(main, ["degurba", str(d / "POP.tif"), "--land", str(d / "LAND.tif"), "--built",
                                   str(d / "BUILT_S.tif"), "--rules", "R2023A", "--out", str(tmp_path / "r.tif")])
    assert product.exit_code == 0, product.output

    def semi_dense(text):
        return next(line for line in text.splitlines() if line.strip().startswith("22 ")).split()

    assert semi_dense(product.output) != semi_dense(res.output)  # 300/km2 8-connected vs 900/km2 4-connected


def test_map_command_html_and_png(runner, small_study, tmp_path):
    res = runner.invoke(main, ["run", str(small_study), "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    gpkg = tmp_path / "r" / "results.gpkg"
    for suffix in (".html", ".png"):
        out = tmp_path / f"m{suffix}"
        r = runner.invoke(main, ["map", str(gpkg), "--column", "dist_hospital_km", "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert out.stat().st_size > 1000
    bad = runner.invoke(main, ["map", str(gpkg), "--column", "nope", "--out", str(tmp_path / "x.html")])
    assert bad.exit_code == 2 and "nope" in bad.output


def test_run_scale_options_reach_run_json(runner, small_study):
    out = small_study.parent / "o"
    res = runner.invoke(main, ["-q", "run", str(small_study), "--out", str(out), "--memory-gb", "2"])
    assert res.exit_code == 0, res.output
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["scale"]["memory_gb"] == 2 and run["scale"] == {"scheduler": None, "memory_gb": 2.0}
    steps = {k: v for k, v in run["memory_gb"].items() if isinstance(v, dict)}
    assert {"load", "write", "maps"} <= set(steps)
    assert all(0 < v["start"] <= v["peak"] for v in steps.values())
    assert run["memory_gb"]["run_peak"] >= max(v["peak"] for v in steps.values())
    res = runner.invoke(main, ["run", str(small_study), "--out", str(out), "--overwrite", "--scheduler", "my laptop"])
    assert res.exit_code == 2 and "tcp://host:8786" in res.output
