"""The exercise of multi-leader conflicts (chapter 2)."""

from __future__ import annotations

from typing import Any

from .. import multi_leader
from ..multi_leader import Cart
from .feedback import Feedback

__all__ = ["check_cart_resolver"]


def check_cart_resolver(fn: Any, *, runs: int = 12, seed: int = 0) -> Feedback:
    """Check a shopping-cart conflict resolver ``fn(local, incoming) -> Cart``.

    The resolver must lose no item and bring back no deleted item. It is
    first tried on a few hand-made conflicts, then plugged into ``runs``
    randomized multi-leader runs (:func:`replnb.multi_leader.simulate` with
    ``workload="cart"`` and ``tombstones=True``), where every replica must
    end with the same cart, no acknowledged item may be missing and no
    removed item may be back. A wrong answer gets a hint about the idea it
    misses, not the code that fixes it.

    Parameters
    ----------
    fn : callable
        ``fn(local: Cart, incoming: Cart) -> Cart``.
    runs : int
        Randomized runs (1..50).
    seed : int
        Seed of the randomized runs.

    Examples
    --------
    Keeping the incoming cart is last-write-wins by arrival: it loses items.

    >>> print(check_cart_resolver(lambda local, incoming: incoming))  # doctest: +ELLIPSIS
    ✗ When both sides added an item, the merged cart lost [...]. Hint: ...
    """

    if not callable(fn):
        return Feedback(False, f"Pass your resolver function itself (a callable), not {fn!r}.")
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= 50:
        raise ValueError(f"runs must be an integer in 1..50, got {runs!r}")
    milk, eggs, tea = ("milk", 1), ("eggs", 2), ("tea", 3)
    base = Cart(frozenset({milk}))
    deleted = Cart(frozenset({milk}), frozenset({milk}))
    cases = [
        # (local, incoming, must contain, must not contain, what happened)
        (base.add(*eggs), base.add(*tea), {"milk", "eggs", "tea"}, set(), "both sides added an item"),
        (deleted, base.add(*eggs), {"eggs"}, {"milk"}, "one side removed milk"),
        (base.add(*eggs), deleted, {"eggs"}, {"milk"}, "one side removed milk"),
    ]
    for local, incoming, keep, gone, story in cases:
        try:
            out = fn(local, incoming)
        except Exception as exc:
            return Feedback(
                False,
                f"Your resolver raised {type(exc).__name__}: {exc} (when {story}).",
                hint="It receives two Cart objects; build and return a new Cart(items=..., removed=...).",
            )
        if not isinstance(out, Cart):
            return Feedback(
                False,
                f"Your resolver returned {type(out).__name__}, not a Cart (when {story}).",
                hint="Return Cart(items, removed): frozensets of (item, tag) pairs.",
            )
        contents = set(out.contents)
        if keep - contents:
            return Feedback(
                False,
                f"When {story}, the merged cart lost {sorted(keep - contents)}.",
                hint="Each side may know of additions the other has not seen yet. A merge that keeps "
                "one side's view throws the other side's additions away.",
            )
        if gone & contents:
            return Feedback(
                False,
                f"When {story}, the merged cart brought back {sorted(gone & contents)}.",
                hint="The side that did not see the removal still holds the item, and a merge cannot "
                "tell 'removed' from 'not yet heard of' unless the removal is remembered. A removal "
                "that either side has seen must stay in the merged cart's memory.",
            )
    conflicts = 0
    for i in range(runs):
        try:
            run = multi_leader.simulate(
                workload="cart",
                resolver=fn,
                tombstones=True,
                leaders=2 + i % 3,
                keys=1 + i % 2,
                write_rate=60.0,
                remove_fraction=0.4,
                jitter=5.0 * (i % 2),
                duration=250.0,
                seed=seed + i,
            )
        except Exception as exc:
            return Feedback(
                False,
                f"Your resolver failed inside a replicated run: {type(exc).__name__}: {exc}.",
                hint="It may receive carts that are already merges; it must always return a Cart.",
            )
        m = run.metrics
        conflicts += int(m["conflicts"])
        carts = run.final_state.loc[run.extras["live"]]
        differ = any(len({repr(v) for v in carts[c]}) > 1 for c in carts.columns)
        if differ or m["convergence_time"] == float("inf"):
            return Feedback(
                False,
                f"In randomized run {i + 1} the replicas ended with different carts.",
                hint="Replicas see the same conflicts in different orders. For them to agree, the "
                "merge must not care which cart is local, nor how merges are grouped, nor whether a "
                "cart is merged with itself.",
            )
        if m["lost_elements"]:
            return Feedback(
                False,
                f"In randomized run {i + 1}, {int(m['lost_elements'])} added item(s) went missing.",
                hint="In a long run a merge meets carts that are already merges. Whatever the order, "
                "an addition that any side has seen must stay in the result.",
            )
        if m["resurrections"]:
            return Feedback(
                False,
                f"In randomized run {i + 1}, {int(m['resurrections'])} deleted item(s) came back.",
                hint="Some removal was forgotten along the way: whatever was seen removed on any side "
                "must still count as removed after every later merge.",
            )
    return Feedback(
        True,
        f"Your resolver lost no item and resurrected none, through {conflicts} conflicts in {runs} "
        "randomized runs, and every replica ended with the same cart.",
    )
