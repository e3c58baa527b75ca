"""Tests of notebook 01's new sections: new followers, log methods, shards, the two trade-offs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb import single_leader as sl
from replnb.plots import single_leader as psl
from replnb.single_leader import experiments, logs, sharded

SETTINGS = settings(max_examples=20, deadline=None)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# -- a new follower ----------------------------------------------------------------------------
def test_a_new_follower_installs_a_snapshot_then_catches_up_from_its_position():
    script = [
        dict(time=10.0 * i, client="c1", kind="write", key="xyz"[i % 3], value=i + 1) for i in range(12)
    ]
    run = sl.simulate(
        ops=script, followers=3, replication_delay=15, delay_distribution="constant", joins=[("D", 35, 45)]
    )
    events = run.events.set_index("event")
    assert events.loc["join", "time"] == 35.0 and events.loc["snapshot", "time"] == 50.0  # 35 + 15
    assert events.loc["installed", "time"] == 95.0  # 50 + the 45 ms copy
    position = int(events.loc["installed", "detail"].split()[-1])
    writes_by_50 = int((run.ops["start"] + 1.0 <= 50.0).sum())  # c1 -> A takes 1 ms
    assert position == writes_by_50
    d = run.versions[run.versions["node"] == "D"]
    applied = d[d["event"] == "apply"]["op_id"].tolist()
    assert applied == list(run.extras["logs"]["A"][position:])  # exactly the entries after it
    assert run.extras["logs"]["D"] == run.extras["logs"]["A"]
    before = run.messages[(run.messages["dst"] == "D") & (run.messages["kind"] == "append")]
    assert (before["sent"] >= 110.0).all()  # no stream to D before it asked (95 + 15)


@SETTINGS
@given(
    seed=st.integers(0, 1000),
    at=st.floats(0, 400),
    copy=st.floats(0, 200),
    mode=st.sampled_from(sl.MODES),
)
def test_a_joined_follower_ends_with_the_leaders_log(seed, at, copy, mode):
    run = sl.simulate(followers=3, mode=mode, duration=600, seed=seed, joins=[("D", at, copy)])
    logs_ = run.extras["logs"]
    assert logs_["D"] == logs_["A"] and run.metrics["lost_writes"] == 0
    assert np.isfinite(run.metrics["convergence_time"])


def test_a_joining_follower_is_refused_when_it_is_the_leader_or_named_twice():
    with pytest.raises(ValueError, match="joins node"):
        sl.simulate(duration=50, joins=[("A", 10)])
    with pytest.raises(ValueError, match="at most once"):
        sl.simulate(duration=50, joins=[("B", 10), ("B", 20)])
    with pytest.raises(ValueError, match="joins copy_ms"):
        sl.simulate(duration=50, joins=[("B", 10, -1)])


# -- the failover timeout and a failed synchronous follower ---------------------------------------
def test_the_failover_timeout_trades_unnecessary_failovers_against_unavailability():
    df = experiments.failover_timeout_sweep([10, 300], seeds=4)
    short, long_ = (df[df["timeout"] == t] for t in (10.0, 300.0))
    assert short["failovers"].sum() == 4 and long_["failovers"].sum() == 0  # pauses are 1..300 ms
    assert short["lost_writes"].sum() > 0 and long_["lost_writes"].sum() == 0
    assert (short["crash_unavailable_ms"] == 10.0).all() and (long_["crash_unavailable_ms"] == 300.0).all()
    # a failover happens exactly when the pause outlasts the timeout
    assert (df["failovers"] == (df["pause_ms"] > df["timeout"]).astype(int)).all()


def test_the_timeout_sweep_refuses_more_runs_than_it_can_do_in_seconds():
    with pytest.raises(ValueError, match="at most 64 runs"):
        experiments.failover_timeout_sweep(range(10, 200, 10), seeds=10)
    with pytest.raises(ValueError, match=r"timeouts must hold 1\.\.20 values"):
        experiments.failover_timeout_sweep([], seeds=1)


def test_a_failed_sync_follower_stops_every_write_and_semi_sync_keeps_most():
    df = experiments.follower_failure(seeds=2).groupby("mode")[
        ["acked_during", "throughput", "longest_gap_ms"]
    ]
    means = df.mean()
    assert means.loc["sync", "acked_during"] == 0 and means.loc["sync", "longest_gap_ms"] == 300.0
    assert means.loc["semi-sync", "throughput"] > 0.7 and means.loc["async", "throughput"] == 1.0
    timeout = experiments.FOLLOWER_FAILURE["detection_timeout"]
    assert timeout <= means.loc["semi-sync", "longest_gap_ms"] < timeout + 20  # stalls until replaced


# -- the four log methods ---------------------------------------------------------------------------
def test_only_statement_based_replication_diverges_and_only_wal_needs_the_same_version():
    table = logs.compare_methods()
    txs = [t.name for t in sorted(logs.TRANSACTIONS, key=lambda t: t.commit)]
    statement = table["statement-based"][txs]
    assert statement.tolist() == ["differs", "differs", "differs", "same"]  # NOW, auto-increment, RAND
    for method in ("write-ahead log shipping", "logical (row-based)", "trigger-based"):
        assert (table[method][txs] == "same").all()
    upgraded = table.loc["follower on a newer storage version"]
    assert upgraded.to_dict() == {
        "statement-based": "applies",
        "write-ahead log shipping": "fails",
        "logical (row-based)": "applies",
        "trigger-based": "applies",
    }
    assert table.loc["extra rows written at the leader", "trigger-based"] == len(logs.TRANSACTIONS)


def test_statement_replay_swaps_the_auto_increment_ids_of_concurrent_inserts():
    leader = logs.leader_state()[0]["orders"]
    follower = logs.replay("statement", lag=0.0)["db"]["orders"]
    assert {k: r["customer"] for k, r in leader.items()} == {1: "bob", 2: "alice"}  # ids in begin order
    assert {k: r["customer"] for k, r in follower.items()} == {1: "alice", 2: "bob"}  # in commit order
    with pytest.raises(ValueError, match="method must be one of"):
        logs.replay("binlog")


# -- consistent prefix across shards -----------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_causally_related_writes_on_two_shards_violate_consistent_prefix_and_the_fixes_work(seed):
    table = sharded.violations_table(seed=seed)
    assert table.loc["keys hashed to shards", "consistent_prefix_violations"] > 0
    assert table.loc["one shard per conversation", "consistent_prefix_violations"] == 0
    assert table.loc["one shard per conversation", "split_conversations"] == 0
    assert table.loc["keys hashed, causal token", "consistent_prefix_violations"] == 0


def test_every_violation_is_a_question_read_on_the_slow_shard_after_its_answer():
    run = sharded.simulate_sharded()
    ops = run.ops
    bad = ops[ops["consistent_prefix_violation"]]
    assert len(bad) == run.metrics["consistent_prefix_violations"]
    assert (bad["key"].str.startswith("q") & (bad["node"] == "B1") & (bad["client"] == "c3")).all()
    for _, read in bad.iterrows():
        answer = ops[(ops["key"] == "a" + read["key"][1:]) & (ops["kind"] == "read")].iloc[0]
        assert answer["returned"] != () and answer["start"] < read["start"]


def test_same_shard_when_hashed_by_conversation():
    for i in range(10):
        assert sharded.shard_of(f"q{i}", "by-conversation") == sharded.shard_of(f"a{i}", "by-conversation")


# -- the plots --------------------------------------------------------------------------------------
def test_plot_failover_shades_partitions_and_marks_new_followers():
    run = sl.simulate(duration=300, seed=1, partitions=[([["A"], ["B", "C"]], 50, 120)], joins=[("C", 200)])
    assert psl.cut_intervals(run) == [(50.0, 120.0, "partition A | BC")]
    ax = psl.plot_failover(run, message_labels=["snapshot"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "link cut / partition" in labels and "new follower" in labels and "leadership change" in labels
    assert any(t.get_text().startswith(" snapshot @") for t in ax.texts)


def test_plot_timeout_tradeoff_and_write_timeline():
    df = experiments.failover_timeout_sweep([10, 100], seeds=2)
    ax = psl.plot_timeout_tradeoff(df)
    assert ax.get_xlabel() == "detection timeout (ms)"
    runs = {m: sl.simulate(mode=m, **experiments.FOLLOWER_FAILURE) for m in ("sync", "async")}
    ax = psl.plot_write_timeline(runs, down=(200, 500))
    assert ax.get_xlim()[1] == max(r.end_time for r in runs.values())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sync", "async", "follower down"]
    with pytest.raises(ValueError, match="missing"):
        psl.plot_timeout_tradeoff(df.drop(columns="failovers"))


def test_plot_sharded_rings_every_violation():
    run = sharded.simulate_sharded()
    ax = psl.plot_sharded(run)
    rings = ax.collections[-1]
    assert len(rings.get_offsets()) == run.metrics["consistent_prefix_violations"]
    with pytest.raises(ValueError, match="simulate_sharded"):
        psl.plot_sharded(sl.simulate(duration=50))
