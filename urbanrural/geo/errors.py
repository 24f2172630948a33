"""One error tree for the whole package.

Every error is an :class:`UrbanRuralError` and also a builtin exception, so callers
can catch either (``except ValueError`` keeps working for a bad CRS).  A message
names the input, the rule that was broken and the fix, e.g.::

    units.gpkg has no CRS; pass crs='EPSG:4547' or add a .prj file

The CLI turns any :class:`UrbanRuralError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "UrbanRuralError",
    "CRSError",
    "InputFileError",
    "DataError",
    "GeometryError",
    "IdError",
    "JoinError",
    "RasterError",
    "NodataError",
    "IslandError",
    "NetworkError",
    "ConfigError",
    "UnknownNameError",
    "OutputExistsError",
    "OutputError",
    "MissingDependencyError",
]


class UrbanRuralError(Exception):
    """Base class of every error raised on purpose by urbanrural."""


class CRSError(UrbanRuralError, ValueError):
    """A CRS is missing, mixed, geographic where metres are needed, or does not fit the data."""


class InputFileError(UrbanRuralError, OSError):
    """An input file is missing, unreadable, or has no usable layer/column."""


class DataError(UrbanRuralError, ValueError):
    """Values are unusable: NaN, constant, negative, wrong length, wrong type."""


class GeometryError(DataError):
    """Geometries are invalid, empty, missing or of an unexpected type."""


class IdError(DataError):
    """Ids are duplicated, missing, or not text."""


class JoinError(DataError):
    """A table does not match the units it is joined to (low match rate, lost zeros)."""


class RasterError(DataError):
    """A raster cannot be used as given (no CRS, no overlap, wrong shape)."""


class NodataError(RasterError):
    """A raster has no declared nodata value and none was passed explicitly."""


class IslandError(DataError):
    """Spatial weights have units without neighbours and the island policy is 'raise'."""


class NetworkError(DataError):
    """A road network cannot be built or used (no class/speed, nothing reachable)."""


class ConfigError(UrbanRuralError, ValueError):
    """A configuration file has unknown keys, wrong types or missing inputs."""


class UnknownNameError(UrbanRuralError, ValueError):
    """A method, scheme or option name is not one of the registered names."""


class OutputExistsError(UrbanRuralError, FileExistsError):
    """An output already exists and ``overwrite`` was not requested."""


class OutputError(UrbanRuralError, OSError):
    """An output path cannot be used: outside the run folder, an input's folder, under a
    file, not writable, or a folder this tool did not make."""


class MissingDependencyError(UrbanRuralError, ImportError):
    """An optional dependency is needed for this feature and is not installed."""
