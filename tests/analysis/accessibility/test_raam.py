"""RAAM against pysal access (access.raam.raam, same tables), its published test and a hand-worked case."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from access.raam import raam as access_raam

from urbanrural.analysis.accessibility.raam import raam
from urbanrural.geo.errors import DataError


def _table(seed: int, n_o: int = 60, n_d: int = 12, frac: float = 0.6):
    rng = np.random.default_rng(seed)
    od = pd.DataFrame(list(itertools.product(range(n_o), range(n_d))), columns=["origin", "destination"])
    od = od[rng.random(len(od)) < frac].reset_index(drop=True)
    od["cost"] = rng.uniform(0, 60, len(od))
    demand = pd.Series(rng.integers(1, 1000, n_o).astype(float))
    supply = pd.Series(rng.integers(1, 50, n_d).astype(float))
    return od, demand, supply


def _theirs(od, demand, supply, **kw):
    return access_raam(demand.rename("demand").to_frame(), supply.rename("supply").to_frame(),
                       od.rename(columns={"destination": "dest"}), **kw)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("step", [0.2, 1])  # fraction of demand (float) or people (int), as access
@pytest.mark.parametrize("engine", ["auto", "numpy"])  # numba scan and the numpy one
def test_equals_access(seed, step, engine):
    od, demand, supply = _table(seed)
    theirs = _theirs(od, demand, supply, initial_step=step, tau=45)
    ours = raam(od, demand, supply, initial_step=step, tau=45, engine=engine)
    np.testing.assert_allclose(ours.cost.loc[theirs.index].to_numpy(), theirs.to_numpy(), rtol=1e-9)
    assert ours.cost.drop(theirs.index).isna().all()  # origins with no option (access leaves them out)


def test_convergence_stop_gives_access_result_sooner():
    od, demand, supply = _table(0)
    short = raam(od, demand, supply)  # access's 150 cycles do not reach a fixed point here
    assert not short.converged and short.cycles == 150 and short.moved > 0
    ours = raam(od, demand, supply, max_cycles=2000)
    assert ours.converged and ours.period == 1 and 150 < ours.cycles < 2000 and ours.moved == 0
    theirs = _theirs(od, demand, supply, max_cycles=2000)  # access runs all 2000 cycles
    np.testing.assert_allclose(ours.cost.loc[theirs.index].to_numpy(), theirs.to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("max_cycles", [400, 401])
def test_two_state_cycle_detected_and_result_equals_access(max_cycles):
    """Three origins sharing two equal facilities move simultaneously and overshoot: once the
    step is at min_step (5 people) they swap 15 people back and forth for ever. The stop
    runs only the cycles that decide the final state, so both parities equal access."""
    od = pd.DataFrame({"origin": np.repeat(range(3), 2), "destination": [0, 1] * 3, "cost": [10.0, 10.3] * 3})
    demand, supply = pd.Series([1000.0, 1001.0, 1002.0]), pd.Series([1.0, 1.0])
    ours = raam(od, demand, supply, max_cycles=max_cycles)
    assert ours.converged and ours.period == 2 and ours.moved == 15 and ours.cycles < 300
    theirs = _theirs(od, demand, supply, max_cycles=max_cycles)
    np.testing.assert_allclose(ours.cost.loc[theirs.index].to_numpy(), theirs.to_numpy(), rtol=1e-12)


def test_access_published_single_demand_location():
    """access/tests/test_raam.py: one person on a 5 x 5 grid of unit supplies scores the
    sum of supply (25): with rho = 1/25 they overload their own cell 25 times, and a
    step of 0.2 people truncates to no move."""
    pts = [(x, y) for x in range(5) for y in range(5)]
    od = pd.DataFrame([(12, j, math.dist(pts[12], pts[j])) for j in range(25)],
                      columns=["origin", "destination", "cost"])
    r = raam(od, pd.Series({12: 1.0}), pd.Series(1.0, index=range(25)))
    assert r.cost.loc[12] == 25.0 and r.converged and r.cycles == 1


def test_hand_worked_equilibrium():
    """a: h at 10 min, k at 20; b: only h at 12; 100 people each, capacity 1 each, rho 100.
    Equal costs for a: x/100 + 20/60 = (200 - x)/100 + 10/60 -> x = 91.7; whole people
    stop at 91 at k. b: 109/100 + 12/60 = 1.29; a: (9 (1.09 + 1/6) + 91 (0.91 + 1/3)) / 100."""
    od = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["h", "k", "h"], "cost": [10.0, 20.0, 12.0]})
    r = raam(od, pd.Series({"a": 100.0, "b": 100.0}), pd.Series({"h": 1.0, "k": 1.0}))
    assert r.rho == 100.0 and r.converged
    assert r.cost["b"] == pytest.approx(1.09 + 12 / 60, rel=1e-12)
    assert r.cost["a"] == pytest.approx((9 * (1.09 + 10 / 60) + 91 * (0.91 + 20 / 60)) / 100, rel=1e-12)


def test_max_cost_zero_people_and_zero_capacity():
    od = pd.DataFrame({"origin": ["a", "a", "b", "c"], "destination": ["h", "k", "k", "h"],
                       "cost": [5.0, 50.0, 10.0, 1.0]})
    r = raam(od, pd.Series({"a": 10.0, "b": 10.0, "c": 0.0, "d": 5.0}), pd.Series({"h": 1.0, "k": 0.0}),
             max_cost=30)
    # k has no capacity, so b has no option; c has no people; d is not in the table
    assert r.cost[["b", "c", "d"]].isna().all() and np.isfinite(r.cost["a"])


def test_bad_input():
    od, demand, supply = _table(1)
    with pytest.raises(DataError, match="repeats"):
        raam(pd.concat([od, od.iloc[:1]]), demand, supply)
    with pytest.raises(DataError, match="tau"):
        raam(od, demand, supply, tau=0)
    with pytest.raises(DataError, match="engine"):
        raam(od, demand, supply, engine="gpu")
    with pytest.raises(DataError, match="NaN or negative"):
        raam(od.assign(cost=-1.0), demand, supply)
    with pytest.raises(DataError, match="rho"):
        raam(od, demand, supply * 0)
    with pytest.raises(DataError, match="demand"):
        raam(od, demand.where(demand > 500), supply)
