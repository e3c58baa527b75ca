"""Probabilistically Bounded Staleness (PBS) for partial quorums.

Bailis et al., *Probabilistically Bounded Staleness for Practical Partial
Quorums* (VLDB 2012), ask two questions about a Dynamo-style store with
``N`` replicas, reads that wait for ``R`` replies and writes that wait for
``W`` acknowledgements, when ``R + W <= N``:

* **How consistent?** (versions, ``(k, p)``) For quorums that are chosen
  uniformly at random and never grow, a read quorum misses a write quorum
  with probability ``C(N-W, R) / C(N, R)``, and misses each of the last
  ``k`` independent write quorums with that probability to the power ``k``.
  See :func:`stale_read_probability` and :func:`k_staleness`.
* **How eventual?** (time, ``(t, p)``, called t-visibility) Real stores send
  every write to all ``N`` replicas, so the write keeps spreading after it
  commits. The *WARS* model draws four message delays for each replica
  (``W`` write, ``A`` ack, ``R`` read request, ``S`` read response) and a
  Monte Carlo estimate gives the chance that a read that starts ``t`` ms
  after the commit sees the write. See :func:`t_visibility` and
  :func:`t_visibility_quantile`.

:func:`published_results` lists figures published by the PBS authors, so that
a notebook (or a test) can put our Monte Carlo next to them, and
:func:`compare_published` does exactly that.

The latency presets are the paper's production fits (VLDB 2012, Table 3; YMMR's
write leg with Pareto shape 3.5, see :data:`replnb.latency.PRESETS`), plus
"WAN" (LNKD-DISK with 75 ms to remote data centres, see
:func:`visibility_thresholds`). The paper's 99.9 % windows (VLDB 2012, Table 4)
were estimated differently from :func:`t_visibility_quantile`, the quantile of
the model: the authors' simulator swept a grid of times with a fresh batch of
trials at each and reported the first time whose noisy estimate reached
99.9 %, which runs low on a flat tail. :func:`t_visibility_as_published`
reproduces that estimator, :func:`published_spread` gives its spread over runs
and :func:`published_table` puts Table 4 beside both.

The published numbers come from the text and table of the authors' CACM
research highlight, *Quantifying Eventual Consistency with PBS* (Bailis,
Venkataraman, Franklin, Hellerstein, Stoica; Communications of the ACM 57(8),
2014), as stored in the authors' repository
``pbailis/paper-repo-cacm-pbs-research-highlight`` (file ``pbs-cacm.tex``).
By its own title note, that article is a version of the VLDB 2012 paper; it
reports the same production-latency analysis, with the latency fits of
:data:`replnb.latency.PRESETS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, overload

import numpy as np
import pandas as pd

from .engine.latency import PRESETS, Distribution, Exponential, Mixture, Pareto, exponential
from .engine.rng import Seed, as_rng
from .params import Choice, Int, Real, Spec, checked
from .progress import progress

__all__ = [
    "AUTHORS_GRIDS",
    "MAX_CELLS",
    "MAX_FRESH_CELLS",
    "MAX_REPLICAS",
    "MAX_RUNS",
    "MAX_SPREAD_CELLS",
    "MAX_TIMES",
    "MAX_TRIALS",
    "WAN_DELAY_MS",
    "Grid",
    "Legs",
    "Spread",
    "Times",
    "authors_grid",
    "compare_published",
    "k_staleness",
    "published_latency",
    "published_results",
    "published_spread",
    "published_table",
    "stale_read_probability",
    "t_visibility",
    "t_visibility_as_published",
    "t_visibility_quantile",
    "visibility_thresholds",
]

#: The largest ``n`` that the Monte Carlo functions accept (memory grows as trials x n).
MAX_REPLICAS = 1000

#: The most Monte Carlo trials per call.
MAX_TRIALS = 1_000_000

#: The most delays drawn per WARS leg in one call (trials x n): about 3 s on the course machine.
MAX_CELLS = 4_000_000

#: The most times ``t`` that :func:`t_visibility` evaluates at once.
MAX_TIMES = 1_000_000

#: The largest ``k`` of :func:`k_staleness`.
MAX_K = 1000

#: Block size: each block draws about this many delays per WARS leg (trials x n), to bound memory.
_BLOCK_CELLS = 1 << 21

_LEGS = ("W", "A", "R", "S")

Latency = str | Mapping[str, Distribution]

#: The one-way delay, in ms, that the WAN preset adds to each message to or from a remote replica.
WAN_DELAY_MS = 75.0

#: The preset names accepted as ``latency``: :data:`replnb.latency.PRESETS` plus "WAN".
_PRESET_NAMES = sorted([*PRESETS, "WAN"])


# ---------------------------------------------------------------------------
# parameters


#: A mean delay, in ms, that stands for exponential delays on every leg.
_MEAN = Real(0, 10_000, low_open=True, unit="ms")


@dataclass(frozen=True)
class Legs(Spec):
    """WARS latencies: a preset name or a mapping of the four legs to distributions.

    With ``single=True`` one :class:`~replnb.latency.Distribution` (used for
    every leg) or a number, the mean delay of an exponential in ms, is
    accepted too. The checked value is returned unchanged; :meth:`legs`
    turns it into the four distributions.

    Examples
    --------
    >>> sorted(Legs().legs("YMMR"))
    ['A', 'R', 'S', 'W']
    >>> Legs().legs("WAN") is None  # only with wan=True
    True
    >>> sorted(Legs(wan=True).legs("WAN"))
    ['A', 'R', 'S', 'W']
    >>> Legs(single=True).legs(2.0)["W"].mean
    2.0
    >>> Legs(wan=True).check("latency", 2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: latency must be a preset name in ['LNKD-DISK', 'LNKD-SSD', 'WAN', 'YMMR'] or ..., got 2.0
    """

    single: bool = False
    #: The mean delay a number may give (``single=True`` only).
    mean: Real = _MEAN
    #: Accept "WAN" too (the PBS functions here, which add its remote delays).
    wan: bool = False
    none: bool = False

    def legs(self, value: Any) -> dict[str, Distribution] | None:
        """The four distributions that ``value`` stands for, or ``None`` if it is not allowed.

        For ``"WAN"`` these are the LNKD-DISK legs; the 75 ms to remote
        replicas is added by :func:`visibility_thresholds` (see :data:`WAN_DELAY_MS`).
        """
        if isinstance(value, str):
            if value == "WAN" and self.wan:
                return dict(PRESETS["LNKD-DISK"])
            return dict(PRESETS[value]) if value in PRESETS else None
        if isinstance(value, Mapping):
            legs = {str(k): v for k, v in value.items()}
            ok = sorted(legs) == sorted(_LEGS) and all(isinstance(d, Distribution) for d in legs.values())
            return legs if ok else None
        if not self.single:
            return None
        if isinstance(value, Distribution):
            return dict.fromkeys(_LEGS, value)
        ok, mean = self.mean.accept(value, {})
        return dict.fromkeys(_LEGS, exponential(mean=mean)) if ok else None

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        return self.legs(value) is not None, value

    def describe(self, context: Mapping[str, Any]) -> str:
        presets = f"a preset name in {_PRESET_NAMES if self.wan else sorted(PRESETS)}"
        mapping = (
            "a mapping with exactly the keys 'W', 'A', 'R', 'S' whose values are"
            " replnb.latency.Distribution objects"
        )
        if self.single:
            mean = f"{self.mean.describe(context)} (the mean of exponential delays)"
            return f"{presets}, {mean}, a replnb.latency.Distribution or {mapping}"
        return f"{presets} or {mapping}"


#: The replicas and quorum sizes of every function here.
_NRW: dict[str, Spec] = {"n": Int(1, MAX_REPLICAS), "r": Int(1, "n"), "w": Int(1, "n")}
#: The Monte Carlo's parameters (``trials`` is further bounded by :data:`MAX_CELLS`).
_LATENCY = Legs(wan=True)
_MONTE_CARLO: dict[str, Spec] = {**_NRW, "latency": _LATENCY, "trials": Int(1, MAX_TRIALS)}
#: A time after the commit: ``t`` is one or an array of at most :data:`MAX_TIMES` of them.
_TIME = Real(0, math.inf, unit="ms", allow_inf=True)


def _check_trials(trials: int, n: int) -> int:
    """``trials`` within the budget of :data:`MAX_CELLS` delays per leg for ``n`` replicas."""
    most = min(MAX_TRIALS, max(1, MAX_CELLS // n))
    return Int(1, most, unit=f"(for n={n})").check("trials", trials)


@dataclass(frozen=True)
class Times(Spec):
    """Times after a commit, in ms: one number, or an array of at most ``most`` of them, each in ``[0, inf]``.

    The checked value is a float array (zero-dimensional for one number). A
    message names the first time out of range.

    Examples
    --------
    >>> Times().check("t", [0, 2.5]).tolist()
    [0.0, 2.5]
    >>> Times().check("t", [0.0, -1.0])
    Traceback (most recent call last):
    ...
    ValueError: t must be a number in [0, inf] ms, or an array of at most 1000000 such numbers, got -1.0
    """

    most: int = MAX_TIMES
    none: bool = False

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        try:
            raw = np.asarray(None if isinstance(value, (bool, str, bytes)) else value)
        except (TypeError, ValueError):  # a ragged list, say
            return False, None
        if raw.dtype.kind not in "iuf" or raw.size > self.most:
            return False, None
        times = raw.astype(float)
        return bool(np.all(times >= 0)), times  # NaN fails too

    def describe(self, context: Mapping[str, Any]) -> str:
        return f"{_TIME.describe(context)}, or an array of at most {self.most} such numbers"

    def check(self, name: str, value: Any, context: Mapping[str, Any] | None = None) -> Any:
        ok, times = self.accept(value, context or {})
        if ok:
            return times
        if times is not None:  # an array of numbers: name the first bad one
            value = float(times[~(times >= 0)].ravel()[0])
        raise ValueError(f"{name} must be {self.describe(context or {})}, got {value!r}")


# ---------------------------------------------------------------------------
# closed forms (non-expanding quorums)


@checked(**_NRW)
def stale_read_probability(n: int = 3, r: int = 1, w: int = 1) -> float:
    """Chance that a read quorum misses the latest write quorum entirely.

    For quorums of fixed sizes chosen uniformly at random among ``n``
    replicas, and which do not grow after the write (no anti-entropy), the
    read misses the write exactly when all ``r`` read replicas come from the
    ``n - w`` replicas that the write skipped:

    .. math:: p_s = \\binom{n-w}{r} \\Big/ \\binom{n}{r}

    It is 0 for strict quorums (``r + w > n``). Real Dynamo-style stores
    keep propagating the write to every replica, so for them this is an
    upper bound on staleness (see :func:`t_visibility`).

    Parameters
    ----------
    n : int, default 3
        Replicas, ``1 <= n <= MAX_REPLICAS`` (1000).
    r : int, default 1
        Read quorum size, ``1 <= r <= n``.
    w : int, default 1
        Write quorum size, ``1 <= w <= n``.

    Returns
    -------
    float
        The probability, in ``[0, 1]``.

    Raises
    ------
    ValueError
        If a parameter is not an integer in its range.

    Examples
    --------
    >>> round(stale_read_probability(3, 1, 1), 6)
    0.666667
    >>> stale_read_probability(3, 2, 2)
    0.0
    >>> f"{stale_read_probability(100, 30, 30):.3g}"
    '1.88e-06'
    """
    return math.comb(n - w, r) / math.comb(n, r)


@checked(**_NRW, k=Int(1, MAX_K))
def k_staleness(n: int = 3, r: int = 1, w: int = 1, k: int = 1) -> float:
    """Chance that a read misses each of the last ``k`` write quorums.

    With independent random quorums, a read returns none of the ``k``
    latest versions (it is at least ``k`` versions behind the newest) with
    probability ``stale_read_probability(n, r, w) ** k``. So the read
    returns one of the latest ``k`` versions, PBS ``(k, p)``-regular
    semantics, with ``p = 1 - k_staleness(n, r, w, k)``.

    Parameters
    ----------
    n, r, w : int
        Replicas and quorum sizes, as in :func:`stale_read_probability`.
    k : int, default 1
        Number of recent versions, ``1 <= k <= MAX_K`` (1000); ``k = 1`` gives
        :func:`stale_read_probability`.

    Returns
    -------
    float
        The probability, in ``[0, 1]``.

    Raises
    ------
    ValueError
        If a parameter is not an integer in its range.

    Examples
    --------
    The PBS paper's example, N=3 and R=W=1: a read returns one of the last
    2 versions with probability 5/9.

    >>> round(1 - k_staleness(3, 1, 1, 2), 4)
    0.5556
    >>> k_staleness(3, 1, 1, 1) == stale_read_probability(3, 1, 1)
    True
    """
    return stale_read_probability(n, r, w) ** k


# ---------------------------------------------------------------------------
# WARS Monte Carlo


def _sample(dist: Distribution, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """``dist.sample(rng, size)``, the same numbers from the same stream, with fewer temporaries.

    The distributions of the presets (mixtures of Pareto and exponential
    delays) are drawn here exactly as their own ``sample`` draws them (the same
    generator calls, in the same order, with the same sizes), but with the
    mixture's component chosen by comparisons instead of a ``searchsorted``
    and the shifts and scales applied in place. Any other distribution is
    asked to sample itself.
    """
    kind = type(dist)
    if kind is Pareto:
        out = rng.pareto(dist.alpha, size)  # type: ignore[attr-defined]
        out += 1.0
        out *= dist.xm  # type: ignore[attr-defined]
        return out
    if kind is Exponential:
        out = rng.exponential(1.0 / dist.rate, size)  # type: ignore[attr-defined]
        if dist.shift:  # type: ignore[attr-defined]
            out += dist.shift  # type: ignore[attr-defined]
        return out
    if kind is Mixture:
        return _sample_mixture(dist, rng, size)  # type: ignore[arg-type]
    return dist.sample(rng, size)


def _sample_mixture(dist: Mixture, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """:meth:`Mixture.sample`'s numbers; with two components, one comparison picks the component."""
    components = dist.components
    cumulative = np.cumsum([p for p, _ in components])
    u = rng.random(size)
    u *= cumulative[-1]
    if len(components) == 2:
        first = u < cumulative[0]  # searchsorted(..., side="right") == 0
        masks: Sequence[np.ndarray] = (first, ~first)
    else:
        which = np.minimum(np.searchsorted(cumulative, u, side="right"), len(components) - 1)
        masks = [which == i for i in range(len(components))]
    out = np.empty(u.shape)
    for mask, (_, component) in zip(masks, components, strict=True):
        count = int(np.count_nonzero(mask))
        if count:
            out[mask] = _sample(component, rng, count)
    return out


def _draw_legs(
    rng: np.random.Generator, legs: Mapping[str, Distribution], m: int, n: int, remote: float = 0.0
) -> _Delays:
    """The four WARS delays (``m`` trials x ``n`` replicas each), with the WAN offsets if ``remote``."""
    wd = _sample(legs["W"], rng, (m, n))
    ad = _sample(legs["A"], rng, (m, n))
    rd = _sample(legs["R"], rng, (m, n))
    sd = _sample(legs["S"], rng, (m, n))
    if remote:
        # Every replica in its own data centre; the writer and the reader each sit in one
        # chosen uniformly at random (independently), and every message to or from the
        # other data centres takes ``remote`` ms longer.
        cols = np.arange(n)
        far_w = (cols != rng.integers(0, n, size=(m, 1))) * remote
        far_r = (cols != rng.integers(0, n, size=(m, 1))) * remote
        wd, ad, rd, sd = wd + far_w, ad + far_w, rd + far_r, sd + far_r
    return wd, ad, rd, sd


_Delays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


#: Up to this many times, :func:`t_visibility` counts thresholds instead of sorting them.
_COUNT_UP_TO = 4

#: Up to this many replicas, the threshold is computed column by column (no axis reductions).
_COLUMNS_UP_TO = 8


def _thresholds_of(delays: _Delays, r: int, w: int) -> np.ndarray:
    """Per-trial visibility thresholds (unsorted) of the drawn delays for quorums ``r``, ``w``."""
    wd, ad, rd, sd = delays
    m, n = wd.shape
    if n <= _COLUMNS_UP_TO and w in (1, n) and r in (1, n):
        return _thresholds_by_columns(delays, r, w)
    # The write commits when the w-th acknowledgement reaches the coordinator.
    wa = wd + ad
    if w == 1:
        commit = wa.min(axis=1)
    elif w == n:
        commit = wa.max(axis=1)
    else:
        commit = np.partition(wa, w - 1, axis=1)[:, w - 1]
    # Replica i is fresh for a read started at commit + t iff W_i <= commit + t + R_i.
    fresh_after = wd - rd
    # The read uses the first r responders, ordered by R_i + S_i (independent of t).
    if r == n:
        best = fresh_after.min(axis=1)
    elif r == 1:
        first = np.argmin(rd + sd, axis=1)
        best = fresh_after[np.arange(m), first]
    else:
        firsts = np.argpartition(rd + sd, r - 1, axis=1)[:, :r]
        best = np.take_along_axis(fresh_after, firsts, axis=1).min(axis=1)
    return best - commit


def _thresholds_by_columns(delays: _Delays, r: int, w: int) -> np.ndarray:
    """:func:`_thresholds_of` for a few replicas and ``r``, ``w`` in ``{1, n}``: the same numbers.

    Elementwise passes over the ``n`` columns replace the reductions along
    short rows (``min``/``argmin`` over ``axis=1``), which numpy runs slowly.
    The first responder is the first column with the smallest ``R_i + S_i``,
    as ``argmin`` picks it.
    """
    wd, ad, rd, sd = delays
    n = wd.shape[1]
    pick = np.minimum if w == 1 else np.maximum
    commit = wd[:, 0] + ad[:, 0]
    for i in range(1, n):
        pick(commit, wd[:, i] + ad[:, i], out=commit)
    best = wd[:, 0] - rd[:, 0]
    if r == n:
        for i in range(1, n):
            np.minimum(best, wd[:, i] - rd[:, i], out=best)
    elif n > 1:  # r == 1: the first responder's W_i - R_i
        fastest = rd[:, 0] + sd[:, 0]
        for i in range(1, n):
            rs = rd[:, i] + sd[:, i]
            sooner = rs < fastest
            np.copyto(best, wd[:, i] - rd[:, i], where=sooner)
            np.minimum(fastest, rs, out=fastest)
    best -= commit
    return best


@checked(**_MONTE_CARLO)
def visibility_thresholds(
    n: int = 3,
    r: int = 1,
    w: int = 1,
    *,
    latency: Latency = "LNKD-DISK",
    trials: int = 100_000,
    seed: Seed = 0,
) -> np.ndarray:
    """Per-trial visibility thresholds of the WARS model, sorted ascending.

    Trial ``j`` gives a threshold ``T_j`` (ms, possibly negative): a read
    that starts ``t`` ms after the write commits returns the write iff
    ``t >= T_j``. So the empirical CDF of these thresholds is the
    t-visibility curve, ``P(consistent at t) = #{j: T_j <= t} / trials``.
    See :func:`t_visibility` for the derivation.

    Parameters
    ----------
    n : int, default 3
        Replicas, ``1 <= n <= MAX_REPLICAS`` (1000).
    r, w : int, default 1
        Read and write quorum sizes, each in ``1..n``.
    latency : str or mapping, default "LNKD-DISK"
        A preset name from :data:`replnb.latency.PRESETS` (the paper's Table 3
        fits), ``"WAN"``, or a mapping ``{"W": d, "A": d, "R": d, "S": d}`` of
        :class:`replnb.latency.Distribution`.

        ``"WAN"`` is the paper's multi-data-centre setting, as the authors'
        simulator implements it: the LNKD-DISK legs, each of the ``n``
        replicas in its own data centre, the writing coordinator in one data
        centre and the reading coordinator in one data centre (each chosen
        uniformly at random per trial, independently), and
        :data:`WAN_DELAY_MS` (75 ms) added to every message between a
        coordinator and a replica in another data centre: to ``W`` and ``A``
        of the replicas remote from the writer, and to ``R`` and ``S`` of the
        replicas remote from the reader.
    trials : int, default 100_000
        Monte Carlo trials, ``1..MAX_TRIALS`` (a million), and at most
        ``MAX_CELLS // n`` (four million delays per leg), which keeps a call
        within a few seconds.
    seed : int, numpy.random.Generator or None, default 0
        Normalised by :func:`replnb.rng.as_rng`.

    Returns
    -------
    numpy.ndarray
        ``trials`` floats, sorted ascending.

    Raises
    ------
    ValueError
        For a bad ``n``, ``r``, ``w``, ``trials``, ``seed`` or ``latency``.

    Examples
    --------
    Strict quorums (R + W > N) are fresh immediately: every threshold is <= 0.

    >>> bool(visibility_thresholds(3, 2, 2, trials=1000).max() <= 0)
    True
    >>> visibility_thresholds(3, 1, 1, trials=5).shape
    (5,)
    """
    trials = _check_trials(trials, n)
    legs = _LATENCY.legs(latency)
    assert legs is not None  # checked
    return _sorted_thresholds(latency, legs, n, ((r, w),), trials, as_rng(seed))[(r, w)]


def _sorted_thresholds(
    latency: Latency,
    legs: Mapping[str, Distribution],
    n: int,
    quorums: Sequence[tuple[int, int]],
    trials: int,
    rng: np.random.Generator,
    *,
    sort: bool = True,
) -> dict[tuple[int, int], np.ndarray]:
    """Thresholds for each ``(r, w)`` in ``quorums``, all from the same drawn delays (sorted if ``sort``)."""
    remote = WAN_DELAY_MS if isinstance(latency, str) and latency == "WAN" else 0.0
    block = max(1, _BLOCK_CELLS // n)
    parts: dict[tuple[int, int], list[np.ndarray]] = {q: [] for q in quorums}
    done = 0
    with progress(-(-trials // block), "Monte Carlo") as advance:
        while done < trials:
            m = min(block, trials - done)
            delays = _draw_legs(rng, legs, m, n, remote)
            for q, got in parts.items():
                got.append(_thresholds_of(delays, *q))
            done += m
            advance()
    out = {}
    for q, got in parts.items():
        out[q] = got[0] if len(got) == 1 else np.concatenate(got)
        if sort:
            out[q].sort()
    return out


@overload
def t_visibility(
    n: int = ...,
    r: int = ...,
    w: int = ...,
    t: float = ...,
    *,
    latency: Latency = ...,
    trials: int = ...,
    seed: Seed = ...,
) -> float: ...


@overload
def t_visibility(
    n: int,
    r: int,
    w: int,
    t: Sequence[float] | np.ndarray,
    *,
    latency: Latency = ...,
    trials: int = ...,
    seed: Seed = ...,
) -> np.ndarray: ...


@checked(**_MONTE_CARLO, t=Times())
def t_visibility(
    n: int = 3,
    r: int = 1,
    w: int = 1,
    t: float | Sequence[float] | np.ndarray = 0.0,
    *,
    latency: Latency = "LNKD-DISK",
    trials: int = 100_000,
    seed: Seed = 0,
) -> float | np.ndarray:
    """PBS t-visibility: P(a read ``t`` ms after the write commits sees it).

    A Monte Carlo estimate under the WARS model of Bailis et al. (VLDB
    2012). Each trial draws, for each of the ``n`` replicas, the delay of the
    write to the replica ``W_i``, of its acknowledgement ``A_i``, of the read
    request ``R_i`` and of the read response ``S_i``, all measured from the
    moment the coordinator sends. Then:

    1. The write commits at ``c``, the ``w``-th smallest ``W_i + A_i``.
    2. The read is sent at ``c + t``; request ``i`` reaches replica ``i`` at
       ``c + t + R_i``, and the coordinator keeps the first ``r`` responders
       in order of ``R_i + S_i``: call that set ``F``.
    3. Replica ``i`` answers with the write iff it already has it, i.e.
       ``W_i <= c + t + R_i`` (a tie counts as fresh, as in the authors'
       simulator). The read is consistent iff some ``i`` in ``F`` is fresh.

    ``F`` depends only on ``R_i + S_i``, never on ``t``. So the read is
    consistent at ``t`` iff ``t >= T`` with the per-trial threshold

    .. math:: T = \\min_{i \\in F} (W_i - R_i) - c,

    and the whole curve is the empirical CDF of ``T`` over the trials,
    evaluated with :func:`numpy.searchsorted`. It is exact for the drawn
    trials, costs one sort, and uses the same trials for every ``t``, so the
    curve never decreases in ``t``. For a strict quorum (``r + w > n``) some
    replica of ``F`` acknowledged the write, so ``W_i + A_i <= c`` and
    ``T <= -A_i - R_i <= 0``: the probability is exactly 1 for all ``t >= 0``.

    The standard error of an estimate ``p`` is about
    ``sqrt(p * (1 - p) / trials)``.

    Parameters
    ----------
    n : int, default 3
        Replicas, ``1 <= n <= MAX_REPLICAS`` (1000).
    r, w : int, default 1
        Read and write quorum sizes, each in ``1..n``.
    t : float or array_like of float, default 0
        Time(s) after the commit, in ms, ``>= 0`` (``inf`` is allowed); an
        array holds at most ``MAX_TIMES`` (a million) times.
    latency : str or mapping, default "LNKD-DISK"
        A preset name from :data:`replnb.latency.PRESETS` ("LNKD-SSD",
        "LNKD-DISK", "YMMR"), "WAN" (see :func:`visibility_thresholds`) or a
        mapping ``{"W": d, "A": d, "R": d, "S": d}`` of
        :class:`replnb.latency.Distribution`.
    trials : int, default 100_000
        Monte Carlo trials, ``1..MAX_TRIALS`` (a million), and at most
        ``MAX_CELLS // n`` (four million delays per leg), which keeps a call
        within a few seconds.
    seed : int, numpy.random.Generator or None, default 0
        Normalised by :func:`replnb.rng.as_rng`; the same seed gives the same
        numbers.

    Returns
    -------
    float or numpy.ndarray
        A float for a scalar ``t``, otherwise an array shaped like ``t``.

    Raises
    ------
    ValueError
        For an unknown preset, a bad ``n``, ``r``, ``w`` or ``trials``, or a
        negative (or NaN) ``t``.

    See Also
    --------
    t_visibility_quantile : the smallest ``t`` that reaches a probability.
    visibility_thresholds : the sorted per-trial thresholds ``T``.

    Examples
    --------
    >>> p0 = t_visibility(3, 1, 1, 0.0, latency="LNKD-SSD", trials=20_000)
    >>> 0.95 < p0 < 0.99
    True
    >>> curve = t_visibility(3, 1, 1, [0, 10, 100], trials=20_000)
    >>> bool(curve[0] <= curve[1] <= curve[2])
    True
    >>> t_visibility(3, 2, 2, 0.0, trials=1000)
    1.0
    """
    times = np.asarray(t, dtype=float)  # checked: an array already
    if times.size > _COUNT_UP_TO:
        thresholds = visibility_thresholds(n, r, w, latency=latency, trials=trials, seed=seed)
        probs = np.searchsorted(thresholds, times, side="right") / thresholds.size
        return float(probs) if times.ndim == 0 else probs
    # A few times: count the thresholds <= t (what searchsorted finds), without sorting them.
    trials = _check_trials(trials, n)
    legs = _LATENCY.legs(latency)
    assert legs is not None  # checked
    unsorted = _sorted_thresholds(latency, legs, n, ((r, w),), trials, as_rng(seed), sort=False)[(r, w)]
    counts = [np.count_nonzero(unsorted <= x) for x in times.flat]
    probs = np.array(counts, dtype=float).reshape(times.shape) / unsorted.size
    return float(probs) if times.ndim == 0 else probs


@checked(**_MONTE_CARLO, p=Real(0, 1, low_open=True))
def t_visibility_quantile(
    n: int = 3,
    r: int = 1,
    w: int = 1,
    p: float = 0.999,
    *,
    latency: Latency = "LNKD-DISK",
    trials: int = 100_000,
    seed: Seed = 0,
) -> float:
    """The smallest ``t`` (ms, ``>= 0``) with ``P(consistent at t) >= p``.

    This is the PBS "window of inconsistency" at probability ``p``, read off
    the same empirical distribution as :func:`t_visibility` (so
    ``t_visibility(..., t_visibility_quantile(...)) >= p`` for the same
    ``trials`` and ``seed``). It is 0 when a read right at the commit is
    already consistent with probability ``p``.

    Parameters
    ----------
    n, r, w : int
        Replicas and quorum sizes, as in :func:`t_visibility`.
    p : float, default 0.999
        Target probability, in ``(0, 1]``. High ``p`` needs many trials:
        only about ``(1 - p) * trials`` trials lie beyond the quantile.
    latency, trials, seed
        As in :func:`t_visibility`.

    Returns
    -------
    float
        Milliseconds after the write commits.

    Raises
    ------
    ValueError
        For a bad ``p`` or any error of :func:`t_visibility`.

    Examples
    --------
    >>> t_visibility_quantile(3, 2, 2)
    0.0
    >>> t = t_visibility_quantile(3, 1, 1, 0.9, latency="LNKD-DISK", trials=20_000)
    >>> bool(t_visibility(3, 1, 1, t, latency="LNKD-DISK", trials=20_000) >= 0.9)
    True
    """
    thresholds = visibility_thresholds(n, r, w, latency=latency, trials=trials, seed=seed)
    return _quantile_of(thresholds, p)


def _quantile_of(thresholds: np.ndarray, p: float) -> float:
    """The smallest ``t >= 0`` at which the empirical CDF of the sorted ``thresholds`` reaches ``p``."""
    size = thresholds.size
    # Smallest count k with k / size >= p (guarding against rounding in p * size).
    k = min(size, max(1, math.ceil(p * size)))
    while k > 1 and (k - 1) / size >= p:
        k -= 1
    while k < size and k / size < p:
        k += 1
    return max(0.0, float(thresholds[k - 1]))


# ---------------------------------------------------------------------------
# published figures

_CACM = "Bailis et al., 'Quantifying Eventual Consistency with PBS', CACM 57(8) 2014"
_TABLE = f"{_CACM}, table of Delta at p=99.9% vs R, W (N=3; the paper used 50,000 trials)"
_PRODUCTION = f"{_CACM}, section 'Staleness in Production' (N=3, R=W=1 curves)"
_SWEEP_N = f"{_CACM}, section 'Quorum Sizing' (LNKD-DISK, R=W=1)"
_SYNTHETIC = f"{_CACM}, section 'Write Latency Distribution Effects' (exponential delays, N=3, R=W=1)"

_EXP_W4 = "EXP W=4 ARS=1"
_EXP_W01 = "EXP W=0.1 ARS=1"

#: Synthetic WARS latencies of the paper: exponential W with rate lambda, A=R=S exponential with rate 1.
_SYNTHETIC_LATENCY: dict[str, dict[str, Distribution]] = {
    label: {"W": exponential(rate=lam), "A": exponential(1.0), "R": exponential(1.0), "S": exponential(1.0)}
    for label, lam in ((_EXP_W4, 4.0), (_EXP_W01, 0.1))
}

# (kind, latency, n, r, w, t_ms, p, source)
_PUBLISHED: tuple[tuple[str, str, int, int, int, float, float, str], ...] = (
    # Delta for (p=99.9%, Delta)-regular semantics, N=3.
    ("t_at_p", "LNKD-SSD", 3, 1, 1, 1.85, 0.999, _TABLE),
    ("t_at_p", "LNKD-SSD", 3, 1, 2, 1.79, 0.999, _TABLE),
    ("t_at_p", "LNKD-SSD", 3, 2, 1, 0.0, 0.999, _TABLE),
    ("t_at_p", "LNKD-SSD", 3, 2, 2, 0.0, 0.999, _TABLE),
    ("t_at_p", "LNKD-SSD", 3, 3, 1, 0.0, 0.999, _TABLE),
    ("t_at_p", "LNKD-SSD", 3, 1, 3, 0.0, 0.999, _TABLE),
    ("t_at_p", "LNKD-DISK", 3, 1, 1, 45.5, 0.999, _TABLE),
    ("t_at_p", "LNKD-DISK", 3, 1, 2, 43.3, 0.999, _TABLE),
    ("t_at_p", "LNKD-DISK", 3, 2, 1, 13.6, 0.999, _TABLE),
    ("t_at_p", "LNKD-DISK", 3, 2, 2, 0.0, 0.999, _TABLE),
    ("t_at_p", "LNKD-DISK", 3, 3, 1, 0.0, 0.999, _TABLE),
    ("t_at_p", "LNKD-DISK", 3, 1, 3, 0.0, 0.999, _TABLE),
    ("t_at_p", "YMMR", 3, 1, 1, 1364.0, 0.999, _TABLE),
    ("t_at_p", "YMMR", 3, 1, 2, 1352.0, 0.999, _TABLE),
    ("t_at_p", "YMMR", 3, 2, 1, 202.0, 0.999, _TABLE),
    ("t_at_p", "YMMR", 3, 2, 2, 0.0, 0.999, _TABLE),
    ("t_at_p", "YMMR", 3, 3, 1, 0.0, 0.999, _TABLE),
    ("t_at_p", "YMMR", 3, 1, 3, 0.0, 0.999, _TABLE),
    # Probability of a consistent read at a given time.
    ("p_at_t", "LNKD-SSD", 3, 1, 1, 0.0, 0.974, _PRODUCTION),
    ("p_at_t", "LNKD-DISK", 3, 1, 1, 0.0, 0.439, _PRODUCTION),
    ("p_at_t", "LNKD-DISK", 3, 1, 1, 10.0, 0.925, _PRODUCTION),
    ("p_at_t", "YMMR", 3, 1, 1, 0.0, 0.893, _PRODUCTION),
    ("p_at_t", "LNKD-DISK", 2, 1, 1, 0.0, 0.575, _SWEEP_N),
    ("p_at_t", "LNKD-DISK", 10, 1, 1, 0.0, 0.211, _SWEEP_N),
    ("t_at_p", "LNKD-DISK", 2, 1, 1, 45.3, 0.999, _SWEEP_N),
    ("t_at_p", "LNKD-DISK", 10, 1, 1, 53.7, 0.999, _SWEEP_N),
    ("p_at_t", _EXP_W4, 3, 1, 1, 0.0, 0.94, _SYNTHETIC),
    ("t_at_p", _EXP_W4, 3, 1, 1, 1.0, 0.999, _SYNTHETIC),
    ("p_at_t", _EXP_W01, 3, 1, 1, 0.0, 0.41, _SYNTHETIC),
    ("t_at_p", _EXP_W01, 3, 1, 1, 65.0, 0.999, _SYNTHETIC),
)


def published_results() -> pd.DataFrame:
    """Figures published by the PBS authors, for comparison with our model.

    Each row is one published number. For ``kind == "t_at_p"`` the paper
    reports ``t_ms``, the time after the commit at which the chance of a
    consistent read reaches ``p``; for ``kind == "p_at_t"`` it reports ``p``,
    the chance of a consistent read ``t_ms`` after the commit. The values are
    copied from the text and the table of the authors' CACM 2014 research
    highlight (see the module docstring); ``source`` names the place.
    Numbers the paper gives only as bounds or in plots are left out.

    ``latency`` is a preset of :data:`replnb.latency.PRESETS` or the label
    of one of the paper's synthetic exponential settings; turn it into WARS
    distributions with :func:`published_latency`.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind, latency, n, r, w, t_ms, p, source``.

    Examples
    --------
    >>> df = published_results()
    >>> row = df[(df.kind == "t_at_p") & (df.latency == "LNKD-DISK") & (df.n == 3)
    ...          & (df.r == 1) & (df.w == 1)]
    >>> float(row.t_ms.iloc[0])
    45.5
    >>> list(df.columns)
    ['kind', 'latency', 'n', 'r', 'w', 't_ms', 'p', 'source']
    """
    return pd.DataFrame(list(_PUBLISHED), columns=["kind", "latency", "n", "r", "w", "t_ms", "p", "source"])


def published_latency(label: str) -> dict[str, Distribution]:
    """The WARS distributions behind a ``latency`` label of :func:`published_results`.

    Parameters
    ----------
    label : str
        A preset name ("LNKD-SSD", "LNKD-DISK", "YMMR") or a synthetic
        label such as ``"EXP W=4 ARS=1"`` (W exponential with rate 4 per ms,
        A, R and S exponential with rate 1 per ms).

    Returns
    -------
    dict
        ``{"W": d, "A": d, "R": d, "S": d}``.

    Raises
    ------
    ValueError
        For an unknown label.

    Examples
    --------
    >>> published_latency("EXP W=4 ARS=1")["W"].mean
    0.25
    >>> sorted(published_latency("YMMR"))
    ['A', 'R', 'S', 'W']
    """
    if label in _SYNTHETIC_LATENCY:
        return dict(_SYNTHETIC_LATENCY[label])
    if label in PRESETS:
        return dict(PRESETS[label])
    raise ValueError(f"label must be one of {sorted(PRESETS) + sorted(_SYNTHETIC_LATENCY)}, got {label!r}")


def compare_published(*, trials: int = 200_000, seed: Seed = 0) -> pd.DataFrame:
    """Our Monte Carlo next to every figure of :func:`published_results`.

    For a ``t_at_p`` row, ``ours`` is :func:`t_visibility_quantile` at the
    published ``p``; for a ``p_at_t`` row it is :func:`t_visibility` at the
    published ``t_ms``. ``published`` repeats the paper's figure and
    ``difference`` is ``ours - published``.

    Parameters
    ----------
    trials : int, default 200_000
        Trials for each row (each row uses a fresh generator from ``seed``).
    seed : int, numpy.random.Generator or None, default 0
        As in :func:`t_visibility`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`published_results` plus ``published``,
        ``ours`` and ``difference``.

    Examples
    --------
    >>> df = compare_published(trials=2_000)
    >>> len(df) == len(published_results())
    True
    >>> bool(df.loc[(df.r + df.w > df.n), "ours"].eq(0).all())
    True
    """
    ours = []
    published = []
    with progress(len(_PUBLISHED), "published rows") as advance:
        for kind, label, n, r, w, t_ms, p, _source in _PUBLISHED:
            legs = published_latency(label)
            if kind == "t_at_p":
                published.append(t_ms)
                ours.append(t_visibility_quantile(n, r, w, p, latency=legs, trials=trials, seed=seed))
            else:
                published.append(p)
                ours.append(t_visibility(n, r, w, t_ms, latency=legs, trials=trials, seed=seed))
            advance()
    out = published_results().assign(published=published, ours=ours)
    return out.assign(difference=out["ours"] - out["published"])


# ---------------------------------------------------------------------------
# the authors' estimator of the window (Table 4)

#: The time grids of the authors' simulator (``Simulator.java``, option ``SWEEP``), in ms.
AUTHORS_GRIDS: Mapping[str, np.ndarray] = {
    "fine": np.round(np.arange(400) * 0.01, 10),  # option F: 0, 0.01, ..., 3.99
    "medium": np.round(np.arange(1500) * 0.1, 10),  # option M: 0, 0.1, ..., 149.9
    "long": np.arange(1, 1500, dtype=float),  # option L: 1, 2, ..., 1499
    "coarse": np.arange(200, dtype=float),  # no option: 0, 1, ..., 199
}

#: The grid behind each preset's Table 4 figures (the resolution the published windows show).
_PRESET_GRID = {"LNKD-SSD": "fine", "LNKD-DISK": "medium", "WAN": "medium", "YMMR": "long"}

#: The most trials x replicas x grid times of one ``method="fresh"`` run (a few seconds).
MAX_FRESH_CELLS = 2 * MAX_CELLS

#: The most repeated runs of :func:`published_spread`.
MAX_RUNS = 10_000

#: Trials behind the "exact" staleness curve that the binomial method draws from (None: the most allowed).
_EXACT_TRIALS = Int(1, MAX_TRIALS, none=True)

#: The most runs x grid times of :func:`published_spread` (binomial draws; about a second).
MAX_SPREAD_CELLS = 3_000_000


def _exact_trials(exact_trials: int | None, n: int) -> int:
    """``exact_trials`` checked against the budget for ``n`` replicas; ``None`` for the most allowed."""
    if exact_trials is None:
        return min(MAX_TRIALS, max(1, MAX_CELLS // n))
    return _check_trials(exact_trials, n)


@dataclass(frozen=True)
class Grid(Spec):
    """A time grid: ``None`` (the preset's grid), a name of :data:`AUTHORS_GRIDS`, or increasing times in ms.

    Examples
    --------
    >>> Grid().check("grid", "fine")[:3].tolist()
    [0.0, 0.01, 0.02]
    >>> Grid().check("grid", [2, 1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: grid must be None, one of ['coarse', 'fine', 'long', 'medium'] or ..., got [2, 1]
    """

    most: int = 10_000
    none: bool = False

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        if value is None:
            return True, None
        if isinstance(value, str):
            return (True, AUTHORS_GRIDS[value]) if value in AUTHORS_GRIDS else (False, None)
        ok, times = Times(most=self.most).accept(value, context)
        if not ok or times.ndim != 1 or times.size == 0:
            return False, None
        good = bool(np.all(np.isfinite(times)) and np.all(np.diff(times) > 0))
        return good, times

    def describe(self, context: Mapping[str, Any]) -> str:
        return (
            f"None, one of {sorted(AUTHORS_GRIDS)} or an increasing array of at most"
            f" {self.most} times in [0, inf) ms"
        )


def authors_grid(latency: Latency) -> np.ndarray:
    """The grid of times (ms) the authors swept for a preset's Table 4 window.

    LNKD-SSD: 0 to 3.99 by 0.01 (simulator option ``F``); LNKD-DISK and
    WAN: 0 to 149.9 by 0.1 (option ``M``); YMMR: 1 to 1499 by 1 (option
    ``L``, which ``sim-graphs/graphsmallps.py`` passes for YMMR). The
    committed script passes no option for the LinkedIn presets (grid 0 to
    199 by 1, ``"coarse"``), but the published windows (1.85, 45.5 ms) have
    the resolution of ``F`` and ``M``, so those are used here. Any other
    latency gets ``"medium"``.

    Examples
    --------
    >>> authors_grid("YMMR")[[0, -1]].tolist()
    [1.0, 1499.0]
    >>> float(authors_grid("LNKD-DISK")[1])
    0.1
    """
    name = _PRESET_GRID.get(latency, "medium") if isinstance(latency, str) else "medium"
    return AUTHORS_GRIDS[name]


def _first_reaching(stale_counts: np.ndarray, trials: int, p: float, grid: np.ndarray) -> np.ndarray:
    """Per row of stale counts (runs x grid), the first grid time reaching ``p`` (inf if none)."""
    reached = 1.0 - stale_counts / trials >= p
    first = np.argmax(reached, axis=-1)
    return np.where(reached.any(axis=-1), grid[first], math.inf)


def _binomial_runs(
    thresholds: np.ndarray, grid: np.ndarray, trials: int, p: float, runs: int, rng: np.random.Generator
) -> np.ndarray:
    """``runs`` draws of the authors' estimator, stale counts Binomial(trials, q(t)) independently per t.

    Each run first resamples the curve ``q`` (a bootstrap of the thresholds: a
    multinomial draw of how many fall in each gap of the grid), so that the
    spread carries the error of the finite sample behind ``q`` as well.
    """
    size = thresholds.size
    above = size - np.searchsorted(thresholds, grid, side="right")  # thresholds > each grid time
    cells = np.append(size - above[0], -np.diff(np.append(above, 0)))
    boot = rng.multinomial(size, cells / size, size=runs)[:, 1:]
    q = np.cumsum(boot[:, ::-1], axis=1)[:, ::-1] / size
    counts = rng.binomial(trials, q)
    return _first_reaching(counts, trials, p, grid)


def _fresh_run(
    n: int,
    r: int,
    w: int,
    p: float,
    latency: Latency,
    trials: int,
    grid: np.ndarray,
    rng: np.random.Generator,
) -> float:
    """One run of the authors' estimator with a fresh batch of WARS trials at every grid time."""
    if grid.size * trials * n > MAX_FRESH_CELLS:
        raise ValueError(
            f"method='fresh' draws trials x n x grid times = {grid.size * trials * n} delays per leg,"
            f" more than MAX_FRESH_CELLS ({MAX_FRESH_CELLS}); use fewer trials, a shorter grid"
            " or method='binomial'"
        )
    with progress(grid.size, "grid times") as advance:
        for t in grid:
            batch = visibility_thresholds(n, r, w, latency=latency, trials=trials, seed=rng)
            if 1.0 - np.count_nonzero(batch > t) / trials >= p:
                return float(t)
            advance()
    return math.inf


_PUBLISHED_SPECS: dict[str, Spec] = {
    **_MONTE_CARLO,
    "p": Real(0, 1, low_open=True),
    "grid": Grid(),
    "exact_trials": _EXACT_TRIALS,
}


@checked(**_PUBLISHED_SPECS, method=Choice(("binomial", "fresh")))
def t_visibility_as_published(
    n: int = 3,
    r: int = 1,
    w: int = 1,
    p: float = 0.999,
    *,
    latency: Latency = "LNKD-DISK",
    trials: int = 50_000,
    grid: str | Sequence[float] | np.ndarray | None = None,
    method: str = "binomial",
    exact_trials: int | None = None,
    seed: Seed = 0,
) -> float:
    """The window at probability ``p`` as the PBS authors estimated it for Table 4.

    The authors' simulator (``nrw_solver/src/Simulator.java``, option
    ``SWEEP``, driven by ``sim-graphs/graphsmallps.py`` with 50,000 trials)
    draws a **fresh batch** of ``trials`` WARS trials at every time ``t`` of
    a grid, and the script reports the **first** ``t`` whose estimated
    ``P(consistent at t)`` reaches ``p``. Near a flat tail an early grid time
    crosses ``p`` by chance, so this estimator runs low against the exact
    quantile (:func:`t_visibility_quantile`); see :func:`published_spread`
    for its spread. Strict quorums (``r + w > n``) give 0, as in the
    script, which does not simulate them.

    ``method="binomial"`` (the default) draws the stale count at each grid
    time as ``Binomial(trials, q(t))``, independently across times, where
    ``q(t) = 1 - P(consistent at t)`` is read off ``exact_trials`` WARS
    trials (one sorted sample, as in :func:`t_visibility`). That is the
    distribution of the fresh-batch count, up to the error of ``q``, and far
    cheaper. ``method="fresh"`` really draws ``trials`` fresh trials per
    grid time (stopping at the first crossing); it is bounded by
    :data:`MAX_FRESH_CELLS` delays per leg.

    Parameters
    ----------
    n, r, w : int
        Replicas and quorum sizes, as in :func:`t_visibility`.
    p : float, default 0.999
        Target probability, in ``(0, 1]``.
    latency : str or mapping, default "LNKD-DISK"
        As in :func:`visibility_thresholds`.
    trials : int, default 50_000
        Trials per grid time (the authors used 50,000).
    grid : None, str or array_like, default None
        Times in ms: ``None`` for :func:`authors_grid` of ``latency``, a name of
        :data:`AUTHORS_GRIDS`, or an increasing array of at most 10,000 times.
    method : {"binomial", "fresh"}, default "binomial"
    exact_trials : int or None, default None
        Trials behind ``q(t)`` for ``method="binomial"``, bounded like ``trials``
        in :func:`t_visibility`; ``None`` takes the most allowed,
        ``min(MAX_TRIALS, MAX_CELLS // n)`` (a million for ``n = 3``).
    seed : int, numpy.random.Generator or None, default 0

    Returns
    -------
    float
        The first grid time (ms) whose estimate reaches ``p``; ``inf`` if none does.

    Examples
    --------
    >>> t_visibility_as_published(3, 2, 2)
    0.0
    >>> float(t_visibility_as_published(3, 1, 1, latency="LNKD-SSD")) in AUTHORS_GRIDS["fine"]
    True
    """
    times = authors_grid(latency) if grid is None else np.asarray(grid, dtype=float)  # checked
    if r + w > n:
        return 0.0
    rng = as_rng(seed)
    if method == "fresh":
        _check_trials(trials, n)
        return _fresh_run(n, r, w, p, latency, trials, times, rng)
    thresholds = visibility_thresholds(
        n, r, w, latency=latency, trials=_exact_trials(exact_trials, n), seed=rng
    )
    return float(_binomial_runs(thresholds, times, trials, p, 1, rng)[0])


class Spread(NamedTuple):
    """The 5 %, 50 % and 95 % points (ms) of the authors' estimator over ``runs`` runs."""

    low: float
    median: float
    high: float
    runs: int


def _spread_of(values: np.ndarray) -> Spread:
    low, median, high = np.quantile(values, [0.05, 0.5, 0.95], method="inverted_cdf")
    return Spread(float(low), float(median), float(high), int(values.size))


@checked(**_PUBLISHED_SPECS, runs=Int(1, MAX_RUNS))
def published_spread(
    n: int = 3,
    r: int = 1,
    w: int = 1,
    p: float = 0.999,
    *,
    latency: Latency = "LNKD-DISK",
    trials: int = 50_000,
    grid: str | Sequence[float] | np.ndarray | None = None,
    runs: int = 200,
    exact_trials: int | None = None,
    seed: Seed = 0,
) -> Spread:
    """Sampling spread of :func:`t_visibility_as_published` over ``runs`` independent runs.

    Each run is the binomial method of :func:`t_visibility_as_published`
    (fresh stale counts at every grid time, from one staleness curve of
    ``exact_trials`` trials shared by the runs). Parameters are as there;
    ``runs`` is in ``1..MAX_RUNS`` and ``runs`` x grid times is at most
    :data:`MAX_SPREAD_CELLS`.

    Returns
    -------
    Spread
        ``(low, median, high, runs)``: the 5 %, 50 % and 95 % points in ms
        (``inf`` where runs never reach ``p`` on the grid).

    Examples
    --------
    >>> s = published_spread(3, 1, 1, latency="LNKD-SSD", runs=50)
    >>> s.low <= s.median <= s.high
    True
    >>> published_spread(3, 2, 2)
    Spread(low=0.0, median=0.0, high=0.0, runs=200)
    """
    times = authors_grid(latency) if grid is None else np.asarray(grid, dtype=float)  # checked
    if r + w > n:
        return Spread(0.0, 0.0, 0.0, runs)
    rng = as_rng(seed)
    if runs * times.size > MAX_SPREAD_CELLS:
        raise ValueError(
            f"runs x grid times must be at most MAX_SPREAD_CELLS ({MAX_SPREAD_CELLS}),"
            f" got {runs} x {times.size}"
        )
    thresholds = visibility_thresholds(
        n, r, w, latency=latency, trials=_exact_trials(exact_trials, n), seed=rng
    )
    return _spread_of(_binomial_runs(thresholds, times, trials, p, runs, rng))


def published_table(
    *, trials: int = 50_000, runs: int = 200, exact_trials: int | None = None, seed: Seed = 0
) -> pd.DataFrame:
    """Table 4 of the PBS paper (99.9 % windows, N=3) beside our exact quantile and the authors' estimator.

    One row per published window of :func:`published_results` with N=3 (the
    table of windows at p=99.9 %, Table 4 of the VLDB 2012 paper; the CACM
    figures are the same). For each row, one staleness curve of
    ``exact_trials`` WARS trials (shared by the rows of a preset) gives

    * ``exact``: the quantile of that sample (as :func:`t_visibility_quantile`),
    * ``median``, ``low``, ``high``: the median and 5-95 % range of the
      authors' estimator over ``runs`` runs (:func:`published_spread`, with
      ``trials`` per grid time on :func:`authors_grid`),
    * ``inside``: whether ``low <= published <= high``;
    * ``applies``: whether the authors' sweep produced the figure
      (``r + w <= n``; strict quorums are 0 by construction).

    With the default seed every published window lies inside its range. It
    is a sampling statement, so other seeds move the ranges: over seeds 0..9
    YMMR R=2, W=1 (published 202 ms, near the estimator's 95 % point) is
    inside 4 times in 10, LNKD-DISK R=1, W=2 9 times, the others always.

    Parameters
    ----------
    trials : int, default 50_000
        Trials per grid time of the estimator (the authors used 50,000).
    runs : int, default 200
        Runs of the estimator per row, ``1..MAX_RUNS``.
    exact_trials : int or None, default None
        Trials behind each preset's curves, ``1..MAX_TRIALS`` (``None``: a
        million); the rows of one preset share the same drawn delays.
    seed : int, numpy.random.Generator or None, default 0

    Returns
    -------
    pandas.DataFrame
        Columns ``latency, n, r, w, p, published, exact, median, low, high, inside, applies``.

    Examples
    --------
    >>> df = published_table(runs=20, exact_trials=20_000)
    >>> len(df), bool(df.loc[~df.applies, "exact"].eq(0).all())
    (18, True)
    """
    trials = _check_trials(trials, 3)
    exact_trials = _exact_trials(_EXACT_TRIALS.check("exact_trials", exact_trials), 3)
    runs = Int(1, MAX_RUNS).check("runs", runs)
    rng = as_rng(seed)
    table = [row for row in _PUBLISHED if row[0] == "t_at_p" and row[2] == 3 and row[1] in _PRESET_GRID]
    labels = list(dict.fromkeys(row[1] for row in table))
    with progress(len(labels) + len(table), "Table 4") as advance:
        curves = {}
        for label in labels:
            quorums = [(r, w) for _, lab, n, r, w, *_ in table if lab == label and r + w <= n]
            curves[label] = _sorted_thresholds(label, published_latency(label), 3, quorums, exact_trials, rng)
            advance()
        rows = []
        for _kind, label, n, r, w, t_ms, p, _source in table:
            row = {"latency": label, "n": n, "r": r, "w": w, "p": p, "published": t_ms, "exact": 0.0}
            spread = Spread(0.0, 0.0, 0.0, runs)
            if r + w <= n:  # strict quorums are exactly 0 in the model and in the authors' script
                thresholds = curves[label][(r, w)]
                row["exact"] = _quantile_of(thresholds, p)
                spread = _spread_of(_binomial_runs(thresholds, authors_grid(label), trials, p, runs, rng))
            rows.append({**row, **spread._asdict(), "applies": r + w <= n})
            advance()
    out = pd.DataFrame(rows)[
        ["latency", "n", "r", "w", "p", "published", "exact", "median", "low", "high", "applies"]
    ]
    inside = (out["low"] <= out["published"]) & (out["published"] <= out["high"])
    out.insert(out.columns.get_loc("high") + 1, "inside", inside)
    return out
