"""Bad input to ``urbanrural map``: a clear typed error and exit 2, never a traceback; the
inputs unchanged and nothing written.  k decision: k < 2 is refused (naming the allowed
range; the CLI's -k takes 2..12, the library refuses k < 2 with a DataError); a k above the
number of distinct values is lowered to it with a note."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from PIL import Image
from rasterio.transform import from_origin
from robustness.harness import assert_ran, assert_refused, invoke

from urbanrural import maps


def _units(n: int = 9, *, z: bool = False) -> gpd.GeoDataFrame:
    geoms = [shapely.box(400_000 + 1000 * (i % 3), 4_300_000 + 1000 * (i // 3), 401_000 + 1000 * (i % 3),
                         4_301_000 + 1000 * (i // 3)) for i in range(n)]
    if z:
        geoms = [shapely.force_3d(g, 50.0) for g in geoms]
    v = np.arange(n, dtype=float)
    v[0] = np.nan
    return gpd.GeoDataFrame({"name": [f"u{i}" for i in range(n)], "value": v, "two": [1.0, 2.0] * (n // 2) + [1.0],
                             "tt_clinic_min": v * 10, "empty": np.nan,
                             "reach_clinic": ["no people"] + ["ok"] * (n - 1)},
                            geometry=geoms, crs=32650, index=[f"{i:02d}" for i in range(n)])


@pytest.fixture
def results(tmp_path: Path) -> Path:
    p = tmp_path / "run" / "results.gpkg"
    p.parent.mkdir()
    _units().to_file(p, layer="units")
    return p


def test_csv_file(tmp_path):
    (tmp_path / "results.csv").write_text("id,value\n1,2\n")
    out = invoke(["map", "results.csv", "--column", "value", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "results.csv", "no layer with geometry")


def test_empty_file(tmp_path):
    (tmp_path / "results.gpkg").write_bytes(b"")
    out = invoke(["map", "results.gpkg", "--column", "value", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "results.gpkg", "empty", "0 bytes")


def test_text_file(tmp_path):
    (tmp_path / "notes.txt").write_text("these are notes, not a map layer\n" * 5)
    out = invoke(["map", "notes.txt", "--column", "value", "--out", "m.png"], sandbox=tmp_path)
    assert_refused(out, "notes.txt")


def test_text_file_named_gpkg(tmp_path):
    (tmp_path / "results.gpkg").write_text("not a geopackage\n")
    out = invoke(["map", "results.gpkg", "--column", "value", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "results.gpkg", "cannot be read")


def test_truncated_geopackage(tmp_path, results):
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(results.read_bytes()[:3000])
    out = invoke(["map", "cut.gpkg", "--column", "value", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "cut.gpkg")


def test_missing_file(tmp_path):
    out = invoke(["map", "nope.gpkg", "--column", "value", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "nope.gpkg", "does not exist")


def test_directory_instead_of_file(tmp_path):
    (tmp_path / "dir.gpkg").mkdir()
    out = invoke(["map", "dir.gpkg", "--column", "value", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "not a file")


def test_missing_layer_lists_layers(tmp_path, results):
    out = invoke(["map", results, "--column", "value", "--layer", "towns", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "no layer 'towns'", "units", "--layer")


def test_facilities_layer_absent(tmp_path, results):
    out = invoke(["map", results, "--column", "facilities", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "no layer 'facilities'", "units")


def test_truncated_geotiff_for_tt(tmp_path, results):
    rasters = results.parent / "rasters"
    rasters.mkdir()
    tif = rasters / "tt_clinic.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=64, height=64, count=1, dtype="float32", crs="EPSG:32650",
                       transform=from_origin(400_000, 4_303_000, 50, 50), nodata=-1) as dst:
        dst.write(np.random.default_rng(0).uniform(0, 90, (64, 64)).astype("float32"), 1)
    tif.write_bytes(tif.read_bytes()[:1200])
    out = invoke(["map", results, "--column", "tt:clinic", "--out", "tt.html"], sandbox=tmp_path)
    assert_refused(out, "tt_clinic.tif", "cannot be read")


def test_tt_without_raster(tmp_path, results):
    out = invoke(["map", results, "--column", "tt:school", "--out", "tt.html"], sandbox=tmp_path)
    assert_refused(out, "travel-time raster", "school")


@pytest.mark.parametrize("k", ["0", "1", "-3", "99"])
def test_k_below_two(tmp_path, results, k):
    out = invoke(["map", results, "--column", "value", "-k", k, "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "-k", "range", "2")


def test_k_above_distinct_values_is_lowered_with_a_note(tmp_path, results):
    out = invoke(["map", results, "--column", "two", "-k", "7", "--out", "m.png"], sandbox=tmp_path)
    assert_ran(out, ".")
    assert "2 distinct value" in out.output and (tmp_path / "m.png").exists()


def test_unknown_scheme_lists_valid_ones(tmp_path, results):
    out = invoke(["map", results, "--column", "value", "--scheme", "jenks", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "'jenks'", "quantiles", "natural_breaks", "equal_interval")


def test_user_scheme_without_bins(tmp_path, results):
    out = invoke(["map", results, "--column", "value", "--scheme", "user", "--out", "m.png"], sandbox=tmp_path)
    assert_refused(out, "bins")


@pytest.mark.parametrize("name", ["m.jpg", "m", "m.html.txt", "m.geojson"])
def test_output_suffix(tmp_path, results, name):
    out = invoke(["map", results, "--column", "value", "--out", name], sandbox=tmp_path)
    assert_refused(out, ".html", ".png", ".pdf", ".svg")


def test_unknown_column(tmp_path, results):
    out = invoke(["map", results, "--column", "valu", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "'valu'")


def test_lisa_of_a_missing_variable(tmp_path, results):
    out = invoke(["map", results, "--column", "lisa:income", "--out", "m.png"], sandbox=tmp_path)
    assert_refused(out, "lisa_income")


def test_spec_without_category(tmp_path, results):
    out = invoke(["map", results, "--column", "iso:", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "iso:CATEGORY")


def test_column_without_values(tmp_path, results):
    out = invoke(["map", results, "--column", "empty", "--out", "m.png"], sandbox=tmp_path)
    assert_refused(out, "'empty'", "no numeric values")


def test_layer_without_crs(tmp_path):
    p = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="crs"):
        _units().set_crs(None, allow_override=True).to_file(p, layer="units")
    out = invoke(["map", p, "--column", "value", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "no CRS")


def test_point_units(tmp_path):
    p = tmp_path / "pts.gpkg"
    u = _units()
    u.set_geometry(u.centroid).to_file(p, layer="units")
    out = invoke(["map", p, "--column", "value", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "polygons")


def test_empty_layer(tmp_path):
    p = tmp_path / "none.gpkg"
    _units().iloc[:0].to_file(p, layer="units")
    out = invoke(["map", p, "--column", "value", "--out", "m.html"], sandbox=tmp_path)
    assert_refused(out, "no features")


@pytest.mark.parametrize("suffix", [".html", ".png"])
def test_units_with_z_coordinates_draw(tmp_path, suffix):
    p = tmp_path / "z.gpkg"
    _units(z=True).to_file(p, layer="units")
    out = invoke(["map", p, "--column", "value", "--out", f"m{suffix}"], sandbox=tmp_path)
    assert_ran(out, ".")
    assert (tmp_path / f"m{suffix}").stat().st_size > 1000


def test_no_people_and_unreachable_in_a_print_legend(tmp_path):
    """The print map lists each reason apart from "no data" (svg text), and draws them."""
    u = _units()
    u.loc["01", "tt_clinic_min"] = np.nan
    u.loc["01", "reach_clinic"] = "unreachable"
    u.loc["02", "tt_clinic_min"] = np.nan  # reach "ok" but no value: no data
    svg = maps.render_map(u, "tt_clinic_min", tmp_path / "tt.svg").read_text(encoding="utf-8")
    for word in ("unreachable", "no people", "No data"):
        assert word in svg, word
    png = maps.render_map(u, "tt:clinic", tmp_path / "tt.png", language="zh")
    with Image.open(png) as im:
        a = np.asarray(im.convert("RGB")).reshape(-1, 3)
    # the dark grey of "unreachable" is drawn
    assert (np.abs(a.astype(int) - (0x4d, 0x4d, 0x4d)).sum(axis=1) < 6).sum() > 500


@pytest.mark.parametrize("k", [0, 1, -2, 2.5])
def test_library_refuses_k_below_two(k, tmp_path):
    from urbanrural.geo.errors import DataError

    with pytest.raises(DataError, match="at least 2"):
        maps.render_map(_units(), "value", tmp_path / "m.html", k=k)
    assert not list(tmp_path.iterdir())
