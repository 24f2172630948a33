"""CRS handling: require one, choose the analysis CRS, reproject, refuse lat/lon distances.

Rules
-----
- Every layer must carry a CRS, or the caller must name one (``crs=``) for a file
  that has none (a shapefile without .prj, a CSV).  Nothing is ever guessed.
- The analysis CRS is the user's (must be projected, in metres) or, with ``"auto"``,
  the WGS 84 UTM zone of the study area's centre.
- Coordinates must fall inside the CRS's area of use: this catches swapped lat/lon and
  metres labelled EPSG:4326.
"""

from __future__ import annotations

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
                log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Return ``gdf`` with a CRS: its own, or ``crs`` when it has none.

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
            raise CRSError(
                f"{name} has no CRS; pass crs='EPSG:xxxx' (config: crs:) naming the CRS its "
                "coordinates are in, or add a .prj file beside a shapefile"
            )
        parsed = parse_crs(crs, name=f"crs for {name}")
        log.add(name, "crs", "info", detail=f"no CRS in file; using the declared {crs_label(parsed)}")
        out = gdf.set_crs(parsed)
    else:
        if crs is not None:
            parsed = parse_crs(crs, name=f"crs for {name}")
            if not CRS.from_user_input(gdf.crs).equals(parsed):
                raise CRSError(
                    f"{name} already has CRS {crs_label(gdf.crs)} but crs={crs_label(parsed)} was "
                    "given; crs= only labels files without a CRS: remove it (the layer is "
                    "reprojected automatically)"
                )
        out = gdf
    check_area_of_use(out, name=name)
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


def check_area_of_use(gdf: gpd.GeoDataFrame, *, name: str, margin_deg: float = 2.0) -> None:
    """Raise CRSError when coordinates fall outside the CRS's area of use.

    For a geographic CRS this catches metres labelled as degrees (|lon| > 180 or
    |lat| > 90) and latitude/longitude given in the wrong order.  For a projected CRS
    the layer's extent, taken to lon/lat, must overlap the CRS's area of use (plus a
    margin of ``margin_deg`` degrees).
    """
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
                hint = "the values look like latitude/longitude in the wrong order: swap the x and y columns"
            else:
                hint = ("the values look like projected metres, not degrees: declare the CRS "
                        "the coordinates are really in (e.g. crs='EPSG:32650')")
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
            "declare crs='EPSG:4326' for longitude/latitude data"
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
            "probably wrong: declare the CRS the coordinates are really in"
        )


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
