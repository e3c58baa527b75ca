"""Collect a finished multi-leader run into a :class:`~replnb.records.Run`: losses, conflicts, counts.

Every write record carries its dot (the accepting leader and its per-key
counter there) and its version vector, every read the op_ids it returned,
every version row the op_ids the replica holds; the figures are then those
of :mod:`replnb.metrics` (lost writes by cause, stale reads, conflicts,
convergence by identity). Cart runs add the element-level counts: lost
elements and resurrections.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from ..engine.rng import Seed
from ..records import Recorder, Run
from .model import Model
from .schedule import Built
from .setup import Setup
from .state import REPLICATION_KINDS, Cart, display

__all__ = ["cart_losses", "collect", "delivery_frame", "final_survivors"]


def collect(setup: Setup, built: Built, end_time: float) -> Run:
    """The :class:`~replnb.records.Run` of a finished simulation (see :func:`simulate`)."""
    model, net, rec = built.model, built.net, built.rec
    live = [node for node in setup.nodes if net.is_up(node)]
    final = {node: {k: display(s.value) for k, s in model.leaders[node].keys.items()} for node in setup.nodes}
    acked = [r for r in rec.ops if r["kind"] == "write" and r["ok"]]
    figures = _causal(model, rec, live)
    lost_elements, resurrected = cart_losses(model, acked, live) if setup.workload == "cart" else ({}, set())
    for record in rec.ops:
        if record["kind"] == "write":
            record["element_lost"] = lost_elements.get(record["op_id"], False)
            record["resurrected"] = record["op_id"] in resurrected
    counts = {
        "writes_acked": len(acked),
        "writes_failed": sum(1 for r in rec.ops if r["kind"] == "write" and not r["ok"]),
        **figures,
        "lost_elements": int(sum(lost_elements.values())),
        "resurrections": len(resurrected),
        **_delivery_counts(model, live, {r["op_id"] for r in acked}),
    }
    n_messages = sum(1 for m in rec.messages if m["kind"] in REPLICATION_KINDS)
    counts["messages_per_write"] = n_messages / len(acked) if acked else 0.0
    counts = {k: counts[k] for k in _ORDER}
    last_ack = max((float(r["end"]) for r in acked), default=math.nan)
    last_heal = net.last_fault_end or None

    def compute(run: Run) -> dict[str, Any]:
        conv = metrics.convergence_time_by_identity(run.versions, live, last_ack, last_heal)
        return {**counts, "convergence_time": conv}

    extras = {
        "counts": counts,
        "delivery": delivery_frame(model),
        "graph": setup.graph,
        "live": live,
        "failed": list(setup.failed),
        "home": dict(model.home),
        "clock_offsets": built.offsets,
        "writes": model.writes,
    }
    return Run(
        model="multi-leader",
        params=_params(setup),
        nodes=setup.nodes,
        recorder=rec,
        final_state=final,
        metrics=compute,
        end_time=end_time,
        extras=extras,
    )


_ORDER = (
    "writes_acked",
    "writes_failed",
    *metrics.CAUSAL_FIGURES,
    "lost_elements",
    "resurrections",
    "unconverged_replicas",
    "missing_deliveries",
    "messages_per_write",
    "out_of_order",
    "causal_delay_ms",
)


def _params(setup: Setup) -> dict[str, Any]:
    seed: Seed | str = setup.seed if not isinstance(setup.seed, np.random.Generator) else "generator"
    return {
        "leaders": setup.n,
        "resolver": setup.resolver,
        "topology": setup.topology,
        "clock_skew": setup.clock_skew,
        "workload": setup.workload,
        "write_rate": setup.write_rate,
        "relocation_rate": setup.relocation_rate,
        "duration": setup.duration,
        "latency": setup.latency,
        "jitter": setup.jitter,
        "reorder": setup.reorder,
        "causal": setup.causal,
        "tombstones": setup.tombstones,
        "seed": seed,
        "scripted": setup.script is not None,
    }


def _delivery_counts(model: Model, live: list[str], acked_ids: set[int]) -> dict[str, Any]:
    """Replicas left unconverged, deliveries missed, and the remote deliveries' order and waits."""
    applied: dict[str, set[int]] = {node: set() for node in model.nodes}
    remote, waits, ooo = 0, 0.0, 0
    origin_of = {op_id: w.origin for op_id, w in model.writes.items()}
    for op_id, node, time, arrived, out_of_order in model.delivery:
        applied[node].add(op_id)
        if node != origin_of[op_id]:
            remote += 1
            waits += time - arrived
            ooo += out_of_order
    # a replica that applied every acknowledged write holds the reference versions (in any order)
    behind = [node for node in live if not acked_ids <= applied[node]]
    reference = model.reference_held(acked_ids) if behind else {}
    return {
        "unconverged_replicas": sum(1 for node in behind if model.held(node) != reference),
        "missing_deliveries": sum(len(acked_ids - applied[node]) for node in live),
        "out_of_order": int(ooo),
        "causal_delay_ms": waits / remote if remote else 0.0,
    }


# -- the causal verdicts, lost elements and resurrections --------------------------------------------
def final_survivors(model: Model, live: list[str]) -> dict[Hashable, tuple[Hashable, ...]]:
    """Per key, the op_ids of the surviving writes: those whose effect the live replicas show.

    Once the replicas have converged they all show the same; otherwise this is
    the union over the live replicas (a write is lost only when none shows
    it). A key that no live replica holds falls back on the crashed replicas,
    whose disks keep their state.
    """
    out: dict[str, set[int]] = {}
    for node in live:
        for key, state in model.leaders[node].keys.items():
            out.setdefault(key, set()).update(state.contributors)
    for node in model.nodes:
        for key, state in model.leaders[node].keys.items():
            if not out.get(key):
                out.setdefault(key, set()).update(state.contributors)
    return {key: tuple(sorted(ids)) for key, ids in out.items()}


_VERDICT_COLUMNS = ("lost", "lost_cause", "stale", "ryw_violation", "monotonic_violation")


def _causal(model: Model, rec: Recorder, live: list[str]) -> dict[str, int]:
    """Join the causal verdicts of :mod:`replnb.metrics` onto the op records; return the figures."""
    if not rec.ops:
        return {name: 0 for name in metrics.CAUSAL_FIGURES}
    ops = pd.DataFrame.from_records(rec.ops)
    for column in ("dot", "vv", "returned"):
        if column not in ops.columns:
            ops[column] = None
    verdicts = metrics.causal_verdicts(ops, final_survivors(model, live))
    columns = {c: verdicts[c].tolist() for c in _VERDICT_COLUMNS}
    for i, record in enumerate(rec.ops):
        for c in _VERDICT_COLUMNS:
            record[c] = columns[c][i]
    return metrics.causal_figures(ops, verdicts)


def cart_losses(
    model: Model, writes: list[dict[str, Any]], live: list[str]
) -> tuple[dict[int, bool], set[int]]:
    """Element-level losses of a cart run: per acknowledged add, is its element gone; and the
    removals whose deleted elements came back (resurrections), at some live replica.
    """
    removed = {tag for tags in model.removed_tags.values() for tag in tags}
    adds = [(r["value"], r["op_id"]) for r in writes if r["op"] == "add"]
    expected = [p for p in adds if p not in removed]
    lost_pairs = set(expected)
    back: set[tuple[str, int]] = set()
    for node in live:
        pairs: set[tuple[str, int]] = set()
        for state in model.leaders[node].keys.values():
            if isinstance(state.value, Cart):
                pairs |= state.value.items - state.value.removed
        lost_pairs &= metrics.lost_elements(expected, pairs)
        back |= metrics.resurrections(removed, pairs)  # type: ignore[arg-type]
    lost = {r["op_id"]: (r["value"], r["op_id"]) in lost_pairs for r in writes if r["op"] == "add"}
    resurrected = {op_id for op_id, tags in model.removed_tags.items() if tags & back}
    return lost, resurrected


# -- deliveries ------------------------------------------------------------------------------------
def delivery_frame(model: Model) -> pd.DataFrame:
    """Every application of a write at a replica: when it arrived, when applied, in causal order or not."""
    rows = model.delivery
    origin = {op_id: w.origin for op_id, w in model.writes.items()}
    time = np.array([r[2] for r in rows], dtype=float)
    arrived = np.array([r[3] for r in rows], dtype=float)
    return pd.DataFrame(
        {
            "op_id": np.array([r[0] for r in rows], dtype=np.int64),
            "node": [r[1] for r in rows],
            "time": time,
            "arrived": arrived,
            "wait": time - arrived,
            "origin": [origin[r[0]] for r in rows],
            "out_of_order": np.array([r[4] for r in rows], dtype=bool),
        }
    )
