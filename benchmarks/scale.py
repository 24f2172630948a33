"""Whole runs at the sizes users have (issue 16): time and peak memory per step, the scaling
exponent, serial vs a LocalCluster, and numba's compile time shown apart.

Each region (benchmarks/_regions.py, deterministic) is written once under ``--dir`` and run
end to end with ``urbanrural run`` in a fresh process (so the time includes imports; the
numba kernels load from their on-disk cache after the first run ever). run.json gives the
seconds and the peak resident memory of every step.

    python benchmarks/scale.py                                  # county, prefecture, province_1km
    python benchmarks/scale.py --regions province_100m --measures nearest
    python benchmarks/scale.py --regions prefecture --scheduler local   # serial vs LocalCluster
    python benchmarks/scale.py --compile                         # numba compile time, cold vs cached

Targets on a 2-core, 24 GB machine: prefecture <= 60 s and <= 4 GB; province at 100 m
<= 10 min and <= 8 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from _regions import SPECS, make_region  # noqa: E402

STEPS = ("load", "urban_rural", "accessibility", "autocorrelation", "write", "maps")


def run_region(name: str, root: Path, *, measures: list[str], maps: bool, scheduler: str | None,
               memory_gb: float, timeout: float) -> dict:
    t0 = time.perf_counter()
    cfg = make_region(name, root / name, measures=measures, maps=maps)
    gen = time.perf_counter() - t0
    stats = yaml.safe_load((root / name / "stats.yaml").read_text())
    out = root / name / ("results-local" if scheduler else "results")
    cmd = [sys.executable, "-m", "urbanrural.cli", "-q", "run", str(cfg), "--out", str(out), "--overwrite",
           "--memory-gb", f"{memory_gb:g}"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"region": name, "error": (proc.stderr or proc.stdout).strip().splitlines()[-1:], "wall": wall,
                **stats}
    run = json.loads((out / "run.json").read_text())
    mem = {k: v["peak"] for k, v in run["memory_gb"].items() if isinstance(v, dict)}
    acc = run["results"].get("accessibility_summary") or {}
    return {"region": name, "generate_s": gen, "wall": wall, "total": run["timings_s"]["total"],
            "steps": {k: run["timings_s"].get(k) for k in STEPS}, "peak": run["memory_gb"]["run_peak"],
            "step_peak": mem, "units": SPECS[name].units, "od": acc, **stats}


def show(rows: list[dict]) -> None:
    head = f"{'region':<15}{'cells':>11}{'populated':>11}{'units':>7}{'run s':>8}{'peak GB':>9}  per step (s / peak GB)"
    print(head)
    for r in rows:
        if "error" in r:
            print(f"{r['region']:<15}{r['cells']:>11,}{r['populated_cells']:>11,}  failed after {r['wall']:.0f} s: "
                  f"{r['error']}")
            continue
        steps = "  ".join(f"{k} {v:.1f}/{r['step_peak'].get(k, float('nan')):.2f}"
                          for k, v in r["steps"].items() if v is not None)
        print(f"{r['region']:<15}{r['cells']:>11,}{r['populated_cells']:>11,}{r['units']:>7,}{r['total']:>8.1f}"
              f"{r['peak']:>9.2f}  {steps}")
    ok = [r for r in rows if "error" not in r and "-local" not in r["region"]]
    if len(ok) >= 2:
        x = np.log([r["populated_cells"] for r in ok])
        y = np.log([r["total"] for r in ok])
        slope = np.polyfit(x, y, 1)[0]
        print(f"scaling exponent (log run time vs log populated cells, {len(ok)} regions): {slope:.2f}")


def compile_times() -> None:
    """Fresh processes with an empty numba cache (compile) and then with it filled (load)."""
    code = ("import time, numpy as np; t0 = time.perf_counter();"
            "from urbanrural.analysis.accessibility import friction, raam, _bounded;"
            "import geopandas as gpd, shapely, pandas as pd;"
            "roads = gpd.GeoDataFrame({'speed_kmh': [60.0]}, geometry=[shapely.LineString([(0, 2500), (5000, 2500)])],"
            " crs=32650);"
            "t, sh = friction.grid_for((0, 0, 5000, 5000), resolution=100);"
            "surf = friction.friction_surface(roads, transform=t, shape=sh, crs=32650, off_road_kmh=5);"
            "friction.travel_time(surf, pd.DataFrame({'x': [100.0], 'y': [100.0]}));"
            "od = pd.DataFrame({'origin': [0, 0], 'destination': [0, 1], 'cost': [1.0, 2.0]});"
            "raam.raam(od, pd.Series([10.0]), pd.Series([1.0, 1.0]));"
            "print(round(time.perf_counter() - t0, 2))")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    print(f"numba kernels (friction Dijkstra, RAAM scan) in a fresh process: {cold.stdout.strip()} s with an empty "
          f"cache (compiling), {warm.stdout.strip()} s once cached (paid once per install)")


def friction_tile(root: Path, side: int = 2048) -> None:
    """Our friction engine beside xarray-spatial ``cost_distance`` and scikit-image
    ``MCP_Geometric`` on one 100 m tile of the province (roads at class speeds, walking
    elsewhere, the tile's facilities as sources); warm times, best of 3, equal results."""
    import geopandas as gpd
    import shapely

    from urbanrural.analysis.accessibility import friction

    cfg = make_region("province_100m", root / "province_100m")
    d = cfg.parent
    x0, y0 = 200_000.0 + 250_000, 3_300_000.0 + 250_000
    box = shapely.box(x0, y0, x0 + side * 100, y0 + side * 100)
    roads = gpd.read_file(d / "roads.gpkg", bbox=box.bounds)
    roads["speed_kmh"] = roads["road_class"].map({"national": 80.0, "provincial": 60.0, "county": 40.0})
    fac = gpd.read_file(d / "facilities.gpkg", bbox=box.bounds)
    fac = fac[fac.within(box)]
    t, shape = friction.grid_for(box.bounds, resolution=100)
    surf = friction.friction_surface(roads, transform=t, shape=shape, crs=roads.crs, off_road_kmh=5)
    fxy = pd.DataFrame({"x": fac.geometry.x, "y": fac.geometry.y})
    friction.travel_time(surf, fxy.iloc[:1])  # loads the cached kernel
    ours, t_ours = None, np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        ours = friction.travel_time(surf, fxy)
        t_ours = min(t_ours, time.perf_counter() - t0)
    cells = friction._cells(surf, fxy)[0]
    r, c = np.divmod(cells, shape[1])
    print(f"friction on a {shape[0]} x {shape[1]} tile of the 100 m province ({len(fac)} facilities, "
          f"{len(roads):,} road segments): ours {t_ours:.2f} s")
    try:
        import xarray as xr
        from xrspatial import cost_distance

        src = np.zeros(shape)
        src[r, c] = 1
        coords = {"y": np.arange(shape[0])[::-1] * 100.0, "x": np.arange(shape[1]) * 100.0}
        fr = xr.DataArray(surf.minutes_per_m, dims=("y", "x"), coords=coords)
        sa = xr.DataArray(src, dims=("y", "x"), coords=coords)
        cost_distance(sa, fr, connectivity=8)
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            theirs = cost_distance(sa, fr, connectivity=8).to_numpy()
            best = min(best, time.perf_counter() - t0)
        same = np.isfinite(ours) == np.isfinite(theirs)
        err = np.nanmax(np.abs(theirs - ours) / np.maximum(ours, 1e-9))
        print(f"  xarray-spatial cost_distance {best:.2f} s ({best / t_ours:.2f}x ours), same unreachable cells "
              f"{bool(same.all())}, max relative difference {err:.1e} (it returns float32)")
    except ImportError:
        print("  xarray-spatial not installed (pip install 'urbanrural[bench]')")
    try:
        from skimage.graph import MCP_Geometric

        best = np.inf
        for _ in range(2):
            t0 = time.perf_counter()
            costs, _ = MCP_Geometric(surf.minutes_per_m, fully_connected=True, sampling=(100, 100)).find_costs(
                list(zip(r, c, strict=True)))
            best = min(best, time.perf_counter() - t0)
        print(f"  scikit-image MCP_Geometric {best:.2f} s ({best / t_ours:.2f}x ours), max difference "
              f"{np.nanmax(np.abs(np.where(np.isfinite(costs), costs, 0) - np.where(np.isfinite(ours), ours, 0))):.1e}")
    except ImportError:
        print("  scikit-image not installed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--regions", nargs="+", default=["county", "prefecture", "province_1km"], choices=list(SPECS))
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "urbanrural-regions")
    ap.add_argument("--measures", default="nearest,2sfca,raam")
    ap.add_argument("--no-maps", action="store_true")
    ap.add_argument("--scheduler", default=None, help="also run each region on this scheduler (e.g. local)")
    ap.add_argument("--memory-gb", type=float, default=8.0)
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--compile", action="store_true", help="only measure numba's compile time")
    ap.add_argument("--friction", action="store_true", help="only the friction engines on a 100 m province tile")
    args = ap.parse_args()
    if args.compile:
        compile_times()
        return
    if args.friction:
        friction_tile(args.dir)
        return
    rows = []
    for name in args.regions:
        kw = dict(measures=args.measures.split(","), maps=not args.no_maps, memory_gb=args.memory_gb,
                  timeout=args.timeout)
        rows.append(run_region(name, args.dir, scheduler=None, **kw))
        if args.scheduler:
            r = run_region(name, args.dir, scheduler=args.scheduler, **kw)
            r["region"] = f"{name}-local"
            rows.append(r)
        show(rows[-2:] if args.scheduler else rows[-1:])
    print()
    show(rows)


if __name__ == "__main__":
    main()
