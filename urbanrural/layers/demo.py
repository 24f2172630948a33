"""A synthetic demo county that exercises every part of urbanrural.

Everything here is SYNTHETIC: generated from a fixed random seed, placed on the North
China Plain (UTM zone 50N, around 115.4 E, 38.5 N) only so that coordinates, CRS checks
and Chinese map-service conversions behave as they do on real data. No figure describes
a real place.

What :func:`demo_region` writes (GeoPackage + GeoTIFF + CSV, with ``demo.yaml``):

- ``units.gpkg``: 120 village units (Voronoi cells clipped to the county outline) in
  12 townships; text codes with leading zeros (``"001003"``: township 001, village 003);
  ``urban_code``, China's official urban-rural classification code (111 main urban
  area ... 220 village), assigned from the synthetic settlement pattern.
- ``population.tif``: people per 200 m cell (EPSG:32650, nodata -9999 outside the
  county): a county seat of about 95,000, two towns of about 15,000, scattered
  villages and a thin rural background; a reservoir is empty.
- ``roads.gpkg``: national, provincial, county and village roads (classes with speeds in
  ``demo.yaml``), with nodes at shared vertices, and one disconnected farm track.
- ``facilities.gpkg``: hospital, health_centre, clinic, nursing_home, bus_stop and
  post_office points (column ``type``) with ``capacity`` (beds, doctors or 1) and
  ``opened`` (year): most opened long before 2019; four village clinics and one nursing
  home in rural townships opened 2021-2023 (:func:`new_facilities`), so the panel's travel
  times to them fall over the years; every facility is open in 2023.
- ``schools.csv``: primary schools as lon/lat in GCJ-02, as copied from a Chinese web
  map (``crs: gcj02`` in the config converts them), with ``seats``.
- ``indicators.csv``: urban and rural figures per unit: income and consumption per
  capita (yuan), non-farm employment share, beds and doctors per 1,000, pension
  coverage, broadband and tap-water shares, forest cover (%).
- ``flows.csv``: origin, destination, kind (commuting, migration, capital), year, volume.

Examples
--------
>>> import tempfile, pathlib
>>> from urbanrural.layers.demo import demo_region
>>> cfg = demo_region(pathlib.Path(tempfile.mkdtemp()) / "demo")
>>> cfg.name, sorted(p.name for p in cfg.parent.iterdir() if not p.name.startswith("."))[:3]
('demo.yaml', ['README.md', 'demo.yaml', 'facilities.gpkg'])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
import yaml
from numpy.typing import NDArray
from pyproj import Transformer
from rasterio.features import geometry_mask
from rasterio.transform import from_origin

from ..geo.china import wgs84_to_gcj02
from ..geo.io import atomic_dir, ensure_new

__all__ = ["demo_region", "DEMO_CRS", "SPEEDS", "new_facilities"]

DEMO_CRS = "EPSG:32650"
SEED = 20261122
CELL = 200.0
X0, Y0 = 350_000.0, 4_240_000.0  # lower-left corner of the county's bounding box
WIDTH_M, HEIGHT_M = 40_000.0, 36_000.0
SPEEDS = {"national": 80, "provincial": 60, "county": 40, "village": 25}
TOWNSHIP_NAMES = ["Chengguan", "Dongzhuang", "Xiying", "Nanliu", "Beiguan", "Gaocun", "Liuhe",
                  "Shahe", "Wangjia", "Zhaoxian", "Baiyang", "Hedong"]
TOWNSHIP_NAMES_ZH = ["城关镇", "东庄乡", "西营乡", "南柳乡", "北关镇", "高村乡", "柳河镇", "沙河乡",
                     "王家乡", "赵县乡", "白杨乡", "河东乡"]


@dataclass(frozen=True)
class _Town:
    name: str
    x: float
    y: float
    peak_per_km2: float
    sigma_m: float


TOWNS = (
    _Town("county seat", X0 + 19_000, Y0 + 17_000, 9_000.0, 1_300.0),
    _Town("Liuhe town", X0 + 31_000, Y0 + 27_000, 3_800.0, 800.0),
    _Town("Beiguan town", X0 + 9_000, Y0 + 28_000, 3_800.0, 800.0),
)


def _outline(rng: np.random.Generator) -> shapely.Polygon:
    """An irregular county outline inside the bounding box."""
    cx, cy = X0 + WIDTH_M / 2, Y0 + HEIGHT_M / 2
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    radius = 1 + 0.08 * np.sin(3 * angles + 0.7) + 0.05 * np.cos(5 * angles) + rng.uniform(-0.03, 0.03, 48)
    xs = cx + 0.47 * WIDTH_M * radius * np.cos(angles)
    ys = cy + 0.47 * HEIGHT_M * radius * np.sin(angles)
    xs = np.clip(xs, X0 + 200, X0 + WIDTH_M - 200)
    ys = np.clip(ys, Y0 + 200, Y0 + HEIGHT_M - 200)
    return shapely.Polygon(np.column_stack([xs, ys]))


def _reservoir() -> shapely.Polygon:
    return shapely.Point(X0 + 27_000, Y0 + 9_000).buffer(1_600).intersection(
        shapely.box(X0 + 25_000, Y0 + 7_800, X0 + 30_000, Y0 + 10_400))


def _protected(outline: shapely.Polygon) -> gpd.GeoDataFrame:
    """Land the demo's siting must avoid: the reservoir's protection zone and a forest ridge
    under the ecological protection red line (生态保护红线)."""
    ridge = shapely.box(X0 + 4_000, Y0 + 26_000, X0 + 16_000, Y0 + 33_000)
    zones = [_reservoir().buffer(2_500), ridge]
    return gpd.GeoDataFrame({"name": ["reservoir protection zone", "forest ridge"],
                             "name_zh": ["水源保护区", "林地生态保护红线"]},
                            geometry=[z.intersection(outline) for z in zones], crs=DEMO_CRS)


def _units(rng: np.random.Generator, outline: shapely.Polygon) -> gpd.GeoDataFrame:
    """120 village units in 12 townships, Voronoi cells clipped to the outline."""
    minx, miny, maxx, maxy = outline.bounds
    seeds: list[tuple[float, float]] = []
    while len(seeds) < 120:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if outline.contains(shapely.Point(x, y)) and all((x - a) ** 2 + (y - b) ** 2 > 1_800 ** 2 for a, b in seeds):
            seeds.append((x, y))
    pts = np.array(seeds)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=outline.buffer(5_000))
    polys = [shapely.intersection(c, outline) for c in shapely.get_parts(cells)]
    # Voronoi output order is not the input order: match each cell to its seed
    owner = [int(np.flatnonzero(shapely.contains_xy(p, pts[:, 0], pts[:, 1]))[0]) for p in polys]
    geoms = np.empty(len(pts), dtype=object)
    for poly, i in zip(polys, owner, strict=True):
        geoms[i] = poly
    # townships: 12 groups by nearest township seat (k-means style, 8 rounds, deterministic)
    centres = pts[rng.choice(len(pts), 12, replace=False)]
    centres[0] = (TOWNS[0].x, TOWNS[0].y)
    for _ in range(8):
        lab = np.argmin(((pts[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        centres = np.array([pts[lab == k].mean(0) if (lab == k).any() else centres[k] for k in range(12)])
    lab = np.argmin(((pts[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    # township 1 (Chengguan) holds the county seat
    seat = int(lab[np.argmin(((pts - (TOWNS[0].x, TOWNS[0].y)) ** 2).sum(1))])
    order = [seat] + [k for k in np.argsort(centres[:, 1] * -1e6 + centres[:, 0]) if k != seat]
    rank = {k: r for r, k in enumerate(order)}
    township = np.array([rank[k] for k in lab])
    codes, names, names_zh = [], [], []
    counter: dict[int, int] = {}
    ordering = np.lexsort((pts[:, 0], -pts[:, 1], township))
    code_of = np.empty(len(pts), dtype=object)
    for i in ordering:
        t = int(township[i])
        counter[t] = counter.get(t, 0) + 1
        code_of[i] = f"{t + 1:03d}{counter[t]:03d}"
    for i in range(len(pts)):
        t = int(township[i])
        n = int(code_of[i][3:])
        codes.append(code_of[i])
        names.append(f"{TOWNSHIP_NAMES[t]} {n}")
        names_zh.append(f"{TOWNSHIP_NAMES_ZH[t]}{n}村")
    gdf = gpd.GeoDataFrame({"code": codes, "name": names, "name_zh": names_zh,
                            "township": [f"{t + 1:03d}" for t in township],
                            "township_name": [TOWNSHIP_NAMES[t] for t in township]},
                           geometry=list(geoms), crs=DEMO_CRS)
    return gdf.sort_values("code").reset_index(drop=True)


def _population(rng: np.random.Generator, outline: shapely.Polygon, villages: np.ndarray) -> tuple[np.ndarray, object]:
    """People per 200 m cell: towns (Gaussian), villages (small Gaussians), background."""
    ncols, nrows = int(WIDTH_M / CELL), int(HEIGHT_M / CELL)
    transform = from_origin(X0, Y0 + HEIGHT_M, CELL, CELL)
    xs = X0 + (np.arange(ncols) + 0.5) * CELL
    ys = Y0 + HEIGHT_M - (np.arange(nrows) + 0.5) * CELL
    gx, gy = np.meshgrid(xs, ys)
    cell_km2 = (CELL / 1000) ** 2
    density = np.full(gx.shape, 18.0) * rng.uniform(0.5, 1.5, gx.shape)
    for t in TOWNS:
        density += t.peak_per_km2 * np.exp(-((gx - t.x) ** 2 + (gy - t.y) ** 2) / (2 * t.sigma_m ** 2))
    for (vx, vy), people in zip(villages[:, :2], villages[:, 2], strict=True):
        sigma = 220.0
        density += people / (2 * np.pi * (sigma / 1000) ** 2) * np.exp(-((gx - vx) ** 2 + (gy - vy) ** 2) / (2 * sigma ** 2))
    pop = density * cell_km2
    water = geometry_mask([_reservoir()], out_shape=pop.shape, transform=transform, invert=True)
    pop[water] = 0.0
    outside = geometry_mask([outline], out_shape=pop.shape, transform=transform)
    pop = np.round(pop, 2).astype("float32")
    pop[outside] = -9999.0
    return pop, transform


def _villages(rng: np.random.Generator, units: gpd.GeoDataFrame) -> np.ndarray:
    """One settlement per unit (x, y, people) near the unit's representative point."""
    rep = units.geometry.representative_point()
    people = rng.lognormal(mean=np.log(900), sigma=0.5, size=len(units))
    jitter = rng.normal(0, 250, size=(len(units), 2))
    pts = np.column_stack([rep.x + jitter[:, 0], rep.y + jitter[:, 1]])
    inside = shapely.contains_xy(units.geometry.to_numpy(), pts[:, 0], pts[:, 1])
    pts[~inside] = np.column_stack([rep.x, rep.y])[~inside]
    return np.column_stack([pts, people])


def _line(*pts: tuple[float, float], step: float = 500.0) -> shapely.LineString:
    """A polyline through ``pts`` with a vertex every ``step`` metres (for snapping)."""
    return shapely.segmentize(shapely.LineString(pts), step)


def _roads(units: gpd.GeoDataFrame, villages: np.ndarray, township_seats: dict[str, tuple[float, float]],
           outline: shapely.Polygon) -> gpd.GeoDataFrame:
    seat = (TOWNS[0].x, TOWNS[0].y)
    minx, miny, maxx, maxy = outline.bounds
    rows: list[tuple[str, str, shapely.LineString]] = []
    # national road: west-east through the county seat, kinked, crossing the county
    rows.append(("G107", "national", _line((minx - 100, seat[1] - 3_000), seat, (maxx + 100, seat[1] + 2_000))))
    # provincial roads: county seat to each town, and on to the county edge
    for t in TOWNS[1:]:
        edge = (t.x + (t.x - seat[0]) * 0.25, t.y + (t.y - seat[1]) * 0.25)
        rows.append((f"S{len(rows) + 200}", "provincial", _line(seat, (t.x, t.y), edge)))
    rows.append(("S235", "provincial", _line(seat, (seat[0] - 2_000, miny - 100))))
    # county roads: county seat to every township seat (not the seat's own township)
    for code, (x, y) in township_seats.items():
        if (x, y) != seat:
            rows.append((f"X{code}", "county", _line(seat, (x, y))))
    # village roads: each village to its township seat
    for (vx, vy), township in zip(villages[:, :2], units["township"], strict=True):
        tx, ty = township_seats[township]
        if np.hypot(vx - tx, vy - ty) > 50:
            rows.append(("", "village", _line((vx, vy), (tx, ty))))
    # a disconnected farm track where the county is farthest from any road (a network island)
    network = shapely.union_all([r[2] for r in rows])
    gx, gy = np.meshgrid(np.arange(minx, maxx, 500.0), np.arange(miny, maxy, 500.0))
    cand = shapely.points(gx.ravel(), gy.ravel())
    cand = cand[shapely.contains(outline.buffer(-1_500), cand)]
    far = cand[int(np.argmax(shapely.distance(cand, network)))]
    half = min(600.0, 0.4 * shapely.distance(far, network))
    rows.append(("", "village", _line((far.x - half, far.y - half / 2), (far.x + half, far.y + half / 2), step=200)))
    gdf = gpd.GeoDataFrame({"ref": [r[0] for r in rows], "road_class": [r[1] for r in rows]},
                           geometry=[r[2] for r in rows], crs=DEMO_CRS)
    gdf["geometry"] = gdf.geometry.intersection(outline.buffer(3_000))
    return gdf[~gdf.geometry.is_empty].reset_index(drop=True)


def _facilities(rng: np.random.Generator, units: gpd.GeoDataFrame, villages: np.ndarray,
                township_seats: dict[str, tuple[float, float]], roads: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    rows: list[tuple[str, str, float, float, float]] = []
    seat = TOWNS[0]
    rows.append(("County People's Hospital", "hospital", 520, seat.x + 300, seat.y + 200))
    rows.append(("County TCM Hospital", "hospital", 180, seat.x - 600, seat.y - 400))
    rows.append(("Liuhe Central Hospital", "hospital", 120, TOWNS[1].x + 150, TOWNS[1].y - 100))
    for i, (code, (x, y)) in enumerate(sorted(township_seats.items())):
        name = TOWNSHIP_NAMES[int(code) - 1]
        rows.append((f"{name} Health Centre", "health_centre", float(rng.integers(15, 45)), x + 120, y + 80))
        rows.append((f"{name} Post Office", "post_office", 1.0, x - 90, y + 60))
        if i % 2 == 0:
            rows.append((f"{name} Nursing Home", "nursing_home", float(rng.integers(30, 120)), x + 200, y - 150))
    has_clinic = rng.random(len(units)) < 0.6
    for (vx, vy, _), name, ok in zip(villages, units["name"], has_clinic, strict=True):
        if ok:
            rows.append((f"{name} Clinic", "clinic", float(rng.integers(1, 4)), vx + 40, vy + 30))
    # bus stops every ~2.5 km along national, provincial and county roads
    trunk = roads[roads["road_class"].isin(["national", "provincial", "county"])]
    for k, geom in enumerate(trunk.geometry):
        for d in np.arange(1_000, geom.length, 2_500):
            p = geom.interpolate(d)
            rows.append((f"Bus stop {k}-{int(d)}", "bus_stop", 1.0, p.x + 15, p.y + 15))
    fac = gpd.GeoDataFrame({"name": [r[0] for r in rows], "type": [r[1] for r in rows],
                            "capacity": [r[2] for r in rows]},
                           geometry=gpd.points_from_xy([r[3] for r in rows], [r[4] for r in rows]), crs=DEMO_CRS)
    # primary schools: one per township seat plus larger villages; lon/lat in GCJ-02
    big = np.argsort(-villages[:, 2])[:14]
    pts = [(x + 60, y - 60) for x, y in township_seats.values()] + [(villages[i, 0] - 70, villages[i, 1] + 50) for i in big]
    lon, lat = Transformer.from_crs(DEMO_CRS, "EPSG:4326", always_xy=True).transform(*np.array(pts).T)
    glon, glat = wgs84_to_gcj02(lon, lat)
    schools = pd.DataFrame({"school": [f"Primary School {i + 1}" for i in range(len(pts))],
                            "lon": np.round(glon, 7), "lat": np.round(glat, 7),
                            "seats": rng.integers(180, 900, len(pts))})
    return fac, schools


# the facilities opened during the panel: (type, year), in rural townships far from the seat
_NEW = (("clinic", 2021), ("clinic", 2021), ("clinic", 2022), ("clinic", 2023), ("nursing_home", 2022))


def _opening_years(fac: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """The year each facility opened: 1950-2018 (its own random stream, so nothing else moves),
    except :data:`_NEW`: village clinics and a nursing home farthest from the county seat in
    rural townships (one per township), opened 2021-2023."""
    rng = np.random.default_rng(SEED + 2)
    years = rng.integers(1950, 2019, len(fac)).astype(float)
    rural_towns = set(units.loc[units["urban_code"] >= 210, "township"]) - \
        set(units.loc[units["urban_code"] < 200, "township"])
    township = {n: t for n, t in zip(units["name"], units["township"], strict=True)}
    township.update({TOWNSHIP_NAMES[int(t) - 1]: t for t in units["township"]})
    d = np.hypot(fac.geometry.x - TOWNS[0].x, fac.geometry.y - TOWNS[0].y).to_numpy()
    town_of = [township.get(str(n).rsplit(" ", 1)[0], township.get(str(n).split(" ")[0])) for n in fac["name"]]
    used: set[str] = set()
    for kind, year in _NEW:
        for i in np.argsort(-d, kind="stable"):
            if fac["type"].iat[i] == kind and town_of[i] in rural_towns and town_of[i] not in used \
                    and years[i] < 2019:
                years[i] = year
                used.add(town_of[i])
                break
    return years


def new_facilities(facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The demo facilities opened during the panel (2019 or later)."""
    return facilities[facilities["opened"] >= 2019]


def _urban_codes(units: gpd.GeoDataFrame) -> pd.Series:
    """China's urban-rural code from the synthetic settlement pattern (seat, towns, villages)."""
    c = units.geometry.representative_point()
    d_seat = np.hypot(c.x - TOWNS[0].x, c.y - TOWNS[0].y)
    d_town = np.min([np.hypot(c.x - t.x, c.y - t.y) for t in TOWNS[1:]], axis=0)
    code = np.full(len(units), 220)
    code[d_town < 6_000] = 210
    code[d_seat < 7_000] = 210
    code[d_town < 2_500] = 122
    code[d_town < 1_200] = 121
    code[d_seat < 4_500] = 112
    code[d_seat < 2_500] = 111
    # a unit containing a town centre is that town's core
    for t, core in zip(TOWNS, (111, 121, 121), strict=True):
        hit = units.geometry.contains(shapely.Point(t.x, t.y)).to_numpy()
        code[hit] = core
    return pd.Series(code, index=units.index)


def _indicators(rng: np.random.Generator, units: gpd.GeoDataFrame) -> pd.DataFrame:
    c = units.geometry.representative_point()
    d_km = np.hypot(c.x - TOWNS[0].x, c.y - TOWNS[0].y) / 1000
    urbanness = np.exp(-d_km / 8.0)
    n = len(units)

    def noisy(base: np.ndarray, rel: float) -> np.ndarray:
        return base * rng.normal(1.0, rel, n)

    income_urban = noisy(38_000 + 9_000 * urbanness, 0.05)
    income_rural = noisy(15_500 + 8_500 * urbanness, 0.08)
    return pd.DataFrame({
        "code": units["code"], "name": units["name"],
        "income_urban": np.round(income_urban, 0),
        "income_rural": np.round(income_rural, 0),
        "consumption_urban": np.round(income_urban * rng.uniform(0.62, 0.72, n), 0),
        "consumption_rural": np.round(income_rural * rng.uniform(0.70, 0.85, n), 0),
        "nonfarm_share": np.round(np.clip(noisy(35 + 40 * urbanness, 0.12), 5, 95), 1),
        "beds_per_1000": np.round(noisy(2.2 + 5.0 * urbanness, 0.15), 2),
        "doctors_per_1000": np.round(noisy(1.1 + 2.4 * urbanness, 0.15), 2),
        "pension_coverage": np.round(np.clip(noisy(84 + 12 * urbanness, 0.04), 50, 100), 1),
        "broadband_share": np.round(np.clip(noisy(55 + 35 * urbanness, 0.10), 10, 100), 1),
        "tap_water_share": np.round(np.clip(noisy(78 + 20 * urbanness, 0.05), 30, 100), 1),
        "forest_cover": np.round(np.clip(noisy(28 - 18 * urbanness, 0.25), 1, 80), 1),
    })


YEARS = (2019, 2020, 2021, 2022, 2023)
# yearly growth of each indicator towards the latest year (shares in points a year)
_GROWTH = {"income_urban": 0.05, "income_rural": 0.07, "consumption_urban": 0.04, "consumption_rural": 0.06,
           "nonfarm_share": 1.5, "beds_per_1000": 0.03, "doctors_per_1000": 0.03, "pension_coverage": 0.8,
           "broadband_share": 4.0, "tap_water_share": 1.0, "forest_cover": 0.2}
_POINTS = {"nonfarm_share", "pension_coverage", "broadband_share", "tap_water_share", "forest_cover"}
# what falls in the declining units (a plant closed, young people left): a few % a year
_DECLINE = ("income_rural", "consumption_rural", "nonfarm_share", "beds_per_1000", "doctors_per_1000",
            "pension_coverage", "broadband_share", "tap_water_share")


def declining_units(units: gpd.GeoDataFrame) -> list[str]:
    """The three demo units built to fall behind between 2019 and 2023 (far from the seat)."""
    c = units.geometry.representative_point()
    d_km = np.hypot(c.x - TOWNS[0].x, c.y - TOWNS[0].y)
    order = np.argsort(-d_km.to_numpy(), kind="stable")
    return [str(units["code"].iat[i]) for i in order[[0, 6, 12]]]


def _indicator_years(latest: pd.DataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """The indicators of 2019-2023 (long, with a year column): the latest year as drawn, earlier
    years grown back with small noise; three units decline instead (:func:`declining_units`)."""
    rng = np.random.default_rng(SEED + 1)  # its own stream: the latest year stays as before
    falling = latest["code"].astype(str).isin(declining_units(units)).to_numpy()
    rows = []
    for year in YEARS:
        t = YEARS[-1] - year
        frame = latest.copy()
        for col, g in _GROWTH.items():
            v = latest[col].to_numpy(dtype=float)
            noise = rng.normal(1.0, 0.01, len(v))
            back = v - g * t if col in _POINTS else v / (1.0 + g) ** t
            if col in _DECLINE:  # these units had more before: 6 % (or 2.5 points) a year
                back = np.where(falling, v + 2.5 * t if col in _POINTS else v * 1.06 ** t, back)
            back = back * (noise if t else 1.0)
            digits = 0 if col.startswith(("income", "consumption")) else (2 if col.endswith("1000") else 1)
            frame[col] = np.round(np.clip(back, 0.5, 100.0) if col in _POINTS else back, digits)
        frame.insert(2, "year", year)
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def _flows(units: gpd.GeoDataFrame, pop: pd.Series) -> pd.DataFrame:
    """Commuting, migration and capital flows of 2023 with a deliberate rural->urban lean.

    Each unit sends to its strongest gravity destinations (population ** 1.2 / km ** 2);
    towns attract more than villages, and what villages send to towns outweighs what towns
    send back (commuters, migrants and capital all lean rural->urban), as the integration
    literature reports for counties. Units whose China urban-rural code
    starts with 1 are town units here (the run classifies them itself).
    """
    c = units.geometry.representative_point()
    xy = np.column_stack([c.x, c.y])
    d = np.hypot(*(xy[:, None, :] - xy[None]).transpose(2, 0, 1)) / 1000 + 1.0
    town = units["urban_code"].astype(str).str.startswith("1").to_numpy()
    p = pop.to_numpy(dtype=float)
    codes = units["code"].to_numpy()
    rows: list[tuple[str, str, str, int, float]] = []

    def send(kind: str, rate: np.ndarray, pull: np.ndarray, top: int, beta: float, digits: int,
             to: np.ndarray | None = None) -> None:
        g = (p ** 1.2 * pull)[None, :] / d ** beta
        np.fill_diagonal(g, 0)
        if to is not None:
            g[:, ~to] = 0
        for i in np.flatnonzero(rate > 0):
            best = np.argsort(-g[i])[:top]
            share = g[i, best] / g[i, best].sum()
            for j, s in zip(best, share, strict=True):
                v = round(float(rate[i] * p[i] * s), digits)
                if v > 0:
                    rows.append((codes[i], codes[j], kind, 2023, v))

    def stay(kind: str, rate: np.ndarray, digits: int) -> None:  # work and money that stay inside the unit
        for i in range(len(units)):
            v = round(float(rate[i] * p[i] * 0.5), digits)
            if v > 0:
                rows.append((codes[i], codes[i], kind, 2023, v))

    rural = ~town
    # daily commuters: 8 % of villagers leave their unit (towns pull 3x); 3 % of town people
    # commute within the towns and 1.5 % out to villages (teachers, clinic staff, farm work)
    send("commuting", np.where(town, 0.03, 0.08), np.where(town, 3.0, 1.0), 3, 2.0, 0)
    send("commuting", np.where(town, 0.015, 0.0), np.ones(len(p)), 3, 2.0, 0, to=rural)
    stay("commuting", np.where(town, 0.03, 0.08), 0)
    # migrants a year: 1.5 % of villagers move, mostly to towns; 0.1 % of town people retire
    # or return to villages, 0.15 % move between towns
    send("migration", np.where(town, 0.0015, 0.015), np.where(town, 6.0, 1.0), 4, 1.5, 0)
    send("migration", np.where(town, 0.001, 0.0), np.ones(len(p)), 4, 1.5, 0, to=rural)
    stay("migration", np.where(town, 0.0025, 0.015), 0)
    # capital (10,000 yuan a year): rural deposits lent on in town; town loans and
    # investment reach villages at about a quarter of that
    send("capital", np.where(town, 0.04, 0.10), np.where(town, 4.0, 1.0), 3, 1.0, 1)
    send("capital", np.where(town, 0.03, 0.0), np.ones(len(p)), 5, 1.0, 1, to=rural)
    stay("capital", np.where(town, 0.04, 0.10), 1)
    out = pd.DataFrame(rows, columns=["origin", "destination", "kind", "year", "volume"])
    return out.groupby(["origin", "destination", "kind", "year"], as_index=False, sort=False)["volume"].sum()


def _config() -> dict:
    return {
        "name": "Demo County (synthetic)",
        "name_zh": "示范县（合成数据）",
        "crs": "auto",
        "language": "en",
        "units": {"path": "units.gpkg", "id": "code", "name": "name"},
        "population": {"raster": "population.tif"},
        "facilities": [
            {"path": "facilities.gpkg", "category_column": "type", "capacity": "capacity", "opened": "opened"},
            {"path": "schools.csv", "x": "lon", "y": "lat", "crs": "gcj02", "category": "school",
             "capacity": "seats"},
        ],
        "roads": {"path": "roads.gpkg", "class": "road_class", "speeds": dict(SPEEDS), "default_speed": 20,
                  "off_road_speed": 5},
        "indicators": {"path": "indicators.csv", "id": "code"},  # 2019-2023, a year column
        "flows": {"path": "flows.csv", "kind": "kind", "year": "year"},
        "analyses": {
            "urban_rural": {"method": "degurba"},
            "accessibility": {"mode": "network", "thresholds": [15, 30, 60],
                              "measures": ["nearest", "2sfca", "e2sfca", "3sfca", "gravity", "raam"], "max_cost": 30},
            "integration": {
                "dimensions": {
                    "urban": {"income_urban": "+", "consumption_urban": "+"},
                    "rural": {"income_rural": "+", "consumption_rural": "+", "nonfarm_share": "+"},
                    "services": {"beds_per_1000": "+", "doctors_per_1000": "+", "pension_coverage": "+",
                                 "tt_hospital_min": "-"},
                    "infrastructure": {"broadband_share": "+", "tap_water_share": "+"},
                    "ecology": {"forest_cover": "+"},
                },
                "ccd": {"subsystems": ["urban", "rural"], "method": "standard"},
            },
            "autocorrelation": {"variables": ["integration_index", "tt_hospital_min"], "weights": "queen",
                                "permutations": 999, "seed": 12345, "alpha": 0.05},
            "flows": {"groups": "urban_class", "model": "doubly", "decay": "power", "top_n": 200,
                      "linkage": {"value": "integration_index"}},
            "panel": {"weights": "pooled", "column": "integration_index", "classes": 4, "lag_classes": 4,
                      "groups": "urban_class", "forecast": "gm11",
                      "warning": {"index_drop": 0.03, "compare": "first", "class_worse": True, "cold_spot": True,
                                  "ratio": ["income_urban", "income_rural"], "ratio_widened": 0.15}},
            "siting": [
                {"category": "clinic", "model": "mclp", "k": 3, "standard_min": 15, "candidates": "grid",
                 "spacing_m": 1000, "min_people": 100, "k_curve": 6, "rural_only": True,
                 "constraints": [{"path": "protected.gpkg", "rule": "exclude", "name": "ecological red line",
                                  "name_zh": "生态保护红线"}]},
                {"category": "nursing_home", "model": "mclp", "k": 2, "standard_min": 30, "candidates": "units",
                 "constraints": [{"path": "protected.gpkg", "rule": "exclude", "name": "ecological red line",
                                  "name_zh": "生态保护红线"}]},
            ],
            "drivers": {"target": "integration_index",
                        "factors": ["tt_hospital_min", "density_per_km2", "dist_school_km", "forest_cover",
                                    "urban_class"]},
        },
        "outputs": {"dir": "../results",
                    "maps": ["integration_index", "lisa:integration_index", "gi:tt_hospital_min", "tt:hospital",
                             "tt_hospital_min", "iso:hospital", "degurba", "ccd", "facilities", "flow:migration",
                             "flow_matrix:migration", "flow_net_commuting", "years:integration_index",
                             "density:integration_index", "index_change", "early_warning", "sites:clinic",
                             "sites:nursing_home"],
                    "formats": ["html", "png", "pdf", "svg"]},
    }


_README = """# Demo County (synthetic)

Written by `urbanrural.layers.demo_region` from a fixed seed ({seed}). Every figure is
SYNTHETIC: the county is placed on the North China Plain (UTM 50N) only so that
coordinates and CRS checks behave as on real data. It describes no real place.

| file | content |
|---|---|
| units.gpkg | {n_units} village units in 12 townships; `code` (text, leading zeros), `name`, `name_zh`, `township`, `urban_code` (China's urban-rural code, 111-220) |
| population.tif | people per 200 m cell, EPSG:32650, nodata -9999 outside the county; total {pop:,.0f} |
| roads.gpkg | {n_roads} lines; `road_class` national/provincial/county/village; one disconnected farm track |
| facilities.gpkg | {n_fac} points; `type` (hospital, health_centre, clinic, nursing_home, bus_stop, post_office), `capacity`, `opened` (year; four rural clinics and a nursing home opened 2021-2023, the rest before 2019) |
| schools.csv | {n_schools} primary schools, lon/lat in GCJ-02 (as copied from a Chinese web map), `seats` |
| indicators.csv | urban and rural figures per unit and year 2019-2023 (income, consumption, non-farm share, beds, doctors, pension, broadband, tap water, forest); three units ({declining}) built to decline |
| flows.csv | origin, destination, kind (commuting: daily commuters; migration: migrants a year; capital: 10,000 yuan a year), year, volume; a deliberate rural->urban lean |
| protected.gpkg | land siting must avoid: the reservoir's protection zone and a forest ridge under the ecological red line |
| demo.yaml | the study configuration (`urbanrural run demo.yaml`) |

Licence: generated data, CC0.
"""


def demo_region(out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Write the synthetic demo county and its ``demo.yaml``; return the config path.

    Parameters
    ----------
    out_dir : path
        Folder to create (refused if it exists, unless ``overwrite``).
    overwrite : bool, default False
        Replace an existing folder.

    Returns
    -------
    Path
        ``out_dir / "demo.yaml"``, ready for :func:`urbanrural.pipeline.run`.
    """
    out = Path(out_dir)
    ensure_new(out, overwrite=overwrite)
    rng = np.random.default_rng(SEED)
    outline = _outline(rng)
    units = _units(rng, outline)
    villages = _villages(rng, units)
    seats = {}
    for t, grp in units.groupby("township"):
        c = grp.geometry.union_all().representative_point()
        seats[str(t)] = (round(c.x, 1), round(c.y, 1))
    seats["001"] = (TOWNS[0].x, TOWNS[0].y)
    for town, tw in zip(TOWNS[1:], ("Liuhe", "Beiguan"), strict=True):
        hit = units.loc[units["township_name"] == tw, "township"]
        if len(hit):
            seats[str(hit.iat[0])] = (town.x, town.y)
    pop, transform = _population(rng, outline, villages)
    roads = _roads(units, villages, seats, outline)
    facilities, schools = _facilities(rng, units, villages, seats, roads)
    units["urban_code"] = _urban_codes(units)
    facilities["opened"] = _opening_years(facilities, units).astype(int)
    indicators = _indicators(rng, units)
    people = pd.Series(villages[:, 2], index=units.index) + 1.0
    for t in TOWNS:
        hit = units.geometry.contains(shapely.Point(t.x, t.y)).to_numpy()
        people[hit] += 2 * np.pi * t.peak_per_km2 * (t.sigma_m / 1000) ** 2
    flows = _flows(units, people)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        units.to_file(tmp / "units.gpkg", layer="units", driver="GPKG")
        profile = dict(driver="GTiff", width=pop.shape[1], height=pop.shape[0], count=1, dtype="float32",
                       crs=DEMO_CRS, transform=transform, nodata=-9999.0, compress="deflate")
        with rasterio.open(tmp / "population.tif", "w", **profile) as dst:
            dst.write(pop, 1)
        roads.to_file(tmp / "roads.gpkg", layer="roads", driver="GPKG")
        _protected(outline).to_file(tmp / "protected.gpkg", layer="protected", driver="GPKG")
        facilities.to_file(tmp / "facilities.gpkg", layer="facilities", driver="GPKG")
        schools.to_csv(tmp / "schools.csv", index=False, encoding="utf-8")
        _indicator_years(indicators, units).to_csv(tmp / "indicators.csv", index=False, encoding="utf-8")
        flows.to_csv(tmp / "flows.csv", index=False, encoding="utf-8")
        (tmp / "demo.yaml").write_text(
            "# Demo County: a SYNTHETIC study (see README.md). Run: urbanrural run demo.yaml --out results\n"
            + yaml.safe_dump(_config(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        (tmp / "README.md").write_text(_README.format(
            seed=SEED, declining=", ".join(declining_units(units)), n_units=len(units), pop=float(pop[pop > 0].sum()), n_roads=len(roads),
            n_fac=len(facilities), n_schools=len(schools)), encoding="utf-8")
    return out / "demo.yaml"
