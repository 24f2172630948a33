"""Autocorrelation against GeoDa's published Columbus values and against esda."""

from __future__ import annotations

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from urbanrural.analysis import autocorrelation as ac
from urbanrural.geo.errors import CRSError, DataError, IslandError, UnknownNameError
from urbanrural.layers import load_example


@pytest.fixture(scope="module")
def columbus():
    return load_example("columbus")


@pytest.fixture(scope="module")
def queen(columbus):
    return ac.weights(columbus, "queen")


def test_queen_weights_as_geoda_builds_them(queen):
    s = queen.summary()
    assert s["n"] == 49 and s["links"] == 236 and s["islands"] == 0 and s["components"] == 1


def test_moran_crime_matches_geoda(columbus, queen):
    r = ac.moran(columbus["CRIME"], queen, permutations=999, seed=12345)
    assert r.i == pytest.approx(0.500189, abs=1e-6)
    assert r.expected_i == pytest.approx(-0.020833, abs=1e-6)
    assert r.var_norm == pytest.approx(0.008563, abs=1e-6) and r.var_rand == pytest.approx(0.008689, abs=1e-6)
    assert r.z_norm == pytest.approx(5.6303, abs=1e-4) and r.z_rand == pytest.approx(5.5894, abs=1e-4)
    assert r.p_sim == pytest.approx(0.001)  # nothing as extreme in 999 permutations
    assert set(r.summary().index) >= {"I", "E[I]", "z (norm)", "pseudo p"}


@pytest.mark.parametrize(("col", "kind", "ref"), [("INC", "queen", 0.415629), ("HOVAL", "queen", 0.180093),
                                                  ("CRIME", "rook", 0.523670)])
def test_other_published_morans(columbus, col, kind, ref):
    assert ac.moran(columbus[col], ac.weights(columbus, kind), permutations=0).i == pytest.approx(ref, abs=1e-6)


def test_geary_matches_geoda(columbus, queen):
    assert ac.geary(columbus["CRIME"], queen, seed=1).c == pytest.approx(0.540528, abs=1e-6)


def test_lisa_clusters_match_geoda(columbus, queen):
    counts = ac.lisa(columbus["CRIME"], queen, permutations=999, seed=12345).counts()
    for k, ref in {"HH": 11, "LL": 7, "LH": 1, "HL": 1}.items():
        assert abs(counts[k] - ref) <= 1, counts


def test_gi_star_hot_and_cold_match_reference(columbus, queen):
    g = ac.local_g(columbus["CRIME"], queen, permutations=0)
    assert (g["z"] > 1.96).sum() == 11 and (g["z"] < -1.96).sum() == 7


def test_local_statistics_equal_esda(columbus, queen):
    y = columbus["HOVAL"].to_numpy()
    ours = ac.lisa(columbus["HOVAL"], queen, permutations=999, seed=3)
    theirs = esda.Moran_Local(y, queen.w, permutations=999, seed=3)
    np.testing.assert_allclose(ours.Is, theirs.Is, rtol=1e-12)
    np.testing.assert_array_equal(ours.quadrant, theirs.q)
    # pseudo p-values: same distribution, different random draws: within Monte Carlo error
    se = np.sqrt(theirs.p_sim * (1 - theirs.p_sim) / 999)
    assert (np.abs(ours.p_sim - theirs.p_sim) <= 4 * se + 0.01).mean() > 0.95
    g = ac.local_g(columbus["HOVAL"], queen, permutations=0)
    eg = esda.G_Local(y, queen.w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(g["z"], eg.Zs, rtol=1e-10)
    np.testing.assert_allclose(g["G"], eg.Gs, rtol=1e-10)


def test_global_stats_equal_esda_on_random_data(columbus, queen):
    rng = np.random.default_rng(0)
    for _ in range(3):
        y = rng.lognormal(size=49)
        assert ac.moran(y, queen, permutations=0).i == pytest.approx(esda.Moran(y, queen.w, permutations=0).I, rel=1e-12)
        assert ac.geary(y, queen, permutations=0).c == pytest.approx(esda.Geary(y, queen.w, permutations=0).C, rel=1e-12)
        x = rng.normal(size=49)
        assert ac.moran_bv(x, y, queen, permutations=0).i == pytest.approx(
            esda.Moran_BV(x, y, queen.w, permutations=0).I, rel=1e-10)


def test_permutation_null_is_calibrated(queen):
    """Under the null (random values) the folded pseudo p-value is ~ uniform on (0, 0.5]."""
    rng = np.random.default_rng(1)
    p = [ac.moran(rng.normal(size=49), queen, permutations=199, seed=i).p_sim for i in range(60)]
    assert 0.18 < np.mean(p) < 0.32 and max(p) <= 0.5 + 1 / 200


def test_seeded_results_repeat(columbus, queen):
    a = ac.lisa(columbus["CRIME"], queen, seed=7).p_sim
    b = ac.lisa(columbus["CRIME"], queen, seed=7).p_sim
    np.testing.assert_array_equal(a, b)


def test_adjustments_are_stricter(columbus, queen):
    plain = ac.lisa(columbus["CRIME"], queen, seed=1)
    fdr = ac.lisa(columbus["CRIME"], queen, seed=1, adjust="fdr")
    bon = ac.lisa(columbus["CRIME"], queen, seed=1, adjust="bonferroni")
    assert bon.threshold == pytest.approx(0.05 / 49)
    assert bon.significant.sum() <= fdr.significant.sum() <= plain.significant.sum()


def test_scatter_slope_is_moran(columbus, queen):
    s = ac.moran_scatter(columbus["CRIME"], queen)
    slope = np.polyfit(s["z"], s["lag_z"], 1)[0]
    assert slope == pytest.approx(0.500189, abs=1e-6)


@pytest.fixture
def with_island():
    geoms = [shapely.box(i, 0, i + 1, 1) for i in range(5)] + [shapely.box(10, 10, 11, 11)]
    return gpd.GeoDataFrame({"v": [1.0, 2, 3, 4, 5, 9]}, geometry=geoms, crs=32650,
                            index=pd.Index([f"u{i}" for i in range(6)]))


def test_bad_input_is_refused(columbus, queen, with_island):
    y = columbus["CRIME"].copy()
    y.iloc[[3, 8]] = np.nan
    with pytest.raises(DataError, match="missing for 2 unit"):
        ac.moran(y, queen)
    r = ac.moran(y, queen, dropna=True, permutations=0)
    assert r.n == 47
    with pytest.raises(DataError, match="constant"):
        ac.moran(pd.Series(3.0, index=columbus.index), queen)
    with pytest.raises(DataError, match="49"):
        ac.moran(np.arange(10.0), queen)
    with pytest.raises(IslandError, match="u5"):
        ac.weights(with_island, "queen")
    assert ac.weights(with_island, "queen", islands="drop").n == 5
    assert ac.weights(with_island, "queen", islands="knn").summary()["islands"] == 0
    with pytest.raises(DataError, match="k < 6"):
        ac.weights(with_island, "knn", k=6)
    with pytest.raises(CRSError):
        ac.weights(with_island.to_crs(4326), "distance", threshold=1000)
    with pytest.raises(UnknownNameError, match="queen"):
        ac.weights(with_island, "queeen")


def test_general_g_and_other_weights_match_libraries(columbus):
    import libpysal

    wq = ac.weights(columbus, "queen")
    g = ac.general_g(columbus["CRIME"], wq, permutations=99, seed=1)
    wb = libpysal.weights.Queen.from_dataframe(columbus, use_index=True)
    wb.transform = "b"
    ref = esda.G(columbus["CRIME"].to_numpy(), wb, permutations=0)
    assert g.g == pytest.approx(ref.G, rel=1e-12) and g.z_norm == pytest.approx(ref.z_norm, rel=1e-9)
    # Columbus has no CRS: give it a metre CRS only to exercise knn / distance / kernel weights
    c = columbus.set_crs(32616, allow_override=True)
    knn = ac.weights(c, "knn", k=4)
    assert set(knn.w.cardinalities.values()) == {4}
    band = ac.weights(c, "distance", threshold=1.5, islands="knn")
    assert band.summary()["islands"] == 0
    kern = ac.weights(c, "kernel", k=5)
    assert kern.n == 49
    assert ac.moran(c["CRIME"], knn, permutations=0).i > 0.3
