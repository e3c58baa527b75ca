"""Happens-before between the writes of a multi-leader run, read off their version vectors.

Every write of a run carries its ``dot`` (the leader that accepted it and
that leader's counter for the key) and its ``vv`` (what that leader had
applied of the key when it accepted the write, the write included). Two
tables show what the version vectors say:

* :func:`write_vectors`: one row per write, one column per leader;
* :func:`pairwise_order`: one row per pair of writes of the same key, with
  the order of their vectors (:meth:`replnb.engine.clocks.VersionVector.compare`)
  and the happens-before verdict of :func:`replnb.metrics.happens_before`,
  the definition every metric of the course uses. They always agree: a
  vector that dominates another belongs to a write that happened after it.

Nothing here compares vectors a second way: both come from the ground floor.
"""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from ..engine.clocks import VersionVector
from ..metrics import happens_before
from ..records import Run

__all__ = ["VERDICTS", "pairwise_order", "write_vectors"]

#: The verdict on a pair of writes ``(W, V)``, by the order of W's vector against V's.
VERDICTS = {"before": "W → V", "after": "V → W", "concurrent": "W ∥ V"}


def _writes(run: Run, key: str | None) -> pd.DataFrame:
    if not isinstance(run, Run) or not {"dot", "vv", "label"} <= set(run.ops.columns):
        raise ValueError(f"run must be a multi-leader Run (its writes carry dot and vv), got {run!r}")
    if key is not None and not isinstance(key, str):
        raise ValueError(f"key must be a key name (a string) or None, got {key!r}")
    ops = run.ops
    writes = ops[(ops["kind"] == "write") & ops["dot"].notna()]
    if key is not None:
        writes = writes[writes["key"] == key]
    return writes


def _name(row: pd.Series) -> str:
    return f"{row['label']} at {row['node']}"


def write_vectors(run: Run, key: str | None = None) -> pd.DataFrame:
    """The version vector of every write of ``run`` (of ``key`` only, if given).

    One row per write, indexed by the write (``"x=1 at A"``), with its start
    time, its dot and one column per leader: how many writes of that leader
    to the key the accepting leader had applied (0 when none).

    Examples
    --------
    >>> from replnb.multi_leader import simulate
    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=20, node="B", key="x", value=2)]
    >>> write_vectors(simulate(ops=ops))[["A", "B"]].values.tolist()
    [[1, 0], [1, 1]]
    """

    writes = _writes(run, key)
    nodes = list(run.nodes)
    rows = {}
    for _, w in writes.iterrows():
        counts = VersionVector.of(w["vv"]).as_dict()
        rows[_name(w)] = {
            "start (ms)": float(w["start"]),
            "dot": f"({w['dot'][0]}, {w['dot'][1]})",
            **{n: counts.get(n, 0) for n in nodes},
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["start (ms)", "dot", *nodes])
    table.index.name = "write"
    return table.astype(dict.fromkeys(nodes, int))


def pairwise_order(run: Run, key: str | None = None) -> pd.DataFrame:
    """Every pair of writes of the same key, ``W`` before ``V`` in op order, and their causal order.

    Columns: ``W``, ``V``; ``vectors``: the order of W's vector against V's
    (``"before"``: V's dominates, ``"after"``: W's dominates, or
    ``"concurrent"``); ``verdict``: ``"W → V"``, ``"V → W"`` or ``"W ∥ V"``
    by :func:`replnb.metrics.happens_before` on the dots and vectors.

    Examples
    --------
    >>> from replnb.multi_leader import simulate
    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=5, node="B", key="x", value=2)]
    >>> pairwise_order(simulate(ops=ops))[["W", "V", "vectors", "verdict"]].values.tolist()
    [['x=1 at A', 'x=2 at B', 'concurrent', 'W ∥ V']]
    """

    writes = _writes(run, key)
    rows = []
    for _, by_key in writes.groupby("key", sort=True):
        for (_, w), (_, v) in combinations(by_key.sort_values("op_id").iterrows(), 2):
            order = VersionVector.of(w["vv"]).compare(VersionVector.of(v["vv"]))
            if happens_before(w["dot"], v["dot"], v["vv"]):
                verdict = VERDICTS["before"]
            elif happens_before(v["dot"], w["dot"], w["vv"]):
                verdict = VERDICTS["after"]
            else:
                verdict = VERDICTS["concurrent"]
            rows.append({"W": _name(w), "V": _name(v), "vectors": order, "verdict": verdict})
    return pd.DataFrame(rows, columns=["W", "V", "vectors", "verdict"])
