"""The shared fault vocabulary and geography in the single-leader model (contract.md)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb import single_leader as sl

SETTINGS = settings(max_examples=25, deadline=None)

#: The leader A and client c1 cut off from B, C and the other clients from 200 to 500 ms.
MINORITY = dict(duration=800, seed=1, partitions=[([["A", "c1"], ["B", "C", "c2", "c3"]], 200, 500)])


# -- geography: the client pays its round trip -------------------------------------------
@pytest.mark.parametrize("mode", ["async", "sync", "semi-sync"])
def test_a_remote_clients_write_latency_includes_its_far_round_trip(mode):
    d, cl, far = 15.0, 1.0, 40.0
    run = sl.simulate(
        mode=mode,
        duration=300,
        replication_delay=d,
        delay_distribution="constant",
        client_latency=cl,
        regions={"c1": "far"},
        far_latency=far,
    )
    acked = run.ops[(run.ops["kind"] == "write") & run.ops["ok"]]
    latency = (acked["end"] - acked["start"]).astype(float)
    replication = 0.0 if mode == "async" else 2 * d
    near = latency[acked["client"] != "c1"]
    remote = latency[acked["client"] == "c1"]
    assert len(near) and len(remote)
    assert np.allclose(near, 2 * cl + replication)
    assert np.allclose(remote, 2 * (cl + far) + replication)


def test_a_far_follower_lags_by_the_far_latency():
    run = sl.simulate(
        duration=300, replication_delay=10, delay_distribution="constant", regions={"C": "us"}, far_latency=50
    )
    lag = sl.replication_lag(run).groupby("follower")["lag_ms"]
    assert np.allclose(lag.min()["B"], 10) and np.allclose(lag.min()["C"], 60)


def test_defaults_of_the_new_parameters_change_nothing():
    a = sl.simulate(failover_at=300, duration=600, seed=4)
    b = sl.simulate(
        failover_at=300, duration=600, seed=4, crashes=(), link_failures=None, partitions=[], far_latency=0.0
    )
    assert a.ops.equals(b.ops) and a.messages.equals(b.messages)
    assert a.metrics.equals(b.metrics)


# -- a partition that cuts the leader off --------------------------------------------------
def test_a_partition_with_the_leader_in_the_minority_promotes_on_the_majority_side():
    run = sl.simulate(mode="async", **MINORITY)
    (at, leader, epoch), *more = run.extras["promotions"]
    assert not more and at == 260.0 and leader in {"B", "C"} and epoch == 2  # 200 + detection_timeout
    assert run.metrics["write_unavailable_ms"] == 60.0


def test_without_fencing_the_cut_off_leader_keeps_accepting_writes_that_are_lost():
    run = sl.simulate(mode="async", **MINORITY)
    sb = run.ops[run.ops["split_brain"]]
    assert len(sb) > 0 and set(sb["node"]) == {"A"} and set(sb["client"]) == {"c1"}
    assert sb["ok"].all() and ((sb["start"] >= 260) & (sb["start"] < 500)).all()
    assert sb["lost"].all() and (sb["lost_cause"] == "failover").all()
    assert set(sb["op_id"]) <= set(run.extras["discarded"])
    assert run.metrics["lost_writes"] >= run.metrics["split_brain_writes"] == len(sb)
    assert "ignore" in set(run.events["event"])  # A never checks the new epoch
    assert run.metrics["convergence_time"] == float("inf")


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_fencing_ends_the_split_brain_and_the_old_leader_rolls_back_at_the_heal(mode):
    run = sl.simulate(mode=mode, fencing=True, **MINORITY)
    assert run.metrics["split_brain_writes"] == 0
    events = run.events
    down = events[(events["event"] == "step-down") & (events["node"] == "A")]
    assert down["time"].tolist() == [260.0]  # its lease ran out when the majority promoted
    assert np.isfinite(run.metrics["convergence_time"])
    final = run.final_state
    assert (final.loc["A"] == final.loc[run.extras["leader"]]).all()
    writes = run.ops[run.ops["kind"] == "write"]
    late = writes[(writes["client"] == "c1") & (writes["start"] > 261) & (writes["end"] < 500)]
    assert len(late) and not late["ok"].any()  # the minority cannot write


def test_fencing_with_sync_replication_never_acknowledges_a_write_it_then_loses():
    for seed in range(4):
        run = sl.simulate(mode="sync", fencing=True, **{**MINORITY, "seed": seed})
        assert run.metrics["lost_writes"] == 0 and run.metrics["split_brain_writes"] == 0


def test_async_writes_acknowledged_before_the_lease_runs_out_are_still_lost():
    run = sl.simulate(mode="async", fencing=True, **MINORITY)
    lost = run.ops[run.ops["lost"]]
    assert len(lost) and (lost["node"] == "A").all() and "c1" in set(lost["client"])
    # acknowledged by A before the lease ran out, never replicated to the majority side
    assert ((lost["start"] >= 200 - 30) & (lost["start"] < 260)).all()


def test_the_minority_side_never_promotes():
    common = dict(followers=4, duration=600, seed=2)
    minority = sl.simulate(partitions=[([["A", "B", "C"], ["D", "E"]], 100, None)], **common)
    assert minority.extras["promotions"] == () and minority.extras["leader"] == "A"
    assert "suspect" in set(minority.events["event"])
    majority = sl.simulate(partitions=[([["A", "B"], ["C", "D", "E"]], 100, None)], **common)
    ((at, leader, _),) = majority.extras["promotions"]
    assert at == 160.0 and leader in {"C", "D", "E"}


def test_a_leader_back_before_the_timeout_keeps_leading():
    run = sl.simulate(duration=600, seed=3, partitions=[([["A"], ["B", "C"]], 100, 140)])
    assert run.extras["promotions"] == () and run.metrics["lost_writes"] == 0
    assert np.isfinite(run.metrics["convergence_time"])


# -- crashes and link failures of followers ------------------------------------------------
@SETTINGS
@given(
    mode=st.sampled_from(sl.MODES),
    seed=st.integers(0, 10_000),
    follower=st.sampled_from(["B", "C", "D"]),
    at=st.floats(0, 400),
    down=st.floats(1, 300),
    link=st.booleans(),
)
def test_a_follower_back_from_a_crash_or_a_cut_catches_up(mode, seed, follower, at, down, link):
    fault = (
        dict(link_failures=[("A", follower, at, at + down)])
        if link
        else dict(crashes=[(follower, at, at + down)])
    )
    run = sl.simulate(mode=mode, followers=3, duration=800, seed=seed, **fault)
    assert run.extras["leader"] == "A" and run.metrics["lost_writes"] == 0
    logs = run.extras["logs"]
    assert all(logs[n] == logs["A"] for n in run.nodes)
    assert np.isfinite(run.metrics["convergence_time"])
    final = run.final_state
    assert all((final.loc[n] == final.loc["A"]).all() for n in run.nodes)


def test_a_failed_synchronous_follower_blocks_every_write_until_it_is_back():
    run = sl.simulate(mode="sync", duration=800, seed=3, crashes=[("C", 200, 400)])
    writes = run.ops[run.ops["kind"] == "write"]
    during = writes[(writes["end"] > 205) & (writes["end"] < 400)]
    assert during.empty  # no write completes while C is down
    assert (writes[writes["start"] > 200]["end"] >= 400).all()


def test_semi_sync_replaces_a_failed_synchronous_follower_by_an_asynchronous_one():
    run = sl.simulate(mode="semi-sync", duration=800, seed=3, crashes=[("B", 200, 400)])
    writes = run.ops[run.ops["kind"] == "write"]
    assert writes["ok"].all()
    ack_during = writes[(writes["end"] > 270) & (writes["end"] < 400)]
    assert len(ack_during) > 0
    replaced = run.events[run.events["event"] == "sync-replaced"]
    assert replaced["time"].tolist() == [260.0] and "C is synchronous" in replaced["detail"].iloc[0]


def test_the_new_leader_informs_a_follower_that_was_down_during_the_failover():
    run = sl.simulate(followers=3, duration=900, seed=5, failover_at=200, crashes=[("D", 150, 500)])
    assert run.extras["epoch"] == 2
    logs = run.extras["logs"]
    assert logs["D"] == logs[run.extras["leader"]]


# -- bad fault lists -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(crashes=[("Z", 10, None)]), "crashes node"),
        (dict(crashes=[("B", -1, None)]), "crashes time"),
        (dict(crashes=[("B", 50, 20)]), "crashes must end after"),
        (dict(crashes=[("B", float("nan"), None)]), "crashes time"),
        (dict(crashes=[("B", 10)]), "crashes must hold"),
        (dict(crashes="B"), "crashes must be a list"),
        (dict(link_failures=[("A", "A", 1, 2)]), "link_failures must join"),
        (dict(link_failures=[("A", "Q", 1, 2)]), "link_failures node"),
        (dict(link_failures=[("A", "B", 5, 5)]), "link_failures must end after"),
        (dict(partitions=[([["A"], ["B", "nobody"]], 1, 2)]), "partitions member"),
        (dict(partitions=[([["A", "B"], ["B"]], 1, 2)]), "partitions groups must not share"),
        (dict(partitions=[("AB", 1, 2)]), "partitions groups"),
        (dict(partitions=[([["A"]], float("inf"), None)]), "partitions time"),
        (dict(regions={"Q": "eu"}), "regions"),
        (dict(far_latency=-1), "far_latency"),
        (dict(far_latency=True), "far_latency"),
    ],
)
def test_bad_fault_lists_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sl.simulate(duration=100, **kwargs)
