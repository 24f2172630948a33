"""Shared fixtures: paths to reference data, libpysal examples, small synthetic layers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(autouse=True)
def _urbanrural_logger():
    """The CLI points the "urbanrural" logger at its own stderr handler (propagate off); put it
    back after every test so caplog-based tests see records whatever ran before them."""
    import logging

    log = logging.getLogger("urbanrural")
    handlers, propagate, level = list(log.handlers), log.propagate, log.level
    yield
    log.handlers[:] = handlers
    log.propagate, log.level = propagate, level


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium (Debian's) for the session; tests skip when there is none."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary (Debian: apt-get install chromium)")
    sync = pytest.importorskip("playwright.sync_api")
    with sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests using it skip when it is absent (a bare clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (reference grids live beside the repo)")
    return SHARED_DATA


@pytest.fixture
def small_study(tmp_path: Path) -> Path:
    """A tiny complete study (6 units, a population raster, 2 facility files, roads,
    indicators) written in tmp_path; returns the config path."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import rasterio
    import shapely
    import yaml
    from rasterio.transform import from_origin

    x0, y0 = 400_000.0, 4_300_000.0
    d = tmp_path / "study"
    d.mkdir()
    codes = ["0101001", "0101002", "0101003", "0101004", "0101005", "0101006"]
    geoms = [shapely.box(x0 + 2000 * (i % 3), y0 + 2000 * (i // 3), x0 + 2000 * (i % 3 + 1),
                         y0 + 2000 * (i // 3 + 1)) for i in range(6)]
    units = gpd.GeoDataFrame({"code": codes, "name": [f"Zhen {i}" for i in range(6)],
                              "urban_class": [111, 121, 210, 220, 220, 112]},
                             geometry=geoms, crs=32650)
    units.to_crs(4326).to_file(d / "units.gpkg")
    pop = np.random.default_rng(0).integers(0, 50, size=(40, 60)).astype("float32")
    pop[0, 0] = -9999
    with rasterio.open(d / "pop.tif", "w", driver="GTiff", width=60, height=40, count=1,
                       dtype="float32", crs="EPSG:32650", nodata=-9999,
                       transform=from_origin(x0, y0 + 4000, 100, 100)) as dst:
        dst.write(pop, 1)
    gpd.GeoDataFrame({"beds": [100, 20]}, geometry=[shapely.Point(x0 + 1000, y0 + 1000),
                     shapely.Point(x0 + 5000, y0 + 3000)], crs=32650).to_file(d / "hospitals.gpkg")
    pts = gpd.GeoSeries([shapely.Point(x0 + 3000, y0 + 1000)], crs=32650).to_crs(4326)
    pd.DataFrame({"lon": pts.x, "lat": pts.y, "seats": [300]}).to_csv(d / "schools.csv", index=False)
    roads = [shapely.LineString([(x0, y0 + 1000), (x0 + 6000, y0 + 1000)]),
             shapely.LineString([(x0 + 3000, y0), (x0 + 3000, y0 + 4000)]),
             shapely.LineString([(x0, y0 + 3000), (x0 + 6000, y0 + 3000)])]
    gpd.GeoDataFrame({"road_class": ["county", "village", "village"]}, geometry=roads,
                     crs=32650).to_file(d / "roads.gpkg")
    pd.DataFrame({"code": codes, "income": [30, 25, 12, 10, 11, 28],
                  "nonfarm_share": [0.9, 0.7, 0.3, 0.2, 0.25, 0.8]}).to_csv(d / "ind.csv", index=False)
    cfg = {
        "name": "Small test county",
        "units": {"path": "units.gpkg", "id": "code", "name": "name"},
        "population": {"raster": "pop.tif"},
        "facilities": [
            {"path": "hospitals.gpkg", "category": "hospital", "capacity": "beds"},
            {"path": "schools.csv", "x": "lon", "y": "lat", "crs": "EPSG:4326", "category": "school",
             "capacity": "seats"},
        ],
        "roads": {"path": "roads.gpkg", "class": "road_class",
                  "speeds": {"county": 40, "village": 25}},
        "indicators": {"path": "ind.csv", "id": "code"},
        "outputs": {"dir": "out"},
    }
    path = d / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path
