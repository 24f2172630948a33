"""Memory: the run's budget (``scale: memory_gb``) that block sizes follow, and the peak
resident memory of each step (run.json ``memory_gb``).

A kernel that streams its work asks :func:`block_items` how many items of a given size
fit in its share of the budget; the pipeline sets the budget for the run with
:func:`memory_budget`.  :class:`PeakMemory` samples the process's resident set size
(psutil) on a background thread, so a step's peak is seen even when it is released
before the step ends.

Examples
--------
>>> with memory_budget(2.0):
...     block_items(16, share=0.25)  # 16-byte items in a quarter of 2 GB
31250000
>>> with PeakMemory(interval=0.01) as peak:
...     buf = bytearray(50_000_000)
>>> peak.peak_gb >= peak.start_gb
True
"""

from __future__ import annotations

import contextvars
import ctypes
import functools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from .errors import ConfigError

__all__ = ["DEFAULT_MEMORY_GB", "memory_budget", "budget_bytes", "block_items", "PeakMemory", "rss_gb", "max_rss_gb"]

DEFAULT_MEMORY_GB = 8.0
_BUDGET: contextvars.ContextVar[float] = contextvars.ContextVar("urbanrural_memory_gb", default=DEFAULT_MEMORY_GB)


@contextmanager
def memory_budget(gb: float) -> Iterator[float]:
    """Set the memory budget (GB) that :func:`block_items` divides, for the ``with`` block."""
    if not (isinstance(gb, (int, float)) and gb > 0):
        raise ConfigError(f"scale: memory_gb must be a positive number of gigabytes; got {gb!r}")
    token = _BUDGET.set(float(gb))
    try:
        yield float(gb)
    finally:
        _BUDGET.reset(token)


def budget_bytes() -> int:
    """The budget in force, in bytes (default :data:`DEFAULT_MEMORY_GB`)."""
    return int(_BUDGET.get() * 1e9)


def block_items(item_bytes: float, *, share: float = 0.125, minimum: int = 1024) -> int:
    """How many items of ``item_bytes`` fit in ``share`` of the budget (at least ``minimum``).

    Parameters
    ----------
    item_bytes : float
        Bytes one item (a pair, a cell, a row) costs while its block is alive, temporaries
        included.
    share : float, default 0.125
        Fraction of the budget one block may take (the rest: inputs, results, other blocks).
    minimum : int, default 1024
        Lower bound, so a tiny budget still makes progress.
    """
    if item_bytes <= 0:
        raise ValueError("item_bytes must be positive")
    return max(int(budget_bytes() * share // item_bytes), int(minimum))


def max_rss_gb() -> float:
    """The highest resident memory this process has had (the OS's high-water mark), GB."""
    import resource  # POSIX only

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e9 if sys.platform == "darwin" else peak * 1024 / 1e9  # bytes on macOS, KiB elsewhere


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None (not Linux, or a libc without it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
    return fn


def release_memory() -> bool:
    """Hand memory this process has freed back to the OS, between steps and categories.

    glibc keeps freed blocks below its (self-raising, up to 32 MB) mmap threshold in its
    heap, so after many mid-sized numpy arrays come and go the resident set stays high
    although nothing holds them (the 100 m province kept ~3 GB of freed OD blocks).
    ``malloc_trim(0)`` returns those pages; elsewhere (macOS, musl) this is a no-op.
    Returns whether a trim was made.

    Examples
    --------
    >>> release_memory() in (True, False)
    True
    """
    # no gc.collect(): arrays are freed by reference counting as steps drop them, and a full
    # collection costs ~0.15 s a call on a prefecture-sized run (the trim itself ~2 ms)
    fn = _malloc_trim()
    if fn is None:
        return False
    fn(0)
    return True


def rss_gb() -> float:
    """Resident set size of this process now, GB."""
    import psutil

    return psutil.Process().memory_info().rss / 1e9


class PeakMemory:
    """Context manager recording the start and peak resident memory (GB) of a block.

    Parameters
    ----------
    interval : float, default 0.05
        Seconds between samples (a spike shorter than that can be missed; the run's
        overall peak comes from the OS's high-water mark, :func:`max_rss_gb`).

    With a dask.distributed client active (``scale: scheduler``), the workers' memory as
    their heartbeats report it (summed over workers, about once a second, on its own
    thread) is sampled too: ``workers_peak_gb``, in :meth:`as_dict` as ``workers_peak``
    (the workers' memory while the block ran, whether or not it sent them work). None
    without a client.
    """

    def __init__(self, *, interval: float = 0.05) -> None:
        self.interval = float(interval)
        self.start_gb = 0.0
        self.peak_gb = 0.0
        self.end_gb = 0.0
        self.workers_peak_gb: float | None = None
        self._client: Any = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _workers_gb(self) -> float | None:
        try:
            try:
                info = self._client.scheduler_info(n_workers=-1)  # some releases default to 5 workers
            except TypeError:  # releases before n_workers: every worker
                info = self._client.scheduler_info()
            return sum(float(w.get("metrics", {}).get("memory", 0)) for w in info.get("workers", {}).values()) / 1e9
        except Exception:  # noqa: BLE001 - a closing cluster: stop sampling, never fail the step
            self._client = None
            return None

    def _poll_workers(self) -> None:
        """Own thread: a slow scheduler delays only this, never the RSS samples or the step."""
        while self._client is not None:
            gb = self._workers_gb()
            if gb is not None:
                self.workers_peak_gb = max(self.workers_peak_gb or 0.0, gb)
            if self._stop.wait(1.0):
                break

    def _sample(self) -> None:
        import psutil

        proc = psutil.Process()
        while not self._stop.wait(self.interval):
            self.peak_gb = max(self.peak_gb, proc.memory_info().rss / 1e9)

    def __enter__(self) -> PeakMemory:
        self.start_gb = self.peak_gb = rss_gb()
        self._threads = [threading.Thread(target=self._sample, name="urbanrural-peak-memory", daemon=True)]
        if "distributed" in sys.modules:  # only a run with a scheduler has imported it
            from .cluster import active_client

            self._client = active_client()
            if self._client is not None:
                self._threads.append(threading.Thread(target=self._poll_workers, name="urbanrural-worker-memory",
                                                      daemon=True))
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._threads[0].join()  # the RSS sampler
        for t in self._threads[1:]:
            t.join(timeout=5.0)  # the workers' poll: never hang on a scheduler
        self._client = None
        self.end_gb = rss_gb()
        self.peak_gb = max(self.peak_gb, self.end_gb)

    def as_dict(self) -> dict[str, float]:
        """``{"start": ..., "peak": ..., "end": ...}`` in GB, rounded to MB, and
        ``"workers_peak"`` when dask workers were sampled."""
        out = {"start": round(self.start_gb, 3), "peak": round(self.peak_gb, 3), "end": round(self.end_gb, 3)}
        if self.workers_peak_gb is not None:
            out["workers_peak"] = round(self.workers_peak_gb, 3)
        return out
