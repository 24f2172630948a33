"""Issue 16: zonal sums over a raster tile by tile on dask equal the serial zonal_sum.

(Lives beside the tiled DEGURBA tests for now; it tests urbanrural.geo._zonal_tiled.)
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

pytest.importorskip("dask")
pytest.importorskip("distributed")
gpd = pytest.importorskip("geopandas")

import dask  # noqa: E402

from urbanrural.geo._zonal_tiled import zonal_sum_tiled  # noqa: E402
from urbanrural.geo.errors import DataError  # noqa: E402
from urbanrural.geo.zonal import zonal_sum  # noqa: E402


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """A 600 x 900 people raster (100 m, UTM 50N) with nodata, NaN and a negative cell
    outside the units, and 300 Voronoi units (some crossing the raster edge) plus a unit
    smaller than a cell and a multipart one, in another CRS (EPSG:4326)."""
    d = tmp_path_factory.mktemp("zonal")
    rng = np.random.default_rng(16)
    h, w = 600, 900
    a = rng.gamma(0.6, 40.0, (h, w)).astype("float32")
    a[rng.random((h, w)) < 0.01] = -1          # nodata
    a[5, 5] = np.nan
    a[0, w - 1] = -7.0                          # negative, outside every unit
    t = from_origin(400_000, 4_400_000, 100, 100)
    with rasterio.open(d / "pop.tif", "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       crs="EPSG:32650", nodata=-1, transform=t) as dst:
        dst.write(a, 1)
    pts = shapely.points(rng.uniform(400_000, 490_000, 300), rng.uniform(4_340_000, 4_400_000, 300))
    box = shapely.box(395_000, 4_330_000, 485_000, 4_399_000)  # cuts the west and south edges off
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box))
    cells = [c.intersection(box) for c in cells]
    cells += [shapely.box(450_010, 4_370_010, 450_030, 4_370_030),
              shapely.MultiPolygon([shapely.box(401_000, 4_341_000, 402_000, 4_342_000),
                                    shapely.box(480_000, 4_390_000, 481_500, 4_391_000)])]
    units = gpd.GeoDataFrame({"name": [f"u{i}" for i in range(len(cells))]}, geometry=cells, crs=32650)
    return d / "pop.tif", units.to_crs(4326).set_index("name")


@pytest.fixture(scope="module")
def cluster_client():
    from distributed import Client, LocalCluster

    # dashboard on a free port: None falls back to 8787 and warns (an error here) when it is taken
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1.5GB",
                      dashboard_address=":0") as cluster, Client(cluster, set_as_default=False) as client:
        yield client


def _same(tiled, serial):
    np.testing.assert_allclose(tiled.sums.to_numpy(), serial.sums.to_numpy(), rtol=1e-12, atol=1e-9)
    assert list(tiled.sums.index) == list(serial.sums.index)
    assert tiled.outside == pytest.approx(serial.outside, rel=1e-12)
    assert tiled.total == pytest.approx(serial.total, rel=1e-12)
    assert tiled.cells_used == serial.cells_used and tiled.excluded == serial.excluded
    assert tiled.window == serial.window


@pytest.mark.parametrize("method", ["exact", "centre"])
@pytest.mark.parametrize("tile", [128, 333])
def test_synchronous_equals_serial(national, method, tile):
    path, units = national
    serial = zonal_sum(path, units, method=method)
    with dask.config.set(scheduler="synchronous"):
        tiled = zonal_sum_tiled(path, units, method=method, tile=tile)
    _same(tiled, serial)
    assert tiled.sums.iloc[-2] > 0 if method == "exact" else True   # the unit smaller than a cell


@pytest.mark.parametrize("method", ["exact", "centre"])
def test_local_cluster_equals_serial(national, cluster_client, method):
    path, units = national
    _same(zonal_sum_tiled(path, units, method=method, tile=200, client=cluster_client),
          zonal_sum(path, units, method=method))


def test_negative_inside_units_is_refused(tmp_path):
    t = from_origin(0, 1000, 100, 100)
    a = np.ones((10, 10), "float32")
    a[3, 3] = -5
    with rasterio.open(tmp_path / "p.tif", "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
                       crs="EPSG:32650", nodata=-1, transform=t) as dst:
        dst.write(a, 1)
    u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1000, 1000)], crs=32650)
    with dask.config.set(scheduler="synchronous"), pytest.raises(DataError, match="negative"):
        zonal_sum_tiled(tmp_path / "p.tif", u, tile=4)
    with pytest.raises(DataError, match="tile"):
        zonal_sum_tiled(tmp_path / "p.tif", u, tile=0)
