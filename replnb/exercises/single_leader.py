"""The exercise of single leader (chapter 1)."""

from __future__ import annotations

from .. import single_leader
from ..single_leader import MODES, READ_FROM
from .feedback import Feedback

__all__ = ["SINGLE_LEADER_EXERCISE", "check_single_leader"]


#: The scenario of :func:`check_single_leader`: three followers, a slow-ish
#: network, a read-heavy workload, and a leader crash at 300 ms.
SINGLE_LEADER_EXERCISE = {
    "followers": 3,
    "replication_delay": 50.0,
    "failover_at": 300.0,
    "duration": 500.0,
    "write_fraction": 0.1,
    "think_time": 20.0,
    "ryw_window": 150.0,
}


def _single_leader_runs(mode: str, read_from: str, seeds: range) -> dict[str, float]:

    params: dict = dict(SINGLE_LEADER_EXERCISE)
    runs = [single_leader.simulate(mode=mode, read_from=read_from, seed=s, **params) for s in seeds]
    return {
        "lost_writes": sum(int(r.metrics["lost_writes"]) for r in runs),
        "ryw_violations": sum(int(r.metrics["ryw_violations"]) for r in runs),
        "follower_reads": min(float(r.metrics["follower_read_fraction"]) for r in runs),
        "p50": sum(float(r.metrics["write_latency_p50_ms"]) for r in runs) / len(runs),
    }


def check_single_leader(mode: str, read_from: str, *, seeds: int = 6) -> Feedback:
    """Check a choice of replication ``mode`` and ``read_from`` against four goals.

    The scenario is :data:`SINGLE_LEADER_EXERCISE`, run with ``seeds``
    seeds: the leader crashes, and a follower takes over. The goals:

    1. no acknowledged write is lost when the leader crashes;
    2. at least half of the reads are served by followers (in every run);
    3. no client ever misses its own acknowledged write;
    4. writes are as fast as goals 1–3 allow (lowest median write latency).

    Each goal is checked by simulating the learner's choice (and, for goal
    4, the other modes with the same read routing).

    Parameters
    ----------
    mode : {"sync", "semi-sync", "async"}
    read_from : {"leader", "any", "sticky", "read-your-writes"}
    seeds : int
        How many runs (seeds ``0 .. seeds-1``), 1..20.

    Examples
    --------
    >>> bool(check_single_leader("async", "leader"))
    False
    >>> print(check_single_leader("sync", "leader").hint)
    Where do the reads go? Followers can answer reads too.
    """

    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if read_from not in READ_FROM:
        raise ValueError(f"read_from must be one of {list(READ_FROM)}, got {read_from!r}")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 20:
        raise ValueError(f"seeds must be an integer in 1..20, got {seeds!r}")
    runs = range(seeds)
    got = _single_leader_runs(mode, read_from, runs)
    if got["lost_writes"]:
        return Feedback(
            False,
            f"Goal 1 fails: over {seeds} failovers, {got['lost_writes']} acknowledged writes never "
            "reached the new leader: they are lost.",
            hint="When does the leader answer the client? What if it crashes right after answering?",
        )
    if got["follower_reads"] < 0.5:
        return Feedback(
            False,
            f"Goal 2 fails: in the worst run {got['follower_reads']:.0%} of the reads went to a follower "
            "(at least 50% needed).",
            hint="Where do the reads go? Followers can answer reads too.",
        )
    if got["ryw_violations"]:
        return Feedback(
            False,
            f"Goal 3 fails: {got['ryw_violations']} reads missed the reader's own acknowledged write.",
            hint="Which routing sends a client to an up-to-date copy right after it wrote?",
        )
    faster = []
    for other in MODES:
        if other != mode:
            alt = _single_leader_runs(other, read_from, runs)
            ok = not (alt["lost_writes"] or alt["ryw_violations"])
            if ok and alt["follower_reads"] >= 0.5 and alt["p50"] < got["p50"]:
                faster.append((alt["p50"], other))
    if faster:
        p50, other = min(faster)
        return Feedback(
            False,
            f"Goals 1–3 hold, but writes are slower than they need to be: median write latency "
            f"{got['p50']:.0f} ms, while another mode keeps goals 1–3 at {p50:.0f} ms.",
            hint="How many followers must hold a write before it is safe from one leader crash?",
        )
    return Feedback(
        True,
        f"mode={mode!r}, read_from={read_from!r}: no acknowledged write lost in {seeds} failovers, "
        f"{got['follower_reads']:.0%} or more of the reads on followers, no read missed its own write, "
        f"median write latency {got['p50']:.0f} ms. The synchronous follower holds every acknowledged "
        "write, and the most up-to-date follower is promoted, so a crash loses nothing.",
    )
