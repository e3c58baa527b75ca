"""Exercise checkers: each takes the learner's answer and says if it is right.

A checker returns a :class:`Feedback` (truthy when correct) whose text names
what is wrong and gives a hint, without giving the answer away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from . import multi_leader, single_leader
from .compare import SCHEMES, compare
from .engine.network import node_names
from .multi_leader import Cart
from .single_leader import MODES, READ_FROM
from .topology import build, missed_deliveries

__all__ = ["Feedback"]


@dataclass(frozen=True)
class Feedback:
    """The verdict on an answer: ``ok`` and a message (with a hint when wrong).

    Examples
    --------
    >>> fb = Feedback(False, "Not yet.", hint="Think about the ack.")
    >>> bool(fb)
    False
    >>> print(fb)
    ✗ Not yet. Hint: Think about the ack.
    """

    ok: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        mark = "✓" if self.ok else "✗"
        hint = f" Hint: {self.hint}" if self.hint and not self.ok else ""
        return f"{mark} {self.message}{hint}"

    def _repr_markdown_(self) -> str:
        colour = "#009E73" if self.ok else "#D55E00"
        return f"<span style='color:{colour}'>{self}</span>"
# ---- chapter 1: single leader ------------------------------------------------
__all__ += ["SINGLE_LEADER_EXERCISE", "check_single_leader"]

#: The scenario of :func:`check_single_leader`: three followers, a slow-ish
#: network, a read-heavy workload, and a leader crash at 300 ms.
SINGLE_LEADER_EXERCISE = {
    "followers": 3,
    "replication_delay": 50.0,
    "failover_at": 300.0,
    "duration": 500.0,
    "write_fraction": 0.1,
    "think_time": 20.0,
    "ryw_window": 150.0,
}


def _single_leader_runs(mode: str, read_from: str, seeds: range) -> dict[str, float]:

    params: dict = dict(SINGLE_LEADER_EXERCISE)
    runs = [single_leader.simulate(mode=mode, read_from=read_from, seed=s, **params) for s in seeds]
    return {
        "lost_writes": sum(int(r.metrics["lost_writes"]) for r in runs),
        "ryw_violations": sum(int(r.metrics["ryw_violations"]) for r in runs),
        "follower_reads": min(float(r.metrics["follower_read_fraction"]) for r in runs),
        "p50": sum(float(r.metrics["write_latency_p50_ms"]) for r in runs) / len(runs),
    }


def check_single_leader(mode: str, read_from: str, *, seeds: int = 6) -> Feedback:
    """Check a choice of replication ``mode`` and ``read_from`` against four goals.

    The scenario is :data:`SINGLE_LEADER_EXERCISE`, run with ``seeds``
    seeds: the leader crashes, and a follower takes over. The goals:

    1. no acknowledged write is lost when the leader crashes;
    2. at least half of the reads are served by followers (in every run);
    3. no client ever misses its own acknowledged write;
    4. writes are as fast as goals 1–3 allow (lowest median write latency).

    Each goal is checked by simulating the learner's choice (and, for goal
    4, the other modes with the same read routing).

    Parameters
    ----------
    mode : {"sync", "semi-sync", "async"}
    read_from : {"leader", "any", "sticky", "read-your-writes"}
    seeds : int
        How many runs (seeds ``0 .. seeds-1``), 1..20.

    Examples
    --------
    >>> bool(check_single_leader("async", "leader"))
    False
    >>> print(check_single_leader("sync", "leader").hint)
    Where do the reads go? Followers can answer reads too.
    """

    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if read_from not in READ_FROM:
        raise ValueError(f"read_from must be one of {list(READ_FROM)}, got {read_from!r}")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 20:
        raise ValueError(f"seeds must be an integer in 1..20, got {seeds!r}")
    runs = range(seeds)
    got = _single_leader_runs(mode, read_from, runs)
    if got["lost_writes"]:
        return Feedback(
            False,
            f"Goal 1 fails: over {seeds} failovers, {got['lost_writes']} acknowledged writes never "
            "reached the new leader: they are lost.",
            hint="When does the leader answer the client? What if it crashes right after answering?",
        )
    if got["follower_reads"] < 0.5:
        return Feedback(
            False,
            f"Goal 2 fails: in the worst run {got['follower_reads']:.0%} of the reads went to a follower "
            "(at least 50% needed).",
            hint="Where do the reads go? Followers can answer reads too.",
        )
    if got["ryw_violations"]:
        return Feedback(
            False,
            f"Goal 3 fails: {got['ryw_violations']} reads missed the reader's own acknowledged write.",
            hint="Which routing sends a client to an up-to-date copy right after it wrote?",
        )
    faster = []
    for other in MODES:
        if other != mode:
            alt = _single_leader_runs(other, read_from, runs)
            ok = not (alt["lost_writes"] or alt["ryw_violations"])
            if ok and alt["follower_reads"] >= 0.5 and alt["p50"] < got["p50"]:
                faster.append((alt["p50"], other))
    if faster:
        p50, other = min(faster)
        return Feedback(
            False,
            f"Goals 1–3 hold, but writes are slower than they need to be: median write latency "
            f"{got['p50']:.0f} ms, while another mode keeps goals 1–3 at {p50:.0f} ms.",
            hint="How many followers must hold a write before it is safe from one leader crash?",
        )
    return Feedback(
        True,
        f"mode={mode!r}, read_from={read_from!r}: no acknowledged write lost in {seeds} failovers, "
        f"{got['follower_reads']:.0%} or more of the reads on followers, no read missed its own write, "
        f"median write latency {got['p50']:.0f} ms. The synchronous follower holds every acknowledged "
        "write, and the most up-to-date follower is promoted, so a crash loses nothing.",
    )


# ---- end of chapter 1 ----------------------------------------------------------


# ---- chapter 2: multi-leader conflicts ---------------------------------------
__all__ += ["check_cart_resolver"]


def check_cart_resolver(fn: Any, *, runs: int = 12, seed: int = 0) -> Feedback:
    """Check a shopping-cart conflict resolver ``fn(local, incoming) -> Cart``.

    The resolver must lose no item and bring back no deleted item. It is
    first tried on a few hand-made conflicts, then plugged into ``runs``
    randomized multi-leader runs (:func:`replnb.multi_leader.simulate` with
    ``workload="cart"`` and ``tombstones=True``: a removal records the
    removed ``(item, tag)`` pairs in ``Cart.removed``), where every replica
    must end with the same cart, no acknowledged item may be missing and no
    removed item may be back.

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
    >>> from replnb.multi_leader import Cart
    >>> print(check_cart_resolver(lambda local, incoming: incoming))  # doctest: +ELLIPSIS
    ✗ ... Hint: ...
    >>> bool(check_cart_resolver(lambda a, b: Cart(a.items | b.items, a.removed | b.removed), runs=2))
    True
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
                hint="An item that either side added must survive the merge: keep the items of both carts.",
            )
        if gone & contents:
            return Feedback(
                False,
                f"When {story}, the merged cart brought back {sorted(gone & contents)}.",
                hint="The other side still lists the deleted item. Keep the tombstones (`removed`) of "
                "both carts, so that a deletion seen by either side stays deleted.",
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
                hint="The merge must not depend on which cart is local: merge(a, b) and merge(b, a) "
                "should give the same cart.",
            )
        if m["lost_elements"]:
            return Feedback(
                False,
                f"In randomized run {i + 1}, {int(m['lost_elements'])} added item(s) went missing.",
                hint="Keep every (item, tag) pair that either cart has in `items`.",
            )
        if m["resurrections"]:
            return Feedback(
                False,
                f"In randomized run {i + 1}, {int(m['resurrections'])} deleted item(s) came back.",
                hint="Keep the union of both carts' `removed` tombstones.",
            )
    return Feedback(
        True,
        f"Your resolver lost no item and resurrected none, through {conflicts} conflicts in {runs} "
        "randomized runs, and every replica ended with the same cart.",
    )


# ---- end of chapter 2 ----------------------------------------------------------


# ---- chapter 3: multi-leader topologies --------------------------------------
__all__ += ["check_worst_failure"]


def check_worst_failure(
    topology: str | nx.DiGraph, node: str | None, *, leaders: int | None = None
) -> Feedback:
    """Is ``node`` the leader whose failure does the most damage in ``topology``?

    The checker simulates (:func:`replnb.topology.missed_deliveries`) one
    write at every leader with each leader failed in turn, and counts the
    missed deliveries: (write, live leader) pairs where a live leader never
    gets a write accepted by another live leader. Any leader with the highest
    count is a right answer (in a ring they all tie; in all-to-all no single
    failure cuts anyone off, so any answer is right).

    Parameters
    ----------
    topology : str or networkx.DiGraph
        A kind of :func:`replnb.topology.build` (then give ``leaders``), or a
        graph such as :func:`replnb.topology.regions`.
    node : str or None
        The learner's answer, e.g. ``"C"`` (``None``: no answer yet).
    leaders : int, optional

    Examples
    --------
    >>> bool(check_worst_failure("star", "A", leaders=5)), bool(check_worst_failure("star", "B", leaders=5))
    (True, False)
    >>> print(check_worst_failure("star", "C", leaders=4))  # doctest: +ELLIPSIS
    ✗ With C failed, 0 deliveries are missed; another leader's failure does more damage. Hint: ...
    """

    graph = topology if isinstance(topology, nx.DiGraph) else None
    if graph is None:
        if leaders is None:
            raise ValueError(f"leaders must be given (an integer in 3..10) for topology={topology!r}")
        graph = build(str(topology), leaders)
    names = sorted(graph.nodes)
    if node is None:
        return Feedback(False, "No answer yet.", hint=f"Set the answer to the name of a leader: {names}.")
    if node not in names:
        return Feedback(False, f"{node!r} is not a leader here.", hint=f"Choose one of {names}.")
    damage = {v: missed_deliveries(graph, [v]) for v in node_names(len(names))}
    worst = max(damage.values())
    if worst == 0:
        return Feedback(True, "No single failure cuts anyone off here: every live leader gets every write.")
    if damage[node] == worst:
        ties = [v for v, d in damage.items() if d == worst and v != node]
        tie = f" (as bad as failing {', '.join(ties)})" if ties else ""
        return Feedback(
            True,
            f"With {node} failed, {worst} deliveries are missed, the most of any leader{tie}.",
        )
    return Feedback(
        False,
        f"With {node} failed, {damage[node]} deliveries are missed; "
        "another leader's failure does more damage.",
        hint=(
            "A failure hurts most when the failed leader sits on every path between two groups of "
            "leaders: count the pairs of live leaders that can no longer send writes to each other."
        ),
    )


# ---- end of chapter 3 ----------------------------------------------------------


# ---- chapter 4: leaderless quorums -------------------------------------------
__all__ += ["check_quorum_choice"]


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


# ---- end of chapter 4 ----------------------------------------------------------


# ---- chapter 5: choosing a scheme --------------------------------------------
__all__ += ["APPLICATIONS", "accepted_schemes", "check_scheme_choice"]

#: Chapter 5's applications: the workload mix and the requirements a scheme must meet,
#: each as (column of replnb.compare.compare, "max" or "min" over the runs, bound, wording).
APPLICATIONS: dict[str, dict[str, Any]] = {
    "shopping cart": {
        "story": "Customers add items to their carts in every region. Adding must work even while a "
        "node is down, and an item a customer added must never disappear.",
        "mix": "write-heavy",
        "requirements": [
            ("write_availability", "min", 1.0, "every write is accepted"),
            ("lost_writes", "max", 0, "no acknowledged write is lost"),
        ],
        "hint": "Which scheme never has to pick one of two concurrent values?",
    },
    "account balance": {
        "story": "Customers check their balance far more often than it changes. A balance shown "
        "must never be older than a payment that was already confirmed; payments may take a few "
        "milliseconds longer.",
        "mix": "read-heavy",
        "requirements": [("stale_reads", "max", 0, "no read is stale")],
        "hint": "Stale reads also come from a node that has just come back and is still catching "
        "up. Which scheme makes every read ask enough replicas to meet every acknowledged write?",
    },
    "sensor readings": {
        "story": "Thousands of sensors report readings. A report must be acknowledged at once, "
        "without waiting for another node, and must be accepted while a node is down; an "
        "occasional overwritten or stale reading does not matter.",
        "mix": "write-heavy",
        "requirements": [
            ("write_latency_p99_ms", "max", 0.0, "writes are acknowledged without waiting for the network"),
            ("write_availability", "min", 1.0, "every write is accepted"),
        ],
        "hint": "Which schemes acknowledge a write where it arrives, and keep accepting writes "
        "when one node is down?",
    },
}


def check_scheme_choice(application: str, answer: Any, *, seeds: int = 5) -> Feedback:
    """Check a scheme chosen for one of :data:`APPLICATIONS`.

    The checker replays the application's workload mix through the chosen
    scheme of :data:`replnb.compare.SCHEMES` under the default faults of
    :class:`replnb.compare.Faults` (seeds ``0 .. seeds-1``) and checks every
    requirement against the worst run. No answer is stored: the schemes it
    accepts are those whose simulated figures meet the requirements
    (:func:`accepted_schemes`), as the models judge them.

    Parameters
    ----------
    application : str
        A key of :data:`APPLICATIONS`.
    answer : str or None
        A scheme name such as ``"single-leader sync"``.
    seeds : int
        How many runs, 1..10.

    Examples
    --------
    >>> print(check_scheme_choice("account balance", None).message)
    No answer yet: replace None with one of the six scheme names.
    >>> bool(check_scheme_choice("shopping cart", "multi-leader union"))
    True
    """

    if application not in APPLICATIONS:
        raise ValueError(f"application must be one of {list(APPLICATIONS)}, got {application!r}")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 10:
        raise ValueError(f"seeds must be an integer in 1..10, got {seeds!r}")
    if answer is None:
        return Feedback(
            False,
            "No answer yet: replace None with one of the six scheme names.",
            hint="The names are listed in replnb.compare.SCHEMES.",
        )
    if answer not in SCHEMES:
        return Feedback(False, f"{answer!r} is not one of {list(SCHEMES)}.", hint="Check the spelling.")
    broken = _broken_requirement(application, answer, seeds)
    if broken is not None:
        wording, column, worst = broken
        if _not_reported(worst):
            shown = "not reported by its model"
        else:
            shown = f"{worst:.0%}" if column == "write_availability" else f"{worst:g}"
        return Feedback(
            False,
            f"{answer} breaks the requirement '{wording}': in the worst of {seeds} runs "
            f"{column.replace('_', ' ')} was {shown}.",
            hint=str(APPLICATIONS[application]["hint"]),
        )
    met = "; ".join(wording for _, _, _, wording in APPLICATIONS[application]["requirements"])
    return Feedback(True, f"{answer} meets every requirement of the {application} in {seeds} runs: {met}.")


def _not_reported(value: float) -> bool:
    """Whether a figure is NaN (the one float unequal to itself): its model does not report it."""
    return value != value


def _broken_requirement(application: str, scheme: str, seeds: int) -> tuple[str, str, float] | None:
    """The first requirement ``scheme`` breaks in the simulated runs: (wording, column, worst value).

    Each requirement is checked against the worst of the runs (seeds
    ``0 .. seeds-1``); a figure the model does not report (NaN) breaks it.
    """
    app = APPLICATIONS[application]
    tables = [compare(app["mix"], schemes=[scheme], seed=seed) for seed in range(seeds)]
    for column, how, bound, wording in app["requirements"]:
        values = [float(t.loc[scheme, column]) for t in tables]
        if any(_not_reported(v) for v in values):
            return str(wording), str(column), float("nan")
        worst = min(values) if how == "min" else max(values)
        if (worst < bound) if how == "min" else (worst > bound):
            return str(wording), str(column), worst
    return None


def accepted_schemes(application: str, *, seeds: int = 5) -> list[str]:
    """The schemes :func:`check_scheme_choice` accepts, found by simulating every scheme.

    The answers are not stored anywhere: they are the schemes whose
    simulated figures meet every requirement of the application in the
    worst of ``seeds`` runs, so they follow the models.

    Examples
    --------
    >>> "multi-leader union" in accepted_schemes("shopping cart")
    True
    """
    if application not in APPLICATIONS:
        raise ValueError(f"application must be one of {list(APPLICATIONS)}, got {application!r}")
    return [s for s in SCHEMES if _broken_requirement(application, s, seeds) is None]


# ---- end of chapter 5 ----------------------------------------------------------
