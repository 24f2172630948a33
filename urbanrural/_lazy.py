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


def lazy_names(package: str, where: dict[str, str]) -> tuple[Callable, Callable, list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for a package whose public names live in
    submodules (``where``: name -> submodule), each imported on first use; the submodules
    themselves are reachable by name too. No submodule may share a name with a function."""
    modules = set(where.values())
    clash = sorted(modules & set(where))
    if clash:
        raise ValueError(f"{package}: names {clash} are both a submodule and a function")

    def __getattr__(name: str) -> object:
        if name in where:
            return getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        if name in modules:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(where) | modules)

    return __getattr__, __dir__, sorted(where)
