"""Exact tests of a count of stale reads against what a model expects.

A simulated count of stale reads agrees with a closed form or with the PBS
model only if a test that *could* reject it does not. Two exact two-sided
tests, computed with numpy and :func:`math.lgamma` (no scipy):

- :func:`binomial_test`: ``k`` successes in ``n`` independent trials of
  the same probability ``p`` (the non-expanding quorums of the closed form:
  each read misses the write quorum independently, with the same chance);
- :func:`poisson_binomial_test`: independent trials with their own
  probabilities (PBS: each read's chance depends on its age).

The p-value is the probability, under the model, of a count at most as
likely as the one observed (the "minimum likelihood" two-sided test, as in
R's ``binom.test``).

Examples
--------
>>> round(binomial_test(3, 10, 0.5), 4)
0.3438
>>> round(binomial_test(0, 20, 0.5), 7)
1.9e-06
>>> round(poisson_binomial_test(3, [0.5] * 10), 4)
0.3438
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["binomial_pmf", "binomial_test", "poisson_binomial_pmf", "poisson_binomial_test"]

#: Counts whose probability is within this relative distance of the observed one count as as likely.
_RELATIVE = 1e-7
#: Up to this many trials the binomial coefficients come from math.comb; beyond, from lgamma.
_EXACT_COMB = 1000


def _check(k: int, n: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"k must be an integer in 0..{n}, got {k!r}")


def binomial_pmf(n: int, p: float) -> np.ndarray:
    """P(K = i) for i = 0..n, K binomial with ``n`` trials of probability ``p``.

    Examples
    --------
    >>> binomial_pmf(2, 0.5).tolist()
    [0.25, 0.5, 0.25]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    if not (isinstance(p, (int, float)) and 0.0 <= p <= 1.0):
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    i = np.arange(n + 1)
    if p in (0.0, 1.0):
        return (i == (0 if p == 0.0 else n)).astype(float)
    if n <= _EXACT_COMB:  # math.comb is exact and fits a float
        return np.array([math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(n + 1)])
    log_comb = np.array(
        [math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in range(n + 1)]
    )
    return np.exp(log_comb + i * math.log(p) + (n - i) * math.log1p(-p))


def poisson_binomial_pmf(probs: Sequence[float]) -> np.ndarray:
    """P(K = i) for i = 0..len(probs), K the number of successes of independent trials.

    Examples
    --------
    >>> poisson_binomial_pmf([0.5, 1.0]).tolist()
    [0.0, 0.5, 0.5]
    """
    p = np.asarray(probs, dtype=float)
    if p.ndim != 1 or not np.all((p >= 0) & (p <= 1)):
        raise ValueError(f"probs must be a sequence of probabilities in [0, 1], got {probs!r}")
    pmf = np.zeros(len(p) + 1)
    pmf[0] = 1.0
    for j, q in enumerate(p.tolist()):
        pmf[1 : j + 2] = pmf[1 : j + 2] * (1 - q) + pmf[: j + 1] * q
        pmf[0] *= 1 - q
    return pmf


def _two_sided(pmf: np.ndarray, k: int) -> float:
    """The probability of the counts at most as likely as ``k``."""
    return float(min(1.0, pmf[pmf <= pmf[k] * (1 + _RELATIVE)].sum()))


def binomial_test(k: int, n: int, p: float) -> float:
    """The exact two-sided p-value of ``k`` successes in ``n`` trials of probability ``p``."""
    _check(k, n)
    return _two_sided(binomial_pmf(n, p), int(k))


def poisson_binomial_test(k: int, probs: Sequence[float]) -> float:
    """The exact two-sided p-value of ``k`` successes in independent trials of probabilities ``probs``."""
    _check(k, len(probs))
    return _two_sided(poisson_binomial_pmf(probs), int(k))
