"""Fresh-process LISA: urbanrural.lisa vs esda.Moran_Local (numba compiles on first use).

Each timing runs in a new Python process (imports included), as a CLI run would pay it,
once with an empty numba cache (what a user's first run, or any run where the cache
directory is not writable, pays) and once with esda's kernels already cached.
Weights: a rook lattice (libpysal.weights.lat2W), row-standardised; 999 permutations.

    python benchmarks/autocorrelation.py            # 10k units
    python benchmarks/autocorrelation.py --large    # also 250k units (minutes)
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


if __name__ == "__main__":
    main()
