"""Before/after coverage and travel times, newly covered people per site, marginal gains.

The six-point case, worked by hand (standard 15 minutes; E existing, N1 and N2 new):

=====  ======  =====  ======  =====
point  people  class  before  after
=====  ======  =====  ======  =====
p1     100     urban  5 (E)   5
p2     200     urban  20 (E)  10 (N1)
p3     50      rural  30 (E)  12 (N1 and N2 tie)
p4     150     rural  --      25 (N2)
p5     80      rural  40 (E)  14 (N2; N1 16)
p6     20      rural  --      --
=====  ======  =====  ======  =====
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbanrural.analysis.siting import before_after, marginal_gain
from urbanrural.analysis.siting.evaluate import GAP_ROW, nearest_minutes, newly_covered
from urbanrural.geo.errors import DataError

STANDARD = 15


@pytest.fixture
def six_points() -> pd.DataFrame:
    return pd.DataFrame({"people": [100.0, 200.0, 50.0, 150.0, 80.0, 20.0],
                         "urban_class": ["urban", "urban", "rural", "rural", "rural", "rural"]},
                        index=pd.Index(["p1", "p2", "p3", "p4", "p5", "p6"], name="origin"))


@pytest.fixture
def od_existing() -> pd.DataFrame:
    """Existing site E; p4 and p6 reach nothing (not in the table)."""
    return pd.DataFrame({"origin": ["p1", "p2", "p3", "p5"], "destination": "E", "cost": [5.0, 20.0, 30.0, 40.0]})


@pytest.fixture
def od_with_new(od_existing) -> pd.DataFrame:
    """Existing plus new sites N1 and N2 (p1 is also within 15 min of N1 but E stays nearer)."""
    new = pd.DataFrame({"origin": ["p1", "p2", "p3", "p3", "p4", "p5", "p5"],
                        "destination": ["N1", "N1", "N1", "N2", "N2", "N2", "N1"],
                        "cost": [14.0, 10.0, 12.0, 12.0, 25.0, 14.0, 16.0]})
    return pd.concat([od_existing, new], ignore_index=True)


def test_before_after_by_hand(six_points, od_existing, od_with_new):
    t = before_after(od_existing, od_with_new, six_points, standard=STANDARD)
    assert list(t.index) == ["urban", "rural", "all", GAP_ROW]
    exp = pd.DataFrame({
        "people": [300.0, 300.0, 600.0],
        "covered_before": [100.0, 0.0, 100.0],
        "covered_after": [300.0, 130.0, 430.0],
        "share_before": [1 / 3, 0.0, 1 / 6],
        "share_after": [1.0, 130 / 300, 430 / 600],
        "newly_covered": [200.0, 130.0, 330.0],
        "lost": [0.0, 0.0, 0.0],
        "mean_min_before": [4500 / 300, 4700 / 130, 9200 / 430],   # p4, p6 unreachable: no time
        "mean_min_after": [2500 / 300, 5470 / 280, 7970 / 580],
        "unreachable_before": [0.0, 170.0, 170.0],
        "unreachable_after": [0.0, 20.0, 20.0]}, index=["urban", "rural", "all"])
    pd.testing.assert_frame_equal(t.loc[["urban", "rural", "all"]], exp, check_names=False, rtol=1e-12)
    gap = t.loc[GAP_ROW]
    assert gap["share_before"] == pytest.approx(0 - 1 / 3)
    assert gap["share_after"] == pytest.approx(130 / 300 - 1)
    assert gap["mean_min_before"] == pytest.approx((4700 / 130) / 15.0)
    assert gap["mean_min_after"] == pytest.approx((5470 / 280) / (2500 / 300))
    assert gap[["people", "covered_before", "newly_covered", "unreachable_after"]].isna().all()


def test_series_input_same_numbers(six_points, od_existing, od_with_new):
    before = pd.Series([5.0, 20.0, 30.0, np.inf, 40.0, np.inf], index=six_points.index)
    after = pd.Series([5.0, 10.0, 12.0, 25.0, 14.0, np.inf], index=six_points.index)
    from_series = before_after(before, after, six_points, standard=STANDARD)
    from_od = before_after(od_existing, od_with_new, six_points, standard=STANDARD)
    pd.testing.assert_frame_equal(from_series, from_od)
    assert nearest_minutes(od_with_new, six_points.index).tolist() == after.tolist()


def test_classes_options(six_points, od_existing, od_with_new):
    plain = before_after(od_existing, od_with_new, six_points["people"], standard=STANDARD)
    assert list(plain.index) == ["all"] and plain.loc["all", "newly_covered"] == 330.0
    other = pd.Series(["town", "town", "village", "village", "village", "village"], index=six_points.index)
    t = before_after(od_existing, od_with_new, six_points, standard=STANDARD, classes=other)
    assert list(t.index) == ["town", "village", "all"]  # no urban and rural: no gap row
    assert t.loc["village", "covered_after"] == 130.0


def test_unreachable_kept_apart(six_points):
    only_p1 = pd.DataFrame({"origin": ["p1"], "destination": ["E"], "cost": [5.0]})
    t = before_after(only_p1, only_p1, six_points, standard=STANDARD)
    assert t.loc["urban", "mean_min_before"] == 5.0  # p2 has no time, not an infinite one
    assert np.isnan(t.loc["rural", "mean_min_after"]) and t.loc["rural", "unreachable_after"] == 300.0
    assert t.loc["all", "share_after"] == pytest.approx(100 / 600)
    assert np.isnan(t.loc[GAP_ROW, "mean_min_after"])


def test_lost_when_a_site_closes(six_points, od_existing):
    worse = od_existing.assign(cost=[25.0, 20.0, 30.0, 40.0])
    t = before_after(od_existing, worse, six_points, standard=STANDARD)
    assert t.loc["all", "lost"] == 100.0 and t.loc["all", "newly_covered"] == 0.0


def test_newly_covered_by_hand(six_points, od_existing, od_with_new):
    n = newly_covered(od_existing, od_with_new, six_points, standard=STANDARD, sites=["N1", "N2"])
    assert list(n.index) == ["N1", "N2"] and n.index.name == "site"
    assert n["newly_covered"].tolist() == [250.0, 80.0]  # p3's tie goes to N1, listed first
    assert n["points"].tolist() == [2, 1]
    assert n["newly_covered_urban"].tolist() == [200.0, 0.0]
    assert n["newly_covered_rural"].tolist() == [50.0, 80.0]
    assert n["within_standard"].tolist() == [350.0, 130.0]  # N1 also reaches p1, covered before
    total = before_after(od_existing, od_with_new, six_points, standard=STANDARD).loc["all", "newly_covered"]
    assert n["newly_covered"].sum() == total
    swapped = newly_covered(od_existing, od_with_new, six_points, standard=STANDARD, sites=["N2", "N1"])
    assert swapped.loc[["N1", "N2"], "newly_covered"].tolist() == [200.0, 130.0]


def test_newly_covered_site_reaching_nobody(six_points, od_existing, od_with_new):
    n = newly_covered(od_existing, od_with_new, six_points["people"], standard=STANDARD, sites=["N2", "N9"])
    assert n.loc["N9"].tolist() == [0.0, 0.0, 0.0]
    assert n.loc["N2", "newly_covered"] == 130.0
    with pytest.raises(DataError, match="none of the sites"):
        newly_covered(od_existing, od_with_new, six_points, standard=STANDARD, sites=[1, 2])
    with pytest.raises(DataError, match="duplicated"):
        newly_covered(od_existing, od_with_new, six_points, standard=STANDARD, sites=["N1", "N1"])


def test_bad_input_refused(six_points, od_existing, od_with_new):
    with pytest.raises(DataError, match="negative"):
        before_after(od_existing, od_with_new, six_points.assign(people=[1.0, -1.0, 0, 0, 0, 0]), standard=15)
    with pytest.raises(DataError, match="missing"):
        before_after(od_existing, od_with_new, six_points.assign(people=[1.0, np.nan, 0, 0, 0, 0]), standard=15)
    with pytest.raises(DataError, match="no class"):
        before_after(od_existing, od_with_new, six_points.assign(urban_class=["urban", None] + ["rural"] * 4),
                     standard=15)
    with pytest.raises(DataError, match="classes has no value for 2"):
        before_after(od_existing, od_with_new, six_points, standard=15,
                     classes=pd.Series(["rural"] * 4, index=["p1", "p2", "p3", "p4"]))
    with pytest.raises(DataError, match="no class column 'kind'"):
        before_after(od_existing, od_with_new, six_points, standard=15, classes="kind")
    with pytest.raises(DataError, match="not demand points"):
        before_after(od_existing.assign(origin=["p1", "p2", "p3", "x9"]), od_with_new, six_points, standard=15)
    with pytest.raises(DataError, match="no time for 1"):
        before_after(pd.Series([5.0] * 5, index=six_points.index[:5]), od_with_new, six_points, standard=15)
    with pytest.raises(DataError, match="use inf"):
        before_after(pd.Series([5.0, np.nan, 1, 1, 1, 1], index=six_points.index), od_with_new, six_points,
                     standard=15)
    with pytest.raises(DataError, match="standard"):
        before_after(od_existing, od_with_new, six_points, standard=0)
    with pytest.raises(DataError, match="cost"):
        before_after(od_existing.drop(columns="cost"), od_with_new, six_points, standard=15)


def test_marginal_gain():
    g = marginal_gain(pd.Series({0: 100.0, 1: 400.0, 2: 550.0, 4: 600.0}))
    assert g["k"].tolist() == [0, 1, 2, 4]
    assert np.isnan(g["gain"].iloc[0]) and g["gain"].iloc[1:].tolist() == [300.0, 150.0, 50.0]
    assert g["gain_per_site"].iloc[1:].tolist() == [300.0, 150.0, 25.0]
    assert g["gain_share"].iloc[1:].tolist() == pytest.approx([0.6, 0.3, 0.1])
    assert g["cumulative_share"].tolist() == pytest.approx([0.0, 0.6, 0.9, 1.0])
    cost = marginal_gain({2: 80.0, 1: 100.0}, baseline=120.0)  # a cost falling with k, unsorted input
    assert cost["k"].tolist() == [1, 2] and cost["gain"].tolist() == [-20.0, -20.0]
    assert cost["cumulative_share"].tolist() == pytest.approx([0.5, 1.0])
    flat = marginal_gain(pd.Series({1: 5.0, 2: 5.0}), baseline=5.0)
    assert flat["gain_share"].isna().all()
    with pytest.raises(DataError, match="whole numbers"):
        marginal_gain(pd.Series({1.5: 3.0}))
    with pytest.raises(DataError, match="missing or infinite"):
        marginal_gain(pd.Series({1: np.nan}))
    with pytest.raises(DataError, match="empty"):
        marginal_gain(pd.Series([], dtype=float))
