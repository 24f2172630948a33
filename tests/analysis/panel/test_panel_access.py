"""Travel times per panel year (facilities with opening years, population per year).

By hand on a tiny network: a road at 60 km/h (a minute per km), demand points on its
nodes, a facility at each end; the one at the far end opens in the second year and
shortens the time of the unit beside it only.  Through a run on the ``small_study``
fixture: the latest year equals the accessibility step's ``tt_<cat>_min``, the computed
travel time enters the yearly index, a year's own population raster weighs its people.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml

from urbanrural._steps._panel_access import Demand, open_in, raster_years, yearly_access
from urbanrural.analysis.accessibility import network
from urbanrural.config import FacilityConfig, PopulationConfig
from urbanrural.geo.errors import DataError, InputFileError
from urbanrural.layers.readers import read_facilities, read_roads
from urbanrural.pipeline import run


# ------------------------------------------------------------------ by hand, tiny network
@pytest.fixture
def line_graph() -> network.RoadGraph:
    """A 6 km road at 60 km/h with a node every km."""
    line = shapely.segmentize(shapely.LineString([(0, 0), (6000, 0)]), 1000)
    return network.build_graph(gpd.GeoDataFrame({"speed_kmh": [60.0]}, geometry=[line], crs=32650))


def _facilities(opened: list[float], closed: list[float] | None = None) -> gpd.GeoDataFrame:
    f = gpd.GeoDataFrame({"opened": opened}, geometry=gpd.points_from_xy([0.0, 6000.0], [0.0, 0.0]), crs=32650)
    if closed is not None:
        f["closed"] = closed
    return f


def _demand(graph: network.RoadGraph, xs: list[float], units: list[str], people: list[float]) -> Demand:
    pts = pd.DataFrame({"x": xs, "y": 0.0, "people": people, "unit": units, "fallback": False,
                        "urban_class": ["urban" if u == "a" else "rural" for u in units]})
    return Demand(pts, network.snap(graph, pts[["x", "y"]].to_numpy()))


def _cache(graph: network.RoadGraph, fac: gpd.GeoDataFrame) -> dict:
    return {"mode": "network", "graph": graph, "walk_kmh": 5.0, "speed_kmh": 30.0, "circuity": 1.3,
            "facilities": {"clinic": fac}}


def test_a_facility_opening_in_year_two_shortens_the_nearby_unit_only(line_graph):
    d = _demand(line_graph, [1000.0, 3000.0, 5000.0], ["a", "b", "c"], [10.0, 10.0, 10.0])
    ya = yearly_access(_cache(line_graph, _facilities([np.nan, 2021.0])), years=[2020, 2021],
                       index=pd.Index(["a", "b", "c"]), demands={2020: d, 2021: d}, thresholds=[2, 4])
    tt = ya.frame["tt_clinic_min"].unstack("year")
    np.testing.assert_allclose(tt[2020].to_numpy(), [1.0, 3.0, 5.0], atol=1e-9)  # only the west end
    np.testing.assert_allclose(tt[2021].to_numpy(), [1.0, 3.0, 1.0], atol=1e-9)  # c: the new east one
    t = ya.table.set_index(["unit", "year"])
    assert t.loc[("c", 2020), "within_4min_share"] == 0 and t.loc[("c", 2021), "within_4min_share"] == 1
    s = ya.summary.set_index(["year", "urban_class"])
    assert ya.standard_min == 4  # no 30 in the thresholds: the middle one
    assert s.loc[(2020, "all"), "facilities_open"] == 1 and s.loc[(2021, "all"), "facilities_open"] == 2
    assert s.loc[(2020, "all"), "people_beyond_4min"] == 10 and s.loc[(2021, "all"), "people_beyond_4min"] == 0
    assert s.loc[(2020, "rural"), "people_beyond_4min"] == 10 and s.loc[(2020, "urban"), "people_beyond_4min"] == 0


def test_a_closed_facility_is_gone_from_its_closing_year(line_graph):
    fac = _facilities([np.nan, np.nan], [np.nan, 2022.0])
    assert open_in(fac, 2021).tolist() == [True, True] and open_in(fac, 2022).tolist() == [True, False]
    d = _demand(line_graph, [5000.0], ["c"], [1.0])
    ya = yearly_access(_cache(line_graph, fac), years=[2021, 2022], index=pd.Index(["c"]),
                       demands={2021: d, 2022: d}, thresholds=[30])
    np.testing.assert_allclose(ya.frame["tt_clinic_min"].to_numpy(), [1.0, 5.0], atol=1e-9)


def test_population_per_year_weighs_each_year_s_people(line_graph):
    fac = _facilities([np.nan, 2030.0])  # the east facility is not open in these years
    xs, units = [4000.0, 5000.0], ["c", "c"]
    demands = {2019: _demand(line_graph, xs, units, [10.0, 30.0]), 2020: _demand(line_graph, xs, units, [30.0, 10.0])}
    ya = yearly_access(_cache(line_graph, fac), years=[2019, 2020], index=pd.Index(["c"]), demands=demands,
                       thresholds=[30])
    # 4 and 5 minutes, weighted by that year's people
    np.testing.assert_allclose(ya.frame["tt_clinic_min"].to_numpy(), [(4 * 10 + 5 * 30) / 40, (4 * 30 + 5 * 10) / 40])


def test_a_year_without_any_open_facility_has_no_time(line_graph):
    d = _demand(line_graph, [1000.0], ["a"], [1.0])
    ya = yearly_access(_cache(line_graph, _facilities([2021.0, 2021.0])), years=[2020, 2021],
                       index=pd.Index(["a"]), demands={2020: d, 2021: d}, thresholds=[30])
    assert ya.empty_years == {"clinic": [2020]}
    assert np.isnan(ya.frame.loc[("a", 2020), "tt_clinic_min"]) and ya.frame.loc[("a", 2021), "tt_clinic_min"] > 0


def test_raster_years_nearest_earlier_else_the_latest():
    assert raster_years([2019, 2020, 2021], {2020: "p.tif"}) == {2019: None, 2020: 2020, 2021: None}
    assert raster_years([2019, 2020, 2021], {2019: "a", 2021: "b"}) == {2019: 2019, 2020: 2019, 2021: 2021}


# ------------------------------------------------------------------ reading the years
def _csv(tmp_path, years: list[object], closed: list[object] | None = None):
    p = tmp_path / "clinics.csv"
    t = pd.DataFrame({"x": 116.0 + 0.01 * np.arange(len(years)), "y": 39.9, "year": years})
    if closed is not None:
        t["shut"] = closed
    t.to_csv(p, index=False, encoding="utf-8")
    return p


def test_text_years_are_read(tmp_path):
    p = _csv(tmp_path, ["2021年", "2019", "", "2020-06-01", "2018年3月"])
    f = read_facilities(p, category="clinic", x_col="x", y_col="y", crs="EPSG:4326", opened_col="year")
    np.testing.assert_array_equal(f["opened"].to_numpy(), [2021, 2019, np.nan, 2020, 2018])
    assert "year" not in f.columns


def test_bad_opened_values_are_refused_naming_rows(tmp_path):
    p = _csv(tmp_path, ["2019", "soon", "2021年", "20.5", "1066"])
    with pytest.raises(DataError, match=r"clinics.csv.*'year'.*3 value\(s\).*row 2: 'soon'.*row 4.*row 5"):
        read_facilities(p, category="clinic", x_col="x", y_col="y", crs="EPSG:4326", opened_col="year")
    with pytest.raises(InputFileError, match="no column 'opened' for the year opened"):
        read_facilities(p, category="clinic", x_col="x", y_col="y", crs="EPSG:4326", opened_col="opened")


def test_closing_before_opening_is_refused(tmp_path):
    p = _csv(tmp_path, [2019, 2021], closed=[2020, 2021])
    with pytest.raises(DataError, match=r"close in or before.*row 2: opened 2021, closed 2021"):
        read_facilities(p, category="clinic", x_col="x", y_col="y", crs="EPSG:4326", opened_col="year",
                        closed_col="shut")


def test_config_keys(tmp_path):
    assert FacilityConfig(path=tmp_path / "f.csv", category="clinic", opened="year").opened == "year"
    with pytest.raises(ValueError, match="opened:/closed:"):
        FacilityConfig(osm=tmp_path / "x.osm.pbf", opened="year")
    with pytest.raises(ValueError, match="goes with raster:"):
        PopulationConfig(column="pop", rasters={2019: tmp_path / "p.tif"})


# ------------------------------------------------------------------ through a run
YEARS = (2020, 2021, 2022)
H2 = (405_000.0, 4_303_000.0)  # the small study's second hospital, in unit 0101006


def _panel_study(small_study, *, opened: bool = True, rasters: dict | None = None):
    d = small_study.parent
    cfg = yaml.safe_load(small_study.read_text(encoding="utf-8"))
    codes = [f"010100{i}" for i in range(1, 7)]
    rows = [{"code": c, "year": y, "income": 10 + 3 * i + (y - 2020) * (1 + i % 2),
             "nonfarm_share": 0.2 + 0.1 * i + 0.03 * (y - 2020) * (i % 3)}
            for y in YEARS for i, c in enumerate(codes)]
    pd.DataFrame(rows).to_csv(d / "panel.csv", index=False)
    if opened:
        h = gpd.read_file(d / "hospitals.gpkg")
        h["since"] = ["1990年", "2021"]  # the second hospital opens in the panel's second year
        h.to_file(d / "hospitals.gpkg")
        cfg["facilities"][0]["opened"] = "since"
    if rasters:
        cfg["population"]["rasters"] = rasters
    cfg["indicators"] = {"path": "panel.csv", "id": "code"}
    cfg["roads"]["node_crossings"] = True
    cfg["analyses"] = {
        "urban_rural": {"column": "urban_class"},
        "accessibility": {"mode": "network", "thresholds": [10, 30]},
        "integration": {"dimensions": {"economy": {"income": "+", "nonfarm_share": "+"},
                                       "services": {"tt_hospital_min": "-"}}},
        "panel": {"classes": 2, "lag_classes": 2},
    }
    small_study.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return small_study


def _yearly(res, cat: str = "hospital") -> pd.DataFrame:
    t = pd.read_csv(res.out_dir / "tables" / "panel_access.csv", dtype={"unit": str})
    return t[t["category"] == cat].pivot(index="unit", columns="year", values="tt_min")


def test_run_latest_year_equals_the_accessibility_step(small_study, tmp_path):
    res = run(_panel_study(small_study), out_dir=tmp_path / "o")
    tt = _yearly(res)
    u = gpd.read_file(res.results_gpkg, layer="units").set_index("code")
    for cat in ("hospital", "school"):  # every facility open in 2022: the accessibility step's times
        np.testing.assert_allclose(_yearly(res, cat)[2022].reindex(u.index), u[f"tt_{cat}_min"], rtol=1e-12)
    # the second hospital opens in 2021: its unit gets closer, the first hospital's unit does not
    assert tt.loc["0101006", 2021] < tt.loc["0101006", 2020] - 1
    assert tt.loc["0101001", 2021] == pytest.approx(tt.loc["0101001", 2020], abs=1e-12)
    assert (tt[2021] <= tt[2020] + 1e-12).all() and (tt[2022] == tt[2021]).all()
    # the computed travel time entered the index over time (and no note calls it latest-year only)
    w = pd.read_csv(res.out_dir / "tables" / "panel_weights.csv")
    assert "tt_hospital_min" in set(w["indicator"])
    notes = [n["detail"] for n in res.run["analyses"] if n["analysis"] == "panel"]
    assert not any("no yearly values" in n for n in notes), notes
    info = res.run["results"]["panel_access"]
    assert info["facilities_open"]["hospital"] == {"2020": 1, "2021": 2, "2022": 2}
    assert info["standard_min"] == 30 and "tt_hospital_min" in info["columns"]
    s = pd.read_csv(res.out_dir / "tables" / "panel_access_summary.csv")
    assert {"all", "urban", "rural"} <= set(s["urban_class"]) and "people_beyond_30min" in s.columns
    assert "travel times per year" in res.run["variants"]["panel"]


def test_run_population_raster_of_an_earlier_year(small_study, tmp_path):
    d = small_study.parent
    with rasterio.open(d / "pop.tif") as src:
        profile, a = src.profile, src.read(1)
    b = a.copy()
    b[0:20, 40:60] = np.where(b[0:20, 40:60] >= 0, 0, b[0:20, 40:60])  # unit 0101006 ...
    b[0:2, 58:60] = 500.0  # ... lives in its north-east corner in 2020
    with rasterio.open(d / "pop2020.tif", "w", **profile) as dst:
        dst.write(b, 1)
    res = run(_panel_study(small_study, opened=False, rasters={2020: "pop2020.tif"}), out_dir=tmp_path / "o")
    tt = _yearly(res)
    u = gpd.read_file(res.results_gpkg, layer="units").set_index("code")
    np.testing.assert_allclose(tt[2022].reindex(u.index), u["tt_hospital_min"], rtol=1e-12)  # raster:
    np.testing.assert_allclose(tt[2021], tt[2020], rtol=1e-12)  # 2021: the nearest earlier raster (2020)
    # by hand: the four corner cells (equal people) to the nearest hospital
    roads = read_roads(d / "roads.gpkg", class_col="road_class", speeds={"county": 40, "village": 25})
    g = network.build_graph(roads, node_crossings=True)
    cells = np.array([[405_850.0, 4_303_950.0], [405_950.0, 4_303_950.0],
                      [405_850.0, 4_303_850.0], [405_950.0, 4_303_850.0]])
    hosp = np.array([[401_000.0, 4_301_000.0], list(H2)])
    expect = network.nearest_minutes(g, cells, hosp, walk_kmh=5.0).mean()
    assert tt.loc["0101006", 2020] == pytest.approx(expect, rel=1e-9)
    assert abs(tt.loc["0101006", 2020] - tt.loc["0101006", 2022]) > 0.1
    notes = " ".join(n["detail"] for n in res.run["analyses"] if n["analysis"] == "panel")
    assert "2020: pop2020.tif" in notes and "2022: population: raster" in notes
