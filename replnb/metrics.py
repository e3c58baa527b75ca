"""Metric definitions: one meaning everywhere (code, plots, prose).

Every function takes the DataFrames of a :class:`~replnb.records.Run` and
implements one definition of DESIGN.md exactly:

- **acknowledged write**: the client received success (``ok`` is true).
- **lost write** (register): an acknowledged write whose effect is absent from
  the converged final state and that was not legitimately overwritten: the
  surviving write of its key began (in true time) after it was acknowledged.
  Losing to a write that began earlier, or to a concurrent one, is a loss.
- **lost element** (set workloads): an acknowledged element missing from
  the final state; a deleted element that comes back is a **resurrection**.
- **stale read**: a read returning a version older than the newest write
  acknowledged before the read began.
- **read-your-writes violation**: a read missing the same client's earlier
  acknowledged write. **Monotonic-read violation**: a read returning a version
  older than one the same client read before.
- **convergence time**: from the last acknowledged write (or the healing of
  the last fault, whichever is later) until every live replica holds the same
  state for every key; ``inf`` when that never happens within the run.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Hashable, Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "convergence_time",
    "divergence",
    "lost_elements",
    "lost_writes",
    "monotonic_violations",
    "percentile",
    "resurrections",
    "ryw_violations",
    "stale_reads",
]


def _acked_writes(ops: pd.DataFrame) -> pd.DataFrame:
    return ops[(ops["kind"] == "write") & ops["ok"].astype(bool)]


def _reads(ops: pd.DataFrame) -> pd.DataFrame:
    return ops[(ops["kind"] == "read") & ops["ok"].astype(bool)]


def _newest_acked_before(reads: pd.DataFrame, writes: pd.DataFrame, by: list[str]) -> pd.Series:
    """For each read, the highest version among ``writes`` acknowledged strictly before it began.

    Plain loops with a binary search per read: for the small histories of the
    course this is many times faster than a pandas ``merge_asof``.
    """
    if reads.empty:
        return pd.Series(dtype=float)
    if writes.empty:
        return pd.Series(np.nan, index=reads.index)
    groups: dict[tuple[Hashable, ...], list[tuple[float, float]]] = {}
    write_keys = zip(*(writes[c].tolist() for c in by), strict=True)
    ends = writes["end"].astype(float).tolist()
    versions = writes["version"].astype(float).tolist()
    for key, end, version in zip(write_keys, ends, versions, strict=True):
        if end == end:  # an acknowledged write has an end
            groups.setdefault(key, []).append((end, version))
    running: dict[tuple[Hashable, ...], tuple[list[float], list[float]]] = {}
    for key, items in groups.items():
        items.sort(key=lambda item: item[0])
        best, newest = math.nan, []
        for _, version in items:
            if version == version and not best >= version:
                best = version
            newest.append(best)
        running[key] = ([end for end, _ in items], newest)
    out = []
    read_keys = zip(*(reads[c].tolist() for c in by), strict=True)
    for key, start in zip(read_keys, reads["start"].astype(float).tolist(), strict=True):
        found = running.get(key)
        i = bisect.bisect_left(found[0], start) if found is not None else 0
        out.append(found[1][i - 1] if found is not None and i else math.nan)
    return pd.Series(out, index=reads.index, dtype=float)


def stale_reads(ops: pd.DataFrame) -> pd.Series:
    """A boolean per completed read: did it return a version older than the newest acknowledged write?

    Examples
    --------
    >>> ops = pd.DataFrame({
    ...     "client": ["a", "b", "b"], "kind": ["write", "read", "read"], "key": "x",
    ...     "start": [0.0, 5.0, 1.0], "end": [2.0, 6.0, 1.5], "ok": True, "version": [1, 0, 0]})
    >>> stale_reads(ops).tolist()
    [True, False]
    """
    reads = _reads(ops)
    newest = _newest_acked_before(reads, _acked_writes(ops), ["key"])
    return (reads["version"].astype(float).fillna(-math.inf) < newest).rename("stale")


def ryw_violations(ops: pd.DataFrame) -> pd.Series:
    """A boolean per completed read: did it miss the same client's own earlier acknowledged write?

    Examples
    --------
    >>> ops = pd.DataFrame({
    ...     "client": ["a", "a", "b"], "kind": ["write", "read", "read"], "key": "x",
    ...     "start": [0.0, 5.0, 5.0], "end": [2.0, 6.0, 6.0], "ok": True, "version": [1, 0, 0]})
    >>> ryw_violations(ops).tolist()
    [True, False]
    """
    reads = _reads(ops)
    newest = _newest_acked_before(reads, _acked_writes(ops), ["client", "key"])
    return (reads["version"].astype(float).fillna(-math.inf) < newest).rename("ryw_violation")


def monotonic_violations(ops: pd.DataFrame) -> pd.Series:
    """A boolean per completed read: is its version older than one the same client read before?

    Examples
    --------
    >>> ops = pd.DataFrame({
    ...     "client": "a", "kind": "read", "key": "x",
    ...     "start": [0.0, 1.0, 2.0], "end": [0.5, 1.5, 2.5], "ok": True, "version": [3, 1, 3]})
    >>> monotonic_violations(ops).tolist()
    [False, True, False]
    """
    reads = _reads(ops)
    versions = reads["version"].astype(float).fillna(-math.inf).tolist()
    keys = list(zip(reads["client"].tolist(), reads["key"].tolist(), strict=True))
    starts = reads["start"].astype(float).tolist()
    seen: dict[tuple[Hashable, Hashable], float] = {}
    violation = [False] * len(versions)
    for i in sorted(range(len(versions)), key=starts.__getitem__):  # stable: ties keep their order
        key, version = keys[i], versions[i]
        if key in seen:
            violation[i] = version < seen[key]
            seen[key] = max(seen[key], version)
        else:
            seen[key] = version
    return pd.Series(violation, index=reads.index, dtype=bool, name="monotonic_violation")


def lost_writes(ops: pd.DataFrame, survivors: Mapping[Hashable, Hashable | None]) -> pd.Series:
    """A boolean per acknowledged write on a register: was it lost?

    Parameters
    ----------
    ops : DataFrame
        Client operations with ``op_id, kind, key, start, end, ok``.
    survivors : mapping
        For each key, the ``op_id`` of the write whose value is in the
        converged final state (``None`` when the key is absent).

    Examples
    --------
    >>> ops = pd.DataFrame({"op_id": [0, 1, 2], "kind": "write", "key": "x",
    ...                     "start": [0.0, 10.0, 1.0], "end": [1.0, 11.0, 2.0], "ok": True})
    >>> lost_writes(ops, {"x": 0}).tolist()   # 0 began before 1 and 2 were acknowledged
    [False, True, True]
    >>> lost_writes(ops, {"x": 1}).tolist()   # 1 began after both others were acknowledged
    [False, False, False]
    """
    writes = _acked_writes(ops)
    start = dict(zip(ops["op_id"].tolist(), ops["start"].astype(float).tolist(), strict=True))
    lost = []
    for op_id, key, end in zip(writes["op_id"], writes["key"], writes["end"].astype(float), strict=True):
        survivor = survivors.get(key)
        if survivor is None:
            lost.append(True)
        elif survivor == op_id:
            lost.append(False)
        else:
            lost.append(not start[survivor] > end)
    return pd.Series(lost, index=writes.index, dtype=bool, name="lost")


def lost_elements(acked: Iterable[Hashable], final: Collection[Hashable]) -> set[Hashable]:
    """Acknowledged elements missing from the final state (set workloads).

    Examples
    --------
    >>> sorted(lost_elements(["a", "b", "c"], {"a", "c"}))
    ['b']
    """
    return {e for e in acked if e not in final}


def resurrections(removed: Iterable[Hashable], final: Collection[Hashable]) -> set[Hashable]:
    """Elements whose acknowledged removal was undone: they are back in the final state.

    Examples
    --------
    >>> sorted(resurrections(["a", "b"], {"a", "c"}))
    ['a']
    """
    return {e for e in removed if e in final}


def convergence_time(
    versions: pd.DataFrame,
    final_state: pd.DataFrame,
    live: Iterable[str],
    since: float,
) -> float:
    """Time from ``since`` until every live replica holds the same state for every key.

    ``since`` is the later of the last acknowledged write and the healing of
    the last fault. Replicas agree for good at their last state change,
    provided their final states are equal; if they are not, the answer is
    ``inf``. Never negative.

    Examples
    --------
    >>> v = pd.DataFrame({"time": [1.0, 4.0], "node": ["A", "B"], "key": "x"})
    >>> final = pd.DataFrame({"x": [1, 1]}, index=["A", "B"])
    >>> convergence_time(v, final, ["A", "B"], since=1.0)
    3.0
    >>> convergence_time(v, pd.DataFrame({"x": [1, 2]}, index=["A", "B"]), ["A", "B"], since=1.0)
    inf
    """
    live = [n for n in live]
    if not live:
        return math.inf
    rows = final_state.loc[live]
    for key in rows.columns:
        if len({repr(v) for v in rows[key]}) > 1:
            return math.inf
    changes = versions[versions["node"].isin(live)]["time"] if len(versions) else pd.Series(dtype=float)
    last = float(changes.max()) if len(changes) else since
    return max(0.0, last - since)


def divergence(versions: pd.DataFrame, nodes: Iterable[str], key: str | None = None) -> pd.DataFrame:
    """The number of distinct values across ``nodes`` over time.

    Returns a DataFrame with columns ``time`` and ``distinct`` (a step
    function: the value holds from each time until the next). A replica that
    has not yet seen a key counts as holding ``None``. With ``key=None`` the
    whole state (all keys) is compared.

    Examples
    --------
    >>> v = pd.DataFrame({"time": [0.0, 1.0, 3.0], "node": ["A", "B", "B"],
    ...                   "key": "x", "value": [1, 2, 1]})
    >>> divergence(v, ["A", "B"]).values.tolist()
    [[0.0, 2.0], [1.0, 2.0], [3.0, 1.0]]
    """
    nodes = list(nodes)
    v = versions if key is None else versions[versions["key"] == key]
    state: dict[str, dict[Hashable, str]] = {n: {} for n in nodes}
    times, distinct = [], []
    v = v[v["node"].isin(nodes)].sort_values("time", kind="stable")
    for time, group in v.groupby("time", sort=True):
        for node, k, value in zip(group["node"], group["key"], group["value"], strict=True):
            state[node][k] = repr(value)
        snapshot = {tuple(sorted(s.items())) for s in state.values()}
        times.append(float(time))
        distinct.append(len(snapshot))
    return pd.DataFrame({"time": np.array(times, dtype=float), "distinct": np.array(distinct, dtype=float)})


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, or NaN when there are none.

    Examples
    --------
    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    arr = np.asarray(list(values), dtype=float)
    arr = arr[~np.isnan(arr)]
    return float(np.percentile(arr, q)) if arr.size else math.nan
