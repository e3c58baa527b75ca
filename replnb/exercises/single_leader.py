"""The exercise of single leader (chapter 1)."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

from .. import single_leader
from ..params import Choice, Int, checked
from ..single_leader import MODES, READ_FROM
from .feedback import Feedback

__all__ = ["SINGLE_LEADER_EXERCISE", "SINGLE_LEADER_SCENARIOS", "check_single_leader"]


#: The stated scenario of :func:`check_single_leader`: three followers, a slow-ish
#: network, a read-heavy workload, and a leader crash at 300 ms.
SINGLE_LEADER_EXERCISE: dict[str, Any] = {
    "followers": 3,
    "replication_delay": 50.0,
    "failover_at": 300.0,
    "duration": 500.0,
    "keys": 3,
    "write_fraction": 0.2,
    "think_time": 20.0,
    "ryw_window": 120.0,
}


def _read_back() -> list[dict[str, Any]]:
    """Each client updates its own profile every 100 ms and reads it back 70 ms after starting the write."""
    script = []
    for k in range(5):
        for client, key in (("c1", "x"), ("c2", "y"), ("c3", "z")):
            t = 100.0 * k + 7.0 * int(client[1])
            script.append(dict(time=t, client=client, kind="write", key=key))
            script.append(dict(time=t + 70.0, client=client, kind="read", key=key))
    return script


#: Every scenario the checker runs (each with several seeds): the stated one, a follower in
#: a remote region with clients reading back their own updates, and an early crash on a
#: slower network with two followers.
SINGLE_LEADER_SCENARIOS: dict[str, dict[str, Any]] = {
    "stated": SINGLE_LEADER_EXERCISE,
    "remote follower": {
        "followers": 3,
        "replication_delay": 30.0,
        "failover_at": 250.0,
        "duration": 500.0,
        "regions": {"D": "far"},
        "far_latency": 60.0,
        "ryw_window": 120.0,
        "ops": _read_back(),
    },
    "early crash": dict(SINGLE_LEADER_EXERCISE, followers=2, replication_delay=80.0, failover_at=150.0),
}


def _runs(mode: str, read_from: str, seeds: int) -> Iterator[tuple[str, int, Any]]:
    for name, params in SINGLE_LEADER_SCENARIOS.items():
        for seed in range(seeds):
            yield (
                name,
                seed,
                single_leader.simulate(mode=mode, read_from=read_from, seed=seed, **params).metrics,
            )


@functools.lru_cache(maxsize=64)
def _goals(mode: str, read_from: str, seeds: int) -> dict[str, Any]:
    """The figures of goals 1–4 over every scenario and seed; the first failure of goals 1 and 3."""
    got: dict[str, Any] = {"lost": None, "ryw": None, "reads": 0, "on_followers": 0.0, "p50": []}
    for name, seed, m in _runs(mode, read_from, seeds):
        if got["lost"] is None and m["lost_writes"]:
            got["lost"] = (name, seed, int(m["lost_writes"]))
        if got["ryw"] is None and m["ryw_violations"]:
            got["ryw"] = (name, seed, int(m["ryw_violations"]))
        ok_reads = int(m["reads"]) - int(m["reads_failed"])
        got["reads"] += ok_reads
        got["on_followers"] += float(m["follower_read_fraction"]) * ok_reads if ok_reads else 0.0
        if math.isfinite(float(m["write_latency_p50_ms"])):
            got["p50"].append(float(m["write_latency_p50_ms"]))
    got["follower_share"] = got["on_followers"] / got["reads"] if got["reads"] else 0.0
    got["p50"] = sum(got["p50"]) / len(got["p50"]) if got["p50"] else math.inf
    return got


def _meets_1_to_3(got: dict[str, Any]) -> bool:
    return got["lost"] is None and got["ryw"] is None and got["follower_share"] >= 0.5


def _faster(mode: str, p50: float, seeds: int) -> tuple[float, str] | None:
    """A faster mode that meets goals 1–3 with some routing, if there is one."""
    best = None
    for other in MODES:
        if other == mode or _goals(other, "leader", seeds)["p50"] >= p50:
            continue
        for routing in READ_FROM:
            alt = _goals(other, routing, seeds)
            if _meets_1_to_3(alt) and alt["p50"] < p50 and (best is None or alt["p50"] < best[0]):
                best = (alt["p50"], other)
    return best


def _plural(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


@checked(mode=Choice(MODES), read_from=Choice(READ_FROM), seeds=Int(1, 3))
def check_single_leader(mode: str, read_from: str, *, seeds: int = 2) -> Feedback:
    """Check a choice of replication ``mode`` and ``read_from`` against four goals.

    The choice is simulated in every scenario of :data:`SINGLE_LEADER_SCENARIOS`
    (the stated one, :data:`SINGLE_LEADER_EXERCISE`, and two more: other
    delays, another crash time, a follower in a remote region), each with
    ``seeds`` seeds; in each the leader crashes and a follower takes over.
    The goals:

    1. no acknowledged write is lost when the leader crashes;
    2. at least half of the reads are served by followers;
    3. no client ever misses its own acknowledged write;
    4. writes are as fast as goals 1–3 allow (lowest mean median write
       latency among the modes that meet goals 1–3 with some routing).

    Parameters
    ----------
    mode : {"sync", "semi-sync", "async"}
    read_from : {"leader", "any", "sticky", "read-your-writes"}
    seeds : int
        Runs per scenario (seeds ``0 .. seeds-1``), 1..3 (the check takes a few seconds at most).

    Examples
    --------
    >>> bool(check_single_leader("async", "leader"))
    False
    >>> print(check_single_leader("sync", "leader").hint)
    Where do the reads go? Followers can answer reads too.
    """
    got = _goals(mode, read_from, seeds)
    runs = len(SINGLE_LEADER_SCENARIOS) * seeds
    if got["lost"] is not None:
        name, seed, n = got["lost"]
        return Feedback(
            False,
            f"Goal 1 fails: in scenario {name!r} (seed {seed}), {_plural(n, 'acknowledged write')} never "
            "reached the new leader: lost.",
            hint="When does the leader answer the client? What if it crashes right after answering?",
        )
    if got["follower_share"] < 0.5:
        return Feedback(
            False,
            f"Goal 2 fails: over {runs} runs, {got['follower_share']:.0%} of the reads went to a follower "
            "(at least 50% needed).",
            hint="Where do the reads go? Followers can answer reads too.",
        )
    if got["ryw"] is not None:
        name, seed, n = got["ryw"]
        return Feedback(
            False,
            f"Goal 3 fails: in scenario {name!r} (seed {seed}), {_plural(n, 'read')} missed the reader's "
            "own acknowledged write.",
            hint="Once the leader has acknowledged a write, which copies are sure to hold it, and for how "
            "long can the others still be behind?",
        )
    faster = _faster(mode, got["p50"], seeds)
    if faster is not None:
        p50 = faster[0]
        return Feedback(
            False,
            f"Goals 1–3 hold, but writes are slower than they need to be: mean median write latency "
            f"{got['p50']:.0f} ms, while another mode keeps goals 1–3 at {p50:.0f} ms.",
            hint="How many followers must hold a write before it is safe from one leader crash?",
        )
    return Feedback(
        True,
        f"mode={mode!r}, read_from={read_from!r}: in {runs} runs over {len(SINGLE_LEADER_SCENARIOS)} "
        f"scenarios, no acknowledged write lost, {got['follower_share']:.0%} of the reads on followers, "
        f"no read missed its own write, mean median write latency {got['p50']:.0f} ms. The synchronous "
        "follower holds every acknowledged write and the most up-to-date follower is promoted, so a crash "
        "loses nothing; right after its own write a client reads from the leader, and afterwards the "
        "followers have caught up.",
    )
