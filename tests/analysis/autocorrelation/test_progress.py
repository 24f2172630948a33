"""Bars over permutation blocks: shown for large jobs on a terminal, silent for small ones
and under -q; blocking never changes the numbers."""

from __future__ import annotations

import io
import logging

import esda
import numpy as np
import pytest

from urbanrural.analysis import autocorrelation as ac
from urbanrural.layers import load_example


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def columbus():
    return load_example("columbus")


@pytest.fixture(scope="module")
def queen(columbus):
    return ac.weights(columbus, "queen")


def _terminal(monkeypatch) -> _Tty:
    """stderr as a terminal, the urbanrural logger at INFO (normal verbosity); called in the
    test body, as pytest puts its own capture back on sys.stderr after fixture setup (the
    root conftest restores the logger's level)."""
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    logging.getLogger("urbanrural").setLevel(logging.INFO)
    return err


def test_small_job_is_silent(monkeypatch, columbus, queen):
    tty = _terminal(monkeypatch)
    ac.lisa(columbus["CRIME"], queen, permutations=99, seed=1)
    ac.moran(columbus["CRIME"], queen, permutations=99, seed=1)
    assert tty.getvalue() == ""


def test_large_job_shows_bars_with_the_same_numbers(monkeypatch, columbus, queen):
    tty = _terminal(monkeypatch)
    quiet = ac.lisa(columbus["HOVAL"], queen, permutations=999, seed=3)
    quiet_m = ac.moran(columbus["HOVAL"], queen, permutations=999, seed=3)
    assert tty.getvalue() == ""
    monkeypatch.setattr(ac, "BAR_MIN_WORK", 1)  # every job counts as large
    loud = ac.lisa(columbus["HOVAL"], queen, permutations=999, seed=3)
    loud_m = ac.moran(columbus["HOVAL"], queen, permutations=999, seed=3)
    out = tty.getvalue()
    assert "LISA permutations" in out and "/49" in out and "unit" in out
    assert "Moran's I permutations" in out and "/999" in out
    np.testing.assert_array_equal(loud.p_sim, quiet.p_sim)
    np.testing.assert_array_equal(loud.z_sim, quiet.z_sim)
    np.testing.assert_array_equal(loud_m.sims, quiet_m.sims)
    assert loud_m.p_sim == quiet_m.p_sim
    # and still esda's statistics exactly, its pseudo p-values within Monte Carlo error
    theirs = esda.Moran_Local(columbus["HOVAL"].to_numpy(), queen.w, permutations=999, seed=3)
    np.testing.assert_allclose(loud.Is, theirs.Is, rtol=1e-12)
    se = np.sqrt(theirs.p_sim * (1 - theirs.p_sim) / 999)
    assert (np.abs(loud.p_sim - theirs.p_sim) <= 4 * se + 0.01).mean() > 0.95


def test_quiet_silences_large_jobs(monkeypatch, columbus, queen):
    tty = _terminal(monkeypatch)
    monkeypatch.setattr(ac, "BAR_MIN_WORK", 1)
    logging.getLogger("urbanrural").setLevel(logging.WARNING)  # what -q sets
    ac.lisa(columbus["CRIME"], queen, permutations=99, seed=1)
    ac.local_g(columbus["CRIME"], queen, permutations=99, seed=1)
    ac.geary(columbus["CRIME"], queen, permutations=99, seed=1)
    assert tty.getvalue() == ""


@pytest.mark.parametrize("chunk_cells", [1, 500, 10**9])
def test_unit_blocks_do_not_change_the_simulated_lags(queen, chunk_cells):
    z = np.random.default_rng(5).normal(size=queen.n)
    wsp = queen.w.sparse.tocsr()

    def lags(cells: int) -> np.ndarray:
        out = np.full((queen.n, 199), np.nan)
        for u, sim in ac._conditional_lags(z, wsp, 199, 11, chunk_cells=cells):
            out[u] = sim
        return out

    ref = lags(4_000_000)
    assert np.isfinite(ref).all()
    np.testing.assert_array_equal(lags(chunk_cells), ref)


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_permutation_blocks_do_not_change_the_global_sims(queen, chunk):
    """The same permutations whatever the block size; the statistic of each equal to float
    rounding (a sparse product over more columns may add in another order)."""
    y = np.random.default_rng(2).lognormal(size=queen.n)
    ident = ac._global_sims(lambda Y: Y.T.ravel(), y, 99, 4, chunk=chunk)
    np.testing.assert_array_equal(ident, ac._global_sims(lambda Y: Y.T.ravel(), y, 99, 4))
    stat = ac._moran_matrix(queen.w.sparse.tocsr(), float(queen.w.s0), queen.n)
    np.testing.assert_allclose(ac._global_sims(stat, y, 99, 4, chunk=chunk), ac._global_sims(stat, y, 99, 4),
                               rtol=1e-12, atol=1e-15)
