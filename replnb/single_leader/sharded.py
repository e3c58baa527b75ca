"""Consistent-prefix reads across the shards of a partitioned single-leader store.

A store too big for one leader is split into **shards** (partitions), each
with its own leader and followers and its own replication log. Each log
keeps the order of its own writes, but nothing orders writes across shards.
The scenario of DDIA's "consistent prefix reads": in conversation ``i``,
client ``c1`` writes a question ``q<i>``; client ``c2`` reads it at its
shard's leader and writes the answer ``a<i>``, so the answer happens after
the question. An observer ``c3`` reads the answer, then the question, each
at a follower of its shard. When question and answer sit in different
shards, and the question's shard replicates more slowly, the observer sees
the answer without the question: a **consistent-prefix violation**
(:func:`replnb.metrics.consistent_prefix_violations`).

Two fixes, both available here: ``placement="by-conversation"`` puts the
keys of one conversation in one shard (one log orders the question before
the answer, and a follower applies its log in order), and ``token=True``
makes the observer carry the question's log position, which comes with the
answer, and wait until the follower it reads the question from has
applied it (as PostgreSQL's or MySQL's "wait for this log position" do).

:func:`simulate_sharded` runs one single-leader simulation per shard and
merges them into one :class:`~replnb.records.Run` whose nodes are
``A1, B1`` (shard 1: leader, follower) and ``A2, B2`` (shard 2).
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd

from .. import metrics as m
from ..params import Choice, Flag, Int, Real, checked
from ..records import Recorder, Run
from .simulation import simulate

__all__ = ["PLACEMENTS", "SHARDS", "shard_of", "simulate_sharded"]

#: How keys are placed on shards.
PLACEMENTS = ("by-key", "by-conversation")
#: The shards.
SHARDS = ("1", "2")
#: Conversations start this far apart (ms).
SPACING = 40.0
#: Offset between the op ids of the two shards in the merged run.
_OFFSET = 1000


def shard_of(key: str, placement: str = "by-key") -> str:
    """The shard of ``key`` (``"q3"``, ``"a3"``): hashed by key, or by its conversation (``3``).

    Examples
    --------
    >>> shard_of("q0"), shard_of("a0"), shard_of("q0", "by-conversation") == shard_of("a0", "by-conversation")
    ('1', '2', True)
    """
    token = key if placement == "by-key" else f"conversation {key[1:]}"
    return SHARDS[zlib.crc32(token.encode()) % len(SHARDS)]


def _script(
    conversations: int, placement: str, waits: Mapping[int, float]
) -> dict[str, list[dict[str, Any]]]:
    """The operations of every shard; ``waits`` delays the observer's question read ``i`` to that time."""
    shards: dict[str, list[dict[str, Any]]] = {s: [] for s in SHARDS}

    def add(time: float, client: str, kind: str, key: str, node: str, **extra: Any) -> None:
        shards[shard_of(key, placement)].append(
            dict(time=time, client=client, kind=kind, key=key, node=node, **extra)
        )

    for i in range(conversations):
        t = SPACING * i
        add(t, "c1", "write", f"q{i}", "A", value=f"Q{i}")
        add(t + 5.0, "c2", "read", f"q{i}", "A")
        add(t + 10.0, "c2", "write", f"a{i}", "A", value=f"A{i}")
        add(t + 25.0, "c3", "read", f"a{i}", "B")
        add(waits.get(i, t + 27.0), "c3", "read", f"q{i}", "B")
    return shards


def _run_shards(
    script: Mapping[str, list[dict[str, Any]]], lags: Sequence[float], seed: int
) -> dict[str, Run]:
    return {
        s: simulate(
            ops=ops,
            followers=1,
            replication_delay=lag,
            delay_distribution="uniform",
            duration=max(op["time"] for op in ops) + 1.0,
            seed=2 * seed + i,
        )
        for i, (s, ops, lag) in enumerate(zip(SHARDS, (script[s] for s in SHARDS), lags, strict=True))
        if ops
    }


def _question_applied(runs: Mapping[str, Run], placement: str, conversations: int) -> dict[int, float]:
    """When the follower of each question's shard applied the question (the token's position)."""
    out = {}
    for i in range(conversations):
        run = runs[shard_of(f"q{i}", placement)]
        ops = run.ops
        q = ops[(ops["kind"] == "write") & (ops["key"] == f"q{i}")]["op_id"].iloc[0]
        v = run.versions
        applied = v[(v["node"] == "B") & (v["op_id"] == q) & (v["event"] == "apply")]["time"]
        out[i] = float(applied.min()) + 0.5
    return out


def _rename(node: Any, shard: str) -> Any:
    return f"{node}{shard}" if isinstance(node, str) and node else node


def _op_id(op_id: Any, shard: str) -> int:
    return int(op_id) + _OFFSET * SHARDS.index(shard)


def _merge_ops(rec: Recorder, run: Run, shard: str) -> None:
    verdicts = run.ops.set_index("op_id")[["stale", "lost"]]
    for r in run.recorder.ops:
        row = dict(r, op_id=_op_id(r["op_id"], shard), node=_rename(r["node"], shard), shard=shard)
        row["stale"], row["lost"] = (bool(v) for v in verdicts.loc[r["op_id"]])
        if r.get("dot") is not None:
            row["dot"] = (f"{shard}/{r['dot'][0]}", r["dot"][1])
            row["vv"] = {f"{shard}/{k}": v for k, v in r["vv"].items()}
        if r.get("returned") is not None:
            row["returned"] = tuple(_op_id(x, shard) for x in r["returned"])
        rec.ops.append(row)


def _merge(runs: Mapping[str, Run], params: dict[str, Any]) -> Run:
    rec = Recorder()
    for shard, run in runs.items():
        _merge_ops(rec, run, shard)
        for r in run.recorder.messages:
            rec.messages.append(
                dict(
                    r,
                    msg_id=_op_id(r["msg_id"], shard),
                    src=_rename(r["src"], shard),
                    dst=_rename(r["dst"], shard),
                )
            )
        for r in run.recorder.versions:
            rec.versions.append(dict(r, node=_rename(r["node"], shard), op_id=_op_id(r["op_id"], shard)))
        rec.events.extend(dict(r, node=_rename(r["node"], shard)) for r in run.recorder.events)
    rec.ops.sort(key=lambda r: (r["start"], r["op_id"]))
    nodes = [f"{n}{s}" for s in SHARDS for n in ("A", "B") if s in runs]
    final = {
        _rename(n, s): dict(run.final_state.loc[n].dropna()) for s, run in runs.items() for n in run.nodes
    }
    computed: dict[str, Any] = {}
    merged = Run(
        model="single_leader/sharded",
        params=params,
        nodes=nodes,
        recorder=rec,
        final_state=final,
        metrics=lambda _run: computed,
        end_time=max(run.end_time for run in runs.values()),
    )
    computed.update(_figures(merged, runs))
    return merged


def _figures(merged: Run, runs: Mapping[str, Run]) -> dict[str, Any]:
    ops = merged.ops
    ids = {(k, kind): i for i, k, kind in zip(ops["op_id"], ops["key"], ops["kind"], strict=True)}
    depends: dict[Hashable, list[Hashable]] = {}
    for (key, kind), op_id in ids.items():
        if kind == "write" and key.startswith("a") and (f"q{key[1:]}", "write") in ids:
            depends[op_id] = [ids[(f"q{key[1:]}", "write")]]
    flags = m.consistent_prefix_violations(ops, depends)
    ops["consistent_prefix_violation"] = False
    ops.loc[flags.index, "consistent_prefix_violation"] = flags.to_numpy(dtype=bool)
    return {
        "conversations": len(depends),
        "split_conversations": sum(
            ops.loc[ops["op_id"] == a, "shard"].iloc[0] != ops.loc[ops["op_id"] == q[0], "shard"].iloc[0]
            for a, q in depends.items()
        ),
        "reads": int((ops["kind"] == "read").sum()),
        "stale_reads": sum(int(r.metrics["stale_reads"]) for r in runs.values()),
        "consistent_prefix_violations": int(flags.sum()),
    }


@checked(
    conversations=Int(1, 20),
    placement=Choice(PLACEMENTS),
    token=Flag(),
    slow_lag=Real(1, 1_000, unit="ms"),
    fast_lag=Real(1, 1_000, unit="ms"),
    seed=Int(0, 2**31 - 1),
)
def simulate_sharded(
    *,
    conversations: int = 6,
    placement: str = "by-key",
    token: bool = False,
    slow_lag: float = 60.0,
    fast_lag: float = 8.0,
    seed: int = 0,
) -> Run:
    """Questions and answers on two single-leader shards (see the module docstring).

    Parameters
    ----------
    conversations : int
        Question-answer pairs, 1..20, one every 40 ms.
    placement : {"by-key", "by-conversation"}
        Hash each key to a shard, or all the keys of a conversation to one.
    token : bool
        The observer waits until the follower has applied the question the
        answer depends on (a causal token) before reading it.
    slow_lag, fast_lag : float
        Mean replication delay of shard 1 and of shard 2 (ms, 1..1000).
    seed : int

    Returns
    -------
    Run
        Nodes ``A1, B1, A2, B2``; ``ops`` with the columns of a single-leader
        run plus ``shard`` and ``consistent_prefix_violation``; metrics
        ``conversations``, ``split_conversations`` (question and answer in
        different shards), ``reads``, ``stale_reads`` and
        ``consistent_prefix_violations``.

    Examples
    --------
    >>> simulate_sharded().metrics["consistent_prefix_violations"] > 0
    True
    >>> int(simulate_sharded(placement="by-conversation").metrics["consistent_prefix_violations"])
    0
    >>> int(simulate_sharded(token=True).metrics["consistent_prefix_violations"])
    0
    """
    lags = (slow_lag, fast_lag)
    runs = _run_shards(_script(conversations, placement, {}), lags, seed)
    if token:
        waits = _question_applied(runs, placement, conversations)
        planned = {i: SPACING * i + 27.0 for i in range(conversations)}
        waits = {i: max(planned[i], t) for i, t in waits.items()}
        runs = _run_shards(_script(conversations, placement, waits), lags, seed)
    params = dict(conversations=conversations, placement=placement, token=token, slow_lag=slow_lag)
    params.update(fast_lag=fast_lag, seed=seed)
    return _merge(runs, params)


def violations_table(**common: Any) -> pd.DataFrame:
    """The metrics of :func:`simulate_sharded` for the three set-ups: by key, by conversation, by key + token.

    Examples
    --------
    >>> violations_table().loc["keys hashed, causal token", "consistent_prefix_violations"]
    0
    """
    setups: dict[str, dict[str, Any]] = {
        "keys hashed to shards": dict(placement="by-key"),
        "one shard per conversation": dict(placement="by-conversation"),
        "keys hashed, causal token": dict(placement="by-key", token=True),
    }
    return pd.DataFrame({name: simulate_sharded(**kw, **common).metrics for name, kw in setups.items()}).T
