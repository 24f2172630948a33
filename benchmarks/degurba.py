"""DEGURBA level 2 on a Europe-size grid (~32M cells): wall time and peak memory.

The grid is the Belgium GHSL extract (../shared/data/degurba-belgium, 303 x 219 km)
tiled 22 x 22 times (6,666 x 4,818 = 32.1M cells, ~5,000 urban centres), as float32;
without ../shared, a synthetic grid of the same size (gamma-distributed people with
towns).  Targets: <= 10 s and <= 2 GB peak (GHSL's tool: 10 s / 5.7 GB; flexurba:
187 s / 8.8 GB, both on a faster laptop).

Peak memory is measured two ways: the process's maximum resident set size
(``resource.getrusage``, includes the ~0.4 GB of inputs and the interpreter) and, with
``--tracemalloc``, the peak of Python/numpy allocations during the classification alone
(tracemalloc slows the run down; its time is not the benchmark time).

    python benchmarks/degurba.py [--reps 22] [--level 2] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from urbanrural.analysis.degurba import classify_grid

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "degurba-belgium"


def grids(reps: int):
    if SHARED.is_dir():
        import rasterio

        def read(name: str, scale: float = 1.0) -> np.ndarray:
            with rasterio.open(SHARED / name) as src:
                a = src.read(1).astype("float32")
                if src.nodata is not None and not np.isnan(src.nodata):
                    a[a == src.nodata] = np.nan
            return np.tile(a / np.float32(scale), (reps, reps))

        return read("POP.tif"), read("LAND.tif", 1e6), read("BUILT_S.tif", 1e6), f"Belgium GHSL tiled {reps}x{reps}"
    rng = np.random.default_rng(0)
    shape = (219 * reps, 303 * reps)
    pop = rng.gamma(0.3, 200, shape).astype("float32")
    towns = rng.integers(0, pop.size, pop.size // 2000)
    pop.ravel()[towns] += 4000
    return pop, None, None, "synthetic"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=22)
    ap.add_argument("--level", type=int, default=2)
    ap.add_argument("--tracemalloc", action="store_true")
    args = ap.parse_args()
    pop, land, built, what = grids(args.reps)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    classes = classify_grid(pop, land=land, built=built, level=args.level)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    codes, counts = np.unique(classes, return_counts=True)
    print(f"{what}: {pop.size / 1e6:.1f}M cells, level {args.level} in {dt:.2f} s "
          f"({dt / 10:.2f} x the 10 s target); peak RSS {peak:,.0f} MB ({peak / 2048:.2f} x the 2 GB target; "
          f"inputs and interpreter before the run {rss0:,.0f} MB)")
    print("cells per class:", dict(zip(codes.tolist(), counts.tolist(), strict=True)))
    if args.tracemalloc:
        tracemalloc.start()
        classify_grid(pop, land=land, built=built, level=args.level)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"tracemalloc peak during the classification: {top / 2**20:,.0f} MB")


if __name__ == "__main__":
    main()
