"""Is a run linearizable? A checker for the key-value histories of ``run.ops``.

A history is **linearizable** when every operation can be given one instant
between its start and its end such that, taken in the order of those
instants, the operations make sense against a single copy of the data: a
read returns the value of the latest write before it. :func:`check` decides
this for the ``run.ops`` table of any model of the package.

How it decides
    The search of Wing and Gong: repeatedly pick, among the operations not
    yet placed, one that may come next (no unplaced operation ended before it
    started), apply it to the sequential model, and backtrack when no choice
    is left. Lowe's memoization prunes it: a pair (set of operations placed,
    model state) reached once need not be explored again; the set is an
    ``int`` used as a bitset. Each key is checked on its own, which is enough:
    a history is linearizable exactly when the sub-history of every key is.

Sequential models
    A **register** (``kind`` ``"write"`` sets the value, ``"read"`` returns
    it); a read of a key never written returns ``None`` (models record
    ``None`` or NaN; both mean "never written"). A key whose writes carry
    ``op`` ``"add"``/``"remove"`` (the cart workload of
    :mod:`replnb.multi_leader`) is a **set**: a read returns the items added
    and not removed since, in any order.

Failures and timeouts
    A write whose client saw no success (``ok`` false, or ``end`` NaN) may
    have taken effect at any time after it started, or never: its end counts
    as +infinity and the search may leave it out. A read that failed tells
    nothing and is dropped; so is such a write when no read returned its
    value (placing it last, where it changes nothing, is always allowed).

Witnesses
    For every key that is not linearizable, :func:`check` shrinks its history
    by deletion to a small set of operations that still has no legal order:
    removing any one of them makes the rest linearizable. Removing a write
    also removes the reads that return a value no remaining write wrote
    (they could not be explained by anything left), so that a stale read
    keeps the writes that make it stale instead of shrinking to "a read of a
    value nobody wrote". The witness comes with a sentence saying what is
    wrong and the real-time precedence pairs among its operations (``a``
    precedes ``b`` when ``a`` ended before ``b`` started), which is what a
    plot needs.

Examples
--------
>>> import pandas as pd
>>> ops = pd.DataFrame({
...     "op_id": [0, 1, 2], "kind": ["write", "write", "read"], "key": "x",
...     "value": [1, 2, 1], "start": [0.0, 2.0, 4.0], "end": [1.0, 3.0, 5.0], "ok": True})
>>> result = check(ops)
>>> result.linearizable
False
>>> print(result.reason)
key 'x': read r2 returned 1 after write w1 of 2 completed (write w0 of 1 had completed before w1 began)
"""

from __future__ import annotations

import html
import itertools
import math
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .params import Flag, Int, Real, checked

__all__ = ["CheckResult", "KeyResult", "check", "verdict_table"]

REQUIRED_COLUMNS = ("op_id", "kind", "key", "value", "start", "end", "ok")
MAX_BUDGET = 10_000_000
MAX_TIMEOUT = 3600.0
DEFAULT_BUDGET = 1_000_000

# operation codes of the sequential models
_READ, _WRITE, _ADD, _REMOVE = 0, 1, 2, 3
_VERB = {_READ: "read", _WRITE: "write", _ADD: "add", _REMOVE: "remove"}
_SET_OPS = {"add": _ADD, "remove": _REMOVE}
_INITIAL = 0  # the state code of "never written" (register) and of the empty set


@dataclass(frozen=True)
class _Op:
    """One operation as the search sees it."""

    op_id: int
    code: int  # _READ, _WRITE, _ADD or _REMOVE
    arg: int  # write: value code; add/remove: item bit; read: expected state
    start: float
    end: float  # +inf for a write whose outcome the client never learned
    value: Any  # the value as recorded, for the explanations

    @property
    def indefinite(self) -> bool:
        return self.end == math.inf

    @property
    def name(self) -> str:
        return f"{'r' if self.code == _READ else 'w'}{self.op_id}"

    @property
    def label(self) -> str:
        return f"{_VERB[self.code]} {self.name}"


# -- validation -------------------------------------------------------------------------------------
def _check_frame(ops: object) -> pd.DataFrame:
    if not isinstance(ops, pd.DataFrame):
        raise ValueError(f"ops must be a pandas DataFrame (run.ops), got {type(ops).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in ops.columns]
    if missing:
        raise ValueError(f"ops must have the columns {list(REQUIRED_COLUMNS)}; missing {missing}")
    ids = ops["op_id"]
    if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in ids):
        raise ValueError("ops['op_id'] must hold integers")
    if ids.duplicated().any():
        raise ValueError(
            f"ops['op_id'] must be unique, got duplicates {sorted(ids[ids.duplicated()].tolist())}"
        )
    bad_kind = sorted({str(k) for k in ops["kind"] if k not in ("read", "write")})
    if bad_kind:
        raise ValueError(f"ops['kind'] must be 'read' or 'write', got {bad_kind}")
    if not all(isinstance(x, (bool, np.bool_)) for x in ops["ok"]):
        raise ValueError("ops['ok'] must hold booleans")
    start = pd.to_numeric(ops["start"], errors="coerce").astype(float)
    end = pd.to_numeric(ops["end"], errors="coerce").astype(float)
    if not np.isfinite(start.to_numpy()).all():
        raise ValueError("ops['start'] must hold finite numbers (ms)")
    if (end < start).any() or np.isinf(end.to_numpy()).any():
        raise ValueError("ops['end'] must be NaN or a finite number >= start")
    return ops


# -- preparing the per-key histories -----------------------------------------------------------------
def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _plain(value: Any) -> Any:
    """A hashable, comparable form of a recorded value (None when never written)."""
    if _is_missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    try:
        hash(value)
    except TypeError:
        raise ValueError(f"ops['value'] must hold hashable values, got {value!r}") from None
    return value


def _is_set_history(ops: pd.DataFrame) -> bool:
    """Whether the writes are set additions and removals (every key is then a set)."""
    if "op" not in ops.columns:
        return False
    set_ops = ops.loc[ops["kind"] == "write", "op"].isin(list(_SET_OPS))
    if set_ops.any() and not set_ops.all():
        raise ValueError("ops['op'] of the writes must be all 'add'/'remove' (a set) or none of them")
    return bool(set_ops.any())


def _key_ops(rows: list[tuple[Any, ...]], is_set: bool) -> list[_Op]:
    """The operations of one key, in op_id order, from its rows
    ``(op_id, kind, value, start, end, ok, set operation or None)``."""
    codes: dict[Any, int] = {None: _INITIAL} if not is_set else {}
    out: list[_Op] = []
    for op_id, kind, raw, start, end, ok, sub in sorted(rows, key=lambda row: row[0]):
        done = bool(ok) and not math.isnan(float(end))
        if kind == "read" and not done:
            continue  # a failed read tells nothing
        value = _plain(raw)
        if kind == "write" and is_set:
            code, arg = _SET_OPS[sub], 1 << codes.setdefault(value, len(codes))
        elif kind == "write":
            code, arg = _WRITE, codes.setdefault(value, len(codes))
        elif is_set:
            code, arg = _READ, _set_mask(value, codes, int(op_id))
        else:
            code, arg = _READ, codes.setdefault(value, len(codes))
        out.append(_Op(int(op_id), code, arg, float(start), float(end) if done else math.inf, value))
    return out


def _set_mask(value: Any, codes: dict[Any, int], op_id: int) -> int:
    if value is None:
        return 0
    if not isinstance(value, (tuple, frozenset, set)):
        raise ValueError(
            f"ops['value'] of a read of a set must be a collection of items, got {value!r} (op {op_id})"
        )
    mask = 0
    for item in value:
        mask |= 1 << codes.setdefault(item, len(codes))
    return mask


def _unread_left_out(ops: list[_Op], is_set: bool) -> list[_Op]:
    """``ops`` without the writes of unknown outcome whose effect no read shows.

    Such a write can always be placed after everything else, where it
    changes nothing, so leaving it out changes no verdict; keeping it would
    multiply the states the search explores. (A removal from a set is kept:
    not seeing an item is an effect.)
    """
    if is_set:
        shown = 0
        for op in ops:
            if op.code == _READ:
                shown |= op.arg
        return [op for op in ops if not (op.indefinite and op.code == _ADD and not op.arg & shown)]
    read = {op.arg for op in ops if op.code == _READ}
    return [op for op in ops if not (op.indefinite and op.code == _WRITE and op.arg not in read)]


def _histories(ops: pd.DataFrame) -> list[tuple[Hashable, list[_Op], bool]]:
    is_set = _is_set_history(ops)
    subkind = ops["op"].tolist() if is_set else [None] * len(ops)
    columns = (ops[c].tolist() for c in ("key", "op_id", "kind", "value", "start", "end", "ok"))
    by_key: dict[Hashable, list[tuple[Any, ...]]] = {}
    for key, *row in zip(*columns, subkind, strict=True):  # one pass, not one filter per key
        by_key.setdefault(key, []).append(tuple(row))
    keys = sorted(by_key, key=lambda k: (type(k).__name__, str(k)))
    return [(k, _unread_left_out(_key_ops(by_key[k], is_set), is_set), is_set) for k in keys]


# -- the search ----------------------------------------------------------------------------------------
class _Budget:
    """Steps and seconds left for one call of :func:`check`."""

    def __init__(self, steps: int, seconds: float | None) -> None:
        self.limit = steps
        self.used = 0
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.why = ""

    def expired(self) -> bool:
        """Whether the timeout has passed (then :attr:`why` says so)."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.why = f"the timeout of {self.seconds:g} s ran out"
        return bool(self.why)

    def exhausted(self) -> None:
        self.why = f"the search budget of {self.limit:,} steps ran out"


def _linked_events(ops: Sequence[_Op]) -> tuple[list[int], list[int]]:
    """Doubly linked list of call (2i) and return (2i+1) entries in time order; head is 2n."""
    n = len(ops)
    events = sorted(
        [(op.start, 0, i) for i, op in enumerate(ops)] + [(op.end, 1, i) for i, op in enumerate(ops)]
    )
    nxt, prv = [-1] * (2 * n + 1), [-1] * (2 * n + 1)
    last = 2 * n
    for _, is_return, i in events:
        entry = 2 * i + is_return
        nxt[last], prv[entry], last = entry, last, entry
    return nxt, prv


def _search(ops: Sequence[_Op], budget: _Budget) -> bool | None:
    """Whether ``ops`` is linearizable; None when the budget runs out first."""
    if all(op.indefinite for op in ops):
        return True
    if budget.expired():
        return None
    return _walk(ops, budget)


def _walk(ops: Sequence[_Op], budget: _Budget) -> bool | None:
    """Wing–Gong search with Lowe's memo over ``ops`` (at least one of them completed)."""
    needed = sum(not op.indefinite for op in ops)
    head = 2 * len(ops)
    nxt, prv = _linked_events(ops)
    codes, args = [op.code for op in ops], [op.arg for op in ops]
    definite = [not op.indefinite for op in ops]
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[int, int]] = []
    placed, state, done, steps = 0, _INITIAL, 0, 0
    allowed = budget.limit - budget.used
    pause = min(allowed, 4096)  # look at the budget and the clock every 4096 steps
    entry = nxt[head]
    while done < needed:
        if steps >= pause:
            if steps >= allowed or budget.expired():
                budget.used += steps
                if not budget.why:
                    budget.exhausted()
                return None
            pause = min(allowed, steps + 4096)
        steps += 1
        i = entry >> 1
        if entry & 1 == 0:  # a call: try to place operation i now
            code, arg = codes[i], args[i]
            if code == _READ:
                new = state if state == arg else -1
            elif code == _WRITE:
                new = arg
            else:
                new = state | arg if code == _ADD else state & ~arg
            bits = placed | (1 << i)
            if new >= 0 and (bits, new) not in seen:
                seen.add((bits, new))
                stack.append((i, state))
                placed, state, done = bits, new, done + definite[i]
                for e in (entry, entry + 1):  # lift the call and the return out of the list
                    nxt[prv[e]] = nxt[e]
                    if nxt[e] >= 0:
                        prv[nxt[e]] = prv[e]
                entry = nxt[head]
            else:
                entry = nxt[entry]
        else:  # the return of an unplaced operation: undo the last choice
            if not stack:
                budget.used += steps
                return False
            i, state = stack.pop()
            placed &= ~(1 << i)
            done -= definite[i]
            for e in (2 * i + 1, 2 * i):  # put the return back, then the call
                nxt[prv[e]] = e
                if nxt[e] >= 0:
                    prv[nxt[e]] = e
            entry = nxt[2 * i]
    budget.used += steps
    return True


# -- witnesses ---------------------------------------------------------------------------------------
def _explained(ops: Sequence[_Op], is_set: bool) -> Callable[[_Op], bool]:
    """Whether a read's value could come from the writes among ``ops`` (or is the initial one)."""
    if is_set:
        added = 0
        for op in ops:
            if op.code == _ADD:
                added |= op.arg
        return lambda read: read.arg & ~added == 0
    values = {op.arg for op in ops if op.code == _WRITE} | {_INITIAL}
    return lambda read: read.arg in values


def _without(ops: Sequence[_Op], drop: Iterable[int], is_set: bool) -> list[_Op]:
    """``ops`` minus the op_ids in ``drop`` and the reads that only the dropped writes explained."""
    gone = set(drop)
    kept = [op for op in ops if op.op_id not in gone]
    before, after = _explained(ops, is_set), _explained(kept, is_set)
    return [op for op in kept if op.code != _READ or after(op) or not before(op)]


def _minimise(ops: list[_Op], is_set: bool, budget: _Budget) -> tuple[list[_Op], bool]:
    """Shrink a non-linearizable history by deletion; also whether the result is 1-minimal.

    Chunks of halving size are tried from the end of the history backwards,
    so the witness tends to be the earliest violation; then single
    operations, until a whole pass removes nothing.
    """
    current = ops
    size = max(1, len(current) // 2)
    while True:
        changed = False
        ids = [op.op_id for op in current]
        for first in reversed(range(0, len(ids), size)):
            present = {op.op_id for op in current}
            chunk = [i for i in ids[first : first + size] if i in present]
            if not chunk:
                continue
            verdict = _search(trial := _without(current, chunk, is_set), budget)
            if verdict is None:
                return current, False
            if verdict is False:
                current, changed = trial, True
        if size > 1:
            size = max(1, size // 2)
        elif not changed:
            return current, True


def _precedence(ops: Sequence[_Op]) -> tuple[tuple[int, int], ...]:
    return tuple((a.op_id, b.op_id) for a in ops for b in ops if a.end < b.start)


def _show(value: Any, is_set: bool) -> str:
    if is_set:
        return "{" + ", ".join(repr(v) for v in sorted(value or (), key=str)) + "}"
    return "None (never written)" if value is None else repr(value)


def _explain(ops: Sequence[_Op], history: Sequence[_Op], is_set: bool) -> str:
    """One sentence on why ``ops`` (a witness taken from ``history``) has no legal order."""
    reads = [op for op in ops if op.code == _READ]
    writes = [op for op in ops if op.code != _READ]
    text = _explain_set(reads, writes) if is_set else _explain_register(reads, writes, history)
    if text:
        return text
    names = ", ".join(op.label for op in sorted(ops, key=lambda o: o.start))
    model = "set" if is_set else "register"
    return f"no order of {names} respects both real time and a single {model}"


def _explain_register(reads: list[_Op], writes: list[_Op], history: Sequence[_Op]) -> str:
    for find in (_unwritten, _after_write, _after_read, _flip):
        text = find(reads, writes, history)
        if text:
            return text
    return ""


def _writers(read: _Op, writes: Sequence[_Op]) -> list[_Op]:
    return [w for w in writes if w.arg == read.arg]


def _unwritten(reads: list[_Op], writes: list[_Op], history: Sequence[_Op]) -> str:
    """A read of a value nobody wrote, or of a write that had not begun."""
    for r in reads:
        own = _writers(r, writes)
        if r.arg != _INITIAL and not any(w.code == _WRITE and w.arg == r.arg for w in history):
            return f"read {r.name} returned {r.value!r}, which no write wrote"
        if own and all(w.start > r.end for w in own):
            return f"read {r.name} returned {r.value!r} before write {own[0].name} of it began"
    return ""


def _after_write(reads: list[_Op], writes: list[_Op], history: Sequence[_Op]) -> str:
    """A read of a value overwritten by a write that completed before the read began."""
    for r in reads:
        own = _writers(r, writes)
        for w in writes:
            if w.arg != r.arg and w.end < r.start and all(v.end < w.start for v in own):
                text = f"read {r.name} returned {_show(r.value, False)} after write {w.name} of {w.value!r}"
                text += " completed"
                if own:
                    text += f" (write {own[0].name} of {own[0].value!r} had completed before {w.name} began)"
                return text
    return ""


def _after_read(reads: list[_Op], writes: list[_Op], history: Sequence[_Op]) -> str:
    """A read of an older value after another read had returned a newer one."""
    for r1 in reads:
        for r2 in reads:
            for w in _writers(r1, writes):
                if (
                    r1.end < r2.start
                    and r2.arg != r1.arg
                    and all(v.end < w.start for v in _writers(r2, writes))
                ):
                    return (
                        f"read {r2.name} returned {_show(r2.value, False)} after read {r1.name} had already "
                        f"returned {r1.value!r} (written by {w.name}), an older value after a newer one"
                    )
    return ""


def _flip(reads: list[_Op], writes: list[_Op], history: Sequence[_Op]) -> str:
    """Reads in real-time order that return a value, another one, then the first again."""
    for r1, r2, r3 in itertools.permutations(reads, 3):
        if r1.end < r2.start and r2.end < r3.start and r1.arg == r3.arg != r2.arg:
            own = _writers(r1, writes)
            if len(own) <= 1:
                source = f"only write {own[0].name} wrote it" if own else "it was never written back"
                between = f"between reads {r1.name} and {r3.name}"
                return (
                    f"read {r2.name} returned {_show(r2.value, False)} {between}, "
                    f"which both returned {_show(r1.value, False)}, and {source}"
                )
    return ""


def _explain_set(reads: list[_Op], writes: list[_Op]) -> str:
    for r in reads:
        for w in writes:
            inside = bool(r.arg & w.arg)
            later = [v for v in writes if v.arg == w.arg and v.code != w.code and v.start < r.end]
            if w.code == _ADD and not inside and w.end < r.start and all(v.end < w.start for v in later):
                return f"read {r.name} lacked {w.value!r} after add {w.name} of it completed"
            if w.code == _REMOVE and inside and w.end < r.start and all(v.end < w.start for v in later):
                return f"read {r.name} still held {w.value!r} after remove {w.name} of it completed"
        adds = [w for w in writes if w.code == _ADD and r.arg & w.arg]
        if adds and all(w.start > r.end for w in adds):
            return f"read {r.name} held {adds[0].value!r} before add {adds[0].name} of it began"
    return ""


# -- results -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyResult:
    """The verdict for one key.

    Attributes
    ----------
    key : hashable
        The key.
    linearizable : bool or None
        None when the budget ran out before an answer.
    ops : int
        Operations checked: failed reads are dropped, and so are the writes
        of unknown outcome whose value no read returned (they change no
        verdict).
    model : str
        ``"register"`` or ``"set"``.
    witness : tuple of int
        For a key that is not linearizable: the op_ids of a witness, sorted;
        empty otherwise.
    precedes : tuple of (int, int)
        Real-time precedence among the witness: ``(a, b)`` when op ``a``
        ended before op ``b`` started (a write that never completed precedes
        nothing).
    minimal : bool
        Whether the witness is known to be 1-minimal (False when the budget
        ran out while shrinking it).
    reason : str
        The verdict in words.
    """

    key: Hashable
    linearizable: bool | None
    ops: int
    model: str
    witness: tuple[int, ...] = ()
    precedes: tuple[tuple[int, int], ...] = ()
    minimal: bool = True
    reason: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The verdict of :func:`check` on a whole history.

    ``linearizable`` is False when some key is not linearizable, None
    (unknown) when no key failed but the budget ran out before every key was
    decided, and True otherwise. ``keys`` holds one :class:`KeyResult` per
    key, in sorted order; ``steps`` the search steps used. ``seconds`` is the
    wall time (informative only; it is left out of comparisons).
    """

    linearizable: bool | None
    reason: str
    keys: tuple[KeyResult, ...]
    steps: int
    budget: int
    seconds: float = field(default=0.0, compare=False)
    ops: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)

    @property
    def failures(self) -> tuple[KeyResult, ...]:
        """The keys that are not linearizable."""
        return tuple(k for k in self.keys if k.linearizable is False)

    def summary(self) -> pd.DataFrame:
        """One row per key: ``key, model, ops, linearizable, witness, reason``.

        Examples
        --------
        >>> ops = pd.DataFrame({"op_id": [0, 1], "kind": ["write", "read"], "key": ["x", "y"],
        ...                     "value": [1, None], "start": [0.0, 0.0], "end": [1.0, 1.0], "ok": True})
        >>> check(ops).summary()[["key", "ops", "linearizable"]]
          key  ops linearizable
        0   x    1         True
        1   y    1         True
        """
        rows = [
            {
                "key": k.key,
                "model": k.model,
                "ops": k.ops,
                "linearizable": k.linearizable,
                "witness": list(k.witness),
                "reason": k.reason,
            }
            for k in self.keys
        ]
        columns = ["key", "model", "ops", "linearizable", "witness", "reason"]
        return pd.DataFrame(rows, columns=columns).astype({"linearizable": object})

    def witness_ops(self, key: Hashable | None = None) -> pd.DataFrame:
        """The rows of ``ops`` in the witness of ``key`` (default: the first failing key).

        Empty when there is no failing key. Besides the columns of ``ops``,
        ``precedes`` lists, per row, the witness op_ids it precedes in real time.

        Examples
        --------
        >>> ops = pd.DataFrame({"op_id": [0, 1], "kind": ["write", "read"], "key": "x",
        ...                     "value": pd.Series([1, None], dtype=object),
        ...                     "start": [0.0, 2.0], "end": [1.0, 3.0], "ok": True})
        >>> check(ops).witness_ops()[["op_id", "kind", "value", "precedes"]]
           op_id   kind value precedes
        0      0  write     1      [1]
        1      1   read  None       []
        """
        chosen = [k for k in self.failures if key is None or k.key == key]
        if not chosen or self.ops.empty:
            return self.ops.iloc[0:0].assign(precedes=pd.Series(dtype=object))
        result = chosen[0]
        rows = self.ops[self.ops["op_id"].isin(result.witness)].sort_values("op_id").reset_index(drop=True)
        after = {i: [b for a, b in result.precedes if a == i] for i in result.witness}
        return rows.assign(precedes=[after[int(i)] for i in rows["op_id"]])

    def __str__(self) -> str:
        verdict = {True: "linearizable", False: "NOT linearizable", None: "unknown"}[self.linearizable]
        return f"{verdict}: {self.reason}"

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(str(self))}</b> ({self.steps:,} search steps)</p>"
        table = self.summary().to_html(index=False)
        return head + table


# -- the entry point -----------------------------------------------------------------------------------
def _check_key(key: Hashable, ops: list[_Op], is_set: bool, budget: _Budget, witness: bool) -> KeyResult:
    model = "set" if is_set else "register"
    if budget.why:
        return KeyResult(key, None, len(ops), model, reason=f"not checked: {budget.why}")
    verdict = _search(ops, budget)
    if verdict is None:
        return KeyResult(key, None, len(ops), model, reason=f"{budget.why} while checking key {key!r}")
    if verdict:
        return KeyResult(key, True, len(ops), model, reason=f"{len(ops)} operations in a legal order")
    found, minimal = _minimise(ops, is_set, budget) if witness else (ops, False)
    found = sorted(found, key=lambda op: op.op_id)
    reason = _explain(found, ops, is_set)
    if witness and not minimal:
        reason += f" ({budget.why} while shrinking the witness: it may not be minimal)"
    return KeyResult(
        key,
        False,
        len(ops),
        model,
        witness=tuple(op.op_id for op in found),
        precedes=_precedence(found),
        minimal=minimal,
        reason=reason,
    )


def _overall(keys: Sequence[KeyResult], ops: int) -> tuple[bool | None, str]:
    failed = [k for k in keys if k.linearizable is False]
    if failed:
        more = f" (and {len(failed) - 1} more keys)" if len(failed) > 1 else ""
        return False, f"key {failed[0].key!r}: {failed[0].reason}{more}"
    unknown = [k for k in keys if k.linearizable is None]
    if unknown:
        return None, f"unknown: {unknown[0].reason}"
    return True, f"every key is linearizable ({len(keys)} keys, {ops} operations)"


@checked(
    budget=Int(1, MAX_BUDGET),
    timeout=Real(0, MAX_TIMEOUT, unit="s", low_open=True, none=True),
    witness=Flag(),
)
def check(
    ops: pd.DataFrame,
    *,
    budget: int = DEFAULT_BUDGET,
    timeout: float | None = None,
    witness: bool = True,
) -> CheckResult:
    """Check whether the history ``ops`` is linearizable (see the module docstring).

    Parameters
    ----------
    ops : pandas.DataFrame
        A run's ``run.ops``: at least ``op_id, kind, key, value, start, end,
        ok``; an ``op`` column with ``"add"``/``"remove"`` makes a key a set.
    budget : int
        Search steps allowed for the whole call, witnesses included,
        1..10,000,000. When it runs out the verdict is None (unknown).
    timeout : float or None
        Wall-clock seconds allowed, in (0, 3600]; None (the default): no
        limit, so that the answer depends only on ``ops`` and ``budget``.
    witness : bool
        Shrink the history of every failing key to a witness (default True);
        with False the witness of a failing key is its whole history.

    Returns
    -------
    CheckResult

    Examples
    --------
    A write that timed out may still have happened: a later read of it is fine.

    >>> ops = pd.DataFrame({"op_id": [0, 1], "kind": ["write", "read"], "key": "x", "value": [7, 7],
    ...                     "start": [0.0, 5.0], "end": [float("nan"), 6.0], "ok": [False, True]})
    >>> check(ops).linearizable
    True
    >>> check(ops, budget=0)
    Traceback (most recent call last):
    ...
    ValueError: budget must be an integer in 1..10000000, got 0
    """
    steps, seconds = budget, timeout
    frame = _check_frame(ops)
    began = time.perf_counter()
    left = _Budget(steps, seconds)
    histories = _histories(frame)
    keys = tuple(_check_key(k, h, is_set, left, bool(witness)) for k, h, is_set in histories)
    verdict, reason = _overall(keys, sum(k.ops for k in keys))
    return CheckResult(
        verdict, reason, keys, min(left.used, steps), steps, time.perf_counter() - began, ops=frame
    )


@checked(budget=Int(1, MAX_BUDGET))
def verdict_table(histories: Mapping[str, pd.DataFrame], *, budget: int = DEFAULT_BUDGET) -> pd.DataFrame:
    """One row per named history: is it linearizable, how many keys fail, and the first reason.

    Parameters
    ----------
    histories : mapping of str to DataFrame
        Names (the table's index) to ``run.ops`` frames.
    budget : int
        The search budget of each :func:`check`.

    Examples
    --------
    >>> ops = pd.DataFrame({"op_id": [0, 1], "kind": ["write", "read"], "key": "x", "value": [1, None],
    ...                     "start": [0.0, 2.0], "end": [1.0, 3.0], "ok": True})
    >>> verdict_table({"stale": ops})[["linearizable", "failing keys"]]
          linearizable  failing keys
    stale           no             1
    """
    rows = []
    for name, ops in histories.items():
        result = check(ops, budget=budget)
        first = result.failures[0] if result.failures else None
        rows.append(
            {
                "history": name,
                "linearizable": {True: "yes", False: "no", None: "unknown"}[result.linearizable],
                "failing keys": len(result.failures),
                "first witness": (f"key {first.key!r}: {first.reason}" if first else ""),
            }
        )
    return pd.DataFrame(rows).set_index("history").rename_axis(None)
