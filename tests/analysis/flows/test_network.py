"""Network measures against networkx; the linkage network worked by hand; refused inputs."""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from urbanrural.analysis.flows._network import linkage_network, network_measures
from urbanrural.geo.errors import DataError, JoinError


@pytest.fixture
def random_digraph() -> nx.DiGraph:
    """40 nodes (some isolated), p = 0.1, weights 1-100, no self-loops."""
    g = nx.gnp_random_graph(40, 0.1, seed=7, directed=True)
    rng = np.random.default_rng(7)
    for u, v in g.edges:
        g.edges[u, v]["weight"] = float(rng.integers(1, 100))
    return nx.relabel_nodes(g, {i: f"u{i:02d}" for i in g.nodes})


@pytest.fixture
def random_flows(random_digraph) -> pd.DataFrame:
    """The graph's edges as flows, plus noise a graph has no edge for: self-flows and zero rows."""
    rows = [(u, v, w) for u, v, w in random_digraph.edges(data="weight")]
    rows += [("u00", "u00", 50.0), ("u01", "u02", 0.0) if not random_digraph.has_edge("u01", "u02") else ("u01", "u01", 1.0)]
    return pd.DataFrame(rows, columns=["origin", "destination", "volume"])


@pytest.fixture
def small_flows() -> pd.DataFrame:
    """a->b 5 (as 3 + 2), b->a 2, a->c 3, c->c 10 (self, not a link)."""
    return pd.DataFrame({"origin": ["a", "a", "b", "a", "c"], "destination": ["b", "b", "a", "c", "c"],
                         "volume": [3.0, 2.0, 2.0, 3.0, 10.0]})


@pytest.fixture
def three_units() -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """G = (4, 1, 4), P = (4, 1, 1): masses sqrt(PG) = (4, 1, 2); d ab 1, ac 2, bc 1 km."""
    g = pd.Series({"a": 4.0, "b": 1.0, "c": 4.0})
    p = pd.Series({"a": 4.0, "b": 1.0, "c": 1.0, "elsewhere": 7.0})
    d = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["b", "c", "c"], "cost": [1.0, 2.0, 1.0]})
    return g, p, d


def test_against_networkx(random_digraph, random_flows):
    m = network_measures(random_flows, units=sorted(random_digraph.nodes))
    g = random_digraph
    assert m.n_units == g.number_of_nodes() == 40
    assert m.links == g.number_of_edges()
    assert m.density == pytest.approx(nx.density(g))
    assert m.reciprocity == pytest.approx(nx.reciprocity(g))
    p = m.per_unit
    assert p["in_degree"].to_dict() == dict(g.in_degree())
    assert p["out_degree"].to_dict() == dict(g.out_degree())
    assert p["in_strength"].to_dict() == pytest.approx(dict(g.in_degree(weight="weight")))
    assert p["out_strength"].to_dict() == pytest.approx(dict(g.out_degree(weight="weight")))
    # weighted reciprocity from the graph, pair by pair
    both = sum(min(w, g.edges[v, u]["weight"]) for u, v, w in g.edges(data="weight") if g.has_edge(v, u))
    assert m.weighted_reciprocity == pytest.approx(both / g.size(weight="weight"))


def test_weighted_reciprocity_by_hand(small_flows):
    m = network_measures(small_flows)
    # links a->b, b->a, a->c; min(5, 2) counted for (a, b) and (b, a): 4 of 10 between units
    assert (m.n_units, m.links) == (3, 3)
    assert m.density == pytest.approx(3 / 6)
    assert m.reciprocity == pytest.approx(2 / 3)
    assert m.weighted_reciprocity == pytest.approx(0.4)
    assert (m.total, m.intra_total) == (10.0, 10.0)
    assert m.per_unit.loc["c"].tolist() == [3.0, 0.0, 1, 0]


def test_no_links_gives_nan_not_an_error():
    m = network_measures(pd.DataFrame({"origin": ["a"], "destination": ["a"], "volume": [5.0]}), units=["a", "b"])
    assert m.links == 0 and m.density == 0
    assert np.isnan(m.reciprocity) and np.isnan(m.weighted_reciprocity)


def test_a_million_pairs_is_fast():
    rng = np.random.default_rng(0)
    ids = np.array([f"{i:06d}" for i in range(3000)], dtype=object)
    f = pd.DataFrame({"origin": ids[rng.integers(0, 3000, 1_000_000)],
                      "destination": ids[rng.integers(0, 3000, 1_000_000)],
                      "volume": rng.exponential(10, 1_000_000)})
    t = time.perf_counter()
    m = network_measures(f)
    assert time.perf_counter() - t < 3.0  # about 0.25 s alone on one core; generous for a shared machine
    assert m.per_unit["in_strength"].sum() == pytest.approx(m.per_unit["out_strength"].sum())


def test_linkage_network_by_hand(three_units):
    g, p, d = three_units
    net = linkage_network(g, p, d)
    s = net.strength.set_index(["origin", "destination"])
    # k_ab = 4/5, R_ab = 0.8 * 4 * 1 / 1^2 = 3.2; R_ac = 0.5 * 4 * 2 / 2^2 = 1; R_ba = 0.2 * 4 / 1 = 0.8
    # R_bc = 0.2 * 1 * 2 / 1 = 0.4; R_ca = 0.5 * 8 / 4 = 1; R_cb = 0.8 * 2 / 1 = 1.6
    expected = {("a", "b"): 3.2, ("a", "c"): 1.0, ("b", "a"): 0.8, ("b", "c"): 0.4, ("c", "a"): 1.0, ("c", "b"): 1.6}
    assert s["R"].to_dict() == pytest.approx(expected)
    assert s.loc[("a", "b"), "k"] + s.loc[("b", "a"), "k"] == pytest.approx(1)
    # row means: a 2.1, b 0.6, c 1.3 -> keep a->b, b->a, c->b
    assert sorted(s.index[s["kept"]]) == [("a", "b"), ("b", "a"), ("c", "b")]
    assert net.density == pytest.approx(3 / 6)
    per = net.per_unit
    assert per["total"].tolist() == pytest.approx([4.2, 1.2, 2.6])
    assert per["share"].tolist() == pytest.approx([4.2 / 8, 1.2 / 8, 2.6 / 8])
    assert per["degree"].tolist() == [2, 3, 1]
    assert per["out_degree"].tolist() == [1, 1, 1]
    assert per["in_degree"].tolist() == [1, 2, 0]
    assert "k_ij = G_i / (G_i + G_j)" in net.variant and "row" in net.variant and "d_ij^2" in net.variant


def test_linkage_square_distance_and_economic_weight(three_units):
    g, p, d = three_units
    sq = pd.DataFrame([[0, 1, 2], [1, 0, 1], [2, 1, 0]], index=list("abc"), columns=list("abc"), dtype=float)
    pd.testing.assert_frame_equal(linkage_network(g, p, sq).strength, linkage_network(g, p, d).strength)
    net = linkage_network(g, p, d, economic=pd.Series({"a": 1.0, "b": 1.0, "c": 1.0}))
    s = net.strength.set_index(["origin", "destination"])
    assert (s["k"] == 0.5).all()
    assert s.loc[("a", "b"), "R"] == pytest.approx(0.5 * 4 * 1 / 1)
    assert "E (economic)" in net.variant


def test_linkage_refuses_zero_distance_and_negative_values(three_units):
    g, p, d = three_units
    with pytest.raises(DataError, match=r"distance is 0 between 2 pair\(s\) of distinct units \('a->b', 'b->a'\)"):
        linkage_network(g, p, d.assign(cost=[0.0, 2.0, 1.0]))
    with pytest.raises(DataError, match=r"values has values that are not >= 0 for 'b'"):
        linkage_network(g.replace(1.0, -1.0), p, d)
    with pytest.raises(DataError, match=r"population has missing, non-numeric or infinite values for 'b', 'c': give every unit a number >= 0"):
        linkage_network(g, p.replace(1.0, np.nan), d)
    with pytest.raises(JoinError, match=r"population has no value for 1 unit\(s\): 'c'"):
        linkage_network(g, p.drop("c"), d)
    with pytest.raises(DataError, match=r"distance has no cost for 2 pair\(s\): 'b->c', 'c->b'"):
        linkage_network(g, p, d.iloc[:2])
    with pytest.raises(DataError, match="at least two units"):
        linkage_network(g.iloc[:1], p, d)


def test_network_refuses_what_accounts_refuse():
    with pytest.raises(DataError, match=r"missing column\(s\) 'destination'"):
        network_measures(pd.DataFrame({"origin": ["a"], "volume": [1.0]}))
    with pytest.raises(DataError, match="filter by kind/year first"):
        network_measures(pd.DataFrame({"origin": ["a", "b"], "destination": ["b", "a"], "volume": [1.0, 1.0],
                                       "year": [2019, 2020]}))
    with pytest.raises(JoinError, match=r"not in units: 'b'"):
        network_measures(pd.DataFrame({"origin": ["a"], "destination": ["b"], "volume": [1.0]}), units=["a"])
