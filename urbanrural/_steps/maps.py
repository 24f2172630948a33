"""Pipeline step ``_maps``: every map of ``outputs.maps`` in every format of ``outputs.formats``.

Titles come from the label registry in the run's language (the study name as the place);
travel-time maps use the accessibility thresholds as bands; print maps follow
``outputs.page``/``orientation``/``dpi`` with the config's subtitle, source and date and the
county boundary as context; HTML maps get tiles only when ``outputs.tiles`` names them.
File names come from the map spec through :meth:`RunFolder.file` (``tt:县级医院`` ->
``maps/tt_县级医院.png``; specs that sanitise to the same name stay apart). A print map is
drawn once and saved in every print format configured (png, pdf, svg from one figure).
"""

from __future__ import annotations

from pathlib import Path

from ..geo.errors import DataError
from ..geo.progress import progress
from ..maps.render import render_map
from ..pipeline import RunContext, analysis

_STATUS = {"en": {"existing": "existing", "proposed": "proposed"}, "zh": {"existing": "现有", "proposed": "新增"}}


def _sitings(ctx: RunContext) -> list:
    st = ctx.config.analyses.siting
    return [] if st is None else st if isinstance(st, list) else [st]


def _sites_map(ctx: RunContext, spec: str, units: object, popts: dict[str, object]) -> None:
    """``sites:<category>``: travel time with the proposed sites open, existing and proposed sites on top."""
    import geopandas as gpd

    from ..maps.labels import category_name

    cat = spec.split(":", 1)[1]
    lang = ctx.config.language
    sites = ctx.layers.get("sites")
    col = f"tt_after_{cat}_min"
    if sites is None or col not in ctx.units.columns:
        ctx.note("maps", "warning", f"{spec} not drawn: the siting analysis chose no {cat} sites")
        return
    sites = sites[sites["category"].astype(str) == cat].copy()
    if ctx.area.source_crs is not None:
        sites = sites.to_crs(ctx.area.source_crs)
    plain = category_name(cat, language=lang)
    name = plain[:1].upper() + plain[1:] if lang == "en" else plain  # legend entries start a line
    sep = "：" if lang == "zh" else ": "
    sites["category"] = [f"{name}{sep}{_STATUS[lang][s]}" for s in sites["status"]]
    n_new = int((sites["status"] == "proposed").sum())
    head = (f"新增{plain}选址（{n_new} 处）与出行时间" if lang == "zh"
            else f"Proposed {plain} sites ({n_new}) and travel time with them")
    title = f"{ctx.config.title()}{'：' if lang == 'zh' else ': '}{head}"
    acc = ctx.config.analyses.accessibility
    bins = list(acc.thresholds) if acc is not None else None
    context: dict[str, object] = dict(popts.get("context") or {})
    for status in ("existing", "proposed"):
        part = sites[sites["status"] == status]
        if len(part):
            context[f"{name}{sep}{_STATUS[lang][status]}"] = (part, "star") if status == "proposed" else part
    newly = f"newly_covered_{cat}"
    if newly in ctx.units.columns and (ctx.units[newly] > 0).any():
        gained = units[ctx.units[newly].reindex(units.index).fillna(0).to_numpy() > 0][["geometry"]]
        std = next((sc.standard_min for sc in _sitings(ctx)
                    if cat in [str(c) for c in (sc.category if isinstance(sc.category, list) else [sc.category])]), None)
        key = (f"新增 {std:g} 分钟内覆盖人口的单元" if lang == "zh" else f"Units with people newly within {std:g} min")
        context[key] = (gained, "newly")
    for sc in _sitings(ctx):
        if cat not in [str(c) for c in (sc.category if isinstance(sc.category, list) else [sc.category])]:
            continue
        for c in sc.constraints:
            if c.rule == "exclude":
                zone = gpd.read_file(c.path, layer=c.layer) if c.layer else gpd.read_file(c.path)
                label = (c.name_zh or c.name) if lang == "zh" else c.name
                context[label or c.path.stem] = (zone, "hatch")
    opts = {**popts, "context": context}
    for group in _groups(ctx, spec):
        try:
            render_map(units, col, group if len(group) > 1 else group[0], language=lang, facilities=sites,
                       context=("facilities",), title=title, bins=bins, tiles=ctx.config.outputs.tiles,
                       attr=ctx.config.outputs.tiles_attribution, id_column=None, print_options=opts)
        except DataError as exc:
            ctx.note("maps", "warning", f"{spec} ({_fmts(group)}) not drawn: {exc}")
            return
        ctx.maps.extend(group)


def _groups(ctx: RunContext, spec: str) -> list[list[Path]]:
    """The files of ``spec`` in the order of ``outputs.formats``: each HTML map alone, the
    print formats together (one figure drawn, saved as png, pdf and svg)."""
    groups: list[list[Path]] = []
    prints: list[Path] = []
    for fmt in ctx.config.outputs.formats:
        out = ctx.out.file("maps", spec, f".{fmt}")
        if fmt == "html":
            groups.append([out])
        else:
            if not prints:
                groups.append(prints)
            prints.append(out)
    return groups


def _fmts(group: list[Path]) -> str:
    return ", ".join(p.suffix.lstrip(".") for p in group)


def _print_options(ctx: RunContext) -> dict[str, object]:
    o = ctx.config.outputs
    return {"page": o.page, "orientation": o.orientation, "dpi": o.dpi, "subtitle": o.subtitle, "source": o.source,
            "date": o.date, "context": {"boundary": True}}


@analysis("_maps")
def maps_step(ctx: RunContext) -> None:
    cfg = ctx.config.outputs
    source_crs = ctx.area.source_crs
    units = ctx.units.to_crs(source_crs) if source_crs is not None else ctx.units
    facilities = ctx.area.facilities
    roads = ctx.area.roads
    acc = ctx.config.analyses.accessibility
    bins = list(acc.thresholds) if acc is not None else None
    popts = _print_options(ctx)
    flows = ctx.layers.get("flows")
    if flows is not None and source_crs is not None:
        flows = flows.to_crs(source_crs)
    fa = ctx.config.analyses.flows
    top_n = fa.top_n if fa is not None else None
    for spec in progress(cfg.maps, desc="maps", unit="map"):
        if spec.startswith("sites:"):
            _sites_map(ctx, spec, units, popts)
            continue
        raster = None
        if spec.startswith("tt:"):
            raster = ctx.rasters.get(f"tt_{spec[3:]}")
        for group in _groups(ctx, spec):
            try:
                render_map(units, spec, group if len(group) > 1 else group[0], language=ctx.config.language,
                           facilities=facilities, raster=raster, place=ctx.config.title(),
                           isochrones=ctx.layers.get("isochrones"), bins=bins, roads=roads, tiles=cfg.tiles,
                           attr=cfg.tiles_attribution, id_column=None, print_options=popts, flows=flows,
                           **({"top_n": top_n} if top_n is not None else {}))
            except DataError as exc:
                # preflight (validate/run) refuses specs that cannot be drawn; what remains is data
                # that turned out empty at run time: a warning in the log, run.json and report
                ctx.note("maps", "warning", f"{spec} ({_fmts(group)}) not drawn: {exc}")
                break
            ctx.maps.extend(group)
    ctx.results["maps"] = [ctx.out.relative(p) for p in ctx.maps]
