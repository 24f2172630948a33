"""A log of input checks and repairs, kept for run.json and the report.

Every check that passes, repairs or drops something is recorded here with a count,
and also sent to the ``urbanrural`` logger, so nothing is repaired or dropped silently.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

logger = logging.getLogger("urbanrural")

__all__ = ["Check", "CheckLog", "logger"]

_LEVEL = {"ok": logging.DEBUG, "info": logging.INFO, "repaired": logging.WARNING,
          "dropped": logging.WARNING, "warning": logging.WARNING, "skipped": logging.WARNING}


@dataclass(frozen=True)
class Check:
    """One check on one input.

    ``status`` is one of ok, info, repaired, dropped, warning, skipped; ``count`` is the
    number of features/cells/rows concerned.
    """

    input: str
    check: str
    status: str = "ok"
    count: int = 0
    detail: str = ""


@dataclass
class CheckLog:
    """Ordered record of checks.

    Examples
    --------
    >>> log = CheckLog()
    >>> _ = log.add("units.gpkg", "geometry validity", "repaired", count=2, detail="make_valid")
    >>> log.records[0].count
    2
    """

    records: list[Check] = field(default_factory=list)

    def add(self, input: str, check: str, status: str = "ok", *, count: int = 0,
            detail: str = "") -> Check:
        rec = Check(str(input), check, status, int(count), detail)
        self.records.append(rec)
        msg = f"{rec.input}: {check}: {status}"
        if count:
            msg += f" ({count})"
        if detail:
            msg += f" - {detail}"
        logger.log(_LEVEL.get(status, logging.INFO), msg)
        return rec

    def to_records(self) -> list[dict]:
        return [asdict(r) for r in self.records]

    def problems(self) -> list[Check]:
        """Checks that repaired, dropped, skipped or warned."""
        return [r for r in self.records if r.status not in ("ok", "info")]


def get_log(log: CheckLog | None) -> CheckLog:
    """Return ``log`` or a fresh throw-away log (functions accept ``log=None``)."""
    return log if log is not None else CheckLog()
