"""Population per unit from a province-size raster: memory and speed.

1. Bounded memory.  A WorldPop-like raster over a Sichuan-size extent (10,000 x 10,000
   cells of 3 arc-seconds ~ 100 m, EPSG:4326, float32, nodata -99999, tiled 512 x 512 and
   deflate-compressed; mostly zeros, so ~1-2 MB on disk) is generated strip by strip,
   never whole.  Reading the population of one county (~40 x 40 km, 36 townships in UTM
   47N) must touch only the county's window: the peak of Python/numpy allocations
   (tracemalloc) and the growth of the process's resident set are printed.  The whole
   raster as float64 would be 800 MB.
2. Speed.  Exact coverage-fraction zonal sums (exactextract) against the cell-centre
   rule (GDAL rasterize) on ~3,000 village polygons (a Voronoi partition of a county).

    python benchmarks/population.py [--size 10000] [--villages 3000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin

ARCSEC3 = 1 / 1200
WEST, NORTH = 98.0, 34.4  # a Sichuan-like extent: 98-106.3 E, 26.1-34.4 N at 10,000 cells
COUNTY_LONLAT = (103.9, 30.6)  # a county's centre (near Chengdu, UTM 48N)


def write_province(path: str | Path, *, size: int = 10_000, seed: int = 0, strip: int = 512) -> Path:
    """Write a WorldPop-like people-per-cell GeoTIFF of ``size`` x ``size`` cells strip by strip.

    Most cells are 0; ~3 % hold 1-200 people (villages), clustered towns hold more;
    the outermost 3 columns are nodata (-99999), as outside a country's border.
    """
    path = Path(path)
    rng = np.random.default_rng(seed)
    prof = dict(driver="GTiff", width=size, height=size, count=1, dtype="float32", crs="EPSG:4326",
                nodata=-99999.0, transform=from_origin(WEST, NORTH, ARCSEC3, ARCSEC3), tiled=True,
                blockxsize=512, blockysize=512, compress="deflate", predictor=2, BIGTIFF="IF_SAFER")
    with rasterio.open(path, "w", **prof) as dst:
        for r0 in range(0, size, strip):
            h = min(strip, size - r0)
            block = np.zeros((h, size), dtype="float32")
            n = int(h * size * 0.03)
            rr, cc = rng.integers(0, h, n), rng.integers(0, size, n)
            block[rr, cc] = rng.gamma(1.5, 40, n).astype("float32")
            for _ in range(max(1, h // 64)):  # a town: a 12 x 12 patch of dense cells
                r, c = rng.integers(0, max(h - 12, 1)), rng.integers(0, size - 12)
                block[r:r + 12, c:c + 12] += rng.gamma(4, 200, (min(12, h - r), 12)).astype("float32")
            block[:, :3] = -99999.0
            block[:, -3:] = -99999.0
            dst.write(block, 1, window=rasterio.windows.Window(0, r0, size, h))
    return path


def county_units(*, km: float = 40.0, n: int = 6, center: tuple[float, float] = COUNTY_LONLAT) -> gpd.GeoDataFrame:
    """A ``km`` x ``km`` county of n x n square townships in UTM 48N around ``center``."""
    c = gpd.GeoSeries([shapely.Point(*center)], crs=4326).to_crs(32648).iloc[0]
    step = km * 1000 / n
    x0, y0 = c.x - km * 500, c.y - km * 500
    geoms = [shapely.box(x0 + i * step, y0 + j * step, x0 + (i + 1) * step, y0 + (j + 1) * step)
             for j in range(n) for i in range(n)]
    return gpd.GeoDataFrame(geometry=geoms, index=[f"t{i:02d}" for i in range(n * n)], crs=32648)


def villages(*, n: int = 3000, km: float = 40.0, seed: int = 0,
             center: tuple[float, float] = COUNTY_LONLAT) -> gpd.GeoDataFrame:
    """~n village polygons: a Voronoi partition of a ``km`` x ``km`` county in UTM 48N."""
    county = county_units(km=km, n=1, center=center).geometry.iloc[0]
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = county.bounds
    pts = shapely.multipoints(np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]))
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=county))
    cells = shapely.intersection(cells, county)
    cells = cells[~shapely.is_empty(cells)]
    return gpd.GeoDataFrame(geometry=cells, index=[f"v{i:04d}" for i in range(len(cells))], crs=32648)


def county_peak(raster: Path, units: gpd.GeoDataFrame, *, zonal: str = "exact") -> tuple[float, float, float]:
    """(tracemalloc peak MB, RSS growth MB, seconds) of ``read_population`` for ``units``."""
    from urbanrural.layers import read_population

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    t0 = time.perf_counter()
    pop = read_population(units, raster=raster, zonal=zonal)
    secs = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss0
    assert pop.total > 0
    return peak / 2**20, rss, secs


def _measure(path: Path, zonal: str) -> None:
    """In a fresh process: warm up on one tiny unit, then read the county; print the numbers."""
    from urbanrural.layers import read_population

    read_population(county_units(km=0.5, n=1), raster=path, zonal=zonal)  # imports, GDAL, PROJ
    peak, rss, secs = county_peak(path, county_units(), zonal=zonal)
    print(f"county 40 x 40 km, 36 townships, zonal={zonal}: tracemalloc peak {peak:.1f} MB, "
          f"peak RSS growth {rss:.1f} MB (fresh process, after warm-up), {secs:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--villages", type=int, default=3000)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--zonal", default="exact", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure is not None:
        _measure(args.measure, args.zonal)
        return
    import subprocess
    import sys

    from urbanrural.geo.raster import open_raster
    from urbanrural.geo.zonal import zonal_sum

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "province.tif"
        t0 = time.perf_counter()
        write_province(path, size=args.size)
        print(f"raster: {args.size:,} x {args.size:,} cells ({args.size ** 2 * 8 / 2**20:,.0f} MB as float64), "
              f"{path.stat().st_size / 2**20:.1f} MB on disk, written in {time.perf_counter() - t0:.1f} s")
        for zonal in ("exact", "centre"):
            subprocess.run([sys.executable, __file__, "--measure", str(path), "--zonal", zonal], check=True)
        v = villages(n=args.villages)
        info = open_raster(path)
        for method in ("exact", "centre"):
            zonal_sum(info, v.iloc[:10], method=method)
            best = min(_timed(lambda m=method: zonal_sum(info, v, method=m)) for _ in range(3))
            z = zonal_sum(info, v, method=method)
            zero = int((z.sums == 0).sum())
            print(f"{len(v):,} villages, method={method}: {best:.2f} s (best of 3); total {z.sums.sum():,.1f}; "
                  f"villages with 0 people: {zero}")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
