"""The exercise of choosing a scheme (chapter 5)."""

from __future__ import annotations

from typing import Any

from ..compare import SCHEMES, compare
from .feedback import Feedback

__all__ = ["APPLICATIONS", "accepted_schemes", "check_scheme_choice"]


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
