"""The consistent-hashing ring: preference lists, home replicas, consistency levels."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

import pandas as pd

from ..engine.network import node_names
from ..engine.rng import stable_hash
from ..params import Choice, Int, checked
from ..pbs import stale_read_probability

__all__ = [
    "CONSISTENCY_LEVELS",
    "MAX_NODES",
    "NODES",
    "Stamp",
    "home_replicas",
    "level_name",
    "level_size",
    "preference_list",
    "primary_index",
    "quorum_grid",
]

#: Cassandra's consistency levels offered as presets for R and W.
CONSISTENCY_LEVELS = ("ONE", "QUORUM", "ALL")

_RING = 1 << 32
MAX_NODES = 26
#: A cluster size, or a number of home replicas: 1..26 (the nodes are named "A" to "Z").
NODES = Int(1, MAX_NODES)

Stamp = tuple[float, int]


# ---------------------------------------------------------------------------
# consistency levels and placement


@checked(level=Choice(CONSISTENCY_LEVELS), n=NODES)
def level_size(level: str = "QUORUM", n: int = 3) -> int:
    """The quorum size of a Cassandra consistency level for ``n`` replicas.

    ``ONE`` is 1, ``QUORUM`` a majority (``n // 2 + 1``) and ``ALL`` is ``n``.

    Parameters
    ----------
    level : {"ONE", "QUORUM", "ALL"}, default "QUORUM"
    n : int, default 3
        Replicas, 1..26.

    Examples
    --------
    >>> [level_size(level, 5) for level in CONSISTENCY_LEVELS]
    [1, 3, 5]
    """
    return {"ONE": 1, "QUORUM": n // 2 + 1, "ALL": n}[level]


def level_name(size: int, n: int, prefer: str | None = None) -> str:
    """The consistency level whose quorum size is ``size``, or ``"custom"``.

    When several levels match (for ``n`` <= 2), ``prefer`` wins if it is one
    of them; otherwise the first of ``ONE``, ``QUORUM``, ``ALL``.

    Examples
    --------
    >>> level_name(2, 3), level_name(3, 3), level_name(2, 4)
    ('QUORUM', 'ALL', 'custom')
    >>> level_name(1, 1), level_name(1, 1, prefer="ALL")
    ('ONE', 'ALL')
    """
    matches = [level for level in CONSISTENCY_LEVELS if level_size(level, n) == size]
    if prefer in matches:
        return str(prefer)
    return matches[0] if matches else "custom"


def _names(nodes: int | Sequence[str]) -> list[str]:
    if isinstance(nodes, int):
        return node_names(NODES.check("nodes", nodes))
    return list(nodes)


def primary_index(key: str, m: int) -> int:
    """The position, among ``m`` evenly spaced tokens, of the first node clockwise from ``key``.

    Examples
    --------
    >>> primary_index("k0", 5)
    4
    """
    tokens = [(i + 1) * _RING // m - 1 for i in range(m)]
    return bisect_left(tokens, stable_hash(key))


def preference_list(key: str, nodes: int | Sequence[str]) -> list[str]:
    """Every node in the order a key's requests try them (consistent hashing).

    The nodes sit at evenly spaced tokens on a ring of ``2**32`` positions;
    the key sits at ``stable_hash(key)``; the list starts at the first node
    clockwise from the key and goes round the ring.

    Examples
    --------
    >>> preference_list("k0", 5)
    ['E', 'A', 'B', 'C', 'D']
    """
    names = _names(nodes)
    first = primary_index(key, len(names))
    return names[first:] + names[:first]


@checked(n=NODES)
def home_replicas(key: str, n: int, nodes: int | Sequence[str] | None = None) -> list[str]:
    """The ``n`` home replicas of ``key`` in a cluster of ``nodes`` (default ``n``).

    Examples
    --------
    >>> home_replicas("k0", 3, 5)
    ['E', 'A', 'B']
    """
    names = _names(n if nodes is None else nodes)
    Int(1, len(names), unit="(the cluster size)").check("n", n)
    return preference_list(key, names)[:n]


@checked(n=NODES)
def quorum_grid(n: int = 3) -> pd.DataFrame:
    """The closed-form stale-read probability for every (R, W) with ``n`` replicas.

    Rows are ``R`` = 1..n, columns ``W`` = 1..n; each cell is
    :func:`replnb.pbs.stale_read_probability` (0 wherever ``R + W > n``).

    Examples
    --------
    >>> quorum_grid(3).round(3).values.tolist()
    [[0.667, 0.333, 0.0], [0.333, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    sizes = range(1, n + 1)
    data = [[stale_read_probability(n, r, w) for w in sizes] for r in sizes]
    return pd.DataFrame(data, index=pd.Index(sizes, name="R"), columns=pd.Index(sizes, name="W"))
