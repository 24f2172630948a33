"""A tiny name registry for method families (decay functions, CCD variants, schemes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from difflib import get_close_matches
from typing import Generic, TypeVar

from .errors import UnknownNameError

T = TypeVar("T")

__all__ = ["Registry", "check_choice"]


def check_choice(value: str, choices: list[str] | tuple[str, ...], *, what: str) -> str:
    """Return ``value`` if it is one of ``choices``, else raise listing them.

    Examples
    --------
    >>> check_choice("queen", ["queen", "rook"], what="weights kind")
    'queen'
    """
    if value in choices:
        return value
    hint = get_close_matches(str(value), [str(c) for c in choices], n=1)
    extra = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise UnknownNameError(
        f"unknown {what} {value!r}{extra}; valid: {', '.join(map(repr, choices))}"
    )


class Registry(Generic[T], Mapping[str, T]):
    """Mapping from a method name to its implementation.

    Examples
    --------
    >>> r = Registry("decay function")
    >>> @r.register("one")
    ... def one(x):
    ...     return 1.0
    >>> r["one"](3)
    1.0
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            self._items[name] = obj
            return obj

        return deco

    def __getitem__(self, name: str) -> T:
        check_choice(name, tuple(self._items), what=self.what)
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
