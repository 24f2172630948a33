"""RAAM: urbanrural vs pysal ``access`` on the same OD table, side by side in one process.

A county-like table: origins on a 100 x 100 grid of populated cells (lognormal people),
``--facilities`` facilities at random, travel = straight-line minutes at 30 km/h,
options within 30 minutes. Both run ``access``'s 150 cycles; results must be equal
(relative 1e-9). Then ours runs with ``max_cycles=2000`` and stops once the assignment
settles (exactly what 2000 cycles would give).

    python benchmarks/raam.py [--facilities 60] [--quick]

``--prefecture``: the scale of issue 16 instead. 1.0M origins on a 1000 x 1000 grid of
100 m cells (lognormal people), 1,840 facilities at random, straight-line minutes at
30 km/h x ``--circuity`` (default 1.0), pairs within 30 minutes, built as the compact
table (``euclidean.od_table(..., compact=True)``); then every FCA measure and RAAM as the
accessibility step calls them, each timed, with the process's peak resident memory.

    python benchmarks/raam.py --prefecture [--side 1000] [--circuity 1.0] [--max-cycles 1000] [--before]

``--before`` times the same study on the path before the compact table (a DataFrame of
ids, RAAM's full-scan engine): run it in its own process for its own peak memory, on a
smaller ``--side`` (it needs ~60 bytes a pair; 1000 x 1000 would pass 8 GB).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prefecture(side: int, n_fac: int, circuity: float, max_cycles: int, old: bool, before: bool) -> None:
    from urbanrural.analysis.accessibility import euclidean, fca, raam
    from urbanrural.analysis.accessibility.decay import gaussian

    rng = np.random.default_rng(16)
    gx, gy = np.meshgrid(np.arange(side) * 100.0 + 50, np.arange(side) * 100.0 + 50)
    points = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel()})
    points.index.name = "origin"
    people = pd.Series(np.round(np.exp(rng.normal(1.5, 1.3, len(points))), 1), index=points.index)
    people[people <= 0] = 0.1
    fdf = pd.DataFrame({"x": rng.uniform(0, side * 100.0, n_fac), "y": rng.uniform(0, side * 100.0, n_fac)})
    cap = pd.Series(rng.integers(1, 60, n_fac).astype(float))
    max_cost = 30.0
    print(f"prefecture: {len(points):,} origins ({people.sum():,.0f} people), {n_fac:,} facilities, "
          f"30 km/h x {circuity}, <= {max_cost:g} min; baseline peak {peak_mb():,.0f} MB")
    fca.two_step_fca(euclidean.od_table(points.iloc[:2000], fdf, max_cost=max_cost, compact=True), people.iloc[:2000],
                     cap, max_cost=max_cost)  # compile/load the kernels outside the timings
    raam.raam(euclidean.od_table(points.iloc[:2000], fdf, max_cost=max_cost, compact=True), people.iloc[:2000],
              cap, max_cycles=30)
    t_od, od = timed(euclidean.od_table, points, fdf, max_cost=max_cost, speed_kmh=30, circuity=circuity,
                     compact=True)
    print(f"  OD table: {len(od):,} pairs in {t_od:.1f} s CPU, {od.nbytes / 1e9:.2f} GB "
          f"({od.nbytes / len(od):.1f} B/pair); peak {peak_mb():,.0f} MB")
    engine = "auto"
    if before:  # the path before the compact table: a DataFrame of ids, RAAM's full-scan engine
        t, od = timed(od.to_frame)
        engine = "scan"
        print(f"  --before: DataFrame of ids in {t:.1f} s CPU more; peak {peak_mb():,.0f} MB")
    calls = {
        "2sfca": lambda: fca.two_step_fca(od, people, cap, max_cost=max_cost),
        "e2sfca": lambda: fca.enhanced_two_step_fca(od, people, cap, max_cost=max_cost),
        "g2sfca": lambda: fca.gaussian_two_step_fca(od, people, cap, max_cost=max_cost),
        "3sfca": lambda: fca.three_step_fca(od, people, cap, max_cost=max_cost),
        "gravity": lambda: fca.gravity(od, cap, decay=gaussian(max_cost / 2), max_cost=max_cost,
                                       origins=points.index),
        "cumulative": lambda: fca.cumulative(od, cap, threshold=max_cost, origins=points.index),
    }
    total = 0.0
    for name, call in calls.items():
        t, _ = timed(call)
        total += t
        print(f"  {name:<10} {t:6.2f} s CPU")
    t, r = timed(raam.raam, od, people, cap, tau=60, max_cycles=max_cycles, engine=engine)
    total += t
    print(f"  raam       {t:6.2f} s CPU: {r.cycles} cycles, period {r.period}, converged {r.converged}, "
          f"moved {r.moved}")
    print(f"  FCA measures + RAAM: {total:.1f} s CPU; peak resident memory {peak_mb():,.0f} MB")
    if old:
        t, r0 = timed(raam.raam, od, people, cap, tau=60, max_cycles=max_cycles, engine="scan")
        same = np.array_equal(r0.cost.to_numpy(), r.cost.to_numpy(), equal_nan=True)
        print(f"  raam engine='scan' (full scan every cycle, the previous engine): {t:.1f} s CPU, same bits: {same}")


def timed(fn, *a, **k):
    """Seconds of CPU time of this process (the wall clock on a shared machine counts the
    other processes' turns too) and the result."""
    t0 = time.process_time()
    out = fn(*a, **k)
    return time.process_time() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--facilities", type=int, default=60)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--prefecture", action="store_true")
    ap.add_argument("--side", type=int, default=1000)
    ap.add_argument("--circuity", type=float, default=1.0)
    ap.add_argument("--max-cycles", type=int, default=1000)
    ap.add_argument("--old", action="store_true", help="with --prefecture: also the full-scan engine")
    ap.add_argument("--before", action="store_true",
                    help="with --prefecture: the DataFrame path and the full-scan engine instead (run it apart: "
                         "its own peak memory; ~60 bytes a pair, keep --side small)")
    args = ap.parse_args()
    if args.prefecture:
        prefecture(args.side, 1840 if args.facilities == 60 else args.facilities, args.circuity, args.max_cycles,
                   args.old, args.before)
        return
    from access.raam import raam as access_raam

    from urbanrural.analysis.accessibility.raam import raam

    side = 40 if args.quick else 100
    rng = np.random.default_rng(0)
    gx, gy = np.meshgrid(np.arange(side) * 500.0, np.arange(side) * 500.0)
    oxy = np.column_stack([gx.ravel(), gy.ravel()])
    fxy = rng.uniform(0, side * 500.0, (args.facilities, 2))
    dist = np.hypot(oxy[:, None, 0] - fxy[None, :, 0], oxy[:, None, 1] - fxy[None, :, 1])
    minutes = dist / (30_000 / 60)
    o, d = np.nonzero(minutes <= 30)
    od = pd.DataFrame({"origin": o, "destination": d, "cost": minutes[o, d]})
    demand = pd.Series(np.round(np.exp(rng.normal(2, 1.2, len(oxy))), 2))
    supply = pd.Series(rng.integers(5, 100, args.facilities).astype(float))
    print(f"RAAM: {len(oxy):,} origins x {args.facilities} facilities, {len(od):,} OD pairs within 30 min")
    raam(od.iloc[:50], demand, supply, max_cycles=2)  # compile the numba scan outside the timing
    t0 = time.perf_counter()
    theirs = access_raam(demand.rename("demand").to_frame(), supply.rename("supply").to_frame(),
                         od.rename(columns={"destination": "dest"}))
    t_a = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = raam(od, demand, supply)
    t_u = time.perf_counter() - t0
    err = float(np.max(np.abs(ours.cost.loc[theirs.index].to_numpy() - theirs.to_numpy()) / theirs.to_numpy()))
    assert err <= 1e-9, err
    print(f"  150 cycles: access {t_a:.2f} s, urbanrural {t_u:.2f} s ({t_a / t_u:.1f}x), max relative difference {err:.1e}")
    t0 = time.perf_counter()
    settled = raam(od, demand, supply, max_cycles=2000)
    t_s = time.perf_counter() - t0
    print(f"  to 2000 cycles: urbanrural {t_s:.2f} s, settled after {settled.cycles} cycles "
          f"(period {settled.period}); access would run all 2000 (~{t_a / 150 * 2000:.0f} s at its pace)")


if __name__ == "__main__":
    main()
