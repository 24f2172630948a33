"""FCA family against pysal `access` (relative error <= 1e-9), access's own worked
examples, and explicit-loop implementations of the published formulas."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanrural.analysis.accessibility import (
    cumulative,
    decay,
    enhanced_two_step_fca,
    gaussian_two_step_fca,
    gravity,
    nearest,
    three_step_fca,
    two_step_fca,
)
from urbanrural.geo.errors import DataError

access = pytest.importorskip("access")
from access import weights as aw  # noqa: E402

RTOL = 1e-9


@pytest.fixture
def random_od():
    """300 origins x 40 destinations, ~45 % of pairs present, costs 0-90 min."""
    rng = np.random.default_rng(7)
    o = [f"o{i:03d}" for i in range(300)]
    d = [f"d{j:02d}" for j in range(40)]
    pairs = [(a, b) for a, b in itertools.product(o, d) if rng.random() < 0.45]
    od = pd.DataFrame(pairs, columns=["origin", "destination"])
    od["cost"] = rng.uniform(0, 90, len(od)).round(3)
    demand = pd.Series(rng.integers(0, 5000, len(o)).astype(float), index=pd.Index(o, name="id"))
    supply = pd.Series(rng.integers(1, 60, len(d)).astype(float), index=pd.Index(d, name="id"))
    return od, demand, supply


def _access_model(od, demand, supply):
    return access.Access(
        demand_df=demand.rename("pop").rename_axis("geoid").to_frame(), demand_index=True, demand_value="pop",
        supply_df=supply.rename("doc").rename_axis("geoid").to_frame(), supply_index=True, supply_value="doc",
        cost_df=od.rename(columns={"destination": "dest"}), cost_origin="origin", cost_dest="dest", cost_name="cost")


def _cmp(ours: pd.Series, theirs: pd.Series):
    theirs = theirs.reindex(ours.index).fillna(0.0)  # access leaves NaN where we give 0 (documented)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("max_cost", [15, 30, 60])
def test_two_step_matches_access(random_od, max_cost):
    od, demand, supply = random_od
    m = _access_model(od, demand, supply)
    theirs = m.two_stage_fca(name="x", max_cost=max_cost)["x_doc"]
    _cmp(two_step_fca(od, demand, supply, max_cost=max_cost), theirs)


def test_enhanced_two_step_default_decay_matches_access(random_od):
    od, demand, supply = random_od
    theirs = _access_model(od, demand, supply).enhanced_two_stage_fca(name="x", max_cost=30)["x_doc"]
    _cmp(enhanced_two_step_fca(od, demand, supply, max_cost=30), theirs)


def test_gaussian_two_step_matches_access(random_od):
    od, demand, supply = random_od
    theirs = _access_model(od, demand, supply).two_stage_fca(
        name="x", max_cost=45, weight_fn=aw.gaussian(12))["x_doc"]
    _cmp(gaussian_two_step_fca(od, demand, supply, max_cost=45, sigma=12), theirs)


def test_three_step_default_decay_matches_access(random_od):
    od, demand, supply = random_od
    theirs = _access_model(od, demand, supply).three_stage_fca(name="x", max_cost=60)["x_doc"]
    _cmp(three_step_fca(od, demand, supply, max_cost=60), theirs)


def test_gravity_matches_access_weighted_catchment(random_od):
    od, demand, supply = random_od
    f = aw.gravity(scale=10, alpha=-1.5, min_dist=1)
    theirs = _access_model(od, demand, supply).weighted_catchment(name="x", weight_fn=f, max_cost=60)["x_doc"]
    ours = gravity(od, supply, decay=decay.power(10, -1.5, 1), max_cost=60, origins=demand.index)
    _cmp(ours, theirs)


@pytest.mark.parametrize("scenario", range(4))
def test_access_hospital_example(scenario):
    """The three-tract scenarios of access/tests/test_hospital_example.py, with the
    explicit-loop reference formulas written out here."""
    pops, docs = {1: 100.0, 2: 50.0, 3: 10.0}, {1: 15.0, 2: 20.0, 3: 100.0}
    inbound, outbound, cross = [(40, 40, 80), (20, 40, 80), (40, 20, 80), (20, 20, 40)][scenario]
    rows = [(1, 1, 1), (2, 2, 1), (3, 3, 1), (1, 3, inbound), (2, 3, inbound), (3, 1, outbound),
            (3, 2, outbound), (1, 2, cross), (2, 1, cross)]
    od = pd.DataFrame(rows, columns=["origin", "destination", "cost"]).astype({"cost": float})
    demand, supply = pd.Series(pops), pd.Series(docs)
    f = lambda c: 1.0 / c  # noqa: E731  gravity(1, -1)

    def ref(three: bool) -> dict[int, float]:
        cost = {(o, d): c for o, d, c in rows}
        g = {(o, d): f(c) / sum(f(cost[o, k]) for k in docs if (o, k) in cost) for (o, d), c in cost.items()}
        w = {k: f(c) * (g[k] if three else 1.0) for k, c in cost.items() if c <= 61}
        r = {d: docs[d] / sum(pops[o] * w[o, d] for o in pops if (o, d) in w) for d in docs}
        return {o: sum(r[d] * w[o, d] for d in docs if (o, d) in w) for o in pops}

    ours2 = two_step_fca(od, demand, supply, max_cost=61, decay=decay.power(1, -1))
    ours3 = three_step_fca(od, demand, supply, max_cost=61, decay=decay.power(1, -1))
    assert ours2.to_dict() == pytest.approx(ref(False), rel=1e-12)
    assert ours3.to_dict() == pytest.approx(ref(True), rel=1e-12)
    m = _access_model(od, demand, supply)
    _cmp(ours2, m.two_stage_fca(name="a", max_cost=61, weight_fn=aw.gravity(1, -1))["a_doc"])
    _cmp(ours3, m.three_stage_fca(name="b", max_cost=61, weight_fn=aw.gravity(1, -1))["b_doc"])


def test_access_weighted_catchment_published_values():
    """access/tests/test_weighted_catchment.py: a 5x5 unit grid, euclidean costs, one
    origin; step {0.5: 1} -> 1, step {0.5: 0.5} -> 0.5, step {10: 1} -> 25."""
    pts = [(x, y) for x in range(5) for y in range(5)]
    od = pd.DataFrame([(0, j, float(np.hypot(pts[0][0] - p[0], pts[0][1] - p[1]))) for j, p in enumerate(pts)],
                      columns=["origin", "destination", "cost"])
    supply = pd.Series(1.0, index=range(25))
    assert gravity(od, supply, decay=decay.step({0.5: 1})).iloc[0] == 1
    assert gravity(od, supply, decay=decay.step({0.5: 0.5})).iloc[0] == 0.5
    assert gravity(od, supply, decay=decay.step({10: 1})).iloc[0] == 25


def test_decay_functions_match_access():
    x = np.linspace(0, 80, 161)
    for ours, theirs in [(decay.step({10: 1, 20: 0.68, 30: 0.22}), aw.step_fn({10: 1, 20: 0.68, 30: 0.22})),
                         (decay.gaussian(20), aw.gaussian(20)),
                         (decay.power(20, -2, 1), aw.gravity(20, -2, 1))]:
        np.testing.assert_allclose(ours(x), [theirs(v) for v in x], rtol=1e-12)


def test_step_decay_by_comparisons_equals_binary_search():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(0, 70, 5000), np.arange(0, 70, 5.0), [np.nan]])
    for k in (1, 3, 16, 17, 40):  # up to 16 steps by comparisons, more by searchsorted
        th = np.sort(rng.choice(np.arange(1, 70, 0.5), k, replace=False))
        steps = dict(zip(th.tolist(), rng.uniform(0, 1, k).tolist(), strict=True))
        ref = np.append(list(steps.values()), 0.0)[np.searchsorted(th, x, side="left")]
        np.testing.assert_array_equal(decay.step(steps)(x), ref)
    assert decay.step({10: 1.0})(np.array([np.nan]))[0] == 0.0


def test_nearest_and_cumulative_by_hand():
    od = pd.DataFrame({"origin": ["a", "a", "b", "c"], "destination": ["x", "y", "y", "x"],
                       "cost": [12.0, 7.0, 40.0, 15.0]})
    near = nearest(od, origins=pd.Index(["a", "b", "c", "d"]))
    assert near.to_dict() == {"a": 7.0, "b": 40.0, "c": 15.0, "d": np.inf}
    cum = cumulative(od, pd.Series({"x": 3.0, "y": 5.0}), threshold=15)
    assert cum.to_dict() == {"a": 8.0, "b": 0.0, "c": 3.0}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 1e4), min_size=2, max_size=8), st.lists(st.floats(0.5, 50), min_size=1, max_size=5),
       st.floats(0.1, 1e3))
def test_two_step_conserves_supply_and_is_scale_free(pops, docs, k):
    """With f = 1 and every pair reachable, sum_i P_i A_i = sum_j S_j; scaling supply
    by k scales access by k; scaling demand by k divides it by k."""
    o = [f"o{i}" for i in range(len(pops))]
    d = [f"d{j}" for j in range(len(docs))]
    od = pd.DataFrame([(a, b, 1.0) for a in o for b in d], columns=["origin", "destination", "cost"])
    demand, supply = pd.Series(pops, index=o), pd.Series(docs, index=d)
    a = two_step_fca(od, demand, supply, max_cost=10)
    assert (demand * a).sum() == pytest.approx(supply.sum(), rel=1e-9)
    np.testing.assert_allclose(two_step_fca(od, demand, supply * k, max_cost=10), a * k, rtol=1e-9)
    np.testing.assert_allclose(two_step_fca(od, demand * k, supply, max_cost=10), a / k, rtol=1e-9)


def test_unreachable_origins_get_zero_and_bad_input_is_refused():
    od = pd.DataFrame({"origin": ["a"], "destination": ["x"], "cost": [5.0]})
    demand, supply = pd.Series({"a": 10.0, "far": 5.0}), pd.Series({"x": 1.0})
    assert two_step_fca(od, demand, supply, max_cost=30).to_dict() == {"a": 0.1, "far": 0.0}
    with pytest.raises(DataError, match="max_cost"):
        two_step_fca(od, demand, supply, max_cost=0)
    with pytest.raises(DataError, match="negative"):
        two_step_fca(od.assign(cost=-1.0), demand, supply, max_cost=30)
    with pytest.raises(DataError, match="supply"):
        two_step_fca(od, demand, pd.Series({"x": np.nan}), max_cost=30)
    with pytest.raises(DataError, match="lacks column"):
        nearest(od.rename(columns={"cost": "minutes"}))
    with pytest.raises(DataError, match="selection"):
        three_step_fca(od, demand, supply, max_cost=30, selection="paper")
