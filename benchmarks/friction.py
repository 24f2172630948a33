"""Friction-surface travel time: urbanrural vs scikit-image ``MCP_Geometric``, one process.

A 2,000 x 2,000 grid of 100 m cells (4M cells, EPSG:32650): off-road walking at 5 km/h,
~400 random roads at 20-80 km/h, a river band impassable except where roads cross it,
50 facilities. Both engines accumulate over 8 neighbours with the same step rule (mean
of the two cells x step length); the results must agree (relative 1e-9, same
unreachable cells). Reported: our numba kernel (compile time apart), our scipy.csgraph
engine, scikit-image, peak traced memory of each.

    python benchmarks/friction.py [--quick]
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np


def _timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, dt, peak


def main() -> None:
    import geopandas as gpd
    import rasterio.features
    import shapely
    from rasterio.transform import from_origin
    from skimage.graph import MCP_Geometric

    from urbanrural.analysis.accessibility import friction

    n = 500 if "--quick" in sys.argv else 2000
    res = 100.0
    rng = np.random.default_rng(0)
    transform = from_origin(400_000, 4_300_000 + n * res, res, res)
    x0, y0, span = 400_000.0, 4_300_000.0, n * res
    lines = []
    for _ in range(n // 5):
        a = rng.uniform(0, span, 2)
        b = a + rng.normal(0, span / 6, 2)
        lines.append(shapely.segmentize(shapely.LineString([(x0 + a[0], y0 + a[1]), (x0 + b[0], y0 + b[1])]), res))
    roads = gpd.GeoDataFrame({"speed_kmh": rng.choice([20.0, 40.0, 60.0, 80.0], len(lines))},
                             geometry=lines, crs=32650)
    river = shapely.LineString([(x0, y0 + span * 0.45), (x0 + span, y0 + span * 0.55)]).buffer(3 * res)
    water = rasterio.features.geometry_mask([river], out_shape=(n, n), transform=transform, invert=True)
    surface = friction.friction_surface(roads, transform=transform, shape=(n, n), crs=32650, off_road_kmh=5,
                                        barrier=water)
    fac = np.column_stack([x0 + rng.uniform(0, span, 50), y0 + rng.uniform(0, span, 50)])
    print(f"friction: {n} x {n} = {n * n / 1e6:.1f}M cells, {surface.road_cells:,} road cells, "
          f"{int(water.sum()):,} water cells, 50 facilities")

    t0 = time.perf_counter()
    friction.travel_time(surface, fac[:1], max_cost=1e-9, engine="numba")  # compile
    t_compile = time.perf_counter() - t0
    ours, t_ours, m_ours = _timed(lambda: friction.travel_time(surface, fac, engine="numba"))

    rows, cols = (~transform * (fac[:, 0], fac[:, 1]))[::-1]
    starts = [(int(r), int(c)) for r, c in zip(np.floor(rows), np.floor(cols), strict=True)]
    cost = surface.minutes_per_m

    def skimage_run():
        return MCP_Geometric(cost, sampling=(res, res), fully_connected=True).find_costs(starts)[0]

    ref, t_sk, m_sk = _timed(skimage_run)
    same_inf = bool((np.isinf(ours) == np.isinf(ref)).all())
    fin = np.isfinite(ref)
    err = float(np.max(np.abs(ours[fin] - ref[fin]) / np.maximum(ref[fin], 1e-12)))
    assert same_inf and err <= 1e-9, (same_inf, err)
    print(f"  urbanrural (numba): {t_ours:.2f} s (+{t_compile:.1f} s compile once per process), "
          f"peak {m_ours / 1e6:,.0f} MB")
    print(f"  scikit-image MCP_Geometric: {t_sk:.2f} s, peak {m_sk / 1e6:,.0f} MB")
    print(f"  ratio: ours is {t_sk / t_ours:.2f}x the speed of scikit-image; max relative difference {err:.1e}, "
          f"unreachable cells equal: {same_inf}")
    if n <= 1000:
        sp, t_sp, m_sp = _timed(lambda: friction.travel_time(surface, fac, engine="scipy"))
        print(f"  urbanrural (scipy.csgraph engine): {t_sp:.2f} s, peak {m_sp / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
