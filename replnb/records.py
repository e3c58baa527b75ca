"""Record, don't print: flat records that a :class:`Run` exposes as DataFrames.

Models append plain dicts to a :class:`Recorder` while they run. A finished
:class:`Run` turns them into pandas DataFrames on first access:

``run.ops``
    client operations: ``op_id, client, kind, node, key, value, start, end, ok,
    version`` (+ model columns). Times are true time in ms; ``end`` is NaN for
    an operation that never completed. ``version`` ranks the versions of a
    key: a write's is the version it created, a read's the version it returned.
``run.messages``
    ``msg_id, src, dst, kind, label, sent, delivered, dropped``; ``delivered``
    is NaN and ``dropped`` names the reason when a message was lost.
``run.versions``
    replica state changes: ``time, node, key, value, version, op_id, event``.
``run.events``
    faults and role changes: ``time, node, event, detail``.
``run.final_state``
    one row per replica, one column per key.
``run.metrics``
    a :class:`pandas.Series` of named figures (see :mod:`replnb.metrics`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

import pandas as pd

__all__ = ["EVENT_COLUMNS", "MESSAGE_COLUMNS", "OP_COLUMNS", "VERSION_COLUMNS", "Recorder", "Run"]

OP_COLUMNS = ["op_id", "client", "kind", "node", "key", "value", "start", "end", "ok", "version"]
MESSAGE_COLUMNS = ["msg_id", "src", "dst", "kind", "label", "sent", "delivered", "dropped"]
VERSION_COLUMNS = ["time", "node", "key", "value", "version", "op_id", "event"]
EVENT_COLUMNS = ["time", "node", "event", "detail"]


class Recorder:
    """Append-only lists of flat records.

    Examples
    --------
    >>> rec = Recorder()
    >>> op = rec.op(client="c1", kind="write", node="A", key="x", value=1, start=0.0)
    >>> op["end"], op["ok"] = 2.0, True
    >>> rec.ops[0]["op_id"], rec.ops[0]["ok"]
    (0, True)
    """

    __slots__ = ("events", "messages", "ops", "versions")

    def __init__(self) -> None:
        self.ops: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.versions: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def op(self, **fields: Any) -> dict[str, Any]:
        """Start a client operation; returns its (mutable) record."""
        record = {"op_id": len(self.ops), "end": float("nan"), "ok": False, "version": float("nan")}
        record.update(fields)
        self.ops.append(record)
        return record

    def version(
        self, time: float, node: str, key: str, value: Any, version: Any, op_id: Any, event: str = "apply"
    ) -> None:
        """A replica's state for ``key`` changed."""
        self.versions.append(
            {
                "time": time,
                "node": node,
                "key": key,
                "value": value,
                "version": version,
                "op_id": op_id,
                "event": event,
            }
        )

    def event(self, time: float, node: str, event: str, detail: str = "") -> None:
        """A fault or role change."""
        self.events.append({"time": time, "node": node, "event": event, "detail": detail})


def frame(records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame with at least ``columns`` (in that order), even when empty."""
    df = pd.DataFrame.from_records(list(records)) if records else pd.DataFrame(columns=list(columns))
    extra = [c for c in df.columns if c not in columns]
    for c in columns:
        if c not in df.columns:
            df[c] = pd.Series(dtype=object)
    return df[list(columns) + extra]


class Run:
    """The result of one simulation: parameters, records and metrics.

    DataFrames are built on first access, so a widget that only needs the
    metrics never pays for the rest.
    """

    def __init__(
        self,
        *,
        model: str,
        params: Mapping[str, Any],
        nodes: Sequence[str],
        recorder: Recorder,
        final_state: Mapping[str, Mapping[str, Any]],
        metrics: Callable[[Run], Mapping[str, Any]],
        end_time: float,
        extras: Mapping[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.params = dict(params)
        self.nodes = tuple(nodes)
        self.recorder = recorder
        self._final_state = {n: dict(final_state.get(n, {})) for n in self.nodes}
        self._metrics_fn = metrics
        self.end_time = float(end_time)
        self.extras: dict[str, Any] = dict(extras or {})

    @cached_property
    def ops(self) -> pd.DataFrame:
        """Client operations (see the module docstring)."""
        return frame(self.recorder.ops, OP_COLUMNS)

    @cached_property
    def messages(self) -> pd.DataFrame:
        """Network messages (see the module docstring)."""
        return frame(self.recorder.messages, MESSAGE_COLUMNS)

    @cached_property
    def versions(self) -> pd.DataFrame:
        """Replica state changes (see the module docstring)."""
        return frame(self.recorder.versions, VERSION_COLUMNS)

    @cached_property
    def events(self) -> pd.DataFrame:
        """Faults and role changes (see the module docstring)."""
        return frame(self.recorder.events, EVENT_COLUMNS)

    @cached_property
    def final_state(self) -> pd.DataFrame:
        """One row per replica (index ``node``), one column per key."""
        keys = sorted({k for state in self._final_state.values() for k in state})
        rows = [[self._final_state[n].get(k) for k in keys] for n in self.nodes]
        return pd.DataFrame(rows, index=pd.Index(self.nodes, name="node"), columns=keys, dtype=object)

    @cached_property
    def metrics(self) -> pd.Series:
        """Named figures of this run."""
        return pd.Series(dict(self._metrics_fn(self)), name=self.model, dtype=object)

    def __repr__(self) -> str:
        return (
            f"<Run {self.model}: {len(self.recorder.ops)} ops, {len(self.recorder.messages)} messages, "
            f"{len(self.nodes)} nodes, until t={self.end_time:g} ms>"
        )
