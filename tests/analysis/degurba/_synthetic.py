"""A deterministic synthetic "continent" of people per 1 km cell, generated lazily by
dask tile by tile (a function of cell coordinates: any chunking gives the same grid).

Gaussian towns and cities on a low-density background, plus fixed features that stress
tiling: a large city centred on a corner shared by four tiles, cities cut by the top and
right raster edges, a 450-people-per-cell corridor along one row crossing every tile, a
lake (no people, land share 0.2) and a no-data corner.
"""

from __future__ import annotations

import dask.array as da
import numpy as np


def cities(h: int, w: int, seed: int, n: int | None = None) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    n = n or max(3, h * w // 20_000)
    cy, cx = rng.uniform(0, h, n), rng.uniform(0, w, n)
    peak = rng.lognormal(6.5, 0.9, n)
    sigma = rng.uniform(1.5, 12.0, n)
    cy, cx = np.r_[cy, h / 2, 3.0, h * 0.4], np.r_[cx, w / 2, w * 0.3, w - 2.0]
    peak, sigma = np.r_[peak, 6000.0, 5000.0, 4000.0], np.r_[sigma, 20.0, 10.0, 8.0]
    return cy, cx, peak, sigma


def block(r0: int, r1: int, c0: int, c1: int, *, towns: tuple[np.ndarray, ...], h: int, w: int) -> np.ndarray:
    rr, cc = np.mgrid[r0:r1, c0:c1].astype(np.float64)
    out = 8.0 + 40.0 * (np.sin(rr * 0.013) * np.cos(cc * 0.011) + 1.0)
    noise = np.sin(rr * 12.9898 + cc * 78.233) * 43758.5453
    out *= 0.5 + (noise - np.floor(noise))
    cy, cx, peak, sigma = towns
    for y, x, p, s in zip(cy, cx, peak, sigma, strict=True):
        ya, yb = max(r0, int(y - 5 * s)), min(r1, int(y + 5 * s) + 1)
        xa, xb = max(c0, int(x - 5 * s)), min(c1, int(x + 5 * s) + 1)
        if ya < yb and xa < xb:
            sl = (slice(ya - r0, yb - r0), slice(xa - c0, xb - c0))
            out[sl] += p * np.exp(-((rr[sl] - y) ** 2 + (cc[sl] - x) ** 2) / (2 * s * s))
    out[rr == h // 3] += 450.0
    out[((rr - h * 0.7) ** 2 / 900 + (cc - w * 0.2) ** 2 / 4000) < 1] = 0.0
    out[(rr > h - 40) & (cc < 40)] = np.nan
    return out.astype(np.float32)


def population(h: int, w: int, chunks: int, *, seed: int = 16) -> da.Array:
    towns = cities(h, w, seed)

    def gen(block_info=None):
        (r0, r1), (c0, c1) = block_info[None]["array-location"]
        return block(r0, r1, c0, c1, towns=towns, h=h, w=w)

    return da.map_blocks(gen, chunks=da.core.normalize_chunks(chunks, (h, w)), dtype=np.float32,
                         meta=np.empty((0, 0), np.float32))


def land(pop: da.Array) -> da.Array:
    return da.where(pop == 0, np.float32(0.2), np.float32(1.0))


def built(pop: da.Array) -> da.Array:
    return (pop / np.float32(8000)).clip(0, 1)
