"""Figures computed from multi-leader runs: losses, conflicts, divergence, clipping."""

from __future__ import annotations

import pandas as pd

from .. import metrics
from ..records import Recorder, Run

__all__ = ["clip", "divergence", "focus"]


# -- helpers for notebooks and widgets -------------------------------------------------------------
def divergence(run: Run, key: str | None = None) -> pd.DataFrame:
    """The number of distinct values across the live replicas over time.

    A step function (columns ``time``, ``distinct``), from
    :func:`replnb.metrics.divergence`; it rises when replicas disagree and
    falls back to 1 when they converge.

    Examples
    --------
    >>> from replnb.multi_leader import simulate
    >>> run = simulate(ops=[dict(time=0, node="A", key="x", value=1)])
    >>> divergence(run).values.tolist()
    [[0.0, 2.0], [10.0, 1.0]]
    """
    return metrics.divergence(run.versions, run.extras.get("live", run.nodes), key)


def clip(run: Run, start: float, end: float, *, message_labels: bool = True) -> Run:
    """A view of ``run`` with the operations that start in ``[start, end]`` and their messages.

    For drawing a readable space-time diagram of part of a long run: the
    view keeps the writes that began in the window, every message that
    carried one of them (forwarded copies and catch-up included) and the
    anti-entropy requests sent in the window (``message_labels=False``
    blanks the messages' labels); its metrics, final state and extras are
    those of the whole run.

    Examples
    --------
    >>> from replnb.multi_leader import simulate
    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=50, node="B", key="x", value=2)]
    >>> part = clip(simulate(ops=ops), 40.0, 100.0)
    >>> part.ops["value"].tolist(), part.messages["src"].tolist()
    ([2], ['B'])
    """
    rec = Recorder()
    rec.ops = [r for r in run.recorder.ops if start <= r["start"] <= end]
    keep = {r["op_id"] for r in rec.ops}
    rec.messages = [
        m
        for m in run.recorder.messages
        if m.get("op_id") in keep or (m.get("op_id") == -1 and start <= m["sent"] <= end)
    ]
    if not message_labels:
        rec.messages = [{**m, "label": ""} for m in rec.messages]
    rec.versions = [v for v in run.recorder.versions if start <= v["time"] <= end]
    rec.events = list(run.recorder.events)
    return Run(
        model=run.model,
        params={**run.params, "clip": (start, end)},
        nodes=run.nodes,
        recorder=rec,
        final_state={n: {} for n in run.nodes},
        metrics=lambda _: {str(k): v for k, v in run.metrics.items()},
        end_time=end,
        extras=run.extras,
    )


def focus(run: Run) -> tuple[float, str | None]:
    """The most telling write of a run: ``(start, key)`` of its first lost write, else of the
    first write that arrived as a conflict, else ``(0.0, None)``.

    Examples
    --------
    >>> from replnb.multi_leader import simulate
    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=10, node="B", key="x", value=2)]
    >>> focus(simulate(ops=ops, clock_offsets={"B": -40.0}))
    (10.0, 'x')
    """
    lost = [(float(r["start"]), r["op_id"], r["key"]) for r in run.recorder.ops if r.get("lost")]
    if lost:
        start, _, key = min(lost)
        return start, key
    by_id = {r["op_id"]: r for r in run.recorder.ops}
    conflicts = [by_id[v["op_id"]] for v in run.recorder.versions if v["event"] == "conflict"]
    if conflicts:
        first = min(conflicts, key=lambda r: (float(r["start"]), r["op_id"]))
        return float(first["start"]), first["key"]
    return 0.0, None
