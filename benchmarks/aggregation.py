"""Issue 16: aggregation on a province at 100 m, before and after.

Three steps of the accessibility analysis, each timed in a fresh process, with the growth
of the process's resident set during the call (sampled every 5 ms):

1. cell-to-unit assignment, ``urbanrural.geo.zonal.cell_people`` (zonal ``exact`` and
   ``centre``), the demand points of raster mode;
2. per-unit aggregation: 32 regroupings of per-point values (4 categories x
   (``unit_values`` + 3 x ``within_share`` + 3 x ``underserved``) + 4 FCA ``unit_values``);
3. the SDG 9.1.1 Rural Access Index (2 km of a road).

"Before" is the implementation at commit ``BASE`` (read with ``git show`` into private
modules beside the current ones), "after" the working tree.  The old Rural Access Index
lists every point-road pair within 2 km: on all rural points it would need more memory
than a laptop has, so before and after are compared on a subset of ``--rai-points`` rural
points, and "after" is also timed on all of them.

Case (deterministic, seed 16): ``--size`` x ``--size`` cells of 100 m in UTM 50N (3,000 x
3,000 = 9M cells, ~70 % populated), ``--units`` Voronoi units (shapely.voronoi_polygons),
``--roads`` random road polylines (2-6 vertices, ~1 km legs, mostly around 2,000 villages
in the west, sparse in the east), 70 % of the units rural.

    python benchmarks/aggregation.py [--size 3000] [--units 15000] [--roads 50000]
                                     [--rai-points 1000000] [--data DIR]

Measured (2 shared cores, 2026-11-30; 6.96M demand points; the machine was busy, so
seconds vary by up to 2x from run to run, ratios less):

=========================================  ===============  ===============  ======
step                                       before           after            ratio
=========================================  ===============  ===============  ======
cell_people exact (6,960,148 rows)         11.2-27.9 s      7.9-11.0 s       1.4-2.5x
cell_people centre (6,300,844 rows)        7.9-9.2 s        3.9-5.4 s        1.7-2.3x
32 per-unit regroupings                    90-95 s, +0.9 GB 9.2-11.7 s, +0.3  7.7-10x
Rural Access Index, 1M rural points        16-19 s, +0.4 GB 1.6 s, +0 GB     10-11x
Rural Access Index, all 4.85M rural        (> 6 GB)         2.4-2.5 s, +0.2
=========================================  ===============  ===============  ======

Every "after" equals its "before" (same rows and people; sums to 1e-12; the same RAI).
The exact assignment is bounded by exactextract's coverage of the cells the unit
boundaries cross (~4 s here); leaving it the interior cells only (NaN elsewhere) saved
0.6 s of it but rasterising units and boundaries cost 1.9 s, so it is not done.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

BASE = "9984e3a65ae695630b4e30a1391f59544d6c2a6f"  # the last commit before issue 16 touched these files
REPO = Path(__file__).resolve().parents[1]
X0, Y0 = 300_000.0, 3_200_000.0
CASES = ("assign_exact", "assign_centre", "aggregate", "rai")


# ---------------------------------------------------------------- the synthetic province
def write_case(out: Path, *, size: int, units: int, roads: int, seed: int = 16) -> None:
    """Raster ``pop.tif``, ``units.parquet`` (index ``code``, column ``rural``) and ``roads.parquet``."""
    import geopandas as gpd
    import rasterio
    import shapely
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    pop = rng.gamma(0.6, 25, (size, size)).astype("float32")
    pop[rng.random((size, size)) < 0.3] = 0
    with rasterio.open(out / "pop.tif", "w", driver="GTiff", width=size, height=size, count=1, dtype="float32",
                       crs="EPSG:32650", transform=from_origin(X0, Y0 + size * 100, 100, 100), nodata=-1,
                       tiled=True, compress="deflate") as dst:
        dst.write(pop, 1)
    del pop
    span = size * 100.0
    seeds = shapely.points(rng.uniform(X0, X0 + span, units), rng.uniform(Y0, Y0 + span, units))
    frame = shapely.box(X0 + 30, Y0 + 30, X0 + span - 30, Y0 + span - 30)
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds),
                                                                          extend_to=frame)), frame)
    codes = [f"{i:06d}" for i in range(len(cells))]
    gpd.GeoDataFrame({"code": codes, "rural": rng.random(len(cells)) < 0.7}, geometry=cells,
                     crs=32650).set_index("code").to_parquet(out / "units.parquet")
    villages = np.column_stack([X0 + span * rng.beta(1.3, 2.5, 2000), rng.uniform(Y0, Y0 + span, 2000)])
    near = rng.random(roads) < 0.7
    starts = np.where(near[:, None], villages[rng.integers(0, 2000, roads)] + rng.normal(0, 3000, (roads, 2)),
                      rng.uniform([X0, Y0], [X0 + span, Y0 + span], (roads, 2)))
    nv = rng.integers(2, 7, roads)
    lines = [shapely.LineString(np.vstack([starts[i], starts[i] + np.cumsum(rng.normal(0, 800, (nv[i] - 1, 2)), 0)]))
             for i in range(roads)]
    gpd.GeoDataFrame(geometry=lines, crs=32650).to_parquet(out / "roads.parquet")


def _before(name: str, rel: str):
    """The module ``rel`` (e.g. urbanrural/geo/zonal.py) as it was at BASE, importable
    beside the current one (its relative imports resolve in the same package)."""
    src = subprocess.run(["git", "-C", str(REPO), "show", f"{BASE}:{rel}"], check=True, capture_output=True,
                         text=True).stdout
    pkg = rel.removesuffix(".py").replace("/", ".").rsplit(".", 1)[0]
    spec = importlib.util.spec_from_loader(f"{pkg}._{name}_before", loader=None)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = pkg
    sys.modules[spec.name] = mod  # dataclasses look their module up while the body runs
    exec(compile(src, f"{BASE[:7]}:{rel}", "exec"), mod.__dict__)  # noqa: S102 - our own file from git history
    return mod


# ---------------------------------------------------------------- measuring in a child process
def _measured(fn):
    import psutil

    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    peak = [rss0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.005)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    result = fn()
    secs = time.perf_counter() - t0
    stop.set()
    th.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    return result, secs, (peak[0] - rss0) / 2**30


def _child(case: str, which: str, data: Path, rai_points: int) -> dict:
    import geopandas as gpd

    from urbanrural.analysis.accessibility import coverage, demand
    from urbanrural.geo import zonal
    from urbanrural.geo.raster import open_raster

    units = gpd.read_parquet(data / "units.parquet")
    info = open_raster(data / "pop.tif")
    out: dict = {"case": case, "which": which}
    if case.startswith("assign"):
        method = case.split("_")[1]
        mod = _before("zonal", "urbanrural/geo/zonal.py") if which == "before" else zonal
        mod.cell_people(info, units.iloc[:5], method=method)  # warm-up: imports, GDAL
        cells, out["s"], out["gb"] = _measured(lambda: mod.cell_people(info, units, method=method))
        out["rows"] = len(cells)
        out["people"] = float(cells["people"].sum())
        return out
    pts, _ = demand.demand_points(units, how="raster", raster=info, zonal="exact")
    rural_unit = units["rural"].to_numpy()[pts["unit_code"].to_numpy()]
    out["points"] = len(pts)
    if case == "aggregate":
        rng = np.random.default_rng(0)
        mod = _before("demand", "urbanrural/analysis/accessibility/demand.py") if which == "before" else demand
        cov = _before("coverage", "urbanrural/analysis/accessibility/coverage.py") if which == "before" else coverage
        if which == "before":  # the frame as the old demand_points made it: no unit codes
            pts = pts.drop(columns="unit_code")
            pts.attrs = {}
        index = units.index
        times = [np.where(rng.random(len(pts)) < 0.01, np.inf, rng.gamma(2, 12, len(pts))) for _ in range(4)]

        def regroup() -> float:
            check = 0.0
            for t in times:
                check += float(np.nansum(mod.unit_values(t, pts, index=index)["mean"]))
                for th in (15.0, 30.0, 60.0):
                    check += float(mod.within_share(t, pts, threshold=th, index=index)["within"].sum())
                    check += float(cov.underserved(t, pts, threshold=th, index=index).sum())
            for t in times:
                check += float(np.nansum(mod.unit_values(np.minimum(t, 1e9), pts, index=index)["mean"]))
            return check

        out["check"], out["s"], out["gb"] = _measured(regroup)
        return out
    roads = gpd.read_parquet(data / "roads.parquet")
    rural = rural_unit.astype(bool)
    sub = np.flatnonzero(rural)[:: max(1, int(rural.sum()) // rai_points)][:rai_points]
    part = pts.iloc[sub].reset_index(drop=True)
    full = which == "after_all"
    use, flags = (pts, rural) if full else (part, np.ones(len(part), dtype=bool))
    if which == "before":
        cov = _before("coverage", "urbanrural/analysis/accessibility/coverage.py")
    else:
        cov = coverage
    res, out["s"], out["gb"] = _measured(lambda: cov.rural_access_index(use, roads, rural=flags))
    out["share"] = res.share
    out["population_within"] = res.population_within
    out["rural_points"] = int(flags.sum())
    return out


def _run(case: str, which: str, data: Path, rai_points: int) -> dict:
    cmd = [sys.executable, __file__, "--child", case, which, "--data", str(data), "--rai-points", str(rai_points)]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--units", type=int, default=15_000)
    ap.add_argument("--roads", type=int, default=50_000)
    ap.add_argument("--rai-points", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, help="folder for the generated case (kept; reused when present)")
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {CASES}")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0], args.child[1], args.data, args.rai_points)))
        return
    tmp = None
    data = args.data
    if data is None:
        tmp = tempfile.TemporaryDirectory()
        data = Path(tmp.name)
    if not (data / "roads.parquet").exists():
        t0 = time.perf_counter()
        write_case(data, size=args.size, units=args.units, roads=args.roads)
        print(f"case: {args.size:,} x {args.size:,} cells of 100 m, {args.units:,} Voronoi units, "
              f"{args.roads:,} roads; written in {time.perf_counter() - t0:.1f} s", flush=True)
    for case in args.cases.split(","):
        runs = ["before", "after"] + (["after_all"] if case == "rai" else [])
        got = {w: _run(case, w, data, args.rai_points) for w in runs}
        b, a = got["before"], got["after"]
        if case.startswith("assign"):
            what = f"cell_people {case.split('_')[1]} ({a['rows']:,} cell-unit rows)"
            same = a["rows"] == b["rows"] and abs(a["people"] - b["people"]) <= 1e-12 * b["people"]
        elif case == "aggregate":
            what = f"32 per-unit regroupings of {a['points']:,} demand points"
            same = abs(a["check"] - b["check"]) <= 1e-12 * abs(b["check"])
        else:
            what = f"Rural Access Index on {a['rural_points']:,} rural points"
            same = a["share"] == b["share"] and a["population_within"] == b["population_within"]
        print(f"{what}: before {b['s']:.2f} s, +{b['gb']:.2f} GB; after {a['s']:.2f} s, +{a['gb']:.2f} GB; "
              f"{b['s'] / a['s']:.1f}x faster, memory x{b['gb'] / max(a['gb'], 1e-3):.1f} less; "
              f"same result: {same}", flush=True)
        if case == "rai":
            c = got["after_all"]
            print(f"  after, all {c['rural_points']:,} rural points of {c['points']:,}: {c['s']:.2f} s, "
                  f"+{c['gb']:.2f} GB, share {c['share']:.4f}", flush=True)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
