"""LOCAL_QUORUM across two datacenters: local latency, remote staleness (issue 14)."""

from __future__ import annotations

import pytest

from replnb.leaderless import DC_LEVELS, two_datacenters
from replnb.leaderless.datacenters import levels_for


@pytest.fixture(scope="module")
def table():
    return two_datacenters(duration=1000.0, seed=3)


def test_levels_are_majorities_of_the_right_replicas() -> None:
    for per_dc in range(1, 6):
        levels = levels_for(per_dc)
        assert 2 * levels["LOCAL_QUORUM"]["w"] > per_dc
        assert 2 * levels["QUORUM"]["w"] > 2 * per_dc and levels["QUORUM"]["w"] <= 2 * per_dc


def test_local_quorum_never_waits_for_the_wan_and_quorum_always_does(table) -> None:
    far = 75.0
    assert table.loc["LOCAL_QUORUM", "write_latency_p99"] < far
    assert table.loc["LOCAL_QUORUM", "read_latency"] < far
    for level in ("QUORUM", "EACH_QUORUM writes"):
        assert table.loc[level, "write_latency"] > 2 * far
    assert table.loc["QUORUM", "read_latency"] > 2 * far
    assert table.loc["EACH_QUORUM writes", "read_latency"] < far


def test_only_levels_whose_quorums_meet_across_the_wan_hide_the_lag_from_the_remote_reader(table) -> None:
    assert (table["write_availability"] == 1.0).all() and (table["reads_dc2"] > 50).all()
    for level in ("QUORUM", "EACH_QUORUM writes"):
        assert table.loc[level, "stale_dc2"] == 0.0
    for level in ("ONE", "LOCAL_ONE", "LOCAL_QUORUM"):
        assert table.loc[level, "stale_dc2"] > 0.1  # the copies take 75 ms more to reach dc2
    assert table.loc["LOCAL_QUORUM", "stale_dc1"] == 0.0  # a strict quorum inside dc1


def test_without_distance_local_quorum_is_hardly_stale_remotely() -> None:
    near = two_datacenters(["LOCAL_QUORUM"], far_latency=0.0, duration=1000.0, seed=3)
    far = two_datacenters(["LOCAL_QUORUM"], far_latency=75.0, duration=1000.0, seed=3)
    assert near.loc["LOCAL_QUORUM", "stale_dc2"] < far.loc["LOCAL_QUORUM", "stale_dc2"] / 3


def test_unknown_levels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"levels\[1\] must be one of"):
        two_datacenters(["QUORUM", "SERIAL"])
    assert set(DC_LEVELS) == set(levels_for(3))
