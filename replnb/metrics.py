"""Metric definitions: one meaning everywhere (code, plots, prose).

Every function takes the DataFrames of a :class:`~replnb.records.Run`. The
definitions follow DESIGN.md (DDIA chapter 5); **physical time never decides
concurrency**:

- **happens-before**: write W happens before write V (W → V) when the
  replica that accepted V had already applied W, or a write that W happens
  before, at the moment it accepted V. With a single leader this is the
  order of the leader's log, along the chain of leaders the failovers kept.
  **Concurrent**: two writes neither of which happens before the other.
  Version vectors (or the leader's log) decide, never overlapping lifetimes.
- **acknowledged write**: its client received success (``ok`` is true).
- **lost write**: an acknowledged write missing from the converged final
  state: neither a surviving version of its key nor in the causal past of
  one. A write overwritten by a write that had seen it is not lost. Each
  loss has exactly one cause: ``failover`` (the new leader's log never had
  it), ``older_write_won`` (a survivor happens before it: only timestamps
  can do that, the signature of clock skew) or ``concurrent`` (a survivor is
  concurrent with it; where replicas end holding several versions, a
  concurrent survivor takes precedence over an older one).
- **lost element** (set or cart workloads): an acknowledged element missing
  from the final state; a removed element that comes back is a
  **resurrection**.
- **stale read**: a read that misses an acknowledged write that is not lost:
  some write of its key acknowledged (in true time) before the read began
  is neither what it returned nor in the causal past of that. Stale reads
  heal, lost writes never come back: they are always counted apart.
- **read-your-writes violation**: a read that misses (by the same causal
  test) its own client's earlier acknowledged write. **Monotonic-read
  violation**: a read whose version is strictly in the causal past of one
  its client read before. **Consistent-prefix violation**: a reader sees a
  write without a write that happens before it (possibly of another key).
- **convergence time**: from the last acknowledged write (or the healing of
  the last fault, if later) until every live replica holds the same
  versions, the same write identities and not merely equal values, for
  every key; ``inf`` when that never happens within the run.
- **conflict**: two concurrent writes to the same key.

The causal vocabulary
---------------------
The functions named ``causal_*``, :func:`happens_before`,
:func:`concurrent`, :func:`conflicts`, :func:`consistent_prefix_violations`
and ``*_by_identity`` implement these definitions once, for every model, on
a few extra record columns:

``ops`` rows of kind ``write``
    ``dot``: ``(replica, counter)``, the replica (or leader epoch) that
    accepted the write and its counter there (``None`` when no replica
    accepted it); ``vv``: the write's causal context, the version vector
    (:class:`~replnb.engine.clocks.VersionVector` or ``{replica: count}``) of what
    the accepting replica had applied when it accepted the write. Including
    the write's own dot is allowed; a dotted version vector that leaves it
    out stays exact. Then W → V iff ``V.vv[W.dot[0]] >= W.dot[1]`` and
    W ≠ V. A single leader's log has one entry per leader epoch
    (:func:`log_stamps`). Dots must be unique per key: counters may be kept
    per key (per-key version vectors) or across keys (a leader's log); the
    functions compare writes of one key, except along the dependencies
    given to :func:`consistent_prefix_violations`.
``ops`` rows of kind ``read``
    ``returned``: the op_ids of the writes whose versions it returned (a
    tuple: siblings are possible; empty when it found nothing). Its causal
    context is the merge of theirs.
the final state
    per key, the op_ids of the surviving writes; the op_ids that a failover
    discarded come from the model, which alone knows them.
``versions``
    ``held``: the op_ids a replica holds for the key after the change.

The older functions (:func:`lost_writes`, :func:`stale_reads`,
:func:`ryw_violations`, :func:`monotonic_violations`,
:func:`convergence_time`) rank versions by true time and compare values; the
models use them until they record the causal columns.
"""

from __future__ import annotations

import bisect
import contextvars
import math
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "CAUSAL_FIGURES",
    "LOST_CAUSES",
    "Dot",
    "causal_figures",
    "causal_lost_writes",
    "causal_monotonic_violations",
    "causal_ryw_violations",
    "causal_stale_reads",
    "causal_verdicts",
    "concurrent",
    "conflicts",
    "consistent_prefix_violations",
    "converged_by_identity",
    "convergence_time",
    "convergence_time_by_identity",
    "divergence",
    "happens_before",
    "log_stamps",
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
    v = v[v["node"].isin(nodes)]
    state: dict[str, dict[Hashable, str]] = {n: {} for n in nodes}
    at = v["time"].to_numpy(dtype=float)
    order = np.argsort(at, kind="stable")
    order = order[~np.isnan(at[order])]
    at = at[order]
    columns = (v[c].to_numpy()[order] for c in ("node", "key", "value"))
    changes = zip(*columns, strict=True)
    times, distinct = [], []
    for i, (node, k, value) in enumerate(changes):
        state[node][k] = repr(value)
        if i + 1 == len(at) or at[i + 1] != at[i]:  # the last change at this time
            times.append(float(at[i]))
            distinct.append(len({tuple(sorted(s.items())) for s in state.values()}))
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


# ---------------------------------------------------------------------------
# Causal definitions: version vectors decide the order, true time never does
# ---------------------------------------------------------------------------

Dot = tuple[str, int]
"""A write's dot: the replica (or leader epoch) that accepted it, and its counter there."""

_NO_ID = object()


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _is_count(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _as_dot(value: object, param: str, op_id: object = _NO_ID) -> Dot | None:
    """A validated dot, or ``None`` for a write that no replica accepted."""
    if _is_missing(value):
        return None
    if isinstance(value, (tuple, list)) and len(value) == 2:
        node, counter = value
        if isinstance(node, str) and _is_count(counter) and counter >= 1:
            return (node, int(counter))
    where = "" if op_id is _NO_ID else f" of write {op_id!r}"
    raise ValueError(f"{param}: the dot{where} must be a (replica, counter >= 1) pair, got {value!r}")


class VectorLike(Protocol):
    """Anything with ``as_dict() -> {replica: count}``: a :class:`replnb.engine.clocks.VersionVector`.

    The ground floor takes version vectors by this shape, so that it never
    imports the engine.
    """

    def as_dict(self) -> dict[str, int]: ...


def _as_vector(value: object, param: str, op_id: object = _NO_ID) -> dict[str, int]:
    """A validated version vector as a plain dict."""
    if type(value) is not dict and hasattr(value, "as_dict") and not isinstance(value, Mapping):
        value = value.as_dict()
    if type(value) is dict and all(type(n) is str and type(c) is int and c >= 0 for n, c in value.items()):
        return dict(value)  # the common case, checked by exact types: the same dict as below
    where = "" if op_id is _NO_ID else f" of write {op_id!r}"
    if isinstance(value, Mapping) and all(
        isinstance(n, str) and _is_count(c) and c >= 0 for n, c in value.items()
    ):
        return {n: int(c) for n, c in value.items()}
    raise ValueError(
        f"{param}: the vv{where} must be a VersionVector or a {{replica: count >= 0}} mapping, got {value!r}"
    )


def _require(df: object, param: str, columns: Iterable[str]) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{param} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing and len(df):
        raise ValueError(f"{param} lacks the column(s) {', '.join(missing)}")
    if missing:  # a run with no operations records no causal columns: the empty table has them all
        return df.reindex(columns=[*df.columns, *missing])
    return df


def _identities(value: object, param: str, what: str) -> tuple[Hashable, ...]:
    """A collection of write identities (``None``/NaN: none)."""
    if _is_missing(value):
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"{param}: {what} must be a collection of op_ids, got {value!r}")
    return tuple(value)


def log_stamps(epochs: Iterable[str]) -> list[tuple[Dot, dict[str, int]]]:
    """The dot and causal context of each entry of a single leader's log.

    ``epochs`` names, in log order, the leader epoch that appended each
    entry. Entry ``i`` gets the dot ``(epoch, its position within that
    epoch)`` and a vector counting, per epoch, the entries up to and
    including it. A new leader's log keeps the entries of earlier epochs
    that it had, so an entry a failover discarded is in no later entry's
    causal past.

    Examples
    --------
    >>> log_stamps(["e1", "e1", "e2"])
    [(('e1', 1), {'e1': 1}), (('e1', 2), {'e1': 2}), (('e2', 1), {'e1': 2, 'e2': 1})]
    """
    counts: dict[str, int] = {}
    out: list[tuple[Dot, dict[str, int]]] = []
    for epoch in epochs:
        if not isinstance(epoch, str):
            raise ValueError(f"epochs must name leader epochs as str, got {epoch!r}")
        counts[epoch] = counts.get(epoch, 0) + 1
        out.append(((epoch, counts[epoch]), dict(counts)))
    return out


def happens_before(w_dot: Dot, v_dot: Dot, v_vv: VectorLike | Mapping[str, int]) -> bool:
    """W → V: had the replica that accepted V already applied W when it accepted V?

    ``v_vv`` is V's causal context: the version vector of what V's replica
    had applied when it accepted V. It may include V's own dot or not; the
    answer is the same, since no write happens before itself. Compare writes
    of one key, unless the model's counters span keys (a leader's log).

    Parameters
    ----------
    w_dot, v_dot : (str, int)
        The dots of W and V: accepting replica (or leader epoch) and counter.
    v_vv : VersionVector or mapping
        V's causal context.

    Examples
    --------
    >>> happens_before(("A", 1), ("B", 1), {"A": 1, "B": 1})
    True
    >>> from replnb.engine.clocks import VersionVector
    >>> happens_before(("A", 2), ("B", 1), VersionVector.of({"A": 1, "B": 1}))
    False
    >>> happens_before(("A", 1), ("A", 1), {"A": 1})   # irreflexive
    False
    """
    w = _as_dot(w_dot, "w_dot")
    v = _as_dot(v_dot, "v_dot")
    if w is None or v is None:
        raise ValueError("w_dot and v_dot must be dots, got None")
    return w != v and _as_vector(v_vv, "v_vv").get(w[0], 0) >= w[1]


def concurrent(
    w_dot: Dot,
    w_vv: VectorLike | Mapping[str, int],
    v_dot: Dot,
    v_vv: VectorLike | Mapping[str, int],
) -> bool:
    """W ∥ V: two different writes, neither of which happens before the other.

    Examples
    --------
    >>> concurrent(("A", 1), {"A": 1}, ("B", 1), {"B": 1})
    True
    >>> concurrent(("A", 1), {"A": 1}, ("B", 1), {"A": 1, "B": 1})
    False
    """
    before, after = happens_before(w_dot, v_dot, v_vv), happens_before(v_dot, w_dot, w_vv)
    return not before and not after and _as_dot(w_dot, "w_dot") != _as_dot(v_dot, "v_dot")


#: Inside :func:`causal_verdicts`: the tables and verdicts already computed for its inputs.
_SHARED: contextvars.ContextVar[dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] | None] = (
    contextvars.ContextVar("replnb_metrics_shared", default=None)
)
T = TypeVar("T")


def _shared(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, computed once per distinct arguments inside one :func:`causal_verdicts` call.

    The verdicts each build the same write and read tables, and the stale reads
    need the lost writes; within one call they share them (none mutates them).
    Outside a call, every call computes afresh.
    """
    memo = _SHARED.get()
    if memo is None:
        return fn(*args)
    key = (fn, *map(id, args))
    hit = memo.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], args, strict=True)):
        return hit[1]
    value = fn(*args)
    memo[key] = (args, value)  # the arguments stay alive, so their ids are not reused
    return value


_WRITE_COLUMNS = ("op_id", "kind", "key", "ok", "dot", "vv")
_READ_COLUMNS = ("op_id", "kind", "key", "client", "start", "ok", "returned")


def _write_table(ops: pd.DataFrame, param: str = "ops") -> pd.DataFrame:
    """The accepted writes of ``ops``, indexed by ``op_id``.

    Columns ``row`` (the index in ``ops``), ``key, client, end, acked,
    node, counter, vv`` (a dict); ``client`` and ``end`` are optional in
    ``ops``. Acknowledged writes must have a dot.
    """
    return _shared(_build_write_table, ops, param)


def _build_write_table(ops: pd.DataFrame, param: str) -> pd.DataFrame:
    ops = _require(ops, param, _WRITE_COLUMNS)
    if not ops.index.is_unique:
        raise ValueError(f"{param}: the index must be unique")
    writes = ops[ops["kind"] == "write"]
    if not writes["op_id"].is_unique:
        raise ValueError(f"{param}: op_id must be unique among writes")
    optional = [
        writes[c].tolist() if c in writes.columns else [None] * len(writes) for c in ("client", "end")
    ]
    rows = []
    dots: set[tuple[Hashable, str, int]] = set()
    for row, op_id, key, ok, dot, vv, client, end in zip(
        writes.index, *(writes[c].tolist() for c in _WRITE_COLUMNS if c != "kind"), *optional, strict=True
    ):
        acked = bool(ok) and not _is_missing(ok)
        d = _as_dot(dot, param, op_id)
        if d is None:
            if acked:
                raise ValueError(f"{param}: acknowledged write {op_id!r} has no dot")
            continue
        if not (_is_missing(end) or isinstance(end, (int, float, np.number))):
            raise ValueError(f"{param}: the end of write {op_id!r} must be a time (NaN if none), got {end!r}")
        if (key, *d) in dots:
            raise ValueError(f"{param}: two writes of one key share a dot")
        dots.add((key, *d))
        rows.append((op_id, row, key, client, end, acked, d[0], d[1], _as_vector(vv, param, op_id)))
    # Built column by column with their dtypes: on the small tables of a run, astype and
    # set_index would cost more than everything else here.
    cols = list(zip(*rows, strict=True)) if rows else [()] * 9
    vvs = np.empty(len(rows), dtype=object)
    vvs[:] = cols[8]
    return pd.DataFrame(
        {
            "row": pd.Index(cols[1], dtype=ops.index.dtype if rows else None).to_numpy(),
            "key": np.array(cols[2], dtype=object),
            "client": np.array(cols[3], dtype=object),
            "end": np.array([np.nan if _is_missing(e) else e for e in cols[4]], dtype=float),
            "acked": np.array(cols[5], dtype=bool),
            "node": np.array(cols[6], dtype=object),
            "counter": np.array(cols[7], dtype=np.int64),
            "vv": vvs,
        },
        index=pd.Index(cols[0], name="op_id"),
    )


def _covered(nodes: Iterable[str], counters: Iterable[int], vvs: Iterable[Mapping[str, int]]) -> np.ndarray:
    """``covered[i, j]``: does vector ``j`` cover dot ``i`` (``vvs[j][nodes[i]] >= counters[i]``)?"""
    nodes, counters, vvs = list(nodes), np.asarray(list(counters), dtype=np.int64), list(vvs)
    column = {n: k for k, n in enumerate(dict.fromkeys(nodes))}
    matrix = np.zeros((len(vvs), len(column)), dtype=np.int64)
    for j, vv in enumerate(vvs):
        for node, count in vv.items():
            if node in column:
                matrix[j, column[node]] = count
    index = np.array([column[n] for n in nodes], dtype=np.intp)
    return np.asarray(counters[:, None] <= matrix[:, index].T, dtype=bool).reshape(len(nodes), len(vvs))


def _read_table(ops: pd.DataFrame, writes: pd.DataFrame, param: str = "ops") -> pd.DataFrame:
    """The completed reads of ``ops`` (index kept): ``client, key, start, returned, vv``.

    ``vv`` is the merge of the returned writes' causal contexts.
    """
    return _shared(_build_read_table, ops, writes, param)


def _build_read_table(ops: pd.DataFrame, writes: pd.DataFrame, param: str) -> pd.DataFrame:
    ops = _require(ops, param, _READ_COLUMNS)
    completed = [bool(ok) and not _is_missing(ok) for ok in ops["ok"].tolist()]
    reads = ops[(ops["kind"] == "read").to_numpy(dtype=bool) & np.array(completed, dtype=bool)]
    key_of = dict(zip(writes.index, writes["key"], strict=True))
    vv_of: dict[Hashable, dict[str, int]] = dict(zip(writes.index, writes["vv"], strict=True))
    returned, merged = [], []
    for op_id, key, got in zip(reads["op_id"], reads["key"], reads["returned"], strict=True):
        ids = _identities(got, param, f"returned of read {op_id!r}")
        vv: dict[str, int] = {}
        for w in ids:
            if w not in key_of or key_of[w] != key:
                raise ValueError(f"{param}: read {op_id!r} returned {w!r}, not an accepted write of its key")
            for node, count in vv_of[w].items():
                vv[node] = max(vv.get(node, 0), count)
        returned.append(ids)
        merged.append(vv)
    out = reads[["op_id", "client", "key"]].copy()
    out["start"] = reads["start"].astype(float)
    out["returned"] = returned
    out["vv"] = merged
    return out


def _missed(writes: pd.DataFrame, reads: pd.DataFrame) -> np.ndarray:
    """``missed[i, j]``: is write ``i`` neither returned by read ``j`` nor in its causal past?"""
    covered = _covered(writes["node"], writes["counter"], reads["vv"])
    positions: dict[Hashable, list[int]] = {}
    for i, w in enumerate(writes.index):  # a write may stand in several rows (one per dependency)
        positions.setdefault(w, []).append(i)
    for j, ids in enumerate(reads["returned"]):
        for w in ids:
            for i in positions.get(w, ()):
                covered[i, j] = True
    return ~covered


class _Arrays:
    """The write and read tables of one history as numpy arrays, for the verdicts' matrix tests.

    Built once per :func:`causal_verdicts` call (:func:`_arrays`); every
    verdict then takes rows (writes) and columns (reads) of the same test as
    :func:`_missed`, without building DataFrames per group.
    """

    def __init__(self, writes: pd.DataFrame, reads: pd.DataFrame) -> None:
        column = {n: k for k, n in enumerate(dict.fromkeys(writes["node"].tolist()))}
        self.w_node = np.array([column[n] for n in writes["node"].tolist()], dtype=np.intp)
        self.w_counter = writes["counter"].to_numpy(dtype=np.int64)
        self.w_end = writes["end"].to_numpy(dtype=float)
        self.r_start = reads["start"].to_numpy(dtype=float)
        self.read_vv = _vv_matrix(reads["vv"], column)
        n_w = len(writes)
        self.w_key, self.r_key = _joint_codes(writes["key"], reads["key"])
        self.w_client, self.r_client = _joint_codes(writes["client"], reads["client"])
        position = {w: i for i, w in enumerate(writes.index)}
        self.returned = [[position[w] for w in ids] for ids in reads["returned"]]
        pairs = [(i, j) for j, ids in enumerate(self.returned) for i in ids]
        self.ret_w = np.array([i for i, _ in pairs], dtype=np.intp)
        self.ret_r = np.array([j for _, j in pairs], dtype=np.intp)
        self.shape = (n_w, len(reads))

    def missed(self, wi: np.ndarray, rj: np.ndarray) -> np.ndarray:
        """``missed[a, b]``: is write ``wi[a]`` neither returned by read ``rj[b]`` nor in its causal past?

        ``wi`` holds distinct positions.
        """
        covered = self.w_counter[wi][:, None] <= self.read_vv[rj][:, self.w_node[wi]].T
        if self.ret_w.size and wi.size and rj.size:
            w_at = np.full(self.shape[0], -1, dtype=np.intp)
            w_at[wi] = np.arange(wi.size)
            r_at = np.full(self.shape[1], -1, dtype=np.intp)
            r_at[rj] = np.arange(rj.size)
            a, b = w_at[self.ret_w], r_at[self.ret_r]
            hit = (a >= 0) & (b >= 0)
            covered[a[hit], b[hit]] = True
        return ~covered


def _vv_matrix(vvs: Iterable[Mapping[str, int]], column: Mapping[str, int]) -> np.ndarray:
    """``matrix[j, column[node]]``: the count of ``node`` in vector ``j`` (other nodes left out)."""
    vvs = list(vvs)
    matrix = np.zeros((len(vvs), len(column)), dtype=np.int64)
    for j, vv in enumerate(vvs):
        for node, count in vv.items():
            k = column.get(node)
            if k is not None:
                matrix[j, k] = count
    return matrix


def _joint_codes(first: pd.Series, second: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of two columns' values, equal exactly where the values are (missing values one code)."""
    values = np.empty(len(first) + len(second), dtype=object)
    values[: len(first)] = first.tolist()
    values[len(first) :] = second.tolist()
    codes = pd.factorize(values, use_na_sentinel=False)[0]
    return codes[: len(first)], codes[len(first) :]


def _arrays(writes: pd.DataFrame, reads: pd.DataFrame) -> _Arrays:
    return _shared(_Arrays, writes, reads)


LOST_CAUSES = ("failover", "older_write_won", "concurrent")
"""The causes of a lost write (precedence: failover, then concurrent, then older_write_won)."""


def _survivors(final: object, writes: pd.DataFrame) -> dict[Hashable, tuple[Hashable, ...]]:
    if not isinstance(final, Mapping):
        raise ValueError(f"final must be a mapping {{key: surviving op_ids}}, got {type(final).__name__}")
    key_of = dict(zip(writes.index, writes["key"], strict=True))
    out = {}
    for key, ids in final.items():
        out[key] = _identities(ids, "final", f"the survivors of key {key!r}")
        for w in out[key]:
            if w not in key_of or key_of[w] != key:
                raise ValueError(f"final: {w!r} is not an accepted write of key {key!r}")
    return out


def _loss_cause(
    op_id: Hashable,
    key: Hashable,
    survivors: tuple[Hashable, ...],
    discarded: Collection[Hashable],
    after: np.ndarray,
) -> str:
    """The one cause of a loss, by precedence: failover, concurrent, older_write_won.

    ``after[i]``: survivor ``i`` happens before the lost write. A survivor
    concurrent with it explains the loss without clocks, so ``older_write_won``
    (the clock-skew signature) is left for losses where every survivor came
    before the write: in a converged state there is one survivor, and the two
    orders agree; they differ only when replicas end holding several versions.
    """
    if op_id in discarded:
        return "failover"
    if survivors and not after.all():
        return "concurrent"
    if after.any():
        return "older_write_won"
    raise ValueError(
        f"final: key {key!r} has no surviving write, so the loss of acknowledged write {op_id!r} "
        "has no cause (list it in discarded if a failover dropped it)"
    )


def causal_lost_writes(
    ops: pd.DataFrame,
    final: Mapping[Hashable, Iterable[Hashable]],
    discarded: Collection[Hashable] = (),
) -> pd.DataFrame:
    """One row per acknowledged write: is it lost, and why?

    A write is lost when it is neither a surviving version of its key nor in
    the causal past of one. The cause of each loss, by precedence:
    ``failover`` (it is in ``discarded``), ``concurrent`` (a survivor is
    concurrent with it), ``older_write_won`` (every survivor happens before
    it: only timestamps can keep those).

    Parameters
    ----------
    ops : DataFrame
        Client operations with ``op_id, kind, key, ok, dot, vv`` (other
        columns are ignored; rows of other kinds too). For each write,
        ``dot`` is ``(replica, counter)`` (``None`` when no replica accepted
        it) and ``vv`` its causal context.
    final : mapping
        The converged final state: for each key, the op_ids of its surviving
        writes (siblings are possible). A key left out has none.
    discarded : collection
        The op_ids that a failover discarded (the new leader's log never had
        them): a fact only the model knows.

    Returns
    -------
    DataFrame
        ``op_id, key, lost, lost_cause`` (``None`` when not lost), indexed
        like ``ops``.

    Raises
    ------
    ValueError
        On malformed input, or a loss without a cause (no survivor and not
        in ``discarded``).

    Examples
    --------
    >>> ops = pd.DataFrame({"op_id": [1, 2, 3], "kind": "write", "key": "x", "client": "c",
    ...     "end": [1.0, 2.0, 3.0], "ok": True, "dot": [("A", 1), ("A", 2), ("B", 1)],
    ...     "vv": [{"A": 1}, {"A": 2}, {"A": 1, "B": 1}]})
    >>> causal_lost_writes(ops, {"x": [3]})   # 3 saw 1 but not 2
       op_id key   lost  lost_cause
    0      1   x  False        None
    1      2   x   True  concurrent
    2      3   x  False        None
    """
    writes = _write_table(ops)
    survivors = _survivors(final, writes)
    discarded = set(_identities(discarded, "discarded", "discarded"))
    acked = writes[writes["acked"]]
    column = {n: k for k, n in enumerate(dict.fromkeys(writes["node"].tolist()))}
    node = np.array([column[n] for n in writes["node"].tolist()], dtype=np.intp)
    counter = writes["counter"].to_numpy(dtype=np.int64)
    vv = _vv_matrix(writes["vv"], column)
    position = {w: i for i, w in enumerate(writes.index)}
    keys = writes["key"].tolist()
    codes = pd.factorize(writes["key"].to_numpy(dtype=object), use_na_sentinel=False)[0]
    is_acked = writes["acked"].to_numpy(dtype=bool)
    verdict: dict[Hashable, tuple[bool, str | None]] = {}
    for code in dict.fromkeys(codes[is_acked].tolist()):
        group = np.flatnonzero(is_acked & (codes == code))
        key = keys[group[0]]
        alive = survivors.get(key, ())
        live = np.array([position[w] for w in alive], dtype=np.intp)
        is_survivor = np.isin(group, live)
        seen = (counter[group][:, None] <= vv[live][:, node[group]].T).any(axis=1) | is_survivor
        before = (counter[live][:, None] <= vv[group][:, node[live]].T).T  # [write, survivor]: survivor → it
        for i, at in enumerate(group.tolist()):
            op_id = writes.index[at]
            gone = not seen[i]
            verdict[op_id] = (gone, _loss_cause(op_id, key, alive, discarded, before[i]) if gone else None)
    index = pd.Index(acked["row"].to_numpy(), name=ops.index.name)
    return pd.DataFrame(
        {
            "op_id": acked.index.to_numpy(),
            "key": acked["key"].to_numpy(),
            "lost": np.array([verdict[w][0] for w in acked.index], dtype=bool),
            "lost_cause": pd.Series([verdict[w][1] for w in acked.index], index=index, dtype=object),
        },
        index=index,
    )


def _misses_earlier_ack(arrays: _Arrays, among: np.ndarray, same_client: bool) -> np.ndarray:
    """Per read: does it miss a write of ``among`` (a mask of the writes) acknowledged before it began?

    With ``same_client``, only the reader's own writes count.
    """
    flags = np.zeros(arrays.shape[1], dtype=bool)
    for key in np.unique(arrays.r_key):
        wi = np.flatnonzero(among & (arrays.w_key == key))
        if not wi.size:
            continue
        reads = np.flatnonzero(arrays.r_key == key)
        for lo in range(0, len(reads), 1024):  # bounded memory: |writes| x 1024 at most
            rj = reads[lo : lo + 1024]
            relevant = arrays.w_end[wi][:, None] < arrays.r_start[rj][None, :]
            if same_client:
                relevant &= arrays.w_client[wi][:, None] == arrays.r_client[rj][None, :]
            flags[rj] = (relevant & arrays.missed(wi, rj)).any(axis=0)
    return flags


def causal_stale_reads(
    ops: pd.DataFrame,
    final: Mapping[Hashable, Iterable[Hashable]],
    discarded: Collection[Hashable] = (),
) -> pd.Series:
    """A boolean per completed read: did it miss an acknowledged write that is not lost?

    A read misses a write of its key acknowledged (in true time) before the
    read began when that write is neither returned nor in the causal past of
    what it returned. Lost writes (:func:`causal_lost_writes` with the same
    ``final`` and ``discarded``) never make a read stale: they never come
    back, so no replica could have served them.

    Parameters
    ----------
    ops : DataFrame
        ``op_id, kind, key, client, start, end, ok`` plus ``dot, vv`` for
        writes and ``returned`` for reads (the op_ids it returned; siblings
        are possible, an empty tuple or ``None`` when it found nothing). Only
        completed reads (``ok``) are judged; ``end`` is the acknowledgement
        time of a write.
    final, discarded
        As for :func:`causal_lost_writes`.

    Examples
    --------
    >>> ops = pd.DataFrame({"op_id": [1, 2, 3], "kind": ["write", "read", "read"], "key": "x",
    ...     "client": ["a", "b", "b"], "start": [0.0, 1.0, 5.0], "end": [2.0, 1.5, 6.0], "ok": True,
    ...     "dot": [("A", 1), None, None], "vv": [{"A": 1}, None, None], "returned": [None, (), ()]})
    >>> causal_stale_reads(ops, {"x": [1]}).tolist()   # the second read began after 1 was acknowledged
    [False, True]
    """
    writes = _write_table(_require(ops, "ops", ("end",)))
    reads = _read_table(ops, writes)
    verdict = _shared(causal_lost_writes, ops, final, discarded)
    lost = set(verdict.loc[verdict["lost"], "op_id"])
    kept = writes["acked"].to_numpy(dtype=bool) & ~writes.index.isin(list(lost))
    flags = _misses_earlier_ack(_arrays(writes, reads), kept, same_client=False)
    return pd.Series(flags, index=reads.index, name="stale")


def causal_ryw_violations(ops: pd.DataFrame) -> pd.Series:
    """A boolean per completed read: did it miss the same client's own earlier acknowledged write?

    The causal test of :func:`causal_stale_reads`, restricted to the
    reader's own writes of the key, acknowledged before the read began.
    Unlike a stale read, a lost own write counts: the client does not see
    what it wrote.

    Parameters
    ----------
    ops : DataFrame
        As for :func:`causal_stale_reads`.

    Examples
    --------
    >>> ops = pd.DataFrame({"op_id": [1, 2, 3], "kind": ["write", "read", "read"], "key": "x",
    ...     "client": ["a", "a", "b"], "start": [0.0, 5.0, 5.0], "end": [2.0, 6.0, 6.0], "ok": True,
    ...     "dot": [("A", 1), None, None], "vv": [{"A": 1}, None, None], "returned": [None, (), ()]})
    >>> causal_ryw_violations(ops).tolist()   # only the writer's own read counts
    [True, False]
    """
    writes = _write_table(_require(ops, "ops", ("end",)))
    reads = _read_table(ops, writes)
    acked = writes["acked"].to_numpy(dtype=bool)
    flags = _misses_earlier_ack(_arrays(writes, reads), acked, same_client=True)
    return pd.Series(flags, index=reads.index, name="ryw_violation")


def causal_monotonic_violations(ops: pd.DataFrame) -> pd.Series:
    """A boolean per completed read: is what it returned causally older than what its client read before?

    Each read's causal history is what it returned plus the causal past of
    that. A read violates monotonic reads when its history is a strict subset
    of the history of an earlier read (by ``start``) of the same client and
    key: for single versions, when its version happens before the earlier
    one. A concurrent version is not older.

    Parameters
    ----------
    ops : DataFrame
        As for :func:`causal_stale_reads`, without ``end``.

    Examples
    --------
    >>> ops = pd.DataFrame({"op_id": [1, 2, 3, 4, 5], "kind": ["write", "write", "read", "read", "read"],
    ...     "key": "x", "client": ["w", "w", "r", "r", "r"], "start": [0.0, 1.0, 2.0, 3.0, 4.0],
    ...     "end": [0.5, 1.5, 2.5, 3.5, 4.5], "ok": True, "dot": [("A", 1), ("A", 2), None, None, None],
    ...     "vv": [{"A": 1}, {"A": 2}, None, None, None], "returned": [None, None, (2,), (1,), (2,)]})
    >>> causal_monotonic_violations(ops).tolist()
    [False, True, False]
    """
    writes = _write_table(ops)
    reads = _read_table(ops, writes)
    arrays = _arrays(writes, reads)
    flags = np.zeros(len(reads), dtype=bool)
    order = np.argsort(arrays.r_start, kind="stable")  # as a stable sort by start (NaN last)
    groups = (arrays.r_client * (int(arrays.r_key.max(initial=0)) + 1) + arrays.r_key)[order]
    for code in dict.fromkeys(groups.tolist()):  # each client's reads of one key, by start
        members = order[groups == code]
        seen = list(dict.fromkeys(w for j in members for w in arrays.returned[j]))
        held = ~arrays.missed(np.array(seen, dtype=np.intp), members)  # [write, read]: in its history
        # Counted in float32 so that numpy hands the product to BLAS (integer products are
        # not): the counts stay far below 2**24, where float32 is exact.
        returned = np.zeros((len(members), len(seen)), dtype=np.float32)
        column = {w: k for k, w in enumerate(seen)}
        for i, j in enumerate(members):
            returned[i, [column[w] for w in arrays.returned[j]]] = 1
        within = (returned @ (~held).astype(np.float32)) == 0  # within[i, j]: history(i) ⊆ history(j)
        older = within & ~within.T & np.tri(len(members), k=-1, dtype=bool)
        flags[members] = older.any(axis=1)
    return pd.Series(flags, index=reads.index, name="monotonic_violation")


def _dependency_edges(depends_on: object, writes: pd.DataFrame) -> list[tuple[Hashable, Hashable]]:
    if not isinstance(depends_on, Mapping):
        raise ValueError(f"depends_on must be a mapping {{op_id: op_ids}}, got {type(depends_on).__name__}")
    edges = [
        (v, w) for v, ws in depends_on.items() for w in _identities(ws, "depends_on", f"depends_on[{v!r}]")
    ]
    for v, w in edges:
        for op_id in (v, w):
            if op_id not in writes.index:
                raise ValueError(f"depends_on: {op_id!r} is not an accepted write")
    return edges


def consistent_prefix_violations(
    ops: pd.DataFrame, depends_on: Mapping[Hashable, Iterable[Hashable]]
) -> pd.Series:
    """A boolean per completed read: does its reader see a write without one that happens before it?

    Once a client has seen a write V (a read of V's key returned V or a
    write that V happens before), every read it makes of the key of a dependency
    W of V, from that read on, must have W in its causal history (returned,
    or in the causal past of what it returned). Dependencies may cross keys,
    so they are given explicitly; a lost dependency still counts.

    Parameters
    ----------
    ops : DataFrame
        As for :func:`causal_stale_reads`, without ``end``.
    depends_on : mapping
        ``{V: [W, ...]}``: the op_ids of writes that happen before V and
        that a reader of V must also see.

    Examples
    --------
    The answer (3, key ``a``) depends on the question (1, key ``q``). The
    observer reads the answer, then a replica that lacks the question:

    >>> ops = pd.DataFrame({"op_id": [1, 3, 4, 5], "kind": ["write", "write", "read", "read"],
    ...     "key": ["q", "a", "a", "q"], "client": ["p", "p", "o", "o"], "start": [0.0, 1.0, 2.0, 3.0],
    ...     "end": [0.5, 1.5, 2.5, 3.5], "ok": True, "dot": [("A", 1), ("A", 2), None, None],
    ...     "vv": [{"A": 1}, {"A": 2}, None, None], "returned": [None, None, (3,), ()]})
    >>> consistent_prefix_violations(ops, {3: [1]}).tolist()
    [False, True]
    """
    writes = _write_table(ops)
    reads = _read_table(ops, writes)
    edges = _dependency_edges(depends_on, writes)
    flags = pd.Series(False, index=reads.index, name="consistent_prefix_violation")
    if not edges:
        return flags
    later, earlier = (list(side) for side in zip(*edges, strict=True))
    later_key = writes.loc[later, "key"].to_numpy(dtype=object)[:, None]
    earlier_key = writes.loc[earlier, "key"].to_numpy(dtype=object)[:, None]
    ordered = reads.sort_values("start", kind="stable")
    for _, group in ordered.groupby("client", sort=False, dropna=False):
        read_key = group["key"].to_numpy(dtype=object)[None, :]
        seen = (later_key == read_key) & ~_missed(writes.loc[later], group)  # [edge, read]
        seen = np.logical_or.accumulate(seen, axis=1)
        flags[group.index] = (seen & (earlier_key == read_key) & _missed(writes.loc[earlier], group)).any(
            axis=0
        )
    return flags


def conflicts(ops: pd.DataFrame) -> int:
    """The number of conflicts: unordered pairs of concurrent writes to the same key.

    Every accepted write counts (acknowledged or not): a conflict is a fact
    about the writes, whichever of them survives.

    Parameters
    ----------
    ops : DataFrame
        ``op_id, kind, key, ok, dot, vv`` (see :func:`causal_lost_writes`).

    Examples
    --------
    >>> ops = pd.DataFrame({"op_id": [1, 2, 3], "kind": "write", "key": "x", "client": "c",
    ...     "end": 1.0, "ok": True, "dot": [("A", 1), ("B", 1), ("C", 1)],
    ...     "vv": [{"A": 1}, {"B": 1}, {"A": 1, "B": 1, "C": 1}]})
    >>> conflicts(ops)   # 1 and 2 are concurrent; 3 saw both
    1
    """
    writes = _write_table(ops)
    column = {n: k for k, n in enumerate(dict.fromkeys(writes["node"].tolist()))}
    node = np.array([column[n] for n in writes["node"].tolist()], dtype=np.intp)
    counter = writes["counter"].to_numpy(dtype=np.int64)
    vv = _vv_matrix(writes["vv"], column)
    keys = pd.factorize(writes["key"].to_numpy(dtype=object), use_na_sentinel=False)[0]
    total = 0
    for key in np.unique(keys):
        wi = np.flatnonzero(keys == key)
        before = counter[wi][:, None] <= vv[wi][:, node[wi]].T  # [i, j]: j's context covers i's dot
        np.fill_diagonal(before, False)
        total += int(np.triu(~before & ~before.T, k=1).sum())
    return total


def _held_changes(versions: pd.DataFrame) -> list[tuple[float, str, Hashable, frozenset[Hashable]]]:
    """``(time, node, key, identities held)`` per change, in time order (ties keep their order)."""
    has_held = isinstance(versions, pd.DataFrame) and "held" in versions.columns
    _require(versions, "versions", ("time", "node", "key", "held" if has_held else "op_id"))
    v = versions.sort_values("time", kind="stable")
    times = pd.to_numeric(v["time"], errors="coerce")
    if times.isna().any():
        raise ValueError("versions: time must be numeric and present")
    if has_held:
        held = [frozenset(_identities(h, "versions", "held")) for h in v["held"]]
    else:
        held = [frozenset() if _is_missing(w) else frozenset([w]) for w in v["op_id"]]
    return list(zip(times.astype(float).tolist(), v["node"].tolist(), v["key"].tolist(), held, strict=True))


def _live_nodes(live: object) -> set[str]:
    if isinstance(live, str) or not isinstance(live, Iterable):
        raise ValueError(f"live must be a collection of replica names, got {live!r}")
    return set(live)


def _agreed_since(versions: pd.DataFrame, live: Iterable[str]) -> float | None:
    """Since when the live replicas hold the same write identities for every key (``None``: not at the end).

    ``-inf`` when they never disagreed.
    """
    nodes = _live_nodes(live)
    state: dict[tuple[str, Hashable], frozenset[Hashable]] = {}
    tally: dict[Hashable, dict[frozenset[Hashable], int]] = {}  # key -> held set -> number of live replicas
    split: set[Hashable] = set()  # keys on which the live replicas disagree
    since: float | None = -math.inf
    changes = [c for c in _held_changes(versions) if c[1] in nodes]
    for i, (time, node, key, held) in enumerate(changes):
        counts = tally.setdefault(key, {frozenset(): len(nodes)})
        old = state.get((node, key), frozenset())
        counts[old] -= 1
        if not counts[old]:
            del counts[old]
        counts[held] = counts.get(held, 0) + 1
        state[(node, key)] = held
        (split.add if len(counts) > 1 else split.discard)(key)
        if i + 1 == len(changes) or changes[i + 1][0] != time:  # all changes at this instant applied
            if split:
                since = None
            elif since is None:
                since = time
    return since


def converged_by_identity(versions: pd.DataFrame, live: Iterable[str]) -> bool:
    """Do the live replicas end holding the same write identities (not merely equal values) for every key?

    Parameters
    ----------
    versions : DataFrame
        Replica state changes: ``time, node, key`` and ``held``, the op_ids
        the replica holds for the key after the change (siblings are
        possible; empty or ``None`` when it holds none). Without ``held``,
        ``op_id`` names the single write held (``None``/NaN: none). A key a
        replica never recorded counts as holding none.
    live : collection of str
        The replicas alive at the end of the run.

    Examples
    --------
    >>> v = pd.DataFrame({"time": [1.0, 2.0], "node": ["A", "B"], "key": "x", "value": 7, "op_id": [1, 2]})
    >>> converged_by_identity(v, ["A", "B"])   # equal values, different writes
    False
    >>> converged_by_identity(v.assign(op_id=1), ["A", "B"])
    True
    """
    return _agreed_since(versions, live) is not None


def convergence_time_by_identity(
    versions: pd.DataFrame,
    live: Iterable[str],
    last_ack: float,
    last_heal: float | None = None,
) -> float:
    """Time from the last acknowledged write (or the last healing, if later) until the live replicas agree.

    Agreement is by write identity (see :func:`converged_by_identity`) and
    for good: from the last instant at which the live replicas went from
    disagreeing to holding the same identities for every key, never to
    disagree again. Never negative (0 when they already agreed); ``inf``
    when they disagree at the end of the run or no replica is live.

    Parameters
    ----------
    versions : DataFrame
        As for :func:`converged_by_identity`.
    live : collection of str
        The replicas alive at the end of the run.
    last_ack : float
        The true time the last acknowledged write completed (NaN if none).
    last_heal : float, optional
        The true time the last fault healed, if any.

    Examples
    --------
    >>> v = pd.DataFrame({"time": [1.0, 4.0, 9.0], "node": ["A", "B", "B"], "key": "x",
    ...                   "held": [(1,), (2,), (1,)]})
    >>> convergence_time_by_identity(v, ["A", "B"], last_ack=1.0)
    8.0
    >>> convergence_time_by_identity(v.iloc[:2], ["A", "B"], last_ack=1.0)
    inf
    """
    for name, value in (("last_ack", last_ack), ("last_heal", last_heal)):
        if value is not None and not isinstance(value, (int, float, np.number)):
            raise ValueError(f"{name} must be a time in ms (or NaN), got {value!r}")
    nodes = _live_nodes(live)
    agreed = _agreed_since(versions, nodes)
    if agreed is None or not nodes:
        return math.inf
    marks = [float(t) for t in (last_ack, last_heal) if t is not None and not math.isnan(float(t))]
    since = max(marks, default=0.0)
    return max(0.0, agreed - since)


#: The figures every model's ``run.metrics`` reports under these names (see :func:`causal_figures`).
CAUSAL_FIGURES = (
    "lost_writes",
    "lost_failover",
    "lost_older_write_won",
    "lost_concurrent",
    "stale_reads",
    "ryw_violations",
    "monotonic_violations",
    "conflicts",
)


def causal_verdicts(
    ops: pd.DataFrame,
    final: Mapping[Hashable, Iterable[Hashable]],
    discarded: Collection[Hashable] = (),
) -> pd.DataFrame:
    """Every causal verdict on ``ops``, as columns indexed like ``ops``.

    ``lost`` and ``lost_cause`` (acknowledged writes; see
    :func:`causal_lost_writes`), ``stale``, ``ryw_violation`` and
    ``monotonic_violation`` (completed reads). A row that a verdict does not
    judge holds ``False`` (``None`` for ``lost_cause``), so a model can join
    the frame onto its ``run.ops`` as it is.

    Examples
    --------
    >>> ops = pd.DataFrame({"op_id": [1, 2, 3], "kind": ["write", "write", "read"], "key": "x",
    ...     "client": ["c1", "c2", "c1"], "start": [0.0, 0.0, 5.0], "end": [1.0, 1.0, 6.0], "ok": True,
    ...     "dot": [("A", 1), ("B", 1), None], "vv": [{"A": 1}, {"B": 1}, None],
    ...     "returned": [None, None, (2,)]})
    >>> causal_verdicts(ops, {"x": [2]})[["lost", "lost_cause", "stale"]]
        lost  lost_cause  stale
    0   True  concurrent  False
    1  False        None  False
    2  False        None  False
    """
    token = _SHARED.set({})
    try:
        return _verdicts(ops, final, discarded)
    finally:
        _SHARED.reset(token)


def _verdicts(
    ops: pd.DataFrame, final: Mapping[Hashable, Iterable[Hashable]], discarded: Collection[Hashable]
) -> pd.DataFrame:
    """:func:`causal_verdicts`'s columns (its tables and lost writes shared between the verdicts)."""
    lost = _shared(causal_lost_writes, ops, final, discarded)
    at = ops.index.get_indexer(lost.index)  # the index is unique (the write table checks it)
    columns: dict[str, np.ndarray] = {"lost": np.zeros(len(ops), dtype=bool)}
    columns["lost"][at] = lost["lost"].to_numpy(dtype=bool)
    columns["lost_cause"] = np.full(len(ops), None, dtype=object)
    columns["lost_cause"][at] = [None if _is_missing(c) else c for c in lost["lost_cause"].tolist()]
    reads = (ops["kind"] == "read").any()
    for column, verdict in (
        ("stale", lambda: causal_stale_reads(ops, final, discarded)),
        ("ryw_violation", lambda: causal_ryw_violations(ops)),
        ("monotonic_violation", lambda: causal_monotonic_violations(ops)),
    ):
        columns[column] = np.zeros(len(ops), dtype=bool)
        if reads:
            judged = verdict()
            columns[column][ops.index.get_indexer(judged.index)] = judged.to_numpy(dtype=bool)
    out = pd.DataFrame(columns, index=ops.index)
    out["lost_cause"] = pd.Series(columns["lost_cause"], index=ops.index, dtype=object)  # not a str dtype
    return out


def causal_figures(ops: pd.DataFrame, verdicts: pd.DataFrame) -> dict[str, int]:
    """The counts of :data:`CAUSAL_FIGURES` from ``ops`` and its :func:`causal_verdicts`.

    Examples
    --------
    >>> ops = pd.DataFrame({"op_id": [1, 2], "kind": "write", "key": "x", "ok": True,
    ...     "dot": [("A", 1), ("B", 1)], "vv": [{"A": 1}, {"B": 1}]})
    >>> figures = causal_figures(ops, causal_verdicts(ops, {"x": [2]}))
    >>> figures["lost_writes"], figures["lost_concurrent"], figures["conflicts"]
    (1, 1, 1)
    """
    causes = verdicts["lost_cause"].value_counts()
    return {
        "lost_writes": int(verdicts["lost"].sum()),
        "lost_failover": int(causes.get("failover", 0)),
        "lost_older_write_won": int(causes.get("older_write_won", 0)),
        "lost_concurrent": int(causes.get("concurrent", 0)),
        "stale_reads": int(verdicts["stale"].sum()),
        "ryw_violations": int(verdicts["ryw_violation"].sum()),
        "monotonic_violations": int(verdicts["monotonic_violation"].sum()),
        "conflicts": conflicts(ops),
    }
