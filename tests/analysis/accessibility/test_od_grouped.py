"""Grouped OD tables (``network.od_table(..., by_node=True)``) against the plain table.

Origins joined to the same road node share one row of node-to-facility times; their own
off-road leg is added on the fly. The oracle is the plain compact table of the same call
(itself tested against the DataFrame path in test_od_scale.py): the pairs, their costs and
every measure must be equal bit for bit, because the same additions run in the same order.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _support import fca_step_calls

from urbanrural.analysis.accessibility import fca, network, raam
from urbanrural.analysis.accessibility._od import ODMatrix, aligned, row_ranges
from urbanrural.analysis.accessibility.decay import power, step
from urbanrural.geo.errors import DataError


def road_case(seed: int, *, n_o: int = 4000, n_f: int = 30, lines: int = 17, size: float = 8000.0):
    """A grid of roads at two speeds, many origins per node (people cells), facilities at random."""
    rng = np.random.default_rng(seed)
    xs = np.linspace(0, size, lines)
    geoms = [shapely.LineString([(0, v), (size, v)]) for v in xs] + \
        [shapely.LineString([(v, 0), (v, size)]) for v in xs]
    roads = gpd.GeoDataFrame({"speed_kmh": rng.choice([20.0, 40.0, 60.0], len(geoms))}, geometry=geoms, crs=32650)
    graph = network.build_graph(roads, node_crossings=True)
    o = pd.DataFrame(rng.uniform(0, size, (n_o, 2)), columns=["x", "y"])
    o.index.name = "origin"
    f = pd.DataFrame(rng.uniform(0, size, (n_f, 2)), columns=["x", "y"], index=[f"h{i}" for i in range(n_f)])
    people = pd.Series(np.round(np.exp(rng.normal(2, 1.2, n_o)), 2), index=o.index)
    people[rng.random(n_o) < 0.1] = 0.0
    cap = pd.Series(rng.integers(0, 60, n_f).astype(float), index=f.index)
    return graph, o, f, people, cap


@pytest.fixture(scope="module", params=[1, 2])
def tables(request):
    graph, o, f, people, cap = road_case(request.param)
    plain = network.od_table(graph, o, f, max_cost=10, walk_kmh=10, compact=True)
    grouped = network.od_table(graph, o, f, max_cost=10, walk_kmh=10, by_node=True)
    return plain, grouped, people, cap


def test_grouped_table_expands_to_the_plain_table_bit_for_bit(tables):
    plain, grouped, _, _ = tables
    assert grouped.grouped and not plain.grouped
    assert len(grouped.indptr) - 1 < len(plain.origins) / 2  # origins share rows
    assert 5_000 < len(grouped) == len(plain) < 0.8 * len(plain.origins) * len(plain.destinations)
    # leg bands: an origin reads few options beyond its own bound
    assert np.diff(grouped.indptr)[grouped.row].sum() <= 1.25 * len(plain)
    assert grouped.nbytes < plain.nbytes / 2
    e = grouped.expand()
    assert np.array_equal(e.indptr, plain.indptr) and np.array_equal(e.dest, plain.dest)
    assert np.array_equal(e.cost, plain.cost)
    assert e.origins.equals(plain.origins) and e.destinations.equals(plain.destinations)
    pd.testing.assert_frame_equal(grouped.to_frame(), plain.to_frame())
    # a block of origins is the plain table's block
    b = grouped.expand(100, 400)
    assert np.array_equal(b.cost, plain.cost[plain.indptr[100]:plain.indptr[400]])
    assert b.origins.equals(plain.origins[100:400])
    assert np.array_equal(grouped.row_positions(), plain.row_positions())


def test_row_ranges_cover_every_origin_once(tables):
    _, grouped, _, _ = tables
    ranges = list(row_ranges(grouped, pairs=5_000))
    assert len(ranges) > 3 and ranges[0][0] == 0 and ranges[-1][1] == len(grouped.origins)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    # each block holds at most the pairs asked for, or is a single origin
    assert all(len(grouped.expand(a, b)) <= 5_000 or b - a == 1 for a, b in ranges)


def _calls(max_cost: float, origins: pd.Index):
    return {
        **fca_step_calls(max_cost, origins),
        # a decay the kernels do not know: weights evaluated in numpy on expanded blocks
        "custom": lambda od, p, c: fca.two_step_fca(od, p, c, max_cost=max_cost, decay=lambda x: 1.0 / (1.0 + x)),
        "power": lambda od, p, c: fca.gravity(od, c, decay=power(1.0, -1.5, min_dist=1.0), max_cost=max_cost,
                                               origins=origins),
        "step": lambda od, p, c: fca.two_step_fca(od, p, c, max_cost=max_cost,
                                                  decay=step({5: 1.0, 10: 0.6, 20: 0.2})),
    }


@pytest.mark.parametrize("max_cost", [10.0, 6.5])
@pytest.mark.parametrize("measure", list(_calls(1.0, pd.RangeIndex(0))))
def test_measures_equal_bit_for_bit(tables, measure, max_cost):
    plain, grouped, people, cap = tables
    call = _calls(max_cost, plain.origins)[measure]
    a, b = call(grouped, people, cap), call(plain, people, cap)
    assert a.index.equals(b.index)
    assert np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True)
    assert np.isfinite(b.to_numpy()).any()


@pytest.mark.parametrize("kw", [{}, {"max_cost": 7.5, "max_cycles": 600}, {"tau": 30, "initial_step": 3}])
def test_raam_equal_bit_for_bit(tables, kw):
    plain, grouped, people, cap = tables
    a = raam.raam(grouped, people, cap, **kw)
    b = raam.raam(plain, people, cap, **kw)
    c = raam.raam(grouped, people, cap, engine="numpy", **kw)
    for other in (b, c):
        assert np.array_equal(a.cost.to_numpy(), other.cost.to_numpy(), equal_nan=True)
        assert (a.cycles, a.period, a.moved, a.converged) == (other.cycles, other.period, other.moved,
                                                               other.converged)
    assert a.cycles > 1 and np.isfinite(a.cost.to_numpy()).sum() > len(people) / 2


def test_aligned_keeps_or_expands(tables):
    plain, grouped, _, _ = tables
    assert aligned(grouped, grouped.origins, grouped.destinations) is grouped
    extra = aligned(grouped, grouped.origins, grouped.destinations, extra_dest=True)
    assert extra.grouped and len(extra.dest_leg) == len(grouped.destinations) + 1
    # other origins: remapped on the expanded pairs
    sub = pd.Index(plain.origins[::-1][:200])
    a, b = aligned(grouped, sub, None), aligned(plain, sub, None)
    assert not a.grouped and np.array_equal(a.cost, b.cost) and np.array_equal(a.indptr, b.indptr)


def test_scipy_engine_and_empty_cases():
    graph, o, f, people, cap = road_case(3, n_o=300, n_f=8)
    a = network.od_table(graph, o, f, max_cost=15, engine="scipy", block=3, by_node=True)
    b = network.od_table(graph, o, f, max_cost=15, engine="scipy", block=3, compact=True)
    assert a.grouped and np.array_equal(a.expand().cost, b.cost)
    none = network.od_table(graph, o.iloc[:0], f, max_cost=15, by_node=True)
    assert len(none) == 0 and len(none.origins) == 0


def test_plain_table_refuses_grouped_parts():
    with pytest.raises(DataError, match="belong to a grouped table"):
        ODMatrix(np.array([0, 1]), np.array([0], dtype=np.int32), np.array([7.0]), pd.RangeIndex(1),
                 pd.RangeIndex(1), bound=5.0)


def test_grouped_table_checks_its_parts():
    ok = dict(indptr=np.array([0, 1]), dest=np.array([0], dtype=np.int32), cost=np.array([2.0]),
              origins=pd.RangeIndex(2), destinations=pd.RangeIndex(1))
    with pytest.raises(DataError, match="row and leg per origin"):
        ODMatrix(**ok, row=np.array([0, 0]), leg=np.array([1.0]), dest_leg=np.array([0.0]))
    with pytest.raises(DataError, match="must index the 1 CSR rows"):
        ODMatrix(**ok, row=np.array([0, 1]), leg=np.array([1.0, 1.0]), dest_leg=np.array([0.0]))
    bad = ODMatrix(**ok, row=np.array([0, 0]), leg=np.array([1.0, np.nan]), dest_leg=np.array([0.0]))
    with pytest.raises(DataError, match="NaN or negative"):
        fca.two_step_fca(bad, pd.Series([1.0, 1.0]), pd.Series([1.0]), max_cost=10)
