"""The explorers keep their last runs: a move back, or a move the model does not see, runs nothing."""

from __future__ import annotations

import gc

import pytest

from replnb.widgets import QuorumExplorer, SingleLeaderExplorer, TopologyExplorer
from replnb.widgets.kept_axes import RunCache


@pytest.mark.parametrize(
    ("cls", "away"),
    [
        (SingleLeaderExplorer, {"seed": 7}),
        (QuorumExplorer, {"n": 5}),
        (TopologyExplorer, {"leaders": 7}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_a_move_back_reuses_the_run(cls: type, away: dict) -> None:
    explorer = cls()
    first = explorer.update()
    back = {name: explorer.controls[name].value for name in away}
    other = explorer.update(**away)
    assert other is not first
    assert explorer.update(**back) is first


def test_a_level_naming_the_same_size_reuses_the_quorum_run() -> None:
    explorer = QuorumExplorer(n=3, r=1)
    first = explorer.update()
    assert explorer.update(r_level="custom") is first  # R stays 1: the same run


def test_a_changed_workload_is_a_new_run() -> None:
    explorer = SingleLeaderExplorer()
    first = explorer.update()
    explorer.workload = {**explorer.workload, "clients": 2}
    assert explorer.update() is not first


def test_the_run_cache_drops_the_least_recently_used() -> None:
    cache = RunCache(2)
    made: list[str] = []
    for key in ["a", "b", "a", "c", "b"]:
        cache.get(key, lambda k=key: made.append(k) or k)
    assert made == ["a", "b", "c", "b"]  # "b" was dropped when "c" came ("a" had been used since)


def test_the_first_explorer_freezes_what_lives_as_long_as_the_kernel() -> None:
    SingleLeaderExplorer()
    assert gc.get_freeze_count() > 0  # full collections no longer scan the imported modules
    frozen = gc.get_freeze_count()
    SingleLeaderExplorer()
    assert gc.get_freeze_count() == frozen  # once per process: nothing made later is frozen
