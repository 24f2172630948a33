"""Chinese map-service coordinates: WGS 84 <-> GCJ-02 <-> BD-09.

Points copied from AutoNavi (Gaode), Tencent or Tianditu web maps are usually in GCJ-02
("Mars coordinates"), from Baidu in BD-09; both are deliberately offset from WGS 84 by
up to several hundred metres. These functions convert them (arrays in, arrays out;
degrees). Outside mainland China's bounding box (lon 72.004-137.8347, lat
0.8293-55.8271) GCJ-02 equals WGS 84 and points pass through unchanged.

The forward GCJ-02 formula is the published obfuscation polynomial (Krasovsky 1940
ellipsoid constants). The inverses have no closed form: the widely copied one-step
inverse leaves errors of a few metres, so :func:`gcj02_to_wgs84` and
:func:`bd09_to_gcj02` iterate the forward function to convergence (|error| < 1e-10
degree, about 0.01 mm).

Examples
--------
>>> from urbanrural.geo.china import wgs84_to_gcj02, gcj02_to_wgs84
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(float(lon), 6), round(float(lat), 6)
(116.410244, 39.916404)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(float(back[0]), 9), round(float(back[1]), 9)
(116.404, 39.915)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["wgs84_to_gcj02", "gcj02_to_wgs84", "gcj02_to_bd09", "bd09_to_gcj02",
           "wgs84_to_bd09", "bd09_to_wgs84", "in_china"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m)
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_TOL = 1e-10
_MAX_ITER = 30

Pair = tuple[NDArray[np.float64], NDArray[np.float64]]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> Pair:
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"lon and lat must have the same shape; got {x.shape} and {y.shape}")
    return x, y


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies in the bounding box inside which GCJ-02 is offset."""
    x, y = _arrays(lon, lat)
    return (x > 72.004) & (x < 137.8347) & (y > 0.8293) & (y < 55.8271)


def _offset(x: NDArray[np.float64], y: NDArray[np.float64]) -> Pair:
    """GCJ-02 minus WGS 84, in degrees, at WGS 84 position (x, y)."""
    u, v = x - 105.0, y - 35.0
    s = np.sqrt(np.abs(u))
    common = (20.0 * np.sin(6.0 * u * np.pi) + 20.0 * np.sin(2.0 * u * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * u + 3.0 * v + 0.2 * v * v + 0.1 * u * v + 0.2 * s + common
            + (20.0 * np.sin(v * np.pi) + 40.0 * np.sin(v / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(v / 12.0 * np.pi) + 320.0 * np.sin(v * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + u + 2.0 * v + 0.1 * u * u + 0.1 * u * v + 0.1 * s + common
            + (20.0 * np.sin(u * np.pi) + 40.0 * np.sin(u / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(u / 12.0 * np.pi) + 300.0 * np.sin(u / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(x, y)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """WGS 84 to GCJ-02 (AutoNavi/Gaode, Tencent)."""
    x, y = _arrays(lon, lat)
    dx, dy = _offset(x, y)
    return x + dx, y + dy


def _invert(forward, lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Solve forward(p) = q for p by fixed-point iteration p <- p - (forward(p) - q)."""
    qx, qy = _arrays(lon, lat)
    px, py = qx.copy(), qy.copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(px, py)
        ex, ey = fx - qx, fy - qy
        px, py = px - ex, py - ey
        if np.all(np.abs(ex) < _TOL) and np.all(np.abs(ey) < _TOL):
            break
    return px, py


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """GCJ-02 to WGS 84 (iterated to < 1e-10 degree)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """GCJ-02 to BD-09 (Baidu)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """BD-09 (Baidu) to GCJ-02 (iterated to < 1e-10 degree)."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """WGS 84 to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """BD-09 to WGS 84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
