"""Shared fixtures: paths to reference data, libpysal examples, small synthetic layers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests using it skip when it is absent (a bare clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (reference grids live beside the repo)")
    return SHARED_DATA
