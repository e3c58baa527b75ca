"""Chapter 5: one workload, the same faults, every replication scheme side by side.

:func:`make_workload` draws a workload once from a seed: clients, keys,
operation times and written values (every write writes a value of its own,
so a value found in a replica names the write that put it there). Each
client lives next to one node, its *home* (client ``c1`` next to ``A``,
``c2`` next to ``B``, ...). :func:`run_scheme` replays that workload through
one scheme of :data:`SCHEMES` under one set of :class:`Faults`, placed as a
:class:`Layout` says, and :func:`compare` does it for every scheme and
returns a table with one row per scheme.

**The same faults for every scheme.** :class:`Faults` holds the vocabulary
that all three models take with the same meaning: ``crashes`` (a node stops
and comes back), ``partitions`` (groups that cannot reach each other, then
heal), ``link_failures`` (a link cut both ways, then repaired) and
``clock_skew``. Every scheme receives every fault; the only exception is
clock skew under a single leader, whose log orders the writes
(:data:`NOT_APPLICABLE`). :func:`fault_record` reads from a run's own
records (its events, its clock offsets) whether the model received each
fault, and :func:`coverage` tabulates it for every scheme: no fault is
dropped silently.

**Leaderless union.** ``"leaderless union"`` is the partial quorum
(``R = W = 1``) of a store that keeps siblings (``merge="siblings"`` of
:func:`replnb.leaderless.simulate`), as Dynamo's shopping cart does:
concurrent writes of a key stay side by side until a client reads them and
writes its merge, so its figures, like multi-leader union's, do not depend
on the clocks (it still receives the skew, which moves only its
timestamps).

**Geography.** :class:`Layout` puts the nodes in regions (by default three,
one replica each) with the clients in their home node's region; a message
between regions takes ``far_latency`` ms more, for node-to-node traffic and
for a client's request and reply. A single leader's remote clients pay the
round trip to the leader; multi-leader clients write to the leader of their
region; leaderless clients go to a coordinator of their region, which stores
its own copy without a message (so ``W = 1`` acknowledges after the local
write).

The columns mean exactly the same for every scheme because none of them is
judged here: whether a write was lost (and why), whether a read was stale
and when the replicas converged is each model's own verdict, by the causal
definitions of :mod:`replnb.metrics` (DESIGN.md, "Metric definitions";
physical time never decides concurrency). One adapter,
:func:`model_figures`, reads them from a run:

``lost_writes``
    acknowledged writes that the converged final state does not include,
    neither as a surviving version nor in the causal past of one; the
    models also report each loss's cause (``lost_failover``,
    ``lost_older_write_won``, ``lost_concurrent``: :func:`model_table`).
    For the union merge, an acknowledged item missing from the final set.
``stale_reads``
    reads that miss a write acknowledged before they began that is not lost.
``write_availability``
    acknowledged writes / writes attempted.
``write_latency_ms``, ``write_latency_p99_ms``, ``read_latency_ms``
    the median and the 99th percentile of the acknowledged writes' latency
    and the median of the answered reads' (:func:`~replnb.metrics.percentile`),
    from the moment the client sent its request to its answer: the client's
    round trip to the node is included.
``convergence_time_ms``
    the model's ``convergence_time``: from the later of the last
    acknowledged write and the end of the last fault until every live
    replica holds the same writes (by identity); ``inf`` when never.
"""

from __future__ import annotations

from . import faults, results, schemes, workload
from .faults import Faults, Layout
from .results import (
    MODEL_FIGURES,
    Comparison,
    annotate,
    compare,
    model_figures,
    model_table,
    rank_schemes,
    scheme_metrics,
    scripted_burst,
    scripted_race,
    sweep,
    verdicts,
)
from .schemes import (
    MAX_OPS,
    NOT_APPLICABLE,
    check_workload,
    coverage,
    effective_faults,
    fault_record,
    run_scheme,
    with_faults,
)
from .workload import (
    ANTI_ENTROPY_MS,
    COLUMNS,
    DETECTION_MS,
    FAMILIES,
    LINK_HIGH_MS,
    LINK_LOW_MS,
    MIXES,
    SCHEMES,
    SETTLE_MS,
    TIMEOUT_MS,
    Op,
    Workload,
    make_workload,
)

__all__ = [
    "ANTI_ENTROPY_MS",
    "COLUMNS",
    "DETECTION_MS",
    "FAMILIES",
    "LINK_HIGH_MS",
    "LINK_LOW_MS",
    "MAX_OPS",
    "MIXES",
    "MODEL_FIGURES",
    "NOT_APPLICABLE",
    "SCHEMES",
    "SETTLE_MS",
    "TIMEOUT_MS",
    "Comparison",
    "Faults",
    "Layout",
    "Op",
    "Workload",
    "annotate",
    "check_workload",
    "compare",
    "coverage",
    "effective_faults",
    "fault_record",
    "faults",
    "make_workload",
    "model_figures",
    "model_table",
    "rank_schemes",
    "results",
    "run_scheme",
    "scheme_metrics",
    "schemes",
    "scripted_burst",
    "scripted_race",
    "sweep",
    "verdicts",
    "with_faults",
    "workload",
]
