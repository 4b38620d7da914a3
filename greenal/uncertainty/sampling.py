"""Samples as arrays, with common random numbers.

Every uncertain quantity has a key (the identity of its exchange or declared field). Its standard
normal draws come from a numpy Generator seeded with (seed, hash of the key), so the same key
gets the same draws in location- and market-based systems and in two declarations: differences
then carry only the uncertainty of what differs. A draw is turned into the quantity by the
inverse CDF of its distribution (a monotone map: ranks of draws are ranks of amounts).

Distributions (stats_arrays ids, as in inventories): 2 lognormal (median = the amount, `scale` =
sd of ln), 3 normal (mean = the amount, `scale` = sd), 4 uniform (minimum, maximum), 5 triangular
(minimum, mode = the amount, maximum). Factors are returned relative to the nominal amount.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

LOGNORMAL, NORMAL, UNIFORM, TRIANGULAR = 2, 3, 4, 5


@dataclass(frozen=True)
class Uncertain:
    """One sampled quantity: a multiplicative factor on its nominal amount."""
    key: str
    description: str
    kind: int  # stats_arrays id
    amount: float  # nominal
    scale: float = 0.0  # sd of ln (lognormal) or sd (normal)
    minimum: float = 0.0
    maximum: float = 0.0

    @classmethod
    def from_stats_arrays(cls, key: str, description: str, amount: float, u: dict) -> "Uncertain":
        return cls(key, description, u["uncertainty_type"], amount, u.get("scale", 0.0), u.get("minimum", 0.0),
                   u.get("maximum", 0.0))

    def factor(self, z: np.ndarray) -> np.ndarray:
        """Sampled amount / nominal amount for standard normal draws z."""
        a = self.amount
        if self.kind == LOGNORMAL:
            return np.exp(self.scale * z)
        if not a:
            return np.ones_like(z)
        if self.kind == NORMAL:
            return 1.0 + self.scale * z / a
        p = ndtr(z)
        lo, hi = self.minimum, self.maximum
        if self.kind == UNIFORM:
            return (lo + (hi - lo) * p) / a
        if self.kind == TRIANGULAR:
            c = (a - lo) / (hi - lo) if hi > lo else 0.5
            x = np.where(p < c, lo + np.sqrt(p * (hi - lo) * (a - lo)), hi - np.sqrt((1 - p) * (hi - lo) * (hi - a)))
            return x / a
        raise ValueError(f"uncertainty type {self.kind}")

    def mean_sd(self) -> tuple[float, float]:
        """Analytic mean and sd of the sampled amount (for tests and the method statement)."""
        a, lo, hi = self.amount, self.minimum, self.maximum
        if self.kind == LOGNORMAL:
            s2 = self.scale ** 2
            return a * np.exp(s2 / 2), a * np.sqrt((np.exp(s2) - 1) * np.exp(s2))
        if self.kind == NORMAL:
            return a, self.scale
        if self.kind == UNIFORM:
            return (lo + hi) / 2, (hi - lo) / np.sqrt(12)
        return (lo + a + hi) / 3, np.sqrt((lo * lo + a * a + hi * hi - lo * a - lo * hi - a * hi) / 18)


class Draws:
    """Standard normal draws per key, produced batch after batch from one stream per key."""

    def __init__(self, seed: int):
        self.seed = seed
        self._streams: dict[str, np.random.Generator] = {}

    def stream(self, key: str) -> np.random.Generator:
        if key not in self._streams:
            digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
            self._streams[key] = np.random.default_rng([self.seed, digest])
        return self._streams[key]

    def batch(self, keys: list[str], n: int) -> np.ndarray:
        """(n, len(keys)) standard normal draws, the next n of each key's stream."""
        out = np.empty((n, len(keys)))
        for j, key in enumerate(keys):
            out[:, j] = self.stream(key).standard_normal(n)
        return out
