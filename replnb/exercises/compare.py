"""The exercise of choosing a scheme (chapter 5): a scheme and the reason for it.

The learner names a scheme of :data:`replnb.compare.SCHEMES` for an
application of :data:`APPLICATIONS` and picks the reason for it among
:data:`REASONS`. The checker simulates the application's workload through
the chosen scheme under the default faults and geography
(:class:`replnb.compare.Faults`, :class:`replnb.compare.Layout`) and checks
three things against the simulated figures, never against a stored
answer:

1. the scheme meets every requirement of the application in every run;
2. the reason is true of that scheme in those runs (each reason is a claim
   about the figures, :data:`REASONS`);
3. the reason is one that explains why the requirements are met (each
   application names the reasons that do).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..compare import COLUMNS, SCHEMES, Layout, compare, make_workload, model_table
from ..records import Run
from .feedback import Feedback

__all__ = ["APPLICATIONS", "REASONS", "Reason", "accepted_answers", "accepted_schemes", "check_scheme_choice"]

#: A run's figures: the columns of :func:`replnb.compare.compare` and the model's own
#: (:func:`replnb.compare.model_table`: ``conflicts``, the loss causes, ...).
Figures = Mapping[str, float]

_FAR = Layout().far_latency


@dataclass(frozen=True)
class Reason:
    """One reason a learner may give: a claim that the simulated runs confirm or refute."""

    text: str
    #: Whether the claim holds in the runs of one scheme (one figures mapping per run).
    holds: Callable[[Sequence[Figures]], bool]
    #: What the runs show when the claim does not hold (formatted with the runs' worst figures).
    refuted: str
    #: The schemes the claim can describe at all (``()``: any scheme).
    schemes: tuple[str, ...] = ()

    def describes(self, scheme: str) -> bool:
        """Whether the claim is about ``scheme``'s kind of replication at all."""
        return not self.schemes or scheme in self.schemes

    def true_of(self, scheme: str, runs: Sequence[Figures]) -> bool:
        """Whether the claim describes ``scheme`` and its runs confirm it."""
        return self.describes(scheme) and self.holds(runs)


def _all(column: str, test: Callable[[float], bool]) -> Callable[[Sequence[Figures]], bool]:
    return lambda runs: all(test(float(r[column])) for r in runs)


#: The reasons the learner picks from, each a claim about a scheme's simulated figures. Some are
#: true of some schemes and explain nothing about an application; two are never true.
REASONS: dict[str, Reason] = {
    "one order": Reason(
        "One leader puts all the writes in one order: no write is lost to a concurrent one or to a clock.",
        lambda runs: all(r["lost_concurrent"] == 0 and r["lost_older_write_won"] == 0 for r in runs),
        "its runs lost {lost_concurrent} writes to concurrent ones",
        schemes=("single-leader async", "single-leader sync"),
    ),
    "waits for all": Reason(
        "A write is confirmed only once every replica has it, so a failover cannot lose it.",
        _all("lost_writes", lambda v: v == 0),
        "its runs lost {lost_writes} confirmed writes",
        schemes=("single-leader sync",),
    ),
    "leader reads": Reason(
        "Every read goes to the leader, which has every confirmed write.",
        _all("stale_reads", lambda v: v == 0),
        "its runs served {stale_reads} stale reads",
        schemes=("single-leader sync",),
    ),
    "merge": Reason(
        "Writes are concurrent, but none is dropped: the concurrent versions are merged.",
        lambda runs: any(r["conflicts"] > 0 for r in runs) and all(r["lost_writes"] == 0 for r in runs),
        "its runs lost {lost_writes} acknowledged writes to concurrent ones",
    ),
    "local ack": Reason(
        "A write is acknowledged in the client's own region, without waiting for another region.",
        _all("write_latency_ms", lambda v: v < _FAR),
        "its median write took {write_latency_ms} ms, more than one trip between regions",
    ),
    "always writable": Reason(
        "Every write is accepted, even while a node is down or cut off.",
        _all("write_availability", lambda v: v == 1.0),
        "only {write_availability:.0%} of its writes were accepted in its worst run",
    ),
    "quorum overlap": Reason(
        "Every read asks a majority of replicas, which overlaps the majority every write reached.",
        lambda runs: True,
        "",
        schemes=("leaderless strict",),
    ),
    "quorum order": Reason(
        "Read and write quorums overlap (R + W > N), so they put the writes of a key in one order.",
        _all("conflicts", lambda v: v == 0),
        "overlapping quorums do not order writes: its runs had {conflicts} pairs of concurrent writes",
        schemes=("leaderless strict",),
    ),
    "close clocks": Reason(
        "With clocks this close, last-write-wins keeps the newest of two writes, so none is lost.",
        _all("lost_writes", lambda v: v == 0),
        "last-write-wins drops one of two concurrent writes whatever the clocks: "
        "its runs lost {lost_writes} writes",
        schemes=("multi-leader LWW",),
    ),
}


#: Chapter 5's applications: a story, the workload mix, the requirements a scheme must meet (each as
#: column, "max" or "min" over the runs, bound, wording) and the reasons that explain them.
APPLICATIONS: dict[str, dict[str, Any]] = {
    "shopping cart": {
        "story": "Customers in three regions add items to their carts. Adding must work even while "
        "a node is down or cut off, and an item a customer added must never disappear.",
        "mix": "write-heavy",
        "requirements": [
            ("write_availability", "min", 1.0, "every add is accepted"),
            ("lost_writes", "max", 0, "no acknowledged add is lost"),
        ],
        "reasons": ("merge",),
        "hint": "Two customers' adds to one cart can be concurrent. Which scheme keeps both?",
    },
    "sensor readings": {
        "story": "Sensors in three regions report readings. A report must be acknowledged without "
        "waiting for another region, and accepted while a node is down or cut off; an "
        "occasional overwritten or stale reading does not matter.",
        "mix": "write-heavy",
        "requirements": [
            ("write_latency_ms", "max", _FAR, "a typical report is acknowledged within its region"),
            ("write_availability", "min", 1.0, "every report is accepted"),
        ],
        "reasons": ("local ack", "always writable"),
        "hint": "Which schemes accept a write in the client's own region, and keep doing so when a "
        "node is down?",
    },
    "account balance": {
        "story": "Customers check their balance far more often than it changes. A balance shown "
        "must never be older than a payment that was already confirmed, and no confirmed "
        "payment may be lost; payments may take longer, and may fail while a node is down.",
        "mix": "read-heavy",
        "requirements": [
            ("stale_reads", "max", 0, "no read misses a confirmed payment"),
            ("lost_writes", "max", 0, "no confirmed payment is lost"),
        ],
        "reasons": ("leader reads", "waits for all"),
        "hint": "A read is stale when the replica that answers it has not heard of a confirmed "
        "write yet, and a write is lost when the replica that takes over never had it. Which "
        "scheme avoids both, and what does it pay?",
    },
}

#: How many seeds the checker simulates by default.
SEEDS = 5


def _runs(application: str, scheme: str, seeds: int) -> list[dict[str, float]]:
    """The figures of ``scheme`` on the application's workload, one mapping per seed (fresh copies)."""
    return [dict(figures) for figures in _simulated(application, scheme, seeds)]


@functools.lru_cache(maxsize=256)
def _simulated(application: str, scheme: str, seeds: int) -> tuple[tuple[tuple[str, float], ...], ...]:
    """The runs behind :func:`_runs`, remembered: they are deterministic (seeds ``0 .. seeds-1``)."""
    mix = APPLICATIONS[application]["mix"]
    out = []
    for seed in range(seeds):
        runs: dict[str, Run] = {}
        table = compare(mix, workload=make_workload(mix, seed=seed), schemes=[scheme], seed=seed, runs=runs)
        figures = {**model_table(runs).loc[scheme].to_dict(), **table.loc[scheme].to_dict()}
        out.append(tuple((k, float(v)) for k, v in figures.items()))
    return tuple(out)


def _worst(runs: list[dict[str, float]]) -> dict[str, float]:
    """The worst value of each figure over the runs (most lost, least available, ...)."""
    out = {}
    for column in runs[0]:
        values = [r[column] for r in runs]
        worst = min(values) if COLUMNS.get(column, False) else max(values)
        out[column] = int(worst) if float(worst).is_integer() else round(worst, 1)
    return out


def _broken_requirement(application: str, runs: list[dict[str, float]]) -> tuple[str, str, float] | None:
    """The first requirement the runs break: (wording, column, worst value); NaN breaks it."""
    for column, how, bound, wording in APPLICATIONS[application]["requirements"]:
        values = [r[column] for r in runs]
        if any(v != v for v in values):
            return str(wording), str(column), float("nan")
        worst = min(values) if how == "min" else max(values)
        if (worst < bound) if how == "min" else (worst > bound):
            return str(wording), str(column), worst
    return None


def _shown(column: str, value: float) -> str:
    if value != value:
        return "not reported by its model"
    if column == "write_availability":
        return f"{value:.0%}"
    return f"{value:.0f} ms" if column.endswith("_ms") else f"{value:g}"


def _check_args(application: Any, seeds: Any) -> None:
    if application not in APPLICATIONS:
        raise ValueError(f"application must be one of {list(APPLICATIONS)}, got {application!r}")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 10:
        raise ValueError(f"seeds must be an integer in 1..10, got {seeds!r}")


def check_scheme_choice(application: str, answer: Any, reason: Any = None, *, seeds: int = SEEDS) -> Feedback:
    """Check a scheme chosen for one of :data:`APPLICATIONS`, and the reason given for it.

    The checker replays the application's workload mix through the chosen
    scheme under the default faults and geography (seeds ``0 .. seeds-1``)
    and checks, against the simulated figures: every requirement of the
    application in the worst run; that ``reason`` (a key of
    :data:`REASONS`) is true of the scheme in those runs; and that it is a
    reason that explains the requirements. No answer is stored:
    :func:`accepted_answers` lists what passes, found by simulation.

    Parameters
    ----------
    application : str
        A key of :data:`APPLICATIONS`.
    answer : str or None
        A scheme name such as ``"single-leader sync"``.
    reason : str or None
        A key of :data:`REASONS`, such as ``"one order"``.
    seeds : int
        How many runs, 1..10.

    Examples
    --------
    >>> print(check_scheme_choice("account balance", None).message)
    No answer yet: replace None with one of the 7 scheme names.
    >>> bool(check_scheme_choice("shopping cart", "multi-leader union", "merge"))
    True
    >>> print(check_scheme_choice("shopping cart", "multi-leader union", "always writable").message)
    ... # doctest: +ELLIPSIS
    multi-leader union is a good choice, and it is true that every write is accepted...
    """
    _check_args(application, seeds)
    if answer is None:
        return Feedback(
            False,
            f"No answer yet: replace None with one of the {len(SCHEMES)} scheme names.",
            hint="The names are listed in replnb.compare.SCHEMES.",
        )
    if answer not in SCHEMES:
        return Feedback(False, f"{answer!r} is not one of {list(SCHEMES)}.", hint="Check the spelling.")
    app = APPLICATIONS[application]
    runs = _runs(application, answer, seeds)
    broken = _broken_requirement(application, runs)
    if broken is not None:
        wording, column, worst = broken
        return Feedback(
            False,
            f"{answer} breaks the requirement '{wording}': in the worst of {seeds} runs "
            f"{column.replace('_', ' ')} was {_shown(column, worst)}.",
            hint=str(app["hint"]),
        )
    return _check_reason(application, answer, reason, runs)


def _check_reason(application: str, answer: str, reason: Any, runs: list[dict[str, float]]) -> Feedback:
    """The scheme passed: now the reason must be true of its runs and explain the requirements."""
    app = APPLICATIONS[application]
    if reason not in REASONS:
        return Feedback(
            False,
            f"{answer} meets the requirements. Now say why: give a reason among {list(REASONS)}"
            f"{'' if reason is None else f', not {reason!r}'}.",
            hint="Print replnb.exercises.REASONS to read them.",
        )
    claim = REASONS[reason]
    if not claim.describes(answer):
        about = " and ".join(claim.schemes)
        return Feedback(
            False,
            f"The reason '{reason}' does not describe {answer}: it is about {about}.",
            hint=str(app["hint"]),
        )
    if not claim.holds(runs):
        shown = claim.refuted.format(**_worst(runs))
        return Feedback(
            False, f"The reason '{reason}' is not true of {answer}: {shown}.", hint=str(app["hint"])
        )
    if reason not in app["reasons"]:
        text = claim.text[0].lower() + claim.text[1:].rstrip(".")
        return Feedback(
            False,
            f"{answer} is a good choice, and it is true that {text}; but that does not explain "
            f"why the {application} keeps its requirements. Pick the reason that does.",
            hint=str(app["hint"]),
        )
    met = "; ".join(wording for _, _, _, wording in app["requirements"])
    return Feedback(
        True, f"{answer} meets every requirement of the {application} in {len(runs)} runs ({met}), and "
        f"'{reason}' is why: {claim.text}"
    )  # fmt: skip


def accepted_schemes(application: str, *, seeds: int = SEEDS) -> list[str]:
    """The schemes that meet every requirement of ``application``, found by simulating every scheme.

    Examples
    --------
    >>> accepted_schemes("shopping cart")
    ['multi-leader union', 'leaderless union']
    """
    _check_args(application, seeds)
    return [s for s in SCHEMES if _broken_requirement(application, _runs(application, s, seeds)) is None]


def accepted_answers(application: str, *, seeds: int = SEEDS) -> list[tuple[str, str]]:
    """Every (scheme, reason) that :func:`check_scheme_choice` accepts, found by simulation.

    Examples
    --------
    >>> accepted_answers("shopping cart")
    [('multi-leader union', 'merge'), ('leaderless union', 'merge')]
    """
    _check_args(application, seeds)
    out = []
    for scheme in SCHEMES:
        runs = _runs(application, scheme, seeds)
        if _broken_requirement(application, runs) is None:
            relevant = APPLICATIONS[application]["reasons"]
            out += [(scheme, r) for r in REASONS if r in relevant and REASONS[r].true_of(scheme, runs)]
    return out
