"""Primitives every other module uses: errors, CRS, validation, rasters, Chinese coordinates.

``geo`` imports nothing from the rest of the package.
"""

from .._lazy import lazy_submodules

_NAMES = ("errors", "registry", "crs", "validate", "raster", "china", "checks", "io")
__getattr__, __dir__ = lazy_submodules(__name__, _NAMES)
__all__ = list(_NAMES)
