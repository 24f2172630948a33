"""DEGURBA on dask: serial vs tiled vs a LocalCluster, and an out-of-core run (issue 16).

The population is a synthetic "continent" made lazily by dask, tile by tile, as a
function of cell coordinates (any chunking gives the same grid; regenerated whenever a
pass needs it, never held whole): a low-density background and towns placed per
200 x 200-cell district from a seed of the district, so a tile only draws the towns
near it.

``compare`` (default 3,000 x 3,000 cells, 500-cell tiles): the in-memory
``classify_grid`` on the computed grid, ``classify_grid_tiled`` with the synchronous
scheduler, with dask's threads, and on a ``LocalCluster(n_workers=2,
threads_per_worker=1, memory_limit=...)``; codes must be equal.

``out-of-core`` (default 25,000 x 40,000 = 1e9 float32 cells = 4 GB, 2,500-cell
tiles): classified on a LocalCluster of 2 workers with a 2 GB memory limit each,
written to a GeoTIFF block row by block row; reports wall time, time per 1e8 cells and
the peak resident memory of the workers (sampled with psutil).

    python benchmarks/degurba_dask.py compare [--size 3000] [--chunk 500]
    python benchmarks/degurba_dask.py out-of-core [--rows 25000] [--cols 40000] [--chunk 2500]

Measured 2026-11-30 on the shared 2-core, 24 GB machine (other agents' work running
beside it: load average 4-8; codes equal in every run):

- compare, 3,000 x 3,000: generation 0.4 s; serial ``classify_grid`` 1.6 s; tiled,
  synchronous 3.3 s, threads 3.5 s, LocalCluster 2 workers x 1 thread 16.8 s (tiled
  times include regenerating the input in each of the ~6 passes, the price of never
  holding it; on a grid that fits in memory the cluster only adds scheduling and
  transfers between processes);
- out-of-core, 25,000 x 40,000 = 1e9 float32 cells (4 GB), 2,500-cell tiles,
  LocalCluster 2 workers x 2 GB: 609 s wall (61 s per 1e8 cells), peak worker RSS
  1.08 GB, class GeoTIFF 33 MB (an earlier run, before majority passes were limited to
  tiles whose halo changed and under a load average of 9-13: 854 s, 0.88 GB).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import psutil

from urbanrural.analysis.degurba import MOLLWEIDE, classify_grid, classify_grid_tiled

DISTRICT = 200


def _towns(i: int, j: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng([seed, i + 1000, j + 1000])  # districts from -1 on the edges
    n = rng.poisson(2.0)
    y = (i + rng.uniform(0, 1, n)) * DISTRICT
    x = (j + rng.uniform(0, 1, n)) * DISTRICT
    return y, x, rng.lognormal(6.5, 0.9, n), rng.uniform(1.5, 12.0, n)


def _tile(block_info=None, *, seed: int) -> np.ndarray:
    (r0, r1), (c0, c1) = block_info[None]["array-location"]
    rr = np.arange(r0, r1, dtype=np.float32)[:, None]
    cc = np.arange(c0, c1, dtype=np.float32)[None, :]
    out = (20.0 + 15.0 * np.sin(rr * 0.013)) * (1.2 + np.cos(cc * 0.011))
    h = (np.arange(r0, r1, dtype=np.uint32)[:, None] * np.uint32(73856093)) ^ (
        np.arange(c0, c1, dtype=np.uint32)[None, :] * np.uint32(19349663))
    out *= 0.5 + (h & np.uint32(1023)).astype(np.float32) / np.float32(1024)
    m = 60  # 5 sigma of the widest town
    for i in range((r0 - m) // DISTRICT, (r1 + m) // DISTRICT + 1):
        for j in range((c0 - m) // DISTRICT, (c1 + m) // DISTRICT + 1):
            for y, x, p, s in zip(*_towns(i, j, seed), strict=True):
                ya, yb = max(r0, int(y - 5 * s)), min(r1, int(y + 5 * s) + 1)
                xa, xb = max(c0, int(x - 5 * s)), min(c1, int(x + 5 * s) + 1)
                if ya < yb and xa < xb:
                    dy = np.arange(ya, yb, dtype=np.float32)[:, None] - y
                    dx = np.arange(xa, xb, dtype=np.float32)[None, :] - x
                    out[ya - r0:yb - r0, xa - c0:xb - c0] += p * np.exp(-(dy * dy + dx * dx) / (2 * s * s))
    return out.astype(np.float32)


def continent(rows: int, cols: int, chunk: int, *, seed: int = 16) -> da.Array:
    return da.map_blocks(_tile, chunks=da.core.normalize_chunks(chunk, (rows, cols)), dtype=np.float32,
                         meta=np.empty((0, 0), np.float32), seed=seed)


def _cluster(memory_limit: str):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                           dashboard_address=":0")
    return cluster, Client(cluster)


class _PeakRSS:
    """Peak resident memory of the given processes, sampled every 0.2 s."""

    def __init__(self, pids: list[int]):
        self.procs = [psutil.Process(p) for p in pids]
        self.peak = {p: 0 for p in pids}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pr in self.procs:
                try:
                    self.peak[pr.pid] = max(self.peak[pr.pid], pr.memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(0.2)

    def __enter__(self) -> _PeakRSS:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def compare(size: int, chunk: int, memory_limit: str) -> None:
    pop = continent(size, size, chunk)
    t = time.perf_counter()
    arr = pop.compute(scheduler="synchronous")
    t_gen = time.perf_counter() - t
    print(f"grid {size} x {size} ({size * size / 1e6:.0f}M cells), tiles {chunk}; generated in {t_gen:.1f} s")
    t = time.perf_counter()
    serial = classify_grid(arr)
    t_serial = time.perf_counter() - t
    print(f"serial classify_grid (in memory):               {t_serial:6.1f} s")
    for name, sched in (("synchronous", "synchronous"), ("threads", "threads")):
        with dask.config.set(scheduler=sched):
            t = time.perf_counter()
            codes = classify_grid_tiled(continent(size, size, chunk)).compute()
            dt = time.perf_counter() - t
        assert np.array_equal(codes, serial), name
        print(f"classify_grid_tiled, {name:<12} (+ generation): {dt:6.1f} s  equal")
    cluster, client = _cluster(memory_limit)
    try:
        t = time.perf_counter()
        codes = classify_grid_tiled(continent(size, size, chunk), client=client)
        codes = client.compute(codes).result()
        dt = time.perf_counter() - t
        assert np.array_equal(codes, serial), "LocalCluster"
        print(f"classify_grid_tiled, LocalCluster 2x1 ({memory_limit}):   {dt:6.1f} s  equal")
    finally:
        client.close()
        cluster.close()


def out_of_core(rows: int, cols: int, chunk: int, memory_limit: str, out_dir: Path | None) -> None:
    cells = rows * cols
    print(f"grid {rows} x {cols} = {cells / 1e9:.2f}e9 float32 cells ({cells * 4 / 1e9:.1f} GB), tiles {chunk}, "
          f"LocalCluster 2 workers x {memory_limit}")
    cluster, client = _cluster(memory_limit)
    try:
        pids = list(client.run(lambda: __import__("os").getpid()).values())
        with tempfile.TemporaryDirectory(dir=out_dir) as d, _PeakRSS(pids) as peak:
            t = time.perf_counter()
            out = classify_grid_tiled(continent(rows, cols, chunk), client=client, scratch=d,
                                      out=Path(d) / "classes.tif", transform=_transform(rows), crs=MOLLWEIDE)
            dt = time.perf_counter() - t
            size_mb = out.stat().st_size / 1e6
            import rasterio

            with rasterio.open(out) as src:
                sample = src.read(1, window=((rows // 2 - 500, rows // 2 + 500), (0, 1000)))
        print(f"wall {dt:.0f} s = {dt / (cells / 1e8):.1f} s per 1e8 cells; GeoTIFF {size_mb:.0f} MB; "
              f"peak worker RSS {max(peak.peak.values()) / 1e9:.2f} GB; sample classes "
              f"{dict(zip(*np.unique(sample, return_counts=True), strict=True))}")
    finally:
        client.close()
        cluster.close()


def _transform(rows: int):
    import rasterio

    return rasterio.Affine(1000, 0, -20_000_000, 0, -1000, rows * 1000 / 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")
    c = sub.add_parser("compare")
    c.add_argument("--size", type=int, default=3000)
    c.add_argument("--chunk", type=int, default=500)
    c.add_argument("--memory-limit", default="2GB")
    o = sub.add_parser("out-of-core")
    o.add_argument("--rows", type=int, default=25_000)
    o.add_argument("--cols", type=int, default=40_000)
    o.add_argument("--chunk", type=int, default=2500)
    o.add_argument("--memory-limit", default="2GB")
    o.add_argument("--out-dir", type=Path, default=None)
    a = ap.parse_args()
    if a.cmd == "out-of-core":
        out_of_core(a.rows, a.cols, a.chunk, a.memory_limit, a.out_dir)
    else:
        compare(getattr(a, "size", 3000), getattr(a, "chunk", 500), getattr(a, "memory_limit", "2GB"))


if __name__ == "__main__":
    main()
