"""Sibling sets with dots and causal contexts: what a replica of the siblings mode holds for a key.

The state-based form of DDIA's algorithm for several replicas (see
:mod:`replnb.leaderless.siblings` for the walk-through, and Riak's dotted
version vectors): a replica holds, per key, a :class:`SiblingSet` of
:class:`Version` objects, each with its *dot* ``(replica, counter)``, the
*context* its client had read (without its own dot) and the write's op id,
plus the version vector of every dot the replica has seen. A version is
dropped exactly when its dot is in another kept version's context: its
writer had read it (:func:`replnb.metrics.happens_before`, the course's one
definition). Merging two sets (:func:`merge`) keeps every version no other
one replaces, whichever order the merges come in: merges commute, associate
and are idempotent, so replicas that exchange their sets converge.

Why a replica ships its whole set, not the one new version: a vector
``{A: 3}`` claims ``A:1`` and ``A:2`` as well. A replica that received
``A:3`` alone would claim to know two writes it never saw, and a client
reading it would overwrite them unseen. Shipping the set keeps every
claim honest: whoever holds ``A:3`` also holds ``A:1`` and ``A:2``, or a
version whose writer had read them.

Examples
--------
>>> a1 = new_version(EMPTY, "A", {}, op_id=0, stamp=(0.0, 0))
>>> b1 = new_version(EMPTY, "B", {}, op_id=1, stamp=(1.0, 1))
>>> both = merge(a1, b1)
>>> both.op_ids, both.context
((0, 1), {'A': 1, 'B': 1})
>>> merge(both, new_version(both, "A", both.context, op_id=2, stamp=(2.0, 2))).op_ids
(2,)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import metrics
from .ring import Stamp

__all__ = ["EMPTY", "SiblingSet", "Version", "covers", "merge", "new_version"]

Dot = tuple[str, int]


@dataclass(frozen=True)
class Version:
    """One sibling: its dot, the context its client had read (sorted items, no own dot), op id, stamp."""

    dot: Dot
    context: tuple[tuple[str, int], ...]
    op_id: int
    stamp: Stamp

    def replaced_by(self, other: Version) -> bool:
        """Had ``other``'s writer read this version? (:func:`replnb.metrics.happens_before`)."""
        return metrics.happens_before(self.dot, other.dot, dict(other.context))


@dataclass(frozen=True)
class SiblingSet:
    """A replica's state for one key: its versions (sorted by dot) and the vector of every dot seen."""

    versions: tuple[Version, ...] = ()
    vector: tuple[tuple[str, int], ...] = ()

    @property
    def op_ids(self) -> tuple[int, ...]:
        """The op ids of the versions, in op id order (never by timestamp: clocks decide nothing here)."""
        return tuple(sorted(v.op_id for v in self.versions))

    @property
    def context(self) -> dict[str, int]:
        """What a reader of this set has seen: the vector (every held dot, and each one's past)."""
        return dict(self.vector)

    @property
    def newest(self) -> Stamp | None:
        """The highest timestamp held (only for display and ranking: causality decides what is kept)."""
        return max((v.stamp for v in self.versions), default=None)


#: The state of a key a replica has never heard of.
EMPTY = SiblingSet()


def covers(vector: Mapping[str, int], dot: Dot) -> bool:
    """Whether ``vector`` claims ``dot``."""
    return vector.get(dot[0], 0) >= dot[1]


def _join(*vectors: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    out: dict[str, int] = {}
    for vector in vectors:
        for node, count in vector.items():
            if out.get(node, 0) < count:
                out[node] = count
    return tuple(sorted(out.items()))


def merge(*sets: SiblingSet) -> SiblingSet:
    """The versions of all ``sets`` that no other one replaces, and the join of their vectors.

    A version is replaced when its dot is in another version's context (a
    context never holds its own dot). The result does not depend on the
    order of ``sets``.

    Examples
    --------
    >>> a1 = new_version(EMPTY, "A", {}, op_id=0, stamp=(0.0, 0))
    >>> merge(a1, a1) == merge(a1) == a1
    True
    >>> merge(a1, {"A": 1})
    Traceback (most recent call last):
    ...
    ValueError: sets must be SiblingSet objects, got {'A': 1}
    """
    for s in sets:
        if not isinstance(s, SiblingSet):
            raise ValueError(f"sets must be SiblingSet objects, got {s!r}")
    pool = {v.dot: v for s in sets for v in s.versions}
    # the largest counter any version's context claims, per replica: one pass, not all pairs
    reach: dict[str, int] = {}
    for v in pool.values():
        for node, count in v.context:
            if reach.get(node, 0) < count:
                reach[node] = count
    kept = tuple(pool[d] for d in sorted(pool) if not covers(reach, d))
    return SiblingSet(kept, _join(*(dict(s.vector) for s in sets)))


def new_version(
    state: SiblingSet, node: str, context: Mapping[str, int], op_id: int, stamp: Stamp
) -> SiblingSet:
    """``node`` accepts a write from a client that had read ``context``: ``state`` with it merged in.

    Its dot is ``node``'s next counter in ``state``'s vector; the versions
    the context covers are dropped, the others stay as its siblings.
    """
    if not isinstance(node, str) or not isinstance(context, Mapping):
        raise ValueError(f"node must be a replica name and context a mapping, got {node!r}, {context!r}")
    vector = dict(state.vector)
    dot = (node, max(vector.get(node, 0), context.get(node, 0)) + 1)
    version = Version(dot, tuple(sorted(context.items())), op_id, stamp)
    return merge(state, SiblingSet((version,), _join(dict(context), {node: dot[1]})))
