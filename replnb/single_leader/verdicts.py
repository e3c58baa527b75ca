"""The verdicts and metrics of a single-leader run: lost writes, stale reads, lag, latency.

The verdicts come from :mod:`replnb.metrics`, the course's one definition
of each, applied to the causal record of the run: every write the leader
accepted has its place in a leader's log (its ``dot`` and ``vv``, see
:func:`replnb.metrics.log_stamps`), every read names the write it returned.
The final state of a key is its last entry in the final leader's log; the
acknowledged writes that log never had are lost, with cause ``failover``,
whatever is written after them. This module adds the verdicts to
``run.ops`` as columns and counts them, with the other figures of
``run.metrics``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping
from typing import Any

import pandas as pd

from .. import metrics as m
from ..records import Run

__all__ = ["METRICS", "VERDICTS", "add_verdicts", "annotate"]

#: The metrics of a run, in the order of ``run.metrics``.
METRICS = (
    "writes",
    "writes_acked",
    "writes_failed",
    "reads",
    "reads_failed",
    "lost_writes",
    "lost_failover",
    "lost_older_write_won",
    "lost_concurrent",
    "split_brain_writes",
    "stale_reads",
    "ryw_violations",
    "monotonic_violations",
    "conflicts",
    "follower_read_fraction",
    "lag_mean_ms",
    "lag_max_ms",
    "write_latency_p50_ms",
    "write_latency_p99_ms",
    "convergence_time",
    "write_unavailable_ms",
)

#: The verdict columns that :func:`add_verdicts` gives ``run.ops``.
VERDICTS = ("lost", "lost_cause", "stale", "ryw_violation", "monotonic_violation")

_LOST = ("lost_writes", "lost_failover", "lost_older_write_won", "lost_concurrent")
_READS_AND_CONFLICTS = ("stale_reads", "ryw_violations", "monotonic_violations", "conflicts")
_CORE = ["op_id", "client", "kind", "key", "start", "end", "ok", "dot", "vv", "returned"]


def annotate(
    run: Run,
    final: Mapping[Hashable, tuple[Hashable, ...]],
    discarded: Collection[Hashable],
    live: list[str],
    last_fault_end: float,
) -> dict[str, Any]:
    """Add the verdict columns to ``run.ops`` and compute the metrics.

    Parameters
    ----------
    run : Run
        A run whose ``extras["lag"]`` holds the replication lag, and whose
        ``ops`` and ``versions`` carry the causal record (``dot``, ``vv``,
        ``returned``, ``held``).
    final : mapping
        Key to the op ids surviving in the final state: the last entry of
        the key in the final leader's log.
    discarded : collection
        The op ids of the writes a leader accepted that the final leader's
        log does not hold (lost in a failover, accepted by a deposed leader,
        or rolled back).
    live : list of str
        The replicas up at the end.
    last_fault_end : float
        When the last fault healed (ms).

    Returns
    -------
    dict
        The metrics named in :data:`METRICS`, but ``write_unavailable_ms``.

    Examples
    --------
    >>> from replnb.single_leader import simulate
    >>> run = simulate(duration=100, seed=0)
    >>> figures = annotate(run, run.extras["final"], run.extras["discarded"], list(run.nodes), 0.0)
    >>> sorted(figures) == sorted(METRICS[:-1])
    True
    """
    figures = add_verdicts(run, final, discarded)
    records = run.recorder.ops
    writes = [r for r in records if r["kind"] == "write"]
    reads = [r for r in records if r["kind"] == "read"]
    acked = [r for r in writes if r["ok"]]
    ok_reads = [r for r in reads if r["ok"]]
    latency = [r["end"] - r["start"] for r in acked]
    lag = run.extras["lag"]["lag_ms"]
    last_ack = max((r["end"] for r in acked), default=math.nan)
    return {
        "writes": len(writes),
        "writes_acked": len(acked),
        "writes_failed": len(writes) - len(acked),
        "reads": len(reads),
        "reads_failed": len(reads) - len(ok_reads),
        **{k: figures[k] for k in _LOST},
        "split_brain_writes": sum(bool(r["split_brain"]) for r in acked),
        **{k: figures[k] for k in _READS_AND_CONFLICTS},
        "follower_read_fraction": (
            sum(r["role"] == "follower" for r in ok_reads) / len(ok_reads) if ok_reads else math.nan
        ),
        "lag_mean_ms": float(lag.mean()) if len(lag) else math.nan,
        "lag_max_ms": float(lag.max()) if len(lag) else math.nan,
        "write_latency_p50_ms": m.percentile(latency, 50),
        "write_latency_p99_ms": m.percentile(latency, 99),
        "convergence_time": m.convergence_time_by_identity(run.versions, live, last_ack, last_fault_end),
    }


def add_verdicts(
    run: Run, final: Mapping[Hashable, tuple[Hashable, ...]], discarded: Collection[Hashable] = ()
) -> dict[str, int]:
    """Give ``run.ops`` its verdict columns (:data:`VERDICTS`); the standard figures.

    The figures are those of :func:`replnb.metrics.causal_figures`.

    Examples
    --------
    >>> from replnb.single_leader import simulate
    >>> run = simulate(duration=100, seed=0)
    >>> add_verdicts(run, run.extras["final"])["lost_writes"]
    0
    """
    ops = run.ops
    ops["ok"] = ops["ok"].astype(bool)
    # Values as written (ints stay ints, a read of a missing key is None), not float/NaN.
    ops["value"] = pd.Series([r["value"] for r in run.recorder.ops], index=ops.index, dtype=object)
    versions = run.versions
    versions["value"] = pd.Series(
        [r["value"] for r in run.recorder.versions], index=versions.index, dtype=object
    )
    core = ops[_CORE]  # the metric functions filter rows: a narrow frame is cheaper to copy
    verdicts = m.causal_verdicts(core, final, discarded)
    causes = [c if isinstance(c, str) else None for c in verdicts["lost_cause"]]
    for column in VERDICTS:
        if column == "lost_cause":  # None, not NaN, when not lost
            ops[column] = pd.Series(causes, index=ops.index, dtype=object)
        else:
            ops[column] = verdicts[column].to_numpy(dtype=bool)
    return m.causal_figures(core, verdicts)
