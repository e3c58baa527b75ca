"""Detecting concurrent writes: per-key version numbers, siblings, then version vectors.

A leaderless store cannot order two writes that did not see each other,
and it should not pretend to: it keeps both, as **siblings**, and lets the
application merge them. This module is a small, deterministic model of the
algorithm of DDIA chapter 5 ("Detecting concurrent writes"), on a shopping
cart (the values are :class:`replnb.multi_leader.state.Cart`; merging
siblings is the cart union :func:`~replnb.multi_leader.state.union_carts`).

**One replica** (:class:`VersionedStore`). The server keeps a version
number per key and raises it on every write. A client reads before it
writes (the reply to its previous write counts as a read); the write
carries the version number of that read. The server overwrites every value
stored under that version or below, since the client has seen them all and
merged them into what it sends, keeps the values with a higher version
(they were written concurrently: the client had not seen them) as
siblings beside the new one, and replies with every sibling and the new
version. Two writes are *concurrent* when neither writer had read the
other's value; the version number sent says exactly which values a write
had seen, so the server never drops a value its writer did not know.

**Several replicas** (:class:`Replica`). One number per key is not enough
when several replicas accept writes: replica A's version 3 and replica B's
version 3 are unrelated. Each replica instead keeps, per key, a version
vector (one counter per replica: :class:`~replnb.engine.clocks.VersionVector`)
of every write it knows. A write accepted by replica X gets the *dot*
``(X, its next counter)``; its *context* is the vector of the client's last
read. A sibling is replaced when its dot is in another sibling's context:
:func:`replnb.metrics.happens_before`, the course's one definition of
happens-before. Replicas exchange their siblings and vectors
(anti-entropy), and each keeps every sibling that no other one replaces.
Comparing each sibling's whole vector instead (``context`` plus ``dot``)
would order two blind writes at the same replica (``{A: 1}`` before
``{A: 2}``) and drop one: the dot, as in Riak's dotted version vectors,
keeps them concurrent. A read returns, and a sync sends, the replica's
whole vector (not only its siblings' dots), so a context never claims a
write without also claiming everything that write had seen.

Removals need tombstones: without them, a removed item that is still in a
concurrent sibling comes back at the next merge (a *resurrection*).

:func:`cart_walkthrough` runs a script of client requests on one replica
and returns the step table; :func:`replicas_walkthrough` runs one across
several replicas with chosen sync points, then anti-entropy to the end;
:func:`run_replicas` returns the replicas for experiments with
:func:`anti_entropy`, and :func:`every_exchange_order` tries every order of
exchanges (brute force). No drawing here: :mod:`replnb.plots.siblings` draws the walk-throughs.

Examples
--------
>>> table = cart_walkthrough()
>>> row = table.iloc[2]
>>> row["client"], row["request"], int(row["version_sent"]), int(row["version_returned"])
('client 1', 'add flour', 1, 3)
>>> table["siblings"].iloc[-1]
'[milk, eggs, ham] | [milk, eggs, flour, bacon]'
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import metrics
from ..engine.clocks import VersionVector
from ..engine.network import node_names
from ..multi_leader.state import Cart, union_carts
from ..params import Flag, Int, Spec, checked

__all__ = [
    "ACTIONS",
    "DDIA_CART",
    "DDIA_CART_REPLICATED",
    "MAX_BRUTE_REPLICAS",
    "MAX_REPLICAS",
    "MAX_STEPS",
    "REMOVAL",
    "STEP_COLUMNS",
    "THREE_REPLICAS",
    "CartClient",
    "Replica",
    "ReplicasRun",
    "Reply",
    "Script",
    "Sibling",
    "VersionedStore",
    "anti_entropy",
    "cart_walkthrough",
    "every_exchange_order",
    "merge_siblings",
    "merge_values",
    "replicas_walkthrough",
    "run_replicas",
    "show_cart",
    "show_vector",
]

#: What a client may do in a script.
ACTIONS = ("add", "remove", "read")
#: The longest script accepted (each step is a handful of set operations).
MAX_STEPS = 60
#: The most replicas :func:`replicas_walkthrough` runs.
MAX_REPLICAS = 5
#: The columns of :attr:`ReplicasRun.steps`.
STEP_COLUMNS = (
    "step",
    "client",
    "request",
    "replica",
    "sent",
    "context",
    "returned",
    "siblings",
    "source",
    "dot",
    "seen",
    "held",
)
#: The key every script writes (one cart).
KEY = "cart"

#: DDIA's two-client cart: each client's write carries the version of its last reply.
DDIA_CART: tuple[tuple[str, ...], ...] = (
    ("client 1", "add", "milk"),
    ("client 2", "add", "eggs"),
    ("client 1", "add", "flour"),
    ("client 2", "add", "ham"),
    ("client 1", "add", "bacon"),
)

#: A removal concurrent with a sibling that still holds the item: milk comes back without tombstones.
REMOVAL: tuple[tuple[str, ...], ...] = (
    ("client 1", "add", "milk"),
    ("client 2", "read"),
    ("client 2", "add", "eggs"),
    ("client 1", "remove", "milk"),
    ("client 2", "read"),
)

#: The same cart on replicas A and B: client 1 talks to A, client 2 to B, two sync points.
DDIA_CART_REPLICATED: tuple[tuple[str, ...], ...] = (
    ("client 1", "add", "milk", "A"),
    ("client 2", "add", "eggs", "B"),
    ("sync", "A", "B"),
    ("client 1", "add", "flour", "A"),
    ("client 2", "add", "ham", "B"),
    ("sync", "B", "A"),
    ("client 1", "add", "bacon", "A"),
)

#: Three replicas, three clients, a removal and a read across replicas (for the orders of exchanges).
THREE_REPLICAS: tuple[tuple[str, ...], ...] = (
    ("client 1", "add", "milk", "A"),
    ("client 2", "add", "eggs", "B"),
    ("client 3", "add", "ham", "C"),
    ("sync", "A", "B"),
    ("client 2", "add", "flour", "B"),
    ("client 1", "remove", "milk", "A"),
    ("sync", "C", "A"),
    ("client 3", "read", "A"),
    ("client 3", "add", "bacon", "C"),
)
#: The most replicas :func:`every_exchange_order` tries (3 replicas: 6! = 720 orders).
MAX_BRUTE_REPLICAS = 3


# ---------------------------------------------------------------------------
# carts and their display


def merge_values(values: Iterable[Cart]) -> Cart:
    """What a client makes of the siblings it read: the union of the carts (tombstones included).

    Examples
    --------
    >>> show_cart(merge_values([Cart().add("milk", 1), Cart().add("eggs", 2)]))
    '[milk, eggs]'
    """
    return functools.reduce(union_carts, values, Cart())


def show_cart(cart: Cart) -> str:
    """A cart as ``[milk, flour]``: its items in the order they were added, then ``−item`` per tombstone.

    Examples
    --------
    >>> cart, _ = Cart().add("milk", 1).add("eggs", 2).remove("milk", tombstone=True)
    >>> show_cart(cart)
    '[eggs] −milk'
    """
    first: dict[str, int] = {}
    for name, tag in sorted(cart.items - cart.removed, key=lambda p: (p[1], p[0])):
        first.setdefault(name, tag)
    text = "[" + ", ".join(first) + "]"
    gone = sorted({name for name, _ in cart.removed} - set(first))
    return " ".join([text, *(f"−{name}" for name in gone)])


def show_vector(vector: VersionVector) -> str:
    """A version vector as ``{A:2, B:1}``.

    Examples
    --------
    >>> show_vector(VersionVector.of({"B": 1, "A": 2}))
    '{A:2, B:1}'
    """
    return "{" + ", ".join(f"{node}:{count}" for node, count in vector.counts) + "}"


# ---------------------------------------------------------------------------
# one replica: a version number per key


@dataclass(frozen=True)
class Reply:
    """What a read (or a write) returns: the version (a number, or a vector) and every sibling."""

    version: Any
    siblings: tuple[Cart, ...]

    @property
    def merged(self) -> Cart:
        """The siblings merged into one cart (:func:`merge_values`)."""
        return merge_values(self.siblings)


class VersionedStore:
    """One server that keeps a version number per key and the siblings stored under it.

    Examples
    --------
    >>> store = VersionedStore()
    >>> store.write("cart", Cart().add("milk", 1), version=0).version
    1
    >>> reply = store.write("cart", Cart().add("eggs", 2), version=0)   # did not see milk
    >>> reply.version, [show_cart(c) for c in reply.siblings]
    (2, ['[milk]', '[eggs]'])
    >>> store.write("cart", reply.merged.add("ham", 3), version=2).siblings == (reply.merged.add("ham", 3),)
    True
    """

    def __init__(self) -> None:
        self._counter: dict[str, int] = {}
        self._values: dict[str, tuple[tuple[int, Cart], ...]] = {}

    def versions(self, key: str) -> tuple[int, ...]:
        """The version numbers of the siblings ``key`` holds, oldest first."""
        return tuple(n for n, _ in self._values.get(key, ()))

    def read(self, key: str) -> Reply:
        """Every sibling of ``key`` and its current version number (0 before the first write)."""
        return Reply(self._counter.get(key, 0), tuple(v for _, v in self._values.get(key, ())))

    def write(self, key: str, value: Cart, version: int) -> Reply:
        """Store ``value``, written by a client that had read ``version``; returns the new siblings."""
        current = self._counter.get(key, 0)
        if not 0 <= version <= current:
            raise ValueError(
                f"version must be an integer in 0..{current} (a version read before), got {version}"
            )
        kept = tuple((n, v) for n, v in self._values.get(key, ()) if n > version)
        self._counter[key] = current + 1
        self._values[key] = (*kept, (current + 1, value))
        return self.read(key)


# ---------------------------------------------------------------------------
# clients


class CartClient:
    """A client that remembers its last reply and writes its merge of those siblings, edited.

    A client that has read nothing sends version 0 (or the empty vector).
    """

    def __init__(self, name: str, tombstones: bool, empty: Any = 0) -> None:
        self.name = name
        self.tombstones = tombstones
        self.seen = Reply(empty, ())

    def edit(self, action: str, item: str, tag: int) -> Cart:
        """The cart this client sends: the siblings it last saw, merged, with one item added or removed."""
        cart = self.seen.merged
        if action == "add":
            return cart.add(item, tag)
        return cart.remove(item, tombstone=self.tombstones)[0]


# ---------------------------------------------------------------------------
# script validation


@dataclass(frozen=True)
class Script(Spec):
    """A list of at most :data:`MAX_STEPS` requests.

    With ``replicas=None`` (one server) each step is ``(client, "add" or
    "remove", item)`` or ``(client, "read")``; otherwise ``(client, "add" or
    "remove", item, replica)``, ``(client, "read", replica)`` or
    ``("sync", from_replica, to_replica)``, where ``replicas`` names the
    parameter that holds the number of replicas.

    Examples
    --------
    >>> Script().check("script", [("c1", "add", "milk")])
    [('c1', 'add', 'milk')]
    >>> Script().check("script", [("c1", "buy", "milk")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: script must be a non-empty list of at most 60 steps (client, 'add' or 'remove', item) ...
    """

    replicas: str | None = None
    none: bool = False

    def _names(self, context: Mapping[str, Any]) -> list[str]:
        return node_names(context[self.replicas]) if self.replicas else []

    def _step_ok(self, step: Any, names: list[str]) -> bool:
        if not isinstance(step, (tuple, list)) or not all(_is_name(x) for x in step):
            return False
        if self.replicas and len(step) == 3 and step[0] == "sync":
            return step[1] in names and step[2] in names and step[1] != step[2]
        if step[0] == "sync" or len(step) < 2 or step[1] not in ACTIONS:
            return False
        where = list(step[-1:]) if self.replicas else []
        if where and where[0] not in names:
            return False
        return len(step) == (2 if step[1] == "read" else 3) + len(where)

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            return False, None
        steps = list(itertools.islice(value, MAX_STEPS + 1))
        names = self._names(context)
        if not 1 <= len(steps) <= MAX_STEPS or not all(self._step_ok(s, names) for s in steps):
            return False, None
        return True, [tuple(s) for s in steps]

    def describe(self, context: Mapping[str, Any]) -> str:
        head = f"a non-empty list of at most {MAX_STEPS} steps "
        if not self.replicas:
            return head + "(client, 'add' or 'remove', item) or (client, 'read')"
        names = self._names(context)
        return head + (
            "(client, 'add' or 'remove', item, replica), (client, 'read', replica) or "
            f"('sync', from, to), with replicas among {names}"
        )


def _is_name(x: Any) -> bool:
    return isinstance(x, str) and 1 <= len(x) <= 24


# ---------------------------------------------------------------------------
# the one-replica walk-through


def _single_step(store: VersionedStore, client: CartClient, step: Sequence[str], tag: int) -> dict[str, Any]:
    action = step[1]
    if action == "read":
        client.seen = store.read(KEY)
        sent, version_sent = "", pd.NA
    else:
        value = client.edit(action, step[2], tag)
        sent, version_sent = show_cart(value), client.seen.version
        client.seen = store.write(KEY, value, version=client.seen.version)
    return {
        "step": tag,
        "client": client.name,
        "request": "read" if action == "read" else f"{action} {step[2]}",
        "sent": sent,
        "version_sent": version_sent,
        "version_returned": client.seen.version,
        "siblings": " | ".join(show_cart(c) for c in client.seen.siblings),
        "cart": show_cart(client.seen.merged),
        "held": store.versions(KEY),
    }


@checked(script=Script(), tombstones=Flag())
def cart_walkthrough(script: Sequence[Sequence[str]] = DDIA_CART, tombstones: bool = False) -> pd.DataFrame:
    """Run a script of cart requests against one server; one row per request.

    Parameters
    ----------
    script : list of tuples
        ``(client, "add" or "remove", item)`` or ``(client, "read")``, in
        order. Each client keeps the reply to its last request (a read or a
        write) and writes the merge of those siblings, edited, with their
        version. Default: DDIA's two clients (:data:`DDIA_CART`).
    tombstones : bool
        A removal keeps a tombstone for the removed item (the merge then
        cannot bring it back); without, it simply drops the item.

    Returns
    -------
    pandas.DataFrame
        ``step``, ``client``, ``request``, ``sent`` (the cart sent; empty for
        a read), ``version_sent``, ``version_returned``, ``siblings`` (what
        the reply held, ``|`` between siblings), ``cart`` (the client's merge
        of them) and ``held`` (the versions of the siblings the server holds
        after the request).

    Examples
    --------
    >>> cart_walkthrough(REMOVAL)["cart"].tolist()
    ['[milk]', '[milk]', '[milk, eggs]', '[milk, eggs]', '[milk, eggs]']
    >>> cart_walkthrough(REMOVAL, tombstones=True)["cart"].iloc[-1]
    '[eggs] −milk'
    """
    store = VersionedStore()
    clients: dict[str, CartClient] = {}
    rows = []
    for tag, step in enumerate(script, start=1):
        client = clients.setdefault(step[0], CartClient(step[0], tombstones))
        rows.append(_single_step(store, client, step, tag))
    table = pd.DataFrame(rows)
    table["version_sent"] = table["version_sent"].astype("Int64")
    return table


# ---------------------------------------------------------------------------
# several replicas: version vectors and dots


@dataclass(frozen=True)
class Sibling:
    """One stored value: its dot ``(replica, counter)``, the context its writer had read, the cart.

    ``context`` is the vector of the client's last read, without the dot.

    Examples
    --------
    >>> milk = Sibling(("A", 1), VersionVector(), Cart().add("milk", 1))
    >>> flour = Sibling(("A", 2), VersionVector.of({"A": 1}), Cart().add("milk", 1).add("flour", 3))
    >>> eggs = Sibling(("A", 3), VersionVector(), Cart().add("eggs", 2))    # a blind write
    >>> milk.replaced_by(flour), milk.replaced_by(eggs), flour.vector
    (True, False, VersionVector(A=2))
    """

    dot: tuple[str, int]
    context: VersionVector = field(default_factory=VersionVector)
    value: Cart = field(default_factory=Cart)

    @property
    def vector(self) -> VersionVector:
        """The context with the dot: every write this one includes, itself too."""
        return self.context.merge(VersionVector.of({self.dot[0]: self.dot[1]}))

    def replaced_by(self, other: Sibling) -> bool:
        """Had ``other``'s writer seen this value? (:func:`replnb.metrics.happens_before`)."""
        return metrics.happens_before(self.dot, other.dot, other.context)

    def label(self) -> str:
        """``A:2 [milk, flour]``."""
        return f"{self.dot[0]}:{self.dot[1]} {show_cart(self.value)}"


def merge_siblings(*groups: Iterable[Sibling]) -> tuple[Sibling, ...]:
    """The siblings of all ``groups`` that no other one replaces, by dot (what an exchange keeps).

    Examples
    --------
    >>> a1 = Sibling(("A", 1), VersionVector(), Cart().add("milk", 1))
    >>> b1 = Sibling(("B", 1), VersionVector(), Cart().add("eggs", 2))
    >>> b2 = Sibling(("B", 2), VersionVector.of({"B": 1}), Cart().add("eggs", 2).add("ham", 4))
    >>> [s.label() for s in merge_siblings([a1, b1], [b2])]
    ['A:1 [milk]', 'B:2 [eggs, ham]']
    """
    pool = {s.dot: s for group in groups for s in group}
    kept = [s for s in pool.values() if not any(s.replaced_by(t) for t in pool.values())]
    return tuple(sorted(kept, key=lambda s: s.dot))


class Replica:
    """A replica of one key per name: a version vector of what it knows and its siblings.

    Examples
    --------
    >>> a, b = Replica("A"), Replica("B")
    >>> _ = a.write("cart", Cart().add("milk", 1), VersionVector())
    >>> _ = b.write("cart", Cart().add("eggs", 2), VersionVector())
    >>> b.receive(a)
    True
    >>> [s.label() for s in b.siblings["cart"]], show_vector(b.vector["cart"])
    (['A:1 [milk]', 'B:1 [eggs]'], '{A:1, B:1}')
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.siblings: dict[str, tuple[Sibling, ...]] = {}
        self.vector: dict[str, VersionVector] = {}
        #: Every write this replica accepted, in order (the acknowledged writes).
        self.accepted: list[Sibling] = []

    def read(self, key: str) -> Reply:
        """The vector of everything this replica knows of ``key``, and its siblings' values."""
        return Reply(
            self.vector.get(key, VersionVector()), tuple(s.value for s in self.siblings.get(key, ()))
        )

    def write(self, key: str, value: Cart, context: VersionVector) -> Reply:
        """Accept ``value`` from a client that had read ``context``: a new dot, and drop what it had seen."""
        known = self.vector.get(key, VersionVector())
        new = Sibling((self.name, known.get(self.name) + 1), context, value)
        kept = tuple(s for s in self.siblings.get(key, ()) if not s.replaced_by(new))
        self.siblings[key] = tuple(sorted((*kept, new), key=lambda s: s.dot))
        self.accepted.append(new)
        self.vector[key] = known.merge(context).merge(new.vector)
        return self.read(key)

    def receive(self, other: Replica) -> bool:
        """Anti-entropy from ``other``: keep every sibling no other replaces; ``True`` if anything changed."""
        changed = False
        for key in sorted(other.siblings):
            merged = merge_siblings(self.siblings.get(key, ()), other.siblings[key])
            vector = self.vector.get(key, VersionVector()).merge(other.vector[key])
            changed |= merged != self.siblings.get(key, ()) or vector != self.vector.get(key)
            self.siblings[key], self.vector[key] = merged, vector
        return changed

    def state(self, key: str = KEY) -> tuple[tuple[str, int], ...]:
        """The dots of the siblings of ``key``: the replica's state by write identity."""
        return tuple(s.dot for s in self.siblings.get(key, ()))


def anti_entropy(replicas: Sequence[Replica], order: Sequence[tuple[int, int]] | None = None) -> int:
    """Repeat the exchanges ``order`` (pairs of indices, sender first; default every ordered pair) until
    nothing changes; returns how many exchanges changed something.

    Examples
    --------
    >>> reps = [Replica("A"), Replica("B"), Replica("C")]
    >>> _ = reps[0].write("cart", Cart().add("milk", 1), VersionVector())
    >>> anti_entropy(reps), [r.state() for r in reps]
    (2, [(('A', 1),), (('A', 1),), (('A', 1),)])
    """
    n = len(replicas)
    pairs = [tuple(p) for p in order] if order is not None else list(itertools.permutations(range(n), 2))
    if not all(len(p) == 2 and p[0] != p[1] and all(_is_index(i, n) for i in p) for p in pairs):
        raise ValueError(
            f"order must be a list of (sender, receiver) pairs of distinct indices in 0..{n - 1}"
        )
    changes = 0
    for _ in range(len(replicas) + 1):
        round_changes = sum(replicas[b].receive(replicas[a]) for a, b in pairs)
        changes += round_changes
        if not round_changes:
            break
    return changes


def _is_index(i: Any, n: int) -> bool:
    return isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n


@dataclass(frozen=True)
class ReplicasRun:
    """The result of :func:`replicas_walkthrough`.

    Attributes
    ----------
    steps : pandas.DataFrame
        One row per step: ``step``, ``client`` (or ``"sync"``), ``request``,
        ``replica``, ``sent``, ``context`` (the vector the write carried),
        ``returned`` (the replica's vector after the step), ``siblings``
        (the replica's siblings after it, ``dot value``, ``|`` between them),
        then as data: ``source`` (a sync's sender), ``dot`` (a write's),
        ``seen`` (the dots of the client's last reply, which a write merged)
        and ``held`` (the dots the replica holds after the step).
    replicas : pandas.DataFrame
        Per replica: ``siblings`` at the end of the script, ``after`` them
        after anti-entropy, and the ``cart`` a client merges from them.
    converged : bool
        Whether anti-entropy left every replica with the same siblings (by dot).
    exchanges : int
        How many exchanges of the anti-entropy changed something.
    final : tuple of Sibling
        The siblings of the first replica after anti-entropy.
    """

    steps: pd.DataFrame
    replicas: pd.DataFrame
    converged: bool
    exchanges: int
    final: tuple[Sibling, ...]


def _show_siblings(siblings: Iterable[Sibling]) -> str:
    return " | ".join(s.label() for s in siblings)


class _Player:
    """Plays a script's steps on replicas, one table row per step."""

    def __init__(self, replicas: int, tombstones: bool) -> None:
        self.replicas = {name: Replica(name) for name in node_names(replicas)}
        self.clients: dict[str, CartClient] = {}
        self.last: dict[str, tuple[tuple[str, int], ...]] = {}  # client -> dots of its last reply
        self.tombstones = tombstones

    def play(self, step: Sequence[str], tag: int) -> dict[str, Any]:
        row: dict[str, Any] = {"step": tag, "client": step[0], "sent": "", "context": "", "source": ""}
        row |= {"dot": None, "seen": ()}
        if step[0] == "sync":
            changed = self.replicas[step[2]].receive(self.replicas[step[1]])
            where = step[2]
            row |= {"request": f"sync {step[1]} → {step[2]}" + ("" if changed else " (nothing new)")}
            row |= {"source": step[1]}
        else:
            where = step[-1]
            row |= self._request(step, tag)
            self.last[step[0]] = self.replicas[where].state()
        replica = self.replicas[where]
        row |= {
            "replica": where,
            "returned": show_vector(replica.vector.get(KEY, VersionVector())),
            "siblings": _show_siblings(replica.siblings.get(KEY, ())),
            "held": replica.state(),
        }
        return row

    def _request(self, step: Sequence[str], tag: int) -> dict[str, Any]:
        client = self.clients.setdefault(step[0], CartClient(step[0], self.tombstones, VersionVector()))
        action, replica = step[1], self.replicas[step[-1]]
        if action == "read":
            client.seen = replica.read(KEY)
            return {"request": "read"}
        value = client.edit(action, step[2], tag)
        context = client.seen.version
        client.seen = replica.write(KEY, value, context)
        return {
            "request": f"{action} {step[2]}",
            "sent": show_cart(value),
            "context": show_vector(context),
            "dot": replica.accepted[-1].dot,
            "seen": self.last.get(step[0], ()),
        }


def _play(
    script: Sequence[Sequence[str]], replicas: int, tombstones: bool
) -> tuple[dict[str, Replica], list[dict[str, Any]]]:
    player = _Player(replicas, tombstones)
    rows = [player.play(step, tag) for tag, step in enumerate(script, start=1)]
    return player.replicas, rows


@checked(replicas=Int(1, MAX_REPLICAS), script=Script(replicas="replicas"), tombstones=Flag())
def run_replicas(
    script: Sequence[Sequence[str]], replicas: int = 2, tombstones: bool = True
) -> list[Replica]:
    """The replicas after a script of :func:`replicas_walkthrough`, before any anti-entropy.

    For experiments with the exchanges: :func:`anti_entropy` them in any order.

    Examples
    --------
    >>> reps = run_replicas([("c1", "add", "milk", "A"), ("c2", "add", "eggs", "B")])
    >>> [r.state() for r in reps]
    [(('A', 1),), (('B', 1),)]
    >>> anti_entropy(reps, order=[(1, 0), (0, 1)]), [r.state() for r in reps]
    (2, [(('A', 1), ('B', 1)), (('A', 1), ('B', 1))])
    """
    return list(_play(script, replicas, tombstones)[0].values())


@checked(replicas=Int(1, MAX_REPLICAS), script=Script(replicas="replicas"), tombstones=Flag())
def replicas_walkthrough(
    script: Sequence[Sequence[str]] = DDIA_CART_REPLICATED, replicas: int = 2, tombstones: bool = True
) -> ReplicasRun:
    """Run a script of cart requests and sync points across ``replicas`` replicas, then anti-entropy.

    Parameters
    ----------
    script : list of tuples
        ``(client, "add" or "remove", item, replica)``,
        ``(client, "read", replica)`` or ``("sync", from, to)`` (``to``
        receives ``from``'s siblings and vector), in order. A client writes
        the merge of the siblings of its last reply, edited, with that
        reply's vector as context. Default: :data:`DDIA_CART_REPLICATED`.
    replicas : int
        How many replicas (``"A"``, ``"B"``, ...), 1 to :data:`MAX_REPLICAS`.
    tombstones : bool
        Removals keep tombstones (see :func:`cart_walkthrough`).

    Returns
    -------
    ReplicasRun

    Examples
    --------
    >>> run = replicas_walkthrough()
    >>> run.replicas["siblings"].tolist()
    ['A:3 [milk, flour, bacon] | B:2 [eggs, ham]', 'A:1 [milk] | B:2 [eggs, ham]']
    >>> run.converged, run.replicas["cart"].tolist()
    (True, ['[milk, eggs, flour, ham, bacon]', '[milk, eggs, flour, ham, bacon]'])
    """
    nodes, rows = _play(script, replicas, tombstones)
    steps = pd.DataFrame(rows)[list(STEP_COLUMNS)]
    before = {name: _show_siblings(r.siblings.get(KEY, ())) for name, r in nodes.items()}
    ordered = list(nodes.values())
    exchanges = anti_entropy(ordered)
    table = pd.DataFrame(
        {
            "siblings": before,
            "after": {name: _show_siblings(r.siblings.get(KEY, ())) for name, r in nodes.items()},
            "cart": {name: show_cart(r.read(KEY).merged) for name, r in nodes.items()},
        }
    ).rename_axis("replica")
    converged = len({r.state() for r in ordered}) == 1
    final = ordered[0].siblings.get(KEY, ())
    return ReplicasRun(steps, table, converged, exchanges, final)


@checked(replicas=Int(1, MAX_BRUTE_REPLICAS), script=Script(replicas="replicas"), tombstones=Flag())
def every_exchange_order(
    script: Sequence[Sequence[str]] = THREE_REPLICAS, replicas: int = 3, tombstones: bool = True
) -> pd.DataFrame:
    """Brute force: run the script, then anti-entropy in every order of the ordered pairs of replicas.

    Each order (a permutation of the ``replicas * (replicas - 1)`` exchanges
    "X sends to Y") is repeated until nothing changes.

    Returns
    -------
    pandas.DataFrame
        One row per distinct outcome: ``orders`` (how many orders end
        there), ``converged`` (every replica holds the same siblings),
        ``siblings`` (the first replica's) and ``cart`` (their merge).

    Examples
    --------
    >>> every_exchange_order()[["orders", "converged", "siblings"]].to_numpy().tolist()
    [[720, True, 'B:2 [eggs, flour] | C:2 [ham, bacon] −milk']]
    """
    start = list(_play(script, replicas, tombstones)[0].values())
    pairs = list(itertools.permutations(range(replicas), 2))
    outcomes: dict[tuple[tuple[Sibling, ...], ...], int] = {}
    for order in itertools.permutations(pairs):
        reps = copy.deepcopy(start)
        anti_entropy(reps, order=order)
        state = tuple(r.siblings.get(KEY, ()) for r in reps)
        outcomes[state] = outcomes.get(state, 0) + 1
    rows = [
        {
            "orders": count,
            "converged": len(set(state)) == 1,
            "siblings": _show_siblings(state[0]),
            "cart": show_cart(merge_values(s.value for s in state[0])),
        }
        for state, count in outcomes.items()
    ]
    return pd.DataFrame(rows)
