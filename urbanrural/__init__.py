"""urbanrural: measure urban-rural integration.

Accessibility to services, urban-rural classification (Degree of Urbanisation),
spatial autocorrelation, integration indices and offline maps.

Examples
--------
>>> import urbanrural as ur
>>> issubclass(ur.CRSError, ValueError)
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .geo.errors import (
    ConfigError,
    CRSError,
    DataError,
    GeometryError,
    IdError,
    InputFileError,
    IslandError,
    JoinError,
    MissingDependencyError,
    NetworkError,
    NodataError,
    OutputError,
    OutputExistsError,
    RasterError,
    UnknownNameError,
    UrbanRuralError,
)

__version__ = "0.1.0"

# Subpackages load on first use so that `urbanrural --version` and the CLI start fast.
_SUBMODULES = ("geo", "layers", "analysis", "maps", "config", "pipeline", "cli")

if TYPE_CHECKING:  # pragma: no cover
    from . import analysis, cli, config, geo, layers, maps, pipeline  # noqa: F401


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'urbanrural' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))


__all__ = [
    "__version__",
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
    *_SUBMODULES,
]
