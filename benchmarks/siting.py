"""MCLP speed: urbanrural (HiGHS via highspy on a reduced sparse model) vs spopt (PuLP + HiGHS).

Synthetic demand cells and candidate sites, uniform in a 50 km square; cost = straight
line km / speed * 60 minutes (default 25 km/h, so the 30-minute cutoff is 12.5 km and
20 sites can cover everyone); only pairs within the cutoff are in the OD table; demand
Poisson(50) + 1 people per cell.  At 10-15 km/h (k = 20 covers ~65-99 %) the problem is a
hard MILP for any HiGHS front end: our exact solve took 428 s at 10 km/h on 10,000 x 1,000
(2 cores); try ``--speed 10 --exact 3000,300`` for a partial-coverage comparison.

1. 10,000 cells x 1,000 candidates, k = 20: our exact solve (input checks, reductions,
   MILP) vs spopt ``MCLP.from_cost_matrix`` (dense matrix, build + solve) with
   ``pulp.HiGHS(gapRel=0)``; the objectives must agree to 1e-9.  Our heuristic there too.
2. 100,000 cells x 5,000 candidates, k = 20: the heuristic (greedy + swaps) with its
   Lagrangian upper bound: time and gap.

    python benchmarks/siting.py [--speed 15] [--large 100000,5000] [--no-spopt]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

CUTOFF, K, SIDE = 30.0, 20, 50.0


def timed(fn, *a, **k):
    t0 = time.perf_counter()
    out = fn(*a, **k)
    return time.perf_counter() - t0, out


def instance(n_dem: int, n_cand: int, speed: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, SIDE, (n_dem, 2))
    s = rng.uniform(0, SIDE, (n_cand, 2))
    km = cKDTree(p).sparse_distance_matrix(cKDTree(s), CUTOFF / 60 * speed, output_type="ndarray")
    pts = pd.Index([f"c{i:06d}" for i in range(n_dem)])
    sites = pd.Index([f"s{j:05d}" for j in range(n_cand)])
    od = pd.DataFrame({"origin": pd.Categorical.from_codes(km["i"], categories=pts),
                       "destination": pd.Categorical.from_codes(km["j"], categories=sites),
                       "cost": km["v"] / speed * 60})
    demand = pd.Series(rng.poisson(50, n_dem) + 1.0, index=pts)
    return od, demand, p, s


def bench_exact(n_dem: int, n_cand: int, speed: float, spopt: bool) -> None:
    from urbanrural.analysis.siting import mclp

    od, demand, p, s = instance(n_dem, n_cand, speed)
    print(f"{n_dem:,} cells x {n_cand:,} candidates, {len(od):,} pairs within {CUTOFF:g} min, "
          f"k = {K}")
    t_ours, res = timed(mclp, od, demand, k=K, max_cost=CUTOFF, solver="highs")
    total = demand.sum()
    print(f"  urbanrural exact  {t_ours:7.2f} s  covered {res.objective:,.0f} of {total:,.0f} "
          f"({res.objective / total:.1%}), status {res.status}; {res.notes[-1]}")
    t_h, heur = timed(mclp, od, demand, k=K, max_cost=CUTOFF, solver="heuristic")
    print(f"  urbanrural heur.  {t_h:7.2f} s  covered {heur.objective:,.0f}: "
          f"{heur.objective / res.objective:.4%} of the optimum, reported gap {heur.gap:.3%}")
    if not spopt:
        return
    import pulp
    from spopt.locate import MCLP

    t0 = time.perf_counter()
    cost = np.hypot(p[:, None, 0] - s[None, :, 0], p[:, None, 1] - s[None, :, 1]) / speed * 60
    model = MCLP.from_cost_matrix(cost, demand.to_numpy(), service_radius=CUTOFF, p_facilities=K)
    t_build = time.perf_counter() - t0
    t_solve, _ = timed(model.solve, pulp.HiGHS(msg=False, gapRel=0.0))
    ref = float(model.problem.objective.value())
    diff = abs(ref - res.objective)
    assert diff <= 1e-9 * max(1.0, ref), (ref, res.objective)
    t_sp = t_build + t_solve
    print(f"  spopt + PuLP/HiGHS {t_sp:6.2f} s  (build {t_build:.2f} s, solve {t_solve:.2f} s), "
          f"covered {ref:,.0f}; |difference| {diff:.1e}")
    print(f"  ratio spopt / urbanrural: {t_sp / t_ours:.1f}x")


def bench_heuristic(n_dem: int, n_cand: int, speed: float) -> None:
    from urbanrural.analysis.siting import mclp

    t_gen, (od, demand, _, _) = timed(instance, n_dem, n_cand, speed)
    print(f"{n_dem:,} cells x {n_cand:,} candidates, {len(od):,} pairs (generated in {t_gen:.1f} s), "
          f"k = {K}")
    t, res = timed(mclp, od, demand, k=K, max_cost=CUTOFF, solver="heuristic")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = demand.sum()
    print(f"  urbanrural heuristic {t:7.2f} s  covered {res.objective:,.0f} of {total:,.0f} "
          f"({res.objective / total:.1%}); upper bound {res.bound:,.0f}, gap {res.gap:.3%}; "
          f"process max RSS {rss:,.0f} MiB")
    print(f"  {res.notes[-2]}; {res.notes[-1]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed", type=float, default=25.0, help="km/h (default 25)")
    ap.add_argument("--exact", default="10000,1000", help="cells,candidates for exact vs spopt")
    ap.add_argument("--large", default="100000,5000", help="cells,candidates for the heuristic")
    ap.add_argument("--no-spopt", action="store_true")
    args = ap.parse_args()
    bench_exact(*map(int, args.exact.split(",")), args.speed, not args.no_spopt)
    bench_heuristic(*map(int, args.large.split(",")), args.speed)


if __name__ == "__main__":
    main()
