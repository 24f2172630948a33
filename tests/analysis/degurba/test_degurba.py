"""Degree of Urbanisation against flexurba's published Belgium samples and hand-built grids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from urbanrural.analysis import degurba as dg
from urbanrural.geo.errors import DataError, NodataError

# cvmigero/flexurba tests/testthat/test-classify-grid.R: 1-based cell numbers (row-major)
# of the Belgium GHSL grid and the classes flexurba returns for four parameter sets.
CELLS = np.array([14873, 19879, 44156, 44649, 11081, 33299, 2891, 6168, 27915, 47788, 36022, 36158, 33640, 47865,
                  62974, 2040, 7974, 44823, 66183, 63057, 12289, 27462, 23013, 2148, 30621, 948, 26150, 36813, 1340,
                  20439, 4238, 46025, 49123, 46819, 47402, 14129, 22984, 4325, 63191, 34252, 52215, 30000, 14992,
                  4848, 43788, 62939, 23006, 52372, 64814, 51888]) - 1
CASES = [
    # the test's defaults at the time: semi-dense clusters 900/km2, 2,500 people, 4-connected, 2-cell buffer
    (2, dict(sduc_density=900, sduc_size=2500, sduc_contiguity=4, sduc_buffer=2),
     "11 12 11 11 11 11 12 11 30 11 21 21 23 11 13 30 12 12 11 11 21 12 23 10 12 10 11 21 11 30 12 11 11 12 12 12 "
     "11 10 11 11 12 12 21 12 11 11 11 12 21 11"),
    (2, dict(ldr_density=70, uc_smooth_edge=None, duc_size=6000),
     "11 12 11 11 11 11 12 11 21 11 22 21 23 11 13 30 12 11 11 11 21 12 23 10 12 10 11 21 11 30 12 11 11 12 12 12 "
     "11 10 11 11 12 11 21 12 11 11 11 12 21 11"),
    (2, dict(uc_size=60000, uc_max_gap_km2=3, duc_density=1000, sduc_contiguity=4, surb_contiguity=4),
     "11 12 11 11 11 11 12 11 30 11 22 21 23 11 13 30 12 12 11 11 21 12 23 10 12 10 11 23 11 30 12 11 11 12 12 12 "
     "11 10 11 11 12 12 21 12 11 11 11 12 23 11"),
    (1, dict(uc_built_threshold=0.5, uc_smooth_edge="R2022A"),
     "1 1 1 1 1 1 1 1 3 1 2 2 2 1 1 3 1 1 1 1 2 1 2 0 1 0 1 2 1 3 1 1 1 1 1 1 1 0 1 1 1 1 2 1 1 1 1 1 2 1"),
]


@pytest.mark.shared
@pytest.mark.parametrize(("level", "params", "expected"), CASES)
def test_belgium_matches_flexurba(shared_data, level, params, expected):
    d = shared_data / "degurba-belgium"
    classes = dg.classify_grid(d / "POP.tif", land=d / "LAND.tif", built=d / "BUILT_S.tif", level=level, **params)
    assert classes.shape == (219, 303)
    np.testing.assert_array_equal(classes.ravel()[CELLS], np.array(expected.split(), dtype=int))


@pytest.mark.shared
def test_belgium_raster_pipeline_and_units(shared_data, tmp_path):
    d = shared_data / "degurba-belgium"
    res = dg.classify_raster(d / "POP.tif", land=d / "LAND.tif", built=d / "BUILT_S.tif", out=tmp_path / "c.tif")
    counts = res.counts()
    assert counts["cells"].sum() == 219 * 303
    # Brussels, Antwerp, Ghent, Liege, Charleroi... are urban centres: a large share of people
    assert 0.3 < counts.loc[30, "population"] / counts["population"].sum() < 0.6
    import rasterio
    with rasterio.open(tmp_path / "c.tif") as src:
        assert src.crs.to_string() == "ESRI:54009" and (src.read(1) == res.classes).all()


def _blob(shape=(20, 20)):
    pop = np.full(shape, 20.0)  # 20/km2: very low density
    return pop


def test_urban_centre_needs_50000_and_4_connectivity():
    pop = _blob()
    pop[2:8, 2:8] = 1500.0  # 36 cells x 1,500 = 54,000
    c = dg.classify_grid(pop, level=2)
    assert (c[2:8, 2:8] == 30).all()
    pop2 = _blob()
    pop2[2:8, 2:8] = 1300.0  # below 1,500/km2: not dense; 46,800 people at >= 300/km2
    assert (dg.classify_grid(pop2, level=2)[2:8, 2:8] == 22).all()  # semi-dense (>= 300, >= 5,000, no buffer)
    # two dense blocks touching only at a corner are two clusters under 4-connectivity
    pop3 = _blob()
    pop3[0:5, 0:5] = 1600.0
    pop3[5:10, 5:10] = 1600.0  # 25 x 1,600 = 40,000 each; 80,000 if 8-connected
    c3 = dg.classify_grid(pop3, level=2, uc_smooth_edge=None)
    assert not (c3 == 30).any() and (c3[0:5, 0:5] == 23).all()
    c8 = dg.classify_grid(pop3, level=2, uc_smooth_edge=None, uc_contiguity=8)
    assert (c8[0:5, 0:5] == 30).all()


def test_gap_filling_and_smoothing():
    pop = _blob((30, 30))
    pop[5:15, 5:15] = 2000.0
    pop[8:11, 8:11] = 100.0  # a 9 km2 hole: filled
    c = dg.classify_grid(pop, level=2, uc_smooth_edge=None)
    assert (c[8:11, 8:11] == 30).all()
    c2 = dg.classify_grid(pop, level=2, uc_smooth_edge=None, uc_gap_fill=False)
    assert (c2[8:11, 8:11] != 30).all()
    # a notch cell with 5 of 8 neighbours in the centre joins it by the majority rule
    pop[5, 10] = 100.0
    c3 = dg.classify_grid(pop, level=2)
    assert c3[5, 10] == 30


def test_water_and_low_density():
    pop = _blob()
    pop[0:3, 0:3] = 0.0
    land = np.ones_like(pop)
    land[0:3, 0:3] = 0.2
    c = dg.classify_grid(pop, land=land, built=np.zeros_like(pop), level=2)
    assert (c[0:3, 0:3] == 10).all() and c[10, 10] == 11
    pop[10, 10] = 60.0
    assert dg.classify_grid(pop, level=2)[10, 10] == 12


@settings(max_examples=25, deadline=None)
@given(arrays(float, (15, 15), elements=st.floats(0, 5000)))
def test_codes_are_valid_and_level1_is_coarser(pop):
    c2 = dg.classify_grid(pop, level=2)
    c1 = dg.classify_grid(pop, level=1)
    assert set(np.unique(c2)) <= {10, 11, 12, 13, 21, 22, 23, 30}
    assert set(np.unique(c1)) <= {0, 1, 2, 3}
    assert ((c2 == 30) == (c1 == 3)).all()


def test_designations_and_bad_input():
    s = dg.from_codes(pd.Series([111, 122, 210, 220], index=list("abcd")))
    assert list(s) == ["urban", "urban", "rural", "rural"]
    with pytest.raises(DataError, match="999"):
        dg.from_codes(pd.Series([111, 999]))
    assert list(dg.by_density(pd.Series([2000.0, 10.0]), threshold=1500)) == ["urban", "rural"]
    with pytest.raises(DataError, match="negative"):
        dg.classify_grid(np.array([[-5.0, 1.0]]))
    with pytest.raises(DataError, match="contiguity"):
        dg.classify_grid(_blob(), uc_contiguity=6)


def test_raster_without_nodata_is_refused(tmp_path):
    import rasterio
    from rasterio.transform import from_origin
    p = tmp_path / "pop.tif"
    with rasterio.open(p, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", crs="ESRI:54009",
                       transform=from_origin(0, 4000, 1000, 1000)) as dst:
        dst.write(np.ones((4, 4), dtype="float32"), 1)
    with pytest.raises(NodataError):
        dg.classify_raster(p)
