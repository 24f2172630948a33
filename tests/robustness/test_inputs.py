"""Bad and awkward inputs through the command line: refused with a one-line fix, or
repaired with a count in run.json.

Each case alters a copy of the ``small_study`` fixture (six 2 km units near Baoding in
EPSG:4326, a population raster in UTM 50N, hospitals, schools as a CSV, roads and an
indicator table), runs ``validate`` or ``run`` and checks: the exit code, key words of
the message, no traceback, inputs unchanged, nothing written outside the run folder,
and for repairs the count in run.json's ``checks``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml
from robustness.harness import ConfigCase as Case
from robustness.harness import assert_ran, assert_refused, invoke, run_config_case

X0, Y0 = 400_000.0, 4_300_000.0
RUN = "res"

Mutation = Callable[[Path, dict], None]


# ---------------------------------------------------------------- helpers
def _units(d: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(d / "units.gpkg")


def _write_units(d: Path, g: gpd.GeoDataFrame, name: str = "units.gpkg", **kw) -> None:
    path = d / name
    if path.exists():
        path.unlink()
    g.to_file(path, **kw)


def _set_unit_geoms(d: Path, geoms_utm: list, *, keep_crs: bool = True) -> None:
    g = _units(d)
    new = gpd.GeoSeries(geoms_utm, crs=32650).to_crs(4326)
    g = g.set_geometry(list(new.values), crs=4326)
    _write_units(d, g)


def _boxes() -> list:
    return [shapely.box(X0 + 2000 * (i % 3), Y0 + 2000 * (i // 3), X0 + 2000 * (i % 3 + 1),
                        Y0 + 2000 * (i // 3 + 1)) for i in range(6)]


def _pop(d: Path) -> tuple[np.ndarray, dict]:
    with rasterio.open(d / "pop.tif") as src:
        return src.read(1), src.profile.copy()


def _write_pop(d: Path, arr: np.ndarray, profile: dict) -> None:
    (d / "pop.tif").unlink()
    with rasterio.open(d / "pop.tif", "w", **profile) as dst:
        dst.write(arr.astype(profile["dtype"]), 1)


def _indicators(d: Path) -> pd.DataFrame:
    return pd.read_csv(d / "ind.csv", dtype={"code": str})


def _checks(d: Path) -> list[dict]:
    return json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))["checks"]


def _study(d: Path) -> dict:
    return json.loads((d / RUN / "run.json").read_text(encoding="utf-8"))["study_area"]


def _check(d: Path, check: str, status: str | None = None) -> dict:
    found = [c for c in _checks(d) if check in c["check"] and (status is None or c["status"] == status)]
    assert found, f"no check {check!r} ({status}) in {[(c['check'], c['status']) for c in _checks(d)]}"
    return found[0]


# ---------------------------------------------------------------- mutations: geometry
def empty_geometry(d, cfg):
    g = _units(d)
    g.loc[2, "geometry"] = shapely.Polygon()
    _write_units(d, g)


def empty_geometry_dropped(d, cfg):
    empty_geometry(d, cfg)
    cfg["units"]["drop_empty"] = True


def bowtie(d, cfg):
    geoms = _boxes()
    b = geoms[0].bounds
    geoms[0] = shapely.Polygon([(b[0], b[1]), (b[2], b[3]), (b[2], b[1]), (b[0], b[3])])
    _set_unit_geoms(d, geoms)


def z_units(d, cfg):
    g = _units(d)
    g = g.set_geometry(shapely.force_3d(np.asarray(g.geometry.values), 50.0), crs=g.crs)
    _write_units(d, g)


def multipart_units(d, cfg):
    geoms = _boxes()
    geoms[0] = shapely.MultiPolygon([shapely.box(X0, Y0, X0 + 900, Y0 + 2000),
                                     shapely.box(X0 + 1100, Y0, X0 + 2000, Y0 + 2000)])
    _set_unit_geoms(d, geoms)


def points_as_units(d, cfg):
    _set_unit_geoms(d, [b.centroid for b in _boxes()])


def identical_units(d, cfg):
    _set_unit_geoms(d, [_boxes()[0]] * 6)


def overlapping_units(d, cfg):
    geoms = _boxes()
    geoms[1] = shapely.box(X0 + 1400, Y0, X0 + 4000, Y0 + 2000)  # 30 % of unit 0
    _set_unit_geoms(d, geoms)


def sliver_overlap(d, cfg):
    geoms = _boxes()
    geoms[1] = shapely.box(X0 + 1999, Y0, X0 + 4000, Y0 + 2000)  # 1 m strip: 0.05 %
    _set_unit_geoms(d, geoms)


def duplicate_ids(d, cfg):
    g = _units(d)
    g.loc[1, "code"] = g.loc[0, "code"]
    _write_units(d, g)


def missing_ids(d, cfg):
    g = _units(d)
    g["code"] = g["code"].astype(object)
    g.loc[3, "code"] = None
    _write_units(d, g)


def float_ids(d, cfg):
    g = _units(d)
    g["code"] = g["code"].astype(float)  # '0101001' -> 101001.0: the zeros are gone
    _write_units(d, g)


def float_ids_alone(d, cfg):
    float_ids(d, cfg)
    cfg.pop("indicators")


def fractional_ids(d, cfg):
    g = _units(d)
    g["code"] = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]
    _write_units(d, g)


def id_is_name(d, cfg):
    cfg["units"]["id"] = "name"
    cfg["units"]["name"] = "name"
    cfg.pop("indicators")


# ---------------------------------------------------------------- mutations: CRS
def no_crs(d, cfg):
    g = _units(d).drop(columns=["urban_class"])  # shapefile names are 10 characters at most
    g.to_file(d / "units.shp")
    (d / "units.prj").unlink()
    cfg["units"]["path"] = "units.shp"


def no_crs_declared(d, cfg):
    no_crs(d, cfg)
    cfg["units"]["crs"] = "EPSG:4326"


def no_crs_wrongly_declared(d, cfg):
    g = _units(d).drop(columns=["urban_class"]).to_crs(32650)
    g.to_file(d / "units.shp")
    (d / "units.prj").unlink()
    cfg["units"]["path"] = "units.shp"
    cfg["units"]["crs"] = "EPSG:4326"  # but the coordinates are UTM metres


def degrees_labelled_projected(d, cfg):
    g = _units(d).set_crs(32650, allow_override=True)  # lon/lat labelled UTM
    _write_units(d, g)


def wrong_label(d, cfg):
    g = _units(d).to_crs(32650).set_crs(4326, allow_override=True)  # metres labelled degrees
    _write_units(d, g)


def relabelled(d, cfg):
    cfg["units"]["crs"] = "EPSG:32650"  # the file already says EPSG:4326


def web_mercator(d, cfg):
    cfg["crs"] = "EPSG:3857"


def web_mercator_accepted(d, cfg):
    cfg["crs"] = "EPSG:3857"
    cfg["crs_tolerance"] = 0.3  # the message's own "to accept the error instead" advice


def overlap_accepted(d, cfg):
    overlapping_units(d, cfg)
    cfg["units"]["overlap_tolerance"] = 0.5


def far_utm(d, cfg):
    cfg["crs"] = "EPSG:32645"  # 30 degrees west of the data


def geographic_analysis_crs(d, cfg):
    cfg["crs"] = "EPSG:4326"


def swapped_axes(d, cfg):
    cfg["facilities"][1]["x"], cfg["facilities"][1]["y"] = "lat", "lon"


# ---------------------------------------------------------------- mutations: values
def _set_income(d, values):
    t = _indicators(d)
    t["income"] = values
    t.to_csv(d / "ind.csv", index=False)


def thousands(d, cfg):
    _set_income(d, ["43,228", "1,234,567", "25", "10 500", "11", "2,800.5"])


def full_width(d, cfg):
    _set_income(d, ["１２", "２５", "１，２３４", "１０", "１１．５", "２８"])


def placeholders(d, cfg):
    _set_income(d, ["30", "—", "12", "…", "N/A", "-"])


def text_in_numbers(d, cfg):
    _set_income(d, ["30", "25", "abc", "10", "11", "28"])


def text_in_used_indicator(d, cfg):
    text_in_numbers(d, cfg)
    cfg["analyses"] = {"integration": {"dimensions": {"economy": {"income": "+", "nonfarm_share": "+"}}}}


def thousands_in_used_indicator(d, cfg):
    thousands(d, cfg)
    cfg["analyses"] = {"integration": {"dimensions": {"economy": {"income": "+", "nonfarm_share": "+"}}}}


def percent(d, cfg):
    _set_income(d, ["30%", "25%", "12.5%", "10%", "+11%", "28%"])


def empty_indicator_table(d, cfg):
    (d / "ind.csv").write_bytes(b"")


# ---------------------------------------------------------------- mutations: rasters
def raster_no_nodata(d, cfg):
    arr, prof = _pop(d)
    prof["nodata"] = None
    arr[arr == -9999] = 0
    _write_pop(d, arr, prof)


def raster_no_nodata_declared(d, cfg):
    raster_no_nodata(d, cfg)
    cfg["population"]["nodata"] = -9999


def raster_nan(d, cfg):
    arr, prof = _pop(d)
    arr[5:10, 5:10] = np.nan  # 25 cells inside unit 0101001
    _write_pop(d, arr, prof)


def raster_inf(d, cfg):
    arr, prof = _pop(d)
    arr[5, 5:8] = np.inf
    arr[6, 5] = -np.inf
    _write_pop(d, arr, prof)


def raster_negative(d, cfg):
    arr, prof = _pop(d)
    arr[20:22, 20:22] = -1
    _write_pop(d, arr, prof)


def raster_truncated(d, cfg):
    arr, prof = _pop(d)
    prof.update(tiled=True, blockxsize=16, blockysize=16, compress="deflate")
    _write_pop(d, np.random.default_rng(1).random(arr.shape).astype("float32") * 50, prof)
    data = (d / "pop.tif").read_bytes()
    (d / "pop.tif").write_bytes(data[: len(data) // 2])


def raster_garbage(d, cfg):
    (d / "pop.tif").write_bytes(b"II*\x00" + b"\x00" * 10)


def raster_no_crs(d, cfg):
    arr, prof = _pop(d)
    prof["crs"] = None
    _write_pop(d, arr, prof)


def raster_elsewhere(d, cfg):
    arr, prof = _pop(d)
    prof["transform"] = rasterio.transform.from_origin(X0 + 500_000, Y0, 100, 100)
    _write_pop(d, arr, prof)


def raster_all_nodata(d, cfg):
    arr, prof = _pop(d)
    _write_pop(d, np.full_like(arr, -9999), prof)


def raster_is_folder(d, cfg):
    (d / "popdir").mkdir()
    cfg["population"]["raster"] = "popdir"


# ---------------------------------------------------------------- mutations: roads
def roads_no_class(d, cfg):
    cfg["roads"]["class"] = "highway"


def roads_unknown_class(d, cfg):
    cfg["roads"]["speeds"] = {"county": 40}


def roads_empty(d, cfg):
    g = gpd.read_file(d / "roads.gpkg").iloc[:0]
    (d / "roads.gpkg").unlink()
    g.to_file(d / "roads.gpkg")


def roads_z(d, cfg):
    g = gpd.read_file(d / "roads.gpkg")
    g = g.set_geometry(shapely.force_3d(np.asarray(g.geometry.values), 12.0), crs=g.crs)
    (d / "roads.gpkg").unlink()
    g.to_file(d / "roads.gpkg")


def roads_degenerate(d, cfg):
    g = gpd.read_file(d / "roads.gpkg")
    extra = gpd.GeoDataFrame({"road_class": ["village"]},
                             geometry=[shapely.LineString([(X0 + 10, Y0 + 10), (X0 + 10, Y0 + 10)])], crs=g.crs)
    g = pd.concat([g, extra], ignore_index=True)
    (d / "roads.gpkg").unlink()
    g.to_file(d / "roads.gpkg")


# ---------------------------------------------------------------- mutations: facilities
def facilities_far(d, cfg):
    g = gpd.read_file(d / "hospitals.gpkg")
    g = g.set_geometry(g.geometry.translate(300_000, 0))
    (d / "hospitals.gpkg").unlink()
    g.to_file(d / "hospitals.gpkg")
    cfg["facilities"] = cfg["facilities"][:1]


def facilities_nan_coords(d, cfg):
    t = pd.read_csv(d / "schools.csv")
    t.loc[0, "lon"] = np.nan
    t.to_csv(d / "schools.csv", index=False)


def facilities_csv_without_xy(d, cfg):
    f = cfg["facilities"][1]
    f.pop("x")
    f.pop("y")


def facilities_polygons(d, cfg):
    g = gpd.read_file(d / "hospitals.gpkg")
    g = g.set_geometry(g.geometry.buffer(200))
    (d / "hospitals.gpkg").unlink()
    g.to_file(d / "hospitals.gpkg")


# ---------------------------------------------------------------- mutations: files
def units_empty_file(d, cfg):
    (d / "units.gpkg").unlink()
    (d / "units.gpkg").write_bytes(b"")


def units_csv(d, cfg):
    cfg["units"]["path"] = "ind.csv"


def units_folder(d, cfg):
    (d / "unitsdir").mkdir()
    cfg["units"]["path"] = "unitsdir"


def units_missing(d, cfg):
    cfg["units"]["path"] = "nowhere.gpkg"


def multilayer_two_polygon_layers(d, cfg):
    g = _units(d)
    g.to_file(d / "units.gpkg", layer="copy")


def multilayer_polygon_and_points(d, cfg):
    g = _units(d)
    centres = g.geometry.to_crs(32650).centroid.to_crs(g.crs)
    gpd.GeoDataFrame({"kind": ["centre"] * 6}, geometry=centres, crs=g.crs).to_file(
        d / "units.gpkg", layer="centres")


def multilayer_named(d, cfg):
    multilayer_two_polygon_layers(d, cfg)
    cfg["units"]["layer"] = "copy"


# ---------------------------------------------------------------- the table

CASES = [
    # geometry
    Case(empty_geometry, "validate", 2, ("units.gpkg", "empty or missing geometry", "drop_empty")),
    Case(empty_geometry_dropped, "run", 0, check=("empty geometries", "dropped", 1)),
    Case(bowtie, "run", 0, check=("geometry validity", "repaired", 1)),
    Case(z_units, "run", 0, check=("3D coordinates", "repaired", 6)),
    Case(multipart_units, "run", 0),
    Case(points_as_units, "validate", 2, ("expected polygon", "point x6")),
    Case(identical_units, "validate", 2, ("15 pair(s)", "overlap", "'0101001' & '0101002': 100%")),
    Case(overlapping_units, "validate", 2, ("1 pair(s)", "'0101001' & '0101002': 30%")),
    # the 1 m strip, plus a float sliver where the moved edge meets its northern neighbour
    Case(overlap_accepted, "validate", 0),
    Case(sliver_overlap, "run", 0, check=("overlapping units", "warning", 2)),
    Case(duplicate_ids, "validate", 2, ("duplicated id", "'0101001'")),
    Case(missing_ids, "validate", 2, ("missing id",)),
    Case(float_ids, "validate", 2, ("units.gpkg", "leading zeros lost", "'101001' vs '0101001'",
                                    "store it as text")),
    Case(float_ids_alone, "run", 0, check=("id column 'code'", "warning", 0)),
    Case(fractional_ids, "validate", 2, ("fractional",)),
    Case(id_is_name, "run", 0),
    # CRS
    Case(no_crs, "validate", 2, ("units.shp has no crs", "units: crs:")),
    Case(no_crs_declared, "run", 0),
    Case(wrong_label, "validate", 2, ("labelled epsg:4326", "projected metres", "ogr2ogr -a_srs epsg:32650")),
    Case(no_crs_wrongly_declared, "validate", 2, ("projected metres", "config: units: crs: epsg:32650")),
    Case(degrees_labelled_projected, "validate", 2, ("look like degrees", "ogr2ogr -a_srs epsg:4326")),
    Case(relabelled, "validate", 2, ("already has crs epsg:4326", "units: crs")),
    Case(web_mercator, "validate", 2, ("epsg:3857", "28.", "%", "crs: epsg:32650", "crs_tolerance: 0.285")),
    Case(web_mercator_accepted, "validate", 0, ("max scale error 28.",)),
    Case(far_utm, "validate", 2, ("epsg:32645", "distorts distances", "crs: epsg:32650")),
    Case(geographic_analysis_crs, "validate", 2, ("geographic", "degrees")),
    Case(swapped_axes, "validate", 2, ("schools.csv", "wrong order", "swap the x: and y:")),
    # values
    Case(thousands, "run", 0, check=("column 'income'", "repaired", 4)),
    Case(full_width, "run", 0, check=("column 'income'", "repaired", 6)),
    # 'N/A' is already missing when pandas reads the CSV: three placeholders are left
    Case(placeholders, "run", 0, check=("column 'income'", "repaired", 3)),
    Case(text_in_numbers, "run", 0, check=("column 'income'", "warning", 1)),
    Case(text_in_used_indicator, "run", 2, ("ind.csv: income", "row '0101003'", "'abc'")),
    Case(thousands_in_used_indicator, "run", 0, check=("column 'income'", "repaired", 4)),
    Case(percent, "run", 0, check=("column 'income'", "repaired", 6)),
    Case(empty_indicator_table, "validate", 2, ("ind.csv", "empty")),
    # rasters
    Case(raster_no_nodata, "validate", 2, ("pop.tif declares no nodata", "population: nodata:")),
    Case(raster_no_nodata_declared, "run", 0),
    Case(raster_nan, "run", 0, check=("non-finite cells", "warning", 25)),
    Case(raster_inf, "run", 0, check=("non-finite cells", "warning", 4)),
    Case(raster_negative, "validate", 2, ("pop.tif", "4 cell(s)", "negative", "population: nodata")),
    Case(raster_truncated, "validate", 2, ("pop.tif", "reading its cells", "truncated, corrupt")),
    Case(raster_garbage, "validate", 2, ("pop.tif", "cannot be read as a raster")),
    Case(raster_no_crs, "validate", 2, ("pop.tif has no crs",)),
    Case(raster_elsewhere, "validate", 2, ("pop.tif", "does not overlap")),
    Case(raster_all_nodata, "validate", 2, ("total population is 0", "2400 nodata")),
    Case(raster_is_folder, "validate", 2, ("popdir", "folder")),
    # roads
    Case(roads_no_class, "validate", 2, ("roads.gpkg has no column 'highway'", "road_class")),
    Case(roads_unknown_class, "validate", 2, ("village x2", "roads.speeds", "roads.default_speed")),
    Case(roads_empty, "validate", 2, ("roads.gpkg", "no features")),
    Case(roads_z, "run", 0, check=("3D coordinates", "repaired", 3)),
    Case(roads_degenerate, "run", 0, check=("geometry validity", "dropped", 1)),
    # facilities
    Case(facilities_far, "validate", 2, ("none of the 2 facilities",)),
    Case(facilities_nan_coords, "validate", 2, ("schools.csv", "'lon'", "missing value")),
    Case(facilities_csv_without_xy, "validate", 2, ("schools.csv is a table", "x:", "y:")),
    Case(facilities_polygons, "run", 0, check=("polygon facilities", "info", 2)),
    # files
    Case(units_empty_file, "validate", 2, ("units.gpkg is empty (0 bytes)",)),
    Case(units_csv, "validate", 2, ("ind.csv", "no geometry")),
    Case(units_folder, "validate", 2, ("unitsdir", "folder")),
    Case(units_missing, "validate", 2, ("nowhere.gpkg", "does not exist")),
    Case(multilayer_two_polygon_layers, "validate", 2,
         ("2 layers", "'units' (polygon, 6 features)", "'copy' (polygon, 6 features)", "units: layer:")),
    Case(multilayer_polygon_and_points, "run", 0, check=("layer", "info", 0)),
    Case(multilayer_named, "run", 0),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_input(case: Case, small_study: Path) -> None:
    run_config_case(case, small_study, run_dir=RUN)


def test_cases_are_many_and_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 35


# ---------------------------------------------------------------- run.json details
def test_nan_cells_reach_run_json(small_study: Path) -> None:
    d = small_study.parent
    raster_nan(d, {})
    assert_ran(invoke(["run", small_study.name, "--out", RUN], sandbox=d), RUN)
    pop = _study(d)["population_detail"]
    assert pop["excluded_cells"] == 25 and pop["excluded_by_kind"] == {"nan": 25}
    assert _check(d, "population", "warning")["detail"].endswith("25 NaN/infinite cell(s) inside the units excluded")


def test_crs_choice_in_run_json(small_study: Path) -> None:
    d = small_study.parent
    assert_ran(invoke(["run", small_study.name, "--out", RUN], sandbox=d), RUN)
    choice = _study(d)["crs_choice"]
    assert choice["crs"] == "EPSG:32650" and choice["method"] == "utm"
    assert 0 < choice["max_scale_error"] < 0.001


def test_thousands_separators_keep_the_values(small_study: Path) -> None:
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    thousands(d, cfg)
    from urbanrural.config import load_config
    from urbanrural.pipeline import build_study_area

    area = build_study_area(load_config(small_study))
    assert area.indicators["income"].tolist() == [43228.0, 1234567.0, 25.0, 10500.0, 11.0, 2800.5]


# ---------------------------------------------------------------- info on broken files
@pytest.mark.parametrize(("mutate", "target", "words"), [
    (raster_truncated, "pop.tif", ()),
    (raster_garbage, "pop.tif", ("pop.tif", "cannot be read as a raster")),
    (units_empty_file, "units.gpkg", ("units.gpkg is empty",)),
], ids=["truncated", "garbage", "empty"])
def test_info_on_broken_files(mutate, target, words, small_study: Path) -> None:
    d = small_study.parent
    mutate(d, {})
    out = invoke(["info", target], sandbox=d)
    if not words:  # a truncated file has a good header: info reads only that
        assert out.exit_code == 0 and "width: 60" in out.output
        return
    assert_refused(out, *words)


def test_capacity_with_thousands_separators(small_study: Path) -> None:
    d = small_study.parent
    t = pd.read_csv(d / "schools.csv")
    t["seats"] = ["1,200"]
    t.to_csv(d / "schools.csv", index=False)
    assert_ran(invoke(["run", small_study.name, "--out", RUN], sandbox=d), RUN)
    assert _check(d, "column 'seats'", "repaired")["count"] == 1
