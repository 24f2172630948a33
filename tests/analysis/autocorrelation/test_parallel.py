"""LISA and local G permutation blocks on dask give the serial run's seeded results exactly."""

from __future__ import annotations

import esda
import libpysal
import numpy as np
import pytest

from urbanrural.analysis import autocorrelation as ac
from urbanrural.geo.errors import UnknownNameError

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def local_client():
    """A local dask cluster of two single-threaded worker processes (closed after the module)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1.5GB",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def lattice():
    """A 60 x 60 rook lattice (3,600 units, two blocks of units and a part block), row-standardised,
    and a spatially smooth variable."""
    w = libpysal.weights.lat2W(60, 60)
    w.transform = "r"
    rng = np.random.default_rng(0)
    y = rng.normal(size=w.n)
    y = y + w.sparse @ y  # some autocorrelation, so there are clusters
    return y, w


def test_dask_blocks_equal_serial(local_client, lattice):
    y, w = lattice
    serial = ac.lisa(y, w, permutations=199, seed=42)
    on_cluster = ac.lisa(y, w, permutations=199, seed=42, scheduler="dask")
    np.testing.assert_array_equal(on_cluster.p_sim, serial.p_sim)
    np.testing.assert_array_equal(on_cluster.z_sim, serial.z_sim)
    np.testing.assert_array_equal(on_cluster.quadrant, serial.quadrant)
    assert on_cluster.counts() == serial.counts()
    g = ac.local_g(y, w, permutations=199, seed=42)
    g_cluster = ac.local_g(y, w, permutations=199, seed=42, scheduler="dask")
    np.testing.assert_array_equal(g_cluster["p_sim"].to_numpy(), g["p_sim"].to_numpy())


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_local_schedulers_equal_serial(lattice, scheduler):
    y, w = lattice
    serial = ac.lisa(y, w, permutations=99, seed=3)
    np.testing.assert_array_equal(ac.lisa(y, w, permutations=99, seed=3, scheduler=scheduler).p_sim, serial.p_sim)


def test_blocks_have_their_own_streams(lattice, monkeypatch):
    """Block b's draws depend on (seed, b) only: smaller blocks change the numbers, the
    scheduler does not; chunking inside a block does not either."""
    y, w = lattice
    a = ac.lisa(y, w, permutations=99, seed=5)
    monkeypatch.setattr(ac, "BLOCK_UNITS", 500)
    b = ac.lisa(y, w, permutations=99, seed=5)
    c = ac.lisa(y, w, permutations=99, seed=5, scheduler="threads")
    assert not np.array_equal(a.p_sim, b.p_sim)
    np.testing.assert_array_equal(b.p_sim, c.p_sim)
    # the first block (units 0-499) draws from stream 0 in both runs, but a 2,048-unit block's
    # matrix has the same first rows only when the max cardinality is the same (4 on a lattice)
    np.testing.assert_array_equal(a.p_sim[:500], b.p_sim[:500])


def test_block_results_still_match_esda(lattice):
    y, w = lattice
    ours = ac.lisa(y, w, permutations=999, seed=7, scheduler="threads")
    theirs = esda.Moran_Local(y, w, permutations=999, seed=7, n_jobs=1)
    np.testing.assert_allclose(ours.Is, theirs.Is, rtol=1e-12)
    np.testing.assert_array_equal(ours.quadrant, theirs.q)
    se = np.sqrt(theirs.p_sim * (1 - theirs.p_sim) / 999)
    assert (np.abs(ours.p_sim - theirs.p_sim) <= 4 * se + 0.01).mean() > 0.95


def test_unknown_scheduler_is_refused(lattice):
    y, w = lattice
    with pytest.raises(UnknownNameError, match="scheduler"):
        ac.lisa(y, w, permutations=9, seed=1, scheduler="spark")
