"""The shared fault vocabulary and geography in the leaderless model (contract of issue 13).

Crashes, link failures and partitions act on the network; regions and
``far_latency`` delay messages between regions; clients pay their round trip
to the coordinator; a home coordinator's own copy needs no message.
"""

from __future__ import annotations

import math

import pytest

from replnb.engine.latency import constant
from replnb.leaderless import home_replicas, simulate

A, B, C = home_replicas("x", 3, 3)
BASE = dict(n=3, nodes=3, latency=constant(2.0), read_repair=False, duration=1.0, settle=50.0)


def _write(node: str = A, t: float = 0.0, client: str = "c0") -> tuple:
    return (t, "write", "x", node, client)


def _messages(run, kind: str):
    m = run.messages
    return m[m["kind"] == kind].set_index("dst")


def test_failures_is_an_alias_of_crashes() -> None:
    crash = [(B, 0.5, 3.0)]
    one = simulate(r=1, w=2, script=[_write()], failures=crash, **BASE)
    two = simulate(r=1, w=2, script=[_write()], crashes=crash, **BASE)
    assert one.ops.equals(two.ops) and one.messages.equals(two.messages)
    assert one.params["crashes"] == two.params["crashes"] == ((B, 0.5, 3.0),)


def test_a_partition_that_starts_while_copies_fly_drops_them() -> None:
    # The coordinator A keeps its copy at 0 ms and sends two; the partition at 1 ms cuts A off.
    run = simulate(r=1, w=2, script=[_write()], partitions=[([[A]], 1.0, None)], timeout=20.0, **BASE)
    writes = _messages(run, "write")
    assert writes.loc[B, "dropped"] == writes.loc[C, "dropped"] == "partition"
    assert not run.ops["ok"].iloc[0]  # w=2 was never reached: the write failed at its timeout


def test_a_partition_keeps_messages_inside_a_group() -> None:
    run = simulate(r=1, w=2, script=[_write()], partitions=[([[A, B], [C]], 0.0, None)], **BASE)
    writes = _messages(run, "write")
    assert list(writes.index) == [B]  # C is unreachable: no message is even sent to it
    assert writes.loc[B, "dropped"] == "" and run.ops["ok"].iloc[0]


def test_a_partition_heals_and_reachability_returns() -> None:
    script = [_write(), _write(t=10.0)]
    run = simulate(
        r=1, w=3, script=script, partitions=[([[A], [B, C]], 0.0, 5.0)], **{**BASE, "duration": 10.0}
    )
    assert run.ops["ok"].tolist() == [False, True]  # Unavailable while cut off, then all three copies


def test_a_cut_link_drops_only_its_own_messages() -> None:
    run = simulate(r=1, w=3, script=[_write()], link_failures=[(A, B, 1.0, None)], timeout=20.0, **BASE)
    writes = _messages(run, "write")
    assert writes.loc[B, "dropped"] == "partition" and writes.loc[C, "dropped"] == ""
    # and the link is cut both ways: B's view of A is gone too
    run = simulate(r=1, w=2, script=[_write()], link_failures=[(B, A, 0.0, None)], **BASE)
    assert list(_messages(run, "write").index) == [C] and run.ops["ok"].iloc[0]


def test_a_cut_link_heals() -> None:
    run = simulate(
        r=1,
        w=3,
        script=[_write(), _write(t=10.0)],
        link_failures=[(A, B, 0.0, 5.0)],
        **{**BASE, "duration": 10.0},
    )
    assert run.ops["ok"].tolist() == [False, True]


def test_a_sloppy_quorum_writes_across_a_partition_and_hands_off_after_it_heals() -> None:
    a, b, c = home_replicas("x", 3, 5)
    script = [(0.0, "write", "x", a, "c0"), (400.0, "read", "x", b, "c1")]
    cut = [([[b, c]], 0.0, 200.0)]  # two home replicas cut off from the rest (and the coordinator)
    common = dict(n=3, nodes=5, r=2, w=2, latency=constant(2.0), script=script, partitions=cut,
                  duration=400.0, settle=50.0, read_repair=False, hint_interval=50.0)  # fmt: skip
    strict = simulate(**common)
    sloppy = simulate(sloppy=True, **common)
    assert not strict.ops["ok"].iloc[0]  # Unavailable: one home replica reachable, w = 2
    assert sloppy.ops["ok"].all()
    m = sloppy.metrics
    assert m["hinted_writes"] >= 1 and m["hints_handed_off"] >= 1 and m["stale_reads"] == 0
    assert sloppy.ops["returned"].iloc[1] == (sloppy.ops["op_id"].iloc[0],)


@pytest.mark.parametrize("client_latency", [0.0, 0.5, 3.0])
def test_a_w1_write_costs_the_client_round_trip_only(client_latency: float) -> None:
    # the coordinator stores its own copy without a message: no replica round trip (5 ms each way)
    run = simulate(n=3, nodes=3, r=1, w=1, script=[_write()], latency=constant(5.0),
                   client_latency=client_latency, duration=1.0, settle=30.0)  # fmt: skip
    op = run.ops.iloc[0]
    assert op["ok"] and op["end"] - op["start"] == 2 * client_latency
    assert run.metrics["write_latency_median"] == 2 * client_latency


def test_a_w2_write_waits_for_one_replica_round_trip_too() -> None:
    run = simulate(n=3, nodes=3, r=1, w=2, script=[_write()], latency=constant(5.0), client_latency=1.0,
                   duration=1.0, settle=30.0)  # fmt: skip
    op = run.ops.iloc[0]
    assert op["end"] - op["start"] == pytest.approx(2 * 1.0 + 2 * 5.0)


def test_a_far_clients_latency_includes_the_far_round_trip() -> None:
    regions = {"far": "us", "near": "eu", A: "eu", B: "eu", C: "eu"}
    script = [_write(client="far"), _write(t=50.0, client="near")]
    run = simulate(n=3, nodes=3, r=1, w=1, script=script, latency=constant(5.0), client_latency=1.0,
                   regions=regions, far_latency=40.0, duration=50.0, settle=30.0)  # fmt: skip
    latency = (run.ops["end"] - run.ops["start"]).tolist()
    assert latency == [2 * (1.0 + 40.0), 2 * 1.0]


def test_replica_messages_between_regions_take_the_far_delay() -> None:
    regions = {A: "eu", B: "eu", C: "us", "c0": "eu"}
    run = simulate(
        r=1, w=3, script=[_write()], regions=regions, far_latency=30.0, **{**BASE, "settle": 100.0}
    )
    writes = _messages(run, "write")
    assert writes.loc[B, "delivered"] - writes.loc[B, "sent"] == 2.0
    assert writes.loc[C, "delivered"] - writes.loc[C, "sent"] == 32.0
    assert run.ops["end"].iloc[0] == 2 * 32.0  # the third copy's round trip crosses twice


def test_clients_reach_a_node_of_their_own_region() -> None:
    names = ["A", "B", "C", "D"]
    regions = {"A": "eu", "B": "eu", "C": "us", "D": "us", "c0": "us", "c1": "eu"}
    run = simulate(n=4, nodes=4, r=1, w=1, keys=3, clients=2, write_rate=100, read_rate=100, regions=regions,
                   far_latency=50.0, seed=4)  # fmt: skip
    ops = run.ops[run.ops["node"] != ""]
    want = ops["client"].map({"c0": {"C", "D"}, "c1": {"A", "B"}})
    assert len(ops) > 20 and all(node in nodes for node, nodes in zip(ops["node"], want, strict=True))
    assert set(names) >= set(ops["node"])


def test_default_geography_changes_nothing() -> None:
    plain = simulate(seed=5)
    same = simulate(seed=5, regions={}, far_latency=0.0, client_latency=0.0, link_failures=(), partitions=())
    assert plain.ops.equals(same.ops) and plain.messages.equals(same.messages)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"crashes": [(A, 1.0, None)], "failures": [(B, 1.0, None)]}, r"crashes must be empty when failures"),
        ({"crashes": [("Z", 1.0, None)]}, r"crashes\[0\] node must be one of"),
        ({"crashes": [(A, 5.0, 2.0)]}, r"crashes\[0\] recover_at must be a number in \(5"),
        ({"crashes": "A"}, r"crashes must be a sequence"),
        ({"link_failures": [(A, "Z", 1.0, None)]}, r"link_failures\[0\] b must be one of"),
        ({"link_failures": [(A, A, 1.0, None)]}, r"link_failures\[0\] b must be another node"),
        ({"link_failures": [(A, B, math.nan, None)]}, r"link_failures\[0\] at must be"),
        ({"link_failures": [(A, B, 1.0)]}, r"link_failures\[0\] must be an \(a, b, at, heal_at"),
        ({"link_failures": [(A, B, 3.0, 3.0)]}, r"link_failures\[0\] heal_at must be"),
        ({"partitions": [([[A], [A, B]], 1.0, None)]}, r"partitions\[0\] groups must not share nodes"),
        ({"partitions": [([["Q"]], 1.0, None)]}, r"partitions\[0\] node must be one of"),
        ({"partitions": [(["AB"], 1.0, None)]}, r"partitions\[0\] groups must hold non-empty sequences"),
        ({"partitions": [([[A]], -1.0, None)]}, r"partitions\[0\] at must be"),
        ({"partitions": [([[A]], 4.0, 1.0)]}, r"partitions\[0\] heal_at must be"),
        ({"regions": {"Z": "eu"}}, r"regions must map nodes or clients"),
        ({"regions": ["A"]}, r"regions must be a mapping"),
        ({"far_latency": -1.0}, r"far_latency must be a number in \[0, 10000\] ms"),
        ({"far_latency": True}, r"far_latency must be a number in \[0, 10000\] ms"),
        ({"client_latency": math.inf}, r"client_latency must be"),
        ({"w_scope": "nearby"}, r"w_scope must be one of"),
        ({"r_scope": "local", "propagate": False}, r"r_scope must be 'global' with propagate=False"),
        ({"w_scope": "each", "read_repair": "sync"}, r"w_scope must be 'global' with read_repair='sync'"),
    ],
)
def test_bad_fault_lists_and_geography_are_refused_by_name(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        simulate(n=3, nodes=3, **kwargs)


def _two_dc_write(scope: str, w: int, r_scope: str = "global") -> float:
    names = home_replicas("x", 4, 4)
    regions = {names[0]: "eu", names[1]: "eu", names[2]: "us", names[3]: "us", "c0": "eu"}
    run = simulate(n=4, nodes=4, r=1, w=w, script=[(0.0, "write", "x", names[0], "c0")], regions=regions,
                   far_latency=50.0, latency=constant(2.0), w_scope=scope, r_scope=r_scope, duration=1.0,
                   settle=300.0)  # fmt: skip
    op = run.ops.iloc[0]
    return float(op["end"] - op["start"]) if op["ok"] else math.nan


def test_scoped_write_quorums_wait_for_the_regions_they_name() -> None:
    assert _two_dc_write("local", 2) == 4.0  # the coordinator's copy and one local round trip
    assert _two_dc_write("global", 2) == 4.0  # the nearest second copy is local too
    assert _two_dc_write("global", 3) == 2 * 52.0  # a third copy must cross
    assert _two_dc_write("each", 1) == 2 * 52.0  # one copy in each region
    assert _two_dc_write("each", 2) == 2 * 52.0
    assert math.isnan(_two_dc_write("local", 3))  # only two replicas in the region: Unavailable


def test_a_local_read_asks_only_its_region_and_can_miss_a_remote_write() -> None:
    names = home_replicas("x", 4, 4)
    regions = {names[0]: "eu", names[1]: "eu", names[2]: "us", names[3]: "us", "c0": "eu", "c1": "us"}
    script = [(0.0, "write", "x", names[0], "c0"), (10.0, "read", "x", names[2], "c1")]
    common = dict(n=4, nodes=4, r=2, w=2, script=script, regions=regions, far_latency=50.0, read_repair=False,
                  latency=constant(2.0), duration=10.0, settle=300.0)  # fmt: skip
    local = simulate(r_scope="local", w_scope="local", **common)
    assert local.ops["ok"].all() and bool(local.ops["stale"].iloc[1])  # the copies are still crossing
    reads = local.messages[local.messages["kind"] == "read"]
    assert set(reads["dst"]) == {names[3]}  # its own copy plus one local replica, no WAN message
    # EACH_QUORUM writes: acknowledged only once two copies are in each region; a local read after it sees it
    late = [script[0], (110.0, "read", "x", names[2], "c1")]
    each = simulate(r_scope="local", w_scope="each", **{**common, "script": late, "duration": 110.0})
    latency = (each.ops["end"] - each.ops["start"]).tolist()
    assert each.ops["ok"].all() and not each.ops["stale"].iloc[1] and latency == [104.0, 4.0]


def _restored(b_back: float | None):
    b, c, a = home_replicas("x", 3, 3)
    script = [(0.0, "write", "x", b, "c1"), (30.0, "write", "x", b, "c2"), (70.0, "read", "x", c, "c3")]
    return simulate(n=3, r=2, w=2, nodes=3, script=script, latency=constant(2.0), read_repair=False,
                    crashes=[(a, 20.0, 55.0), (b, 60.0, b_back)], restores=[(c, 50.0, 10.0)], duration=70.0,
                    settle=100.0)  # fmt: skip


def test_a_replica_restored_from_an_old_copy_forgets_writes_and_a_strict_quorum_reads_stale() -> None:
    run = _restored(150.0)
    ops = run.ops
    assert ops["ok"].all()
    assert ops["returned"].iloc[2] == (ops["op_id"].iloc[0],)  # the old value, though R + W > N
    assert bool(ops["stale"].iloc[2]) and not ops["lost"].any()
    restored = run.versions[run.versions["event"] == "restore"]
    assert restored[["time", "op_id"]].values.tolist() == [[50.0, 0]]
    assert (run.events["event"] == "restore").sum() == 1


def test_a_restore_with_the_last_holder_gone_loses_an_acknowledged_write() -> None:
    run = _restored(None)
    assert run.ops["ok"].all() and run.ops["lost"].tolist() == [False, True, False]
    assert run.metrics["lost_writes"] == 1


@pytest.mark.parametrize(
    ("restores", "match"),
    [
        ([("A", 50.0, 60.0)], r"restores\[0\] backup_at must be a time before at"),
        ([("Q", 50.0, 10.0)], r"restores\[0\] node must be one of"),
        ([("A", 50.0)], r"restores\[0\] must be a \(node, at, backup_at\)"),
        ([("A", math.inf, 1.0)], r"restores\[0\] at must be"),
    ],
)
def test_bad_restores_are_refused(restores: list, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        simulate(n=3, nodes=3, restores=restores)
