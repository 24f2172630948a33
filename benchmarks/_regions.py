"""Synthetic study regions for benchmarks/scale.py, generated deterministically (fixed seeds).

Each region is a rectangle in UTM 50N with the demo's ingredients at a chosen size:
village units (clipped Voronoi cells of jittered seeds), a population raster (towns as
Gaussian peaks on a patchy rural background, ``populated`` share of the cells with
people), a road lattice cut into ~1 km segments (national / provincial / county classes),
and hospitals and clinics placed where the people are, with capacities.

=============  ========  ========  ==========  ===========  ======================
region         extent    cell      units       facilities   populated cells
=============  ========  ========  ==========  ===========  ======================
county         40x32 km  200 m     120         ~115         ~25k
prefecture     140 km    100 m     2,000       ~1,840       ~1.0M
province_1km   700 km    1 km      15,000      ~13,800      ~0.49M
province_100m  700 km    100 m     15,000      ~13,800      ~10M
=============  ========  ========  ==========  ===========  ======================

    python benchmarks/_regions.py prefecture /tmp/regions/prefecture
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
import yaml
from rasterio.transform import from_origin

CRS = "EPSG:32650"
X0, Y0 = 200_000.0, 3_300_000.0  # south-west corner (UTM 50N, central China latitudes)
SPEEDS = {"national": 80.0, "provincial": 60.0, "county": 40.0}


@dataclass(frozen=True)
class Spec:
    width_km: float
    height_km: float
    cell_m: float
    units: int
    facilities: int
    populated: float          # share of cells with people
    road_spacing_km: float
    people: float             # total people
    towns: int


SPECS = {
    "county": Spec(40, 32, 200, 120, 115, 0.8, 1.2, 450_000, 3),
    "prefecture": Spec(140, 140, 100, 2_000, 1_840, 0.51, 2.5, 6_000_000, 12),
    "province_1km": Spec(700, 700, 1000, 15_000, 13_800, 1.0, 2.5, 60_000_000, 60),
    "province_100m": Spec(700, 700, 100, 15_000, 13_800, 0.2, 2.5, 60_000_000, 60),
}


def _units(rng: np.random.Generator, spec: Spec) -> gpd.GeoDataFrame:
    w, h = spec.width_km * 1000, spec.height_km * 1000
    nx = max(int(round(np.sqrt(spec.units * w / h))), 1)
    ny = int(np.ceil(spec.units / nx))
    gx, gy = np.meshgrid((np.arange(nx) + 0.5) * w / nx, (np.arange(ny) + 0.5) * h / ny)
    pts = np.column_stack([gx.ravel(), gy.ravel()])[: spec.units]
    pts += rng.uniform(-0.35, 0.35, pts.shape) * np.array([w / nx, h / ny])
    box = shapely.box(X0, Y0, X0 + w, Y0 + h)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts + [X0, Y0]), extend_to=box)
    polys = shapely.intersection(np.asarray(shapely.get_parts(cells)), box)
    seeds = shapely.points(pts + [X0, Y0])
    tree = shapely.STRtree(polys)
    order = tree.query(seeds, predicate="within")  # seed -> its Voronoi cell
    poly_of = np.empty(len(seeds), dtype=np.intp)
    poly_of[order[0]] = order[1]
    codes = [f"{i:06d}" for i in range(len(seeds))]
    return gpd.GeoDataFrame({"code": codes, "name": [f"Village {c}" for c in codes]},
                            geometry=polys[poly_of], crs=CRS)


def _population(rng: np.random.Generator, spec: Spec) -> tuple[np.ndarray, object]:
    res = spec.cell_m
    ncol = int(round(spec.width_km * 1000 / res))
    nrow = int(round(spec.height_km * 1000 / res))
    transform = from_origin(X0, Y0 + nrow * res, res, res)
    # patchy settlement: a coarse random field, upsampled; the top `populated` share has people
    coarse_m = 5000.0
    cr, cc = int(np.ceil(nrow * res / coarse_m)) + 1, int(np.ceil(ncol * res / coarse_m)) + 1
    field = rng.gamma(2.0, 1.0, (cr, cc)).astype(np.float32)
    towns = np.column_stack([rng.uniform(0, spec.width_km * 1000, spec.towns),
                             rng.uniform(0, spec.height_km * 1000, spec.towns),
                             rng.uniform(1500, 5000, spec.towns), rng.uniform(4000, 12000, spec.towns)])
    pop = np.empty((nrow, ncol), dtype=np.float32)
    block = max(1, int(4_000_000 // ncol))
    xs = (np.arange(ncol) + 0.5) * res
    noise_rng = np.random.default_rng(rng.integers(2**32))
    for r0 in range(0, nrow, block):
        r1 = min(r0 + block, nrow)
        ys = spec.height_km * 1000 - (np.arange(r0, r1) + 0.5) * res
        fi = field[(ys // coarse_m).astype(int)][:, (xs // coarse_m).astype(int)]
        base = fi * noise_rng.lognormal(0.0, 0.8, (r1 - r0, ncol)).astype(np.float32)
        for tx, ty, sigma, peak in towns:  # people per km2 at the town centre
            if abs(ty - ys).min() > 4 * sigma:
                continue
            dy2 = ((ys - ty) ** 2)[:, None]
            near = np.abs(xs - tx) < 4 * sigma
            base[:, near] += (peak * np.exp(-(dy2 + (xs[near] - tx) ** 2) / (2 * sigma**2)) / 50.0).astype(np.float32)
        pop[r0:r1] = base
    if spec.populated < 1:
        cut = np.quantile(pop[:: max(1, nrow // 500), :: max(1, ncol // 500)], 1 - spec.populated)
        pop[pop < cut] = 0
    pop *= np.float32(spec.people / float(pop.sum(dtype=np.float64)))
    return pop, transform


def _roads(spec: Spec) -> gpd.GeoDataFrame:
    w, h = spec.width_km * 1000, spec.height_km * 1000
    step = spec.road_spacing_km * 1000
    seg = 1000.0
    parts = []
    for horizontal in (True, False):
        span, across = (w, h) if horizontal else (h, w)
        lines = np.arange(step / 2, across, step)
        # segment ends every ~1 km and at every crossing, so the lattice shares its vertices
        bounds = np.union1d(np.union1d(np.arange(0, span, seg), np.arange(step / 2, span, step)), [span])
        a, b = np.meshgrid(lines, np.arange(len(bounds) - 1), indexing="ij")
        s0, s1 = bounds[b.ravel()], bounds[b.ravel() + 1]
        c = a.ravel()
        idx = np.repeat(np.arange(len(lines)), len(bounds) - 1)
        klass = np.where(idx % 20 == 0, "national", np.where(idx % 5 == 0, "provincial", "county"))
        if horizontal:
            coords = np.stack([np.column_stack([s0, c]), np.column_stack([s1, c])], axis=1)
        else:
            coords = np.stack([np.column_stack([c, s0]), np.column_stack([c, s1])], axis=1)
        coords += [X0, Y0]
        parts.append(gpd.GeoDataFrame({"road_class": klass}, geometry=shapely.linestrings(coords), crs=CRS))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CRS)


def _facilities(rng: np.random.Generator, spec: Spec, pop: np.ndarray, transform) -> gpd.GeoDataFrame:
    flat = pop.ravel()
    nz = np.flatnonzero(flat > 0)
    p = flat[nz].astype(np.float64)
    pick = rng.choice(nz, size=spec.facilities, replace=False, p=p / p.sum())
    rows, cols = np.divmod(pick, pop.shape[1])
    xs, ys = rasterio.transform.xy(transform, rows, cols)
    xs = np.asarray(xs) + rng.uniform(-0.3, 0.3, len(pick)) * spec.cell_m
    ys = np.asarray(ys) + rng.uniform(-0.3, 0.3, len(pick)) * spec.cell_m
    hospital = rng.random(len(pick)) < 0.2
    cap = np.where(hospital, rng.integers(50, 500, len(pick)), rng.integers(2, 20, len(pick)))
    return gpd.GeoDataFrame({"type": np.where(hospital, "hospital", "clinic"), "capacity": cap.astype(float)},
                            geometry=shapely.points(np.column_stack([xs, ys])), crs=CRS)


def config(measures: list[str], maps: bool = True) -> dict:
    """The study configuration every region runs (relative paths)."""
    cfg = {
        "name": "Synthetic region (benchmark)", "crs": CRS,
        "units": {"path": "units.gpkg", "id": "code", "name": "name"},
        "population": {"raster": "population.tif"},
        "facilities": [{"path": "facilities.gpkg", "category_column": "type", "capacity": "capacity"}],
        "roads": {"path": "roads.gpkg", "class": "road_class", "speeds": dict(SPEEDS), "off_road_speed": 5},
        "analyses": {
            "urban_rural": {"method": "degurba"},
            "accessibility": {"mode": "network", "thresholds": [15, 30, 60], "max_cost": 30,
                              "measures": measures},
            "autocorrelation": {"variables": ["tt_hospital_min"], "weights": "queen", "permutations": 999,
                                "seed": 1},
        },
        "outputs": {"dir": "results", "formats": ["html", "png", "pdf", "svg"],
                    "maps": ["tt_hospital_min", "facilities", "degurba", "lisa:tt_hospital_min"] if maps else []},
    }
    return cfg


def make_region(name: str, out: str | Path, *, measures: list[str] | None = None, maps: bool = True) -> Path:
    """Write region ``name`` (a key of :data:`SPECS`) into ``out``; return its config path.
    Reuses the data files when ``out`` already holds them (the config is rewritten)."""
    spec = SPECS[name]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    measures = measures or ["nearest", "2sfca", "raam"]
    if not (out / "facilities.gpkg").exists():
        rng = np.random.default_rng(20261130 + list(SPECS).index(name))
        _units(rng, spec).to_file(out / "units.gpkg", layer="units", driver="GPKG")
        pop, transform = _population(rng, spec)
        profile = dict(driver="GTiff", width=pop.shape[1], height=pop.shape[0], count=1, dtype="float32",
                       crs=CRS, transform=transform, nodata=-9999.0, compress="deflate", tiled=True,
                       blockxsize=512, blockysize=512, BIGTIFF="IF_SAFER")
        with rasterio.open(out / "population.tif", "w", **profile) as dst:
            dst.write(pop, 1)
        _roads(spec).to_file(out / "roads.gpkg", layer="roads", driver="GPKG")
        _facilities(rng, spec, pop, transform).to_file(out / "facilities.gpkg", layer="facilities", driver="GPKG")
        (out / "stats.yaml").write_text(yaml.safe_dump({
            "cells": int(pop.size), "populated_cells": int((pop > 0).sum()), "people": float(pop.sum())}))
        del pop
    path = out / "region.yaml"
    path.write_text(yaml.safe_dump(config(measures, maps), sort_keys=False), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(make_region(sys.argv[1], sys.argv[2]))
