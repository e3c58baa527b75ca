"""Tests of the engine: event loop, network, clocks, records and metric definitions.

Metrics are checked against brute-force oracles (plain loops over a small
random history that follow DESIGN.md's definitions word for word).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb import metrics as m
from replnb.engine.clocks import LamportClock, NodeClock, VersionVector
from replnb.engine.latency import exponential
from replnb.engine.network import Message, Network, node_names
from replnb.engine.sim import Simulation
from replnb.records import EVENT_COLUMNS, MESSAGE_COLUMNS, OP_COLUMNS, VERSION_COLUMNS, Recorder, Run

SETTINGS = settings(max_examples=50, deadline=None)


# =============================================================================
# sim
# =============================================================================
@SETTINGS
@given(st.lists(st.integers(0, 20), min_size=1, max_size=40))
def test_events_run_in_time_order_and_same_time_in_schedule_order(delays):
    sim = Simulation()
    seen: list[tuple[float, int]] = []
    for i, d in enumerate(delays):
        sim.schedule(float(d), lambda i=i: seen.append((sim.now, i)))
    end = sim.run()
    expected = sorted(((float(d), i) for i, d in enumerate(delays)), key=lambda t: (t[0], t[1]))
    assert seen == expected
    assert end == max(delays)
    assert sim.pending == 0


def test_an_event_scheduled_now_runs_after_those_already_due_now():
    sim = Simulation()
    seen = []

    def first():
        seen.append("first")
        sim.schedule(0.0, seen.append, "scheduled-by-first")

    sim.schedule(1.0, first)
    sim.schedule(1.0, seen.append, "second")
    sim.run()
    assert seen == ["first", "second", "scheduled-by-first"]


def test_run_until_stops_and_keeps_later_events():
    sim = Simulation()
    seen = []
    for t in (1.0, 5.0, 10.0):
        sim.at(t, seen.append, t)
    assert sim.run(until=5.0) == 5.0
    assert seen == [1.0, 5.0] and sim.pending == 1 and sim.peek() == 10.0
    assert sim.run(until=7.0) == 7.0 and sim.now == 7.0
    sim.run()
    assert seen == [1.0, 5.0, 10.0] and sim.peek() == math.inf


def test_every_ticks_at_start_then_each_interval_until_the_end():
    sim = Simulation()
    ticks = []
    sim.every(3.0, lambda: ticks.append(sim.now), start=1.0, until=10.0)
    sim.run()
    assert ticks == [1.0, 4.0, 7.0]


def test_simulations_do_not_share_state():
    a, b = Simulation(), Simulation()
    a.schedule(1.0, lambda: None)
    assert a.pending == 1 and b.pending == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.schedule(-1.0, print), "delay must be >= 0"),
        (lambda s: s.schedule(math.nan, print), "delay must be >= 0"),
        (lambda s: s.every(0.0, print), "interval must be > 0"),
    ],
)
def test_sim_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call(Simulation())


def test_at_rejects_the_past():
    sim = Simulation()
    sim.run(until=5.0)
    with pytest.raises(ValueError, match="time must be >= now"):
        sim.at(4.0, print)


# =============================================================================
# network
# =============================================================================
def _net(n: int = 3, **kwargs) -> tuple[Simulation, Network, Recorder, list[tuple[float, Message]]]:
    sim, rec = Simulation(), Recorder()
    net = Network(sim, node_names(n), recorder=rec, **kwargs)
    got: list[tuple[float, Message]] = []
    for node in net.nodes:
        net.register(node, lambda msg: got.append((sim.now, msg)))
    return sim, net, rec, got


def test_node_names():
    assert node_names(4) == ["A", "B", "C", "D"]
    with pytest.raises(ValueError, match=r"1\.\.26"):
        node_names(0)


def test_constant_latency_delivers_after_exactly_that_delay():
    sim, net, rec, got = _net(latency=7.5)
    sim.at(2.0, net.send, "A", "B", "ping", ("hello",), "p")
    sim.run()
    assert [(t, msg.src, msg.dst, msg.body) for t, msg in got] == [(9.5, "A", "B", ("hello",))]
    frame = pd.DataFrame(rec.messages)
    assert list(frame.columns) == MESSAGE_COLUMNS
    assert frame.loc[0, "sent"] == 2.0 and frame.loc[0, "delivered"] == 9.5 and frame.loc[0, "dropped"] == ""


def test_messages_are_immutable():
    msg = Message(1, "A", "B", "k", (1, 2), 0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.body = (3,)  # type: ignore[misc]


def test_per_link_latency_overrides_the_default():
    sim, net, _, got = _net(latency=10.0)
    net.set_link("A", "C", latency=1.0, both_ways=True)
    net.send("A", "C", "k")
    net.send("C", "A", "k")
    net.send("A", "B", "k")
    sim.run()
    assert sorted((t, msg.dst) for t, msg in got) == [(1.0, "A"), (1.0, "C"), (10.0, "B")]


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(2, 30))
def test_fifo_links_deliver_in_send_order(seed, count):
    sim, net, _, got = _net(latency=exponential(mean=10.0), seed=seed, fifo=True)
    for i in range(count):
        sim.at(float(i), net.send, "A", "B", "k", i)
    sim.run()
    assert [msg.body for _, msg in got] == list(range(count))
    times = [t for t, _ in got]
    assert times == sorted(times)


def test_non_fifo_links_can_reorder():
    reordered = False
    for seed in range(20):
        sim, net, _, got = _net(latency=exponential(mean=10.0), seed=seed)
        for i in range(10):
            sim.at(float(i), net.send, "A", "B", "k", i)
        sim.run()
        reordered |= [msg.body for _, msg in got] != list(range(10))
    assert reordered


def test_loss_drops_about_the_given_fraction_and_records_the_reason():
    sim, net, rec, got = _net(latency=1.0, loss=0.3, seed=1)
    n = 4000
    for _ in range(n):
        net.send("A", "B", "k")
    sim.run()
    dropped = sum(r["dropped"] == "loss" for r in rec.messages)
    assert dropped + len(got) == n
    # Binomial(4000, 0.3): mean 1200, sd about 29; 6 sd either way.
    assert 1200 - 175 < dropped < 1200 + 175


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_the_same_seed_gives_the_same_delays_and_losses(seed):
    def trace():
        sim, net, rec, _ = _net(latency=exponential(mean=5.0), loss=0.2, seed=seed)
        for i in range(20):
            sim.at(float(i), net.send, "A", "B" if i % 2 else "C", "k", i)
        sim.run()
        return [(r["delivered"], r["dropped"]) for r in rec.messages]

    assert trace() == trace()


def test_partition_cuts_links_between_groups_then_heals():
    sim, net, rec, got = _net(n=4, latency=5.0)
    net.partition([["A", "B"]], start=10.0, end=30.0)
    sim.at(8.0, net.send, "A", "C", "k", "in flight when the partition starts")
    sim.at(12.0, net.send, "A", "C", "k", "across")
    sim.at(12.0, net.send, "C", "D", "k", "same side")
    sim.at(12.0, net.send, "A", "B", "k", "same side")
    sim.at(31.0, net.send, "A", "C", "k", "healed")
    sim.run()
    delivered = {msg.body for _, msg in got}
    assert delivered == {"same side", "healed"}
    reasons = {r["sent"]: r["dropped"] for r in rec.messages if r["dropped"]}
    assert reasons == {8.0: "partition", 12.0: "partition"}
    assert [e["event"] for e in rec.events] == ["partition", "heal"]
    assert rec.events[0]["detail"] == "AB | CD"
    assert net.last_fault_end == 30.0


def test_a_message_arriving_after_the_heal_is_delivered():
    sim, net, _, got = _net(latency=10.0)
    net.partition([["A"]], start=0.0, end=5.0)
    sim.at(6.0, net.send, "A", "B", "k", "x")
    sim.run()
    assert [(t, msg.body) for t, msg in got] == [(16.0, "x")]


def test_cut_link_can_be_one_way():
    sim, net, _, got = _net(latency=1.0)
    net.cut_link("A", "B", start=0.0, end=10.0, both_ways=False)
    sim.at(1.0, net.send, "A", "B", "k", "a->b")
    sim.at(1.0, net.send, "B", "A", "k", "b->a")
    sim.run()
    assert [msg.body for _, msg in got] == ["b->a"]
    assert not net.is_cut("A", "B") and net.reachable("A", "B")


def test_crash_and_recovery_semantics_and_hooks():
    sim, net, rec, got = _net(latency=5.0)
    calls = []
    net.on_crash("B", lambda: calls.append(("crash", sim.now)))
    net.on_recover("B", lambda: calls.append(("recover", sim.now)))
    net.crash("B", at=10.0, recover_at=20.0)
    sim.at(1.0, net.send, "A", "B", "k", "before")
    sim.at(6.0, net.send, "A", "B", "k", "arrives while down")
    sim.at(12.0, net.send, "B", "A", "k", "from a down node")
    sim.at(21.0, net.send, "A", "B", "k", "after")
    sim.run()
    assert [msg.body for _, msg in got] == ["before", "after"]
    reasons = [r["dropped"] for r in rec.messages]
    assert reasons == ["", "receiver-down", "sender-down", ""]
    assert calls == [("crash", 10.0), ("recover", 20.0)]
    assert [(e["time"], e["node"], e["event"]) for e in rec.events] == [
        (10.0, "B", "crash"),
        (20.0, "B", "recover"),
    ]
    assert net.is_up("B") and net.last_fault_end == 20.0


@pytest.mark.parametrize(("drops", "expected"), [(False, ["x"]), (True, [])])
def test_in_flight_messages_of_a_crashed_sender(drops, expected):
    sim, net, rec, got = _net(latency=10.0, crash_drops_in_flight=drops)
    net.send("A", "B", "k", "x")
    net.crash("A", at=5.0)
    sim.run()
    assert [msg.body for _, msg in got] == expected
    assert rec.messages[0]["dropped"] == ("sender-down" if drops else "")


def test_in_flight_drop_only_concerns_messages_sent_before_the_crash():
    sim, net, _, got = _net(latency=10.0, crash_drops_in_flight=True)
    net.crash("A", at=5.0, recover_at=6.0)
    sim.at(7.0, net.send, "A", "B", "k", "after recovery")
    sim.run()
    assert [msg.body for _, msg in got] == ["after recovery"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda net: net.send("A", "Z", "k"), "dst must be one of"),
        (lambda net: net.register("Q", print), "node must be one of"),
        (lambda net: net.set_link("A", "B", loss=1.0), r"loss must be in \[0, 1\)"),
        (lambda net: net.crash("A", at=5.0, recover_at=5.0), "recover_at must be > at"),
        (lambda net: net.crash("A", at=-1.0), "at must be a time >= 0"),
        (lambda net: net.partition([["A", "B"], ["B"]], start=0.0), "must not share nodes"),
        (lambda net: net.partition([["A", "Z"]], start=0.0), "partition node must be one of"),
        (lambda net: net.cut_link("A", "B", start=3.0, end=1.0), "end must be > start"),
    ],
)
def test_network_bad_input(call, message):
    _, net, _, _ = _net()
    with pytest.raises(ValueError, match=message):
        call(net)


def test_network_rejects_impossible_loss():
    with pytest.raises(ValueError, match=r"loss must be in \[0, 1\)"):
        Network(Simulation(), ["A"], loss=-0.1)


# =============================================================================
# clocks
# =============================================================================
NODES = ["A", "B", "C"]
vectors = st.dictionaries(st.sampled_from(NODES), st.integers(0, 4)).map(VersionVector.of)


@SETTINGS
@given(vectors, vectors, vectors)
def test_version_vector_order_is_a_partial_order(a, b, c):
    assert a <= a
    if a <= b and b <= a:
        assert a == b
    if a <= b and b <= c:
        assert a <= c


@SETTINGS
@given(vectors, vectors)
def test_compare_agrees_with_the_order(a, b):
    order = a.compare(b)
    expected = {
        (True, True): "equal",
        (True, False): "before",
        (False, True): "after",
        (False, False): "concurrent",
    }[(a <= b, b <= a)]
    assert order == expected
    assert b.compare(a) == {"before": "after", "after": "before"}.get(order, order)
    assert a.concurrent(b) == b.concurrent(a) == (order == "concurrent")
    assert (a < b) == (order == "before")


@SETTINGS
@given(vectors, vectors, vectors)
def test_merge_is_commutative_associative_and_idempotent(a, b, c):
    assert a.merge(b) == b.merge(a)
    assert a.merge(b).merge(c) == a.merge(b.merge(c))
    assert a.merge(a) == a


@SETTINGS
@given(vectors, vectors, vectors)
def test_merge_is_the_least_upper_bound(a, b, c):
    lub = a.merge(b)
    assert a <= lub and b <= lub
    if a <= c and b <= c:
        assert lub <= c
    for node in NODES:
        assert lub.get(node) == max(a.get(node), b.get(node))


@SETTINGS
@given(vectors, st.sampled_from(NODES))
def test_increment_moves_strictly_forward_in_one_entry(a, node):
    b = a.increment(node)
    assert a.compare(b) == "before"
    assert b.get(node) == a.get(node) + 1
    assert all(b.get(n) == a.get(n) for n in NODES if n != node)


def test_version_vector_construction():
    assert VersionVector.of({"B": 2, "A": 0}) == VersionVector((("B", 2),))
    assert VersionVector.of([("A", 1)]).as_dict() == {"A": 1}
    assert repr(VersionVector.of({"B": 1, "A": 2})) == "VersionVector(A=2, B=1)"
    with pytest.raises(ValueError, match="counts must be >= 0"):
        VersionVector.of({"A": -1})


@SETTINGS
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 50)), max_size=30))
def test_lamport_clock_is_monotonic_and_jumps_past_what_it_observes(steps):
    clock = LamportClock()
    last = clock.time
    for is_receive, stamp in steps:
        now = clock.observe(stamp) if is_receive else clock.tick()
        assert now > last
        if is_receive:
            assert now > stamp
        last = now


def test_lamport_clocks_respect_happened_before_across_messages():
    a, b = LamportClock(), LamportClock()
    a.tick()
    sent = a.tick()
    b.tick()
    received = b.observe(sent)
    assert received > sent
    assert b.tick() > received


@SETTINGS
@given(
    offset=st.floats(-1000, 1000),
    drift=st.floats(-0.5, 0.5),
    until=st.floats(0, 1e6),
)
def test_node_clock_reads_now_plus_offset_plus_drift_times_now(offset, drift, until):
    sim = Simulation()
    clock = NodeClock(sim, offset=offset, drift=drift)
    sim.run(until=until)
    assert clock.read() == pytest.approx(until + offset + drift * until)


@pytest.mark.parametrize("drift", [1.0, -1.0, 2.0])
def test_node_clock_rejects_impossible_drift(drift):
    with pytest.raises(ValueError, match=r"drift must be in \(-1, 1\)"):
        NodeClock(Simulation(), drift=drift)


# =============================================================================
# records
# =============================================================================
def test_recorder_and_run_frames():
    rec = Recorder()
    a = rec.op(client="c1", kind="write", node="A", key="x", value=1, start=0.0, extra="e")
    b = rec.op(client="c2", kind="read", node="B", key="x", value=None, start=1.0)
    a["end"], a["ok"], a["version"] = 2.0, True, 1
    rec.version(1.0, "A", "x", 1, 1, 0)
    rec.event(3.0, "B", "crash")
    calls = []

    def metrics(run):
        calls.append(run)
        return {"n": len(run.ops)}

    run = Run(
        model="toy",
        params={"p": 1},
        nodes=["A", "B"],
        recorder=rec,
        final_state={"A": {"x": 1}},
        metrics=metrics,
        end_time=5,
        extras={"note": "hi"},
    )
    assert (a["op_id"], b["op_id"]) == (0, 1)
    assert list(run.ops.columns[: len(OP_COLUMNS)]) == OP_COLUMNS and "extra" in run.ops.columns
    assert math.isnan(run.ops.loc[1, "end"]) and not run.ops.loc[1, "ok"]
    assert list(run.versions.columns) == VERSION_COLUMNS and run.versions.loc[0, "event"] == "apply"
    assert list(run.events.columns) == EVENT_COLUMNS
    assert run.final_state.loc["A", "x"] == 1 and run.final_state.loc["B", "x"] is None
    assert run.metrics["n"] == 2 and run.metrics["n"] == 2 and len(calls) == 1  # computed once
    assert run.extras == {"note": "hi"} and run.end_time == 5.0
    assert repr(run) == "<Run toy: 2 ops, 0 messages, 2 nodes, until t=5 ms>"


def test_empty_records_still_have_their_columns():
    run = Run(
        model="e", params={}, nodes=["A"], recorder=Recorder(), final_state={}, metrics=dict, end_time=0
    )
    assert list(run.ops.columns) == OP_COLUMNS and run.ops.empty
    assert list(run.messages.columns) == MESSAGE_COLUMNS
    assert list(run.versions.columns) == VERSION_COLUMNS
    assert list(run.events.columns) == EVENT_COLUMNS
    assert run.final_state.shape == (1, 0)


# =============================================================================
# metrics, against brute-force oracles
# =============================================================================
@st.composite
def histories(draw, max_ops: int = 14) -> pd.DataFrame:
    """A random small history with distinct start times (so that "before" is never a tie)."""
    n = draw(st.integers(0, max_ops))
    starts = draw(st.lists(st.integers(0, 200), min_size=n, max_size=n, unique=True))
    rows = []
    for i, start in enumerate(starts):
        kind = draw(st.sampled_from(["write", "read"]))
        duration = draw(st.integers(1, 40))
        ok = draw(st.booleans()) if draw(st.integers(0, 4)) == 0 else True
        version = (
            draw(st.one_of(st.integers(0, 6), st.just(math.nan)))
            if kind == "read"
            else draw(st.integers(1, 6))
        )
        rows.append(
            {
                "op_id": i,
                "client": draw(st.sampled_from(["a", "b", "c"])),
                "kind": kind,
                "key": draw(st.sampled_from(["x", "y"])),
                "start": float(start),
                "end": float(start + duration) + 0.5,  # ends never tie with starts
                "ok": ok,
                "version": version,
            }
        )
    columns = ["op_id", "client", "kind", "key", "start", "end", "ok", "version"]
    return pd.DataFrame(rows, columns=columns)


def _version(v: float) -> float:
    return -math.inf if v != v else float(v)


def _oracle_newest_before(ops: pd.DataFrame, read: pd.Series, same_client: bool) -> float:
    best = -math.inf
    for _, w in ops.iterrows():
        if w["kind"] != "write" or not w["ok"] or w["key"] != read["key"]:
            continue
        if same_client and w["client"] != read["client"]:
            continue
        if w["end"] < read["start"]:
            best = max(best, float(w["version"]))
    return best


def _ok_reads(ops: pd.DataFrame) -> pd.DataFrame:
    return ops[(ops["kind"] == "read") & ops["ok"].astype(bool)]


@SETTINGS
@given(histories())
def test_stale_reads_match_the_definition(ops):
    got = m.stale_reads(ops)
    reads = _ok_reads(ops)
    assert list(got.index) == list(reads.index)
    for idx, read in reads.iterrows():
        expected = _version(read["version"]) < _oracle_newest_before(ops, read, same_client=False)
        assert bool(got[idx]) == expected


@SETTINGS
@given(histories())
def test_read_your_writes_violations_match_the_definition(ops):
    got = m.ryw_violations(ops)
    reads = _ok_reads(ops)
    assert list(got.index) == list(reads.index)
    for idx, read in reads.iterrows():
        expected = _version(read["version"]) < _oracle_newest_before(ops, read, same_client=True)
        assert bool(got[idx]) == expected


@SETTINGS
@given(histories())
def test_monotonic_read_violations_match_the_definition(ops):
    got = m.monotonic_violations(ops)
    reads = _ok_reads(ops)
    assert sorted(got.index) == sorted(reads.index)
    for idx, read in reads.iterrows():
        earlier = reads[
            (reads["client"] == read["client"])
            & (reads["key"] == read["key"])
            & (reads["start"] < read["start"])
        ]
        seen = max((_version(v) for v in earlier["version"]), default=None)
        expected = seen is not None and _version(read["version"]) < seen
        assert bool(got[idx]) == expected


@SETTINGS
@given(histories(), st.data())
def test_lost_writes_match_the_register_definition(ops, data):
    writes = ops[ops["kind"] == "write"]
    survivors = {}
    for key in ("x", "y"):
        candidates = writes[writes["key"] == key]["op_id"].tolist()
        survivors[key] = data.draw(
            st.one_of(st.none(), st.sampled_from(candidates)) if candidates else st.none()
        )
    got = m.lost_writes(ops, survivors)
    acked = writes[writes["ok"].astype(bool)]
    assert list(got.index) == list(acked.index)
    start = dict(zip(ops["op_id"], ops["start"], strict=True))
    for idx, w in acked.iterrows():
        survivor = survivors[w["key"]]
        if survivor is None:
            expected = True  # the key is gone
        elif survivor == w["op_id"]:
            expected = False  # its value is there
        else:
            expected = not start[survivor] > w["end"]  # overwritten only by a later write
        assert bool(got[idx]) == expected


def test_lost_writes_of_concurrent_writes():
    ops = pd.DataFrame(
        {
            "op_id": [0, 1],
            "kind": "write",
            "key": "x",
            "start": [0.0, 5.0],
            "end": [10.0, 12.0],
            "ok": True,
        }
    )
    # 1 began before 0 was acknowledged: 0 lost to a concurrent write.
    assert m.lost_writes(ops, {"x": 1}).tolist() == [True, False]


def test_lost_elements_and_resurrections():
    assert m.lost_elements(["a", "b", "c"], {"a"}) == {"b", "c"}
    assert m.lost_elements([], {"a"}) == set()
    assert m.resurrections(["a", "b"], {"a", "z"}) == {"a"}


def test_convergence_time():
    versions = pd.DataFrame({"time": [1.0, 4.0, 9.0], "node": ["A", "B", "C"], "key": "x"})
    same = pd.DataFrame({"x": [1, 1, 2]}, index=["A", "B", "C"])
    # C is not live: A and B agree at their last change, 4.0.
    assert m.convergence_time(versions, same, ["A", "B"], since=2.0) == 2.0
    assert m.convergence_time(versions, same, ["A", "B"], since=6.0) == 0.0  # never negative
    assert m.convergence_time(versions, same, ["A", "B", "C"], since=2.0) == math.inf
    assert m.convergence_time(versions, same, [], since=0.0) == math.inf
    empty = pd.DataFrame(columns=["time", "node", "key"])
    assert m.convergence_time(empty, same.loc[["A", "B"]], ["A", "B"], since=3.0) == 0.0


@SETTINGS
@given(st.lists(st.floats(-1e6, 1e6), max_size=30), st.floats(0, 100))
def test_percentile_matches_numpy(values, q):
    got = m.percentile(values, q)
    if values:
        assert got == pytest.approx(float(np.percentile(values, q)))
    else:
        assert math.isnan(got)
    assert math.isnan(m.percentile([math.nan], 50))


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10), st.sampled_from(["A", "B"]), st.sampled_from(["x", "y"]), st.integers(0, 2)
        ),
        max_size=12,
    )
)
def test_divergence_counts_distinct_states(changes):
    versions = pd.DataFrame(changes, columns=["time", "node", "key", "value"]).astype({"time": float})
    got = m.divergence(versions, ["A", "B"])
    state: dict[str, dict[str, int]] = {"A": {}, "B": {}}
    expected = []
    for time in sorted(set(versions["time"])):
        for _, row in versions[versions["time"] == time].iterrows():
            state[row["node"]][row["key"]] = row["value"]
        expected.append([time, float(len({tuple(sorted(s.items())) for s in state.values()}))])
    assert got.values.tolist() == expected


def test_metric_definitions_on_a_tiny_hand_history():
    ops = pd.DataFrame(
        {
            "op_id": range(5),
            "client": ["a", "b", "a", "b", "b"],
            "kind": ["write", "read", "read", "read", "read"],
            "key": "x",
            "start": [0.0, 1.0, 5.0, 6.0, 8.0],
            "end": [2.0, 1.5, 5.5, 6.5, 8.5],
            "ok": True,
            "version": [1, 0, 0, 1, 0],
        }
    )
    # read 1 began before the write was acknowledged: not stale; the others that return 0 are.
    assert m.stale_reads(ops).tolist() == [False, True, False, True]
    assert m.ryw_violations(ops).tolist() == [False, True, False, False]  # only a's read misses a's write
    assert m.monotonic_violations(ops).tolist() == [False, False, False, True]  # b: 0, 1, then 0


def test_fifo_links_never_swap_two_messages_despite_rounding() -> None:
    """A FIFO link delivers in send order although now + (arrival - now) can round below arrival.

    The first message, sent at 0, arrives at 14.369205827062471; the second, sent at
    1.96799843188957 with a shorter delay, is held back to that arrival, and in floating
    point 1.96799843188957 + (14.369205827062471 - 1.96799843188957) is one step smaller.
    """
    now, arrival = 1.96799843188957, 14.369205827062471
    assert now + (arrival - now) < arrival  # the rounding this test is about
    sim = Simulation()
    got: list[int] = []
    net = Network(sim, ["A", "B"], fifo=True, seed=0)
    net.register("B", lambda msg: got.append(msg.body))
    sim.schedule(0.0, lambda: net.send("A", "B", "m", 0, delay=arrival))
    sim.schedule(now, lambda: net.send("A", "B", "m", 1, delay=1.0))
    sim.run()
    assert got == [0, 1]
