"""One run: read the inputs, run the configured analyses, write one output folder.

The folder is built under a temporary name beside the target and renamed into place
only when everything succeeded, so an interrupted run never leaves half a result.
An analysis whose inputs are missing is skipped with a note in run.json and the report.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from .config import Config, load_config
from .geo.checks import CheckLog
from .geo.cluster import dask_scheduler
from .geo.errors import ConfigError
from .geo.io import MARKER, RunFolder, atomic_dir, check_output_dir, sha256
from .geo.resources import PeakMemory, max_rss_gb, memory_budget, release_memory, rss_gb
from .layers.population import read_population
from .layers.readers import read_facilities, read_flows, read_indicators, read_roads, read_units
from .layers.study_area import StudyArea

logger = logging.getLogger("urbanrural")

__all__ = ["run", "RunResult", "build_study_area", "RunContext"]

PACKAGES = ("urbanrural", "geopandas", "shapely", "pyproj", "pyogrio", "rasterio", "numpy",
            "pandas", "scipy", "libpysal", "esda", "mapclassify", "folium", "matplotlib")


@dataclass(frozen=True)
class RunResult:
    """Where a run wrote its outputs, and its run.json content."""

    out_dir: Path
    run: dict[str, Any]

    @property
    def results_gpkg(self) -> Path:
        return self.out_dir / "results.gpkg"


@dataclass
class RunContext:
    """Mutable state of one run, passed from step to step."""

    config: Config
    area: StudyArea
    tmp: Path
    units: gpd.GeoDataFrame
    out: RunFolder = field(init=False)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    rasters: dict[str, Path] = field(default_factory=dict)
    maps: list[Path] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    memory: dict[str, dict[str, float]] = field(default_factory=dict)  # GB per step: start, peak, end
    scale: dict[str, Any] = field(default_factory=lambda: {"scheduler": None})  # the dask scheduler in use
    results: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, Any] = field(default_factory=dict)
    # what one step hands to a later one in memory (never written): the accessibility
    # step's road graph, demand points and facilities for the panel's travel times per year
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.out = RunFolder(self.tmp)

    def note(self, analysis: str, status: str, detail: str) -> None:
        self.notes.append({"analysis": analysis, "status": status, "detail": detail})
        (logger.warning if status in ("skipped", "warning") else logger.info)(f"{analysis}: {status}: {detail}")

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        logger.info(f"[{name}] ...")
        t0 = time.perf_counter()
        with PeakMemory() as mem:
            yield
            release_memory()  # freed blocks back to the OS before the next step (glibc keeps them)
        self.timings[name] = round(time.perf_counter() - t0, 3)
        self.memory[name] = mem.as_dict()
        logger.info(f"[{name}] done in {self.timings[name]:.1f} s (peak {mem.peak_gb:.2f} GB)")


def build_study_area(cfg: Config, *, log: CheckLog | None = None) -> StudyArea:
    """Read every input named by ``cfg`` and build the StudyArea."""
    log = log if log is not None else CheckLog()
    u = cfg.units
    units = read_units(u.path, id_col=u.id, name_col=u.name, layer=u.layer, crs=u.crs,
                       repair=u.repair, drop_empty=u.drop_empty, overlap_tolerance=u.overlap_tolerance, log=log)
    facilities = None
    if cfg.facilities:
        parts = []
        for f in cfg.facilities:
            if f.osm is not None:
                from .layers import osm

                g = osm.read_facilities(f.osm, clip=units, buffer_m=f.clip_buffer_m, categories=f.categories,
                                        mapping=f.mapping, log=log)
            elif f.source is not None:
                from .layers.pois import read_pois

                g = read_pois(f.path, source=f.source, crs=f.crs, x=f.x, y=f.y, categories=f.categories,
                              mapping=f.mapping, sheet=f.layer, encoding=f.encoding, log=log)
            else:
                g = read_facilities(f.path, category=f.category, category_col=f.category_column,
                                    capacity_col=f.capacity, x_col=f.x, y_col=f.y, crs=f.crs,
                                    layer=f.layer, opened_col=f.opened, closed_col=f.closed, log=log)
            if "capacity" not in g.columns:
                g = g.assign(capacity=float("nan"))
            g = g.assign(**{k: float("nan") for k in ("opened", "closed") if getattr(f, k) is None})
            parts.append(g)
        target = parts[0].crs
        keep = ["category", "capacity"] + [k for k in ("opened", "closed") if any(getattr(f, k) for f in cfg.facilities)]
        facilities = gpd.GeoDataFrame(pd.concat([p.to_crs(target)[[*keep, "geometry"]] for p in parts]), crs=target)
        if facilities.index.duplicated().any():
            facilities.index = pd.Index([f"{i}-{n}" for n, i in enumerate(facilities.index)], name="facility_id")
    roads = None
    if cfg.roads is not None:
        r = cfg.roads
        if r.osm is not None:
            from .layers import osm

            roads = osm.read_roads(r.osm, clip=units, buffer_m=r.clip_buffer_m, mode=r.mode, preset=r.preset,
                                   speeds=r.speeds, use_maxspeed=r.use_maxspeed, log=log)
        else:
            roads = read_roads(r.path, class_col=r.class_, speeds=r.speeds, default_speed_kmh=r.default_speed,
                               oneway_col=r.oneway, layer=r.layer, crs=r.crs, log=log)
    indicators = panel = None
    if cfg.indicators is not None:
        i = cfg.indicators
        if cfg.analyses.panel is not None:
            from .layers.panel import read_panel

            panel = read_panel(i.path, files=i.files, id_col=i.id, units=units, sheet=i.sheet, encoding=i.encoding,
                               header_rows=i.header_rows, year_column=i.year_column, log=log)
            # the single-year analyses (integration, drivers) see the latest year
            indicators = panel.latest.reindex(units.index.astype(str))
            indicators.index.name = i.id
        else:
            if i.path is None:
                raise ConfigError("indicators: files: (one table per year) is read as a panel; add "
                                  "analyses.panel, or give path: for one table")
            indicators = read_indicators(i.path, id_col=i.id, units=units, sheet=i.sheet,
                                         encoding=i.encoding, zfill=i.zfill, header_rows=i.header_rows,
                                         year=i.year, log=log)
    flows = None
    if cfg.flows is not None:
        fl = cfg.flows
        flows = read_flows(fl.path, origin_col=fl.origin, destination_col=fl.destination,
                           volume_col=fl.volume, kind_col=fl.kind, year_col=fl.year, kind=fl.kind_name,
                           units=units, unknown_ids=fl.unknown_ids, sheet=fl.sheet, encoding=fl.encoding, log=log)
    pop = None
    if cfg.population is not None:
        pc = cfg.population
        pop = read_population(units, raster=pc.raster, column=pc.column, nodata=pc.nodata, preset=pc.preset,
                              zonal=pc.zonal, log=log)
    area = StudyArea.build(units, population=pop, facilities=facilities, roads=roads,
                           indicators=indicators, flows=flows, crs=cfg.crs, scale_tolerance=cfg.crs_tolerance,
                           log=log)
    return area if panel is None else replace(area, panel=panel)


Step = Callable[[RunContext], None]
ANALYSES: dict[str, Step] = {}


def analysis(name: str) -> Callable[[Step], Step]:
    """Register a pipeline step for a config section of ``analyses``."""

    def deco(fn: Step) -> Step:
        ANALYSES[name] = fn
        return fn

    return deco


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (pd.Timestamp,)):
        return o.isoformat()
    return str(o)


def _write_outputs(ctx: RunContext) -> None:
    source = ctx.area.source_crs
    gpkg = ctx.out.file(None, "results", ".gpkg")
    units = ctx.units.to_crs(source)
    units.index.name = ctx.config.units.id
    units = units.reset_index(allow_duplicates=True)
    units = units.loc[:, ~units.columns.duplicated()]  # id also given as name: one column
    units.to_file(gpkg, layer="units", driver="GPKG")
    if ctx.area.facilities is not None:
        fac = ctx.area.facilities.to_crs(source)
        fac.reset_index().to_file(gpkg, layer="facilities", driver="GPKG")
    for name, layer in ctx.layers.items():
        layer.to_crs(source).reset_index().to_file(gpkg, layer=name, driver="GPKG")
    for name, table in ctx.tables.items():
        # a plain row number is not data: write the index only when it names something
        plain = isinstance(table.index, pd.RangeIndex) and table.index.name is None
        table.to_csv(ctx.out.file("tables", name, ".csv"), index=not plain, encoding="utf-8")


def _run_json(ctx: RunContext, started: float) -> dict[str, Any]:
    cfg = ctx.config
    inputs = {role: {"path": str(p), "sha256": sha256(p),
                     "bytes": sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir()
                     else p.stat().st_size}
              for role, p in cfg.input_paths().items()}
    outputs = sorted(ctx.out.relative(p) for p in ctx.tmp.rglob("*") if p.is_file() and p.name != MARKER)
    return {
        "urbanrural": __version__,
        "config_file": str(cfg.source) if cfg.source else None,
        "config": json.loads(cfg.model_dump_json(by_alias=True)),
        "study_area": ctx.area.summary(),
        "inputs": inputs,
        "checks": ctx.area.checks.to_records(),
        "analyses": ctx.notes,
        "variants": ctx.variants,
        "results": {**ctx.results, "rasters": {k: ctx.out.relative(v) for k, v in ctx.rasters.items()}},
        "timings_s": {**ctx.timings, "total": round(time.perf_counter() - started, 3)},
        # resident memory of this process (GB) at the start, peak and end of each step, and
        # with a scheduler the workers' summed peak; run_peak: the OS's high-water mark of the process
        "memory_gb": {**ctx.memory, "run_peak": round(max(
            [m["peak"] for m in ctx.memory.values()] + [rss_gb(), max_rss_gb()]), 3)},
        "scale": {**ctx.scale, "memory_gb": cfg.scale.memory_gb},
        "versions": _versions(),
        "outputs": outputs + ["run.json"],
    }


def _report(ctx: RunContext, run: dict[str, Any]) -> None:
    from .maps.report import report_from_run

    report_from_run(ctx, run, ctx.out.file(None, "report", ".html"))


def run(config: str | Path | Config, *, out_dir: str | Path | None = None,
        overwrite: bool = False) -> RunResult:
    """Run a study end to end and write its output folder.

    Parameters
    ----------
    config : path or Config
        The YAML config (or a loaded :class:`~urbanrural.config.Config`).
    out_dir : path, optional
        Output folder; default ``outputs.dir`` of the config (relative to the config).
    overwrite : bool, default False
        Replace an existing output folder.

    Returns
    -------
    RunResult
    """
    started = time.perf_counter()
    cfg = config if isinstance(config, Config) else load_config(config)
    target = Path(out_dir) if out_dir is not None else cfg.outputs.dir
    inputs = [*cfg.input_paths().values(), *([cfg.source] if cfg.source else [])]
    check_output_dir(target, overwrite=overwrite, inputs=inputs)
    if overwrite and target.exists():
        logger.warning(f"--overwrite: {target} (a run folder of urbanrural) will be replaced when this run completes")
    with memory_budget(cfg.scale.memory_gb), \
            dask_scheduler(cfg.scale.scheduler, memory_gb=cfg.scale.memory_gb, workers=cfg.scale.workers) as sched:
        return _run(cfg, target, overwrite=overwrite, started=started, scale=sched)


def _run(cfg: Config, target: Path, *, overwrite: bool, started: float, scale: dict[str, Any]) -> RunResult:
    log = CheckLog()
    logger.info(f"run {cfg.name!r} -> {target}")
    t0 = time.perf_counter()
    with PeakMemory() as load_mem:
        area = build_study_area(cfg, log=log)
    from .preflight import run_problems

    problems = run_problems(cfg, area)
    if problems:
        raise ConfigError(f"{cfg.source.name if cfg.source else 'config'}: {len(problems)} problem(s): "
                          + " | ".join(problems))
    load_s = round(time.perf_counter() - t0, 3)
    with atomic_dir(target, overwrite=overwrite) as tmp:
        units = area.units.copy()
        if area.population is not None:
            units["population"] = area.population.per_unit
            units["density_per_km2"] = units["population"] / (units.area / 1e6)
        ctx = RunContext(cfg, area, tmp, units)
        ctx.timings["load"] = load_s
        ctx.memory["load"] = load_mem.as_dict()
        ctx.scale = scale
        if area.facilities is not None and len(area.facilities) and cfg.analyses.accessibility is None:
            # with an accessibility analysis, its step writes dist_<cat>_km from its own demand points
            from .analysis.accessibility.euclidean import straight_line_km, straight_line_variant

            with ctx.step("straight-line distances"):
                raster = area.population.raster if area.population is not None else None
                d = straight_line_km(units, area.facilities, population=raster)
                for c in d.columns:
                    ctx.units[c] = d[c]
                ctx.variants["straight_line"] = straight_line_variant("raster" if raster is not None else "centroid")
        for name in type(cfg.analyses).model_fields:  # fixed order: urban_rural first
            if getattr(cfg.analyses, name, None) is None:
                continue
            fn = ANALYSES.get(name)
            if fn is None:
                ctx.note(name, "skipped", "this analysis is not available in this build")
                continue
            with ctx.step(name):
                fn(ctx)
            ctx.units = ctx.units.copy()  # steps add columns one by one: defragment between steps
        ctx.out.folder("maps")
        with ctx.step("write"):
            _write_outputs(ctx)
        with ctx.step("maps"):
            _maps(ctx)
        run_info = _run_json(ctx, started)
        _report(ctx, run_info)
        run_info["outputs"] = sorted(set(run_info["outputs"]) | {"report.html"})
        ctx.out.file(None, "run", ".json").write_text(
            json.dumps(run_info, indent=2, ensure_ascii=False, default=_json_default), encoding="utf-8")
    logger.info(f"done in {time.perf_counter() - started:.1f} s: {target}")
    return RunResult(target, run_info)


def _maps(ctx: RunContext) -> None:
    """Maps listed in outputs.maps (filled in by the maps step when available)."""
    hook = ANALYSES.get("_maps")
    if hook is not None:
        hook(ctx)
    elif ctx.config.outputs.maps:
        ctx.note("maps", "skipped", "map rendering is not available in this build")


from . import _steps  # noqa: E402,F401  (registers the analysis steps)
