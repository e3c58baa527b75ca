"""Multi-leader vocabulary: writes, carts, per-key state, leaders, resolvers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine.clocks import NodeClock, VersionVector
from ..engine.network import node_names
from ..engine.rng import stable_hash
from ..params import Int, checked

__all__ = [
    "CART_KEYS",
    "CART_ONLY",
    "MAX_LEADERS",
    "REGISTER_KEYS",
    "REGISTER_ONLY",
    "REPLICATION_KINDS",
    "RESOLVERS",
    "WORKLOADS",
    "Cart",
    "KeyState",
    "Leader",
    "Resolve",
    "Write",
    "display",
    "home_leader",
    "same",
    "same_state",
    "union_carts",
    "vv_str",
]

#: Resolver names accepted by :func:`simulate` (a callable is accepted too).
RESOLVERS = ("avoid", "lww", "max", "concat", "union", "siblings", "custom")
#: Workloads: a register per key, or a shopping cart per key (add / remove items).
WORKLOADS = ("register", "cart")
#: The largest number of leaders :func:`simulate` accepts.
MAX_LEADERS = 10

REGISTER_KEYS = ("x", "y", "z", "u", "v", "w", "s", "t")
CART_KEYS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
REGISTER_ONLY = ("max", "concat", "siblings")
CART_ONLY = ("union",)
REPLICATION_KINDS = ("write", "catchup", "sync")

Resolve = Callable[[Any, Any], Any]


# -- values ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cart:
    """A shopping cart as a replica stores it (immutable).

    ``items`` holds every ``(item, tag)`` this replica knows was added (the
    tag is the op id of the add, so adding "milk" twice gives two entries);
    ``removed`` holds the ``(item, tag)`` pairs known to be deleted
    (**tombstones**; empty when the run keeps no tombstones, in which case a
    removal simply drops the pairs from ``items``). What the user sees is
    :attr:`contents`: the items added and not removed.

    A merge that loses no item and brings back no deleted item must keep
    every pair either side has added *and* every tombstone either side has.

    Examples
    --------
    >>> cart = Cart().add("milk", 0).add("eggs", 1)
    >>> cart.contents
    ('eggs', 'milk')
    >>> gone, tags = cart.remove("milk", tombstone=True)
    >>> gone.contents, sorted(tags)
    (('eggs',), [('milk', 0)])
    >>> gone
    Cart(items={eggs#1, milk#0}, removed={milk#0})
    """

    items: frozenset[tuple[str, int]] = frozenset()
    removed: frozenset[tuple[str, int]] = frozenset()

    @functools.cached_property
    def contents(self) -> tuple[str, ...]:
        """The items the user sees, sorted (added and not removed)."""
        return tuple(sorted({name for name, _ in self.items - self.removed}))

    def add(self, item: str, tag: int) -> Cart:
        """A copy with ``item`` added under ``tag``."""
        return Cart(self.items | {(item, tag)}, self.removed)

    def remove(self, item: str, *, tombstone: bool) -> tuple[Cart, frozenset[tuple[str, int]]]:
        """A copy without ``item``, and the ``(item, tag)`` pairs this removal deleted."""
        tags = frozenset(p for p in self.items - self.removed if p[0] == item)
        if tombstone:
            return Cart(self.items, self.removed | tags), tags
        return Cart(self.items - tags, self.removed), tags

    def __repr__(self) -> str:
        def fmt(pairs: frozenset[tuple[str, int]]) -> str:
            return "{" + ", ".join(f"{n}#{t}" for n, t in sorted(pairs)) + "}"

        return f"Cart(items={fmt(self.items)}, removed={fmt(self.removed)})"


def union_carts(local: Cart, incoming: Cart) -> Cart:
    """The built-in cart merge: the union of items and of tombstones."""
    return Cart(local.items | incoming.items, local.removed | incoming.removed)


@dataclass(frozen=True, slots=True)
class Write:
    """One write as it travels between leaders (immutable).

    Attributes
    ----------
    op_id : int
        The client operation that made it.
    origin : str
        The leader that accepted it.
    seq : int
        Its number among the origin's writes (1, 2, ...).
    key : str
    value : Any
        The register value, or the whole :class:`Cart` after the operation.
    ts : float
        The origin's clock reading (ms), for last-write-wins.
    vv : VersionVector
        The key's version vector: the origin's merged vector plus one.
    deps : tuple of int
        The causal past: for each origin (in node order) the highest write
        number that happened before (or is) this write.
    start : float
        True time the client issued it (ms).
    label : str
        How diagrams show it: ``"x=1"``, or ``"cart +milk"`` / ``"cart -milk"``.
    """

    op_id: int
    origin: str
    seq: int
    key: str
    value: Any
    ts: float
    vv: VersionVector
    deps: tuple[int, ...]
    start: float
    label: str = ""

    @property
    def order(self) -> tuple[float, str, int]:
        """The last-write-wins order: ``(ts, origin, seq)``."""
        return (self.ts, self.origin, self.seq)


@checked(leaders=Int(1, 26))
def home_leader(key: str | None = None, leaders: int = 2) -> str:
    """The home leader of ``key`` under conflict avoidance: ``crc32(key) % leaders``.

    ``key`` is any string (``None`` is refused; it is a default only so that
    the leaders can be checked on their own).

    Examples
    --------
    >>> home_leader("x", 3), home_leader("alice", 3)
    ('A', 'C')
    >>> home_leader("x", 0)
    Traceback (most recent call last):
    ...
    ValueError: leaders must be an integer in 1..26, got 0
    """
    if not isinstance(key, str):
        raise ValueError(f"key must be a string, got {key!r}")
    return node_names(leaders)[stable_hash(key) % leaders]


def display(value: Any) -> Any:
    return value.contents if isinstance(value, Cart) else value


def vv_str(vv: VersionVector) -> str:
    return ",".join(f"{n}{c}" for n, c in vv.counts)


# -- replicas -------------------------------------------------------------------------------------
class KeyState:
    """One key at one replica: its merged version vector, its concurrent versions and their value.

    ``vv`` is the per-key version vector of every write of the key the
    replica has applied; ``siblings`` the versions it keeps (one under
    last-write-wins); ``contributors`` the op_ids of the writes whose
    effect its value shows (the survivors, once the replicas converge).
    """

    __slots__ = ("contributors", "siblings", "value", "vv")

    def __init__(self) -> None:
        self.vv = VersionVector()
        self.siblings: list[Write] = []
        self.value: Any = None
        self.contributors: frozenset[int] = frozenset()

    @property
    def held(self) -> tuple[int, ...]:
        """The op_ids of the versions this replica keeps for the key, sorted (its identity)."""
        return tuple(sorted(s.op_id for s in self.siblings))


class Leader:
    """One leader's replica: its clock, its keys, and what it has seen and applied of every origin."""

    __slots__ = ("arrived", "clock", "index", "keys", "past", "pending", "prefix", "seen", "seq")

    def __init__(self, index: int, n: int, clock: NodeClock) -> None:
        self.index = index
        self.clock = clock
        self.seq = 0
        self.keys: dict[str, KeyState] = {}
        self.seen: dict[int, tuple[str, ...]] = {}  # op_id -> path to forward with (ends here)
        self.arrived: dict[int, float] = {}
        self.prefix = [0] * n  # per origin: writes 1..prefix all applied
        self.pending: list[set[int]] = [set() for _ in range(n)]  # applied beyond the prefix
        self.past = [0] * n  # causal past of the next local write

    def ready(self, origin: int, deps: tuple[int, ...]) -> bool:
        """Whether a write from leader number ``origin`` with causal past ``deps`` can apply here:
        every write it depends on is applied, and so are its origin's earlier writes.

        Examples
        --------
        >>> from replnb.engine.sim import Simulation
        >>> leader = Leader(0, 2, NodeClock(Simulation(), 0.0, 0.0))
        >>> leader.ready(1, (0, 1)), leader.ready(1, (1, 1))
        (True, False)
        """
        prefix = self.prefix
        for k, need in enumerate(deps):
            if k == origin:
                if prefix[k] < need - 1:
                    return False
            elif prefix[k] < need:
                return False
        return True

    def note_applied(self, origin: int, seq: int, deps: tuple[int, ...]) -> None:
        """Record that write ``seq`` of leader number ``origin`` is applied here, and its causal past."""
        prefix, pending = self.prefix, self.pending[origin]
        if seq == prefix[origin] + 1:
            prefix[origin] = seq
            while prefix[origin] + 1 in pending:
                pending.discard(prefix[origin] + 1)
                prefix[origin] += 1
        elif seq > prefix[origin]:
            pending.add(seq)
        past = self.past
        for i, c in enumerate(deps):
            if c > past[i]:
                past[i] = c


def same_state(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    keys = set(a) | set(b)
    return all(repr(a.get(k)) == repr(b.get(k)) for k in keys)


def same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # e.g. numpy arrays: compare by repr
        return repr(a) == repr(b)
