"""Progress bars: shown on an interactive stderr at normal verbosity, silent under -q."""

from __future__ import annotations

import io
import logging

from urbanrural.geo.progress import progress, progress_bar


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


def test_manual_bar_counts_blocks_and_shows_stage(monkeypatch):
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    logging.getLogger("urbanrural").setLevel(logging.INFO)
    with progress_bar(desc="zonal pop.tif", total=10, unit="block") as bar:
        bar.update(4)
        bar.set_postfix_str("urban centres")
        bar.update(6)
    out = err.getvalue()
    assert "zonal pop.tif" in out and "/10" in out and "block" in out and "urban centres" in out


def test_small_jobs_and_quiet_hide_every_bar(monkeypatch):
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    log = logging.getLogger("urbanrural")
    log.setLevel(logging.INFO)
    assert list(progress(range(3), desc="tiny", show=False)) == [0, 1, 2]
    with progress_bar(desc="tiny", total=3, show=False) as bar:
        bar.update(3)
    log.setLevel(logging.WARNING)  # -q
    with progress_bar(desc="big", total=3) as bar:
        bar.update(3)
        bar.set_postfix_str("stage")
    assert err.getvalue() == ""


def test_indeterminate_bar_shows_elapsed_time(monkeypatch):
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    logging.getLogger("urbanrural").setLevel(logging.INFO)
    with progress_bar(desc="stages", unit="stage") as bar:
        bar.update(2)
    assert "stages" in err.getvalue() and "00:00" in err.getvalue()
