"""Inequality measures: worked values and exact decompositions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from urbanrural.analysis import inequality as iq
from urbanrural.geo.errors import DataError


def test_gini_textbook_and_weighted_equals_repeated():
    assert iq.gini([10, 20, 30, 40, 100]) == pytest.approx(0.4)
    # weights as frequencies: same as repeating observations
    assert iq.gini([1.0, 5.0], weights=[3, 1]) == pytest.approx(iq.gini([1.0, 1.0, 1.0, 5.0]))
    y = np.array([3.0, 8.0, 1.0, 9.0])
    pairwise = np.abs(y[:, None] - y[None, :]).sum() / (2 * len(y) ** 2 * y.mean())
    assert iq.gini(y) == pytest.approx(pairwise)


def test_theil_by_hand_and_decomposition():
    y = np.array([1.0, 2.0, 3.0, 6.0])
    t = iq.theil(y, groups=["r", "r", "u", "u"])
    ref = np.mean(y / y.mean() * np.log(y / y.mean()))
    assert t.total == pytest.approx(ref)
    assert t.between + t.within == pytest.approx(t.total)
    # group shares: rural income 3/12 with half the people
    assert t.groups.loc["r", "income_share"] == pytest.approx(0.25)


def test_cv_variants():
    y = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
    assert iq.cv(y) == pytest.approx(2.0 / 5.0)
    assert iq.cv(y, ddof=1) == pytest.approx(np.std(y, ddof=1) / 5.0)
    assert iq.cv([1.0, 3.0], weights=[1, 1]) == pytest.approx(0.5)


def test_dagum_parts_add_up_and_bad_input():
    rng = np.random.default_rng(2)
    y = rng.lognormal(size=150)
    g = rng.choice(["a", "b", "c"], 150)
    d = iq.dagum(y, g)
    assert d.within + d.net_between + d.transvariation == pytest.approx(d.total, rel=1e-12)
    assert d.total == pytest.approx(iq.gini(y), rel=1e-12)
    with pytest.raises(DataError, match="negative"):
        iq.gini([1.0, -2.0])
    with pytest.raises(DataError, match="missing"):
        iq.theil([1.0, np.nan])
    with pytest.raises(DataError, match="population"):
        iq.theil([1.0, 2.0], population=[1.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 1e5), min_size=3, max_size=40), st.floats(0.01, 100))
@example([0.3, 0.3, 0.3], 1.0)  # equal values: Gini was -2e-16 before clipping rounding noise
def test_invariants(values, k):
    y = np.array(values)
    g = np.array(["u", "r"] * 20)[: len(y)]
    pop = np.linspace(1, 3, len(y))
    t = iq.theil(y, population=pop, groups=g)
    assert t.between + t.within == pytest.approx(t.total, rel=1e-9, abs=1e-12)
    assert 0 <= iq.gini(y) <= 1
    assert iq.gini(y * k) == pytest.approx(iq.gini(y), rel=1e-9, abs=1e-12)
    assert iq.theil(y * k).total == pytest.approx(iq.theil(y).total, rel=1e-9, abs=1e-12)
