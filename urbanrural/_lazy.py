"""Lazy submodule access for subpackages (``ur.analysis.accessibility`` imports on use)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType


def lazy_submodules(package: str, names: tuple[str, ...]) -> tuple[Callable, Callable]:
    """Return ``__getattr__`` and ``__dir__`` functions for a package's ``__init__``."""

    def __getattr__(name: str) -> ModuleType:
        if name in names:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__
