"""Collect a finished multi-leader run into a :class:`~replnb.records.Run`: losses, conflicts, counts.

Lost writes and resurrections follow the definitions of
:mod:`replnb.metrics`; conflicts are pairs of acknowledged writes to one key
whose version vectors are concurrent.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from ..engine.clocks import VersionVector
from ..engine.rng import Seed
from ..records import Recorder, Run
from .model import Model
from .schedule import Built
from .setup import Setup
from .state import REPLICATION_KINDS, Cart, display, same_state

__all__ = ["collect", "conflicts", "delivery_frame", "losses"]


def collect(setup: Setup, built: Built, end_time: float) -> Run:
    """The :class:`~replnb.records.Run` of a finished simulation (see :func:`simulate`)."""
    model, net, rec = built.model, built.net, built.rec
    live = [node for node in setup.nodes if net.is_up(node)]
    final = {node: {k: display(s.value) for k, s in model.leaders[node].keys.items()} for node in setup.nodes}
    acked = [r for r in rec.ops if r["kind"] == "write" and r["ok"]]
    lost_flags, resurrected = losses(model, rec, live, setup.workload)
    for record in rec.ops:
        if record["kind"] == "write":
            record["lost"] = lost_flags.get(record["op_id"], False)
            record["resurrected"] = record["op_id"] in resurrected
    counts = {
        "writes_acked": len(acked),
        "writes_failed": sum(1 for r in rec.ops if r["kind"] == "write" and not r["ok"]),
        "lost_writes": int(sum(lost_flags.values())),
        "conflicts": conflicts(model, acked),
        "resurrections": len(resurrected),
        **_delivery_counts(model, live, final, {r["op_id"] for r in acked}),
    }
    n_messages = sum(1 for m in rec.messages if m["kind"] in REPLICATION_KINDS)
    counts["messages_per_write"] = n_messages / len(acked) if acked else 0.0
    counts = {k: counts[k] for k in _ORDER}
    since = max([float(r["end"]) for r in acked] + [net.last_fault_end, 0.0])

    def compute(run: Run) -> dict[str, Any]:
        conv = metrics.convergence_time(run.versions, run.final_state, live, since)
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
    "lost_writes",
    "conflicts",
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
        "causal": setup.causal,
        "tombstones": setup.tombstones,
        "seed": seed,
        "scripted": setup.script is not None,
    }


def _delivery_counts(
    model: Model, live: list[str], final: dict[str, dict[str, Any]], acked_ids: set[int]
) -> dict[str, Any]:
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
    # a replica that applied every acknowledged write holds the reference state (order does not matter)
    behind = [node for node in live if not acked_ids <= applied[node]]
    reference = model.reference(acked_ids) if behind else {}
    return {
        "unconverged_replicas": sum(1 for node in behind if not same_state(final[node], reference)),
        "missing_deliveries": sum(len(acked_ids - applied[node]) for node in live),
        "out_of_order": int(ooo),
        "causal_delay_ms": waits / remote if remote else 0.0,
    }


# -- lost writes and resurrections -------------------------------------------------------------------
def losses(model: Model, rec: Recorder, live: list[str], workload: str) -> tuple[dict[int, bool], set[int]]:
    """Lost writes (per acknowledged write) and resurrecting removals.

    A write counts as lost when no live replica retains it (for registers: it
    is absent and was not legitimately overwritten, by
    :func:`replnb.metrics.lost_writes`); a removal counts as resurrected when a
    deleted item is back at some live replica.
    """
    writes = [r for r in rec.ops if r["kind"] == "write" and r["ok"]]
    if not writes:
        return {}, set()
    if workload == "cart":
        return _cart_losses(model, writes, live)
    return _register_losses(model, writes, live), set()


def _cart_losses(
    model: Model, writes: list[dict[str, Any]], live: list[str]
) -> tuple[dict[int, bool], set[int]]:
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
    for r in writes:
        lost.setdefault(r["op_id"], False)
    resurrected = {op_id for op_id, tags in model.removed_tags.items() if tags & back}
    return lost, resurrected


def _register_losses(model: Model, writes: list[dict[str, Any]], live: list[str]) -> dict[int, bool]:
    ops = pd.DataFrame(
        {
            "op_id": np.array([r["op_id"] for r in writes], dtype=np.int64),
            "kind": ["write"] * len(writes),
            "key": [r["key"] for r in writes],
            "start": np.array([r["start"] for r in writes], dtype=float),
            "end": np.array([r["end"] for r in writes], dtype=float),
            "ok": np.ones(len(writes), dtype=bool),
        }
    )
    acked_ids = [r["op_id"] for r in writes]
    lost_anywhere = np.ones(len(acked_ids), dtype=bool)
    seen_views: set[tuple[tuple[str, frozenset[int]], ...]] = set()
    for node in live:
        view = tuple(sorted((k, s.contributors) for k, s in model.leaders[node].keys.items()))
        if view in seen_views:
            continue
        seen_views.add(view)
        lost_anywhere &= _lost_at(ops, {k: set(c) for k, c in view})
    return {op_id: bool(f) for op_id, f in zip(acked_ids, lost_anywhere, strict=True)}


def _lost_at(ops: pd.DataFrame, survivors: dict[str, set[int]]) -> np.ndarray:
    """The writes lost at a replica whose keys keep these contributing writes."""
    depth = max((len(c) for c in survivors.values()), default=0)
    lost_here = np.ones(len(ops), dtype=bool)
    for i in range(max(depth, 1)):
        pick: dict[Hashable, Hashable | None] = {
            k: (sorted(c)[i] if i < len(c) else sorted(c)[0]) for k, c in survivors.items() if c
        }
        lost_here &= metrics.lost_writes(ops, pick).to_numpy()
    return lost_here


# -- conflicts and deliveries --------------------------------------------------------------------------
def conflicts(model: Model, acked: list[dict[str, Any]]) -> int:
    """Pairs of acknowledged writes to the same key that are concurrent (version vectors)."""
    by_key: dict[str, list[VersionVector]] = {}
    for r in acked:
        w = model.writes.get(r["op_id"])
        if w is not None:
            by_key.setdefault(w.key, []).append(w.vv)
    total = 0
    for vvs in by_key.values():
        if len(vvs) < 2:
            continue
        m = np.array([[vv.get(node) for node in model.nodes] for vv in vvs])
        le = (m[:, None, :] <= m[None, :, :]).all(axis=2)
        concurrent = ~le & ~le.T
        total += int(np.triu(concurrent, 1).sum())
    return total


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
