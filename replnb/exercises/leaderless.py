"""The exercise of leaderless quorums (chapter 4)."""

from __future__ import annotations

import functools
from typing import Any

from ..leaderless import home_replicas, simulate
from .feedback import Feedback

__all__ = ["GOALS", "check_quorum_goal"]


#: The goals of :func:`check_quorum_goal`.
GOALS = ("strict", "cheapest strict", "strict with one node down")

#: The workload every goal is simulated with: N nodes holding two keys, concurrent reads, no repair.
_WORKLOAD: dict[str, Any] = dict(keys=2, write_rate=100.0, read_rate=400.0, duration=1000.0,
                                 read_repair=False, latency="LNKD-DISK", seed=0)  # fmt: skip


@functools.lru_cache(maxsize=64)
def _simulated(n: int, r: int, w: int, down: bool) -> tuple[int, int, float, float, float]:
    """Stale reads, completed reads, availability of writes and reads, median write + read latency."""
    crashes = [(home_replicas("k0", n, n)[0], 0.0, None)] if down else []
    m = simulate(n=n, nodes=n, r=r, w=w, crashes=crashes, **_WORKLOAD).metrics
    latency = float(m["write_latency_median"] + m["read_latency_median"])
    reads = round(m["reads"] * m["read_availability"])
    return (
        int(m["stale_reads"]),
        reads,
        float(m["write_availability"]),
        float(m["read_availability"]),
        latency,
    )


def _strict_latencies(n: int) -> dict[tuple[int, int], float]:
    """The simulated latency of every choice whose simulated reads are never stale."""
    out = {}
    for r in range(1, n + 1):
        for w in range(n + 1 - r, n + 1):  # R + W > N: the candidates; the simulation decides
            stale, _, _, _, latency = _simulated(n, r, w, False)
            if stale == 0:
                out[(r, w)] = latency
    return out


def _bad_size(name: str, value: object, n: int) -> Feedback | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= n:
        return Feedback(
            False,
            f"{name.upper()} must be a whole number of replicas between 1 and N = {n}, got {value!r}.",
            hint="A quorum is a number of replicas: at least one, at most all of them.",
        )
    return None


def check_quorum_goal(goal: str, r: int, w: int, *, n: int = 5) -> Feedback:
    """Simulate a choice of R and W on N replicas and say whether it meets ``goal``.

    The run: ``n`` nodes holding two keys, 100 writes and 400 reads per
    second for a second (reads concurrent with writes), LinkedIn's disk
    latencies, no read repair; for the last goal the same run with the first
    home replica of ``k0`` down throughout. The verdict comes from the run;
    the message adds the arithmetic that explains it.

    Goals
    -----
    ``"strict"``
        No read returns an older value than the last write acknowledged
        before it began.
    ``"cheapest strict"``
        Strict, with the lowest median write latency plus median read latency
        of all strict choices (within 5 %).
    ``"strict with one node down"``
        Strict, and with one node down every write and every read still
        succeeds, none of them stale.

    Examples
    --------
    >>> bool(check_quorum_goal("strict", 3, 3))
    True
    >>> check_quorum_goal("strict", 2, 3).message.split(":")[0]
    'R = 2, W = 3 read stale in the simulation'
    >>> bool(check_quorum_goal("strict with one node down", 5, 1))
    False
    """
    if goal not in GOALS:
        return Feedback(
            False, f"goal must be one of {list(GOALS)}, got {goal!r}.", hint="Copy a goal's name."
        )
    if not isinstance(n, int) or isinstance(n, bool) or not 2 <= n <= 7:
        return Feedback(False, f"n must be a whole number in 2..7, got {n!r}.")
    for name, value in (("r", r), ("w", w)):
        bad = _bad_size(name, value, n)  # a Feedback is falsy: test for None, not truth
        if bad is not None:
            return bad
    stale, reads, _, _, latency = _simulated(n, r, w, False)
    if stale:
        return Feedback(
            False,
            f"R = {r}, W = {w} read stale in the simulation: {stale} of {reads} reads returned an older "
            f"value than the last acknowledged write. R + W = {r + w} is not more than N = {n}, so a read's "
            "replicas can all lack the newest write.",
            hint="Every read quorum must share at least one replica with every write quorum.",
        )
    if goal == "strict":
        return Feedback(
            True,
            f"R = {r}, W = {w}: none of {reads} simulated reads was stale. R + W = {r + w} > N = {n}: every "
            "read quorum overlaps every write quorum.",
        )
    if goal == "cheapest strict":
        return _cheapest(n, r, w, latency)
    return _one_down(n, r, w)


def _cheapest(n: int, r: int, w: int, latency: float) -> Feedback:
    costs = _strict_latencies(n)
    best = min(costs.values())
    if latency <= best * 1.05:
        return Feedback(
            True,
            f"R = {r}, W = {w}: median write + read latency {latency:.1f} ms, the lowest of the strict "
            f"choices. A write waits for W = {w} copies (the coordinator's own needs no message), a read "
            f"for R = {r} replies; on these latencies a replica's disk write is slow and its answer to a "
            "read fast.",
        )
    return Feedback(
        False,
        f"R = {r}, W = {w} is strict, but its median write + read latency is {latency:.1f} ms; another "
        f"strict choice takes {best:.1f} ms.",
        hint="Which is slower here, a replica's write to disk or its answer to a read? Make the slow "
        "operation wait for as few replicas as strictness allows.",
    )


def _one_down(n: int, r: int, w: int) -> Feedback:
    stale, _, write_ok, read_ok, _ = _simulated(n, r, w, True)
    if write_ok == 1.0 and read_ok == 1.0 and not stale:
        return Feedback(
            True,
            f"R = {r}, W = {w}: with one node down every write and read succeeded and no read was stale. "
            f"R + W = {r + w} > N = {n}, and R and W are at most the {n - 1} nodes left.",
        )
    failed = [
        f"{100 * (1 - ok):.0f} % of the {kind}s failed"
        for kind, ok in (("write", write_ok), ("read", read_ok))
        if ok < 1
    ]
    return Feedback(
        False,
        f"R = {r}, W = {w} with one node down: {' and '.join(failed) or f'{stale} reads were stale'}. "
        f"Only {n - 1} nodes can answer.",
        hint="Strictness needs R + W > N; availability needs enough live nodes to make up each quorum.",
    )
