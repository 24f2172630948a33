"""Memory budget and per-step peak memory (issue 16: bounded memory, peaks in run.json)."""

from __future__ import annotations

import platform
import sys

import numpy as np
import pytest

from urbanrural.config import Config
from urbanrural.geo.cluster import check_scheduler, dask_scheduler
from urbanrural.geo.errors import ConfigError
from urbanrural.geo.resources import (
    DEFAULT_MEMORY_GB,
    PeakMemory,
    block_items,
    budget_bytes,
    memory_budget,
    release_memory,
    rss_gb,
)


def test_budget_scopes_and_block_sizes():
    assert budget_bytes() == int(DEFAULT_MEMORY_GB * 1e9)
    with memory_budget(1.0):
        assert budget_bytes() == 10**9
        assert block_items(8, share=0.5) == 62_500_000
        with memory_budget(0.001):
            assert block_items(1e6) == 1024  # never below the minimum
    assert budget_bytes() == int(DEFAULT_MEMORY_GB * 1e9)


@pytest.mark.parametrize("bad", [0, -1, "8"])
def test_budget_refuses_nonsense(bad):
    with pytest.raises(ConfigError, match="memory_gb"), memory_budget(bad):
        pass


def test_peak_sees_a_released_allocation():
    with PeakMemory(interval=0.005) as peak:
        a = np.ones(60_000_000 // 8)  # 60 MB, touched
        a.sum()
        import time

        time.sleep(0.05)
        del a
    assert peak.peak_gb - peak.start_gb >= 0.04
    assert set(peak.as_dict()) == {"start", "peak", "end"}


def test_scale_config_validates_scheduler():
    cfg = Config.model_validate({"units": {"path": "u.gpkg", "id": "code"}, "scale": {"memory_gb": 4, "scheduler": "tcp://10.0.0.5:8786"}})
    assert cfg.scale.memory_gb == 4 and cfg.scale.scheduler == "tcp://10.0.0.5:8786"
    assert Config.model_validate({"units": {"path": "u.gpkg", "id": "code"}}).scale.scheduler is None
    with pytest.raises(Exception, match="local"):
        Config.model_validate({"units": {"path": "u.gpkg", "id": "code"}, "scale": {"scheduler": "my laptop"}})
    with pytest.raises(Exception, match="memory_gb"):
        Config.model_validate({"units": {"path": "u.gpkg", "id": "code"}, "scale": {"memory_gb": 0}})
    with pytest.raises(ConfigError):
        check_scheduler("http://x")


def test_unreachable_scheduler_is_a_config_error():
    # nothing listens on this loopback port: a clear ConfigError, not a hang or a traceback
    with pytest.raises(ConfigError, match="no dask scheduler answered"), \
            dask_scheduler("tcp://127.0.0.1:9", memory_gb=1, timeout_s=2):
        pass


def test_local_cluster_runs_dask_work():
    import dask.array as da

    with dask_scheduler("local", memory_gb=1.0, workers=1) as info:
        assert info["scheduler"] == "local" and info["workers"] == 1
        total = da.ones((1000, 1000), chunks=250).sum().compute()
    assert total == 1_000_000


def test_local_cluster_needs_memory_per_worker():
    with pytest.raises(ConfigError, match="raise scale: memory_gb"), \
            dask_scheduler("local", memory_gb=0.5, workers=2):
        pass


def test_budget_sizes_the_streamed_blocks_not_the_answer(tmp_path):
    """zonal sums and the travel-time grid read smaller blocks under a smaller budget; same sums."""
    import geopandas as gpd
    import rasterio
    import shapely
    from rasterio.transform import from_origin

    from urbanrural.analysis.accessibility import _grid
    from urbanrural.geo import zonal

    assert zonal._block_cells() == pytest.approx(zonal.BLOCK_CELLS, rel=0.05)  # the default budget
    assert _grid._block_cells() == pytest.approx(_grid.BLOCK_CELLS, rel=0.05)
    pop = np.random.default_rng(0).gamma(1.0, 10.0, (300, 200)).astype("float32")
    with rasterio.open(tmp_path / "p.tif", "w", driver="GTiff", width=200, height=300, count=1, dtype="float32",
                       crs="EPSG:32650", transform=from_origin(0, 30000, 100, 100), nodata=-1) as dst:
        dst.write(pop, 1)
    units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 20000, 14950), shapely.box(0, 14950, 20000, 30000)],
                             index=["s", "n"], crs=32650)
    full = zonal.zonal_sum(tmp_path / "p.tif", units).sums
    with memory_budget(0.0001):
        assert zonal._block_cells() == 1024 and _grid._block_cells() == 1024
        small = zonal.zonal_sum(tmp_path / "p.tif", units).sums  # 60 blocks of 5 rows
    np.testing.assert_allclose(small.to_numpy(), full.to_numpy(), rtol=1e-12)
    assert float(full.sum()) == pytest.approx(float(pop.sum(dtype=np.float64)), rel=1e-6)


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="glibc's malloc_trim")
def test_release_memory_hands_freed_heap_back():
    """Mid-sized blocks freed below glibc's raised mmap threshold stay resident until trimmed."""
    big = np.ones(20_000_000 // 8)  # mmapped; freeing it raises the mmap threshold to ~20 MB
    del big
    blocks = [np.ones(1_000_000 // 8) for _ in range(400)]  # 400 MB in the heap now
    keep = blocks[9::10]  # one in ten stays: the other 360 MB are holes free() cannot give back
    del blocks
    before = rss_gb()
    assert release_memory() is True
    after = rss_gb()
    assert before - after > 0.2, (before, after)
    assert sum(float(b[0]) for b in keep) == 40
