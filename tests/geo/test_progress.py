"""Progress bars: shown on an interactive stderr at normal verbosity, silent under -q."""

from __future__ import annotations

import io
import logging

from urbanrural.geo.progress import progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(monkeypatch, level: int) -> str:
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    log = logging.getLogger("urbanrural")
    old = log.level
    log.setLevel(level)
    try:
        assert list(progress(["a", "b", "c"], desc="accessibility", unit="category")) == ["a", "b", "c"]
    finally:
        log.setLevel(old)
    return err.getvalue()


def test_bar_on_a_terminal(monkeypatch):
    out = _run(monkeypatch, logging.INFO)
    assert "accessibility" in out and "/3" in out and "category" in out


def test_quiet_and_non_terminal_print_nothing(monkeypatch):
    assert _run(monkeypatch, logging.WARNING) == ""
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert list(progress(range(2), desc="x")) == [0, 1]
