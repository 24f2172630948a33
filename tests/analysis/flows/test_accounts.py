"""Flow accounts: hand-worked tables, invariants on random tables, refused inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanrural.analysis.flows._accounts import BALANCE_BANDS, accounts, balance_index
from urbanrural.geo.errors import DataError, IdError, JoinError, UnknownNameError


@pytest.fixture
def small_flows() -> pd.DataFrame:
    """Four units a-d; a->b twice (summed to 40), a self-flow at b, a zero c->a, d idle.

    By hand: in a 10, b 45, c 20, d 0; out a 60, b 10, c 5, d 0 (sum 75 both);
    intra b 7.
    """
    return pd.DataFrame({
        "origin": ["a", "a", "b", "a", "c", "b", "c"],
        "destination": ["b", "b", "a", "c", "b", "b", "a"],
        "volume": [30.0, 10.0, 10.0, 20.0, 5.0, 7.0, 0.0],
        "kind": "labour",
        "year": 2020,
    })


@pytest.fixture
def small_groups() -> pd.Series:
    return pd.Series({"a": "urban", "b": "rural", "c": "rural", "d": "rural"})


@pytest.fixture
def small_population() -> pd.Series:
    return pd.Series({"a": 1000, "b": 2000, "c": 500, "d": 0, "z": 99})


@pytest.fixture
def small_distance() -> pd.DataFrame:
    """Distances in km, each pair given in one direction only."""
    return pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["b", "c", "c"], "cost": [10.0, 20.0, 5.0]})


@pytest.fixture
def small_accounts(small_flows, small_groups, small_population, small_distance):
    return accounts(small_flows, units=["a", "b", "c", "d"], groups=small_groups,
                    population=small_population, distance=small_distance)


def test_per_unit_by_hand(small_accounts):
    p = small_accounts.per_unit
    assert p.index.tolist() == ["a", "b", "c", "d"]
    assert p["in"].tolist() == [10, 45, 20, 0]
    assert p["out"].tolist() == [60, 10, 5, 0]
    assert p["net"].tolist() == [-50, 35, 15, 0]
    assert p["gross"].tolist() == [70, 55, 25, 0]
    assert p["intra"].tolist() == [0, 7, 0, 0]
    np.testing.assert_allclose(p["intra_share"], [0, 7 / 17, 0, np.nan])
    np.testing.assert_allclose(p["balance"], [1 / 6, 2 / 9, 0.25, np.nan])
    assert p["in"].sum() == p["out"].sum() == small_accounts.total == 75
    assert small_accounts.intra_total == 7
    assert (small_accounts.kind, small_accounts.year) == ("labour", 2020)


def test_per_1000_residents_and_mean_distance(small_accounts):
    p = small_accounts.per_unit
    np.testing.assert_allclose(p["in_per_1000"], [10, 22.5, 40, np.nan])
    np.testing.assert_allclose(p["out_per_1000"], [60, 5, 10, np.nan])
    np.testing.assert_allclose(p["net_per_1000"], [-50, 17.5, 30, np.nan])
    # a: (40 x 10 + 20 x 20) / 60; b: b->a 10 km; c: c->b 5 km (from b->c); d: no outflow
    np.testing.assert_allclose(p["mean_distance_km"], [800 / 60, 10, 5, np.nan])


def test_pairs_by_hand(small_accounts):
    pairs = small_accounts.pairs
    assert pairs[["origin", "destination"]].values.tolist() == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert pairs["forward"].tolist() == [40, 20, 0]
    assert pairs["backward"].tolist() == [10, 0, 5]
    assert pairs["total"].tolist() == [50, 20, 5]
    np.testing.assert_allclose(pairs["balance"], [0.25, 0, 0])
    np.testing.assert_allclose(pairs["symmetry"], [0.4, 0, 0])
    assert pairs["origin_group"].tolist() == ["urban", "urban", "rural"]
    assert pairs["destination_group"].tolist() == ["rural", "rural", "rural"]


def test_group_matrix_by_hand(small_accounts):
    m = small_accounts.by_group
    assert m.index.tolist() == m.columns.tolist() == ["rural", "urban"]
    # rural->rural c->b 5; rural->urban b->a 10; urban->rural a->b 40 + a->c 20; a->a none
    assert m.values.tolist() == [[5, 10], [60, 0]]
    assert m.values.sum() == small_accounts.total
    gp = small_accounts.group_pairs
    assert len(gp) == 1
    row = gp.iloc[0]
    assert (row["group_a"], row["group_b"], row["a_to_b"], row["b_to_a"], row["total"]) == ("rural", "urban", 10, 60, 70)
    assert row["balance"] == pytest.approx(1 / 6)
    assert row["symmetry"] == pytest.approx(2 / 7)
    assert row["share_of_total"] == pytest.approx(70 / 75)


def test_categorical_groups_keep_their_order(small_flows, small_groups):
    g = small_groups.astype(pd.CategoricalDtype(["urban", "rural", "peri-urban"]))
    acc = accounts(small_flows, groups=g)
    assert acc.by_group.index.tolist() == ["urban", "rural", "peri-urban"]
    assert acc.by_group.loc["urban", "rural"] == 60
    assert acc.by_group.loc["peri-urban"].sum() == 0
    assert acc.group_pairs[["group_a", "group_b"]].values.tolist() == [
        ["urban", "rural"], ["urban", "peri-urban"], ["rural", "peri-urban"]]


def test_summary_sentences(small_accounts):
    assert small_accounts.summary() == "Rural->urban 10 vs urban->rural 60: balance 0.17 (strongly one-way)."
    assert small_accounts.summary(language="zh") == "乡村→城镇 10，城镇→乡村 60：双向平衡指数 0.17（明显单向）"
    assert small_accounts.summary(group_a="urban", group_b="rural").startswith("Urban->rural 60 vs rural->urban 10")


@pytest.mark.parametrize("back,en,zh", [(12340, "fairly balanced", "较为平衡"), (2100, "strongly one-way", "明显单向"),
                                        (4200, "unbalanced", "不平衡"), (8000, "unbalanced", "不平衡"),
                                        (8500, "fairly balanced", "较为平衡"), (0, "strongly one-way", "明显单向")])
def test_summary_bands(back, en, zh):
    f = pd.DataFrame({"origin": ["v", "t"], "destination": ["t", "v"], "volume": [12340.0, back]})
    acc = accounts(f, groups=pd.Series({"v": "rural", "t": "urban"}))
    b = min(back, 12340) / 12340
    assert acc.summary().endswith(f"balance {b:.2f} ({en}).")
    assert acc.summary(language="zh").endswith(f"（{zh}）")
    assert [lo for lo, *_ in BALANCE_BANDS] == [0.0, 0.33, 0.67]


def test_summary_no_flow_between_groups():
    f = pd.DataFrame({"origin": ["v1"], "destination": ["v2"], "volume": [3.0]})
    acc = accounts(f, units=["v1", "v2", "t"], groups=pd.Series({"v1": "rural", "v2": "rural", "t": "urban"}))
    assert acc.summary() == "Rural->urban 0 vs urban->rural 0: no flow either way."
    assert acc.summary(language="zh").endswith("两个方向均无流动")


def test_duplicates_are_summed(small_flows):
    once = small_flows.groupby(["origin", "destination"], as_index=False)["volume"].sum()
    a, b = accounts(small_flows), accounts(once)
    pd.testing.assert_frame_equal(a.per_unit, b.per_unit)
    pd.testing.assert_frame_equal(a.pairs, b.pairs)


def test_self_flows_are_kept_apart():
    f = pd.DataFrame({"origin": ["a", "a"], "destination": ["a", "b"], "volume": [100.0, 1.0]})
    p = accounts(f).per_unit
    assert p.loc["a", ["in", "out", "intra"]].tolist() == [0, 1, 100]
    assert p.loc["a", "intra_share"] == pytest.approx(100 / 101)
    assert accounts(f).pairs["total"].tolist() == [1]


def test_default_units_are_sorted_ids_and_pairs_are_text_ordered():
    f = pd.DataFrame({"origin": ["z", "b"], "destination": ["b", "z"], "volume": [4.0, 1.0]})
    acc = accounts(f, units=["z", "m", "b"])
    assert acc.per_unit.index.tolist() == ["z", "m", "b"]
    assert acc.pairs[["origin", "destination", "forward", "backward"]].values.tolist() == [["b", "z", 1, 4]]
    assert accounts(f).per_unit.index.tolist() == ["b", "z"]


def test_balance_index_forms():
    assert balance_index(30, 10) == pytest.approx(1 / 3)
    assert balance_index(30, 10, form="symmetry") == pytest.approx(0.5)
    assert balance_index(5.0, 0.0) == 0
    assert np.isnan(balance_index(0, 0))
    s = balance_index(pd.Series([1.0, 4.0], index=["x", "y"]), pd.Series([4.0, 2.0], index=["y", "x"]))
    assert s.index.tolist() == ["x", "y"] and s.tolist() == [0.5, 1.0]


flow_tables = st.lists(
    st.tuples(st.sampled_from(list("abcdef")), st.sampled_from(list("abcdef")),
              st.integers(min_value=0, max_value=10**6)),
    min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(rows=flow_tables, scale=st.sampled_from([1.0, 0.1, 1 / 3]))
def test_invariants_on_random_tables(rows, scale):
    f = pd.DataFrame(rows, columns=["origin", "destination", "volume"])
    f["volume"] = f["volume"] * scale
    acc = accounts(f, groups=pd.Series({u: ("urban" if u < "c" else "rural") for u in "abcdef"}))
    p = acc.per_unit
    if scale == 1.0:  # whole numbers: exact
        assert p["in"].sum() == p["out"].sum() == acc.total
    else:
        assert p["in"].sum() == pytest.approx(p["out"].sum(), rel=1e-12)
    assert p["net"].sum() == pytest.approx(0, abs=1e-9 * max(1.0, acc.total))
    for bal in (p["balance"], acc.pairs["balance"]):
        assert ((bal >= 0) & (bal <= 1) | bal.isna()).all()
    b = acc.pairs["balance"]
    np.testing.assert_allclose(acc.pairs["symmetry"], 2 * b / (1 + b))
    assert acc.by_group.values.sum() == pytest.approx(acc.total)
    assert acc.pairs["total"].sum() == pytest.approx(acc.total)
    assert (acc.pairs["origin"] < acc.pairs["destination"]).all()


@given(a=st.floats(0, 1e9), b=st.floats(0, 1e9))
def test_symmetry_is_monotone_in_balance(a, b):
    bal, sym = balance_index(a, b), balance_index(a, b, form="symmetry")
    if a + b == 0:
        assert np.isnan(bal) and np.isnan(sym)
    else:
        assert 0 <= bal <= 1
        assert sym == pytest.approx(2 * bal / (1 + bal))


# --------------------------------------------------------------------------- refused inputs


def test_missing_columns_named():
    with pytest.raises(DataError, match=r"missing column\(s\) 'volume'.*rename"):
        accounts(pd.DataFrame({"origin": ["a"], "destination": ["b"], "count": [1]}))


def test_negative_and_nan_volumes_name_first_rows():
    f = pd.DataFrame({"origin": ["a", "b", "c"], "destination": ["b", "a", "a"], "volume": [1.0, -3.0, np.nan]})
    with pytest.raises(DataError) as e:
        accounts(f)
    msg = str(e.value)
    assert "1 negative value(s) (rows 1 (b->a: -3))" in msg
    assert "1 missing, non-numeric or infinite value(s) (rows '2')" in msg
    assert "fix or drop" in msg


@pytest.mark.parametrize("col,values", [("kind", ["labour", "capital"]), ("year", [2020, 2021])])
def test_several_kinds_or_years_refused(col, values):
    f = pd.DataFrame({"origin": ["a", "b"], "destination": ["b", "a"], "volume": [1.0, 2.0], col: values})
    with pytest.raises(DataError, match=rf"column '{col}' holds 2 values.*filter by kind/year first"):
        accounts(f)


def test_problems_are_collected_into_one_message():
    f = pd.DataFrame({"origin": ["a", 7], "destination": ["b", "a"], "volume": [-1.0, 2.0], "kind": ["x", "y"]})
    with pytest.raises(DataError) as e:
        accounts(f)
    msg = str(e.value)
    assert "'kind' holds 2 values" in msg and "not text" in msg and "negative" in msg


def test_non_text_ids_refused_with_the_fix():
    f = pd.DataFrame({"origin": [1001, 1002], "destination": ["a", "b"], "volume": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"flows.origin holds 2 id\(s\) that are not text.*astype\(str\).*leading zeros"):
        accounts(f)


def test_ids_outside_units_listed(small_flows):
    with pytest.raises(JoinError, match=r"3 unit id\(s\) not in units: 'a', 'b', 'c'"):
        accounts(small_flows, units=["x", "y"])
    with pytest.raises(IdError, match="duplicated"):
        accounts(small_flows, units=["a", "a", "b", "c"])


def test_gaps_in_groups_population_distance(small_flows, small_groups, small_distance):
    with pytest.raises(JoinError, match=r"groups has no class for 1 unit\(s\): 'c'"):
        accounts(small_flows, groups=small_groups.drop("c"))
    with pytest.raises(JoinError, match=r"population has no value for 1 unit\(s\): 'b'"):
        accounts(small_flows, population=pd.Series({"a": 1.0, "c": 2.0}))
    with pytest.raises(DataError, match=r"population has values that are not >= 0 for 'a'"):
        accounts(small_flows, population=pd.Series({"a": -1.0, "b": 1.0, "c": 2.0}))
    with pytest.raises(DataError, match=r"distance has no cost for 1 pair\(s\): 'a->c'"):
        accounts(small_flows, distance=small_distance.iloc[[0, 2]])
    bad = small_distance.assign(cost=[10.0, -1.0, 5.0])
    with pytest.raises(DataError, match=r"distance.cost has 1 missing, negative"):
        accounts(small_flows, distance=bad)


def test_square_distance_matches_long(small_flows, small_distance):
    sq = pd.DataFrame([[0, 10, 20], [10, 0, 5], [20, 5, 0]], index=list("abc"), columns=list("abc"), dtype=float)
    a = accounts(small_flows, distance=sq).per_unit["mean_distance_km"]
    b = accounts(small_flows, distance=small_distance).per_unit["mean_distance_km"]
    pd.testing.assert_series_equal(a, b)


def test_summary_and_balance_misuse(small_flows, small_accounts):
    with pytest.raises(DataError, match="summary needs groups"):
        accounts(small_flows).summary()
    with pytest.raises(UnknownNameError, match="'town' is not among the groups 'rural', 'urban'"):
        small_accounts.summary(group_a="town")
    with pytest.raises(UnknownNameError, match="language='fr'"):
        small_accounts.summary(language="fr")
    with pytest.raises(UnknownNameError, match="'minmax' or 'symmetry'"):
        balance_index(1, 2, form="ratio")
    with pytest.raises(DataError, match="missing or negative"):
        balance_index([1.0, -1.0], [1.0, 1.0])


@pytest.fixture
def empty_flows() -> pd.DataFrame:
    return pd.DataFrame({"origin": pd.Series([], dtype=str), "destination": pd.Series([], dtype=str),
                         "volume": pd.Series([], dtype=float)})


def test_empty_table_gives_zero_accounts(empty_flows):
    acc = accounts(empty_flows, units=["a", "b"], groups=pd.Series({"a": "urban", "b": "rural"}))
    assert acc.per_unit["in"].dtype == float and acc.per_unit["in"].tolist() == [0.0, 0.0]
    assert acc.pairs.empty and acc.by_group.values.sum() == 0
    assert acc.summary() == "Rural->urban 0 vs urban->rural 0: no flow either way."


def test_integer_and_nullable_volumes(small_flows):
    ints = small_flows.assign(volume=small_flows["volume"].astype(int))
    pd.testing.assert_frame_equal(accounts(ints).per_unit, accounts(small_flows).per_unit)
    nullable = small_flows.assign(volume=pd.array([1, None, 2, 3, 4, 5, 6], dtype="Int64"))
    with pytest.raises(DataError, match=r"1 missing, non-numeric or infinite value\(s\) \(rows '1'\)"):
        accounts(nullable)
