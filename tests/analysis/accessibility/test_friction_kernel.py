"""The friction kernel (4-ary lazy heap on a padded grid) against the indexed-heap kernel it
replaced (kept here as the reference, bit for bit) and scikit-image ``MCP_Geometric``."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from skimage.graph import MCP_Geometric

from urbanrural.analysis.accessibility import _friction_kernel as fk


# --- the kernel before issue 16 (indexed binary heap with decrease-key), verbatim
@numba.njit(nogil=True)
def _ref_sift_up(heap, pos, dist, i):
    v = heap[i]
    dv = dist[v]
    while i > 0:
        parent = (i - 1) >> 1
        p = heap[parent]
        if dist[p] <= dv:
            break
        heap[i] = p
        pos[p] = i
        i = parent
    heap[i] = v
    pos[v] = i

@numba.njit(nogil=True)
def _ref_sift_down(heap, pos, dist, i, size):
    v = heap[i]
    dv = dist[v]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        right = child + 1
        if right < size and dist[heap[right]] < dist[heap[child]]:
            child = right
        c = heap[child]
        if dist[c] >= dv:
            break
        heap[i] = c
        pos[c] = i
        i = child
    heap[i] = v
    pos[v] = i


@numba.njit(nogil=True)
def _reference(cost, starts, step_y, step_x, limit):
    rows, cols = cost.shape
    n = rows * cols
    c = cost.ravel()
    dist = np.full(n, np.inf)
    pos = np.full(n, -1, dtype=np.int64)  # -1 never queued, -2 settled, else heap position
    heap = np.empty(n, dtype=np.int64)
    size = 0
    diag = math.sqrt(step_y * step_y + step_x * step_x)
    dr = np.array([-1, -1, -1, 0, 0, 1, 1, 1])
    dc = np.array([-1, 0, 1, -1, 1, -1, 0, 1])
    length = np.array([diag, step_y, diag, step_x, step_x, diag, step_y, diag])
    for s in starts:
        if pos[s] == -1:
            dist[s] = 0.0
            heap[size] = s
            pos[s] = size
            size += 1
            _ref_sift_up(heap, pos, dist, size - 1)
    while size > 0:
        u = heap[0]
        size -= 1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _ref_sift_down(heap, pos, dist, 0, size)
        pos[u] = -2
        du = dist[u]
        if du > limit:
            break
        cu = c[u]
        if not (cu < np.inf) or cu < 0:
            continue
        r = u // cols
        q = u - r * cols
        for k in range(8):
            rr = r + dr[k]
            qq = q + dc[k]
            if rr < 0 or rr >= rows or qq < 0 or qq >= cols:
                continue
            v = rr * cols + qq
            if pos[v] == -2:
                continue
            cv = c[v]
            if not (cv < np.inf) or cv < 0:
                continue
            nd = du + length[k] * 0.5 * (cu + cv)
            if nd < dist[v]:
                dist[v] = nd
                if pos[v] == -1:
                    heap[size] = v
                    pos[v] = size
                    size += 1
                    _ref_sift_up(heap, pos, dist, size - 1)
                else:
                    _ref_sift_up(heap, pos, dist, pos[v])
    for i in range(n):
        if dist[i] > limit:
            dist[i] = np.inf
    return dist.reshape(rows, cols)


def _surface(seed: int, rows: int = 120, cols: int = 150) -> np.ndarray:
    """Minutes per metre with roads (fast lines), scattered barriers, NaN, negative and zero cells."""
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.0005, 0.02, (rows, cols))
    cost[rows // 3, :] = 0.001  # a road across
    cost[:, cols // 2] = 0.00075
    cost[rng.random(cost.shape) < 0.12] = np.inf
    cost[rng.random(cost.shape) < 0.01] = np.nan
    cost[rng.random(cost.shape) < 0.01] = -1.0  # impassable, as in the old kernel
    cost[rng.random(cost.shape) < 0.005] = 0.0  # free cells (ties)
    cost[10:20, 10:20] = np.inf
    cost[14:16, 14:16] = 0.01  # a walled-in pocket: unreachable
    return cost


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("limit", [np.inf, 3.0, 25.0])
def test_equal_to_the_previous_kernel_bit_for_bit(seed, limit):
    cost = _surface(seed)
    rng = np.random.default_rng(seed + 10)
    starts = np.unique(rng.integers(0, cost.size, 6)).astype(np.int64)
    starts = np.append(starts, [15 * cost.shape[1] + 15, 11 * cost.shape[1] + 11])  # in the pocket; on a wall
    for sy, sx in ((100.0, 100.0), (30.0, 25.0)):
        ref = _reference(cost, starts, sy, sx, limit)
        np.testing.assert_array_equal(fk.run(cost, starts, sy, sx, limit), ref)
        initial = np.full(cost.shape, np.inf)
        initial.flat[starts] = 0.0
        np.testing.assert_array_equal(fk.run_from(cost, initial, sy, sx, limit), ref)


def test_equal_to_mcp_geometric():
    cost = _surface(3)
    cost[~(cost >= 0)] = np.inf  # skimage: inf / NaN / negative are all impassable (NaN -> inf here)
    starts_rc = [(60, 75), (5, 140), (110, 3)]
    ref = MCP_Geometric(cost, fully_connected=True, sampling=(100.0, 100.0)).find_costs(starts_rc)[0]
    ours = fk.run(cost, np.array([r * cost.shape[1] + c for r, c in starts_rc], dtype=np.int64), 100.0, 100.0,
                  np.inf)
    assert np.array_equal(np.isinf(ours), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(ours[fin], ref[fin], rtol=1e-12, atol=0)


def test_improve_equals_a_full_search_from_the_lower_values():
    """Lowering some cells of a consistent grid and propagating equals searching from scratch."""
    cost = _surface(4)
    starts = np.array([100, 9000], dtype=np.int64)
    base = fk.run(cost, starts, 100.0, 100.0, np.inf)
    better = np.full(cost.shape, np.inf)
    better[0, :] = 0.5  # new cheap sources along the top row
    better[-1, 5] = 0.0
    full_init = np.minimum(base, better)
    full = fk.run_from(cost, full_init, 100.0, 100.0, np.inf)
    np.testing.assert_array_equal(fk.improve(cost, base, better, 100.0, 100.0, np.inf), full)
    np.testing.assert_array_equal(fk.improve(cost, base, np.full(cost.shape, np.inf), 100.0, 100.0, np.inf), base)


def test_the_heap_grows_past_its_first_capacity():
    """Thousands of seeds (more than the initial 1,024 heap entries) and a large frontier."""
    cost = np.full((200, 200), 0.01)
    starts = np.arange(0, cost.size, 7, dtype=np.int64)
    ref = _reference(cost, starts, 10.0, 10.0, np.inf)
    np.testing.assert_array_equal(fk.run(cost, starts, 10.0, 10.0, np.inf), ref)
    assert math.isclose(float(fk.run(cost, np.array([0], dtype=np.int64), 10.0, 10.0, np.inf)[-1, -1]),
                        199 * math.sqrt(200.0) * 0.01, rel_tol=1e-12)
