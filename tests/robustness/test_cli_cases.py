"""Command-line misuse: every case exits 2 with one line, never a traceback or exit 1."""

from __future__ import annotations

import pytest
from robustness.harness import assert_refused, invoke


@pytest.fixture
def files(tmp_path):
    (tmp_path / "empty.gpkg").write_bytes(b"")
    (tmp_path / "junk.tif").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "truncated.tif").write_bytes(b"II*\x00" + b"\x00" * 60)
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("not a map layer\n")
    return tmp_path


@pytest.mark.parametrize("name,words", [
    ("empty.gpkg", ["empty.gpkg"]),
    ("junk.tif", ["junk.tif"]),
    ("truncated.tif", ["truncated.tif"]),
    ("folder", ["is a folder"]),
    ("missing.gpkg", ["does not exist"]),
])
def test_info_on_broken_files(files, name, words):
    assert_refused(invoke(["info", files / name], sandbox=files), *words)


@pytest.mark.parametrize("k", ["0", "1", "-3", "99", "five"])
def test_map_class_count_out_of_range(files, k):
    o = invoke(["map", files / "empty.gpkg", "--column", "x", "-k", k, "--out", files / "m.html"], sandbox=files)
    assert_refused(o, "-k")


@pytest.mark.parametrize("args,words", [
    (["run"], ["missing argument"]),
    (["run", "nope.yaml"], ["does not exist"]),
    (["validate", "notes.txt"], ["mapping"]),
    (["degurba", "junk.tif", "--out", "c.tif"], ["junk.tif"]),
    (["degurba", "folder", "--out", "c.tif"], ["folder"]),
    (["nosuchcommand"], ["no such command"]),
    (["map", "notes.txt", "--column", "x", "--out", "m.html"], ["notes.txt"]),
])
def test_misuse(files, args, words):
    assert_refused(invoke(args, sandbox=files), *words)


def test_map_command_finds_the_raster_of_a_category_with_a_space(small_study, tmp_path):
    """The run writes tt_health_centre.tif (safe name); `map --column "tt:health centre"` finds it via run.json."""
    import geopandas as gpd
    import shapely
    import yaml

    d = small_study.parent
    gpd.GeoDataFrame({"kind": ["health centre"]}, geometry=[shapely.Point(401_000, 4_301_000)],
                     crs=32650).to_file(d / "hc.gpkg")
    cfg = yaml.safe_load(small_study.read_text())
    cfg["facilities"] = [{"path": "hc.gpkg", "category_column": "kind"}]
    cfg["analyses"] = {"accessibility": {"mode": "euclidean"}}
    small_study.write_text(yaml.safe_dump(cfg))
    assert invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path).exit_code == 0
    assert (tmp_path / "res" / "rasters" / "tt_health_centre.tif").is_file()
    o = invoke(["map", tmp_path / "res" / "results.gpkg", "--column", "tt:health centre", "--out",
                tmp_path / "tt.html"], sandbox=tmp_path)
    assert o.exit_code == 0, o.output


def test_unknown_table_encoding_and_truncated_spreadsheet(small_study, tmp_path):
    import yaml

    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text())
    cfg["indicators"]["encoding"] = "foo"
    small_study.write_text(yaml.safe_dump(cfg))
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), "unknown text encoding", "'foo'")
    import pandas as pd

    pd.read_csv(d / "ind.csv", dtype={"code": str}).to_excel(d / "ind.xlsx", index=False)
    (d / "trunc.xlsx").write_bytes((d / "ind.xlsx").read_bytes()[:300])
    cfg["indicators"] = {"path": "trunc.xlsx", "id": "code"}
    small_study.write_text(yaml.safe_dump(cfg))
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), "trunc.xlsx")
    assert_refused(invoke(["info", d / "trunc.xlsx"], sandbox=tmp_path), "trunc.xlsx")


def test_infinite_population_refused(small_study, tmp_path):
    import geopandas as gpd
    import yaml

    d = small_study.parent
    u = gpd.read_file(d / "units.gpkg")
    u["pop"] = ["1,000", "1e999", "20", "30", "40", "50"]
    u.to_file(d / "units.gpkg")
    cfg = yaml.safe_load(small_study.read_text())
    cfg["population"] = {"column": "pop"}
    small_study.write_text(yaml.safe_dump(cfg))
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), "1e999")


def test_multi_layer_water_file_is_named_with_water_layer(small_study, tmp_path):
    import geopandas as gpd
    import shapely
    import yaml

    d = small_study.parent
    gpd.GeoDataFrame(geometry=[shapely.box(402_000, 4_302_000, 402_600, 4_302_600)], crs=32650).to_file(
        d / "water.gpkg", layer="lakes")
    gpd.GeoDataFrame(geometry=[shapely.LineString([(400_000, 4_302_500), (406_000, 4_302_500)])],
                     crs=32650).to_file(d / "water.gpkg", layer="rivers")
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"accessibility": {"mode": "raster", "resolution": 200, "water": "water.gpkg"}}
    small_study.write_text(yaml.safe_dump(cfg))
    o = invoke(["run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_refused(o, "'lakes'", "'rivers'", "water_layer")
    cfg["analyses"]["accessibility"]["water_layer"] = "lakes"
    small_study.write_text(yaml.safe_dump(cfg))
    assert invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path).exit_code == 0


@pytest.mark.parametrize("extra,words", [
    (["--bins", "15,abc"], ["--bins", "15,30,60"]),
    (["--context", "rivers"], ["--context", "facilities, roads, isochrones"]),
    (["--page", "B5"], ["--page", "A4"]),
    (["--dpi", "10"], ["--dpi"]),
    (["--lang", "fr"], ["--lang"]),
])
def test_map_option_misuse(small_study, tmp_path, extra, words):
    import yaml

    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"urban_rural": {"column": "urban_class"}}
    small_study.write_text(yaml.safe_dump(cfg))
    assert invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path).exit_code == 0
    o = invoke(["map", tmp_path / "res" / "results.gpkg", "--column", "population", "--out", tmp_path / "m.html",
                *extra], sandbox=tmp_path)
    assert_refused(o, *words)


def test_map_column_did_you_mean(small_study, tmp_path):
    assert invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path).exit_code == 0
    o = invoke(["map", tmp_path / "res" / "results.gpkg", "--column", "populaton", "--out", tmp_path / "m.png"],
               sandbox=tmp_path)
    assert_refused(o, "did you mean 'population'")


def test_map_print_options_reach_the_page(small_study, tmp_path):
    assert invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path).exit_code == 0
    o = invoke(["map", tmp_path / "res" / "results.gpkg", "--column", "population", "--out", tmp_path / "m.pdf",
                "--page", "A3", "--orientation", "landscape", "--source", "县统计局 2024", "--lang", "zh"],
               sandbox=tmp_path)
    assert o.exit_code == 0, o.output
    import re

    data = (tmp_path / "m.pdf").read_bytes()
    box = [float(v) for v in re.search(rb"/MediaBox \[\s*([^\]]+)\]", data).group(1).split()]
    assert abs(box[2] - 1190.55) < 1 and abs(box[3] - 841.89) < 1  # A3 landscape (420 x 297 mm) in points
    assert b"/Type3" not in data
