"""Small drawing helpers shared by the registry, providers and invoices."""

from __future__ import annotations

import numpy as np

# A weighted pool: candidate row numbers and their cumulative probabilities.
WeightedPool = tuple[np.ndarray, np.ndarray]


def weighted(idx: np.ndarray, w: np.ndarray) -> WeightedPool:
    """The rows `idx`, drawn in proportion to their weights w[idx]."""
    if idx.size == 0:
        return idx, np.zeros(0)
    cdf = np.cumsum(w[idx] / w[idx].sum())
    cdf[-1] = 1.0
    return idx, cdf


def draw(rng: np.random.Generator, pool: WeightedPool, n: int) -> np.ndarray:
    """n rows of a weighted pool, with replacement."""
    idx, cdf = pool
    return idx[np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), idx.size - 1)]


def pick(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """n rows of a pool, uniformly, with replacement."""
    return pool[rng.integers(0, pool.size, n)]


def largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    """Split `total` in proportion to `shares`, in whole numbers that add up to it."""
    raw = shares / shares.sum() * total
    out = np.floor(raw).astype(np.int64)
    rest = total - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out
