"""Checks that need the inputs as well as the config: run by ``validate`` and by ``run``.

A config can be well-formed and still name an indicator that no table has, a variable no
analysis computes, a code column the units lack, or a map that cannot be drawn.  Each of
these used to pass ``validate`` and then be dropped (or fail) at run time; here they are
all found before any number is computed, with a "did you mean" where a close name exists.
"""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path

from .config import Config
from .geo.errors import OutputError, OutputExistsError
from .layers.study_area import StudyArea

__all__ = ["available_columns", "run_problems"]


def _fmt(th: float) -> str:
    return f"{th:g}"


_ORDER = ("urban_rural", "accessibility", "integration", "autocorrelation", "flows", "panel", "drivers", "siting")


def computed_columns(cfg: Config, area: StudyArea, *, before: str | None = None) -> dict[str, str]:
    """Unit columns the configured analyses will compute, mapped to the analysis that makes them.

    ``before``: only what the analyses that run before this one compute (analyses run in
    the order urban_rural, accessibility, integration, autocorrelation, flows, panel, drivers).
    """
    out: dict[str, str] = {}
    a = cfg.analyses
    if before is not None:
        keep = _ORDER[: _ORDER.index(before)]
        a = a.model_copy(update={n: None for n in _ORDER if n not in keep})
    if area.population is not None:
        out.update({"population": "population", "density_per_km2": "population"})
    cats = _categories(area)
    for cat in cats:
        out[f"dist_{cat}_km"] = "facilities"
    if a.urban_rural is not None:
        out["urban_class"] = "analyses.urban_rural"
        if a.urban_rural.method == "degurba":
            out.update({"degurba_l1": "analyses.urban_rural", "degurba_l2": "analyses.urban_rural"})
    if a.accessibility is not None:
        acc = a.accessibility
        for cat in acc.categories or cats:
            for name in (f"tt_{cat}_min", f"reach_{cat}"):
                out[name] = "analyses.accessibility"
            for th in acc.thresholds:
                out[f"within_{_fmt(th)}min_share_{cat}"] = "analyses.accessibility"
                out[f"underserved_{_fmt(th)}min_{cat}"] = "analyses.accessibility"
            for m in acc.measures:
                out[f"acc_{m}_{cat}"] = "analyses.accessibility"
    if a.integration is not None:
        for name in ("integration_index", "topsis", *(f"score_{d}" for d in a.integration.dimensions)):
            out[name] = "analyses.integration"
        if a.integration.ccd is not None:
            for name in ("ccd_C", "ccd_T", "ccd_D", "ccd_class", "ccd_label", "ccd_lag"):
                out[name] = "analyses.integration"
    if a.autocorrelation is not None:
        for v in a.autocorrelation.variables:
            for name in (f"lisa_{v}", f"lisa_p_{v}", f"gi_{v}"):
                out[name] = "analyses.autocorrelation"
    if a.flows is not None:
        from ._steps.flows import kind_slug

        for k in flow_kinds(cfg, area):
            for col in ("in", "out", "net", "gross", "balance"):
                out[f"flow_{col}_{kind_slug(k)}"] = "analyses.flows"
        if a.flows.linkage is not None:
            out.update({"linkage_strength": "analyses.flows", "linkage_degree": "analyses.flows"})
    if a.panel is not None:
        col = a.panel.column
        years = area.panel.years if getattr(area, "panel", None) is not None else ()
        for y in years:
            out[f"{col}_{y}"] = "analyses.panel"
        for name in ("index_change", "index_annual_rate", "index_slope", "early_warning", "warning_count",
                     "hotspot_trend"):
            out[name] = "analyses.panel"
    st = getattr(a, "siting", None)
    for sc in ([] if st is None else st if isinstance(st, list) else [st]):
        for c in (sc.category if isinstance(sc.category, list) else [sc.category]):
            out[f"tt_after_{c}_min"] = "analyses.siting"
            out[f"newly_covered_{c}"] = "analyses.siting"
    return out


def flow_kinds(cfg: Config, area: StudyArea) -> list[str]:
    """The flow kinds the flows analysis will account (configured ones that are in the table)."""
    if area.flows is None or not len(area.flows):
        return []
    present = [str(k) for k in area.flows["kind"].unique()]
    a = cfg.analyses.flows
    wanted = a.kinds if a is not None and a.kinds else present
    return [k for k in wanted if k in present]


def _categories(area: StudyArea) -> list[str]:
    if area.facilities is None or not len(area.facilities):
        return []
    return sorted(area.facilities["category"].astype(str).unique())


def available_columns(cfg: Config, area: StudyArea, *, before: str | None = None) -> dict[str, str]:
    """Every column name a config may refer to (before analysis ``before``), mapped to its source."""
    out = {c: "units" for c in area.units.columns if c != "geometry"}
    if area.indicators is not None and before == "integration":  # only integration reads the table
        out.update({c: "indicators" for c in area.indicators.columns if c not in out})
    out.update(computed_columns(cfg, area, before=before))
    return out


def _indicator_only(name: str, area: StudyArea, where: str) -> str | None:
    if area.indicators is not None and name in area.indicators.columns:
        return (f"{where}: {name!r} is a column of the indicators table, which only analyses.integration "
                "reads; add it to the units file, or use an integration result (integration_index, score_<dim>)")
    return None


def _unknown(name: str, where: str, have: dict[str, str], *, what: str = "column") -> str:
    hint = get_close_matches(name, list(have), n=1, cutoff=0.6)
    mean = f"; did you mean {hint[0]!r}?" if hint else ""
    listing = ", ".join(sorted(have))
    if len(listing) > 400:
        listing = listing[:400] + " ..."
    return f"{where}: unknown {what} {name!r}{mean} (known: {listing})"


def _map_problem(spec: str, cfg: Config, area: StudyArea, have: dict[str, str]) -> str | None:
    kind, sep, arg = spec.partition(":")
    a = cfg.analyses
    cats = _categories(area)
    where = "outputs.maps"
    if not sep:
        if spec == "facilities":
            return None if cats else f"{where}: map 'facilities' needs a facilities: section"
        if spec == "degurba":
            return None if a.urban_rural is not None else f"{where}: map 'degurba' needs analyses.urban_rural"
        if spec == "ccd":
            ok = a.integration is not None and a.integration.ccd is not None
            return None if ok else f"{where}: map 'ccd' needs analyses.integration.ccd"
        if spec in have:
            return None
        return _indicator_only(spec, area, where) or _unknown(spec, where, have, what="map column")
    if kind in ("lisa", "gi"):
        ac = a.autocorrelation
        if ac is None or arg not in ac.variables:
            known = ac.variables if ac is not None else []
            hint = get_close_matches(arg, known, n=1)
            mean = f"; did you mean '{kind}:{hint[0]}'?" if hint else ""
            return (f"{where}: map {spec!r} needs {arg!r} in analyses.autocorrelation.variables{mean} "
                    f"(variables: {', '.join(known) or 'none'})")
        return None
    if kind in ("tt", "iso"):
        if a.accessibility is None:
            return f"{where}: map {spec!r} needs analyses.accessibility"
        acc_cats = a.accessibility.categories or cats
        if arg not in acc_cats:
            hint = get_close_matches(arg, acc_cats, n=1)
            mean = f"; did you mean '{kind}:{hint[0]}'?" if hint else ""
            return f"{where}: map {spec!r}: no facility category {arg!r}{mean} (categories: {', '.join(acc_cats)})"
        return None
    if kind == "sites":
        st = a.siting
        cats = [str(c) for sc in ([] if st is None else st if isinstance(st, list) else [st])
                for c in (sc.category if isinstance(sc.category, list) else [sc.category])]
        if arg not in cats:
            hint = get_close_matches(arg, cats, n=1)
            mean = f"; did you mean 'sites:{hint[0]}'?" if hint else ""
            return (f"{where}: map {spec!r} needs {arg!r} in analyses.siting.category{mean} "
                    f"(sited: {', '.join(cats) or 'none'})")
        return None
    if kind in ("years", "density"):
        if a.panel is None:
            return f"{where}: map {spec!r} needs analyses.panel (indicators over several years)"
        allowed = {a.panel.column}
        if arg not in allowed:
            hint = get_close_matches(arg, sorted(allowed), n=1)
            mean = f"; did you mean '{kind}:{hint[0]}'?" if hint else ""
            return (f"{where}: map {spec!r}: the panel maps its column {a.panel.column!r} (analyses.panel.column)"
                    f"{mean}")
        return None
    if kind in ("flow", "flow_matrix"):
        if a.flows is None or cfg.flows is None:
            return f"{where}: map {spec!r} needs a flows: table and analyses.flows"
        kinds = flow_kinds(cfg, area)
        if arg not in kinds:
            hint = get_close_matches(arg, kinds, n=1)
            mean = f"; did you mean '{kind}:{hint[0]}'?" if hint else ""
            return f"{where}: map {spec!r}: no flow kind {arg!r}{mean} (kinds: {', '.join(kinds) or 'none'})"
        return None
    return (f"{where}: map {spec!r}: unknown kind {kind!r} (valid: a column, lisa:VAR, gi:VAR, tt:CATEGORY, "
            "iso:CATEGORY, flow:KIND, flow_matrix:KIND, years:VAR, density:VAR, sites:CATEGORY, degurba, ccd, "
            "facilities)")


def run_problems(cfg: Config, area: StudyArea, *, out_dir: str | Path | None = None) -> list[str]:
    """Every problem the run would meet with these inputs (empty list: ready).

    ``out_dir``: also check that this output folder may be used (as ``run`` would).
    """
    problems: list[str] = []
    a = cfg.analyses
    have = available_columns(cfg, area)
    units_cols = {c: "units" for c in area.units.columns if c != "geometry"}
    ur = a.urban_rural
    if ur is not None and ur.column and (ur.method in (None, "column")):
        if ur.column not in units_cols:
            problems.append(_unknown(ur.column, "analyses.urban_rural.column", units_cols, what="units column"))
        else:  # read the column now, as the run will: codes, labels or a condition
            from .analysis.designation import designate
            from .geo.errors import UrbanRuralError

            try:
                designate(area.units[ur.column], labels=ur.labels, rural_if=ur.rural_if, urban_if=ur.urban_if,
                          name=f"units column {ur.column!r}")
            except UrbanRuralError as exc:
                problems.append(f"analyses.urban_rural: {exc}")
    if ur is not None and ur.method == "degurba":
        neg = sum(c.count for c in area.checks.records if c.check == "negative cells" and c.status == "warning")
        if neg:
            problems.append(f"analyses.urban_rural: the Degree of Urbanisation classifies every cell of the "
                            f"population raster, and {neg} cell(s) outside the units are negative; if they mark "
                            "empty cells make that value the raster's nodata, else fix the raster")
    cats = _categories(area)
    folded: dict[str, str] = {}
    for c in cats:
        other = folded.setdefault(c.casefold(), c)
        if other != c:
            problems.append(f"facilities: categories {other!r} and {c!r} differ only in letter case; result "
                            "columns (GeoPackage) do not tell them apart: rename one in the facility file")
    acc = a.accessibility
    if acc is not None and acc.categories:
        for c in acc.categories:
            if c not in cats:
                hint = get_close_matches(c, cats, n=1)
                mean = f"; did you mean {hint[0]!r}?" if hint else ""
                problems.append(f"analyses.accessibility.categories: no facility of category {c!r}{mean} "
                                f"(categories in the facility files: {', '.join(cats) or 'none'})")
    integ = a.integration
    if integ is not None:
        have_i = available_columns(cfg, area, before="integration")
        for dim, cols in integ.dimensions.items():
            for col in cols:
                if col not in have_i:
                    problems.append(_unknown(col, f"analyses.integration.dimensions.{dim}", have_i,
                                             what="indicator"))
        if integ.ccd is not None:
            for s in integ.ccd.subsystems:
                if s not in integ.dimensions:
                    problems.append(f"analyses.integration.ccd.subsystems: {s!r} is not a dimension "
                                    f"(dimensions: {', '.join(integ.dimensions)})")
    ac = a.autocorrelation
    if ac is not None:
        have_a = available_columns(cfg, area, before="autocorrelation")
        for v in ac.variables:
            if v not in have_a:
                where = "analyses.autocorrelation.variables"
                problems.append(_indicator_only(v, area, where) or _unknown(v, where, have_a, what="variable"))
    fa = a.flows
    if fa is not None:
        have_f = available_columns(cfg, area, before="flows")
        # the default groups (urban_class) is optional: without analyses.urban_rural the step says so
        if fa.groups not in have_f and ("groups" in fa.model_fields_set or a.urban_rural is not None):
            problems.append(_unknown(fa.groups, "analyses.flows.groups", have_f, what="unit column"))
        from ._steps.flows import kind_slug

        slugs: dict[str, str] = {}
        for k in ([] if area.flows is None else [str(x) for x in area.flows["kind"].unique()]):
            other = slugs.setdefault(kind_slug(k), k)
            if other != k:
                problems.append(f"flows: kinds {other!r} and {k!r} would share the columns flow_*_{kind_slug(k)}; "
                                "rename one in the kind column")
        present = [] if area.flows is None else [str(k) for k in area.flows["kind"].unique()]
        for k in fa.kinds or []:
            if k not in present:
                hint = get_close_matches(k, present, n=1)
                mean = f"; did you mean {hint[0]!r}?" if hint else ""
                problems.append(f"analyses.flows.kinds: no flows of kind {k!r}{mean} (kinds in the flow table: "
                                f"{', '.join(present) or 'none'}; name the kind column with flows: kind:)")
        if fa.linkage is not None:
            for key in ("value", "population"):
                col = getattr(fa.linkage, key)
                if col is not None and col not in have_f:
                    problems.append(_unknown(col, f"analyses.flows.linkage.{key}", have_f, what="unit column"))
    pa = a.panel
    if pa is not None and getattr(area, "panel", None) is not None:
        panel_cols = {c: "indicators" for c in area.panel.frame.columns}
        idx_cols = {"integration_index": "analyses.panel", "topsis": "analyses.panel",
                    **({"ccd_D": "analyses.panel"} if a.integration is not None and a.integration.ccd else {}),
                    **{f"score_{d}": "analyses.panel" for d in (a.integration.dimensions if a.integration else {})}}
        if pa.column not in panel_cols and pa.column not in idx_cols:
            problems.append(_unknown(pa.column, "analyses.panel.column", {**idx_cols, **panel_cols},
                                     what="panel column"))
        if pa.warning.ratio:
            for c in pa.warning.ratio:
                if c not in panel_cols:
                    problems.append(_unknown(c, "analyses.panel.warning.ratio", panel_cols, what="panel indicator"))
        units_cols_p = available_columns(cfg, area, before="panel")
        for c in pa.controls:
            if c not in units_cols_p and c not in panel_cols:
                problems.append(_unknown(c, "analyses.panel.controls", {**units_cols_p, **panel_cols}))
        if pa.groups is not None and pa.groups not in units_cols_p:
            problems.append(_unknown(pa.groups, "analyses.panel.groups", units_cols_p, what="unit column"))
    sitings = [] if a.siting is None else (a.siting if isinstance(a.siting, list) else [a.siting])
    for i, sc in enumerate(sitings):
        where = f"analyses.siting[{i}]" if isinstance(a.siting, list) else "analyses.siting"
        for c in (sc.category if isinstance(sc.category, list) else [sc.category]):
            if str(c) not in cats:
                hint = get_close_matches(str(c), cats, n=1)
                mean = f"; did you mean {hint[0]!r}?" if hint else ""
                problems.append(f"{where}.category: no facility category {c!r}{mean} (categories: "
                                f"{', '.join(cats) or 'none'}); a service with no facility yet needs at least "
                                "its category named in a facility file")
        if sc.weight is not None and sc.weight not in units_cols:
            problems.append(_unknown(sc.weight, f"{where}.weight", units_cols, what="units column"))
    da = a.drivers
    if da is not None:
        have_d = available_columns(cfg, area, before="drivers")
        if area.indicators is not None:
            have_d.update({c: "indicators" for c in area.indicators.columns if c not in have_d})
        for c in [da.target, *da.factors]:
            if c not in have_d:
                where = "analyses.drivers." + ("target" if c == da.target else "factors")
                problems.append(_unknown(c, where, have_d, what="column"))
        if da.target in da.factors:
            problems.append(f"analyses.drivers: the target {da.target!r} is also a factor; remove it from factors")
        if len(da.factors) < 1:
            problems.append("analyses.drivers.factors: name at least one factor column")
    for spec in cfg.outputs.maps:
        p = _map_problem(spec, cfg, area, have)
        if p:
            problems.append(p)
    if out_dir is not None:
        inputs = [*cfg.input_paths().values(), *([cfg.source] if cfg.source else [])]
        from .geo.io import check_output_dir

        try:
            check_output_dir(out_dir, overwrite=True, inputs=inputs)
        except OutputExistsError:
            pass
        except OutputError as exc:
            problems.append(f"outputs.dir: {exc}")
    return problems
