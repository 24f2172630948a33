"""Fixtures for map tests: small layers, and a headless Chromium with the network blocked."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely


@pytest.fixture
def grid_units() -> gpd.GeoDataFrame:
    """25 square units in UTM 50N with a value, a class column, a NaN and a hostile name."""
    geoms = [shapely.box(400_000 + 1000 * (i % 5), 4_300_000 + 1000 * (i // 5), 401_000 + 1000 * (i % 5),
                         4_301_000 + 1000 * (i // 5)) for i in range(25)]
    rng = np.random.default_rng(0)
    v = rng.uniform(0, 100, 25)
    v[3] = np.nan
    names = [f"unit {i}" for i in range(25)]
    names[7] = "<img src=x onerror=alert(1)>"
    lisa = np.array(["HH", "LL", "LH", "HL", "ns"] * 5, dtype=object)
    return gpd.GeoDataFrame({"name": names, "value": v, "lisa_value": lisa,
                             "degurba_l2": [30, 23, 22, 21, 13] * 5},
                            geometry=geoms, crs=32650, index=[f"{i:03d}" for i in range(25)])


class Browser:
    """Open local HTML with every network request aborted and counted."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

        def route(r):
            url = r.request.url
            if url.startswith(("file:", "data:", "about:")):
                r.continue_()
            else:
                self.requests.append(url)
                r.abort()

        page.route("**/*", route)

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_timeout(300)

    def drawn(self, where: str = "true") -> int:
        """Interactive vector features on the map (SVG paths or canvas: maps with facilities
        draw every vector layer on one canvas), optionally those where the JS expression
        ``where`` of ``l`` holds (e.g. ``"l.options.weight > 2"``)."""
        return self.page.evaluate(DRAWN.replace("WHERE", where))


#: count the map's interactive vector layers (Leaflet API, whatever the renderer)
DRAWN = """(() => { const m = Object.values(window).find(v => v instanceof L.Map); let n = 0;
  m.eachLayer(l => { if (l instanceof L.Path && l.options.interactive !== false && (WHERE)) n++; });
  return n; })()"""


@pytest.fixture
def browser(chromium):
    page = chromium.new_page(viewport={"width": 900, "height": 700})
    yield Browser(page)
    page.close()
