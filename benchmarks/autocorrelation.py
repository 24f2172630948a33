"""Fresh-process LISA: urbanrural.lisa vs esda.Moran_Local (numba compiles on first use).

Each timing runs in a new Python process (imports included), as a CLI run would pay it,
once with an empty numba cache (what a user's first run, or any run where the cache
directory is not writable, pays) and once with esda's kernels already cached.
Weights: a rook lattice (libpysal.weights.lat2W), row-standardised; 999 permutations.

    python benchmarks/autocorrelation.py            # 10k units
    python benchmarks/autocorrelation.py --large    # also 250k units (minutes)
    python benchmarks/autocorrelation.py --parallel [--workers 2] [--large]

``--parallel``: LISA and local G* on 15,000 units (a 120 x 125 queen lattice,
row-standardised, 999 permutations) in this process (``scheduler=None``) and as one dask
task per block of units on a LocalCluster of single-threaded worker processes
(``scheduler="dask"``); the seeded p-values are asserted equal. The cluster's start-up is
timed apart from the statistics. ``--large`` repeats it on 150,000 units (400 x 375).
The workers start without distributed's ``MALLOC_TRIM_THRESHOLD_=65536`` (see ``parallel``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

SNIPPET = {
    "urbanrural": (
        "import numpy as np, libpysal; from urbanrural.analysis.autocorrelation import lisa; "
        "w = libpysal.weights.lat2W({side}, {side}); w.transform = 'r'; "
        "y = np.random.default_rng(0).normal(size=w.n); r = lisa(y, w, permutations=999, seed=1); "
        "print(float(np.mean(r.p_sim)))"),
    "esda": (
        "import numpy as np, libpysal, esda; "
        "w = libpysal.weights.lat2W({side}, {side}); w.transform = 'r'; "
        "y = np.random.default_rng(0).normal(size=w.n); r = esda.Moran_Local(y, w, permutations=999, seed=1); "
        "print(float(np.mean(r.p_sim)))"),
}


def fresh(tool: str, side: int, cache: str | None) -> tuple[float, str]:
    env = dict(os.environ)
    if cache:
        env["NUMBA_CACHE_DIR"] = cache
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SNIPPET[tool].format(side=side)], capture_output=True, text=True,
                         check=True, env=env)
    return time.perf_counter() - t0, out.stdout.strip()


def main() -> None:
    sides = [100] + ([500] if "--large" in sys.argv else [])
    for side in sides:
        n = side * side
        for label in ("cold numba cache (first run after install)", "warm numba cache"):
            cache = tempfile.mkdtemp(prefix="numba-") if label.startswith("cold") else None
            t_ours, p_ours = fresh("urbanrural", side, cache)
            t_esda, p_esda = fresh("esda", side, cache)
            print(f"n={n:>7} {label}: urbanrural {t_ours:6.1f} s  esda {t_esda:6.1f} s  "
                  f"ratio esda/ours {t_esda / t_ours:5.2f}x  (mean pseudo p {p_ours} vs {p_esda})", flush=True)


def parallel(workers: int, rows: int = 120, cols: int = 125) -> None:
    import libpysal
    import numpy as np
    from distributed import Client, LocalCluster

    from urbanrural.analysis.autocorrelation import BLOCK_UNITS, lisa, local_g

    w = libpysal.weights.lat2W(rows, cols, rook=False)
    w.transform = "r"
    rng = np.random.default_rng(0)
    y = rng.normal(size=w.n)
    y = y + w.sparse @ y
    lisa(y, w, permutations=9, seed=1)  # warm imports
    t0 = time.perf_counter()
    serial = lisa(y, w, permutations=999, seed=1)
    t_serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    g_serial = local_g(y, w, permutations=999, seed=1)
    t_g_serial = time.perf_counter() - t0
    import dask

    # distributed starts workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc mmap and
    # unmap every numpy temporary over 128 kB: vectorised numpy runs 2-3x slower in the workers.
    # Without it (as in the main process) the blocks run at the serial speed.
    environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
               if k != "MALLOC_TRIM_THRESHOLD_"}
    t0 = time.perf_counter()
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit="1.5GB",
                         dashboard_address=None) as cluster, Client(cluster):
        t_start = time.perf_counter() - t0
        lisa(y, w, permutations=9, seed=1, scheduler="dask")  # workers import urbanrural
        t0 = time.perf_counter()
        dist = lisa(y, w, permutations=999, seed=1, scheduler="dask")
        t_dist = time.perf_counter() - t0
        t0 = time.perf_counter()
        g_dist = local_g(y, w, permutations=999, seed=1, scheduler="dask")
        t_g_dist = time.perf_counter() - t0
    assert np.array_equal(serial.p_sim, dist.p_sim) and np.array_equal(serial.z_sim, dist.z_sim)
    assert np.array_equal(g_serial["p_sim"].to_numpy(), g_dist["p_sim"].to_numpy())
    print(f"n={w.n} queen lattice, 999 permutations, blocks of {BLOCK_UNITS} units; cluster start {t_start:.1f} s")
    print(f"LISA     serial {t_serial:6.2f} s  LocalCluster({workers} workers) {t_dist:6.2f} s  "
          f"speed-up {t_serial / t_dist:4.2f}x  p-values equal: True")
    print(f"local G* serial {t_g_serial:6.2f} s  LocalCluster({workers} workers) {t_g_dist:6.2f} s  "
          f"speed-up {t_g_serial / t_g_dist:4.2f}x  p-values equal: True")


if __name__ == "__main__":
    if "--parallel" in sys.argv:
        workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 2
        parallel(workers)
        if "--large" in sys.argv:
            parallel(workers, 400, 375)  # 150,000 units
    else:
        main()
