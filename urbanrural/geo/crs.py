"""CRS handling: require one, choose the analysis CRS, reproject, refuse lat/lon distances.

Rules
-----
- Every layer must carry a CRS, or the caller must name one (``crs=``) for a file
  that has none (a shapefile without .prj, a CSV).  Nothing is ever guessed.
- The analysis CRS is the user's (must be projected, in metres) or, with ``"auto"``,
  the WGS 84 UTM zone of the study area's centre.
- Whichever it is, its scale error over the study area (how much it stretches or
  shrinks distances, from Tissot's indicatrix on a grid of points) must stay within a
  tolerance (default 1 %): Web Mercator at 30 N (+15 %) or a UTM zone far from the
  data is refused naming a CRS that fits.  ``"auto"`` falls back to a transverse
  Mercator centred on the area (then a Lambert conformal conic) when the UTM zone is
  not good enough, as for a province wider than a UTM zone.
- Coordinates must fall inside the CRS's area of use: this catches swapped lat/lon and
  metres labelled EPSG:4326.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
from pyproj import CRS

from .checks import CheckLog, get_log
from .errors import CRSError

__all__ = [
    "parse_crs",
    "require_crs",
    "require_projected",
    "require_same_crs",
    "choose_analysis_crs",
    "select_analysis_crs",
    "scale_error",
    "utm_crs",
    "CRSChoice",
    "SCALE_TOLERANCE",
    "to_analysis_crs",
    "check_area_of_use",
    "crs_label",
]


def crs_label(crs: object) -> str:
    """Short text for a CRS: 'EPSG:32650' when it has a code, else its name."""
    if crs is None:
        return "none"
    c = CRS.from_user_input(crs)
    code = c.to_authority()
    return f"{code[0]}:{code[1]}" if code else c.name


def parse_crs(value: object, *, name: str = "crs") -> CRS:
    """Parse a user CRS (``'EPSG:4547'``, ``4547``, WKT, a pyproj CRS) or raise CRSError.

    Examples
    --------
    >>> parse_crs("EPSG:32650").to_epsg()
    32650
    """
    try:
        return CRS.from_user_input(value)
    except (pyproj.exceptions.CRSError, TypeError, ValueError) as exc:
        raise CRSError(f"{name}={value!r} is not a CRS pyproj understands; use e.g. 'EPSG:4547'") from exc


def require_crs(gdf: gpd.GeoDataFrame, *, name: str, crs: object = None,
                log: CheckLog | None = None, section: str | None = None) -> gpd.GeoDataFrame:
    """Return ``gdf`` with a CRS: its own, or ``crs`` when it has none.

    ``section`` is the config section of the input (``"units"``), named in the fix.

    A file with a CRS and a different ``crs=`` is refused (reproject instead: silently
    relabelling coordinates moves the data).  The input is not modified.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame(geometry=[shapely.Point(116, 39)])
    >>> require_crs(g, name="pts", crs="EPSG:4326").crs.to_epsg()
    4326
    """
    log = get_log(log)
    if gdf.crs is None:
        if crs is None:
            where = f" (config: {section}: crs: EPSG:xxxx)" if section else ""
            raise CRSError(
                f"{name} has no CRS; pass crs='EPSG:xxxx'{where} naming the CRS its coordinates "
                "are in, or add a .prj file beside a shapefile"
            )
        parsed = parse_crs(crs, name=f"crs for {name}")
        log.add(name, "crs", "info", detail=f"no CRS in file; using the declared {crs_label(parsed)}")
        out = gdf.set_crs(parsed)
    else:
        if crs is not None:
            parsed = parse_crs(crs, name=f"crs for {name}")
            if not CRS.from_user_input(gdf.crs).equals(parsed):
                where = f" (config: {section}: crs:)" if section else ""
                raise CRSError(
                    f"{name} already has CRS {crs_label(gdf.crs)} but crs={crs_label(parsed)} was "
                    f"given{where}; it only labels files without a CRS: remove it (the layer is "
                    "reprojected automatically)"
                )
        out = gdf
    check_area_of_use(out, name=name, declared=(f"{section}: crs" if section else "crs=")
                      if gdf.crs is None else None)
    return out


def require_projected(crs: object, *, name: str, what: str = "distances") -> CRS:
    """Raise CRSError unless ``crs`` is projected with metre units.

    Examples
    --------
    >>> require_projected("EPSG:4326", name="units")
    Traceback (most recent call last):
    ...
    urbanrural.geo.errors.CRSError: units is in a geographic CRS (EPSG:4326, degrees); ...
    """
    if crs is None:
        raise CRSError(f"{name} has no CRS; {what} need a projected CRS in metres")
    c = CRS.from_user_input(crs)
    if c.is_geographic:
        raise CRSError(
            f"{name} is in a geographic CRS ({crs_label(c)}, degrees); {what} in degrees are "
            "meaningless: reproject to a projected CRS in metres (e.g. its UTM zone, "
            "gdf.to_crs(gdf.estimate_utm_crs())) or set crs: auto in the config"
        )
    units = {ax.unit_name for ax in c.axis_info}
    if not units <= {"metre", "meter"}:
        raise CRSError(
            f"{name} is in {crs_label(c)} whose units are {', '.join(sorted(units))}, not metres; "
            "reproject to a metre CRS"
        )
    return c


def require_same_crs(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, *, names: tuple[str, str]) -> None:
    """Raise CRSError when two layers are in different CRSs (or one has none)."""
    if a.crs is None or b.crs is None:
        missing = names[0] if a.crs is None else names[1]
        raise CRSError(f"{missing} has no CRS; set one before combining it with {names[1] if missing == names[0] else names[0]}")
    if not CRS.from_user_input(a.crs).equals(CRS.from_user_input(b.crs)):
        raise CRSError(
            f"{names[0]} is in {crs_label(a.crs)} but {names[1]} is in {crs_label(b.crs)}; "
            f"reproject one, e.g. {names[1]}.to_crs({names[0]}.crs)"
        )


def _lonlat_bounds(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    geo = gdf.to_crs("EPSG:4326") if not CRS.from_user_input(gdf.crs).equals(CRS.from_epsg(4326)) else gdf
    return tuple(float(v) for v in geo.total_bounds)  # type: ignore[return-value]


def check_area_of_use(gdf: gpd.GeoDataFrame, *, name: str, margin_deg: float = 2.0,
                      declared: str | None = None, xy_columns: bool = False) -> None:
    """Raise CRSError when coordinates fall outside the CRS's area of use.

    For a geographic CRS this catches metres labelled as degrees (|lon| > 180 or
    |lat| > 90) and latitude/longitude given in the wrong order.  For a projected CRS
    the layer's extent, taken to lon/lat, must overlap the CRS's area of use (plus a
    margin of ``margin_deg`` degrees).

    The fix named depends on where the CRS came from: ``declared`` is the config key
    that declared it (``"units: crs"``), else the file's own label is wrong and must be
    corrected in the file (``crs:`` only labels files without a CRS).  ``xy_columns``:
    the coordinates came from table columns (config ``x:`` and ``y:``).
    """

    def relabel(example: str) -> str:
        if declared:
            return f"declare the CRS the coordinates are really in (config: {declared}: {example})"
        return (f"the CRS stored in the file is wrong: relabel the file with the CRS its coordinates "
                f"are really in (e.g. ogr2ogr -a_srs {example} fixed.gpkg {name}) and read that")

    if gdf.crs is None or len(gdf) == 0:
        return
    c = CRS.from_user_input(gdf.crs)
    b = gdf.total_bounds
    if not np.all(np.isfinite(b)):
        return  # all-empty layers are reported by the geometry checks
    if c.is_geographic:
        minx, miny, maxx, maxy = (float(v) for v in b)
        if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
            if max(abs(miny), abs(maxy)) <= 180 and max(abs(minx), abs(maxx)) <= 90:
                hint = "the values look like latitude/longitude in the wrong order: " + (
                    "swap the x: and y: columns in the config" if xy_columns
                    else "swap the coordinates' axis order in the source")
            else:
                hint = "the values look like projected metres, not degrees: " + relabel("EPSG:32650")
            raise CRSError(
                f"{name} is labelled {crs_label(c)} (degrees) but its coordinates span "
                f"x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}, outside -180..180 / -90..90; {hint}"
            )
        return
    minx, miny, maxx, maxy = (float(v) for v in b)
    if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        raise CRSError(
            f"{name} is labelled {crs_label(c)} (projected) but its coordinates "
            f"(x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}) look like degrees; "
            + relabel("EPSG:4326")
        )
    aou = c.area_of_use
    if aou is None:
        return
    try:
        west, south, east, north = _lonlat_bounds(gdf)
    except Exception as exc:  # pragma: no cover - pyproj raises on wildly wrong values
        raise CRSError(f"{name}: coordinates cannot be transformed from {crs_label(c)}; check its CRS") from exc
    ok_lon = east >= aou.west - margin_deg and west <= aou.east + margin_deg
    ok_lat = north >= aou.south - margin_deg and south <= aou.north + margin_deg
    finite = all(np.isfinite([west, south, east, north]))
    if not (ok_lon and ok_lat and finite):
        raise CRSError(
            f"{name} is labelled {crs_label(c)} but its extent ({west:.3f}, {south:.3f}, "
            f"{east:.3f}, {north:.3f} in lon/lat) lies outside that CRS's area of use "
            f"({aou.name}: {aou.west}, {aou.south}, {aou.east}, {aou.north}); the label is "
            "probably wrong: " + relabel("EPSG:xxxx")
        )


SCALE_TOLERANCE = 0.01
"""Default largest accepted scale error of the analysis CRS (1 % of any distance)."""


def scale_error(crs: object, bounds_lonlat: tuple[float, float, float, float], *, n: int = 9) -> float:
    """Largest relative distance error of ``crs`` over a lon/lat box.

    The scale factors of Tissot's indicatrix are evaluated on an ``n`` x ``n`` grid of
    points spanning ``bounds_lonlat`` = (west, south, east, north), corners included;
    the error is the maximum over the points of ``max(|a - 1|, |b - 1|)`` where ``a``
    and ``b`` are the semi-major and semi-minor axes (for a conformal projection, the
    point scale).  Points the projection cannot handle count as an infinite error.

    Parameters
    ----------
    crs : CRS-like
        A projected CRS.
    bounds_lonlat : tuple of float
        (west, south, east, north) in degrees.
    n : int, default 9
        Points per side of the sample grid.

    Returns
    -------
    float
        0.0 for a perfect map; 0.155 for Web Mercator at 30 N.

    Examples
    --------
    >>> round(scale_error("EPSG:3857", (110.0, 29.9, 110.1, 30.0)), 3)
    0.155
    >>> scale_error("EPSG:32650", (116.0, 39.0, 118.0, 40.0)) < 0.001
    True
    """
    c = CRS.from_user_input(crs)
    if not c.is_projected:
        raise CRSError(f"{crs_label(c)} is not projected; scale errors are measured on projected CRSs")
    west, south, east, north = (float(v) for v in bounds_lonlat)
    lons, lats = np.meshgrid(np.linspace(west, east, n), np.linspace(south, north, n))
    lons = np.append(lons.ravel(), (west + east) / 2)
    lats = np.append(lats.ravel(), (south + north) / 2)
    try:
        f = pyproj.Proj(c).get_factors(lons, lats, errcheck=False)
    except pyproj.exceptions.ProjError:  # pragma: no cover - projections without factors
        return float("inf")
    a = np.asarray(f.tissot_semimajor, dtype=float)
    b = np.asarray(f.tissot_semiminor, dtype=float)
    if not (np.isfinite(a).any() and np.isfinite(b).any()):
        a = np.asarray(f.meridional_scale, dtype=float)
        b = np.asarray(f.parallel_scale, dtype=float)
    err = np.maximum(np.abs(a - 1.0), np.abs(b - 1.0))
    err = np.where(np.isfinite(err), err, np.inf)
    return float(err.max())


def utm_crs(bounds_lonlat: tuple[float, float, float, float]) -> CRS:
    """The WGS 84 / UTM zone (EPSG:326xx north, 327xx south) of the box's centre.

    Examples
    --------
    >>> utm_crs((116.0, 39.0, 117.0, 40.0)).to_epsg()
    32650
    """
    west, south, east, north = bounds_lonlat
    lon, lat = (west + east) / 2, (south + north) / 2
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _tmerc(bounds_lonlat: tuple[float, float, float, float]) -> CRS:
    """A transverse Mercator on the box's central meridian, scale balanced over its width."""
    from pyproj.crs import ProjectedCRS
    from pyproj.crs.coordinate_operation import TransverseMercatorConversion

    west, south, east, north = bounds_lonlat
    lon0 = round((west + east) / 2, 2)
    south_hemi = (south + north) / 2 < 0

    def make(k0: float) -> CRS:
        conv = TransverseMercatorConversion(
            latitude_natural_origin=0.0, longitude_natural_origin=lon0,
            false_easting=500_000.0, false_northing=10_000_000.0 if south_hemi else 0.0,
            scale_factor_natural_origin=k0)
        return CRS.from_wkt(ProjectedCRS(
            conv, name=f"WGS 84 / Transverse Mercator {lon0:g}E k={k0:.6g} (urbanrural auto)",
            geodetic_crs=CRS.from_epsg(4326)).to_wkt())

    stretch = scale_error(make(1.0), bounds_lonlat)  # 0 on the meridian, max at the edges
    k0 = round(2.0 / (2.0 + stretch), 6) if np.isfinite(stretch) else 1.0
    return make(k0)


def _lcc(bounds_lonlat: tuple[float, float, float, float]) -> CRS:
    """A Lambert conformal conic with standard parallels at 1/6 and 5/6 of the box's height."""
    from pyproj.crs import ProjectedCRS
    from pyproj.crs.coordinate_operation import LambertConformalConic2SPConversion

    west, south, east, north = bounds_lonlat
    lon0, lat0 = round((west + east) / 2, 2), round((south + north) / 2, 2)
    h = north - south
    lat1, lat2 = round(south + h / 6, 2), round(north - h / 6, 2)
    if abs(lat1 + lat2) < 1e-6:  # a cone needs parallels off the equator's symmetry
        lat1 += 0.01
    conv = LambertConformalConic2SPConversion(
        latitude_first_parallel=lat1, latitude_second_parallel=lat2,
        latitude_false_origin=lat0, longitude_false_origin=lon0,
        easting_false_origin=0.0, northing_false_origin=0.0)
    return CRS.from_wkt(ProjectedCRS(
        conv, name=f"WGS 84 / Lambert Conformal Conic {lat1:g}N {lat2:g}N {lon0:g}E (urbanrural auto)",
        geodetic_crs=CRS.from_epsg(4326)).to_wkt())


@dataclass(frozen=True)
class CRSChoice:
    """The analysis CRS, how it was chosen and how much it distorts distances.

    Attributes
    ----------
    crs : pyproj.CRS
    method : str
        ``"user"`` (the config's EPSG), ``"utm"``, ``"tmerc"`` or ``"lcc"`` (auto).
    scale_error : float
        Largest relative distance error over the study area (0.004 = 0.4 %).
    tolerance : float
        The largest accepted error.
    bounds_lonlat : tuple of float
        The study area's (west, south, east, north) in degrees.
    """

    crs: CRS
    method: str
    scale_error: float
    tolerance: float
    bounds_lonlat: tuple[float, float, float, float]

    def summary(self) -> dict:
        """The choice for run.json: label, method, measured error, and a PROJ string when
        the CRS has no EPSG code (a custom transverse Mercator), to reproduce it."""
        proj = None
        if self.crs.to_epsg() is None:
            import warnings

            with warnings.catch_warnings():  # "may lose information": fine for WGS 84 tmerc/lcc
                warnings.simplefilter("ignore", UserWarning)
                proj = self.crs.to_proj4()
        return {"crs": crs_label(self.crs), "method": self.method,
                "max_scale_error": round(float(self.scale_error), 6),
                "scale_tolerance": self.tolerance, "proj": proj}


def _auto_candidates(bounds: tuple[float, float, float, float]) -> list[tuple[str, CRS]]:
    return [("utm", utm_crs(bounds)), ("tmerc", _tmerc(bounds)), ("lcc", _lcc(bounds))]


def select_analysis_crs(gdf: gpd.GeoDataFrame, crs: object = "auto", *,
                        scale_tolerance: float = SCALE_TOLERANCE) -> CRSChoice:
    """Choose (``"auto"``) or check (a user CRS) the analysis CRS against its scale error.

    Parameters
    ----------
    gdf : GeoDataFrame
        The units (any CRS); their lon/lat extent is the area measured.
    crs : "auto" or CRS-like
        ``"auto"``: the UTM zone of the area if its scale error is within the tolerance,
        else a transverse Mercator centred on the area, else a Lambert conformal conic.
        A user CRS must be projected in metres and within the tolerance.
    scale_tolerance : float, default 0.01
        Largest accepted relative distance error (0.01 = 1 %).

    Raises
    ------
    CRSError
        A geographic or non-metre CRS; a CRS whose scale error exceeds the tolerance
        (the message gives the measured error and a CRS that fits); an area too large
        for any single projection within the tolerance.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame(geometry=[shapely.box(100, 25, 120, 30)], crs=4326)
    >>> c = select_analysis_crs(g)
    >>> c.method, c.scale_error < 0.01
    ('tmerc', True)
    """
    if not (isinstance(scale_tolerance, (int, float)) and scale_tolerance > 0):
        raise CRSError(f"scale_tolerance must be a positive fraction (0.01 = 1 %), got {scale_tolerance!r}")
    tol = float(scale_tolerance)
    bounds = _lonlat_bounds(gdf)
    box = (f"{bounds[0]:.2f}..{bounds[2]:.2f} E, {bounds[1]:.2f}..{bounds[3]:.2f} N")
    if crs is None or (isinstance(crs, str) and crs.lower() == "auto"):
        tried = []
        for method, cand in _auto_candidates(bounds):
            err = scale_error(cand, bounds)
            if err <= tol:
                return CRSChoice(cand, method, err, tol, bounds)
            tried.append(f"{crs_label(cand)}: {err:.2%}")
        raise CRSError(
            f"the study area ({box}) is too large for one map projection to keep distances "
            f"within {tol:.1%} (tried {'; '.join(tried)}); split the study into parts, or "
            "accept a larger error (config: crs_tolerance: 0.05; Python: scale_tolerance=0.05)"
        )
    parsed = parse_crs(crs, name="analysis crs")
    c = require_projected(parsed, name=f"analysis crs {crs_label(parsed)}", what="distances and areas")
    err = scale_error(c, bounds)
    if err > tol:
        fits = [(m, cand, e) for m, cand in _auto_candidates(bounds)
                if (e := scale_error(cand, bounds)) <= tol]
        if fits:
            m, cand, e = fits[0]
            code = crs_label(cand)
            alt = (f"crs: {code} (the UTM zone of the area, max error {e:.2%})" if m == "utm"
                   else f"crs: auto (picks {code}, max error {e:.2%})")
        else:
            alt = "a CRS made for the region (the study area is very large)"
        accept = math.ceil(err * 1000) / 1000
        # the config allows crs_tolerance up to 0.5: offer it only where it can be set
        tail = (f", or keep it and accept the error with crs_tolerance: {accept:g}" if accept <= 0.5
                else "; an error this large cannot be accepted")
        raise CRSError(
            f"analysis crs {crs_label(c)} distorts distances by up to {err:.1%} over the study "
            f"area ({box}; tolerance {tol:.1%}), so every distance, travel time and area would "
            f"be wrong by as much; use {alt}{tail}"
        )
    return CRSChoice(c, "user", err, tol, bounds)


def choose_analysis_crs(gdf: gpd.GeoDataFrame, crs: object = "auto") -> CRS:
    """The analysis CRS: ``crs`` if given (must be projected, metres) or the UTM zone.

    ``"auto"`` picks the WGS 84 / UTM zone (EPSG:326xx north, 327xx south) that
    contains the centre of ``gdf``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame(geometry=[shapely.Point(116.4, 39.9)], crs=4326)
    >>> choose_analysis_crs(g).to_epsg()
    32650
    """
    if crs is None or (isinstance(crs, str) and crs.lower() == "auto"):
        west, south, east, north = _lonlat_bounds(gdf)
        lon, lat = (west + east) / 2, (south + north) / 2
        zone = int((lon + 180) // 6) % 60 + 1
        epsg = (32600 if lat >= 0 else 32700) + zone
        return CRS.from_epsg(epsg)
    parsed = parse_crs(crs, name="analysis crs")
    return require_projected(parsed, name=f"analysis crs {crs_label(parsed)}", what="distances and areas")


def to_analysis_crs(gdf: gpd.GeoDataFrame, crs: CRS, *, name: str,
                    log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` (a copy) to ``crs`` and log it; same CRS returns ``gdf`` as is."""
    log = get_log(log)
    if gdf.crs is None:
        raise CRSError(f"{name} has no CRS; declare one before reprojecting")
    if CRS.from_user_input(gdf.crs).equals(crs):
        return gdf
    log.add(name, "crs", "info", detail=f"reprojected {crs_label(gdf.crs)} -> {crs_label(crs)}")
    return gdf.to_crs(crs)
