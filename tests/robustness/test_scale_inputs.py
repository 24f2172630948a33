"""Bad ``scale:`` settings through the command line (issue 16): refused with exit 2 and a
message naming the key, the rule and a fix; never a crash or a hang."""

from __future__ import annotations

from pathlib import Path

import pytest
from robustness.harness import ConfigCase as Case
from robustness.harness import run_config_case


def scheduler_not_an_address(d: Path, cfg: dict) -> None:
    cfg["scale"] = {"scheduler": "my-laptop:8786"}


def memory_gb_zero(d: Path, cfg: dict) -> None:
    cfg["scale"] = {"memory_gb": 0}


def misspelt_key(d: Path, cfg: dict) -> None:
    cfg["scale"] = {"memory_gigabytes": 4}


def workers_starved(d: Path, cfg: dict) -> None:
    cfg["scale"] = {"scheduler": "local", "memory_gb": 1, "workers": 4}


def nobody_listening(d: Path, cfg: dict) -> None:
    cfg["scale"] = {"scheduler": "tcp://127.0.0.1:9"}


CASES = [
    Case(scheduler_not_an_address, "validate", 2, ("scale.scheduler", "tcp://host:8786")),
    Case(memory_gb_zero, "validate", 2, ("scale.memory_gb",)),
    Case(misspelt_key, "validate", 2, ("memory_gigabytes", "did you mean 'memory_gb'")),
    Case(workers_starved, "run", 2, ("memory_gb", "workers")),
    Case(nobody_listening, "run", 2, ("no dask scheduler answered", "scheduler: local")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_scale_input(case: Case, small_study: Path) -> None:
    run_config_case(case, small_study)
