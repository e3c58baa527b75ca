"""The shared fault vocabulary of the course, checked for a single-leader run.

Every model takes the same three fault lists (see the contract in
:mod:`replnb.engine.geography` and :mod:`replnb.engine.network`):

``crashes``        ``(node, at, recover_at or None)``: the node stops, then recovers;
``link_failures``  ``(a, b, at, heal_at or None)``: the link between two nodes is cut both ways;
``partitions``     ``(groups, at, heal_at or None)``: nodes in different groups cannot
                   reach each other; nodes named in no group form one more group.

``joins`` (single leader only) lists the followers that start empty and
outside the cluster and join it at a given time: ``(node, at)`` or
``(node, at, copy_ms)``, where ``copy_ms`` is how long copying the snapshot
takes (default: one replication delay).

A single-leader partition group may also name **clients**: a client named in
a group reaches only the nodes of its group, a client named in none reaches
every node (it sits outside the partition). :func:`check_faults` checks the
three lists and returns them as tuples; a ``ValueError`` names the list and
the bad entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..params import Real

__all__ = ["MAX_FAULTS", "Faults", "check_faults"]

#: At most this many entries in each fault list.
MAX_FAULTS = 100

_TIME = Real(0, 100_000, unit="ms")

Crash = tuple[str, float, float | None]
LinkFailure = tuple[str, str, float, float | None]
Partition = tuple[tuple[tuple[str, ...], ...], float, float | None]
Join = tuple[str, float, float | None]


@dataclass(frozen=True)
class Faults:
    """The checked fault lists of one run."""

    crashes: tuple[Crash, ...] = ()
    link_failures: tuple[LinkFailure, ...] = ()
    partitions: tuple[Partition, ...] = ()
    joins: tuple[Join, ...] = ()


def _entries(name: str, items: Any) -> list[Any]:
    if items is None:
        return []
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise ValueError(f"{name} must be a list of tuples or None, got {items!r}")
    got = list(items)
    if len(got) > MAX_FAULTS:
        raise ValueError(f"{name} must hold at most {MAX_FAULTS} entries, got {len(got)}")
    return got


def _tuple(name: str, item: Any, size: int, what: str) -> Sequence[Any]:
    if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != size:
        raise ValueError(f"{name} must hold {what} tuples, got {item!r}")
    return item


def _name(name: str, value: Any, known: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in known:
        raise ValueError(f"{name} must name one of {list(known)}, got {value!r}")
    return value


def _window(name: str, at: Any, until: Any) -> tuple[float, float | None]:
    start: float = _TIME.check(f"{name} time", at)
    if until is None:
        return start, None
    end: float = _TIME.check(f"{name} heal/recover time", until)
    if not end > start:
        raise ValueError(f"{name} must end after it starts ({start:g} ms), got {until!r}")
    return start, end


def _crash(item: Any, nodes: Sequence[str]) -> Crash:
    node, at, until = _tuple("crashes", item, 3, "(node, at, recover_at or None)")
    return (_name("crashes node", node, nodes), *_window("crashes", at, until))


def _link(item: Any, nodes: Sequence[str]) -> LinkFailure:
    a, b, at, until = _tuple("link_failures", item, 4, "(a, b, at, heal_at or None)")
    a, b = _name("link_failures node", a, nodes), _name("link_failures node", b, nodes)
    if a == b:
        raise ValueError(f"link_failures must join two different nodes, got {a!r} and {b!r}")
    return (a, b, *_window("link_failures", at, until))


def _partition(item: Any, nodes: Sequence[str], clients: Sequence[str]) -> Partition:
    groups, at, until = _tuple("partitions", item, 3, "(groups, at, heal_at or None)")
    known = [*nodes, *clients]
    if isinstance(groups, (str, bytes, Mapping)) or not isinstance(groups, Iterable):
        raise ValueError(f"partitions groups must be a list of lists of names, got {groups!r}")
    checked: list[tuple[str, ...]] = []
    for g in groups:
        if isinstance(g, (str, bytes, Mapping)) or not isinstance(g, Iterable):
            raise ValueError(f"partitions groups must be a list of lists of names, got {g!r}")
        checked.append(tuple(_name("partitions member", n, known) for n in g))
    named = [n for g in checked for n in g]
    if len(named) != len(set(named)):
        raise ValueError(f"partitions groups must not share a member, got {groups!r}")
    return (tuple(checked), *_window("partitions", at, until))


def _join(item: Any, nodes: Sequence[str]) -> Join:
    if isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
        item = (*item, None)
    node, at, copy_ms = _tuple("joins", item, 3, "(node, at) or (node, at, copy_ms)")
    node = _name("joins node", node, nodes[1:])
    start: float = _TIME.check("joins time", at)
    copy = None if copy_ms is None else float(Real(0, 10_000, unit="ms").check("joins copy_ms", copy_ms))
    return node, start, copy


def check_faults(
    crashes: Any,
    link_failures: Any,
    partitions: Any,
    nodes: Sequence[str],
    clients: Sequence[str],
    joins: Any = None,
) -> Faults:
    """The three fault lists, checked (``None`` is no fault).

    Examples
    --------
    >>> check_faults([("B", 10, 50)], None, None, ["A", "B"], ["c1"]).crashes
    (('B', 10.0, 50.0),)
    >>> check_faults([("Z", 10, None)], None, None, ["A", "B"], ["c1"])
    Traceback (most recent call last):
    ...
    ValueError: crashes node must name one of ['A', 'B'], got 'Z'
    """
    return Faults(
        tuple(_crash(c, nodes) for c in _entries("crashes", crashes)),
        tuple(_link(lf, nodes) for lf in _entries("link_failures", link_failures)),
        tuple(_partition(p, nodes, clients) for p in _entries("partitions", partitions)),
        _joins(joins, nodes),
    )


def _joins(joins: Any, nodes: Sequence[str]) -> tuple[Join, ...]:
    checked = tuple(_join(j, nodes) for j in _entries("joins", joins))
    names = [j[0] for j in checked]
    if len(names) != len(set(names)):
        raise ValueError(f"joins must name each follower at most once, got {names}")
    return checked
