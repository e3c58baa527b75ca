"""Latency distributions, in milliseconds.

A distribution is a small frozen object with a vectorised
``sample(rng, size)`` and an exact ``mean``. The network draws one delay per
message from a per-link :class:`Sampler` (a buffer refilled in blocks, so the
event loop does not pay numpy's per-call overhead), and the PBS Monte Carlo
draws whole arrays at once.

The presets are the production fits of Bailis et al., *Probabilistically
Bounded Staleness for Practical Partial Quorums* (VLDB 2012), Table 4.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PRESETS",
    "Constant",
    "Distribution",
    "Exponential",
    "Mixture",
    "Pareto",
    "Sampler",
    "Uniform",
    "constant",
    "exponential",
    "mixture",
    "pareto",
    "preset",
    "uniform",
]


class Distribution:
    """Base class: a non-negative delay distribution in ms."""

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        """Draw ``size`` delays (an array of floats)."""
        raise NotImplementedError

    @property
    def mean(self) -> float:
        """The exact mean, in ms (``inf`` when it does not exist)."""
        raise NotImplementedError


def _check(name: str, value: float, low: float, *, strict: bool = False) -> float:
    value = float(value)
    bad = not math.isfinite(value) or (value <= low if strict else value < low)
    if bad:
        op = ">" if strict else ">="
        raise ValueError(f"{name} must be a finite number {op} {low}, got {value}")
    return value


@dataclass(frozen=True)
class Constant(Distribution):
    """Always ``value`` ms."""

    value: float

    def __post_init__(self) -> None:
        _check("value", self.value, 0.0)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return np.full(size, float(self.value))

    @property
    def mean(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[low, high]`` ms."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check("low", self.low, 0.0)
        if not self.high >= self.low:
            raise ValueError(f"high must be >= low ({self.low}), got {self.high}")

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2.0


@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponential with ``rate`` per ms (mean ``1/rate``), optionally shifted."""

    rate: float
    shift: float = 0.0

    def __post_init__(self) -> None:
        _check("rate", self.rate, 0.0, strict=True)
        _check("shift", self.shift, 0.0)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return self.shift + rng.exponential(1.0 / self.rate, size)

    @property
    def mean(self) -> float:
        return self.shift + 1.0 / self.rate


@dataclass(frozen=True)
class Pareto(Distribution):
    """Pareto (type I) with scale ``xm`` ms and shape ``alpha``: P(X > x) = (xm/x)^alpha."""

    xm: float
    alpha: float

    def __post_init__(self) -> None:
        _check("xm", self.xm, 0.0, strict=True)
        _check("alpha", self.alpha, 0.0, strict=True)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        # numpy's pareto is the Lomax (type II) form; shift by one and scale.
        return self.xm * (1.0 + rng.pareto(self.alpha, size))

    @property
    def mean(self) -> float:
        return math.inf if self.alpha <= 1 else self.alpha * self.xm / (self.alpha - 1)


@dataclass(frozen=True)
class Mixture(Distribution):
    """A weighted mixture: with probability ``p_i`` draw from ``d_i``."""

    components: tuple[tuple[float, Distribution], ...]

    def __post_init__(self) -> None:
        if not self.components:
            raise ValueError("components must hold at least one (probability, distribution) pair")
        total = 0.0
        for p, d in self.components:
            _check("probability", p, 0.0)
            if not isinstance(d, Distribution):
                raise ValueError(f"each component must be a Distribution, got {d!r}")
            total += p
        if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-9):
            raise ValueError(f"mixture probabilities must sum to 1, got {total}")

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        cumulative = np.cumsum([p for p, _ in self.components])
        u = rng.random(size) * cumulative[-1]
        which = np.minimum(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1)
        out = np.empty(which.shape)
        for i, (_, dist) in enumerate(self.components):
            mask = which == i
            count = int(mask.sum())
            if count:
                out[mask] = dist.sample(rng, count)
        return out

    @property
    def mean(self) -> float:
        return sum(p * d.mean for p, d in self.components)


def constant(value: float) -> Constant:
    """A constant delay.

    Examples
    --------
    >>> constant(5).mean
    5.0
    """
    return Constant(value)


def uniform(low: float, high: float) -> Uniform:
    """A uniform delay on ``[low, high]``.

    Examples
    --------
    >>> uniform(2, 4).mean
    3.0
    """
    return Uniform(low, high)


def exponential(rate: float | None = None, *, mean: float | None = None, shift: float = 0.0) -> Exponential:
    """An exponential delay, given its ``rate`` (per ms) or its ``mean`` (ms).

    Examples
    --------
    >>> exponential(rate=0.1).mean
    10.0
    >>> exponential(mean=4).rate
    0.25
    """
    if (rate is None) == (mean is None):
        raise ValueError("give exactly one of rate (> 0) or mean (> 0)")
    if mean is not None:
        rate = 1.0 / _check("mean", mean, 0.0, strict=True)
    assert rate is not None
    return Exponential(rate, shift)


def pareto(xm: float, alpha: float) -> Pareto:
    """A Pareto delay with scale ``xm`` ms and shape ``alpha``.

    Examples
    --------
    >>> pareto(1.0, 2.0).mean
    2.0
    """
    return Pareto(xm, alpha)


def mixture(components: Iterable[tuple[float, Distribution]]) -> Mixture:
    """A mixture of ``(probability, distribution)`` pairs.

    Examples
    --------
    >>> round(mixture([(0.5, constant(1)), (0.5, constant(3))]).mean, 6)
    2.0
    """
    return Mixture(tuple((float(p), d) for p, d in components))


_LNKD_ARS = mixture([(0.9122, pareto(0.235, 10)), (0.0878, exponential(1.66))])
_YMMR_ARS = mixture([(0.982, pareto(1.5, 3.8)), (0.018, exponential(0.0217))])

#: The PBS paper's production fits (VLDB 2012, Table 3): one distribution per WARS leg.
#:
#: YMMR's write leg uses a Pareto shape alpha = 3.5, not the 3.35 printed in
#: the paper's Table 3: the authors' simulator (``YammerDelayModel`` in
#: ``nrw_solver/src/Simulator.java`` of ``pbailis/pbs-vldb-historical-paper-material``)
#: draws alpha = 3.5, and the paper's P(consistent at t=0) = 0.893 for YMMR
#: N=3, R=W=1 matches 3.5 (3.35 gives about 0.887).
PRESETS: Mapping[str, Mapping[str, Distribution]] = {
    "LNKD-SSD": {"W": _LNKD_ARS, "A": _LNKD_ARS, "R": _LNKD_ARS, "S": _LNKD_ARS},
    "LNKD-DISK": {
        "W": mixture([(0.38, pareto(1.05, 1.51)), (0.62, exponential(0.183))]),
        "A": _LNKD_ARS,
        "R": _LNKD_ARS,
        "S": _LNKD_ARS,
    },
    "YMMR": {
        "W": mixture([(0.939, pareto(3, 3.5)), (0.061, exponential(0.0028))]),
        "A": _YMMR_ARS,
        "R": _YMMR_ARS,
        "S": _YMMR_ARS,
    },
}


def preset(name: str) -> Mapping[str, Distribution]:
    """The WARS distributions of a named preset.

    Examples
    --------
    >>> sorted(preset("LNKD-SSD"))
    ['A', 'R', 'S', 'W']
    """
    if name not in PRESETS:
        raise ValueError(f"latency preset must be one of {sorted(PRESETS)}, got {name!r}")
    return PRESETS[name]


class Sampler:
    """Draws single delays from ``dist`` quickly, refilling a block at a time.

    Examples
    --------
    >>> import numpy as np
    >>> s = Sampler(constant(2.5), np.random.default_rng(0))
    >>> s(), s()
    (2.5, 2.5)
    """

    __slots__ = ("_block", "_buf", "_dist", "_i", "_rng")

    def __init__(self, dist: Distribution, rng: np.random.Generator, block: int = 256) -> None:
        self._dist = dist
        self._rng = rng
        self._block = block
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._dist.sample(self._rng, self._block).tolist()
            self._i = 0
        value = self._buf[self._i]
        self._i += 1
        return value
