"""DEGURBA level 2 on a Europe-size grid (~32M cells): wall time and peak memory.

The grid is the Belgium GHSL extract (../shared/data/degurba-belgium, 303 x 219 km)
tiled 22 x 22 times (~32M cells), or, without ../shared, a synthetic grid of the same
size with towns and villages. Peak memory is the process's maximum resident set size.

    python benchmarks/degurba.py
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

from urbanrural.analysis.degurba import classify_grid

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "degurba-belgium"


def grids(reps: int = 22):
    if SHARED.is_dir():
        import rasterio

        def read(name, scale=1.0):
            with rasterio.open(SHARED / name) as src:
                a = src.read(1).astype("float32")
                if src.nodata is not None and not np.isnan(src.nodata):
                    a[a == src.nodata] = np.nan
            return np.tile(a / scale, (reps, reps))

        return read("POP.tif"), read("LAND.tif", 1e6), read("BUILT_S.tif", 1e6), "Belgium GHSL tiled"
    rng = np.random.default_rng(0)
    shape = (4000, 8000)
    pop = rng.gamma(0.3, 200, shape).astype("float32")
    return pop, None, None, "synthetic"


def main() -> None:
    pop, land, built, what = grids()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    classes = classify_grid(pop, land=land, built=built, level=2)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{what}: {pop.size / 1e6:.1f}M cells, level 2 in {dt:.1f} s; peak RSS {peak:,.0f} MB "
          f"(inputs alone {rss0:,.0f} MB); classes {sorted(set(np.unique(classes).tolist()))}")
    print("targets: <= 10 s and <= 2 GB peak (GHSL tool 10 s / 5.7 GB; flexurba 187 s / 8.8 GB)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
