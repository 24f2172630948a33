"""Classic, spatial and LISA Markov chains against giddy (the oracle) on mexico and a synthetic panel."""

from __future__ import annotations

import warnings

import mapclassify as mc
import numpy as np
import pandas as pd
import pytest

giddy_markov = pytest.importorskip("giddy.markov")
giddy_ergodic = pytest.importorskip("giddy.ergodic")
libpysal = pytest.importorskip("libpysal")

# the submodule ``markov`` shadows the function in the package namespace, so import from the module
from urbanrural.analysis.panel.chains import (  # noqa: E402
    MarkovResult,
    SpatialMarkovResult,
    first_passage,
    lisa_markov,
    markov,
    spatial_markov,
    steady_state,
)
from urbanrural.geo.errors import DataError  # noqa: E402

RTOL = 1e-12


@pytest.fixture(scope="module")
def mexico_w():
    """libpysal's bundled mexico.gal (32 states), row-standardised as giddy's docs do."""
    from libpysal import examples

    f = libpysal.io.open(examples.get_path("mexico.gal"))
    try:
        w = f.read()
    finally:
        f.close()
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def mexico_income(mexico_w) -> pd.DataFrame:
    """Per-capita GDP of the 32 Mexican states, 1940-2000 (libpysal mexico.csv), units in w order."""
    from libpysal import examples

    df = pd.read_csv(examples.get_path("mexico.csv"))
    cols = [c for c in df.columns if c.startswith("pcgdp")]
    out = df[cols].copy()
    out.columns = [int(c[5:]) for c in cols]
    out.index = [str(i) for i in mexico_w.id_order]
    return out


@pytest.fixture(scope="module")
def lattice_w():
    """Rook weights of a 7 x 7 lattice, row-standardised."""
    w = libpysal.weights.lat2W(7, 7)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def lattice_panel(lattice_w) -> pd.DataFrame:
    """49 units x 10 years: a spatially smoothed random walk."""
    rng = np.random.default_rng(3)
    steps = rng.normal(size=(49, 10))
    smooth = steps + np.asarray(lattice_w.sparse @ steps)
    return pd.DataFrame(smooth.cumsum(axis=1) + 10, index=[str(i) for i in lattice_w.id_order],
                        columns=range(2011, 2021))


def _oracle_ss(p: np.ndarray) -> np.ndarray:
    """giddy's steady state (zero rows filled); one recurrent class -> a vector, as ours."""
    ss = np.asarray(giddy_ergodic.steady_state(p, fill_empty_classes=True))
    return ss[0] if ss.ndim == 2 and ss.shape[0] == 1 else ss


def _oracle_mfpt(p: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():  # giddy multiplies 0 * inf for unreachable states
        warnings.simplefilter("ignore", RuntimeWarning)
        m = giddy_ergodic.mfpt(p, fill_empty_classes=True)
    # giddy's solve can leave +-5e15 where a state is unreachable (its cut-off is 1e16); ours says inf
    return np.where(np.abs(m) > 1e12, np.inf, m)


def _giddy_classes(y: np.ndarray, k: int, pooled: bool) -> np.ndarray:
    if pooled:
        return mc.Quantiles(y.flatten(), k=k).yb.reshape(y.shape)
    return np.array([mc.Quantiles(y[:, i], k=k).yb for i in range(y.shape[1])]).T


@pytest.mark.parametrize("panel", ["mexico_income", "lattice_panel"])
@pytest.mark.parametrize(("k", "pooled"), [(5, True), (4, True), (5, False), (3, False)])
def test_markov_equals_giddy(request, panel, k, pooled):
    values = request.getfixturevalue(panel)
    y = values.to_numpy()
    oracle = giddy_markov.Markov(_giddy_classes(y, k, pooled), summary=False)
    res = markov(values, k=k, pooled=pooled)
    assert isinstance(res, MarkovResult)
    np.testing.assert_array_equal(res.class_of.to_numpy(), _giddy_classes(y, k, pooled))
    np.testing.assert_array_equal(res.transitions, oracle.transitions)
    np.testing.assert_allclose(res.p, oracle.p, rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose(res.steady_state, np.asarray(oracle.steady_state), rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose(res.first_passage, oracle.mfpt, rtol=RTOL)
    if pooled:
        np.testing.assert_allclose(res.classes, mc.Quantiles(y.flatten(), k=k).bins[:-1], rtol=0)
    else:
        assert res.classes.shape == (y.shape[1], k - 1)


def test_markov_with_user_breaks_matches_giddy_cutoffs(mexico_income):
    breaks = [8000, 12000, 20000]
    res = markov(mexico_income, classes=breaks)
    yb = mc.UserDefined(mexico_income.to_numpy().flatten(), breaks + [np.inf]).yb.reshape(mexico_income.shape)
    np.testing.assert_array_equal(res.class_of.to_numpy(), yb)
    oracle = giddy_markov.Markov(yb, summary=False)
    assert res.k == 4 and res.method == "user breaks"
    np.testing.assert_allclose(res.p, oracle.p, rtol=RTOL)
    assert res.to_frame().index.tolist() == ["C1", "C2", "C3", "C4"]


def test_long_series_gives_the_same_chain(mexico_income):
    long = mexico_income.stack()
    np.testing.assert_array_equal(markov(long).transitions, markov(mexico_income).transitions)


def test_class_never_left_keeps_a_zero_row_and_is_filled_for_steady_state():
    values = pd.DataFrame({2000: [1.0, 2.0, 3.0, 4.0], 2001: [1.0, 2.0, 3.0, 4.5], 2002: [4.0, 2.0, 1.0, 5.0]},
                          index=list("abcd"))
    res = markov(values, classes=[1.5, 2.5, 4.2])
    assert res.p[3].sum() == 1.0  # d: 4 -> 4.5 -> 5 stays in the top class
    assert res.transitions[:, 3].sum() >= 1
    p = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    np.testing.assert_allclose(steady_state(p), _oracle_ss(p), atol=RTOL)
    np.testing.assert_allclose(first_passage(p), _oracle_mfpt(p), rtol=RTOL)


def test_absorbing_chain_first_passage_matches_giddy():
    p = np.array([[0.6, 0.3, 0.1, 0.0], [0.2, 0.5, 0.2, 0.1], [0.0, 0.0, 1.0, 0.0], [0.1, 0.1, 0.0, 0.8]])
    np.testing.assert_allclose(first_passage(p), _oracle_mfpt(p), rtol=RTOL)
    np.testing.assert_allclose(steady_state(p), _oracle_ss(p), atol=RTOL)


def test_two_recurrent_classes_give_one_distribution_each():
    p = np.array([[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 0.2, 0.8], [0, 0, 0.4, 0.6]])
    ss = steady_state(p)
    assert ss.shape == (2, 4)
    np.testing.assert_allclose(ss, np.asarray(giddy_ergodic.steady_state(p)), atol=RTOL)


@pytest.mark.parametrize("panel", ["mexico_income", "lattice_panel"])
@pytest.mark.parametrize(("k", "m", "fixed"), [(4, 4, True), (5, 5, True), (5, 3, True), (4, 4, False),
                                               (5, 3, False)])
def test_spatial_markov_equals_giddy(request, panel, k, m, fixed):
    values = request.getfixturevalue(panel)
    w = request.getfixturevalue("mexico_w" if panel == "mexico_income" else "lattice_w")
    oracle = giddy_markov.Spatial_Markov(values.to_numpy(), w, k=k, m=m, fixed=fixed)
    res = spatial_markov(values, w, k=k, m=m, fixed=fixed)
    assert isinstance(res, SpatialMarkovResult)
    assert res.p.shape == (m, k, k)
    np.testing.assert_array_equal(res.transitions, oracle.T)
    np.testing.assert_allclose(res.p, oracle.P, rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose(res.pooled.p, oracle.p, rtol=RTOL, atol=RTOL)
    np.testing.assert_array_equal(res.lag_class_of.to_numpy(), oracle.lclass_ids)
    if fixed:
        np.testing.assert_allclose(res.lag_classes, oracle.lag_cutoffs, rtol=RTOL)
    for i in range(m):  # giddy's .S/.F refuse zero rows; its fill_empty_classes=True is ours
        ss = _oracle_ss(oracle.P[i])
        if ss.ndim == 1:
            np.testing.assert_allclose(res.steady_state[i], ss, atol=RTOL)
        else:
            assert np.isnan(res.steady_state[i]).all()
        np.testing.assert_allclose(res.first_passage[i], _oracle_mfpt(oracle.P[i]), rtol=RTOL)
    assert res.q == pytest.approx(oracle.Q, rel=RTOL)
    assert res.lr == pytest.approx(oracle.LR, rel=RTOL)
    assert res.dof == oracle.dof_hom
    assert res.q_p_value == pytest.approx(oracle.Q_p_value, rel=1e-9, abs=RTOL)
    assert res.lr_p_value == pytest.approx(oracle.LR_p_value, rel=1e-9, abs=RTOL)
    np.testing.assert_allclose(res.chi2[["chi2", "p_value"]].to_numpy(),
                               np.array([c[:2] for c in oracle.chi2]), rtol=1e-9, atol=RTOL)
    assert res.x2 == pytest.approx(oracle.x2, rel=RTOL) and res.x2_dof == oracle.x2_dof


def test_spatial_markov_row_standardises_a_copy_and_aligns_ids(mexico_income, mexico_w):
    binary = libpysal.weights.W(dict(mexico_w.neighbors), id_order=list(mexico_w.id_order))
    res_b = spatial_markov(mexico_income, binary)
    assert binary.transform == "O"
    res_r = spatial_markov(mexico_income, mexico_w)
    np.testing.assert_allclose(res_b.p, res_r.p, atol=RTOL)
    shuffled = mexico_income.iloc[::-1]
    np.testing.assert_array_equal(spatial_markov(shuffled, mexico_w).transitions, res_r.transitions)


@pytest.mark.parametrize("panel", ["mexico_income", "lattice_panel"])
def test_lisa_markov_equals_giddy(request, panel):
    values = request.getfixturevalue(panel)
    w = request.getfixturevalue("mexico_w" if panel == "mexico_income" else "lattice_w")
    oracle = giddy_markov.LISA_Markov(values.to_numpy(), w)
    res = lisa_markov(values, w)
    np.testing.assert_array_equal(res.quadrant.to_numpy(), oracle.q)
    np.testing.assert_array_equal(res.transitions, oracle.transitions)
    np.testing.assert_allclose(res.p, oracle.p, rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose(res.steady_state, np.asarray(oracle.steady_state), atol=RTOL)
    np.testing.assert_allclose(res.first_passage, oracle.mfpt, rtol=RTOL)
    np.testing.assert_array_equal(res.move_types.to_numpy(), oracle.move_types)
    assert res.moves["count"].sum() == values.shape[0] * (values.shape[1] - 1)
    assert res.moves.loc["type 0", "count"] == np.isin(oracle.move_types, [1, 6, 11, 16]).sum()
    assert res.to_frame().columns.tolist() == ["HH", "LH", "LL", "HL"]


def test_lisa_markov_significant_moves_follow_esda_p_values(mexico_income, mexico_w):
    from esda.moran import Moran_Local

    res = lisa_markov(mexico_income, mexico_w, permutations=99, seed=12345)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p2000 = Moran_Local(mexico_income[2000].to_numpy(), mexico_w, permutations=99, seed=12345).p_z_sim
    np.testing.assert_allclose(res.p_values[2000].to_numpy(), p2000, rtol=RTOL)
    sig = res.p_values.to_numpy() <= 0.05
    key = 2 * (~sig[:, :-1]) + (~sig[:, 1:])
    np.testing.assert_array_equal(res.significant_moves.to_numpy(), 16 * key + res.move_types.to_numpy())
    assert lisa_markov(mexico_income, mexico_w).significant_moves is None


def test_ties_reduce_k_with_a_warning():
    values = pd.DataFrame({2000: [1.0, 1, 1, 1, 2, 3], 2001: [1.0, 1, 1, 1, 3, 4]}, index=list("abcdef"))
    with pytest.warns(UserWarning, match="k=5 reduced to"):
        res = markov(values, k=5)
    assert res.k < 5 and res.p.shape == (res.k, res.k)


@pytest.mark.parametrize(("values", "kwargs", "message"), [
    (pd.DataFrame({2000: [1.0, 2, 3, 4, 5, 6]}), {}, "at least 2 years"),
    (pd.DataFrame({2000: [1.0, 2, np.nan], 2001: [1.0, 2, 3]}, index=["a", "b", "c"]), {}, "c/2000"),
    (pd.DataFrame({2000: [1.0, 2, 3], 2001: [2.0, 3, 4]}), {"k": 5}, "fewer than k=5"),
    (pd.DataFrame({2000: [2.0] * 6, 2001: [2.0] * 6}), {}, "all values are equal"),
    (pd.DataFrame({2000: [1.0, 2, 3], 2001: [2.0, 3, 4]}), {"classes": [3, 2]}, "strictly increasing"),
    (pd.DataFrame({2000: [1.0, 2, 3], 2001: [2.0, 3, 4]}), {"k": 1}, "k must be"),
])
def test_markov_refuses_bad_input(values, kwargs, message):
    with pytest.raises(DataError, match=message):
        markov(values, **kwargs)


def test_weights_that_do_not_match_the_units_are_refused(mexico_income, lattice_w):
    with pytest.raises(DataError, match="does not match the units"):
        spatial_markov(mexico_income, lattice_w)
    with pytest.raises(DataError, match="does not match the units"):
        lisa_markov(mexico_income.iloc[:-1], lattice_w)
    with pytest.raises(DataError, match="libpysal.weights.W"):
        spatial_markov(mexico_income, {"a": ["b"]})
