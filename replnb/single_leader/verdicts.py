"""The verdicts and metrics of a single-leader run: lost writes, stale reads, lag, latency.

The verdicts come from :mod:`replnb.metrics`, the course's one definition
of each; this module adds them to ``run.ops`` as columns and counts them,
with the other figures of ``run.metrics``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics as m
from ..records import Run

__all__ = ["METRICS", "add_verdicts", "annotate"]

#: The metrics of a run, in the order of ``run.metrics``.
METRICS = (
    "writes",
    "writes_acked",
    "writes_failed",
    "reads",
    "reads_failed",
    "lost_writes",
    "acked_missing",
    "split_brain_writes",
    "stale_reads",
    "ryw_violations",
    "monotonic_violations",
    "follower_read_fraction",
    "lag_mean_ms",
    "lag_max_ms",
    "write_latency_p50_ms",
    "write_latency_p99_ms",
    "convergence_ms",
    "write_unavailable_ms",
)

_CORE = ["op_id", "client", "kind", "key", "start", "end", "ok", "version"]


def annotate(
    run: Run,
    survivors: Mapping[Hashable, Hashable | None],
    leader_log: set[int],
    live: list[str],
    last_fault_end: float,
) -> dict[str, Any]:
    """Add the verdict columns to ``run.ops`` and compute the metrics.

    The verdicts come from :mod:`replnb.metrics` (one definition everywhere);
    the counting is done on the plain records, which is much faster than
    pandas for a few hundred operations.

    Parameters
    ----------
    run : Run
        A run whose ``extras["lag"]`` holds the replication lag.
    survivors : mapping
        Key to the op id of the write that survives on the final leader.
    leader_log : set of int
        The op ids in the final leader's log.
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
    >>> sorted(annotate(run, {}, set(), list(run.nodes), 0.0)) == sorted(METRICS[:-1])
    True
    """
    counts = add_verdicts(run, survivors)
    records = run.recorder.ops
    writes = [r for r in records if r["kind"] == "write"]
    reads = [r for r in records if r["kind"] == "read"]
    acked = [r for r in writes if r["ok"]]
    ok_reads = [r for r in reads if r["ok"]]
    latency = [r["end"] - r["start"] for r in acked]
    lag = run.extras["lag"]["lag_ms"]
    since = max(max((r["end"] for r in acked), default=0.0), last_fault_end)
    return {
        "writes": len(writes),
        "writes_acked": len(acked),
        "writes_failed": len(writes) - len(acked),
        "reads": len(reads),
        "reads_failed": len(reads) - len(ok_reads),
        "lost_writes": counts["lost"],
        "acked_missing": sum(r["op_id"] not in leader_log for r in acked),
        "split_brain_writes": sum(bool(r["split_brain"]) for r in acked),
        "stale_reads": counts["stale"],
        "ryw_violations": counts["ryw_violation"],
        "monotonic_violations": counts["monotonic_violation"],
        "follower_read_fraction": (
            sum(r["role"] == "follower" for r in ok_reads) / len(ok_reads) if ok_reads else math.nan
        ),
        "lag_mean_ms": float(lag.mean()) if len(lag) else math.nan,
        "lag_max_ms": float(lag.max()) if len(lag) else math.nan,
        "write_latency_p50_ms": m.percentile(latency, 50),
        "write_latency_p99_ms": m.percentile(latency, 99),
        "convergence_ms": m.convergence_time(run.versions, run.final_state, live, since),
    }


def add_verdicts(run: Run, survivors: Mapping[Hashable, Hashable | None]) -> dict[str, int]:
    """Give ``run.ops`` its verdict columns (``lost``, ``stale``, ...); the count of each.

    Examples
    --------
    >>> from replnb.single_leader import simulate
    >>> run = simulate(duration=100, seed=0)
    >>> sorted(add_verdicts(run, {}))
    ['lost', 'monotonic_violation', 'ryw_violation', 'stale']
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
    counts = {}
    for column, series in [
        ("lost", m.lost_writes(core, survivors)),
        ("stale", m.stale_reads(core)),
        ("ryw_violation", m.ryw_violations(core)),
        ("monotonic_violation", m.monotonic_violations(core)),
    ]:
        flags = np.zeros(len(ops), dtype=bool)
        flags[series.index.to_numpy(dtype=int)] = series.to_numpy(dtype=bool)
        ops[column] = flags
        counts[column] = int(flags.sum())
    return counts
