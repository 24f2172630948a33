"""Friction-surface travel time: our numba Dijkstra vs xarray-spatial ``cost_distance`` and
scikit-image ``MCP_Geometric``, in one process; and the tiled engine vs the single surface.

What it measures
----------------
A synthetic 2000 x 2000 grid (4M cells) of 100 m cells in EPSG:32650 (``--quick``:
500 x 500) is built with :func:`urbanrural.analysis.accessibility.friction.friction_surface`:

* roads: a few hundred random segmented lines (motorways 80, trunk 60, secondary 40 and
  local 20 km/h), walking (5 km/h) elsewhere;
* water: a meandering river band ~1.2 km wide across the whole grid and a lake with an
  island (the island is walled in: unreachable, ``inf`` in both engines); roads stop at
  the banks except one 60 km/h bridge road over the river;
* 50 facilities on random road cells.

Then, on the same minutes-per-metre surface and the same start cells:

1. ours: ``travel_time(surface, facilities, engine="numba")``; the first call (numba
   compile + run) and the best of the warm calls are reported separately;
2. scikit-image: ``MCP_Geometric(cost, fully_connected=True, sampling=(res, res))``
   ``.find_costs(starts)``, construction included (best of the runs; the find_costs part
   is also shown). Both use the same rule: a step between cells a and b costs
   ``(f_a + f_b) / 2 x`` its length (cell size or diagonal), so skimage's per-cell "cost
   per unit length" is our minutes per metre with ``sampling`` in metres. Both leave
   ``inf`` (impassable) cells out and give ``inf`` where nothing is reachable; the
   facilities sit on finite cells, so neither engine's treatment of a start on an
   impassable cell comes into play;
3. xarray-spatial: ``cost_distance(source, friction, connectivity=8)`` on the same
   surface as DataArrays (x/y coordinates in metres, the facility cells as the non-zero
   source cells); its first call (numba compile, no disk cache) and best warm call (the
   warm calls alternate with ours, best of each, so load on a shared machine hits both). It
   returns float32 minutes and NaN where unreachable: compared with a relative tolerance
   of 1e-6 and the same unreachable cells;
4. on grids up to 1000 x 1000 (``--quick``) also our scipy.csgraph engine (same answer
   asserted);
5. with ``--tiled``: :func:`urbanrural.analysis.accessibility.tiled.travel_time_tiled`
   with 4 x 4 tiles (in this process, then on dask's threads), asserted equal to the
   single-surface grid to the last bit, with its rounds and tile runs.

Ratios printed: each engine's time over ours (> 1: ours is faster).

The results are asserted equal: the same ``inf`` mask and ``np.allclose(rtol=1e-9,
atol=0)`` on the finite cells. Memory of each call is reported twice: the peak of
Python-tracked allocations (``tracemalloc``; numpy and numba's runtime both report to it)
and the peak resident-set growth over the call (``VmHWM`` from ``/proc/self/status``, reset
before each call through ``/proc/self/clear_refs``; Linux only, else shown as n/a).

Run it with::

    python benchmarks/friction.py [--quick] [--tiled]
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc

import numpy as np

RES = 100.0  # metres
CRS = 32650  # UTM 50N (southern China)
N_FACILITIES = 50
OFF_ROAD_KMH = 5.0


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    try:  # hand freed heap pages back first, so reused memory is not hidden from the growth
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def measure(fn, repeats: int = 1):
    """(best seconds, last result, tracemalloc peak MB of the first run, peak RSS growth MB or None)."""
    times, out = [], None
    peak_py = peak_rss = None
    for i in range(repeats):
        out = None
        gc.collect()
        if i == 0:
            rss_ok = _reset_peak_rss()
            base = _status_kb("VmRSS")
            tracemalloc.start()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if i == 0:
            peak_py = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            hwm = _status_kb("VmHWM")
            if rss_ok and base is not None and hwm is not None:
                peak_rss = (hwm - base) / 1024
    return min(times), out, peak_py, peak_rss


def synthetic_region(side: int, seed: int = 0):
    """(surface, facility xy, facility (row, col)) of a side x side grid at RES metres."""
    import geopandas as gpd
    import rasterio.features
    import shapely
    from rasterio.transform import from_origin

    from urbanrural.analysis.accessibility.friction import friction_surface

    rng = np.random.default_rng(seed)
    x0, top = 300_000.0, 2_600_000.0
    extent = side * RES
    transform = from_origin(x0, top, RES, RES)
    y0 = top - extent

    def walk(n_seg: int, seg_len: float, turn: float) -> shapely.LineString:
        p = np.array([x0 + rng.uniform(0, extent), y0 + rng.uniform(0, extent)])
        heading = rng.uniform(0, 2 * np.pi)
        pts = [p.copy()]
        for _ in range(n_seg):
            heading += rng.normal(0, turn)
            p = p + seg_len * rng.uniform(0.5, 1.5) * np.array([np.cos(heading), np.sin(heading)])
            pts.append(p.copy())
        return shapely.LineString(pts)

    scale = side / 2000  # road counts and lengths follow the grid size
    classes = [  # (km/h, count, segments, segment length m, turn sd)
        (80.0, max(3, int(12 * scale)), 8, 0.12 * extent, 0.15),
        (60.0, max(5, int(40 * scale)), 6, 0.06 * extent, 0.30),
        (40.0, max(10, int(120 * scale)), 5, 0.025 * extent, 0.50),
        (20.0, max(20, int(300 * scale)), 4, 0.008 * extent, 0.80),
    ]
    lines, speeds = [], []
    for kmh, count, n_seg, seg_len, turn in classes:
        for _ in range(count):
            lines.append(walk(n_seg, seg_len, turn))
            speeds.append(kmh)

    # a meandering river across the whole grid (west to east, beyond both edges), 1.2 km wide
    xs = np.linspace(x0 - 0.1 * extent, x0 + 1.1 * extent, 200)
    ys = y0 + 0.45 * extent + 0.12 * extent * np.sin(xs / extent * 3 * np.pi) + 0.03 * extent * np.sin(xs / extent * 11)
    river = shapely.LineString(np.column_stack([xs, ys])).buffer(6 * RES)
    # a lake (ring of water) with an island inside: the island is unreachable
    cx, cy = x0 + 0.75 * extent, y0 + 0.8 * extent
    lake_r = 0.06 * extent
    lake = shapely.Point(cx, cy).buffer(lake_r)
    island = shapely.Point(cx, cy).buffer(0.4 * lake_r)
    water = shapely.union(river, lake)
    # roads stop at the water's edge (the island keeps no roads), then one bridge over the river
    clipped = [shapely.difference(g, water) for g in lines]
    keep = [not g.is_empty for g in clipped]
    geoms = [g for g, k in zip(clipped, keep, strict=True) if k]
    speeds = [s for s, k in zip(speeds, keep, strict=True) if k]
    bx = x0 + 0.3 * extent
    by = float(np.interp(bx, xs, ys))
    geoms.append(shapely.LineString([(bx, by - 0.1 * extent), (bx, by + 0.1 * extent)]))
    speeds.append(60.0)
    roads = gpd.GeoDataFrame({"speed_kmh": speeds}, geometry=geoms, crs=CRS)

    barrier = rasterio.features.rasterize([(shapely.difference(water, island), 1)], out_shape=(side, side),
                                          transform=transform, fill=0, dtype="uint8").astype(bool)
    surface = friction_surface(roads, transform=transform, shape=(side, side), crs=CRS, off_road_kmh=OFF_ROAD_KMH,
                               barrier=barrier)
    f = surface.minutes_per_m
    road = np.flatnonzero((f < 60.0 / (OFF_ROAD_KMH * 1000.0)) & np.isfinite(f))
    cells = rng.choice(road, size=N_FACILITIES, replace=False)
    r, c = np.divmod(cells, side)
    xy = np.column_stack([x0 + (c + 0.5) * RES, top - (r + 0.5) * RES])  # cell centres
    return surface, roads, xy, np.column_stack([r, c])


def main(argv: list[str]) -> None:
    from skimage.graph import MCP_Geometric

    from urbanrural.analysis.accessibility.friction import travel_time

    quick = "--quick" in argv
    side = 500 if quick else 2000
    repeats = 3
    t0 = time.perf_counter()
    surface, roads, xy, rc = synthetic_region(side)
    f = surface.minutes_per_m
    print(f"grid {side} x {side} = {f.size:,} cells at {RES:g} m (EPSG:{CRS}); {len(roads)} roads, "
          f"{surface.road_cells:,} road cells, {surface.barrier_cells:,} impassable cells, "
          f"{len(xy)} facilities (built in {time.perf_counter() - t0:.1f} s)")

    t_first, _, _, _ = measure(lambda: travel_time(surface, xy, engine="numba"))
    t_ours, ours, mem_ours, rss_ours = measure(lambda: travel_time(surface, xy, engine="numba"), repeats)
    starts = [tuple(map(int, p)) for p in rc]

    def skimage_run():
        return MCP_Geometric(f, fully_connected=True, sampling=(RES, RES)).find_costs(starts)[0]

    t_sk, ref, mem_sk, rss_sk = measure(skimage_run, repeats)
    mcp = MCP_Geometric(f, fully_connected=True, sampling=(RES, RES))
    t_find = measure(lambda: mcp.find_costs(starts), 2)[0]

    def mb(v):
        return "n/a" if v is None else f"{v:,.0f} MB"

    t_xrs_first = t_xrs = xrs = mem_xrs = rss_xrs = None
    try:
        import xarray as xr
        from xrspatial import cost_distance
    except ImportError:
        print("xarray-spatial is not installed (pip install 'urbanrural[bench]'): its column is left out")
    else:
        coords = {"y": surface.transform.f - (np.arange(side) + 0.5) * RES,
                  "x": surface.transform.c + (np.arange(side) + 0.5) * RES}
        fric = xr.DataArray(f, dims=("y", "x"), coords=coords)
        src = np.zeros(f.shape)
        src[rc[:, 0], rc[:, 1]] = 1.0
        source = fric.copy(data=src)
        t_xrs_first = measure(lambda: cost_distance(source, fric, connectivity=8).values)[0]
        t_xrs, xrs, mem_xrs, rss_xrs = measure(lambda: cost_distance(source, fric, connectivity=8).values)
        # warm times taken in alternation, so a busy machine slows both engines alike
        for _ in range(repeats):
            t_ours = min(t_ours, measure(lambda: travel_time(surface, xy, engine="numba"))[0])
            t_xrs = min(t_xrs, measure(lambda: cost_distance(source, fric, connectivity=8).values)[0])

    same_inf = bool(np.array_equal(np.isinf(ours), np.isinf(ref)))
    fin = np.isfinite(ref)
    close = same_inf and bool(np.allclose(ours[fin], ref[fin], rtol=1e-9, atol=0.0))
    max_rel = float(np.max(np.abs(ours[fin] - ref[fin]) / np.maximum(np.abs(ref[fin]), 1e-300))) if same_inf else np.nan

    print(f"reachable cells {int(fin.sum()):,}, unreachable {int((~fin).sum()):,}; "
          f"max minutes {float(ref[fin].max()):.1f}")
    print(f"{'engine':<34}{'seconds':>10}{'tracemalloc peak':>19}{'peak RSS growth':>18}")
    print(f"{'ours numba, first call (compile)':<34}{t_first:>10.3f}")
    print(f"{'ours numba, warm (best)':<34}{t_ours:>10.3f}{mb(mem_ours):>19}{mb(rss_ours):>18}")
    print(f"{'skimage MCP_Geometric (best of 3)':<34}{t_sk:>10.3f}{mb(mem_sk):>19}{mb(rss_sk):>18}")
    print(f"{'  of which find_costs':<34}{t_find:>10.3f}")
    if t_xrs is not None:
        print(f"{'xarray-spatial, first call':<34}{t_xrs_first:>10.3f}")
        print(f"{'xarray-spatial, warm (best)':<34}{t_xrs:>10.3f}{mb(mem_xrs):>19}{mb(rss_xrs):>18}")
    if side <= 1000:  # the csgraph engine holds ~8 edges per cell: small grids only
        t_sp, sp, mem_sp, rss_sp = measure(lambda: travel_time(surface, xy, engine="scipy"))
        print(f"{'ours scipy.csgraph engine':<34}{t_sp:>10.3f}{mb(mem_sp):>19}{mb(rss_sp):>18}")
        assert np.array_equal(np.isinf(sp), np.isinf(ref)) and np.allclose(sp[fin], ref[fin], rtol=1e-9, atol=0.0)
    print(f"compile time ~{t_first - t_ours:.2f} s; skimage / ours = {t_sk / t_ours:.2f}x "
          f"(find_costs only: {t_find / t_ours:.2f}x)")
    print(f"results equal: inf masks {same_inf}, allclose(rtol=1e-9) {close}, max relative difference {max_rel:.1e}")
    assert same_inf, "the engines disagree on which cells are reachable"
    assert close, "the engines disagree on travel times"
    if t_xrs is not None:
        xrs_inf = ~np.isfinite(xrs)
        x_same = bool(np.array_equal(xrs_inf, np.isinf(ours)))
        x_rel = float(np.max(np.abs(xrs[fin] - ours[fin]) / np.maximum(ours[fin], 1e-300)))
        print(f"ours takes {t_ours / t_xrs:.2f}x xarray-spatial's time warm, {t_first / t_xrs_first:.2f}x on the first "
              f"call; xarray-spatial / ours = {t_xrs / t_ours:.2f}x warm, {t_xrs_first / t_first:.2f}x first call; "
              f"same unreachable cells {x_same}, max relative difference {x_rel:.1e} (float32)")
        assert x_same and x_rel < 1e-6, "xarray-spatial disagrees"
    if "--tiled" in argv:
        tiled_run(surface, xy, ours, t_ours)


def tiled_run(surface, xy, single, t_single: float) -> None:
    """The tiled engine on 4 x 4 tiles: in this process and on dask's threads; equal to ``single``."""
    from urbanrural.analysis.accessibility.tiled import TiledStats, travel_time_tiled

    tile = -(-surface.shape[0] // 4)
    for scheduler in (None, "threads"):
        info = TiledStats()
        t, out, _, rss = measure(lambda s=scheduler, i=info: travel_time_tiled(surface, xy, tile=tile, scheduler=s, stats=i))
        equal = bool(np.array_equal(out, single))
        print(f"tiled {tile} x {tile} (halo {info.halo}), scheduler={scheduler}: {t:.3f} s = {t / t_single:.2f}x the "
              f"single surface; {info.rounds} rounds, {info.runs} tile runs over {info.tiles} tiles; peak RSS growth "
              f"{'n/a' if rss is None else f'{rss:,.0f} MB'}; equal to the last bit {equal}")
        assert equal, "the tiled engine disagrees with the single surface"


if __name__ == "__main__":
    main(sys.argv[1:])
