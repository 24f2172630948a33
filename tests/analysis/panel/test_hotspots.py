"""Emerging hot spots: Mann-Kendall by hand and against scipy, each ESRI class, Gi* against esda."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from urbanrural.analysis.panel import emerging_hotspots, mann_kendall
from urbanrural.analysis.panel.hotspots import PATTERNS, _var_s, classify_pattern
from urbanrural.geo.errors import DataError


@pytest.fixture(scope="module")
def columbus():
    from urbanrural.layers import load_example

    return load_example("columbus")


@pytest.fixture(scope="module")
def columbus_w(columbus):
    from urbanrural.analysis.autocorrelation import weights

    return weights(columbus, "queen")


@pytest.fixture(scope="module")
def columbus_panel(columbus):
    """Three real Columbus variables as three 'years' (different spatial patterns)."""
    return pd.DataFrame({2000: columbus["CRIME"], 2001: columbus["HOVAL"], 2002: columbus["INC"],
                         2003: columbus["CRIME"] * 0.5 + columbus["INC"]}).astype(float)


# --------------------------------------------------------------------------- Mann-Kendall
def test_mann_kendall_by_hand_with_ties():
    x = [1.0, 2.0, 2.0, 3.0, 1.0]
    # pairs (i < j): from 1: +,+,+,0 (3); from 2: 0,+,- (0); from 2: +,- (0); from 3: - (-1) -> S = 2
    # ties: two 1s and two 2s -> var = [5*4*15 - 2 * (2*1*9)] / 18 = 264 / 18
    assert _var_s(np.array(x)) == pytest.approx(264 / 18, abs=1e-12)
    r = mann_kendall(x)
    assert r.s == 2.0
    assert r.z == pytest.approx((2 - 1) / np.sqrt(264 / 18), abs=1e-12)
    assert r.p == pytest.approx(2 * stats.norm.sf((2 - 1) / np.sqrt(264 / 18)), abs=1e-12)
    assert r.tau == pytest.approx(2 / np.sqrt(10 * (10 - 2)), abs=1e-12)  # tau-b
    s, z, p, tau = r  # a 4-tuple
    assert (s, z, p, tau) == tuple(r)


def test_mann_kendall_no_ties_by_hand():
    r = mann_kendall([1.0, 3.0, 2.0, 4.0])
    assert r.s == 4.0  # five concordant pairs, one discordant
    assert r.z == pytest.approx(3 / np.sqrt(4 * 3 * 13 / 18), abs=1e-12)
    down = mann_kendall([4.0, 3.0, 2.0, 1.0])
    assert down.s == -6.0 and down.z == pytest.approx(-5 / np.sqrt(4 * 3 * 13 / 18), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_mann_kendall_tau_equals_scipy(seed):
    rng = np.random.default_rng(seed)
    n = 8 + seed
    x = rng.integers(0, 5, n).astype(float) if seed % 2 else rng.normal(size=n)  # with and without ties
    years = np.arange(2000, 2000 + n)
    ref = stats.kendalltau(years, x)
    r = mann_kendall(pd.Series(x, index=years).sample(frac=1, random_state=seed))  # sorted by year first
    assert r.tau == pytest.approx(ref.statistic, abs=1e-12)


def test_mann_kendall_constant_and_bad():
    r = mann_kendall([2.0, 2.0, 2.0, 2.0])
    assert (r.s, r.z, r.p) == (0.0, 0.0, 1.0) and np.isnan(r.tau)
    with pytest.raises(DataError, match="at least 3"):
        mann_kendall([1.0, 2.0])
    with pytest.raises(DataError, match="missing"):
        mann_kendall([1.0, np.nan, 2.0])


# --------------------------------------------------------------------------- ESRI classes
UP = [2.0, 2.5, 3.1, 3.9, 4.4, 5.0, 5.2, 6.1, 6.5, 7.0]
FLAT = [2.5, 2.6, 2.4, 2.7, 2.5, 2.6, 2.4, 2.5, 2.7, 2.5]
CASES = {
    "new hot spot": [0.1, -0.3, 0.5, 0.2, 1.0, -0.4, 0.3, 0.8, 1.2, 2.5],
    "consecutive hot spot": [0.1, -0.3, 0.5, 0.2, 1.0, -0.4, 0.3, 2.2, 2.5, 3.0],
    "intensifying hot spot": UP,
    "persistent hot spot": FLAT,
    "diminishing hot spot": UP[::-1],
    "sporadic hot spot": [2.5, 0.1, 0.3, 2.5, 0.2, 2.3, 0.0, 0.4, 0.1, 2.4],
    "oscillating hot spot": [-2.5, 0.1, 2.3, 0.2, 0.0, 0.3, 0.1, 0.4, 0.2, 2.4],
    "historical hot spot": FLAT[:9] + [0.3],
}
CASES.update({k.replace("hot", "cold"): [-v for v in z] for k, z in list(CASES.items())})


@pytest.mark.parametrize("expected", list(CASES))
def test_each_class_from_a_constructed_z_series(expected):
    z = CASES[expected]
    mk = mann_kendall(z)
    if "intensifying" in expected or "diminishing" in expected:
        assert mk.p < 0.05
    if "persistent" in expected:
        assert mk.p > 0.05
    assert classify_pattern(z) == expected


def test_every_class_is_covered():
    assert set(CASES) | {"no pattern detected"} == set(PATTERNS)


@pytest.mark.parametrize("z", [
    [0.5] * 10,                                           # never significant
    [0.1, 0.2, 2.5, 2.6, 0.3, 0.1, 0.2, 0.0, 0.1, 0.2],    # hot in the middle only, final not hot, < 90%
])
def test_no_pattern(z):
    assert classify_pattern(z) == "no pattern detected"


def test_class_edge_rules():
    # cold before the only hot bin: oscillating, not new
    assert classify_pattern([-2.5] + [0.1] * 8 + [2.5]) == "oscillating hot spot"
    # a final run covering 90% of the bins is not "consecutive"
    assert classify_pattern([0.1] + FLAT[1:]) == "persistent hot spot"
    # 80% hot, final run of 8 after two quiet bins: consecutive
    assert classify_pattern([0.1, 0.2] + FLAT[2:]) == "consecutive hot spot"
    # significance from given p-values instead of z
    z = [3.0] * 10
    assert classify_pattern(z, p=[0.5] * 9 + [0.01]) == "new hot spot"


# --------------------------------------------------------------------------- Gi* per year
def test_gi_star_per_year_equals_esda(columbus_panel, columbus_w):
    import esda

    out = emerging_hotspots(columbus_panel, columbus_w, permutations=0)
    W = columbus_w.w
    order = [str(i) for i in W.id_order]
    for year in columbus_panel.columns:
        eg = esda.G_Local(columbus_panel.loc[order, year].to_numpy(), W, transform="B", star=True, permutations=0)
        np.testing.assert_allclose(out.loc[order, f"z_{year}"].to_numpy(), eg.Zs, rtol=0, atol=1e-12)
    # the trend of each unit's z series and its class come from the z columns
    zcols = [f"z_{y}" for y in columbus_panel.columns]
    for unit in out.index[:10]:
        z = out.loc[unit, zcols].to_numpy(float)
        mk = mann_kendall(z)
        assert out.loc[unit, "mk_s"] == mk.s and out.loc[unit, "mk_p"] == pytest.approx(mk.p, abs=1e-15)
        assert out.loc[unit, "pattern"] == classify_pattern(z)
    assert set(out["pattern"]) <= set(PATTERNS)
    assert (out["hot_bins"] == out["bins"].str.count("H")).all()
    assert any("10 time steps" in n for n in out.attrs["notes"])


def test_emerging_hotspots_permutations_are_seeded(columbus_panel, columbus_w):
    a = emerging_hotspots(columbus_panel, columbus_w, permutations=99, seed=3)
    b = emerging_hotspots(columbus_panel, columbus_w, permutations=99, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.index) == list(columbus_panel.index)


def test_emerging_hotspots_planted_trend():
    import libpysal

    g = libpysal.weights.lat2W(6, 6)
    ids = [f"c{i}" for i in g.id_order]
    w = libpysal.weights.W({f"c{k}": [f"c{j}" for j in v] for k, v in g.neighbors.items()}, id_order=ids)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.05, (36, 10))
    corner = np.isin(np.arange(36), [0, 1, 6, 7])
    growing = np.isin(np.arange(36), [28, 29, 34, 35])
    years = range(2010, 2020)
    v = pd.DataFrame({y: 1 + noise[:, k] + 6 * corner + (0.8 * k) * growing for k, y in enumerate(years)},
                     index=ids)
    out = emerging_hotspots(v, w, permutations=0)
    assert out.loc["c0", "pattern"] in ("persistent hot spot", "diminishing hot spot")
    assert out.loc["c35", "pattern"] in ("consecutive hot spot", "new hot spot", "intensifying hot spot")
    assert out.loc["c35", "trend"] == "up"


def test_emerging_hotspots_bad_input(columbus_panel, columbus_w):
    with pytest.raises(DataError, match="not in w"):
        emerging_hotspots(columbus_panel.iloc[:-1], columbus_w)
    with pytest.raises(DataError, match="at least 3"):
        emerging_hotspots(columbus_panel[[2000, 2001]], columbus_w)
    bad = columbus_panel.copy()
    bad.iloc[2, 1] = np.nan
    with pytest.raises(DataError, match=rf"\({bad.index[2]}, 2001\)"):
        emerging_hotspots(bad, columbus_w)
    const = columbus_panel.copy()
    const[2002] = 1.0
    with pytest.raises(DataError, match="year 2002"):
        emerging_hotspots(const, columbus_w, permutations=0)
