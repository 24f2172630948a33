"""Tiled travel time and partitioned nearest facilities equal the single-piece functions,
in this process, on dask's local schedulers and on a LocalCluster."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio.features
import shapely
from rasterio.transform import from_origin

from urbanrural.analysis.accessibility import euclidean, tiled
from urbanrural.analysis.accessibility.friction import friction_surface, travel_time
from urbanrural.geo.errors import CRSError, DataError, UnknownNameError

distributed = pytest.importorskip("distributed")

RES = 100.0


@pytest.fixture(scope="module")
def local_client():
    """A local dask cluster of two single-threaded worker processes (closed after the module)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1.5GB",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def region():
    """A 100 m grid of 150 x 190 cells: roads crossing the tile borders at several speeds, a
    river (impassable) with one bridge, a lake with a walled-in island (unreachable), and
    facilities in a few tiles only (most tiles must learn their times from neighbours)."""
    rows, cols = 150, 190
    x0, top = 500_000.0, 3_000_000.0
    t = from_origin(x0, top, RES, RES)
    y0 = top - rows * RES
    rng = np.random.default_rng(7)
    lines, speeds = [], []
    for kmh, n in ((80.0, 3), (40.0, 8), (20.0, 20)):
        for _ in range(n):
            p = np.array([x0 + rng.uniform(0, cols * RES), y0 + rng.uniform(0, rows * RES)])
            pts = [p.copy()]
            heading = rng.uniform(0, 2 * np.pi)
            for _ in range(6):
                heading += rng.normal(0, 0.4)
                p = p + rng.uniform(800, 3000) * np.array([np.cos(heading), np.sin(heading)])
                pts.append(p.copy())
            lines.append(shapely.LineString(pts))
            speeds.append(kmh)
    xs = np.linspace(x0 - 1000, x0 + cols * RES + 1000, 80)
    river = shapely.LineString(np.column_stack([xs, y0 + 0.55 * rows * RES + 1500 * np.sin(xs / 3000)])).buffer(250)
    lake = shapely.Point(x0 + 0.8 * cols * RES, y0 + 0.2 * rows * RES).buffer(1200)
    island = shapely.Point(x0 + 0.8 * cols * RES, y0 + 0.2 * rows * RES).buffer(500)
    water = shapely.union(river, lake)
    geoms = [shapely.difference(g, water) for g in lines]
    keep = [not g.is_empty for g in geoms]
    geoms = [g for g, k in zip(geoms, keep, strict=True) if k]
    speeds = [s for s, k in zip(speeds, keep, strict=True) if k]
    bx = x0 + 0.3 * cols * RES
    geoms.append(shapely.LineString([(bx, y0 + 0.2 * rows * RES), (bx, y0 + 0.9 * rows * RES)]))  # the bridge
    speeds.append(60.0)
    roads = gpd.GeoDataFrame({"speed_kmh": speeds}, geometry=geoms, crs=32650)
    barrier = rasterio.features.rasterize([(shapely.difference(water, island), 1)], out_shape=(rows, cols),
                                          transform=t, fill=0, dtype="uint8").astype(bool)
    surface = friction_surface(roads, transform=t, shape=(rows, cols), crs=32650, off_road_kmh=5.0, barrier=barrier)
    fac = np.array([[x0 + 1550.0, top - 1250.0], [x0 + 17_050.0, top - 13_950.0], [x0 + 9_050.0, top - 450.0]])
    return surface, fac


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert np.array_equal(np.isinf(a), np.isinf(b)), "different unreachable cells"
    fin = np.isfinite(b)
    np.testing.assert_allclose(a[fin], b[fin], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(a, b)  # in fact equal to the last bit


def test_region_is_awkward(region):
    surface, fac = region
    ref = travel_time(surface, fac)
    assert np.isinf(ref).sum() > surface.barrier_cells  # the island is unreachable
    assert surface.road_cells > 500 and np.isfinite(ref).mean() > 0.8


@pytest.mark.parametrize(("tile", "halo"), [(32, 1), (32, 4), (50, None), (64, 64), (500, None)])
def test_tiled_equals_single_surface(region, tile, halo):
    surface, fac = region
    info = tiled.TiledStats()
    _same(tiled.travel_time_tiled(surface, fac, tile=tile, halo=halo, stats=info), travel_time(surface, fac))
    if tile < 150:
        assert info.tiles > 1 and info.rounds > 1


@pytest.mark.parametrize("max_cost", [12.0, 45.0])
def test_tiled_with_max_cost(region, max_cost):
    surface, fac = region
    info = tiled.TiledStats()
    out = tiled.travel_time_tiled(surface, fac, tile=40, max_cost=max_cost, stats=info)
    _same(out, travel_time(surface, fac, max_cost=max_cost))
    assert info.halo == 40  # 80 km/h roads cross more than a tile in max_cost: the halo is capped at the tile
    wide = tiled.TiledStats()
    _same(tiled.travel_time_tiled(surface, fac, tile=100, halo=None, max_cost=2.0, stats=wide),
          travel_time(surface, fac, max_cost=2.0))
    assert 1 < wide.halo < 100 and wide.rounds <= 2  # a halo covering max_cost: one round, then a check


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_local_dask_schedulers(region, scheduler):
    surface, fac = region
    _same(tiled.travel_time_tiled(surface, fac, tile=48, halo=3, scheduler=scheduler), travel_time(surface, fac))


def test_on_a_local_cluster(local_client, region):
    surface, fac = region
    ref = travel_time(surface, fac)
    serial = tiled.travel_time_tiled(surface, fac, tile=48, halo=3)
    on_cluster = tiled.travel_time_tiled(surface, fac, tile=48, halo=3, scheduler="dask")
    _same(on_cluster, serial)
    _same(on_cluster, ref)
    origins = np.column_stack([np.linspace(500_000, 519_000, 1001), np.linspace(2_985_000, 3_000_000, 1001)])
    np.testing.assert_array_equal(
        tiled.nearest_minutes_partitioned(origins, fac, partitions=5, scheduler="dask"),
        euclidean.nearest_minutes(origins, fac))


def test_no_facility_and_facilities_outside(region, caplog):
    surface, fac = region
    assert np.isinf(tiled.travel_time_tiled(surface, np.empty((0, 2)), tile=64)).all()
    outside = np.vstack([fac, [[0.0, 0.0]]])
    _same(tiled.travel_time_tiled(surface, outside, tile=64), travel_time(surface, fac))
    assert "outside the friction grid" in caplog.text


def test_bad_options_are_refused(region):
    surface, fac = region
    with pytest.raises(DataError, match="tile") as e:
        tiled.travel_time_tiled(surface, fac, tile=0, halo=0)
    assert "halo" in str(e.value)  # every problem at once
    with pytest.raises(DataError, match="max_cost"):
        tiled.travel_time_tiled(surface, fac, max_cost=-1)
    with pytest.raises(UnknownNameError, match="scheduler"):
        tiled.travel_time_tiled(surface, fac, scheduler="mpi")
    with pytest.raises(DataError, match="partitions"):
        tiled.nearest_minutes_partitioned(fac, fac, partitions=0)


@pytest.mark.parametrize("scheduler", [None, "synchronous", "threads"])
@pytest.mark.parametrize("partitions", [1, 3, 50])
def test_nearest_partitioned_equals_serial(scheduler, partitions):
    rng = np.random.default_rng(1)
    origins = pd.DataFrame({"x": rng.uniform(0, 50_000, 20), "y": rng.uniform(0, 50_000, 20)})
    fac = rng.uniform(0, 50_000, (7, 2))
    ref = euclidean.nearest_minutes(origins, fac, speed_kmh=40, circuity=1.25)
    out = tiled.nearest_minutes_partitioned(origins, fac, partitions=partitions, speed_kmh=40, circuity=1.25,
                                            scheduler=scheduler)
    np.testing.assert_array_equal(out, ref)


def test_nearest_partitioned_checks_crs_and_speeds():
    o = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0], [0.0]), crs=4326)
    with pytest.raises(CRSError):
        tiled.nearest_minutes_partitioned(o, np.array([[1.0, 1.0]]))
    with pytest.raises(DataError, match="speed_kmh"):
        tiled.nearest_minutes_partitioned(np.zeros((2, 2)), np.ones((1, 2)), speed_kmh=0)
    assert tiled.nearest_minutes_partitioned(np.empty((0, 2)), np.ones((1, 2))).shape == (0,)
    assert np.isinf(tiled.nearest_minutes_partitioned(np.zeros((3, 2)), np.empty((0, 2)), partitions=2)).all()


@pytest.mark.parametrize("scheduler", [None, "threads"])
@pytest.mark.parametrize("with_decay", [False, True])
def test_two_step_fca_partitioned_equals_serial(scheduler, with_decay):
    from urbanrural.analysis.accessibility import fca
    from urbanrural.analysis.accessibility.decay import gaussian

    rng = np.random.default_rng(3)
    origins = pd.DataFrame({"x": rng.uniform(0, 40_000, 300), "y": rng.uniform(0, 40_000, 300)},
                           index=[f"o{i}" for i in range(300)])
    fac = pd.DataFrame({"x": rng.uniform(0, 40_000, 12), "y": rng.uniform(0, 40_000, 12)},
                       index=[f"h{i}" for i in range(12)])
    demand = pd.Series(rng.integers(0, 500, 300).astype(float), index=origins.index)
    supply = pd.Series(rng.uniform(1, 10, 12), index=fac.index)
    decay = gaussian(15.0) if with_decay else None
    od = euclidean.od_table(origins, fac, max_cost=30, speed_kmh=40, circuity=1.2)
    ref = fca.two_step_fca(od, demand, supply, max_cost=30, decay=decay)
    out = tiled.two_step_fca_partitioned(origins, fac, demand, supply, max_cost=30, partitions=7, speed_kmh=40,
                                         circuity=1.2, decay=decay, scheduler=scheduler)
    assert out.index.equals(ref.index) and (ref > 0).sum() > 100
    np.testing.assert_allclose(out.to_numpy(), ref.to_numpy(), rtol=1e-12, atol=0)


def test_two_step_fca_partitioned_on_a_local_cluster(local_client):
    rng = np.random.default_rng(4)
    o, f = rng.uniform(0, 30_000, (500, 2)), rng.uniform(0, 30_000, (9, 2))
    p, s = rng.uniform(0, 100, 500), rng.uniform(1, 5, 9)
    serial = tiled.two_step_fca_partitioned(o, f, p, s, max_cost=25, partitions=4)
    on_cluster = tiled.two_step_fca_partitioned(o, f, p, s, max_cost=25, partitions=4, scheduler="dask")
    np.testing.assert_array_equal(on_cluster.to_numpy(), serial.to_numpy())  # same blocks, same order of sums
    with pytest.raises(DataError, match="demand"):
        tiled.two_step_fca_partitioned(o, f, p[:3], s, max_cost=25)
