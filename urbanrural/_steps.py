"""Pipeline steps for each ``analyses`` section (registered into pipeline.ANALYSES)."""

from __future__ import annotations
