"""Four ways to implement the replication log, replayed on the same statements.

A tiny database (tables of rows keyed by id) runs a few transactions at the
leader; each method ships something different to a follower, which applies
it:

``statement``  the SQL statement itself; the follower executes it again. Any
               nondeterminism is evaluated twice: ``NOW()`` reads the
               follower's clock when it applies the statement, ``RAND()`` its
               own generator, and an auto-increment counter counts in the
               order the follower replays the statements (the commit order)
               rather than the order in which concurrent transactions took
               their ids at the leader.
``wal``        the storage engine's write-ahead log: the bytes written to the
               leader's pages. The follower's pages become byte-identical, but
               only if it runs the same storage format: a follower on another
               version cannot decode them.
``logical``    a row-based (logical) log: for every row a transaction changed,
               the row's new values, as the leader computed them; independent
               of the storage format.
``trigger``    a trigger on the leader writes every changed row into a change
               table, which an external process copies to the follower: the
               same row values, for an extra write per change on the leader
               (and room for custom logic, such as copying only some tables).

:func:`compare_methods` replays :data:`TRANSACTIONS` under each method and
says, per transaction, whether the follower ends up with the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..params import Int, Real, checked

__all__ = [
    "METHODS",
    "METHOD_NAMES",
    "TRANSACTIONS",
    "Transaction",
    "compare_methods",
    "leader_state",
    "replay",
    "side_by_side",
    "statements",
]

#: The four methods, in the order of DDIA's presentation.
METHODS = ("statement", "wal", "logical", "trigger")
#: What each method is called in tables.
METHOD_NAMES = {
    "statement": "statement-based",
    "wal": "write-ahead log shipping",
    "logical": "logical (row-based)",
    "trigger": "trigger-based",
}

Row = dict[str, Any]
Change = tuple[str, int, Row]


@dataclass
class _Context:
    """What a statement may consult while it runs: a clock, a generator, the auto-increment counters."""

    now: float
    rng: np.random.Generator
    ids: list[int] = field(default_factory=list)  # ids taken in advance (the leader's concurrent order)
    counters: dict[str, int] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        if self.ids:
            return self.ids.pop(0)
        self.counters[table] = self.counters.get(table, 0) + 1
        return self.counters[table]


@dataclass(frozen=True)
class Transaction:
    """One transaction: its SQL, when it began and committed at the leader (ms), and what it does."""

    name: str
    sql: str
    begin: float
    commit: float
    run: Callable[[_Context, dict[str, dict[int, Row]]], list[Change]]
    takes_id: bool = False  # it takes an auto-increment id


def _order(who: str) -> Callable[[_Context, dict[str, dict[int, Row]]], list[Change]]:
    def run(ctx: _Context, db: dict[str, dict[int, Row]]) -> list[Change]:
        oid = ctx.next_id("orders")
        return [("orders", oid, {"customer": who, "created_ms": round(ctx.now, 1)})]

    return run


def _coupon(ctx: _Context, db: dict[str, dict[int, Row]]) -> list[Change]:
    return [("coupons", 1, {"code": int(ctx.rng.integers(100_000, 1_000_000))})]


def _withdraw(ctx: _Context, db: dict[str, dict[int, Row]]) -> list[Change]:
    balance = db.get("accounts", {}).get(1, {"balance": 100})["balance"]
    return [("accounts", 1, {"balance": balance - 30})]


_ALICE = "INSERT INTO orders (customer, created) VALUES ('alice', NOW())"
_BOB = "INSERT INTO orders (customer, created) VALUES ('bob', NOW())"
_COUPON = "UPDATE coupons SET code = FLOOR(RAND() * 900000) + 100000 WHERE id = 1"
_WITHDRAW = "UPDATE accounts SET balance = balance - 30 WHERE id = 1"

#: The workload: two concurrent inserts (Bob's transaction began first but committed second),
#: a random coupon code and a deterministic update.
TRANSACTIONS = (
    Transaction("Alice's order", _ALICE, 12.0, 20.0, _order("alice"), takes_id=True),
    Transaction("Bob's order", _BOB, 10.0, 25.0, _order("bob"), takes_id=True),
    Transaction("new coupon", _COUPON, 30.0, 31.0, _coupon),
    Transaction("withdrawal", _WITHDRAW, 40.0, 41.0, _withdraw),
)


def _apply(db: dict[str, dict[int, Row]], changes: list[Change]) -> None:
    for table, key, row in changes:
        db.setdefault(table, {})[key] = dict(row)


def leader_state(seed: int = 0) -> tuple[dict[str, dict[int, Row]], list[list[Change]]]:
    """Run :data:`TRANSACTIONS` at the leader: its tables, and each transaction's changes (commit order).

    Concurrent transactions take their auto-increment ids in the order they
    began; each statement's ``NOW()`` is the time its transaction began.

    Examples
    --------
    >>> db, _ = leader_state()
    >>> {k: r["customer"] for k, r in sorted(db["orders"].items())}
    {1: 'bob', 2: 'alice'}
    """
    committed = sorted(TRANSACTIONS, key=lambda t: t.commit)
    order = sorted(range(len(committed)), key=lambda i: committed[i].begin)
    taken: dict[int, int] = {}
    count = 0
    for i in order:  # ids handed out in begin order, to the inserts only
        if committed[i].takes_id:
            count += 1
            taken[i] = count
    rng = np.random.default_rng([seed, 0])
    db: dict[str, dict[int, Row]] = {"accounts": {1: {"balance": 100}}}
    changes = []
    for i, t in enumerate(committed):
        ctx = _Context(now=t.begin, rng=rng, ids=[taken[i]] if i in taken else [])
        done = t.run(ctx, db)
        _apply(db, done)
        changes.append(done)
    return db, changes


def _encode(row: Row, version: int) -> bytes:
    """The bytes a row occupies in a page: the storage format differs between engine versions."""
    fields = sorted(row.items()) if version == 1 else sorted(row.items(), reverse=True)
    return json.dumps({"v": version, "f": fields}).encode()


def _decode(data: bytes, version: int) -> Row:
    page = json.loads(data)
    if page["v"] != version:
        raise ValueError(f"page format v{page['v']}, this engine reads v{version}")
    return {k: v for k, v in page["f"]}


def replay(method: str, *, lag: float = 15.0, seed: int = 0, version: int = 1) -> dict[str, Any]:
    """Replay the leader's log at a follower under ``method``.

    Parameters
    ----------
    method : {"statement", "wal", "logical", "trigger"}
    lag : float
        How long after the commit the follower applies each transaction (ms).
    seed : int
        The leader's generator; the follower's (statement-based) is another one.
    version : int
        The follower's storage-engine version (the leader runs version 1).

    Returns
    -------
    dict
        ``db`` (the follower's tables, or ``None`` when it could not apply
        the log), ``error`` (why not, or ``""``), ``extra_leader_writes``
        (rows the method made the leader write besides the data itself).

    Examples
    --------
    >>> replay("logical")["db"] == leader_state()[0]
    True
    >>> replay("wal", version=2)["error"]
    'page format v1, this engine reads v2'
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    changes = leader_state(seed)[1]
    committed = sorted(TRANSACTIONS, key=lambda t: t.commit)
    db: dict[str, dict[int, Row]] = {"accounts": {1: {"balance": 100}}}
    extra = sum(len(c) for c in changes) if method == "trigger" else 0
    if method == "statement":
        ctx = _Context(now=0.0, rng=np.random.default_rng([seed, 1]))
        for t in committed:
            ctx.now = t.commit + lag
            _apply(db, t.run(ctx, db))
        return {"db": db, "error": "", "extra_leader_writes": extra}
    if method == "wal":
        try:
            for done in changes:
                pages = [(table, key, _encode(row, 1)) for table, key, row in done]
                _apply(db, [(table, key, _decode(data, version)) for table, key, data in pages])
        except ValueError as err:
            return {"db": None, "error": str(err), "extra_leader_writes": extra}
        return {"db": db, "error": "", "extra_leader_writes": extra}
    for done in changes:  # logical and trigger-based: the row values the leader computed
        _apply(db, [(table, key, dict(row)) for table, key, row in done])
    return {"db": db, "error": "", "extra_leader_writes": extra}


def _rows_of(changes: list[Change]) -> list[tuple[str, int]]:
    return [(table, key) for table, key, _ in changes]


@checked(seed=Int(0, 2**31 - 1), lag=Real(0, 10_000, unit="ms"))
def compare_methods(*, seed: int = 0, lag: float = 15.0) -> pd.DataFrame:
    """Per transaction and method: does the follower hold the same rows as the leader?

    Returns a DataFrame with one row per transaction (commit order) and one
    column per method (:data:`METHOD_NAMES`): ``"same"`` or ``"differs"``;
    then two rows that do not depend on the transaction: a follower on a
    newer storage version (``"applies"`` or ``"fails"``) and the extra rows
    the leader writes.

    Examples
    --------
    >>> table = compare_methods()
    >>> table.loc["Alice's order", "statement-based"], table.loc["Alice's order", "logical (row-based)"]
    ('differs', 'same')
    """
    leader, changes = leader_state(seed)
    committed = sorted(TRANSACTIONS, key=lambda t: t.commit)
    table: dict[str, dict[str, Any]] = {}
    for method in METHODS:
        got = replay(method, lag=lag, seed=seed)["db"]
        column = {}
        for t, done in zip(committed, changes, strict=True):
            same = all(got.get(tb, {}).get(k) == leader[tb][k] for tb, k in _rows_of(done))
            column[t.name] = "same" if same else "differs"
        upgraded = replay(method, lag=lag, seed=seed, version=2)
        column["follower on a newer storage version"] = "fails" if upgraded["error"] else "applies"
        column["extra rows written at the leader"] = upgraded["extra_leader_writes"]
        table[METHOD_NAMES[method]] = column
    return pd.DataFrame(table)


def side_by_side(method: str = "statement", *, seed: int = 0, lag: float = 15.0) -> pd.DataFrame:
    """Every row of the leader next to the follower's copy under ``method``: ``table, id, leader, follower``.

    Examples
    --------
    >>> side_by_side("logical")["same"].all()
    np.True_
    """
    leader = leader_state(seed)[0]
    got = replay(method, lag=lag, seed=seed)["db"] or {}
    rows = []
    for table in sorted(leader):
        for key in sorted(leader[table]):
            mine, theirs = leader[table][key], got.get(table, {}).get(key)
            rows.append(
                dict(table=table, id=key, leader=_show(mine), follower=_show(theirs), same=mine == theirs)
            )
    return pd.DataFrame(rows)


def _show(row: Row | None) -> str:
    return "(none)" if row is None else ", ".join(f"{k}={v}" for k, v in row.items())


def statements() -> pd.DataFrame:
    """The transactions of :data:`TRANSACTIONS`: name, SQL, begin and commit times (ms), in commit order.

    Examples
    --------
    >>> statements()["name"].tolist()[:2]
    ["Alice's order", "Bob's order"]
    """
    committed = sorted(TRANSACTIONS, key=lambda t: t.commit)
    return pd.DataFrame(
        [dict(name=t.name, sql=t.sql, begin_ms=t.begin, commit_ms=t.commit) for t in committed]
    )
