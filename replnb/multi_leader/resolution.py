"""How a replica folds a write into a key's state: last-write-wins, merges, siblings, custom logic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine.clocks import VersionVector
from .state import Cart, KeyState, Resolve, Write, display, same, union_carts

__all__ = ["Resolution"]


@dataclass(frozen=True)
class Resolution:
    """A resolver, its custom function (if any) and the workload: how concurrent versions combine.

    Examples
    --------
    >>> from replnb.multi_leader import simulate
    >>> ops = [dict(time=0, node="A", key="x", value=7), dict(time=1, node="B", key="x", value=5)]
    >>> run = simulate(resolver="max", ops=ops)
    >>> Resolution("max", None, "register").reference(run.extras["writes"], [0, 1])
    {'x': 7}
    """

    resolver: str
    resolve: Resolve | None
    workload: str
    tombstones: bool = False

    def merge(self, state: KeyState, write: Write) -> bool:
        """Fold ``write`` into a key's state; returns whether it was concurrent (a conflict)."""
        # VersionVector.compare and .merge, on plain dicts (the hot path of every run)
        mine = dict(state.vv.counts)
        theirs = dict(write.vv.counts)
        covered = all(c <= mine.get(n, 0) for n, c in theirs.items())  # write happened before (or is) us
        covers = all(c <= theirs.get(n, 0) for n, c in mine.items())  # write saw everything we have
        if not covered:
            for n, c in theirs.items():
                if c > mine.get(n, 0):
                    mine[n] = c
            state.vv = VersionVector(tuple(sorted(mine.items())))
        if self.resolver in ("lww", "avoid"):
            if not state.siblings or write.order > state.siblings[0].order:
                state.siblings = [write]
        elif not covered:  # keep the maximal versions: drop those the write supersedes
            kept = [s for s in state.siblings if not all(c <= theirs.get(n, 0) for n, c in s.vv.counts)]
            kept.append(write)
            kept.sort(key=lambda s: s.order)
            state.siblings = kept
        state.value, state.contributors = self.fold(state.siblings)
        return not covered and not covers

    def reference(self, writes: Mapping[int, Write], op_ids: Iterable[int]) -> dict[str, Any]:
        """The state of a replica that applied exactly these writes (displayed values)."""
        return {k: display(s.value) for k, s in self.states(writes, op_ids).items()}

    def states(self, writes: Mapping[int, Write], op_ids: Iterable[int]) -> dict[str, KeyState]:
        """The key states of a replica that applied exactly these writes."""
        states: dict[str, KeyState] = {}
        for op_id in sorted(op_ids):
            write = writes[op_id]
            self.merge(states.setdefault(write.key, KeyState()), write)
        return states

    def fold(self, siblings: list[Write]) -> tuple[Any, frozenset[int]]:
        """The value of a set of concurrent versions (sorted by ``order``) and who contributed."""
        first = siblings[0]
        if len(siblings) == 1:
            return first.value, frozenset((first.op_id,))
        everyone = frozenset(s.op_id for s in siblings)
        kind = self.resolver
        if kind == "siblings":
            return tuple(s.value for s in siblings), everyone
        if kind == "max":
            top = max(s.value for s in siblings)
            return top, frozenset(s.op_id for s in siblings if s.value == top)
        if kind == "concat":
            return "/".join(str(s.value) for s in siblings), everyone
        fn: Resolve = union_carts if kind == "union" else self.resolve  # type: ignore[assignment]
        value, who = first.value, frozenset((first.op_id,))
        for s in siblings[1:]:
            out = fn(value, s.value)
            if self.workload == "cart" and not isinstance(out, Cart):
                raise ValueError(f"resolve must return a Cart for workload='cart', got {out!r}")
            same_old, same_new = same(out, value), same(out, s.value)
            if same_new and not same_old:
                who = frozenset((s.op_id,))
            elif not (same_old and not same_new):
                who = who | {s.op_id}
            value = out
        if self.tombstones and self.workload == "cart":
            # with tombstones a cart records its additions and its deletions: a version whose
            # additions and tombstones are all in the merge keeps its whole effect there
            who = frozenset(s.op_id for s in siblings if _within(s.value, value)) or who
        return value, who


def _within(part: Any, whole: Any) -> bool:
    """Whether cart ``part``'s additions and tombstones are all in cart ``whole``."""
    if not (isinstance(part, Cart) and isinstance(whole, Cart)):
        return False
    return part.items <= whole.items and part.removed <= whole.removed
