"""Exercise 05: a scheme and a reason, both checked against the simulated figures."""

from __future__ import annotations

import pytest

from replnb.compare import SCHEMES
from replnb.exercises import compare as ex

#: What the models show today (issue 13): re-derived from the simulations, not stored in the checker.
EXPECTED = {
    # the leaderless cart keeps siblings (Dynamo's): it loses no item under the default faults
    "shopping cart": {("multi-leader union", "merge"), ("leaderless union", "merge")},
    "sensor readings": {
        (s, r)
        for s in ("multi-leader LWW", "multi-leader union", "leaderless partial", "leaderless union")
        for r in ("local ack", "always writable")
    },
    "account balance": {("single-leader sync", "leader reads"), ("single-leader sync", "waits for all")},
}


@pytest.mark.parametrize("application", list(ex.APPLICATIONS))
def test_the_checker_accepts_exactly_the_answers_the_simulations_support(application: str) -> None:
    answers = set(ex.accepted_answers(application))
    assert answers == EXPECTED[application]
    assert set(ex.accepted_schemes(application)) == {s for s, _ in answers}
    for scheme, reason in answers:
        assert ex.check_scheme_choice(application, scheme, reason)


@pytest.mark.parametrize("application", list(ex.APPLICATIONS))
def test_every_other_answer_is_refused_with_a_hint(application: str) -> None:
    accepted = set(ex.accepted_answers(application, seeds=2))
    schemes = set(ex.accepted_schemes(application, seeds=2))  # those that meet the requirements
    for scheme in SCHEMES:
        for reason in ex.REASONS:
            fb = ex.check_scheme_choice(application, scheme, reason, seeds=2)
            assert bool(fb) == ((scheme, reason) in accepted), (scheme, reason, fb.message)
            if not fb:
                assert fb.hint
                if scheme not in schemes:  # a wrong scheme is refused for a requirement it breaks
                    assert "breaks the requirement" in fb.message, fb.message


def test_a_right_scheme_without_a_reason_asks_for_one() -> None:
    fb = ex.check_scheme_choice("shopping cart", "multi-leader union", seeds=1)
    assert not fb and "Now say why" in fb.message
    fb = ex.check_scheme_choice("shopping cart", "multi-leader union", "because", seeds=1)
    assert not fb and "not 'because'" in fb.message


def test_true_but_irrelevant_and_false_reasons_are_told_apart() -> None:
    irrelevant = ex.check_scheme_choice("account balance", "single-leader sync", "one order", seeds=2)
    assert not irrelevant and "it is true that" in irrelevant.message
    false = ex.check_scheme_choice("account balance", "single-leader sync", "quorum order", seeds=2)
    assert not false and "does not describe" in false.message
    # the distractors are refuted by the figures themselves
    clocks = ex.check_scheme_choice("sensor readings", "multi-leader LWW", "close clocks", seeds=2)
    assert not clocks and "lost" in clocks.message
    assert not ex.REASONS["quorum order"].holds([{"conflicts": 3.0}])


def test_the_checker_rejects_bad_input() -> None:
    assert not ex.check_scheme_choice("shopping cart", None)
    assert "is not one of" in ex.check_scheme_choice("shopping cart", "raft").message
    with pytest.raises(ValueError, match="application must be one of"):
        ex.check_scheme_choice("bank", "multi-leader union")
    with pytest.raises(ValueError, match=r"seeds must be an integer in 1\.\.10"):
        ex.check_scheme_choice("shopping cart", "multi-leader union", "merge", seeds=0)
    with pytest.raises(ValueError, match="application must be one of"):
        ex.accepted_answers("bank")


def test_the_leaderless_cart_passes_because_of_its_figures() -> None:
    """Accepted for the cart only because its runs had concurrent adds and lost none (no stored answer)."""
    runs = ex._runs("shopping cart", "leaderless union", ex.SEEDS)
    assert all(r["lost_writes"] == 0 and r["write_availability"] == 1.0 for r in runs)
    assert all(r["conflicts"] > 0 for r in runs)  # the adds were concurrent: the merge is what kept them
    lww = ex._runs("shopping cart", "leaderless partial", ex.SEEDS)  # the same quorums, last-write-wins
    assert all(r["lost_writes"] > 0 for r in lww)
    assert not ex.REASONS["merge"].holds([{**runs[0], "lost_writes": 1.0}])
