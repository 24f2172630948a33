"""Bars on long DEGURBA steps: the grid rules' stages and the resampling's chunks, shown
for large jobs on a terminal, silent for small ones and under -q, results unchanged."""

from __future__ import annotations

import io
import logging

import numpy as np
import rasterio
from rasterio.transform import from_origin

from urbanrural.analysis import _degurba_grid as core
from urbanrural.analysis import degurba as dg


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _terminal(monkeypatch) -> _Tty:
    """stderr as a terminal, the urbanrural logger at INFO (normal verbosity); set in the
    test body (pytest puts its own capture back on sys.stderr after fixture setup)."""
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    logging.getLogger("urbanrural").setLevel(logging.INFO)
    return err


def _town() -> np.ndarray:
    pop = np.full((30, 30), 20.0)
    pop[5:13, 5:13] = 2000.0   # 128,000 people: urban centre
    pop[20:24, 20:24] = 1600.0  # 25,600: dense urban cluster
    pop[2:4, 22:25] = 400.0     # rural cluster
    return pop


def test_grid_stages_bar_for_a_large_grid_only(monkeypatch):
    err = _terminal(monkeypatch)
    pop = _town()
    small = dg.classify_grid(pop)
    assert err.getvalue() == ""  # 900 cells: far below BAR_MIN_CELLS
    monkeypatch.setattr(core, "BAR_MIN_CELLS", 100)  # the same grid counts as large
    large = dg.classify_grid(pop)
    out = err.getvalue()
    assert "degurba grid" in out and "/5" in out and "stage" in out
    for name in ("urban centres", "dense urban clusters", "semi-dense urban clusters", "suburban and rural clusters",
                 "rural and water"):
        assert name in out
    np.testing.assert_array_equal(large, small)
    before = len(out)
    level1 = dg.classify_grid(pop, level=1)
    out = err.getvalue()[before:]
    assert "/3" in out and "urban clusters" in out and "rural and water" in out
    assert set(np.unique(level1)) <= {1, 2, 3}


def test_quiet_hides_the_grid_bar(monkeypatch):
    err = _terminal(monkeypatch)
    monkeypatch.setattr(core, "BAR_MIN_CELLS", 1)
    logging.getLogger("urbanrural").setLevel(logging.WARNING)  # -q
    dg.classify_grid(_town())
    assert err.getvalue() == ""


def test_resampling_bar_over_chunks_for_many_points(tmp_path, monkeypatch):
    arr = np.random.default_rng(4).gamma(0.5, 50, (40, 40))
    p = tmp_path / "pop.tif"
    with rasterio.open(p, "w", driver="GTiff", width=40, height=40, count=1, dtype="float32", crs="EPSG:32650",
                       nodata=-1, transform=from_origin(400_000, 4_300_000, 250, 250)) as dst:
        dst.write(arr.astype("float32"), 1)
    err = _terminal(monkeypatch)
    one, t1 = dg.to_mollweide_1km(p)  # 1,600 cells x 4 sub-points (250 m is a little more in Mollweide)
    assert err.getvalue() == ""
    monkeypatch.setattr(dg, "_CHUNK", 100)
    monkeypatch.setattr(dg, "BAR_MIN_POINTS", 1_000)
    many, t2 = dg.to_mollweide_1km(p)
    out = err.getvalue()
    assert "population to 1 km" in out and "/40" in out and "row" in out  # 40 rows read in blocks
    assert t1 == t2
    np.testing.assert_allclose(many, one, rtol=1e-12, equal_nan=True)
    logging.getLogger("urbanrural").setLevel(logging.WARNING)  # -q
    dg.to_mollweide_1km(p)
    assert err.getvalue() == out
