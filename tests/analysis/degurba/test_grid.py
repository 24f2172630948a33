"""Stage 1 (grid): flexurba's Belgium reference samples, flexurba's unit tests of the
majority rule and gap filling, and hand-built grids for each rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from urbanrural.analysis import _degurba_grid as core
from urbanrural.analysis import degurba as dg
from urbanrural.geo.errors import ConfigError, DataError, NodataError, UnknownNameError

# cvmigero/flexurba tests/testthat/test-classify-grid.R: 1-based cell numbers (row-major)
# of the Belgium GHSL grid (../shared/data/degurba-belgium, 303 x 219) and the classes
# flexurba returns for each parameter set (flexurba's names -> ours in the dicts).
CELLS = np.array([14873, 19879, 44156, 44649, 11081, 33299, 2891, 6168, 27915, 47788, 36022, 36158, 33640, 47865,
                  62974, 2040, 7974, 44823, 66183, 63057, 12289, 27462, 23013, 2148, 30621, 948, 26150, 36813, 1340,
                  20439, 4238, 46025, 49123, 46819, 47402, 14129, 22984, 4325, 63191, 34252, 52215, 30000, 14992,
                  4848, 43788, 62939, 23006, 52372, 64814, 51888]) - 1
OLD_SDUC = dict(sduc_density=300, sduc_size=5000, sduc_contiguity=8, sduc_buffer=3)
BELGIUM = {
    "level2-defaults": (2, {},
                        "11 12 11 11 11 11 12 11 30 11 21 21 23 11 13 30 12 12 11 11 21 12 23 10 12 10 11 21 11 30 "
                        "12 11 11 12 12 12 11 10 11 11 12 12 21 12 11 11 11 12 21 11"),
    "level2-ldr70-nosmooth": (2, dict(ldr_density=70, uc_smooth_edge=None, duc_size=6000, **OLD_SDUC),
                              "11 12 11 11 11 11 12 11 21 11 22 21 23 11 13 30 12 11 11 11 21 12 23 10 12 10 11 21 "
                              "11 30 12 11 11 12 12 12 11 10 11 11 12 11 21 12 11 11 11 12 21 11"),
    "level2-gap3-rook": (2, dict(uc_size=60000, uc_max_gap_km2=3, duc_density=1000, sduc_density=300, sduc_size=5000,
                                 sduc_contiguity=4, surb_contiguity=4),
                         "11 12 11 11 11 11 12 11 30 11 22 21 23 11 13 30 12 12 11 11 21 12 23 10 12 10 11 23 11 30 "
                         "12 11 11 12 12 12 11 10 11 11 12 12 21 12 11 11 11 12 23 11"),
    "level2-all-params-optimal": (
        2, dict(uc_density=1200, uc_size=40000, uc_contiguity=8, uc_built=True, uc_built_threshold=0.25,
                uc_gap_fill=True, uc_max_gap_km2=7, uc_smooth_edge="R2023A", duc_density=1200, duc_size=4500,
                duc_built=True, duc_built_threshold="optimal", duc_contiguity=8, sduc_density=800, sduc_size=2000,
                sduc_contiguity=8, sduc_buffer=1, surb_density=200, surb_size=4000, surb_contiguity=4,
                rc_density=250, rc_size=450, rc_contiguity=4, ldr_density=40, water_land=0.4, water_pop=0.02,
                water_built=0.02),
        "11 12 11 11 11 11 12 11 30 11 21 21 23 11 21 30 12 12 11 11 21 12 23 10 21 10 11 30 11 30 21 11 11 12 12 12 "
        "11 10 11 11 12 12 22 12 11 11 11 12 30 11"),
    "level1-R2022A": (1, dict(uc_built_threshold=0.5, uc_smooth_edge="R2022A"),
                      "1 1 1 1 1 1 1 1 3 1 2 2 2 1 1 3 1 1 1 1 2 1 2 0 1 0 1 2 1 3 1 1 1 1 1 1 1 0 1 1 1 1 2 1 1 1 1 1 "
                      "2 1"),
    "level1-smoothpop": (1, dict(uc_density=1000, uc_size=40000, uc_built=False, uc_gap_fill=False,
                                 uc_built_threshold=0.5, uc_smooth_edge=None, uc_smooth_pop=True,
                                 uc_smooth_pop_window=3),
                         "1 1 1 1 1 1 1 1 3 1 2 2 2 1 1 3 1 1 1 1 2 1 2 0 1 0 1 3 1 3 1 1 1 1 1 1 1 0 1 1 1 1 2 1 1 1 "
                         "1 1 2 1"),
    "level1-queen-R2022A": (1, dict(ucl_density=400, ucl_size=7000, uc_built_threshold=0.5, uc_contiguity=8,
                                    uc_smooth_edge="R2022A"),
                            "1 1 1 1 1 1 1 1 3 1 1 1 2 1 1 3 1 1 1 1 2 1 2 0 1 0 1 3 1 3 1 1 1 1 1 1 1 0 1 1 1 1 2 1 "
                            "1 1 1 1 2 1"),
    "level1-2000": (1, dict(uc_density=2000, ucl_size=80000, uc_contiguity=8, uc_gap_fill=False, uc_smooth_edge=None,
                            uc_built_threshold=0.5),
                    "1 1 1 1 1 1 1 1 2 1 1 2 2 1 1 3 1 1 1 1 2 1 2 0 1 0 1 2 1 3 1 1 1 1 1 1 1 0 1 1 1 1 2 1 1 1 1 1 "
                    "2 1"),
    "level1-1250": (1, dict(uc_density=1250, ucl_size=60000, uc_gap_fill=False, uc_smooth_edge="R2023A",
                            uc_built_threshold=0.5),
                    "1 1 1 1 1 1 1 1 3 1 1 2 2 1 1 3 1 1 1 1 2 1 2 0 1 0 1 3 1 3 1 1 1 1 1 1 1 0 1 1 1 1 2 1 1 1 1 1 "
                    "2 1"),
    "level1-all-params-optimal": (
        1, dict(uc_density=1800, uc_size=60000, uc_contiguity=8, uc_built=True, uc_built_threshold="optimal",
                uc_smooth_pop=True, uc_smooth_pop_window=5, uc_gap_fill=True, uc_max_gap_km2=7,
                uc_smooth_edge="R2022A", ucl_density=200, ucl_size=4000, ucl_contiguity=4, ucl_smooth_pop=True,
                ucl_smooth_pop_window=3, water_land=0.55, water_pop=0.02, water_built=0.02),
        "1 1 1 1 1 1 1 1 3 1 2 2 2 1 2 3 1 1 1 1 2 1 2 0 2 0 1 2 1 3 2 1 1 2 1 2 1 0 1 2 1 1 2 1 1 1 1 1 2 1"),
}


@pytest.fixture(scope="module")
def belgium(shared_data):
    return shared_data / "degurba-belgium"


@pytest.mark.parametrize("case", list(BELGIUM))
def test_belgium_matches_flexurba_samples(belgium, case):
    level, params, expected = BELGIUM[case]
    classes = dg.classify_grid(belgium / "POP.tif", land=belgium / "LAND.tif", built=belgium / "BUILT_S.tif",
                               level=level, **params)
    assert classes.shape == (219, 303)
    np.testing.assert_array_equal(classes.ravel()[CELLS], np.array(expected.split(), dtype=int))


def _belgium_arrays(belgium):
    import rasterio

    out = []
    for name, scale in (("POP.tif", 1.0), ("LAND.tif", 1e6), ("BUILT_S.tif", 1e6)):
        with rasterio.open(belgium / name) as src:
            out.append(src.read(1).astype(float) / scale)
    return out


def test_belgium_optimal_builtup_and_water(belgium):
    pop, land, built = _belgium_arrays(belgium)
    # flexurba test-get-optimal-builtup.R: 0.2434711 on its Belgium data, computed after
    # removing the 5 km buffer recorded in POP.json ("buffer": 5000)
    inner = (slice(5, -5), slice(5, -5))
    assert round(dg.optimal_builtup(pop[inner], land[inner], built[inner]), 7) == 0.2434711
    # flexurba test-classify-grid.R: 63734 cells are not water with thresholds 0.6 / 1 / 0.2
    water = dg.water_mask(pop, land=land, built=built, water_land=0.6, water_pop=1, water_built=0.2)
    assert int((~water).sum()) == 63734


def test_belgium_presets_and_arrays_agree_with_paths(belgium):
    pop, land, built = _belgium_arrays(belgium)
    from_paths = dg.classify_grid(belgium / "POP.tif", land=belgium / "LAND.tif", built=belgium / "BUILT_S.tif",
                                  params=dg.GridParams.preset("R2023A"), ldr_density=70, uc_smooth_edge=None,
                                  duc_size=6000)
    expected = np.array(BELGIUM["level2-ldr70-nosmooth"][2].split(), dtype=int)
    np.testing.assert_array_equal(from_paths.ravel()[CELLS], expected)
    # m2 grids and share grids, float32 and float64 give the same classes
    a = dg.classify_grid(pop.astype("float32"), land=land * 1e6, built=built * 1e6)
    b = dg.classify_grid(belgium / "POP.tif", land=belgium / "LAND.tif", built=belgium / "BUILT_S.tif")
    assert (a != b).sum() <= 3  # float32 rounding may move a density that sits on a threshold


# ----------------------------------------------------------------- flexurba's unit tests of the steps

NA = 0


def _grid(vals):
    return np.array(vals, dtype=np.int32).reshape(3, 3)


@pytest.mark.parametrize(("before", "after"), [
    ([1, 1, 1, 1, NA, NA, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1]),
    ([1, 1, 1, 1, NA, 2, 1, 1, 1], [1, 1, 1, 1, 1, 2, 1, 1, 1]),
    ([1, 1, 2, 1, NA, NA, 2, 1, NA], [1, 1, 2, 1, NA, NA, 2, 1, NA]),
])
def test_majority_rule_r2022a_flexurba_cases(before, after):
    no = np.zeros((3, 3), dtype=bool)
    np.testing.assert_array_equal(core._majority(_grid(before), water=no, ignore=no, version="R2022A"), _grid(after))


def test_majority_rule_r2023a_flexurba_cases():
    no = np.zeros((3, 3), dtype=bool)
    x = _grid([1, 1, 1, 1, NA, NA, 1, 1, 1])
    np.testing.assert_array_equal(core._majority(x, water=no, ignore=no, version="R2023A"), _grid([1] * 9))
    water = no.copy()
    water[1, 2] = True  # permanent water never joins
    np.testing.assert_array_equal(core._majority(x, water=water, ignore=no, version="R2023A"),
                                  _grid([1, 1, 1, 1, 1, NA, 1, 1, 1]))
    # cells with land < 0.5 and nobody are left out of the count
    land = np.array([1, .3, .3, 1, 1, .3, 1, 1, 1]).reshape(3, 3)
    x = _grid([NA] * 6 + [1, 1, 1])
    for pop, after in (([1, 0, 0, 1, 1, 1, 1, 0, 1], [NA] * 6 + [1, 1, 1]),
                       ([1, 0, 0, 1, 1, 0, 1, 1, 1], [NA, NA, NA, NA, 1, NA, 1, 1, 1])):
        ignore = (land < 0.5) & (np.array(pop).reshape(3, 3) == 0)
        np.testing.assert_array_equal(core._majority(x, water=no, ignore=ignore, version="R2023A"), _grid(after))


@pytest.mark.parametrize(("before", "after"), [
    ([1, 1, 1, 1, NA, 1, 1, 1, 1], [1] * 9),
    ([1, 1, 1, 1, 2, 1, 1, 1, 1], [1, 1, 1, 1, 2, 1, 1, 1, 1]),
    ([1, 1, 2, 1, NA, 2, 1, 1, 2], [1, 1, 2, 1, NA, 2, 1, 1, 2]),
])
def test_fill_gaps_flexurba_cases(before, after):
    np.testing.assert_array_equal(core._fill_gaps(_grid(before), 14), _grid(after))


# ----------------------------------------------------------------- hand-built grids, one rule each

def _rural(shape=(20, 20), value=20.0):
    return np.full(shape, value)  # 20/km2: very low density rural


def test_urban_centre_needs_density_size_and_rook_contiguity():
    pop = _rural()
    pop[2:8, 2:8] = 1500.0  # 36 x 1,500 = 54,000 >= 50,000
    assert (dg.classify_grid(pop)[2:8, 2:8] == 30).all()
    pop[2:8, 2:8] = 1380.0  # 49,680 < 50,000: a dense urban cluster at most ... but < 1,500/km2: semi-dense
    assert (dg.classify_grid(pop)[2:8, 2:8] == 22).all()
    pop[2:8, 2:8] = 1499.0  # just below the density threshold
    assert not (dg.classify_grid(pop) == 30).any()
    # two dense blocks touching at a corner: two 4-connected clusters of 40,000
    pop = _rural()
    pop[0:5, 0:5] = 1600.0
    pop[5:10, 5:10] = 1600.0
    c4 = dg.classify_grid(pop, uc_smooth_edge=None)
    assert not (c4 == 30).any() and (c4[0:5, 0:5] == 23).all()
    c8 = dg.classify_grid(pop, uc_smooth_edge=None, uc_contiguity=8)
    assert (c8[0:5, 0:5] == 30).all() and (c8[5:10, 5:10] == 30).all()


def test_size_threshold_is_inclusive():
    pop = np.zeros((12, 12))
    pop[1:6, 1:11] = 1000.0  # 50 cells x 1,000 = 50,000 exactly
    pop[1:6, 1:11] = 2000.0
    pop[1:6, 1:11] *= 50_000 / pop[1:6, 1:11].sum()  # 1,000/km2: not dense
    assert not (dg.classify_grid(pop) == 30).any()
    pop = np.zeros((12, 12))
    pop[2:7, 2:7] = 2000.0  # 25 x 2,000 = 50,000 exactly: a centre
    assert (dg.classify_grid(pop, uc_smooth_edge=None)[2:7, 2:7] == 30).all()
    pop[2, 2] = 1999.0  # 49,999: a dense urban cluster
    assert (dg.classify_grid(pop, uc_smooth_edge=None)[2:7, 2:7] == 23).all()


def test_density_is_per_permanent_land():
    pop = _rural((12, 12))
    pop[2:8, 2:8] = 1000.0  # 36,000 people at 1,000/km2 of cell ...
    land = np.ones_like(pop)
    land[2:8, 2:8] = 0.6  # ... is 1,667/km2 of land
    assert (dg.classify_grid(pop, land=land, uc_size=30_000)[2:8, 2:8] == 30).all()
    assert not (dg.classify_grid(pop, uc_size=30_000) == 30).any()


def test_built_up_criterion_adds_cells():
    pop = _rural((12, 12))
    pop[2:8, 2:8] = 1600.0  # 57,600 people
    pop[4, 4] = 200.0  # a low-density cell inside ... (gap filling off to see the criterion)
    built = np.zeros_like(pop)
    built[4, 4] = 0.25  # ... with 25 % built-up: >= 20 % joins the centre
    c = dg.classify_grid(pop, built=built, uc_gap_fill=False, uc_smooth_edge=None)
    assert c[4, 4] == 30
    assert dg.classify_grid(pop, built=built, uc_gap_fill=False, uc_smooth_edge=None, uc_built=False)[4, 4] != 30
    assert dg.classify_grid(pop, built=built, uc_gap_fill=False, uc_smooth_edge=None,
                            uc_built_threshold=0.3, duc_built_threshold=0.3)[4, 4] != 30


def test_optimal_threshold_is_the_mean_built_share_rounded_up():
    pop = _rural((14, 14))
    built = np.zeros_like(pop)
    pop[2:8, 2:8] = 1600.0  # a centre of 57,600 ...
    built[2:8, 2:8] = 0.2
    pop[10, 2:6] = 1600.0  # ... and a dense cluster of 6,400, all at 20 % built-up ...
    built[10, 2:6] = 0.2
    built[2, 2] += 40 * 0.003  # ... but one cell: mean 0.203 over the 40 cells
    assert dg.optimal_builtup(pop, None, built) == pytest.approx(0.203)
    built[10, 6] = 0.205  # a sparsely populated cell at 20.5 % next to the small cluster
    fixed = dg.classify_grid(pop, built=built)
    optimal = dg.classify_grid(pop, built=built, uc_built_threshold="optimal", duc_built_threshold="optimal")
    assert fixed[10, 6] == 23  # 0.205 >= 0.2: dense by built-up surface
    assert optimal[10, 6] == 11  # 0.205 < ceil(0.203, 2 decimals) = 0.21
    assert (optimal[10, 2:6] == 23).all() and (optimal[2:8, 2:8] == 30).all()


def test_gap_filling_below_15_km2():
    pop = _rural((30, 30))
    pop[5:20, 5:20] = 2000.0
    pop[8:10, 8:15] = 100.0  # a 14 km2 hole: filled
    pop[13:16, 8:13] = 100.0  # a 15 km2 hole: kept
    c = dg.classify_grid(pop, uc_smooth_edge=None)
    assert (c[8:10, 8:15] == 30).all()
    assert (c[13:16, 8:13] != 30).all()
    c2 = dg.classify_grid(pop, uc_smooth_edge=None, uc_gap_fill=False)
    assert (c2[8:10, 8:15] != 30).all()


def test_hole_shared_by_two_centres_is_not_filled():
    pop = _rural((20, 30))
    pop[2:12, 2:12] = 2000.0
    pop[2:12, 13:23] = 2000.0  # a second centre, one column apart
    pop[2:12, 12] = 100.0  # the column between them, closed above and below by ...
    pop[1, 2:23] = 100.0
    c = dg.classify_grid(pop, uc_smooth_edge=None)
    assert (c[2:12, 12] != 30).all()


def test_majority_rule_r2023a_ignores_water_and_never_adds_it():
    pop = _rural((12, 12))
    pop[2:9, 2:9] = 1500.0
    pop[2, 5] = 10.0  # a notch on the top edge: 5 of 8 neighbours in the centre -> joins
    c = dg.classify_grid(pop)
    assert c[2, 5] == 30
    assert dg.classify_grid(pop, uc_smooth_edge=None)[2, 5] != 30
    # the same notch as water (no land, nobody) is never added
    pop[2, 5] = 0.0
    land = np.ones_like(pop)
    land[2, 5] = 0.0
    c = dg.classify_grid(pop, land=land, built=np.zeros_like(pop))
    assert c[2, 5] == 10
    # a land cell whose 3 outer neighbours are water: 5 of its 5 valid neighbours -> joins (R2023A) ...
    pop = _rural((12, 12))
    pop[3:10, 3:10] = 1500.0
    pop[3, 3] = 10.0  # a corner cut: 3 of 8 neighbours in the centre
    land = np.ones_like(pop)
    pop[2, 2:5] = 0.0
    land[2, 2:5] = 0.0
    pop[2:5, 2] = 0.0
    land[2:5, 2] = 0.0
    c23 = dg.classify_grid(pop, land=land, built=np.zeros_like(pop))
    c22 = dg.classify_grid(pop, land=land, built=np.zeros_like(pop), uc_smooth_edge="R2022A")
    assert c23[3, 3] == 30 and c22[3, 3] != 30


def test_level2_semi_dense_suburban_and_rural_clusters():
    pop = _rural((40, 40))
    pop[2:8, 2:8] = 2000.0  # urban centre (72,000)
    pop[9, 2:8] = 1000.0  # 6 cells right next to the centre: within 2 cells -> not semi-dense
    pop[20:23, 20:23] = 1000.0  # 9,000 people at 1,000/km2 far away: semi-dense urban cluster
    pop[30:32, 2:4] = 400.0  # 1,600 people at 400/km2: rural cluster
    pop[35, 35] = 60.0  # low density rural
    c = dg.classify_grid(pop)
    assert (c[2:8, 2:8] == 30).all()
    assert (c[9, 2:8] == 21).all()  # >= 300/km2 in a >= 5,000 cluster, touching the buffer
    assert (c[20:23, 20:23] == 22).all()
    assert (c[30:32, 2:4] == 13).all()
    assert c[35, 35] == 12 and c[0, 39] == 11
    c1 = dg.classify_grid(pop, level=1)
    assert (c1[9, 2:8] == 2).all() and (c1[20:23, 20:23] == 2).all() and (c1[30:32, 2:4] == 1).all()
    # the GHS-SMOD R2023A rule: semi-dense from 300/km2 and 5,000 people, 8-connected, 3 cells
    old = dg.classify_grid(pop, params=dg.GridParams.preset("R2023A"))
    assert (old[20:23, 20:23] == 22).all() and (old[9, 2:8] == 21).all()


def test_water_only_replaces_very_low_density_cells():
    pop = _rural()
    pop[0:3, 0:3] = 0.0
    land = np.ones_like(pop)
    land[0:3, 0:3] = 0.2
    land[5, 5] = 0.2  # people live there: not water
    built = np.zeros_like(pop)
    built[0, 0] = 0.01  # built-up: not water
    c = dg.classify_grid(pop, land=land, built=built)
    assert c[1, 1] == 10 and c[0, 0] == 11 and c[5, 5] != 10 and c[10, 10] == 11
    assert dg.classify_grid(pop, land=land, built=built, level=1)[1, 1] == 0
    # without a land grid there is no water; cells without population data get 255
    pop[19, 19] = np.nan
    c = dg.classify_grid(pop)
    assert not (c == 10).any() and c[19, 19] == dg.NODATA


@settings(max_examples=30, deadline=None)
@given(arrays(float, (16, 16), elements=st.floats(0, 4000)), st.integers(1, 2))
def test_codes_valid_and_level1_consistent(pop, seed):
    land = np.random.default_rng(seed).uniform(0, 1, pop.shape)
    c2 = dg.classify_grid(pop, land=land)
    c1 = dg.classify_grid(pop, land=land, level=1)
    assert set(np.unique(c2).tolist()) <= {10, 11, 12, 13, 21, 22, 23, 30}
    assert set(np.unique(c1).tolist()) <= {0, 1, 2, 3}
    assert ((c2 == 30) == (c1 == 3)).all()
    assert ((c2 == 10) == (c1 == 0)).all()
    # with the R2023A rules (semi-dense from 300/km2 and 5,000 people) and no built-up grid,
    # level 2's 21-23 cells all lie in level 1 urban clusters (>= 300/km2, >= 5,000, 8-connected);
    # the 2024 semi-dense rule (2,500 people) may make a 22 that level 1 calls rural
    old = dg.classify_grid(pop, land=land, params=dg.GridParams.preset("R2023A"))
    assert (c1[(old >= 21) & (old <= 23)] >= 2).all()
    assert ((old == 30) == (c1 == 3)).all()


def test_bad_input():
    with pytest.raises(DataError, match="negative"):
        dg.classify_grid(np.array([[-5.0, 1.0]]))
    with pytest.raises(ConfigError, match="uc_contiguity"):
        dg.classify_grid(_rural(), uc_contiguity=6)
    with pytest.raises(ConfigError, match="built_threshold"):
        dg.classify_grid(_rural(), uc_built_threshold=2)
    with pytest.raises(UnknownNameError, match="uc_densty"):
        dg.classify_grid(_rural(), uc_densty=1000)
    with pytest.raises(UnknownNameError, match="R2024"):
        dg.GridParams(uc_smooth_edge="R2024")
    with pytest.raises(DataError, match="level"):
        dg.classify_grid(_rural(), level=3)
    with pytest.raises(DataError, match="align"):
        dg.classify_grid(_rural(), land=np.ones((3, 3)))
    with pytest.raises(ConfigError, match="optimal"):
        dg.classify_grid(_rural(), built=np.zeros((20, 20)), uc_built_threshold="optimal")


def test_raster_without_nodata_or_crs_is_refused(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    p = tmp_path / "pop.tif"
    with rasterio.open(p, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", crs="ESRI:54009",
                       transform=from_origin(0, 4000, 1000, 1000)) as dst:
        dst.write(np.ones((4, 4), dtype="float32"), 1)
    with pytest.raises(NodataError):
        dg.classify_raster(p)
    with pytest.raises(NodataError):
        dg.classify_grid(p)
    from urbanrural.geo.errors import CRSError

    q = tmp_path / "nocrs.tif"
    with rasterio.open(q, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", nodata=-1,
                       transform=from_origin(0, 4000, 1000, 1000)) as dst:
        dst.write(np.ones((4, 4), dtype="float32"), 1)
    with pytest.raises(CRSError):
        dg.classify_raster(q)
