"""The compact OD table (ODMatrix) and the measures on it, against the DataFrame path.

The DataFrame code paths of :mod:`fca` are the ones the measures had before the compact
table existed: they are the oracle here (equal to 1e-12 relative, the summation order
being the only difference). RAAM is compared bit for bit across its three engines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _support import fca_step_calls as step_calls
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from urbanrural.analysis.accessibility import euclidean, fca, raam
from urbanrural.analysis.accessibility._od import ODMatrix, aligned, from_parts
from urbanrural.analysis.accessibility.decay import gaussian, power, step
from urbanrural.geo.errors import DataError


def grid_case(side: int, n_fac: int, *, seed: int, max_cost: float = 30.0, cell: float = 500.0):
    """Origins on a side x side grid, facilities at random, straight-line minutes at 30 km/h."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(side) * cell, np.arange(side) * cell)
    points = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel()})
    points.index.name = "origin"
    fdf = pd.DataFrame({"x": rng.uniform(0, side * cell, n_fac), "y": rng.uniform(0, side * cell, n_fac)})
    people = pd.Series(np.round(np.exp(rng.normal(2, 1.2, len(points))), 2), index=points.index)
    people[rng.random(len(people)) < 0.1] = 0.0
    cap = pd.Series(rng.integers(0, 60, n_fac).astype(float))
    return points, fdf, people, cap


def rel(a: pd.Series, b: pd.Series) -> float:
    a, b = a.reindex(b.index).to_numpy(dtype=float), b.to_numpy(dtype=float)
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    a, b = np.where(both_inf, 0, a), np.where(both_inf, 0, b)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if len(b) else 0.0


@pytest.fixture(scope="module")
def county():
    points, fdf, people, cap = grid_case(60, 40, seed=3)
    frame = euclidean.od_table(points, fdf, max_cost=30, speed_kmh=30, circuity=1.2)
    compact = euclidean.od_table(points, fdf, max_cost=30, speed_kmh=30, circuity=1.2, compact=True)
    return points, fdf, people, cap, frame, compact


def test_compact_table_layout_and_round_trip(county):
    points, fdf, _, _, frame, compact = county
    assert isinstance(compact, ODMatrix) and len(compact) == len(frame)
    assert compact.dest.dtype == np.int32 and compact.cost.dtype == np.float64 and compact.indptr.dtype == np.int64
    assert compact.nbytes <= 12 * len(compact) + 8 * (len(points) + 1)
    rows = np.diff(compact.indptr)
    starts = compact.indptr[:-1][rows > 1]
    assert all((np.diff(compact.dest[a:a + n]) > 0).all() for a, n in zip(starts, rows[rows > 1], strict=True))
    pd.testing.assert_frame_equal(compact.to_frame(), frame)
    again = ODMatrix.from_frame(frame.sample(frac=1.0, random_state=0), origins=points.index,
                                destinations=fdf.index)
    assert np.array_equal(again.indptr, compact.indptr) and np.array_equal(again.dest, compact.dest)
    assert np.array_equal(again.cost, compact.cost)


def test_euclidean_table_equals_one_kd_tree_pass():
    """The blocked build gives the pairs and cost bits of one sparse_distance_matrix call."""
    points, fdf, _, _ = grid_case(45, 25, seed=5, cell=700.0)
    per_m = euclidean.minutes_per_metre(speed_kmh=25, circuity=1.3)
    oxy, fxy = points[["x", "y"]].to_numpy(), fdf[["x", "y"]].to_numpy()
    m = cKDTree(oxy).sparse_distance_matrix(cKDTree(fxy), max_distance=20 / per_m, output_type="ndarray")
    cost = m["v"] * per_m
    keep = cost <= 20
    order = np.lexsort((m["j"][keep], m["i"][keep]))
    for block in (1, 97, 10_000):
        od = euclidean.od_table(points, fdf, max_cost=20, speed_kmh=25, circuity=1.3, compact=True, block=block)
        assert np.array_equal(od.row_positions(), m["i"][keep][order])
        assert np.array_equal(od.dest, m["j"][keep][order])
        assert np.array_equal(od.cost, cost[keep][order])


def test_nearest_minutes_equals_kd_tree_query():
    points, fdf, _, _ = grid_case(40, 30, seed=1)
    per_m = euclidean.minutes_per_metre(speed_kmh=30, circuity=1.3)
    got = euclidean.nearest_minutes(points, fdf)
    d, _ = cKDTree(fdf[["x", "y"]].to_numpy()).query(points[["x", "y"]].to_numpy())
    assert np.array_equal(got, d * per_m)


@pytest.mark.parametrize("case", ["county", "larger"])
def test_pipeline_calls_equal_on_both_tables(case, county):
    if case == "county":
        points, _, people, cap, frame, compact = county
    else:
        points, fdf, people, cap = grid_case(160, 150, seed=11, cell=300.0)
        compact = euclidean.od_table(points, fdf, max_cost=25, speed_kmh=30, circuity=1.3, compact=True)
        frame = compact.to_frame()
    for name, call in step_calls(30.0 if case == "county" else 25.0, points.index).items():
        assert rel(call(compact, people, cap), call(frame, people, cap)) <= 1e-12, name


@pytest.mark.parametrize("decay", [None, step({5: 1.0, 15: 0.5, 25: 0.1}), gaussian(7.0), power(10, -1.5, 1.0),
                                   lambda c: 1.0 / (1.0 + c)])
def test_decays_on_both_tables(decay, county):
    _, _, people, cap, frame, compact = county
    a = fca.two_step_fca(compact, people, cap, max_cost=25, decay=decay)
    b = fca.two_step_fca(frame, people, cap, max_cost=25, decay=decay)
    assert rel(a, b) <= 1e-12
    if decay is not None:
        for sel in ("access", "wan2012"):
            a = fca.three_step_fca(compact, people, cap, max_cost=25, decay=decay, selection=sel)
            b = fca.three_step_fca(frame, people, cap, max_cost=25, decay=decay, selection=sel)
            assert rel(a, b) <= 1e-12
        assert rel(fca.gravity(compact, cap, decay=decay), fca.gravity(frame, cap, decay=decay)) <= 1e-12


def test_ids_that_do_not_match_positions():
    """String ids, demand in another order, supply naming only some facilities: the table is
    remapped, with the DataFrame path's answers."""
    points, fdf, people, cap = grid_case(30, 20, seed=2)
    frame = euclidean.od_table(points, fdf, max_cost=30)
    frame["origin"] = "c" + frame["origin"].astype(str)
    frame["destination"] = "f" + frame["destination"].astype(str)
    compact = ODMatrix.from_frame(frame)
    people.index = "c" + people.index.astype(str)
    cap.index = "f" + cap.index.astype(str)
    people, cap = people.iloc[::-1], cap.iloc[3:]
    for name, call in step_calls(30.0, people.index).items():
        assert rel(call(compact, people, cap), call(frame, people, cap)) <= 1e-12, name
    r1 = raam.raam(compact, people, cap, max_cycles=300)
    r2 = raam.raam(frame, people, cap, max_cycles=300, engine="numpy")
    assert np.array_equal(r1.cost.to_numpy(), r2.cost.to_numpy(), equal_nan=True) and r1.cycles == r2.cycles


def test_aligned_is_free_when_ids_match(county):
    points, fdf, _, _, _, compact = county
    assert aligned(compact, points.index, fdf.index) is compact


def test_from_parts_equals_from_pairs():
    rng = np.random.default_rng(0)
    o, d, c = rng.integers(0, 50, 500), rng.integers(0, 9, 500), rng.uniform(0, 9, 500)
    parts = [(o[i:i + 70], d[i:i + 70], c[i:i + 70]) for i in range(0, 500, 70)]
    a = from_parts(parts, pd.RangeIndex(50), pd.RangeIndex(9))
    b = ODMatrix.from_frame(pd.DataFrame({"origin": o, "destination": d, "cost": c}), origins=pd.RangeIndex(50),
                            destinations=pd.RangeIndex(9))
    assert parts == [] and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.dest, b.dest)
    assert np.array_equal(a.cost, b.cost)


def test_bad_costs_refused():
    m = ODMatrix(np.array([0, 2]), np.array([0, 1], dtype=np.int32), np.array([1.0, np.nan]),
                 pd.RangeIndex(1), pd.RangeIndex(2))
    with pytest.raises(DataError, match="NaN or negative"):
        fca.two_step_fca(m, pd.Series([1.0]), pd.Series([1.0, 1.0]), max_cost=10)
    with pytest.raises(DataError, match="indptr"):
        ODMatrix(np.array([0, 3]), np.array([0], dtype=np.int32), np.array([1.0]), pd.RangeIndex(1),
                 pd.RangeIndex(1))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 40), st.integers(1, 8))
def test_two_step_supply_is_conserved(seed, n_o, n_d):
    """2SFCA hands out every facility's supply once: sum_i P_i A_i = sum of S_j over the
    facilities with people in their catchment (Luo and Wang 2003)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, n_o * n_d + 1))
    flat = rng.choice(n_o * n_d, n, replace=False)
    frame = pd.DataFrame({"origin": flat // n_d, "destination": flat % n_d, "cost": rng.uniform(0, 40, n)})
    people = pd.Series(rng.integers(0, 50, n_o).astype(float))
    cap = pd.Series(rng.integers(0, 9, n_d).astype(float))
    m = ODMatrix.from_frame(frame, origins=people.index, destinations=cap.index)
    a = fca.two_step_fca(m, people, cap, max_cost=30)
    inside = frame[frame["cost"] <= 30]
    weight = people.to_numpy()[inside["origin"].to_numpy()]
    served = np.bincount(inside["destination"].to_numpy(), weights=weight, minlength=n_d) > 0
    expected = cap.to_numpy()[served].sum()
    assert np.isclose((a * people).sum(), expected, rtol=1e-12, atol=1e-12)
    assert rel(a, fca.two_step_fca(frame, people, cap, max_cost=30)) <= 1e-12


# ---- RAAM ----------------------------------------------------------------------------------------


def raam_case(seed: int):
    points, fdf, people, cap = grid_case(30 + 4 * seed, 20 + 8 * seed, seed=seed)
    return euclidean.od_table(points, fdf, max_cost=30, speed_kmh=30, circuity=1.0, compact=True), people, cap


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kw", [{}, {"max_cycles": 1500}, {"max_cycles": 600, "initial_step": 3, "tau": 30},
                                {"max_cost": 20.0, "max_cycles": 900}])
def test_raam_engines_give_the_same_bits(seed, kw):
    od, people, cap = raam_case(seed)
    auto = raam.raam(od, people, cap, **kw)
    numpy = raam.raam(od.to_frame(), people, cap, engine="numpy", **kw)
    scan = raam.raam(od, people, cap, engine="scan", **kw)
    for other in (numpy, scan):
        assert np.array_equal(auto.cost.to_numpy(), other.cost.to_numpy(), equal_nan=True)
        assert (auto.cycles, auto.period, auto.moved, auto.converged) == \
            (other.cycles, other.period, other.moved, other.converged)


@pytest.mark.parametrize("max_cycles", [400, 401])
def test_raam_two_state_cycle_on_the_compact_table(max_cycles):
    frame = pd.DataFrame({"origin": np.repeat(range(3), 2), "destination": [0, 1] * 3, "cost": [10.0, 10.3] * 3})
    demand, supply = pd.Series([1000.0, 1001.0, 1002.0]), pd.Series([1.0, 1.0])
    m = ODMatrix.from_frame(frame, origins=demand.index, destinations=supply.index)
    auto = raam.raam(m, demand, supply, max_cycles=max_cycles)
    numpy = raam.raam(frame, demand, supply, max_cycles=max_cycles, engine="numpy")
    assert auto.period == 2 and auto.cycles < 300 and auto.moved == 15
    assert np.array_equal(auto.cost.to_numpy(), numpy.cost.to_numpy())
    assert (auto.cycles, auto.period, auto.moved) == (numpy.cycles, numpy.period, numpy.moved)


def test_raam_many_options_per_origin_grow_the_assignment():
    """An origin spreading over many facilities outgrows its first slots (arena relocation)."""
    n_d = 40
    frame = pd.DataFrame({"origin": np.zeros(n_d, dtype=int), "destination": np.arange(n_d),
                          "cost": np.linspace(0, 1, n_d)})
    demand, supply = pd.Series([100_000.0]), pd.Series(np.ones(n_d))
    auto = raam.raam(frame, demand, supply, max_cycles=400)
    numpy = raam.raam(frame, demand, supply, max_cycles=400, engine="numpy")
    assert np.array_equal(auto.cost.to_numpy(), numpy.cost.to_numpy()) and auto.cycles == numpy.cycles


def test_raam_duplicate_pairs_refused_on_compact_table():
    m = ODMatrix(np.array([0, 2]), np.array([0, 0], dtype=np.int32), np.array([1.0, 2.0]), pd.RangeIndex(1),
                 pd.RangeIndex(1))
    with pytest.raises(DataError, match="repeats 1"):
        raam.raam(m, pd.Series([5.0]), pd.Series([1.0]))


# ---- the other engines' compact tables -----------------------------------------------------------


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["origin", "destination"], kind="stable", ignore_index=True)


@pytest.mark.parametrize("engine", ["auto", "scipy"])
def test_network_compact_table_equals_frame(engine):
    import geopandas as gpd
    import shapely

    from urbanrural.analysis.accessibility import network

    rng = np.random.default_rng(4)
    lines = [shapely.LineString([(0, i * 500.0), (5000, i * 500.0)]) for i in range(11)] + \
        [shapely.LineString([(i * 500.0, 0), (i * 500.0, 5000)]) for i in range(11)]
    roads = gpd.GeoDataFrame({"speed_kmh": rng.choice([20.0, 40.0], len(lines))}, geometry=lines, crs=32650)
    g = network.build_graph(roads)
    o = pd.DataFrame(rng.uniform(0, 5000, (300, 2)), columns=["x", "y"], index=[f"o{i}" for i in range(300)])
    f = pd.DataFrame(rng.uniform(0, 5000, (45, 2)), columns=["x", "y"])
    frame = network.od_table(g, o, f, max_cost=9, engine=engine, block=4)
    compact = network.od_table(g, o, f, max_cost=9, engine=engine, block=4, compact=True)
    assert isinstance(compact, ODMatrix) and compact.origins.equals(o.index) and compact.destinations.equals(f.index)
    pd.testing.assert_frame_equal(_sorted(compact.to_frame()), _sorted(frame))


def test_friction_compact_table_equals_frame():
    from rasterio.transform import from_origin

    from urbanrural.analysis.accessibility import friction

    s = friction.friction_surface(None, transform=from_origin(0, 2000, 100, 100), shape=(20, 20), off_road_kmh=6)
    rng = np.random.default_rng(6)
    o = pd.DataFrame(rng.uniform(0, 2000, (150, 2)), columns=["x", "y"])
    f = pd.DataFrame(rng.uniform(0, 2000, (6, 2)), columns=["x", "y"], index=list("abcdef"))
    frame = friction.od_table(s, o, f, max_cost=12)
    compact = friction.od_table(s, o, f, max_cost=12, compact=True)
    assert len(compact) == len(frame) > 0
    pd.testing.assert_frame_equal(_sorted(compact.to_frame()), _sorted(frame))
    people, cap = pd.Series(rng.integers(1, 9, 150).astype(float)), pd.Series(np.arange(1.0, 7.0), index=f.index)
    assert rel(fca.two_step_fca(compact, people, cap, max_cost=12), fca.two_step_fca(frame, people, cap,
                                                                                      max_cost=12)) <= 1e-12
