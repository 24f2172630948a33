"""Integration indices: stscl/coupling's gzma example, hand-written formulas, invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from urbanrural.analysis import integration as it
from urbanrural.geo.errors import DataError, UnknownNameError

# stscl/coupling, articles/ccd.md: the first six gzma rows after min-max normalisation
# (printed to 7 decimals) and the C, D it prints for each method.
GZMA = pd.DataFrame([[0.8179733, 0.3246648, 0.6590316, 0.1308531], [0.3020233, 0.1318888, 0.4046987, 0.5173794],
                     [0.9209903, 0.3353516, 0.6921477, 0.3141320], [0.9604095, 0.3914758, 0.7099999, 0.4316421],
                     [0.9061589, 0.3473603, 0.7297774, 0.6909494], [0.9456379, 0.4391423, 0.7304117, 0.4792905]],
                    columns=["PS", "EL", "OH", "IL"])
GZMA_REF = {
    "standard": [(0.8051958, 0.6237105), (0.8914577, 0.5497290), (0.8999423, 0.7134825), (0.9346128, 0.7632959),
                 (0.9440912, 0.7944703), (0.9519923, 0.7858001)],
    "wang2021": [(0.4722274, 0.4776480), (0.6211236, 0.4588675), (0.5375842, 0.5514412), (0.5861986, 0.6045044),
                 (0.6640321, 0.6662930), (0.6319211, 0.6402164)],
    "fan2024": [(0.4593785, 0.4711049), (0.7164548, 0.4928249), (0.4915051, 0.5272784), (0.5399620, 0.5801746),
                (0.5951898, 0.6308098), (0.5907777, 0.6190239)],
}


@pytest.mark.parametrize("method", list(GZMA_REF))
def test_ccd_matches_coupling_package(method):
    out = it.coupling_coordination(GZMA, method=method)
    ref = np.array(GZMA_REF[method])
    # inputs were printed to 7 decimals, so agreement is to about 1e-7
    np.testing.assert_allclose(out["C"], ref[:, 0], atol=2e-7)
    np.testing.assert_allclose(out["D"], ref[:, 1], atol=2e-7)


def test_ccd_two_subsystems_by_hand_and_classes():
    u = pd.DataFrame({"urban": [0.8, 0.05, 0.09, 0.91], "rural": [0.4, 0.05, 0.09, 0.91]})
    out = it.coupling_coordination(u)
    assert out["C"].iloc[0] == pytest.approx(2 * math.sqrt(0.32) / 1.2)
    assert out["D"].iloc[1] == pytest.approx(math.sqrt(0.05))
    # D = 0.3 exactly is class 3 (interval (0.2, 0.3]); 0.91 -> 10
    assert list(out["level"]) == [8, 3, 3, 10]
    assert out["label_zh"].iloc[3] == "优质协调" and out["label_en"].iloc[1] == "moderate disorder"
    assert out["stage_en"].iloc[0] == "high-level coupling"
    lag = it.urban_rural_lag(u["urban"], u["rural"])
    assert list(lag) == ["rural lags", "synchronous", "synchronous", "synchronous"]
    assert it.urban_rural_lag(u["rural"], u["urban"], language="zh").iloc[0] == "新型城镇化滞后"


def _entropy_by_hand(frame, directions):
    cols = list(directions)
    m = len(frame)
    z = {}
    for c in cols:
        lo, hi = frame[c].min(), frame[c].max()
        z[c] = [((x - lo) if directions[c] == "+" else (hi - x)) / (hi - lo) for x in frame[c]]
    d = {}
    for c in cols:
        tot = sum(z[c])
        e = 0.0
        for v in z[c]:
            p = v / tot
            if p > 0:
                e -= p * math.log(p) / math.log(m)
        d[c] = 1 - e
    return {c: d[c] / sum(d.values()) for c in cols}, z


def test_entropy_weights_and_scores_by_hand():
    rng = np.random.default_rng(4)
    f = pd.DataFrame(rng.uniform(1, 100, (30, 4)), columns=list("abcd"))
    dirs = {"a": "+", "b": "-", "c": "+", "d": "-"}
    r = it.entropy_weights(f, directions=dirs)
    w, z = _entropy_by_hand(f, dirs)
    assert r.weights.to_dict() == pytest.approx(w, rel=1e-12)
    score0 = sum(w[c] * z[c][0] for c in w)
    assert r.scores.iloc[0] == pytest.approx(score0, rel=1e-12)


def test_topsis_and_obstacles_by_hand():
    f = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    w = pd.Series({"a": 0.5, "b": 0.5})
    c = it.topsis(f, directions={"a": "+", "b": "+"}, weights=w)
    # Z: a [0, .5, 1], b [1, 0, .5]; V = Z/2; unit 3: D+ = .25, D- = sqrt(.25+.0625)
    dm = math.sqrt(0.5 ** 2 + 0.25 ** 2)
    assert c.iloc[2] == pytest.approx(dm / (0.25 + dm))
    o = it.obstacle_degree(f, directions={"a": "+", "b": "+"}, weights=w)
    assert o.iloc[0].to_dict() == pytest.approx({"a": 1.0, "b": 0.0})
    np.testing.assert_allclose(o.sum(axis=1), 1.0)


def test_variants_and_bad_input():
    f = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [10.0, 12, 10, 40]})
    rs = it.entropy_weights(f, directions={"a": "+", "b": "+"}, normalization="rescale", bounds=(0.002, 0.996))
    assert rs.normalized.min().min() == pytest.approx(0.002) and rs.method.startswith("rescale")
    assert it.entropy_weights(f, directions={"a": "+", "b": "+"}, normalization="shift").normalized.min().min() > 0
    with pytest.raises(DataError, match="constant"):
        it.entropy_weights(f.assign(b=5.0), directions={"a": "+", "b": "+"})
    with pytest.raises(DataError, match="missing values"):
        it.entropy_weights(f.assign(b=[1.0, np.nan, 2, 3]), directions={"a": "+", "b": "+"})
    assert len(it.entropy_weights(f.assign(b=[1.0, np.nan, 2, 3]), directions={"a": "+", "b": "+"},
                                  missing="drop").scores) == 3
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        it.coupling_coordination(pd.DataFrame({"u": [1.5], "r": [0.2]}))
    with pytest.raises(UnknownNameError, match="wang2021"):
        it.coupling_coordination(GZMA, method="wang")
    with pytest.raises(DataError, match="'\\+' or '-'"):
        it.entropy_weights(f, directions={"a": "up"})


@settings(max_examples=60, deadline=None)
@given(arrays(float, (12, 3), elements=st.floats(0.1, 1e4)), st.floats(0.01, 1e3))
def test_invariants(x, k):
    f = pd.DataFrame(x, columns=list("abc"))
    if (f.max() - f.min()).min() < 1e-6 * f.max().max():
        return
    dirs = {"a": "+", "b": "-", "c": "+"}
    r = it.entropy_weights(f, directions=dirs)
    assert r.weights.sum() == pytest.approx(1.0) and (r.weights >= 0).all()
    np.testing.assert_allclose(it.entropy_weights(f * k, directions=dirs).weights, r.weights, rtol=1e-9)
    u = pd.DataFrame(np.clip(x / x.max(), 0, 1), columns=list("abc"))
    for method in it.CCD_METHODS:
        out = it.coupling_coordination(u, method=method)
        assert out["C"].between(-1e-12, 1 + 1e-12).all() and out["D"].between(0, 1 + 1e-12).all()
