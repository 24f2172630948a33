"""OSM tag rules for :mod:`urbanrural.layers.osm`: tables, maxspeed, oneway, access, mapping.

Pure Python on plain ``dict`` tags (no osmium), so every rule can be tested on its own.
The tables live in ``osm_tags/roads.yaml`` and ``osm_tags/facilities.yaml`` beside this
module.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import yaml

from ..geo.errors import DataError, UnknownNameError
from ..geo.registry import check_choice
from .numbers import NUMBER, SEPARATED, _parse_text

__all__ = ["ROAD_KEYS", "RoadRules", "FacilityRules", "parse_maxspeed", "parse_oneway",
           "parse_capacity", "road_table", "facility_table", "MODES"]

MODES = ("drive", "walk")
ROAD_KEYS = ("highway", "railway", "maxspeed", "maxspeed:forward", "maxspeed:backward", "oneway",
             "junction", "access", "motor_vehicle", "motorcar", "vehicle", "foot", "area", "service")
_MPH, _KNOT = 1.609344, 1.852
_MAX_KMH = 250.0  # a maxspeed above this is junk, not a speed
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph|knots)?\s*$", re.IGNORECASE)
_ZONE = re.compile(r"^[A-Z]{2}:zone:?(\d+)$", re.IGNORECASE)
_ALLOW = {"yes", "designated", "permissive", "destination"}
_DENY = {"no", "private"}
_NO_VALUE = {"signals", "variable"}


@cache
def _load(name: str) -> dict:
    text = files("urbanrural.layers").joinpath("osm_tags", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def road_table() -> dict:
    """The parsed ``osm_tags/roads.yaml`` (highway classes, presets, maxspeed zones)."""
    return _load("roads.yaml")


def facility_table() -> dict:
    """The parsed ``osm_tags/facilities.yaml`` (tag rules, capacity keys)."""
    return _load("facilities.yaml")


# ----------------------------------------------------------------------------- maxspeed
def parse_maxspeed(value: str | None, *, zones: Mapping[str, float | None],
                   walk_kmh: float) -> tuple[str, float | None]:
    """Read an OSM ``maxspeed`` value.

    Returns ``(kind, kmh)``: kind is ``number`` (``60``, ``60 mph``, ``60 km/h``, ``10 knots``;
    several values ``60;80`` or ``60|80`` give the lowest: the conservative travel time),
    ``zone`` (``CN:urban`` from the table, ``DE:zone30``), ``walk`` (walking speed),
    ``none`` (no limit: use the class speed, kmh None), ``variable`` (``signals``,
    ``variable``: class speed), ``missing`` or ``junk`` (unreadable: class speed).

    Examples
    --------
    >>> z = {"CN:urban": 50.0, "DE:motorway": None}
    >>> [parse_maxspeed(v, zones=z, walk_kmh=5.0) for v in ("60", "30 mph", "80;60", "CN:urban")]
    [('number', 60.0), ('number', 48.28032), ('number', 60.0), ('zone', 50.0)]
    >>> parse_maxspeed("fast", zones=z, walk_kmh=5.0), parse_maxspeed("DE:motorway", zones=z, walk_kmh=5.0)
    (('junk', None), ('none', None))
    """
    if value is None or not str(value).strip():
        return "missing", None
    text = str(value).strip()
    low = text.lower()
    if low == "none":
        return "none", None
    if low == "walk":
        return "walk", float(walk_kmh)
    if low in _NO_VALUE:
        return "variable", None
    if ":" in text:
        country, _, zone = text.partition(":")
        key = f"{country.upper()}:{zone.lower()}"
        if key in zones:
            kmh = zones[key]
            return ("none", None) if kmh is None else ("zone", float(kmh))
        m = _ZONE.match(text)
        if m and 0 < float(m.group(1)) <= _MAX_KMH:
            return "zone", float(m.group(1))
        return "junk", None
    speeds = []
    for part in re.split(r"[;|]", text):
        m = _SPEED.match(part)
        if not m:
            continue
        kmh = float(m.group(1))
        unit = (m.group(2) or "").lower()
        kmh *= _MPH if unit == "mph" else _KNOT if unit == "knots" else 1.0
        if 0 < kmh <= _MAX_KMH:
            speeds.append(kmh)
    if not speeds:
        return "junk", None
    return "number", round(min(speeds), 6)


# ------------------------------------------------------------------------------ oneway
def parse_oneway(tags: Mapping[str, str]) -> tuple[int, str]:
    """Direction of a way from its tags: ``(1 | -1 | 0, kind)``.

    ``yes``/``true``/``1`` -> 1 (digitised direction), ``-1``/``reverse`` -> -1, ``no``/
    ``false``/``0`` -> 0.  Untagged (or unreadable) motorways, motorway links and
    roundabouts (``junction=roundabout|circular``) are one-way (kind ``implied``);
    ``alternating``/``reversible`` are both ways (kind ``alternating``).

    Examples
    --------
    >>> parse_oneway({"oneway": "yes"}), parse_oneway({"oneway": "-1"})
    ((1, 'tagged'), (-1, 'tagged'))
    >>> parse_oneway({"highway": "motorway"}), parse_oneway({"highway": "motorway", "oneway": "no"})
    ((1, 'implied'), (0, 'tagged'))
    """
    raw = tags.get("oneway")
    value = str(raw).strip().lower() if raw is not None else ""
    if value in ("yes", "true", "1"):
        return 1, "tagged"
    if value in ("-1", "reverse"):
        return -1, "tagged"
    if value in ("no", "false", "0"):
        return 0, "tagged"
    if value in ("alternating", "reversible"):
        return 0, "alternating"
    implied = (tags.get("highway") in ("motorway", "motorway_link")
               or tags.get("junction") in ("roundabout", "circular"))
    if implied:
        return 1, "implied"
    return 0, ("junk" if value else "missing")


# ---------------------------------------------------------------------------- roads
@dataclass
class RoadResult:
    """What :meth:`RoadRules.classify` decided for one way."""

    reason: str | None  # None = kept
    road_class: str = ""
    speed_kmh: float = math.nan
    oneway: int = 0


@dataclass
class RoadRules:
    """The road rules of one call: mode, preset speeds (with overrides), maxspeed use.

    Build it with :meth:`from_options`, which validates every option and raises listing
    the valid names.
    """

    mode: str
    preset: str
    speeds: dict[str, float]
    walk_kmh: float
    use_maxspeed: bool
    highway: dict[str, dict]
    not_built: frozenset[str]
    zones: dict[str, float | None]
    counts: Counter = field(default_factory=Counter)

    @classmethod
    def from_options(cls, *, mode: str, preset: str, speeds: Mapping[str, float] | None,
                     use_maxspeed: bool = True) -> RoadRules:
        table = road_table()
        check_choice(mode, MODES, what="OSM road mode")
        check_choice(preset, tuple(table["presets"]), what="OSM speed preset")
        pre = table["presets"][preset]
        usable = [h["class"] for h in table["highway"].values() if h[mode] is not False]
        base = ({c: float(pre["drive_kmh"][c]) for c in usable} if mode == "drive"
                else {c: float(pre["walk_kmh"]) for c in usable})
        walk_kmh = float(pre["walk_kmh"])
        if speeds is not None:
            if not isinstance(speeds, Mapping):
                raise DataError(f"speeds must be a dict of road class -> km/h; got {type(speeds).__name__}")
            valid = tuple(base) + (("walk",) if mode == "walk" else ())
            bad = {}
            for k, v in speeds.items():
                check_choice(str(k), valid, what=f"road class in speeds (mode {mode!r})")
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
                    bad[k] = v
            if bad:
                raise DataError(f"speeds must be positive km/h; got {bad}")
            if "walk" in speeds:
                walk_kmh = float(speeds["walk"])
                base = {c: walk_kmh for c in base}
            base.update({str(k): float(v) for k, v in speeds.items() if k != "walk"})
        return cls(mode, preset, base, walk_kmh, bool(use_maxspeed), table["highway"],
                   frozenset(table["not_built"]), dict(table["maxspeed_zones"]))

    def _denied(self, tags: Mapping[str, str], keys: Iterable[str]) -> bool:
        """The most specific access tag present decides (motorcar > motor_vehicle > vehicle > access)."""
        for k in keys:
            v = tags.get(k)
            if v is not None:
                return v.strip().lower() in _DENY
        return False

    def classify(self, tags: Mapping[str, str]) -> RoadResult:
        """Keep or exclude one way (with the reason) and, if kept, its class, speed, oneway.

        Examples
        --------
        >>> r = RoadRules.from_options(mode="drive", preset="china", speeds=None)
        >>> r.classify({"highway": "primary", "maxspeed": "50"})
        RoadResult(reason=None, road_class='primary', speed_kmh=50.0, oneway=0)
        >>> r.classify({"highway": "footway"}).reason
        'not_drivable'
        """
        hw = tags.get("highway")
        if hw is None:
            return RoadResult("railway" if "railway" in tags else "no_highway")
        if hw in self.not_built:
            return RoadResult("not_built")
        spec = self.highway.get(hw)
        if spec is None:
            return RoadResult("unknown_highway")
        if str(tags.get("area", "")).strip().lower() == "yes":
            return RoadResult("area")
        cls = spec["class"]
        if self.mode == "drive":
            if not spec["drive"]:
                return RoadResult("not_drivable")
            if tags.get("service") == "parking_aisle":
                return RoadResult("parking_aisle")
            if self._denied(tags, ("motorcar", "motor_vehicle", "vehicle", "access")):
                return RoadResult("no_access")
            speed = self.speeds[cls]
            if self.use_maxspeed:
                speed = self._maxspeed(tags, speed)
            direction, kind = parse_oneway(tags)
            self.counts[f"oneway:{kind}"] += 1
            return RoadResult(None, cls, speed, direction)
        # walk
        foot = str(tags.get("foot", "")).strip().lower()
        if spec["walk"] is False or (spec["walk"] == "foot" and foot not in _ALLOW):
            return RoadResult("not_walkable")
        if self._denied(tags, ("foot", "access")):
            return RoadResult("no_access")
        return RoadResult(None, cls, self.speeds[cls], 0)

    def _maxspeed(self, tags: Mapping[str, str], speed: float) -> float:
        value = tags.get("maxspeed")
        if value is None:  # maxspeed:forward/backward only: the lower of the two
            parts = [tags[k] for k in ("maxspeed:forward", "maxspeed:backward") if k in tags]
            value = ";".join(parts) if parts else None
        kind, kmh = parse_maxspeed(value, zones=self.zones, walk_kmh=self.walk_kmh)
        self.counts[f"maxspeed:{kind}"] += 1
        if kind == "junk":
            self.counts[f"maxspeed_junk:{value}"] += 1
        return float(kmh) if kmh is not None else speed


# -------------------------------------------------------------------------- facilities
_PAIR = re.compile(r"^([^=&\s][^=&]*)=([^=&]+)$")


def _parse_rule(key: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(key, str):
        raise DataError(f"mapping key {key!r} is not text; write rules as 'key=value' (e.g. 'amenity=hospital')")
    pairs = []
    for part in key.split("&"):
        m = _PAIR.match(part.strip())
        if not m:
            raise DataError(f"mapping key {key!r} is not in the form 'key=value' or 'key=value&key2=value2' "
                            "(e.g. 'amenity=hospital', 'public_transport=platform&bus=yes')")
        pairs.append((m.group(1).strip(), m.group(2).strip()))
    return tuple(pairs)


def parse_capacity(value: str | None) -> tuple[str, float]:
    """Read a capacity tag: ``("number", 120.0)`` for ``120``, ``1,200`` or ``1 200``;
    ``("missing", nan)``; ``("junk", nan)`` for anything else (``ca. 50``, ``0``, ``-3``).

    Examples
    --------
    >>> parse_capacity("1,200"), parse_capacity("about 50")[0]
    (('number', 1200.0), 'junk')
    """
    if value is None or not str(value).strip():
        return "missing", math.nan
    kind, number, _ = _parse_text(str(value).strip())
    if kind in (NUMBER, SEPARATED) and math.isfinite(number) and number > 0:
        return "number", float(number)
    return "junk", math.nan


@dataclass
class FacilityRules:
    """Tag rules -> categories of one call (the table merged with ``mapping=``, filtered by
    ``categories=``) and the capacity tags per category."""

    rules: list[tuple[tuple[tuple[str, str], ...], str]]
    capacity_keys: dict[str, list[str]]
    categories: tuple[str, ...]

    @classmethod
    def from_options(cls, *, mapping: Mapping[str, str | None] | None,
                     categories: Iterable[str] | str | None) -> FacilityRules:
        table = facility_table()
        merged: dict[str, str | None] = dict(table["mapping"])
        if mapping is not None:
            if not isinstance(mapping, Mapping):
                raise DataError("mapping must be a dict such as {'amenity=hospital': 'hospital'}; got "
                                f"{type(mapping).__name__}")
            for k, v in mapping.items():
                _parse_rule(k)
                if v is not None and (not isinstance(v, str) or not v.strip()):
                    raise DataError(f"mapping[{k!r}] must be a category name (text) or None to drop the rule; "
                                    f"got {v!r}")
                merged[k] = v.strip() if isinstance(v, str) else None
        rules = [(_parse_rule(k), v) for k, v in merged.items() if v is not None]
        known = tuple(dict.fromkeys(v for _, v in rules))
        if categories is not None:
            wanted = [categories] if isinstance(categories, str) else list(categories)
            if not wanted:
                raise DataError(f"categories is empty; name some of: {', '.join(sorted(known))}")
            for c in wanted:
                if not isinstance(c, str):
                    raise DataError(f"categories must be names (text); got {c!r}")
                check_choice(c, tuple(sorted(known)), what="facility category")
            rules = [r for r in rules if r[1] in wanted]
            known = tuple(dict.fromkeys(wanted))
        if not rules:
            raise UnknownNameError("no facility rule is left after mapping=/categories=; "
                                   "map some tags, e.g. mapping={'amenity=hospital': 'hospital'}")
        return cls(rules, dict(table["capacity_keys"]), known)

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """One (key, value) tag every mapped object carries, per rule (for osmium's TagFilter)."""
        return tuple(dict.fromkeys(pairs[0] for pairs, _ in self.rules))

    def match(self, tags: Mapping[str, str]) -> list[str]:
        """Distinct categories of one object, in table order.

        Examples
        --------
        >>> f = FacilityRules.from_options(mapping=None, categories=None)
        >>> f.match({"amenity": "clinic", "healthcare": "clinic"}), f.match({"shop": "bakery"})
        (['clinic'], [])
        """
        out: list[str] = []
        for pairs, cat in self.rules:
            if cat not in out and all(tags.get(k) == v for k, v in pairs):
                out.append(cat)
        return out

    def capacity(self, category: str, tags: Mapping[str, str]) -> tuple[str, float]:
        keys = self.capacity_keys.get(category, self.capacity_keys.get("*", []))
        for k in keys:
            if k in tags:
                return parse_capacity(tags[k])
        return "missing", math.nan
