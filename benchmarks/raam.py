"""RAAM: urbanrural vs pysal ``access`` on the same OD table, side by side in one process.

A county-like table: origins on a 100 x 100 grid of populated cells (lognormal people),
``--facilities`` facilities at random, travel = straight-line minutes at 30 km/h,
options within 30 minutes. Both run ``access``'s 150 cycles; results must be equal
(relative 1e-9). Then ours runs with ``max_cycles=2000`` and stops once the assignment
settles (exactly what 2000 cycles would give).

    python benchmarks/raam.py [--facilities 60] [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--facilities", type=int, default=60)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
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
