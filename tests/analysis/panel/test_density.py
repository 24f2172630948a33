"""Kernel density per year: scipy's gaussian_kde as the oracle, peaks, wording, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import gaussian_kde

from urbanrural.analysis.panel import KernelDensity, kernel_density
from urbanrural.analysis.panel.density import _peaks
from urbanrural.geo.errors import DataError


@pytest.fixture
def skewed_panel() -> pd.DataFrame:
    """60 units x 3 years of lognormal values that drift up and spread out."""
    rng = np.random.default_rng(42)
    base = rng.lognormal(1.0, 0.4, 60)
    return pd.DataFrame({2000: base, 2010: base * rng.lognormal(0.2, 0.1, 60),
                         2020: base * rng.lognormal(0.4, 0.3, 60)},
                        index=[f"u{i:02d}" for i in range(60)])


@pytest.fixture
def polarising_panel() -> pd.DataFrame:
    """300 units: one normal hump in 2000; in 2020 a lower, wider main hump plus a side hump on the right."""
    rng = np.random.default_rng(7)
    first = rng.normal(10, 1, 300)
    last = np.r_[rng.normal(11, 1.5, 220), rng.normal(20, 0.8, 80)]
    return pd.DataFrame({2000: first, 2020: last}, index=[str(i) for i in range(300)])


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_density_equals_scipy_gaussian_kde(skewed_panel, rule):
    kd = kernel_density(skewed_panel, bandwidth=rule)
    assert isinstance(kd, KernelDensity)
    for year in skewed_panel.columns:
        x = skewed_panel[year].to_numpy()
        oracle = gaussian_kde(x, bw_method=rule)
        np.testing.assert_allclose(kd.density[year].to_numpy(), oracle(kd.grid), rtol=1e-12, atol=1e-12)
        assert kd.bandwidth[year] == pytest.approx(np.sqrt(oracle.covariance[0, 0]), rel=1e-12)


def test_fixed_bandwidth_is_in_data_units_for_every_year(skewed_panel):
    kd = kernel_density(skewed_panel, bandwidth=0.5)
    assert kd.rule == "fixed"
    assert (kd.bandwidth == 0.5).all()
    for year in skewed_panel.columns:
        x = skewed_panel[year].to_numpy()
        oracle = gaussian_kde(x, bw_method=0.5 / x.std(ddof=1))
        np.testing.assert_allclose(kd.density[year].to_numpy(), oracle(kd.grid), rtol=1e-12, atol=1e-12)


def test_default_grid_spans_all_years_padded_by_three_bandwidths(skewed_panel):
    kd = kernel_density(skewed_panel, n_grid=64)
    pad = 3 * kd.bandwidth.max()
    assert kd.grid.size == 64
    assert kd.grid[0] == pytest.approx(skewed_panel.to_numpy().min() - pad)
    assert kd.grid[-1] == pytest.approx(skewed_panel.to_numpy().max() + pad)
    assert list(kd.density.columns) == [2000, 2010, 2020]
    # every density integrates to about 1 on the common grid
    area = np.trapezoid(kd.density.to_numpy(), kd.grid, axis=0)
    np.testing.assert_allclose(area, 1.0, atol=2e-3)


def test_user_grid_is_used_as_given(skewed_panel):
    grid = np.linspace(0, 20, 50)
    kd = kernel_density(skewed_panel, grid=grid)
    np.testing.assert_array_equal(kd.grid, grid)
    np.testing.assert_array_equal(kd.density.index.to_numpy(), grid)


def test_long_series_gives_the_same_densities(skewed_panel):
    long = skewed_panel.stack()
    long.index.names = ["unit", "year"]
    a = kernel_density(skewed_panel)
    b = kernel_density(long)
    np.testing.assert_allclose(a.density.to_numpy(), b.density.to_numpy(), rtol=1e-14)


def test_peaks_found_on_a_bimodal_sample(polarising_panel):
    kd = kernel_density(polarising_panel)
    d = kd.diagnostics
    assert d.loc[2000, "n_peaks"] == 1
    assert d.loc[2020, "n_peaks"] == 2
    assert d.loc[2000, "main_peak"] == pytest.approx(10, abs=0.5)
    assert d.loc[2020, "main_peak"] == pytest.approx(11, abs=0.7)
    assert d.loc[2020, "main_peak_height"] < d.loc[2000, "main_peak_height"]
    assert d.loc[2020, "right_tail"] > d.loc[2000, "right_tail"]
    assert d.loc[2020, "skewness"] > 0.5
    assert set(d.columns) >= {"n_peaks", "main_peak", "main_peak_height", "sd", "iqr", "skewness",
                              "kurtosis", "left_tail", "right_tail"}


def test_small_bumps_below_five_percent_are_not_peaks():
    x = np.linspace(0, 10, 101)
    dens = np.exp(-0.5 * (x - 3) ** 2) + 0.04 * np.exp(-0.5 * ((x - 9) / 0.2) ** 2)
    assert _peaks(dens).tolist() == [30]
    dens2 = np.exp(-0.5 * (x - 3) ** 2) + 0.2 * np.exp(-0.5 * ((x - 9) / 0.2) ** 2)
    assert _peaks(dens2).tolist() == [30, 90]
    plateau = np.array([0, 1, 2, 2, 2, 1, 0], float)
    assert _peaks(plateau).tolist() == [2]


def test_describe_states_the_change_in_both_languages(polarising_panel):
    kd = kernel_density(polarising_panel)
    en = kd.describe()
    zh = kd.describe(language="zh")
    assert en.startswith("From 2000 to 2020 the main peak moves right and falls")
    assert "widens" in en and "side peak appears (polarisation)" in en
    assert zh.startswith("2000—2020年，主峰右移且高度下降，分布变宽，出现侧峰（多极化）")
    steady = kernel_density(pd.DataFrame({2000: polarising_panel[2000], 2001: polarising_panel[2000]}))
    assert steady.describe() == ("From 2000 to 2001 the main peak stays put and keeps its height "
                                 "and the spread stays about the same.")
    with pytest.raises(DataError, match="language"):
        kd.describe(language="fr")


@pytest.mark.parametrize(("frame", "message"), [
    (pd.DataFrame({2000: [1.0, 2.0, 3.0]}), "at least 2 years"),
    (pd.DataFrame({2000: [1.0, np.nan, 3.0], 2001: [1.0, 2.0, 3.0]}, index=["a", "b", "c"]), "b/2000"),
    (pd.DataFrame({2000: [1.0, 1.0, 1.0], 2001: [1.0, 2.0, 3.0]}), r"constant in year\(s\) \[2000\]"),
    (pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 3.0]}), "years"),
])
def test_bad_values_are_refused_with_a_fix(frame, message):
    with pytest.raises(DataError, match=message):
        kernel_density(frame)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"bandwidth": "wide"}, "bandwidth must be one of"),
    ({"bandwidth": -1.0}, "positive number"),
    ({"grid": [3.0, 2.0, 1.0]}, "strictly increasing"),
    ({"n_grid": 1}, "n_grid"),
])
def test_bad_options_are_refused(skewed_panel, kwargs, message):
    with pytest.raises(DataError, match=message):
        kernel_density(skewed_panel, **kwargs)
