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
from typing import Any, overload

import numpy as np
import pandas as pd

from .engine.latency import PRESETS, Distribution, exponential
from .engine.rng import Seed, as_rng
from .params import Int, Real, Spec, checked

__all__ = [
    "MAX_CELLS",
    "MAX_REPLICAS",
    "MAX_TIMES",
    "MAX_TRIALS",
    "Legs",
    "Times",
    "WAN_DELAY_MS",
    "compare_published",
    "k_staleness",
    "published_latency",
    "published_results",
    "stale_read_probability",
    "t_visibility",
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
    >>> Legs(single=True).legs(2.0)["W"].mean
    2.0
    >>> Legs().check("latency", 2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: latency must be a preset name in ['LNKD-DISK', 'LNKD-SSD', 'WAN', 'YMMR'] or a mapping ..., got 2.0
    """

    single: bool = False
    #: The mean delay a number may give (``single=True`` only).
    mean: Real = _MEAN
    none: bool = False

    def legs(self, value: Any) -> dict[str, Distribution] | None:
        """The four distributions that ``value`` stands for, or ``None`` if it is not allowed.

        For ``"WAN"`` these are the LNKD-DISK legs; the 75 ms to remote
        replicas is added by :func:`visibility_thresholds` (see :data:`WAN_DELAY_MS`).
        """
        if isinstance(value, str):
            if value == "WAN":
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
        presets = f"a preset name in {_PRESET_NAMES}"
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
_LATENCY = Legs()
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


def _block_thresholds(
    rng: np.random.Generator, legs: Mapping[str, Distribution], m: int, n: int, r: int, w: int, remote: float = 0.0
) -> np.ndarray:
    wd = legs["W"].sample(rng, (m, n))
    ad = legs["A"].sample(rng, (m, n))
    rd = legs["R"].sample(rng, (m, n))
    sd = legs["S"].sample(rng, (m, n))
    if remote:
        # Every replica in its own data centre; the writer and the reader each sit in one
        # chosen uniformly at random (independently), and every message to or from the
        # other data centres takes ``remote`` ms longer.
        cols = np.arange(n)
        far_w = (cols != rng.integers(0, n, size=(m, 1))) * remote
        far_r = (cols != rng.integers(0, n, size=(m, 1))) * remote
        wd, ad, rd, sd = wd + far_w, ad + far_w, rd + far_r, sd + far_r
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
    remote = WAN_DELAY_MS if isinstance(latency, str) and latency == "WAN" else 0.0
    rng = as_rng(seed)
    block = max(1, _BLOCK_CELLS // n)
    parts = []
    done = 0
    while done < trials:
        m = min(block, trials - done)
        parts.append(_block_thresholds(rng, legs, m, n, r, w, remote))
        done += m
    out = parts[0] if len(parts) == 1 else np.concatenate(parts)
    out.sort()
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
        "LNKD-DISK", "YMMR"), "WAN" (see :func:`visibility_thresholds`) or a mapping ``{"W": d, "A": d, "R": d, "S": d}``
        of :class:`replnb.latency.Distribution`.
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
    thresholds = visibility_thresholds(n, r, w, latency=latency, trials=trials, seed=seed)
    probs = np.searchsorted(thresholds, times, side="right") / thresholds.size
    if times.ndim == 0:
        return float(probs)
    return probs


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
    for kind, label, n, r, w, t_ms, p, _source in _PUBLISHED:
        legs = published_latency(label)
        if kind == "t_at_p":
            published.append(t_ms)
            ours.append(t_visibility_quantile(n, r, w, p, latency=legs, trials=trials, seed=seed))
        else:
            published.append(p)
            ours.append(t_visibility(n, r, w, t_ms, latency=legs, trials=trials, seed=seed))
    out = published_results().assign(published=published, ours=ours)
    return out.assign(difference=out["ours"] - out["published"])
