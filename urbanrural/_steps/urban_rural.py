"""Pipeline step ``analyses.urban_rural``: an urban/rural class for every unit.

Methods (``method`` wins; otherwise ``column``, then ``density_threshold``):

- ``degurba``: Degree of Urbanisation on the study's population raster, resampled to the
  1 km Mollweide grid with population preserved (stage 1, level 2, written to
  ``rasters/degurba_grid.tif``), then units by the share of their people in each class
  (stage 2, counted on the original raster's cells).  Units get ``degurba_l1`` (3 city,
  2 town or semi-dense area, 1 rural area), ``degurba_l2`` and ``urban_class`` ("urban"
  for cities, towns and semi-dense areas).  Without a land raster every cell counts as
  permanent land (noted); without a built-up raster the built-up criterion is off.
- ``column``: an official code column (China's 111-123 urban, 210/220 rural).
- ``density``: people per km2 of the unit >= ``density_threshold`` is urban.
"""

from __future__ import annotations

import pandas as pd

from ..analysis import degurba
from ..analysis.designation import designate
from ..geo.errors import ConfigError
from ..maps._report_zh import Phrase
from ..pipeline import RunContext, analysis

TILE_CELLS = 512  # 1 km cells a side per dask tile of the DEGURBA grid (with scale: scheduler)


def _method(cfg) -> str:
    if cfg.method:
        return cfg.method
    return "column" if cfg.column else "density" if cfg.density_threshold else "degurba"


@analysis("urban_rural")
def urban_rural_step(ctx: RunContext) -> None:
    cfg = ctx.config.analyses.urban_rural
    units = ctx.units
    method = _method(cfg)
    if method == "column":
        if not cfg.column:
            raise ConfigError("analyses.urban_rural: method column needs column: <code column>")
        if cfg.column not in units.columns:
            have = ", ".join(c for c in units.columns if c != "geometry")
            raise ConfigError(f"analyses.urban_rural: column {cfg.column!r} is not a units column (have {have})")
        d = designate(units[cfg.column], labels=cfg.labels, rural_if=cfg.rural_if, urban_if=cfg.urban_if,
                      name=f"units column {cfg.column!r}")
        ctx.units["urban_class"] = d.classes
        n_missing = int(d.classes.isna().sum())
        if n_missing:
            ctx.note("urban_rural", "warning", f"{n_missing} unit(s) have no value in {cfg.column!r}: no urban/rural "
                     "class (left out of the urban/rural tables)")
        ctx.variants["urban_rural"] = Phrase(d.detail, _designation_zh(cfg, d.method))
    elif method == "density":
        if not cfg.density_threshold:
            raise ConfigError("analyses.urban_rural: method density needs density_threshold: <people/km2>")
        if "density_per_km2" not in units.columns:
            ctx.note("urban_rural", "skipped", "a density threshold needs a population (population: per unit or "
                                               "raster)")
            return
        ctx.units["urban_class"] = degurba.by_density(units["density_per_km2"], threshold=cfg.density_threshold)
        ctx.variants["urban_rural"] = Phrase(f"unit density >= {cfg.density_threshold:g} people/km2 is urban",
                                             f"单元人口密度 ≥ {cfg.density_threshold:g} 人/平方公里为城镇")
    else:
        _degurba(ctx, cfg)
        if "urban_class" not in ctx.units.columns:
            return
    _summarise(ctx, method)


def _designation_zh(cfg, method: str) -> str:
    """Chinese of :class:`~urbanrural.analysis.designation.Designation`'s ``detail``."""
    col = f"单元字段 `{cfg.column}`"
    if method == "threshold":
        cond, which = (cfg.rural_if, "乡村") if cfg.rural_if is not None else (cfg.urban_if, "城镇")
        return f"{col} 满足 `{cond}` 时为{which}"
    if method == "codes":
        return f"{col} 中的国家统计用城乡划分代码：111–123 为城镇，210/220 为乡村"
    if cfg.labels:
        return f"{col} 的标签（配置中映射 {len(cfg.labels)} 个，其余使用内置标签）"
    return f"{col} 的标签（内置标签）"


def _degurba_variant(cfg) -> Phrase:
    """``variants.urban_rural`` of the Degree of Urbanisation, in English with its Chinese."""
    return Phrase(
        "Degree of Urbanisation (GHSL R2023A grid rules, July 2024 semi-dense rule; flexurba defaults) on the "
        "1 km Mollweide grid (population moved by 250 m sub-cells, total preserved); units by population shares "
        "(2024 unit rules); urban = cities, towns and semi-dense areas"
        + ("" if cfg.land else "; no land raster: every cell counted as permanent land")
        + ("" if cfg.built else "; no built-up raster: built-up criterion off"),
        "欧盟城市化程度分级（DEGURBA；GHSL R2023A 格网规则、2024 年 7 月半密集地区规则；`flexurba` 默认参数），"
        "基于 1 公里摩尔威德投影格网（人口按 250 米子栅格重分配，总量不变）；单元按各等级人口占比划分（2024 年单元规则）；"
        "城镇 = 城市、城镇及半密集地区"
        + ("" if cfg.land else "；无土地栅格：所有栅格视为永久陆地")
        + ("" if cfg.built else "；无建成区栅格：不使用建成区标准"))


def _degurba(ctx: RunContext, cfg) -> None:
    pop = ctx.area.population
    if pop is None or pop.raster is None:
        ctx.note("urban_rural", "skipped", "method degurba needs a population raster (population: raster:)")
        return
    nodata = ctx.config.population.nodata if ctx.config.population is not None else None
    # with scale: scheduler, the grid rules run in tiles on the cluster (equal cell for cell)
    # (scheduler: local only: the tiles wait between rounds in a scratch folder on this machine)
    tiled = TILE_CELLS if ctx.scale.get("scheduler") == "local" else None
    if ctx.scale.get("scheduler") and not tiled:
        ctx.note("urban_rural", "info", "the DEGURBA grid is classified in this process: its tiles would wait in "
                 "a scratch folder on this machine, which a remote cluster's workers cannot see")
    grid = degurba.classify_raster(pop.raster.path, land=cfg.land, built=cfg.built, level=2,
                                   params=degurba.GridParams.preset(cfg.rules), nodata=nodata, tiled=tiled)
    if tiled and max(grid.classes.shape) > tiled:
        ctx.results["degurba_tiles"] = {"tile_cells": tiled, "scheduler": ctx.scale["scheduler"]}
    for note in grid.notes:
        ctx.note("urban_rural", "warning", note)
    path = grid.write(ctx.out.file("rasters", "degurba_grid", ".tif"))
    ctx.rasters["degurba_grid"] = path
    cls = degurba.classify_units(ctx.units, grid, pop.raster.path, nodata=nodata)
    ctx.units["degurba_l1"] = cls["degurba_l1"].astype(int)
    ctx.units["degurba_l2"] = cls["degurba_l2"].astype(int)
    ctx.units["urban_class"] = cls["degurba_l1"].map({3: "urban", 2: "urban", 1: "rural"})
    counts = grid.counts()
    ctx.tables["degurba_grid"] = counts
    l2 = cls.assign(label=cls["degurba_l2"].map(degurba.UNIT_LEVEL2))
    ctx.tables["degurba_units"] = (l2.groupby(["degurba_l2", "label"]).agg(units=("population", "size"),
                                                                           population=("population", "sum"))
                                   .reset_index("label"))
    total = float(pd.Series(grid.population.ravel()).sum(skipna=True))
    ctx.variants["urban_rural"] = _degurba_variant(cfg)
    ctx.results["degurba"] = {"grid_population": total, "built_threshold": grid.built_threshold,
                              "cells": {int(k): int(v) for k, v in counts["cells"].items()}}


def _summarise(ctx: RunContext, method: str) -> None:
    units = ctx.units
    people = units["population"] if "population" in units.columns else pd.Series(float("nan"), index=units.index)
    frame = pd.DataFrame({"urban_class": units["urban_class"], "population": people})
    # unknown population stays missing (NaN), never 0: sum(min_count=1) over known values only
    grp = frame.groupby("urban_class")
    table = pd.DataFrame({"units": grp.size(),
                          "population": grp["population"].sum(min_count=1)}).reindex(["urban", "rural"])
    table["units"] = table["units"].fillna(0).astype(int)
    known = frame["population"].notna().any()
    if known:
        table["population"] = table["population"].fillna(0.0)
    total = table["population"].sum(min_count=1)
    table["population_share"] = table["population"] / total if known and total > 0 else float("nan")
    table["method"] = method
    table.index.name = "urban_class"
    ctx.tables["urban_rural"] = table
    ctx.results["urban_rural"] = {"method": method, **{k: {"units": int(r["units"]),
                                                           "population": float(r["population"])
                                                           if pd.notna(r["population"]) else None}
                                                       for k, r in table.iterrows()}}
