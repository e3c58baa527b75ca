"""The exercise of leaderless quorums (chapter 4)."""

from __future__ import annotations

from .feedback import Feedback

__all__ = ["check_quorum_choice"]


def check_quorum_choice(r: int, w: int, *, n: int = 5, failures: int = 2) -> Feedback:
    """Check a choice of R and W for N=5: reads never behind, and writes survive 2 failed nodes.

    Without a sloppy quorum a read is guaranteed to return the newest
    acknowledged version (or a newer one) only when every read quorum
    overlaps every write quorum; and a write succeeds with ``failures`` nodes
    down only if the nodes that are left can still acknowledge it. No choice
    of R and W orders concurrent writes: when a key's coordinator fails over,
    two clients writing the key at once can still lose one write under
    last-write-wins, which the message says.

    Parameters
    ----------
    r, w : int
        The learner's read and write quorum sizes.
    n : int, default 5
        Replicas.
    failures : int, default 2
        Nodes that may be down while writes must still succeed.

    Examples
    --------
    >>> bool(check_quorum_choice(3, 3))
    True
    >>> fb = check_quorum_choice(2, 3)
    >>> bool(fb), fb.message.split(":")[0]
    (False, 'R + W = 5 is not more than N = 5')
    >>> bool(check_quorum_choice(1, 5))
    False
    """
    for name, value in (("r", r), ("w", w)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= n:
            return Feedback(
                False,
                f"{name.upper()} must be a whole number of replicas between 1 and N = {n}, got {value!r}.",
                hint="A quorum is a number of replicas: at least one, at most all of them.",
            )
    if r + w <= n:
        return Feedback(
            False,
            f"R + W = {r + w} is not more than N = {n}: a read quorum can miss the write quorum, "
            "so reads can be stale.",
            hint="Every read quorum must share at least one replica with every write quorum.",
        )
    if w > n - failures:
        return Feedback(
            False,
            f"With {failures} of {n} nodes down only {n - failures} can acknowledge a write, "
            f"fewer than W = {w}: writes would fail.",
            hint="Count the replicas that are still up; W cannot be more than that.",
        )
    note = (
        " Reads then need every replica, so a single failed node stops reads: "
        "a quorum choice moves the availability problem, it does not remove it."
        if r == n
        else f" Reads still tolerate {n - r} failed node{'s' if n - r != 1 else ''}."
    )
    return Feedback(
        True,
        f"R = {r}, W = {w}: R + W = {r + w} > N = {n}, so every read overlaps the latest write, and "
        f"{n - failures} live nodes are enough for W = {w}.{note} What no quorum does is order two "
        "concurrent writes of one key (accepted by two coordinators, after a failover): last-write-wins "
        "still keeps one and loses the other.",
    )
