"""Plain helpers shared by test modules (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import numpy as np
import rasterio
from rasterio.transform import from_origin

# Coordinates near Baoding (UTM 50N) so area-of-use checks pass.
X0, Y0 = 400_000.0, 4_300_000.0


def write_raster(path, array, *, nodata=-1.0, crs="EPSG:32650", x0=X0, y0=Y0 + 200, cell=100.0):
    """Write a float32 GeoTIFF; ``nodata=None`` declares none, ``crs=None`` sets none."""
    profile = dict(driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
                   dtype="float32", transform=from_origin(x0, y0, cell, cell))
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.asarray(array, dtype="float32"), 1)
    return path


def demo_run_dir(tmp_path_factory, language: str = "en"):
    """The demo's run folder in ``language`` ("en" or "zh"), made once per test session and
    shared by the map and report tests (each demo run takes ~20 s)."""
    from pathlib import Path

    from urbanrural.layers import demo_region
    from urbanrural.pipeline import run

    base = tmp_path_factory.getbasetemp() / "demo_runs"
    out = base / f"run_{language}"
    if (out / "run.json").exists():
        return out
    cfg = base / "data" / "demo.yaml"
    if not cfg.exists():
        cfg = Path(demo_region(base / "data"))
    if language != "en":
        text = cfg.read_text(encoding="utf-8")
        assert "language: en" in text
        cfg = cfg.with_name(f"demo_{language}.yaml")
        cfg.write_text(text.replace("language: en", f"language: {language}"), encoding="utf-8")
    run(cfg, out_dir=out)
    return out


def fca_step_calls(max_cost: float, origins):
    """The calls of the accessibility step (urbanrural/_steps/accessibility.py::_measures), by name:
    each ``call(od, people, capacity)``."""
    from urbanrural.analysis.accessibility import fca
    from urbanrural.analysis.accessibility.decay import gaussian

    return {
        "2sfca": lambda od, p, c: fca.two_step_fca(od, p, c, max_cost=max_cost),
        "e2sfca": lambda od, p, c: fca.enhanced_two_step_fca(od, p, c, max_cost=max_cost),
        "g2sfca": lambda od, p, c: fca.gaussian_two_step_fca(od, p, c, max_cost=max_cost),
        "3sfca": lambda od, p, c: fca.three_step_fca(od, p, c, max_cost=max_cost),
        "gravity": lambda od, p, c: fca.gravity(od, c, decay=gaussian(max_cost / 2), max_cost=max_cost,
                                                 origins=origins),
        "cumulative": lambda od, p, c: fca.cumulative(od, c, threshold=max_cost, origins=origins),
        "nearest": lambda od, p, c: fca.nearest(od, origins=origins),
    }
