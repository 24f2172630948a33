"""The dask scheduler of a run (``scale: scheduler``): none, a LocalCluster, or a cluster's address.

The analysis functions that scale out (tiled DEGURBA, zonal sums over a national raster,
tiled travel time, FCA over origin partitions, LISA permutation blocks) build dask graphs
and compute them with whatever scheduler is active; this module makes one active for a
run.  ``scheduler: null`` (the default) runs everything in this process;
``scheduler: local`` starts a :class:`distributed.LocalCluster` with one single-threaded
worker process per core sharing ``memory_gb``; ``scheduler: tcp://host:8786`` connects to
a running cluster (``dask scheduler`` / ``dask worker`` on the machines, the same
urbanrural version installed everywhere).

Examples
--------
>>> with dask_scheduler(None, memory_gb=4) as info:
...     info
{'scheduler': None}
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .errors import ConfigError

__all__ = ["dask_scheduler", "check_scheduler", "active_client", "SCHEDULER_RULE"]

logger = logging.getLogger("urbanrural")

MIN_WORKER_GB = 0.75  # below this a LocalCluster worker spends its time restarting
SCHEDULER_RULE = "null (this process), 'local' (a LocalCluster on this machine) or an address like tcp://host:8786"
_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://[^\s/:]+(:\d{1,5})?/?$")


def check_scheduler(value: str | None) -> str | None:
    """``value`` when it is a valid ``scale: scheduler`` (see :data:`SCHEDULER_RULE`), else ConfigError."""
    if value is None or value == "local" or _ADDRESS.match(str(value)):
        return value
    raise ConfigError(f"scale: scheduler: {value!r} is not {SCHEDULER_RULE}")


def active_client() -> Any:
    """The dask.distributed client set up as the default (the run's, with ``scale: scheduler``),
    or None when there is none or distributed is not installed."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _dask() -> Any:
    try:
        import distributed
    except ImportError as e:  # pragma: no cover - the scale extra is in the test extras
        raise ConfigError("scale: scheduler needs dask.distributed; install the scale extra: "
                          "pip install 'urbanrural[scale]' (or set scale: scheduler: null)") from e
    return distributed


@contextmanager
def dask_scheduler(scheduler: str | None, *, memory_gb: float, workers: int | None = None,
                   timeout_s: float = 20.0) -> Iterator[dict[str, Any]]:
    """Make ``scheduler`` the active dask scheduler inside the ``with`` block.

    Parameters
    ----------
    scheduler : str or None
        See :data:`SCHEDULER_RULE`.
    memory_gb : float
        LocalCluster only: the memory all workers share (each gets ``memory_gb / workers``
        and spills to disk past it; at least :data:`MIN_WORKER_GB` each, else ConfigError).
    workers : int, optional
        LocalCluster only: worker processes (default: the machine's cores, fewer when
        ``memory_gb`` cannot give each :data:`MIN_WORKER_GB`).
    timeout_s : float, default 20
        An address only: how long to wait for the scheduler to answer.

    Yields
    ------
    dict
        What run.json records: ``scheduler``, and for a cluster its ``workers`` and
        ``threads`` and the address it was reached at.
    """
    check_scheduler(scheduler)
    if scheduler is None:
        yield {"scheduler": None}
        return
    distributed = _dask()
    cluster = None
    if scheduler == "local":
        import dask
        import dask.system

        n = int(workers or dask.system.CPU_COUNT or os.cpu_count() or 1)  # CPU_COUNT honours cgroup limits
        if workers is None:
            n = max(1, min(n, int(memory_gb // MIN_WORKER_GB)))  # fewer workers rather than starved ones
        if memory_gb / n < MIN_WORKER_GB:
            raise ConfigError(f"scale: memory_gb {memory_gb:g} over {n} worker(s) leaves {memory_gb / n:.2f} GB each; "
                              f"a worker needs at least {MIN_WORKER_GB:g} GB: raise scale: memory_gb (--memory-gb) to "
                              f"{MIN_WORKER_GB * n:g} or set scale: workers: {max(1, int(memory_gb // MIN_WORKER_GB))}")
        # distributed's default MALLOC_TRIM_THRESHOLD_=65536 makes glibc map and unmap every
        # numpy temporary over 64 kB: numpy ran 2-3x slower in the workers (measured)
        env = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
               if k != "MALLOC_TRIM_THRESHOLD_"}
        with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                               memory_limit=f"{memory_gb / n:.3f}GB", dashboard_address=":0")
        try:
            client = distributed.Client(cluster)
        except BaseException:
            cluster.close()
            raise
    else:
        try:
            client = distributed.Client(scheduler, timeout=f"{timeout_s:g}s")
        except OSError as e:
            raise ConfigError(f"scale: scheduler: no dask scheduler answered at {scheduler} ({e}); start one "
                              "(dask scheduler; dask worker <address>) or use scheduler: local") from e
    try:
        info = client.scheduler_info()
        ws = info.get("workers", {})
        out = {"scheduler": scheduler, "address": client.scheduler.address, "workers": len(ws),
               "threads": int(sum(w.get("nthreads", 0) for w in ws.values()))}
        logger.info(f"dask: {out['workers']} workers ({out['threads']} threads) at {out['address']}")
        yield out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
