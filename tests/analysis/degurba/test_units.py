"""Stage 2 (units), resampling to the 1 km Mollweide grid, classify_raster and designations."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from urbanrural.analysis import degurba as dg
from urbanrural.geo.errors import DataError, UnknownNameError

# cvmigero/flexurba inst/extdata/belgium/units_classification_westflanders.csv: per unit the
# population shares in urban centres and in rural cells (the rest is urban clusters) and
# flexurba's level-1 class, for the 64 units of West Flanders.
WEST_FLANDERS = (
    "0 0.454950556854247 2; 0 0.0195320234871423 2; 0.568692270074626 0.0151549227361607 3; 0 0.994273772523892 1; "
    "0 0.231731883083818 2; 0 0.0516487738463724 2; 0 0.294336288707187 2; 0 0.0785196238918052 2; 0 "
    "0.32865937380819 2; 0 0.934035439647599 1; 0 1 1; 0 1 1; 0 0.408997978127327 2; 0 0.999894328443762 1; 0 1 1; "
    "0 0.987964082205412 1; 0 0.341820557979751 2; 0 1 1; 0 1 1; 0 0.395983178737556 2; 0 1 1; 0 0.0870363501858436 "
    "2; 0 0.999127829552131 1; 0 0.19646254366166 2; 0 0.122438917548384 2; 0 0.0372509602087405 2; 0 "
    "0.0041146125754875 2; 0.00248659941726749 0.0138428702097984 2; 0 0 2; 0 0.0407954077639491 2; "
    "0.005257793483631 0.0109626307576811 2; 0 0.550538603572901 1; 0 0.0168466073293711 2; 0 0.0204761155937762 2; "
    "0 0.165559521981427 2; 0.795120323858235 0.0113090576933931 3; 0 0.0950743478575503 2; 0 0.250020676022481 2; "
    "0 0.597826851712896 1; 0 0.173216795466482 2; 0.939617225388227 0.00591228061771889 3; 0 0.212642831460069 2; "
    "0 0.315208255120722 2; 0 0.0138678316872704 2; 0 0.00412549531607479 2; 0 0.178167496761851 2; 0 "
    "0.169673116173799 2; 0 0.596187549918437 1; 0 0.0102160810157769 2; 0 0.8416422705941 1; 0 0.426475195558621 "
    "2; 0 0.195733491711664 2; 0 0.112961373975854 2; 0 0.0677556038793624 2; 0 0.914459809959237 1; 0 1 1; 0 "
    "0.196991812130985 2; 0 0.0597342372665763 2; 0 1 1; 0 1 1; 0 0.0625752009779698 2; 0 0.0436921057087862 2; 0 "
    "0.132259011095874 2; 0 0.264098781658109 2 "
)


def test_level1_rules_match_flexurba_west_flanders():
    rows = [r.split() for r in WEST_FLANDERS.split(";")]
    assert len(rows) == 64
    uc = np.array([float(r[0]) for r in rows])
    rural = np.array([float(r[1]) for r in rows])
    shares = pd.DataFrame({30: uc, 21: 1 - uc - rural, 11: rural})
    got = dg.unit_classes(shares)["degurba_l1"].to_numpy()
    np.testing.assert_array_equal(got, [int(r[2]) for r in rows])


# hand-worked level-2 cases: shares of 30, 23, 22, 21, 13, 12, 11 -> (2024 rule, 2021 rule)
LEVEL2_CASES = [
    ((0.50, 0, 0, 0, 0.5, 0, 0), (30, 30)),          # >= 50 % in centres: city
    ((0.30, 0.25, 0.10, 0.15, 0.2, 0, 0), (23, 23)),  # centre + dense 55 %: dense town
    ((0.10, 0.30, 0.35, 0.10, 0.15, 0, 0), (22, 22)),  # 40 % centre + dense, suburb + rural 25 %
    ((0.0, 0.20, 0.10, 0.25, 0.45, 0, 0), (21, 23)),   # suburb + rural 70 %; 2021: dense + semi 30 % > suburb 25 %
    ((0.0, 0.45, 0.05, 0.0, 0.30, 0.20, 0), (21, 23)),  # rural exactly 50 %: a town; suburb + rural = 50 %
    ((0.0, 0.0, 0.0, 0.0, 0.2, 0.7, 0.1), (12, 12)),    # rural: villages need 50 % in clusters
    ((0.0, 0.10, 0.0, 0.0, 0.45, 0.2, 0.25), (13, 13)),  # 10 + 45 >= 50 %: village
    ((0.0, 0.0, 0.0, 0.0, 0.3, 0.2, 0.5), (11, 11)),     # very low density 50 %: mostly uninhabited
    ((0.0, 0.0, 0.0, 0.0, 0.4, 0.35, 0.25), (12, 13)),   # 2024: dispersed; 2021: rural cluster largest
]


@pytest.mark.parametrize(("shares", "expected"), LEVEL2_CASES)
def test_level2_unit_rules_hand_worked(shares, expected):
    s = pd.DataFrame([shares], columns=[30, 23, 22, 21, 13, 12, 11])
    assert dg.unit_classes(s)["degurba_l2"].iloc[0] == expected[0]
    assert dg.unit_classes(s, rules="2021")["degurba_l2"].iloc[0] == expected[1]


def test_unit_rules_bad_name():
    with pytest.raises(UnknownNameError, match="2024"):
        dg.unit_classes(pd.DataFrame({30: [1.0]}), rules="2023")


def _mollweide_grid():
    # 6 x 4 km: west half an urban centre (30), east very low density (11); 100 m population
    classes = np.full((4, 6), 11, dtype=np.uint8)
    classes[:, :3] = 30
    t = from_origin(0, 4000, 1000, 1000)
    fine = np.full((40, 60), 1.0)  # 100 people/km2 ...
    fine[:, :30] = 20.0  # ... and 2,000/km2 in the west
    return classes, t, fine


def test_classify_units_with_a_finer_population_raster(tmp_path):
    classes, t, fine = _mollweide_grid()
    p = tmp_path / "pop100.tif"
    with rasterio.open(p, "w", driver="GTiff", width=60, height=40, count=1, dtype="float64", crs="ESRI:54009",
                       nodata=-1, transform=from_origin(0, 4000, 100, 100)) as dst:
        dst.write(fine, 1)
    grid = dg.GridResult(classes, np.full((4, 6), np.nan), t, dg.MOLLWEIDE, 2, dg.GridParams())
    units = gpd.GeoDataFrame(
        geometry=[shapely.box(0, 0, 2000, 4000),      # all centre: 8 km2 x 2,000 = 16,000 people
                  shapely.box(2000, 0, 4000, 4000),   # 4 km2 of centre at 2,000 + 4 km2 at 100/km2
                  shapely.box(4000, 0, 6000, 4000),   # all very low density
                  shapely.box(5000, 1000, 5030, 1030)],  # 30 m square: holds no cell centre
        index=["w", "mid", "e", "tiny"], crs=dg.MOLLWEIDE).to_crs(32631)
    out = dg.classify_units(units, grid, p)
    assert out.loc["w", "population"] == pytest.approx(16_000)
    assert out.loc["mid", "population"] == pytest.approx(8_400)
    assert out.loc["mid", "share_30"] == pytest.approx(8000 / 8400)
    assert out.loc["e", "share_11"] == pytest.approx(1.0)
    assert list(out["degurba_l1"]) == [3, 3, 1, 1]
    assert list(out["degurba_l2"]) == [30, 30, 11, 11]
    assert out.loc["tiny", "basis"] == "touching" and out.loc["tiny", "population"] == 0
    assert out["population"].sum() == pytest.approx(fine.sum())  # every 100 m cell counted once


def test_classify_units_without_people_uses_area(tmp_path):
    classes, t, _ = _mollweide_grid()
    pop = np.zeros((4, 6))
    pop[:, :3] = np.nan
    grid = dg.GridResult(classes, pop, t, dg.MOLLWEIDE, 2, dg.GridParams())
    units = gpd.GeoDataFrame(geometry=[shapely.box(3000, 0, 6000, 4000)], index=["e"], crs=dg.MOLLWEIDE)
    out = dg.classify_units(units, grid)
    assert out.loc["e", "basis"] == "area" and out.loc["e", "degurba_l2"] == 11
    with pytest.raises(DataError, match="population raster"):  # a classes raster holds no people
        dg.classify_units(units, _write_classes(tmp_path, classes, t))


def _write_classes(tmp_path, classes, t):
    g = dg.GridResult(classes, np.zeros(classes.shape), t, dg.MOLLWEIDE, 2, dg.GridParams())
    return g.write(tmp_path / "classes.tif")


def _write_pop(path, arr, transform, crs):
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
                       dtype="float64", crs=crs, nodata=-9999, transform=transform) as dst:
        dst.write(arr, 1)
    return path


@settings(max_examples=15, deadline=None)
@given(st.integers(3, 30), st.integers(3, 30), st.sampled_from([100.0, 200.0, 1000.0, 2500.0]),
       st.sampled_from(["EPSG:32650", "EPSG:3857", "EPSG:32631"]), st.integers(0, 2**31 - 1))
def test_resampling_preserves_population(tmp_path_factory, h, w, res, crs, seed):
    rng = np.random.default_rng(seed)
    arr = rng.gamma(0.5, 50, (h, w))
    arr[rng.random((h, w)) < 0.1] = -9999  # nodata holes
    x0 = {"EPSG:32650": 400_000, "EPSG:3857": 12_900_000, "EPSG:32631": 500_000}[crs]
    y0 = {"EPSG:32650": 4_300_000, "EPSG:3857": 4_800_000, "EPSG:32631": 5_600_000}[crs]
    p = _write_pop(tmp_path_factory.mktemp("r") / "pop.tif", arr, from_origin(x0, y0, res, res), crs)
    out, t = dg.to_mollweide_1km(p)
    assert t.a == 1000 and t.e == -1000 and t.c % 1000 == 0 and t.f % 1000 == 0
    total = arr[arr != -9999].sum()
    np.testing.assert_allclose(np.nansum(out), total, rtol=1e-9)
    if res >= 2500:  # coarse cells (>= 1.9 km true size even in Web Mercator at 40 N) reach
        # at least as many 1 km cells as there are source cells; 1,000 "m" Web Mercator cells are
        # only ~770 m on the ground, so two can share one 1 km cell
        assert np.isfinite(out).sum() >= (arr != -9999).sum()


def test_resampling_keeps_an_aligned_grid_and_moves_a_block(tmp_path):
    arr = np.zeros((10, 10))
    arr[2:4, 2:4] = 100.0
    p = _write_pop(tmp_path / "m.tif", arr, from_origin(5000, 20000, 1000, 1000), "ESRI:54009")
    out, t = dg.to_mollweide_1km(p)
    assert (t.c, t.f) == (5000, 20000) and (out == arr).all()
    # the same people on a 250 m grid half a km off: each 1 km cell gets its share
    fine = np.zeros((40, 40))
    fine[8:16, 8:16] = 100.0 / 16
    q = _write_pop(tmp_path / "f.tif", fine, from_origin(5500, 20000, 250, 250), "ESRI:54009")
    out, t = dg.to_mollweide_1km(q)
    np.testing.assert_allclose(np.nansum(out), 400.0)
    r0, c0 = int((t.f - 18000) / 1000), int((7500 - t.c) // 1000)
    np.testing.assert_allclose(out[r0:r0 + 2, c0:c0 + 3], [[50, 100, 50], [50, 100, 50]])


def test_classify_raster_writes_the_grid_and_matches_classify_grid(shared_data, tmp_path):
    d = shared_data / "degurba-belgium"
    res = dg.classify_raster(d / "POP.tif", land=d / "LAND.tif", built=d / "BUILT_S.tif", out=tmp_path / "c.tif")
    direct = dg.classify_grid(d / "POP.tif", land=d / "LAND.tif", built=d / "BUILT_S.tif")
    assert (res.classes == direct).all()
    with rasterio.open(tmp_path / "c.tif") as src:
        assert src.crs.to_string() == "ESRI:54009" and (src.read(1) == res.classes).all() and src.nodata == 255
        assert src.tags(1)["class_30"] == "urban centre"
    counts = res.counts()
    assert counts["cells"].sum() == 219 * 303
    with rasterio.open(d / "POP.tif") as src:
        people = np.nansum(src.read(1))
    np.testing.assert_allclose(counts["population"].sum(), people, rtol=1e-12)
    level1 = dg.classify_raster(d / "POP.tif", land=d / "LAND.tif", built=d / "BUILT_S.tif", level=1)
    assert set(level1.counts().index) == {0, 1, 2, 3}


def test_from_codes_and_by_density():
    s = dg.from_codes(pd.Series([111, 112, "121", 122, 123, 210, 220], index=list("abcdefg")))
    assert list(s) == ["urban"] * 5 + ["rural"] * 2 and list(s.index) == list("abcdefg")
    with pytest.raises(DataError, match="113"):
        dg.from_codes(pd.Series([111, 113, 999]))
    with pytest.raises(DataError, match="<NA>|nan|None"):
        dg.from_codes(pd.Series([111, None]))
    d = dg.by_density(pd.Series([2000.0, 300.0, 299.9], index=["x", "y", "z"]), threshold=300)
    assert list(d) == ["urban", "urban", "rural"] and list(d.index) == ["x", "y", "z"]
    with pytest.raises(DataError, match="positive"):
        dg.by_density(pd.Series([1.0]), threshold=0)
    with pytest.raises(DataError, match="no density"):
        dg.by_density(pd.Series([1.0, np.nan]), threshold=10)
