"""Issue 16: the tiled (dask) Degree of Urbanisation equals the in-memory one, cell for cell."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from analysis.degurba import _synthetic as syn  # noqa: E402

from urbanrural.analysis import degurba as dg  # noqa: E402
from urbanrural.analysis._degurba_grid import GridParams  # noqa: E402
from urbanrural.geo.errors import ConfigError, DataError  # noqa: E402

SYNC = "synchronous"


@pytest.fixture(scope="module")
def continent():
    """3,000 x 3,000 cells in 500-cell tiles: population, land, built (numpy, and dask)."""
    pop = syn.population(3000, 3000, 500)
    land, built = syn.land(pop), syn.built(pop)
    arrays = [a.compute(scheduler=SYNC) for a in (pop, land, built)]
    return arrays


@pytest.fixture(scope="module")
def county():
    """1,000 x 1,000 cells (250-cell tiles): the same generator, smaller."""
    pop = syn.population(1000, 1000, 250, seed=3)
    return [a.compute(scheduler=SYNC) for a in (pop, syn.land(pop), syn.built(pop))]


def _tiled(arrays, chunks, **kw):
    pop, land, built = (da.from_array(a, chunks=chunks) for a in arrays)
    return dg.classify_grid_tiled(pop, land=land, built=built, chunks=chunks, **kw).compute(scheduler=SYNC)


@pytest.mark.slow
def test_continent_tiled_equals_in_memory(continent):
    pop, land, built = continent
    serial = dg.classify_grid(pop, land=land, built=built)
    tiled = _tiled(continent, 500)
    assert tiled.dtype == np.uint8 and tiled.shape == serial.shape
    assert np.array_equal(tiled, serial)
    # the features the synthetic grid was made for
    assert (serial[1490:1511, 1490:1511] == 30).all()          # a centre over the corner of 4 tiles
    assert (serial[0, 880:920] == 30).any()                      # a centre cut by the top edge
    assert (serial[1195:1205, -1] == 30).any()                   # and one by the right edge
    row = serial[1000]
    assert (np.isin(row, (21, 22, 23, 30)).mean()) > 0.9          # the corridor: one cluster across 6 tiles
    assert (serial == 10).any() and (serial == 255).sum() == 0    # a lake; land given: no no-data class


@pytest.mark.slow
def test_continent_level1_and_without_land(continent):
    pop = continent[0]
    serial = dg.classify_grid(pop, level=1)
    tiled = dg.classify_grid_tiled(da.from_array(pop, chunks=500), level=1).compute(scheduler=SYNC)
    assert np.array_equal(tiled, serial)
    assert (serial == 255).sum() == 39 * 40                     # the no-data corner


@pytest.mark.parametrize("level, params", [
    (2, GridParams.preset("R2023A", uc_built_threshold="optimal", duc_built_threshold="optimal")),
    (1, GridParams.preset("R2022A", uc_smooth_pop=True, ucl_smooth_pop=True, ucl_smooth_pop_window=3,
                          uc_built_threshold="optimal")),
    (2, GridParams(uc_smooth_edge=None, uc_gap_fill=False, uc_contiguity=8, sduc_buffer=0)),
    (2, GridParams(uc_max_gap_km2=40, uc_smooth_pop=True, uc_smooth_pop_window=7)),
])
def test_rule_variants_tiled_equal_in_memory(county, level, params):
    pop, land, built = county
    serial = dg.classify_grid(pop, land=land, built=built, level=level, params=params)
    assert np.array_equal(_tiled(county, 250, level=level, params=params), serial)


def test_ragged_tiles_and_uneven_chunks(county):
    pop, land, built = county
    serial = dg.classify_grid(pop, land=land, built=built)
    assert np.array_equal(_tiled(county, (333, 170)), serial)


def test_docstring_sized_grid_and_bad_tiles():
    pop = np.full((40, 40), 20.0)
    pop[5:20, 5:20] = 1500.0
    with pytest.raises(ConfigError, match="at least 16 cells"):
        dg.classify_grid_tiled(pop, chunks=10)
    with pytest.raises(ConfigError, match="too small"):
        dg.classify_grid_tiled(pop[:12], chunks=20)
    with pytest.raises(DataError, match="level"):
        dg.classify_grid_tiled(pop, level=3)
    with pytest.raises(DataError, match="transform and crs"):
        dg.classify_grid_tiled(pop, chunks=20, out="x.tif")
    with pytest.raises(DataError, match="negative"):
        dg.classify_grid_tiled(-pop, chunks=20)
    out = dg.classify_grid_tiled(pop, chunks=20, uc_size=300_000).compute(scheduler=SYNC)
    assert np.array_equal(out, dg.classify_grid(pop, uc_size=300_000))


@pytest.fixture(scope="module")
def belgium(shared_data):
    return shared_data / "degurba-belgium"


@pytest.mark.shared
@pytest.mark.parametrize("level, overrides", [
    (2, {}), (1, {}), (2, dict(uc_built_threshold="optimal", duc_built_threshold="optimal")),
    (1, dict(uc_density=1800, uc_size=60000, uc_contiguity=8, uc_built_threshold="optimal", uc_smooth_pop=True,
             uc_max_gap_km2=7, uc_smooth_edge="R2022A", ucl_density=200, ucl_size=4000, ucl_contiguity=4,
             ucl_smooth_pop=True, ucl_smooth_pop_window=3, water_land=0.55, water_pop=0.02, water_built=0.02)),
])
def test_belgium_tiled_equals_in_memory(belgium, tmp_path, level, overrides):
    paths = {k: belgium / f"{k.upper()}.tif" for k in ("pop", "land", "built_s")}
    serial = dg.classify_grid(paths["pop"], land=paths["land"], built=paths["built_s"], level=level, **overrides)
    tiled = dg.classify_grid_tiled(paths["pop"], land=paths["land"], built=paths["built_s"], level=level,
                                   chunks=(64, 50), **overrides).compute(scheduler=SYNC)
    assert np.array_equal(tiled, serial)
    if level == 2 and not overrides:   # written block by block: the same codes and grid
        out = dg.classify_grid_tiled(paths["pop"], land=paths["land"], built=paths["built_s"], chunks=100,
                                     out=tmp_path / "classes.tif")
        with rasterio.open(out) as src, rasterio.open(paths["pop"]) as ref:
            assert np.array_equal(src.read(1), serial)
            assert src.transform == ref.transform and src.crs == ref.crs and src.nodata == 255


# ---------------------------------------------------------------------------- on a local cluster

@pytest.fixture(scope="module")
def cluster_client():
    from distributed import Client, LocalCluster

    # dashboard on a free port: None falls back to 8787 and warns (an error here) when it is taken.
    # Not the default scheduler: the fixture lives until the module ends, and later tests that call
    # classify_grid_tiled without client= would persist their codes on the cluster (futures), which
    # .compute(scheduler="synchronous") cannot resolve ("Missing dependency ('where-...', i, j)").
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1.5GB",
                      dashboard_address=":0") as cluster, Client(cluster, set_as_default=False) as client:
        yield client


@pytest.mark.slow
def test_local_cluster_equals_serial(cluster_client, county, tmp_path):
    pop, land, built = county
    serial = dg.classify_grid(pop, land=land, built=built)
    lazy = [syn.population(1000, 1000, 250, seed=3)]
    lazy += [syn.land(lazy[0]), syn.built(lazy[0])]
    codes = dg.classify_grid_tiled(lazy[0], land=lazy[1], built=lazy[2], client=cluster_client,
                                   scratch=tmp_path)
    assert np.array_equal(cluster_client.compute(codes).result(), serial)
    t = rasterio.Affine(1000, 0, 0, 0, -1000, 5_000_000)
    out = dg.classify_grid_tiled(lazy[0], level=1, client=cluster_client, scratch=tmp_path, out=tmp_path / "c.tif",
                                 transform=t, crs=dg.MOLLWEIDE)
    with rasterio.open(out) as src:
        assert np.array_equal(src.read(1), dg.classify_grid(pop, level=1)) and src.transform == t
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("degurba-tiles-")]  # scratch removed


def test_xarray_and_geotiff_inputs(county, tmp_path):
    xr = pytest.importorskip("xarray")
    from distributed import default_client

    with pytest.raises(ValueError):   # no Client left as the default scheduler by an earlier test
        default_client()
    pop = county[0]
    serial = dg.classify_grid(pop)
    band = xr.DataArray(da.from_array(pop[None], chunks=(1, 250, 250)), dims=("band", "y", "x"))
    assert np.array_equal(dg.classify_grid_tiled(band).compute(scheduler=SYNC), serial)
    t = rasterio.Affine(1000, 0, 0, 0, -1000, 5_000_000)
    with rasterio.open(tmp_path / "pop.tif", "w", driver="GTiff", width=1000, height=1000, count=1,
                       dtype="float32", crs=dg.MOLLWEIDE, transform=t, nodata=-1) as dst:
        dst.write(np.nan_to_num(pop, nan=-1.0), 1)
    lazy = dg.classify_grid_tiled(tmp_path / "pop.tif", chunks=330)
    assert lazy.chunks[0] == (330, 330, 340)   # a last tile narrower than the halos joins the one before
    assert np.array_equal(lazy.compute(scheduler=SYNC), dg.classify_grid(tmp_path / "pop.tif"))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("rounds", [1, 16])
def test_random_blobs_on_small_tiles(seed, rounds, monkeypatch):
    """Centres, holes and majority edges cut by many tile borders (16-cell tiles); with
    one majority round per tile visit, the rule runs as many passes as it has rounds."""
    from scipy import ndimage

    from urbanrural.analysis import _degurba_tiled

    monkeypatch.setattr(_degurba_tiled, "MAJORITY_ROUNDS", rounds)
    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.normal(size=(80, 96)), 2.5)
    pop = np.where(f > np.quantile(f, 0.45), 2000.0, 0.0) + rng.uniform(0, 400, f.shape)
    land = np.where(rng.random(f.shape) < 0.15, 0.3, 1.0)
    pop[land < 1] *= rng.random(int((land < 1).sum())) < 0.5
    for params in (GridParams(uc_size=20_000), GridParams.preset("R2022A", uc_size=20_000, uc_contiguity=8)):
        serial = dg.classify_grid(pop, land=land, params=params)
        tiled = dg.classify_grid_tiled(pop, land=land, params=params, chunks=(16, 20)).compute(scheduler=SYNC)
        assert np.array_equal(tiled, serial)
