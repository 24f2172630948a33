"""The study configuration (YAML): schema, loading and preflight validation.

One file describes one study (see the README's configuration reference).  Paths are
relative to the file.  Unknown keys are errors that suggest the nearest valid key;
:func:`validate_config` collects every problem before raising once.
"""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .geo.errors import ConfigError

__all__ = ["Config", "load_config", "validate_config", "config_problems", "ACCESS_MEASURES"]

ACCESS_MEASURES = ("nearest", "cumulative", "gravity", "2sfca", "e2sfca", "g2sfca", "3sfca", "raam")


def _resolve(value: Path, info: ValidationInfo) -> Path:
    text = str(value)
    if text.startswith("example:"):  # a bundled example data set (libpysal's, offline): example:georgia
        from .layers.datasets import example_path

        return example_path(text.split(":", 1)[1])
    base = (info.context or {}).get("base")
    if base is not None and not value.is_absolute():
        return (Path(base) / value).resolve()
    return value


InPath = Annotated[Path, AfterValidator(_resolve)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class UnitsConfig(_Section):
    path: InPath
    id: str
    layer: str | int | None = None
    name: str | None = None
    crs: str | None = None
    repair: bool = True
    drop_empty: bool = False
    # largest share of a unit's area that may overlap another unit (else: refused, naming the pairs)
    overlap_tolerance: float = Field(default=0.01, ge=0, le=1)


class PopulationConfig(_Section):
    raster: InPath | None = None
    column: str | None = None
    nodata: float | None = None
    # a published grid's expected CRS/nodata (checked, warned on mismatch; supplies nodata only
    # when the file declares none); zonal: exact cell coverage fractions, or cell centres
    preset: Literal["worldpop", "ghs-pop", "landscan"] | None = None
    zonal: Literal["exact", "centre"] = "exact"
    # analyses.panel: people per cell of earlier years ({2019: pop2019.tif}); a panel year without
    # its raster uses the nearest earlier year's, else raster: (the latest)
    rasters: dict[int, InPath] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PopulationConfig:
        if (self.raster is None) == (self.column is None):
            raise ValueError("give exactly one of raster: (people per cell) or column: (people per unit)")
        if self.rasters is not None:
            if self.raster is None:
                raise ValueError("rasters: (people per cell by year) goes with raster: (the latest year), not "
                                 "column:")
            bad = sorted(y for y in self.rasters if not 1800 <= y <= 2100)
            if bad:
                raise ValueError(f"rasters: keys are years like 2019; got {bad}")
        return self


class FacilityConfig(_Section):
    path: InPath | None = None          # points/polygons, a CSV with x/y, or a POI export (source:)
    osm: InPath | None = None           # an OpenStreetMap extract (.osm.pbf): tags mapped to categories
    source: Literal["amap", "baidu"] | None = None   # path is an AMap/Baidu POI export (typecodes, GCJ-02/BD-09)
    layer: str | int | None = None
    category: str | None = None
    category_column: str | None = None
    capacity: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str | None = None
    categories: list[str] | None = None               # osm / source: keep only these categories
    mapping: dict[str, str | None] | None = None      # osm: "amenity=clinic": clinic; source: typecode: category
    encoding: str | None = None                       # source: text encoding of a CSV export
    clip_buffer_m: float = Field(default=0.0, ge=0)   # osm: keep facilities within this distance of the units
    # columns of the year a facility opened / closed (analyses.panel: accessibility per year);
    # empty = there before the first year / never closed
    opened: str | None = None
    closed: str | None = None

    @model_validator(mode="after")
    def _one_category(self) -> FacilityConfig:
        if (self.path is None) == (self.osm is None):
            raise ValueError("give exactly one of path: (a file) or osm: (an .osm.pbf extract)")
        if (self.osm is not None or self.source is not None) and (self.opened or self.closed):
            raise ValueError("opened:/closed: name year columns of a facilities file (path: without source:); "
                             "OSM extracts and POI exports carry no opening years")
        if self.osm is not None:
            extra = [k for k in ("source", "category", "category_column", "capacity", "x", "y", "layer")
                     if getattr(self, k) is not None]
            if extra:
                raise ValueError(f"osm: facilities take categories: and mapping: (tags -> categories), not {extra}")
            return self
        if self.source is None:
            if (self.category is None) == (self.category_column is None):
                raise ValueError("give exactly one of category: (one category for the file) or category_column: "
                                 "(or source: amap | baidu for a POI export)")
            if self.categories is not None or self.mapping is not None:
                raise ValueError("categories: and mapping: apply to osm: extracts and POI exports (source:)")
        elif self.category is not None or self.category_column is not None:
            raise ValueError("a POI export (source:) gets its categories from its typecodes: use categories: "
                             "and mapping: instead of category:/category_column:")
        if (self.x is None) != (self.y is None):
            raise ValueError("give both x: and y: (coordinate columns) or neither")
        return self

    @property
    def file(self) -> Path:
        """The input file (path or osm)."""
        return self.path if self.path is not None else self.osm  # type: ignore[return-value]


class RoadsConfig(_Section):
    path: InPath | None = None          # lines with a class column
    osm: InPath | None = None           # or an OpenStreetMap extract (.osm.pbf), read around the units
    layer: str | int | None = None
    class_: str | None = Field(default=None, alias="class")
    speeds: dict[str, float] | None = None   # path: km/h per class (required); osm: overrides of the preset
    default_speed: float | None = Field(default=None, gt=0)
    off_road_speed: float = Field(default=5.0, gt=0)
    node_crossings: bool = False
    # largest: keep only the largest connected part of the network (OSM extracts' car parks and
    # cut edges are islands); all: small parts stay, and people snapped to them are unreachable
    components: Literal["all", "largest"] = "all"
    oneway: str | None = None
    crs: str | None = None
    # osm: China's design speeds (JTG B01-2014, CJJ 37) or OSM's usual European values;
    # drive (one-way rules, no footways) or walk; roads kept within clip_buffer_m of the units
    preset: Literal["china", "europe"] = "china"
    mode: Literal["drive", "walk"] = "drive"
    clip_buffer_m: float = Field(default=5000.0, ge=0)
    use_maxspeed: bool = True

    @field_validator("speeds")
    @classmethod
    def _positive(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        bad = {k: s for k, s in (v or {}).items() if not s > 0}
        if bad:
            raise ValueError(f"speeds must be positive km/h; got {bad}")
        return v

    @model_validator(mode="after")
    def _source(self) -> RoadsConfig:
        if (self.path is None) == (self.osm is None):
            raise ValueError("give exactly one of path: (road lines with a class column) or osm: (an .osm.pbf)")
        if self.path is not None:
            missing = [k for k, v in (("class", self.class_), ("speeds", self.speeds)) if v is None]
            if missing:
                raise ValueError(f"roads from path: need {' and '.join(missing)}: (the class column and km/h "
                                 "per class)")
        else:
            extra = [k for k, v in (("class", self.class_), ("oneway", self.oneway), ("layer", self.layer),
                                    ("default_speed", self.default_speed)) if v is not None]
            if extra:
                raise ValueError(f"osm: roads take classes, speeds and one-way rules from the tags; remove {extra} "
                                 "(speeds: overrides the preset's km/h per class)")
        return self

    @property
    def file(self) -> Path:
        """The input file (path or osm)."""
        return self.path if self.path is not None else self.osm  # type: ignore[return-value]


class IndicatorsConfig(_Section):
    path: InPath | None = None
    id: str
    sheet: str | int | None = None
    encoding: str | None = None
    zfill: bool = False
    # yearbook tables: header rows ("auto": two header rows, units in headers, merged cells)
    # and the year to use from a table with years as columns or rows
    header_rows: int | Literal["auto"] | None = None
    year: int | None = None
    # panels (analyses.panel): the year column of a long table (default found), or one file per year
    year_column: str | None = None
    files: dict[int, InPath] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> IndicatorsConfig:
        if (self.path is None) == (self.files is None):
            raise ValueError("give either path: (one table) or files: {2019: a.csv, 2020: b.csv} (one per year)")
        return self


class FlowsConfig(_Section):
    path: InPath
    origin: str = "origin"
    destination: str = "destination"
    volume: str = "volume"
    kind: str | None = None            # column: commuting / migration / capital / land / ... per row
    year: str | None = None            # column: the year of each row
    kind_name: str | None = None       # the one kind of a table without a kind column (default "flows")
    unknown_ids: Literal["drop", "refuse"] = "drop"
    sheet: str | int | None = None
    encoding: str | None = None


class UrbanRuralConfig(_Section):
    method: Literal["degurba", "column", "density"] | None = None
    column: str | None = None
    density_threshold: float | None = Field(default=None, gt=0)
    land: InPath | None = None
    built: InPath | None = None
    # degurba grid rules: "2024" (the July 2024 manual: semi-dense >= 900/km2, >= 2,500 people,
    # 4-connected; flexurba's defaults), "R2023A" (GHS-SMOD R2023A product) or "R2022A"
    rules: Literal["2024", "R2023A", "R2022A"] = "2024"

    # with column: a numeric column and a condition (rural_if: '>= 50'), or labels of the
    # column's values (labels: {城镇: urban, 乡村: rural}); neither: China's codes or built-in labels
    rural_if: str | None = None
    urban_if: str | None = None
    labels: dict[str, Literal["urban", "rural"]] | None = None

    @model_validator(mode="after")
    def _pick(self) -> UrbanRuralConfig:
        chosen = [n for n, v in (("degurba", self.method == "degurba"), ("column", self.column),
                                 ("density", self.density_threshold)) if v]
        if not chosen:
            raise ValueError("say how to classify: method: degurba, column: <column> (codes, labels, or with "
                             "rural_if: '>= 50'), or density_threshold: <people/km2>")
        if self.rural_if is not None and self.urban_if is not None:
            raise ValueError("give one of rural_if: or urban_if:, not both")
        if (self.rural_if or self.urban_if or self.labels) and not self.column:
            raise ValueError("rural_if:, urban_if: and labels: read a column: name it with column:")
        for key in ("rural_if", "urban_if"):
            if getattr(self, key) is not None:
                from .analysis.designation import parse_condition

                try:
                    parse_condition(getattr(self, key), key=key)
                except Exception as exc:  # ConfigError -> pydantic's message
                    raise ValueError(str(exc)) from None
        return self


class AccessibilityConfig(_Section):
    mode: Literal["network", "raster", "euclidean"] = "network"
    thresholds: list[float] = Field(default_factory=lambda: [15.0, 30.0, 60.0])
    measures: list[str] = Field(default_factory=lambda: ["nearest"])
    max_cost: float = Field(default=30.0, gt=0)
    circuity: float = Field(default=1.3, ge=1)
    speed_kmh: float = Field(default=30.0, gt=0)
    resolution: float = Field(default=250.0, gt=0)
    categories: list[str] | None = None
    demand: Literal["raster", "centroid", "weighted_centroid"] = "raster"
    facilities_outside: Literal["keep", "drop"] = "keep"
    # raster (friction-surface) mode: impassable water (polygons or lines, bridges = roads
    # crossing them) and a multiplier raster of off-road friction (slope, land cover; inf = no go)
    water: InPath | None = None
    water_layer: str | int | None = None  # layer of a multi-layer water file
    penalty: InPath | None = None
    # RAAM: minutes of travel worth a 100 % overload; cycles stop earlier once no one moves
    raam_tau: float = Field(default=60.0, gt=0)
    raam_max_cycles: int = Field(default=1000, ge=1)

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: list[float]) -> list[float]:
        if not v or any(t <= 0 for t in v):
            raise ValueError(f"thresholds must be positive minutes; got {v}")
        return sorted(v)

    @field_validator("measures")
    @classmethod
    def _measures(cls, v: list[str]) -> list[str]:
        bad = [m for m in v if m not in ACCESS_MEASURES]
        if bad:
            raise ValueError(f"unknown measure(s) {bad}; valid: {', '.join(ACCESS_MEASURES)}")
        return v


class CCDConfig(_Section):
    subsystems: list[str]
    method: str = "standard"
    weights: list[float] | None = None


class IntegrationConfig(_Section):
    dimensions: dict[str, dict[str, Literal["+", "-"]]]
    normalization: str = "minmax"
    missing: str = "raise"
    ccd: CCDConfig | None = None


class AutocorrelationConfig(_Section):
    variables: list[str]
    weights: str = "queen"
    k: int | None = Field(default=None, gt=0)
    threshold: float | None = Field(default=None, gt=0)
    islands: str = "raise"
    permutations: int = Field(default=999, ge=0)
    seed: int | None = 12345
    alpha: float = Field(default=0.05, gt=0, lt=1)
    adjust: str | None = None


class LinkageConfig(_Section):
    value: str                          # G: an economic or integration measure (unit column)
    population: str | None = None       # P: a unit column (default: the run's population)


class FlowsAnalysisConfig(_Section):
    kinds: list[str] | None = None      # default: every kind in the table
    groups: str = "urban_class"         # unit column for the class-by-class matrix
    model: Literal["doubly", "production", "attraction", "unconstrained", "none"] = "doubly"
    decay: Literal["power", "exponential"] = "power"
    cost: Literal["auto", "network", "euclidean"] = "auto"   # auto: network when roads are given
    top_n: int = Field(default=200, ge=1)          # flows drawn on the flow map
    underflow: float = Field(default=-2.0, lt=0)   # standardised residual at or below: "flows less than predicted"
    linkage: LinkageConfig | None = None


class WarningConfig(_Section):
    index_drop: float = Field(default=0.05, gt=0)        # index fell by more than this (absolute)
    compare: Literal["previous", "first"] = "previous"   # latest year against the year before, or the first
    class_worse: bool = True                              # CCD class worsened
    cold_spot: bool = True                                # moved into a Gi* cold spot
    ratio_widened: float | None = Field(default=0.05, gt=0)   # urban/rural ratio widened by more than this
    ratio: list[str] | None = Field(default=None, min_length=2, max_length=2)  # [urban, rural] columns: their ratio


class PanelConfig(_Section):
    weights: Literal["pooled", "per_year"] = "pooled"
    column: str = "integration_index"                     # the variable of density, Markov, convergence
    classes: int = Field(default=5, ge=2, le=10)          # Markov classes (pooled quantiles)
    lag_classes: int = Field(default=4, ge=2, le=10)      # spatial Markov lag classes
    spatial_weights: str = "queen"                        # spatial Markov, LISA Markov, hot spots, spatial beta
    bandwidth: Literal["scott", "silverman"] | float = "scott"
    groups: str | None = "urban_class"                    # sigma/Dagum decomposition by this unit column
    controls: list[str] = Field(default_factory=list)     # conditional beta convergence
    warning: WarningConfig = Field(default_factory=WarningConfig)
    forecast: Literal["none", "gm11", "linear"] = "none"
    horizon: int = Field(default=3, ge=1, le=10)
    missing: Literal["raise", "drop"] = "drop"           # units without every year: dropped (counted) or refused


class DriversConfig(_Section):
    target: str = "integration_index"
    factors: list[str]
    discretize: Literal["optimal", "equal", "quantile", "natural", "geometric", "sd"] = "optimal"
    k: list[int] = Field(default_factory=lambda: [3, 4, 5, 6, 7, 8])
    alpha: float = Field(default=0.05, gt=0, lt=1)


class ConstraintConfig(_Section):
    path: InPath                       # polygons (exclude/restrict) or a raster (exclude_above/exclude_below)
    rule: Literal["exclude", "restrict", "exclude_above", "exclude_below"] = "exclude"
    limit: float | None = None         # raster rules: e.g. slope above 25 (degrees) excluded
    name: str | None = None            # e.g. "ecological red line" (default: the file name)
    name_zh: str | None = None         # e.g. 生态保护红线 (reports in zh)
    layer: str | None = None
    buffer_m: float = Field(default=0.0, ge=0)


class SitingConfig(_Section):
    category: str | list[str]                              # facility category (or several, each sited alone)
    model: Literal["mclp", "p_median", "lscp", "p_center"] = "mclp"
    k: int | None = Field(default=None, ge=1)              # new sites (mclp, p_median, p_center)
    budget: float | None = Field(default=None, gt=0)       # instead of k, with cost:
    cost: str | None = None                                # candidate column with a per-site cost
    standard_min: float = Field(default=30.0, gt=0)        # the coverage standard (minutes)
    candidates: Literal["units", "settlements", "grid", "file"] = "grid"
    candidates_path: InPath | None = None                  # candidates: file (points or polygons)
    spacing_m: float | None = Field(default=None, gt=0)    # grid candidates: aggregate cells to this spacing
    min_people: float = Field(default=0.0, ge=0)           # grid candidates: cells with at least this many
    constraints: list[ConstraintConfig] = Field(default_factory=list)
    rural_only: bool = False                               # demand: rural people only
    weight: str | None = None                              # demand weight: a unit column (e.g. elderly_share)
    capacity: str | None = None                            # candidate column (capacitated models)
    solver: Literal["auto", "exact", "heuristic"] = "auto"
    time_limit_s: float | None = Field(default=120.0, gt=0)  # exact solves stop here with the best sites and gap
    k_curve: int | None = Field(default=None, ge=1)        # marginal gain of each extra site up to this k


class AnalysesConfig(_Section):
    urban_rural: UrbanRuralConfig | None = None
    accessibility: AccessibilityConfig | None = None
    integration: IntegrationConfig | None = None
    autocorrelation: AutocorrelationConfig | None = None
    flows: FlowsAnalysisConfig | None = None
    panel: PanelConfig | None = None
    drivers: DriversConfig | None = None
    siting: list[SitingConfig] | SitingConfig | None = None


class OutputsConfig(_Section):
    dir: InPath = Path("out")
    maps: list[str] = Field(default_factory=list)
    formats: list[Literal["html", "png", "pdf", "svg"]] = Field(default_factory=lambda: ["html", "png"])
    # print maps: page, orientation, resolution, and the lines under the title
    page: Literal["A4", "A3"] = "A4"
    orientation: Literal["auto", "portrait", "landscape"] = "auto"
    dpi: int = Field(default=300, ge=72, le=1200)
    subtitle: str | None = None
    source: str | None = None          # e.g. "县统计局 2024"; omitted when not given
    date: str | None = None            # e.g. "2024-12"; omitted when not given
    # HTML maps: no tiles (offline) unless named: a URL template {z}/{x}/{y} with tiles_attribution
    tiles: str | None = None
    tiles_attribution: str | None = None


class ScaleConfig(_Section):
    """How big a study may get on this machine: the memory budget block sizes follow, and
    where dask work runs (README "Large studies")."""

    memory_gb: float = Field(default=8.0, gt=0)      # blocks of streamed work are sized to fit in it
    scheduler: str | None = None                       # null | local | tcp://host:8786
    workers: int | None = Field(default=None, ge=1)    # scheduler: local: worker processes (default: cores)

    @field_validator("scheduler")
    @classmethod
    def _scheduler(cls, v: str | None) -> str | None:
        from .geo.cluster import SCHEDULER_RULE, check_scheduler

        try:
            return check_scheduler(v)
        except ConfigError:
            raise ValueError(f"{v!r} is not {SCHEDULER_RULE}") from None


class Config(_Section):
    """A whole study configuration (see CONFIG.md / the README)."""

    name: str = "Study"
    name_zh: str | None = None         # the study's name in Chinese, used when language: zh
    crs: str = "auto"
    # largest scale error of the analysis CRS over the study area (0.01 = distances off by 1 %)
    crs_tolerance: float = Field(default=0.01, gt=0, le=0.5)
    language: Literal["en", "zh"] = "en"
    units: UnitsConfig
    population: PopulationConfig | None = None
    facilities: list[FacilityConfig] = Field(default_factory=list)
    roads: RoadsConfig | None = None
    indicators: IndicatorsConfig | None = None
    flows: FlowsConfig | None = None
    analyses: AnalysesConfig = Field(default_factory=AnalysesConfig)
    outputs: OutputsConfig = Field(default_factory=OutputsConfig)
    scale: ScaleConfig = Field(default_factory=ScaleConfig)
    source: Path | None = Field(default=None, exclude=True)

    def title(self, language: str | None = None) -> str:
        """The study's name in ``language`` (default the config's): ``name_zh`` for zh when given."""
        lang = language or self.language
        return self.name_zh if lang == "zh" and self.name_zh else self.name

    def input_paths(self) -> dict[str, Path]:
        """Every input file named by the config, keyed by its role."""
        out: dict[str, Path] = {"units": self.units.path}
        if self.population is not None and self.population.raster is not None:
            out["population"] = self.population.raster
            for y, fp in (self.population.rasters or {}).items():
                out[f"population[{y}]"] = fp
        for i, f in enumerate(self.facilities):
            out[f"facilities[{i}]"] = f.file
        if self.roads is not None:
            out["roads"] = self.roads.file
        for key in ("indicators", "flows"):
            sec = getattr(self, key)
            if sec is not None and sec.path is not None:
                out[key] = sec.path
        if self.indicators is not None and self.indicators.files:
            for y, fp in self.indicators.files.items():
                out[f"indicators[{y}]"] = fp
        ur = self.analyses.urban_rural
        if ur is not None:
            for key in ("land", "built"):
                if getattr(ur, key) is not None:
                    out[f"urban_rural.{key}"] = getattr(ur, key)
        sitings = self.analyses.siting
        for i, st in enumerate([] if sitings is None else sitings if isinstance(sitings, list) else [sitings]):
            for j, c in enumerate(st.constraints):
                out[f"siting[{i}].constraints[{j}]"] = c.path
            if st.candidates_path is not None:
                out[f"siting[{i}].candidates"] = st.candidates_path
        acc = self.analyses.accessibility
        if acc is not None:
            for key in ("water", "penalty"):
                if getattr(acc, key) is not None:
                    out[f"accessibility.{key}"] = getattr(acc, key)
        return out


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the field at ``loc`` (for key suggestions)."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        ann = field.annotation
        inner = [a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type)]
        nxt = None
        for a in inner + [x for t in getattr(ann, "__args__", ()) for x in getattr(t, "__args__", ())]:
            if isinstance(a, type) and issubclass(a, BaseModel):
                nxt = a
                break
        if nxt is None:
            return None
        model = nxt
    return model


def _format_error(err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        model = _model_at(loc)
        valid = sorted((f.alias or n) for n, f in model.model_fields.items() if n != "source") if model else []
        hint = get_close_matches(str(loc[-1]), valid, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"{where}: unknown key{extra} (valid here: {', '.join(valid)})"
    if err["type"] == "missing":
        return f"{where}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    msg = msg if len(msg) <= 300 else msg[:300] + " ..."
    return f"{where}: {msg} (got {_short(err.get('input'))})" if err["type"] != "value_error" else f"{where}: {msg}"


_MAX_CONFIG_BYTES = 1 << 20  # a study config is a page of YAML, not a megabyte
_MAX_NODES = 100_000          # nodes after alias expansion (a "billion laughs" bomb has 10^9)
_ECHO = 120                   # characters of a bad value echoed in a message


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _ECHO else text[:_ECHO] + f"... ({len(text):,} characters)"


def _decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (GBK) text; else ConfigError."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{name} starts like UTF-16 text but is not valid UTF-16 ({exc.reason}); save "
                              "it as UTF-8") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise ConfigError(f"{name} is neither UTF-8 nor GB18030/GBK text (byte {utf8_error.start}: "
                          f"{raw[utf8_error.start:utf8_error.start + 4]!r}); save it as UTF-8") from None
    if "\x00" in text:
        raise ConfigError(f"{name} holds NUL bytes: it is not a text file; save the config as UTF-8 YAML")
    return text


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Nodes of the document once every alias is expanded (memoised per node)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once here; the loader refuses recursion anyway
    if isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_expanded_size(c, memo) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        n = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        n = 1
    memo[key] = min(n, 10 * _MAX_NODES)
    return memo[key]


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"config {path} does not exist")
    if path.is_dir():
        raise ConfigError(f"config {path} is a folder; name the YAML file inside it (e.g. {path / 'study.yaml'})")
    size = path.stat().st_size
    if size > _MAX_CONFIG_BYTES:
        raise ConfigError(f"{path.name} is {size:,} bytes; a config is a short YAML file (at most "
                          f"{_MAX_CONFIG_BYTES:,} bytes): is this the right file?")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"config {path} cannot be read ({exc.strerror or exc})") from exc
    text = _decode(raw, path.name)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None and _expanded_size(node, {}) > _MAX_NODES:
            raise ConfigError(f"{path.name}: YAML aliases expand to more than {_MAX_NODES:,} values (an alias "
                              "bomb?); write the values out instead of nesting aliases")
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        hint = ""
        if "sequence entries are not allowed" in str(exc):
            hint = "; a bare - or + as a value must be quoted ('-') or written in flow style {a: -, b: +}"
        mark = getattr(exc, "problem_mark", None)
        pos = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = str(getattr(exc, "problem", None) or exc)[:200]
        raise ConfigError(f"{path.name} is not valid YAML{pos}: {problem}{hint}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path.name}: YAML nested too deeply (or a recursive alias)") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name} must be a YAML mapping of sections (units:, analyses:, ...)")
    return data


def config_problems(path: str | Path) -> tuple[Config | None, list[str]]:
    """Parse and check a config; return it (or None) and every problem found."""
    p = Path(path).resolve()
    try:
        data = _read_yaml(p)
    except ConfigError as exc:
        return None, [str(exc)]
    try:
        cfg = Config.model_validate(data, context={"base": p.parent})
    except ValidationError as exc:
        return None, [_format_error(e) for e in exc.errors()]
    cfg = cfg.model_copy(update={"source": p})
    problems = [f"{role}: file {fp} does not exist" for role, fp in cfg.input_paths().items() if not fp.exists()]
    a = cfg.analyses
    pop_col = cfg.population.column if cfg.population else None
    if a.urban_rural is not None and a.urban_rural.method == "degurba" and (cfg.population is None or cfg.population.raster is None):
        problems.append("analyses.urban_rural: method degurba needs population: raster:")
    if a.urban_rural is not None and a.urban_rural.density_threshold and cfg.population is None:
        problems.append("analyses.urban_rural: density_threshold needs a population: section")
    if a.accessibility is not None and a.accessibility.mode == "network" and cfg.roads is None:
        problems.append("analyses.accessibility: mode network needs a roads: section (or use mode: euclidean)")
    if a.panel is not None and cfg.indicators is None:
        problems.append("analyses.panel: needs indicators: with several years (a year column, years as columns, "
                        "or files: {2019: a.csv, 2020: b.csv})")
    if a.panel is not None and a.integration is None:
        problems.append("analyses.panel: needs analyses.integration (its dimensions and directions make the "
                        "index of every year)")
    if a.panel is not None and cfg.indicators is not None and cfg.indicators.year is not None:
        problems.append("analyses.panel: indicators: year: picks one year; remove it to read every year "
                        "(the latest year feeds the single-year analyses)")
    sitings = [] if a.siting is None else (a.siting if isinstance(a.siting, list) else [a.siting])
    for i, st in enumerate(sitings):
        where = f"analyses.siting[{i}]" if isinstance(a.siting, list) else "analyses.siting"
        if a.accessibility is None:
            problems.append(f"{where}: needs analyses.accessibility (the same travel times choose the sites)")
        if st.model in ("mclp", "p_median", "p_center") and st.k is None and st.budget is None:
            problems.append(f"{where}: model {st.model} needs k: (new sites) or budget: with cost:")
        if st.budget is not None and st.cost is None:
            problems.append(f"{where}: budget: needs cost: (a candidate column with each site's cost)")
        for c in st.constraints:
            if c.rule in ("exclude_above", "exclude_below") and c.limit is None:
                problems.append(f"{where}.constraints: rule {c.rule} needs limit: (e.g. 25 for slopes in degrees)")
        if st.rural_only and a.urban_rural is None:
            problems.append(f"{where}: rural_only: true needs analyses.urban_rural (the urban_class of each person)")
        if st.candidates == "file" and st.candidates_path is None:
            problems.append(f"{where}: candidates: file needs candidates_path:")
    if a.flows is not None and cfg.flows is None and a.flows.linkage is None:
        problems.append("analyses.flows: needs a flows: section (an origin-destination table) or "
                        "analyses.flows.linkage: {value: <unit column>} for the linkage network")
    if a.flows is not None and a.flows.cost == "network" and cfg.roads is None:
        problems.append("analyses.flows: cost network needs a roads: section (or use cost: euclidean)")
    if a.accessibility is not None and a.accessibility.demand == "raster" and pop_col is not None:
        pass  # column population falls back to centroids; reported at run time
    return cfg, problems


def load_config(path: str | Path) -> Config:
    """Load and check a config; raise ConfigError listing every problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "u.gpkg").write_bytes(b"")
    >>> _ = (d / "c.yaml").write_text("units: {path: u.gpkg, id: code}\\n")
    >>> load_config(d / "c.yaml").units.path.name
    'u.gpkg'
    >>> _ = (d / "bad.yaml").write_text("units: {path: u.gpkg, idd: code}\\n")
    >>> load_config(d / "bad.yaml")
    Traceback (most recent call last):
    ...
    urbanrural.geo.errors.ConfigError: bad.yaml has 2 problem(s): units.id: required key is missing | units.idd: unknown key; did you mean 'id'? ...
    """
    cfg, problems = config_problems(path)
    if problems or cfg is None:
        raise ConfigError(f"{Path(path).name} has {len(problems)} problem(s): " + " | ".join(problems))
    return cfg


validate_config = load_config
