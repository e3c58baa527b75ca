"""The quorum exercise of notebook 04: each goal's verdict comes from a simulation."""

from __future__ import annotations

import pytest

from replnb.exercises.leaderless import GOALS, check_quorum_goal

N = 5
PAIRS = [(r, w) for r in range(1, N + 1) for w in range(1, N + 1)]


@pytest.mark.parametrize(("r", "w"), PAIRS)
def test_strict_is_accepted_exactly_when_quorums_overlap(r: int, w: int) -> None:
    fb = check_quorum_goal("strict", r, w)
    assert bool(fb) == (r + w > N), fb.message
    if not fb:
        assert "stale in the simulation" in fb.message and fb.hint


def test_the_cheapest_strict_choice_puts_the_slow_disk_write_on_one_replica() -> None:
    accepted = [(r, w) for r, w in PAIRS if check_quorum_goal("cheapest strict", r, w)]
    assert accepted == [(5, 1)]


@pytest.mark.parametrize(("r", "w"), [(5, 1), (1, 5), (3, 3), (2, 4), (4, 2), (4, 4), (5, 5), (2, 3), (1, 4)])
def test_one_node_down_needs_overlap_and_quorums_the_live_nodes_can_fill(r: int, w: int) -> None:
    fb = check_quorum_goal("strict with one node down", r, w)
    assert bool(fb) == (r + w > N and r <= N - 1 and w <= N - 1), fb.message


def test_r5_w1_is_strict_and_cheapest_but_not_available_with_a_node_down() -> None:
    assert check_quorum_goal("strict", 5, 1) and check_quorum_goal("cheapest strict", 5, 1)
    fb = check_quorum_goal("strict with one node down", 5, 1)
    assert not fb and "100 % of the reads failed" in fb.message


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("fast", 3, 3), "goal must be one of"),
        (("strict", 0, 3), "R must be"),
        (("strict", 3, True), "W must be"),
    ],
)
def test_bad_answers_get_a_message_not_an_exception(args: tuple, match: str) -> None:
    fb = check_quorum_goal(*args)
    assert not fb and match in fb.message
    assert set(GOALS) == {"strict", "cheapest strict", "strict with one node down"}
