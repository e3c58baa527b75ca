"""The shared fault vocabulary of the leaderless model: crashes, link failures, partitions.

Every model of the course takes the same three fault lists: ``crashes`` of nodes,
``link_failures`` that cut the link between two nodes both ways, and
``partitions`` that split the nodes into groups that cannot reach each
other. Each entry ends with the time it heals (``None``: never). This module
checks them, naming the parameter and the entry, and schedules them on a
:class:`~replnb.engine.network.Network`.

Examples
--------
>>> check_links([("A", "B", 10.0, None)], ["A", "B", "C"])
[('A', 'B', 10.0, None)]
>>> check_partitions([([["A"], ["B", "C"]], 5.0, 50.0)], ["A", "B", "C"])
[((('A',), ('B', 'C')), 5.0, 50.0)]
>>> check_links([("A", "A", 1.0, None)], ["A", "B"])
Traceback (most recent call last):
...
ValueError: link_failures[0] b must be another node than a ('A'), got 'A'
"""

from __future__ import annotations

from collections.abc import Sequence

from ..engine.network import Network
from ..params import Choice, Real

__all__ = [
    "MAX_FAULTS",
    "MAX_TIME",
    "Crash",
    "LinkFailure",
    "Partition",
    "check_crashes",
    "check_links",
    "check_partitions",
    "check_restores",
    "schedule_faults",
]

#: The most entries of each fault list.
MAX_FAULTS = 100
#: The latest time of a fault, in ms.
MAX_TIME = 100_000.0

Crash = tuple[str, float, float | None]
LinkFailure = tuple[str, str, float, float | None]
Partition = tuple[tuple[tuple[str, ...], ...], float, float | None]
Restore = tuple[str, float, float]


def _entries(name: str, items: object, what: str) -> Sequence[object]:
    if items is None:
        return ()
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence) or len(items) > MAX_FAULTS:
        raise ValueError(f"{name} must be a sequence of at most {MAX_FAULTS} {what}, got {items!r}")
    return items


def _window(name: str, at: object, heal: object, heal_name: str) -> tuple[float, float | None]:
    start = float(Real(0, MAX_TIME, unit="ms").check(f"{name} at", at))
    end = Real(start, MAX_TIME, low_open=True, unit="ms", none=True).check(f"{name} {heal_name}", heal)
    return start, None if end is None else float(end)


def check_crashes(crashes: object, names: Sequence[str], name: str = "crashes") -> list[Crash]:
    """``crashes`` as ``(node, at, recover_at or None)`` triples (a pair: no recovery).

    Examples
    --------
    >>> check_crashes([("B", 1.0)], ["A", "B"])
    [('B', 1.0, None)]
    """
    out: list[Crash] = []
    for i, item in enumerate(_entries(name, crashes, "(node, at, recover_at or None)")):
        entry = f"{name}[{i}]"
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) not in (2, 3):
            raise ValueError(
                f"{entry} must be a (node, at) or (node, at, recover_at or None) tuple, got {item!r}"
            )
        node = Choice(tuple(names)).check(f"{entry} node", item[0])
        at, back = _window(entry, item[1], item[2] if len(item) == 3 else None, "recover_at")
        out.append((str(node), at, back))
    return out


def check_links(links: object, names: Sequence[str]) -> list[LinkFailure]:
    """``link_failures`` as ``(a, b, at, heal_at or None)``: the link ``a``-``b`` is cut both ways."""
    out: list[LinkFailure] = []
    for i, item in enumerate(_entries("link_failures", links, "(a, b, at, heal_at or None)")):
        entry = f"link_failures[{i}]"
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 4:
            raise ValueError(f"{entry} must be an (a, b, at, heal_at or None) tuple, got {item!r}")
        a = str(Choice(tuple(names)).check(f"{entry} a", item[0]))
        b = str(Choice(tuple(names)).check(f"{entry} b", item[1]))
        if a == b:
            raise ValueError(f"{entry} b must be another node than a ({a!r}), got {b!r}")
        at, heal = _window(entry, item[2], item[3], "heal_at")
        out.append((a, b, at, heal))
    return out


def check_partitions(partitions: object, names: Sequence[str]) -> list[Partition]:
    """``partitions`` as ``(groups, at, heal_at or None)``; groups of known nodes, none shared.

    Nodes named in no group form one more group together (as in
    :meth:`replnb.engine.network.Network.partition`).
    """
    out: list[Partition] = []
    for i, item in enumerate(_entries("partitions", partitions, "(groups, at, heal_at or None)")):
        entry = f"partitions[{i}]"
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 3:
            raise ValueError(f"{entry} must be a (groups, at, heal_at or None) tuple, got {item!r}")
        groups = item[0]
        if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence) or not groups:
            raise ValueError(
                f"{entry} groups must be a non-empty sequence of groups of nodes, got {groups!r}"
            )
        checked: list[tuple[str, ...]] = []
        for group in groups:
            if isinstance(group, (str, bytes)) or not isinstance(group, Sequence) or not group:
                raise ValueError(f"{entry} groups must hold non-empty sequences of nodes, got {group!r}")
            checked.append(tuple(str(Choice(tuple(names)).check(f"{entry} node", x)) for x in group))
        flat = [x for g in checked for x in g]
        if len(flat) != len(set(flat)):
            raise ValueError(f"{entry} groups must not share nodes, got {groups!r}")
        at, heal = _window(entry, item[1], item[2], "heal_at")
        out.append((tuple(checked), at, heal))
    return out


def check_restores(restores: object, names: Sequence[str]) -> list[Restore]:
    """``restores`` as ``(node, at, backup_at)``: at ``at``, ``node``'s data is replaced by its backup.

    Examples
    --------
    >>> check_restores([("A", 50.0, 10.0)], ["A", "B"])
    [('A', 50.0, 10.0)]
    >>> check_restores([("A", 50.0, 60.0)], ["A", "B"])
    Traceback (most recent call last):
    ...
    ValueError: restores[0] backup_at must be a time before at (50 ms), got 60.0
    """
    out: list[Restore] = []
    for i, item in enumerate(_entries("restores", restores, "(node, at, backup_at)")):
        entry = f"restores[{i}]"
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 3:
            raise ValueError(f"{entry} must be a (node, at, backup_at) tuple, got {item!r}")
        node = str(Choice(tuple(names)).check(f"{entry} node", item[0]))
        at = float(Real(0, MAX_TIME, low_open=True, unit="ms").check(f"{entry} at", item[1]))
        backup = float(Real(0, MAX_TIME, unit="ms").check(f"{entry} backup_at", item[2]))
        if not backup < at:
            raise ValueError(f"{entry} backup_at must be a time before at ({at:g} ms), got {backup!r}")
        out.append((node, at, backup))
    return out


def schedule_faults(
    net: Network, crashes: Sequence[Crash], links: Sequence[LinkFailure], partitions: Sequence[Partition]
) -> None:
    """Schedule every fault on ``net``: crashes first, then link cuts, then partitions."""
    for node, at, back in crashes:
        net.crash(node, at, back)
    for a, b, at, heal in links:
        net.cut_link(a, b, at, heal)
    for groups, at, heal in partitions:
        net.partition(groups, at, heal)
