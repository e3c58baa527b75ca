"""Tests of replnb.multi_leader: conflicts, resolvers, topologies, failures, causal delivery."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replnb import metrics
from replnb import multi_leader as ml
from replnb.topology import KINDS, build

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REPO = Path(__file__).resolve().parent.parent


def scripted(*writes, **kwargs):
    """ops from (time, node, key, value) tuples."""
    ops = [dict(time=t, node=n, key=k, value=v) for t, n, k, v in writes]
    return ml.simulate(ops=ops, **kwargs)


def union_carts(local: ml.Cart, incoming: ml.Cart) -> ml.Cart:
    """A correct cart merge (what the chapter-2 exercise asks for)."""
    return ml.Cart(local.items | incoming.items, local.removed | incoming.removed)


def live_states_equal(run) -> bool:
    live = run.extras["live"]
    rows = run.final_state.loc[live]
    return all(len({repr(v) for v in rows[c]}) == 1 for c in rows.columns)


# -- the acceptance cases: what last-write-wins loses, and why -------------------------------------
LOSS_FIGURES = ("lost_writes", "lost_failover", "lost_older_write_won", "lost_concurrent", "conflicts")


def lost_causes(run) -> list[str | None]:
    """The ``lost_cause`` column with ``None`` for writes that are not lost (pandas may show NaN)."""
    return [c if isinstance(c, str) else None for c in run.ops["lost_cause"]]


def figures(run) -> tuple[int, ...]:
    return tuple(int(run.metrics[name]) for name in LOSS_FIGURES)


# (gap between x=1 at A and x=2 at B, B's clock offset) -> survivor, lost cause of the other write,
# (lost, failover, older_write_won, concurrent, conflicts). The link delay is 10 ms; at a gap of 10 ms
# B's client writes at the very instant x=1 arrives, before B applies it: still concurrent.
LWW_CASES = [
    (5.0, 0.0, 2, "concurrent", (1, 0, 0, 1, 1)),  # perfect clocks, concurrent: x=1 is discarded
    (10.0, 0.0, 2, "concurrent", (1, 0, 0, 1, 1)),
    (30.0, 0.0, 2, None, (0, 0, 0, 0, 0)),  # far enough apart to replicate: x=2 saw x=1
    (5.0, -40.0, 1, "concurrent", (1, 0, 0, 1, 1)),  # skewed and concurrent: x=2 is discarded
    (10.0, -40.0, 1, "concurrent", (1, 0, 0, 1, 1)),
    (30.0, -40.0, 1, "older_write_won", (1, 0, 1, 0, 0)),  # x=2 saw x=1 and still loses to it
    (70.0, -40.0, 2, None, (0, 0, 0, 0, 0)),  # the clocks agree again on which write is later
]


@pytest.mark.parametrize(("gap", "offset", "survivor", "cause", "expected"), LWW_CASES)
def test_acceptance_lww_loses_concurrent_writes_whatever_the_clocks(gap, offset, survivor, cause, expected):
    run = scripted((0.0, "A", "x", 1), (gap, "B", "x", 2), resolver="lww", clock_offsets={"B": offset})
    assert run.final_state["x"].tolist() == [survivor, survivor]
    assert figures(run) == expected
    loser = 2 - survivor  # the op_id of the other write
    assert run.ops["lost"].tolist() == [cause is not None and i == loser for i in (0, 1)]
    assert lost_causes(run) == [cause if i == loser else None for i in (0, 1)]
    assert run.metrics["writes_acked"] == 2
    assert math.isfinite(run.metrics["convergence_time"])


def test_the_causal_record_of_a_write():
    run = scripted((0.0, "A", "x", 1), (30.0, "B", "x", 2), (31.0, "B", "x", 3))
    assert run.ops["dot"].tolist() == [("A", 1), ("B", 1), ("B", 2)]
    assert run.ops["vv"].tolist() == [{"A": 1}, {"A": 1, "B": 1}, {"A": 1, "B": 2}]
    held = run.versions.groupby("node")["held"].last().to_dict()
    assert held == {"A": (2,), "B": (2,)}


@FAST
@given(gap=st.floats(0.0, 9.5), skew=st.floats(-60.0, 60.0), second=st.sampled_from("AB"))
def test_lww_discards_one_of_two_concurrent_writes_whatever_the_skew(gap, skew, second):
    """Two writes closer together than the link delay are concurrent: LWW keeps exactly one."""
    if second == "A":  # two writes at one leader are never concurrent: one saw the other
        run = scripted((0.0, "A", "x", 1), (gap, "A", "x", 2), clock_offsets={"B": skew})
        assert figures(run)[0] == 0 and run.metrics["conflicts"] == 0
        return
    run = scripted((0.0, "A", "x", 1), (gap, "B", "x", 2), clock_offsets={"B": skew})
    assert run.metrics["conflicts"] == 1
    assert run.metrics["lost_writes"] == 1 == run.metrics["lost_concurrent"]


@FAST
@given(gap=st.floats(10.5, 200.0), skew=st.floats(-200.0, 200.0))
def test_a_write_that_saw_the_other_loses_only_to_skew(gap, skew):
    """Far enough apart to replicate: nothing concurrent; a loss is then an older write winning."""
    run = scripted((0.0, "A", "x", 1), (gap, "B", "x", 2), clock_offsets={"B": skew})
    assert run.metrics["conflicts"] == 0 and run.metrics["lost_concurrent"] == 0
    assert run.metrics["lost_writes"] == run.metrics["lost_older_write_won"] == int(gap + skew < 0.0)


def test_lww_tie_goes_to_the_higher_node_name():
    run = scripted((0.0, "A", "x", "a"), (0.0, "B", "x", "b"))
    assert run.final_state["x"].tolist() == ["b", "b"]
    assert run.metrics["lost_writes"] == 1  # concurrent: losing to it is a loss


# -- resolvers ----------------------------------------------------------------------------------------
CONCURRENT = [(0.0, "A", "x", 1), (1.0, "B", "x", 2)]


@pytest.mark.parametrize(
    ("resolver", "expected"),
    [("max", 2), ("concat", "1/2"), ("siblings", (1, 2)), ("lww", 2)],
)
def test_builtin_merges_of_a_concurrent_pair(resolver, expected):
    run = scripted(*CONCURRENT, resolver=resolver)
    assert run.final_state["x"].tolist() == [expected, expected]
    assert run.metrics["conflicts"] == 1


def test_max_counts_the_smaller_concurrent_write_as_lost():
    run = scripted((0.0, "A", "x", 9), (1.0, "B", "x", 2), resolver="max")
    assert run.final_state["x"].tolist() == [9, 9]
    assert run.ops["lost"].tolist() == [False, True]
    assert lost_causes(run) == [None, "concurrent"]


@pytest.mark.parametrize(
    ("resolver", "expected"),
    [  # (lost, failover, older_write_won, concurrent, conflicts) for one concurrent pair
        ("lww", (1, 0, 0, 1, 1)),
        ("max", (1, 0, 0, 1, 1)),  # keeping one of two concurrent writes loses the other, like LWW
        ("concat", (0, 0, 0, 0, 1)),
        ("siblings", (0, 0, 0, 0, 1)),
        ("avoid", (1, 0, 0, 1, 1)),  # the fallback is LWW
    ],
)
def test_loss_table_of_the_resolvers_on_one_concurrent_pair(resolver, expected):
    assert figures(scripted(*CONCURRENT, resolver=resolver)) == expected


def test_union_merge_of_two_concurrent_carts_loses_nothing():
    ops = [
        dict(time=0, node="A", key="cart", op="add", value="milk"),
        dict(time=1, node="B", key="cart", op="add", value="eggs"),
    ]
    for tombstones in (False, True):
        run = ml.simulate(workload="cart", resolver="union", tombstones=tombstones, ops=ops)
        assert figures(run) == (0, 0, 0, 0, 1)
        assert run.metrics["lost_elements"] == 0
        assert run.final_state["cart"].tolist() == [("eggs", "milk")] * 2


def test_a_causally_later_write_supersedes_siblings():
    run = scripted(*CONCURRENT, (50.0, "A", "x", 3), resolver="siblings")
    assert run.final_state["x"].tolist() == [3, 3]
    assert run.metrics["lost_writes"] == 0  # both siblings were acknowledged before x=3 began


def test_custom_resolver_on_write_is_called_on_conflict():
    calls = []

    def resolve(local, incoming):
        calls.append((local, incoming))
        return local + incoming

    run = scripted(*CONCURRENT, resolver=resolve)
    assert run.final_state["x"].tolist() == [3, 3]
    assert calls and all(set(c) == {1, 2} for c in calls)
    same = scripted(*CONCURRENT, resolver="custom", resolve=resolve)
    assert same.final_state.equals(run.final_state)
    assert run.metrics["lost_writes"] == 0  # the merge keeps both effects


def test_custom_resolver_that_keeps_one_side_loses_the_other():
    run = scripted(
        (0.0, "A", "x", 1), (1.0, "B", "x", 2), resolver=lambda local, incoming: min(local, incoming)
    )
    assert run.final_state["x"].tolist() == [1, 1]
    assert run.ops["lost"].tolist() == [False, True]


def test_custom_on_read_returns_siblings_and_writes_back_the_merge():
    ops = [
        dict(time=0, node="A", key="x", value=1),
        dict(time=1, node="B", key="x", value=2),
        dict(time=30, node="A", key="x", op="read"),
    ]
    run = ml.simulate(resolver="siblings", resolve=max, ops=ops)
    read = run.ops[run.ops["kind"] == "read"].iloc[0]
    assert read["value"] == (1, 2)
    merge = run.ops[run.ops["op"] == "merge"].iloc[0]
    assert merge["value"] == 2 and bool(merge["ok"])
    assert run.final_state["x"].tolist() == [2, 2]
    assert run.metrics["lost_writes"] == 0
    without = ml.simulate(resolver="siblings", ops=ops)  # no merge function: the siblings stay
    assert without.final_state["x"].tolist() == [(1, 2), (1, 2)]


CART_OPS = [
    dict(time=0, node="A", key="cart", op="add", value="milk"),
    dict(time=20, node="A", key="cart", op="remove", value="milk"),
    dict(time=22, node="B", key="cart", op="add", value="eggs"),
]


def test_union_resurrects_a_deleted_item_and_tombstones_fix_it():
    run = ml.simulate(workload="cart", resolver="union", ops=CART_OPS)
    assert run.final_state["cart"].tolist() == [("eggs", "milk")] * 2
    assert run.metrics["resurrections"] == 1
    assert run.metrics["lost_elements"] == 0  # no added item is missing
    assert run.ops["resurrected"].tolist() == [False, True, False]
    # the removal's effect is gone: the union equals B's concurrent cart, so the removal is lost
    assert run.ops["lost"].tolist() == [False, True, False]
    assert run.ops.loc[1, "lost_cause"] == "concurrent"
    fixed = ml.simulate(workload="cart", resolver="union", tombstones=True, ops=CART_OPS)
    assert fixed.final_state["cart"].tolist() == [("eggs",)] * 2
    assert fixed.metrics["resurrections"] == 0
    assert fixed.metrics["lost_writes"] == fixed.metrics["lost_elements"] == 0


def test_lww_on_a_cart_loses_the_concurrent_addition():
    ops = [
        dict(time=0, node="A", key="cart", op="add", value="milk"),
        dict(time=1, node="B", key="cart", op="add", value="eggs"),
    ]
    run = ml.simulate(workload="cart", resolver="lww", ops=ops)
    assert run.final_state["cart"].tolist() == [("eggs",)] * 2
    assert run.metrics["lost_writes"] == run.metrics["lost_elements"] == 1
    assert run.ops["lost"].tolist() == run.ops["element_lost"].tolist() == [True, False]


def test_cart_value_type():
    cart = ml.Cart().add("milk", 0).add("milk", 1)
    gone, tags = cart.remove("milk", tombstone=False)
    assert gone.contents == () and tags == {("milk", 0), ("milk", 1)} and not gone.removed
    kept, _ = cart.remove("milk", tombstone=True)
    assert kept.contents == () and kept.items == cart.items
    assert union_carts(cart, kept).contents == ()
    assert union_carts(cart, gone).contents == ("milk",)  # no tombstone: it comes back


def test_avoidance_home_and_relocation_conflict():
    assert ml.home_leader("x", 2) == "B"
    ops = [dict(time=0, key="x", value=1), dict(time=5, key="x", value=2)]
    calm = ml.simulate(resolver="avoid", ops=ops)
    assert calm.ops["node"].tolist() == ["B", "B"]
    assert calm.metrics["conflicts"] == 0 and calm.metrics["lost_writes"] == 0
    # the user moves to A while x=1 is still in flight from B; A's clock is 20 ms behind
    moved = ml.simulate(resolver="avoid", ops=ops, relocations=[(3.0, "x", "A")], clock_offsets={"A": -20.0})
    assert moved.ops["node"].tolist() == ["B", "A"]
    assert moved.metrics["conflicts"] == 1
    assert moved.final_state["x"].tolist() == [1, 1]
    assert moved.ops["lost"].tolist() == [False, True]
    assert (moved.events["event"] == "relocate").sum() == 1


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), leaders=st.integers(2, 4), skew=st.floats(0, 200))
def test_avoidance_without_relocation_never_conflicts(seed, leaders, skew):
    run = ml.simulate(resolver="avoid", leaders=leaders, clock_skew=skew, duration=300.0, seed=seed, keys=3)
    assert run.metrics["conflicts"] == 0
    assert run.metrics["lost_writes"] == 0


def test_avoidance_with_relocations_conflicts():
    runs = [ml.simulate(resolver="avoid", relocation_rate=20.0, write_rate=60.0, seed=s) for s in range(3)]
    assert sum(r.metrics["conflicts"] for r in runs) > 0
    assert (runs[0].events["event"] == "relocate").sum() > 0


# -- laws (hypothesis) ----------------------------------------------------------------------------------
RESOLVER_CASES = [
    {"resolver": "lww"},
    {"resolver": "avoid", "relocation_rate": 10.0},
    {"resolver": "max"},
    {"resolver": "concat"},
    {"resolver": "siblings"},
    {"resolver": "custom", "resolve": max},
    {"resolver": "union", "workload": "cart"},
    {"resolver": "union", "workload": "cart", "tombstones": True},
    {"resolver": "lww", "workload": "cart"},
    {"resolver": union_carts, "workload": "cart", "tombstones": True},
]


@FAST
@given(
    case=st.sampled_from(RESOLVER_CASES),
    seed=st.integers(0, 10_000),
    leaders=st.integers(2, 5),
    topology=st.sampled_from(KINDS),
    skew=st.floats(0, 150),
    jitter=st.floats(0, 10),
    causal=st.booleans(),
)
def test_every_resolver_converges_after_quiescence(case, seed, leaders, topology, skew, jitter, causal):
    run = ml.simulate(
        leaders=leaders,
        topology=topology,
        clock_skew=skew,
        jitter=jitter,
        causal=causal,
        duration=250.0,
        write_rate=40.0,
        seed=seed,
        **case,
    )
    assert live_states_equal(run)
    assert math.isfinite(run.metrics["convergence_time"])
    assert run.metrics["unconverged_replicas"] == 0
    assert run.metrics["missing_deliveries"] == 0


history = st.lists(
    st.tuples(st.integers(0, 60), st.sampled_from("ABC"), st.sampled_from("xy")), min_size=1, max_size=7
)


@FAST
@given(
    history=history, offsets=st.lists(st.integers(-50, 50), min_size=3, max_size=3), jitter=st.integers(0, 10)
)
def test_lww_survivor_is_the_highest_timestamp_then_node(history, offsets, jitter):
    # one write per (time, node): distinct timestamps within a node
    history = sorted({(t, n): k for t, n, k in history}.items())
    ops = [dict(time=t, node=n, key=k, value=i) for i, ((t, n), k) in enumerate(history)]
    clock = dict(zip("ABC", map(float, offsets), strict=True))
    run = ml.simulate(leaders=3, ops=ops, clock_offsets=clock, jitter=float(jitter), seed=1)
    for key in {op["key"] for op in ops}:
        mine = [op for op in ops if op["key"] == key]
        best = max(mine, key=lambda op: (op["time"] + clock[op["node"]], op["node"]))
        assert run.final_state[key].tolist() == [best["value"]] * 3
        ts = run.ops.set_index("value").loc[best["value"], "ts"]
        assert ts == best["time"] + clock[best["node"]]


@FAST
@given(history=history, offsets=st.lists(st.integers(-50, 50), min_size=3, max_size=3))
def test_lost_writes_match_a_brute_force_oracle(history, offsets):
    """An oracle that knows the network: all-to-all, direct sends, a constant 10 ms per message.

    V has seen W when V's leader had applied W when it accepted V: W was accepted at the same
    leader before (by time, then script order), or more than 10 ms before V (at exactly 10 ms the client's
    write comes first). W is lost when the LWW survivor of its key has not seen it; the cause
    is ``older_write_won`` when W had seen the survivor, else ``concurrent``.
    """
    ops = [dict(time=t, node=n, key=k, value=i) for i, (t, n, k) in enumerate(history)]
    clock = dict(zip("ABC", map(float, offsets), strict=True))
    run = ml.simulate(leaders=3, ops=ops, clock_offsets=clock)

    def seen(v, w):  # had the leader of ops[v] applied ops[w] when it accepted ops[v]?
        a, b = ops[v], ops[w]
        same_leader = a["node"] == b["node"] and (b["time"], w) < (a["time"], v)
        return w != v and (same_leader or a["time"] > b["time"] + 10.0)

    causes = {}
    for key in {op["key"] for op in ops}:
        mine = [i for i, op in enumerate(ops) if op["key"] == key]
        winner = max(mine, key=lambda i: (ops[i]["time"] + clock[ops[i]["node"]], ops[i]["node"], i))
        for i in mine:
            if i != winner and not seen(winner, i):
                causes[i] = "older_write_won" if seen(i, winner) else "concurrent"
    # op_ids follow the order of execution, the values the order of the script
    got = {v: c for v, c in zip(run.ops["value"], lost_causes(run), strict=True) if c is not None}
    assert got == causes
    assert run.metrics["lost_writes"] == len(causes)
    assert run.metrics["lost_older_write_won"] == sum(c == "older_write_won" for c in causes.values())


@FAST
@given(
    seed=st.integers(0, 10_000), leaders=st.integers(2, 5), tombstones=st.booleans(), jitter=st.floats(0, 10)
)
def test_union_loses_no_item(seed, leaders, tombstones, jitter):
    run = ml.simulate(
        workload="cart",
        resolver="union",
        tombstones=tombstones,
        leaders=leaders,
        jitter=jitter,
        write_rate=60.0,
        duration=250.0,
        seed=seed,
    )
    assert run.metrics["lost_elements"] == 0
    if tombstones:  # every concurrent version leaves its mark on the union: no write is lost
        assert run.metrics["lost_writes"] == 0
    # independently: every acknowledged add whose tag no removal saw is in every cart
    ops = run.ops
    removed = set()
    if "removed_tags" in ops:
        for tags in ops["removed_tags"].dropna():
            removed |= set(tags)
    contents = {node: set(sum(run.final_state.loc[node].dropna().tolist(), ())) for node in run.nodes}
    for value, op_id in zip(ops["value"], ops["op_id"], strict=True):
        if ops.loc[ops["op_id"] == op_id, "op"].iloc[0] == "add" and (value, op_id) not in removed:
            assert all(value in contents[n] for n in run.nodes)
    if tombstones:
        assert run.metrics["resurrections"] == 0


def test_union_without_tombstones_does_resurrect_in_random_runs():
    total = sum(
        ml.simulate(workload="cart", resolver="union", leaders=3, write_rate=50.0, seed=s).metrics[
            "resurrections"
        ]
        for s in range(3)
    )
    assert total > 0


# -- topologies ------------------------------------------------------------------------------------------
@st.composite
def strongly_connected(draw):
    n = draw(st.integers(2, 7))
    names = [chr(ord("A") + i) for i in range(n)]
    order = draw(st.permutations(names))
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(zip(order, order[1:] + order[:1], strict=True))  # a Hamiltonian cycle
    extra = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=12))
    graph.add_edges_from((u, v) for u, v in extra if u != v)
    return graph


@FAST
@given(graph=strongly_connected(), seed=st.integers(0, 1000), jitter=st.floats(0, 10))
def test_no_loops_every_write_applied_exactly_once_per_replica(graph, seed, jitter):
    run = ml.simulate(topology=graph, duration=150.0, write_rate=30.0, jitter=jitter, seed=seed)
    delivery = run.extras["delivery"]
    n = graph.number_of_nodes()
    assert not delivery.duplicated(["op_id", "node"]).any()
    assert len(delivery) == run.metrics["writes_acked"] * n
    # each write crosses each edge at most once, and never goes back to a node on its path
    msgs = run.messages[run.messages["kind"] == "write"]
    assert set(zip(msgs["src"], msgs["dst"], strict=True)) <= set(graph.edges)
    assert run.metrics["messages_per_write"] <= graph.number_of_edges()
    assert live_states_equal(run)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_every_topology_converges_without_failures(kind, n):
    run = ml.simulate(topology=kind, leaders=n, jitter=5.0, duration=300.0, seed=n)
    assert run.metrics["unconverged_replicas"] == 0
    assert run.metrics["missing_deliveries"] == 0
    assert math.isfinite(run.metrics["convergence_time"])
    assert live_states_equal(run)


@pytest.mark.parametrize("n", [2, 3, 4, 6, 8])
def test_messages_per_write(n):
    ops = [dict(time=10.0 * i, node=chr(ord("A") + i), key="x", value=i) for i in range(n)]
    ring = ml.simulate(topology="circular", leaders=n, ops=ops)
    star = ml.simulate(topology="star", leaders=n, ops=ops)
    full = ml.simulate(topology="all-to-all", leaders=n, ops=ops)
    assert ring.metrics["messages_per_write"] == n - 1
    assert star.metrics["messages_per_write"] == n - 1
    # the origin sends to the n-1 other leaders itself; nobody forwards
    assert full.metrics["messages_per_write"] == n - 1
    for kind, run in (("circular", ring), ("star", star), ("all-to-all", full)):
        assert run.metrics["messages_per_write"] == ml.expected_messages(kind, n)
    sent = full.messages[full.messages["kind"] == "write"]
    origin = {op_id: node for op_id, node in zip(full.ops["op_id"], full.ops["node"], strict=True)}
    assert all(origin[op_id] == src for op_id, src in zip(sent["op_id"], sent["src"], strict=True))


def test_reads_record_what_they_returned_and_are_judged_causally():
    ops = [
        dict(time=0, node="A", key="x", value=1, client="c"),
        dict(time=5, node="B", key="x", op="read", client="c"),  # x=1 is still on its way to B
        dict(time=15, node="B", key="x", op="read", client="c"),
    ]
    run = ml.simulate(ops=ops)
    reads = run.ops[run.ops["kind"] == "read"]
    assert reads["returned"].tolist() == [(), (0,)]
    assert reads["stale"].tolist() == [True, False]
    assert reads["ryw_violation"].tolist() == [True, False]  # c's own write, acknowledged before
    assert (run.metrics["stale_reads"], run.metrics["ryw_violations"]) == (1, 1)
    # with siblings a read returns both concurrent versions
    pair = [dict(time=0, node="A", key="x", value=1), dict(time=1, node="B", key="x", value=2)]
    siblings = ml.simulate(resolver="siblings", ops=[*pair, dict(time=30, node="A", key="x", op="read")])
    assert siblings.ops.loc[siblings.ops["kind"] == "read", "returned"].tolist() == [(0, 1)]


@FAST
@given(
    seed=st.integers(0, 10_000),
    leaders=st.integers(2, 4),
    topology=st.sampled_from(KINDS),
    jitter=st.floats(0, 10),
    resolver=st.sampled_from(["lww", "max", "siblings", "avoid"]),
)
def test_conflicts_are_the_pairs_of_concurrent_writes_per_key(seed, leaders, topology, jitter, resolver):
    run = ml.simulate(
        leaders=leaders, topology=topology, jitter=jitter, resolver=resolver, duration=150.0, seed=seed
    )
    writes = run.ops[run.ops["kind"] == "write"]
    assert run.metrics["conflicts"] == metrics.conflicts(run.ops)
    pairs = 0  # brute force on the recorded dots and vectors
    rows = list(zip(writes["key"], writes["dot"], writes["vv"], strict=True))
    for i, (key, dot, vv) in enumerate(rows):
        for key2, dot2, vv2 in rows[i + 1 :]:
            seen = vv2.get(dot[0], 0) >= dot[1] or vv.get(dot2[0], 0) >= dot2[1]
            pairs += key == key2 and not seen
    assert run.metrics["conflicts"] == pairs
    figures_ = run.metrics
    assert figures_["lost_writes"] == figures_["lost_concurrent"] + figures_["lost_older_write_won"]
    assert figures_["lost_failover"] == 0  # no failover in a multi-leader run


# -- network realism: FIFO links, direct all-to-all ------------------------------------------------------
def same_origin_in_order(run) -> bool:
    """At every replica, each origin's writes are applied in the order the origin accepted them."""
    writes = run.extras["writes"]
    for _node, group in run.extras["delivery"].groupby("node", sort=True):
        last: dict[str, int] = {}
        for op_id in group["op_id"]:  # rows are in application order
            w = writes[op_id]
            if w.seq < last.get(w.origin, 0):
                return False
            last[w.origin] = w.seq
    return True


@FAST
@given(
    seed=st.integers(0, 10_000),
    leaders=st.integers(3, 6),
    topology=st.sampled_from(["circular", "star"]),
    jitter=st.floats(0, 10),
)
def test_fifo_links_keep_one_origins_writes_in_order_on_a_ring_or_a_star(seed, leaders, topology, jitter):
    run = ml.simulate(
        leaders=leaders, topology=topology, jitter=jitter, write_rate=80.0, duration=200.0, seed=seed
    )
    assert same_origin_in_order(run)


def test_reordering_links_are_an_explicit_option():
    ops = [dict(time=0, node="A", key="x", value=1), dict(time=1, node="A", key="x", value=2)]
    fifo = ml.simulate(leaders=3, topology="circular", ops=ops, jitter=10.0, seed=1)
    assert same_origin_in_order(fifo) and fifo.metrics["out_of_order"] == 0
    reordered = ml.simulate(leaders=3, topology="circular", ops=ops, jitter=10.0, seed=1, reorder=True)
    assert not same_origin_in_order(reordered) and reordered.metrics["out_of_order"] == 1
    assert reordered.params["reorder"] and not fifo.params["reorder"]


def test_all_to_all_a_write_overtakes_one_it_depends_on_by_another_path():
    # B applies x=1 (from A, after 5.9 ms) and then writes x=2; B's direct message to C
    # arrives before A's, although each link is FIFO: the two writes travel on different links
    ops = [dict(time=0, node="A", key="x", value=1), dict(time=12, node="B", key="x", value=2)]
    run = ml.simulate(leaders=3, ops=ops, jitter=10.0, seed=7)
    at_c = run.extras["delivery"].query("node == 'C'")
    assert at_c["op_id"].tolist() == [1, 0]  # x=2 first
    assert at_c["out_of_order"].tolist() == [True, False]
    assert run.metrics["out_of_order"] == 1
    assert same_origin_in_order(run)  # not a reordering on one link
    assert run.ops.loc[1, "vv"] == {"A": 1, "B": 1}  # x=2 depends on x=1
    fixed = ml.simulate(leaders=3, ops=ops, jitter=10.0, seed=7, causal=True)
    assert fixed.metrics["out_of_order"] == 0 and fixed.metrics["causal_delay_ms"] > 0


# -- convergence by write identity -------------------------------------------------------------------------
def test_equal_values_from_different_writes_are_not_converged():
    # A's x=5 wins at A; B never hears of it and keeps its own x=5: equal values, different writes
    run = scripted((0.0, "B", "x", 5), (1.0, "A", "x", 5), link_failures=[("A", "B", 0.0, None)])
    assert run.final_state["x"].tolist() == [5, 5]
    assert run.metrics["convergence_time"] == math.inf
    assert run.metrics["unconverged_replicas"] == 1
    assert run.ops["lost"].tolist() == [False, False]  # each survives somewhere


@FAST
@given(
    history=history,
    jitter=st.floats(0, 10),
    topology=st.sampled_from(KINDS),
    resolver=st.sampled_from(["lww", "max", "siblings"]),
)
def test_convergence_time_is_never_below_the_smallest_one_way_delay(history, jitter, topology, resolver):
    """The last acknowledged write, when it survives, must still cross a link to every other leader."""
    ops = [dict(time=t, node=n, key=k, value=i) for i, (t, n, k) in enumerate(history)]
    run = ml.simulate(leaders=3, ops=ops, jitter=jitter, topology=topology, resolver=resolver, seed=3)
    conv = run.metrics["convergence_time"]
    assert 0.0 <= conv < math.inf
    last = run.ops[run.ops["kind"] == "write"].sort_values("end", kind="stable").iloc[-1]
    later = run.ops[(run.ops["kind"] == "write") & (run.ops["end"] == last["end"])]
    held = run.versions.groupby(["node", "key"])["held"].last()
    if all(op_id in held[("A", k)] for op_id, k in zip(later["op_id"], later["key"], strict=True)):
        assert conv >= 10.0 - jitter


def test_ring_delivery_times_follow_the_ring():
    run = ml.simulate(topology="circular", leaders=4, ops=[dict(time=0, node="B", key="x", value=1)])
    d = run.extras["delivery"].set_index("node")["time"]
    assert d.to_dict() == {"B": 0.0, "C": 10.0, "D": 20.0, "A": 30.0}


def write_at_each(n, start=0.0):
    return [dict(time=start + 5.0 * i, node=chr(ord("A") + i), key="x", value=i) for i in range(n)]


def received(run):
    d = run.extras["delivery"]
    return {node: set(group["origin"]) for node, group in d.groupby("node")}


def test_ring_one_failed_node_stops_propagation_past_it():
    run = ml.simulate(topology="circular", leaders=5, ops=write_at_each(5), failed=["C"])
    got = received(run)
    assert "C" not in got
    # A's and B's writes cannot get past C: D and E never see them
    for node in "DE":
        assert not got[node] & {"A", "B"}
    # ring A -> B -> C -> D -> E -> A: writes travel on until they reach C
    assert got == {"A": {"A", "D", "E"}, "B": {"A", "B", "D", "E"}, "D": {"D"}, "E": {"D", "E"}}
    assert run.metrics["missing_deliveries"] > 0
    assert run.metrics["unconverged_replicas"] > 0
    assert run.metrics["convergence_time"] == math.inf
    assert run.metrics["writes_failed"] == 1  # the write sent to C


def test_star_failed_hub_stops_everything():
    run = ml.simulate(topology="star", leaders=5, ops=write_at_each(5), failed=["A"])
    got = received(run)
    for node in "BCDE":
        assert got[node] == {node}
    assert run.metrics["unconverged_replicas"] == 3  # all leaves but the one holding the winner
    assert run.metrics["missing_deliveries"] == 4 * 3
    assert run.metrics["convergence_time"] == math.inf


def test_star_failed_leaf_only_loses_that_leaf():
    run = ml.simulate(topology="star", leaders=5, ops=write_at_each(5), failed=["C"])
    assert run.metrics["missing_deliveries"] == 0
    assert math.isfinite(run.metrics["convergence_time"])


@pytest.mark.parametrize("dead", ["A", "B", "E"])
def test_all_to_all_keeps_converging_with_a_failed_node(dead):
    run = ml.simulate(topology="all-to-all", leaders=5, ops=write_at_each(5), failed=[dead])
    assert run.extras["live"] == [n for n in "ABCDE" if n != dead]
    assert run.metrics["missing_deliveries"] == 0
    assert run.metrics["unconverged_replicas"] == 0
    assert math.isfinite(run.metrics["convergence_time"])


def test_crash_with_recovery_catches_up_by_anti_entropy():
    ops = write_at_each(4)
    run = ml.simulate(topology="circular", leaders=4, ops=ops, crashes=[("B", 1.0, 50.0)])
    assert run.metrics["writes_failed"] == 1  # B's own write came while it was down
    assert run.metrics["missing_deliveries"] == 0
    assert live_states_equal(run)
    kinds = run.messages["kind"].value_counts().to_dict()
    assert kinds["sync"] == 1 and kinds["catchup"] >= 1
    d = run.extras["delivery"]
    assert (d[d["node"] == "C"]["time"] >= 50.0).any()  # C gets A's write only after B is back
    never = ml.simulate(topology="circular", leaders=4, ops=ops, crashes=[("B", 1.0, None)])
    assert never.metrics["missing_deliveries"] > 0
    assert never.extras["live"] == ["A", "C", "D"]


def test_link_failure_and_heal():
    ops = write_at_each(3)
    cut = ml.simulate(topology="circular", leaders=3, ops=ops, link_failures=[("A", "B", 0.0, None)])
    assert cut.metrics["missing_deliveries"] > 0
    healed = ml.simulate(topology="circular", leaders=3, ops=ops, link_failures=[("A", "B", 0.0, 100.0)])
    assert healed.metrics["missing_deliveries"] == 0
    assert live_states_equal(healed)
    assert healed.metrics["convergence_time"] >= 0
    assert (healed.events["event"] == "link-heal").sum() == 1


# -- causal delivery ---------------------------------------------------------------------------------------
def causal_ok(run) -> bool:
    """Independent check: at every replica, each write's causal past was applied before it."""
    writes = run.extras["writes"]
    by_origin_seq = {(w.origin, w.seq): w.op_id for w in writes.values()}
    for _node, group in run.extras["delivery"].groupby("node", sort=True):
        done: set[int] = set()
        for op_id in group["op_id"]:  # rows are in application order
            w = writes[op_id]
            for k, count in zip(run.nodes, w.deps, strict=True):
                for s in range(1, count + 1):
                    dep = by_origin_seq[(k, s)]
                    if dep != op_id and dep not in done:
                        return False
            done.add(op_id)
    return True


def test_the_causality_anomaly_in_all_to_all_and_its_fix():
    # with jitter, a write can overtake one that happened before it (even on the same link)
    jittery = [ml.simulate(leaders=4, jitter=10.0, write_rate=60.0, keys=1, seed=s) for s in range(3)]
    assert sum(r.metrics["out_of_order"] for r in jittery) > 0
    assert not all(causal_ok(r) for r in jittery)
    fixed = [
        ml.simulate(leaders=4, jitter=10.0, write_rate=60.0, keys=1, seed=s, causal=True) for s in range(3)
    ]
    assert all(r.metrics["out_of_order"] == 0 for r in fixed)
    assert all(causal_ok(r) for r in fixed)
    assert sum(r.metrics["causal_delay_ms"] for r in fixed) > 0
    assert all(r.metrics["causal_delay_ms"] == 0 for r in jittery)


@FAST
@given(
    seed=st.integers(0, 10_000),
    leaders=st.integers(3, 6),
    topology=st.sampled_from(KINDS),
    jitter=st.floats(0, 10),
)
def test_causal_delivery_has_zero_out_of_order(seed, leaders, topology, jitter):
    run = ml.simulate(
        leaders=leaders,
        topology=topology,
        jitter=jitter,
        causal=True,
        write_rate=40.0,
        duration=200.0,
        seed=seed,
    )
    assert run.metrics["out_of_order"] == 0
    assert causal_ok(run)
    assert run.metrics["missing_deliveries"] == 0
    d = run.extras["delivery"]
    assert (d["wait"] >= 0).all()


def test_out_of_order_counter_agrees_with_the_independent_check():
    for seed in range(4):
        run = ml.simulate(leaders=4, jitter=10.0, write_rate=60.0, keys=1, seed=seed)
        assert (run.metrics["out_of_order"] == 0) == causal_ok(run)


# -- records, clocks, helpers ---------------------------------------------------------------
def test_records_and_columns():
    run = ml.simulate(leaders=3, duration=200.0, seed=4)
    assert list(run.extras["delivery"].columns[:3]) == ["op_id", "node", "time"]
    assert {"op", "ts", "dot", "vv", "returned", "lost", "lost_cause", "element_lost", "resurrected"} <= set(
        run.ops.columns
    )
    assert {"stale", "ryw_violation", "monotonic_violation"} <= set(run.ops.columns)
    assert "held" in run.versions.columns
    assert list(run.final_state.index) == ["A", "B", "C"]
    for name in [
        "writes_acked",
        "lost_writes",
        "lost_failover",
        "lost_older_write_won",
        "lost_concurrent",
        "stale_reads",
        "ryw_violations",
        "monotonic_violations",
        "conflicts",
        "lost_elements",
        "resurrections",
        "convergence_time",
        "unconverged_replicas",
        "messages_per_write",
        "out_of_order",
        "causal_delay_ms",
    ]:
        assert name in run.metrics.index
    assert run.extras["counts"]["writes_acked"] == run.metrics["writes_acked"]
    assert set(run.messages["kind"]) == {"write"}


def test_clock_skew_and_drift_set_the_node_clocks():
    run = ml.simulate(leaders=3, clock_skew=100.0, seed=3, duration=100.0)
    offsets = run.extras["clock_offsets"]
    assert all(-50.0 <= v <= 50.0 for v in offsets.values()) and len(set(offsets.values())) == 3
    ops = [dict(time=1000.0, node="A", key="x", value=1)]
    drifted = ml.simulate(ops=ops, clock_drift={"A": 0.01}, clock_offsets={"A": 5.0})
    assert drifted.ops["ts"].iloc[0] == pytest.approx(1000.0 + 5.0 + 10.0)


def test_divergence_rises_then_falls_to_one():
    run = scripted((0.0, "A", "x", 1), (0.0, "B", "x", 2), leaders=3)
    div = ml.divergence(run)
    assert div["distinct"].max() >= 2
    assert div["distinct"].iloc[-1] == 1


def test_compare_strategies_and_sweep():
    table = ml.compare_strategies(clock_skew=100.0, duration=400.0, write_rate=40.0, seed=2)
    assert list(table.index) == list(ml.STRATEGIES)
    assert table.loc["cart: union + tombstones", "resurrections"] == 0
    assert table.loc["avoidance", "conflicts"] == 0
    assert (table["lost_writes"] >= 0).all()
    df = ml.sweep(
        "clock_skew",
        [0.0, 200.0],
        strategies={"lww": {"resolver": "lww"}, "union": {"resolver": "union", "workload": "cart"}},
        seeds=[0, 1],
        keys=8,
        write_rate=60.0,
    )
    assert df.shape[0] == 4
    lww = df[df["strategy"] == "lww"].set_index("clock_skew")
    # perfect clocks: conflicts still happen (LWW discards their losers), but no older write ever wins
    assert lww.loc[0.0, "conflicts"] > 0 and lww.loc[0.0, "lost_older_write_won"] == 0
    assert lww.loc[200.0, "lost_writes"] > 0
    assert (lww["lost_writes"] == lww["lost_concurrent"] + lww["lost_older_write_won"]).all()
    assert (df[df["strategy"] == "union"]["lost_elements"] == 0).all()


def frames(run) -> dict[str, pd.DataFrame]:
    return {
        "ops": run.ops,
        "messages": run.messages,
        "versions": run.versions,
        "delivery": run.extras["delivery"],
        "final": run.final_state,
    }


def test_same_seed_same_run():
    kwargs = dict(leaders=4, clock_skew=50.0, jitter=5.0, resolver="avoid", relocation_rate=5.0, seed=11)
    a, b = frames(ml.simulate(**kwargs)), frames(ml.simulate(**kwargs))
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    c = frames(ml.simulate(**{**kwargs, "seed": 12}))
    assert not a["ops"].equals(c["ops"])


def test_same_seed_same_run_in_another_process():
    code = (
        "import json; from replnb import multi_leader as ml\n"
        "r = ml.simulate(leaders=4, clock_skew=50.0, jitter=5.0, workload='cart', resolver='union', seed=5)\n"
        "print(json.dumps([r.ops.astype(str).values.tolist(), r.messages.astype(str).values.tolist(),"
        " r.final_state.astype(str).values.tolist()]))\n"
    )
    outs = []
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, cwd=REPO
        )
        outs.append(json.loads(proc.stdout))
    assert outs[0] == outs[1]


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"leaders": 1}, "leaders"),
        ({"leaders": ml.MAX_LEADERS + 1}, "leaders"),
        ({"leaders": 2.5}, "leaders"),
        ({"leaders": True}, "leaders"),
        ({"topology": "ring"}, "topology"),
        ({"topology": nx.Graph([("A", "B")])}, "topology"),
        ({"topology": nx.DiGraph([("A", "C")])}, "topology"),
        ({"topology": nx.DiGraph([("A", "B"), ("B", "B")])}, "self-loops"),
        ({"failed": ["Z"]}, "failed"),
        ({"leaders": 3, "failed": ["D"]}, "failed"),
        ({"crashes": [("Q", 1.0, None)]}, "crash node"),
        ({"crashes": [("A", 10.0, 5.0)]}, "recover_at"),
        ({"crashes": [("A", 10.0)]}, "crashes"),
        ({"link_failures": [("A", "A", 0.0, None)]}, "link"),
        ({"link_failures": [("A", "Z", 0.0, None)]}, "link dst"),
        ({"resolver": "newest"}, "resolver"),
        ({"resolver": "custom"}, "resolve"),
        ({"resolver": "lww", "resolve": max}, "resolve"),
        ({"resolve": 3, "resolver": "custom"}, "resolve"),
        ({"resolver": "union"}, "cart"),
        ({"resolver": "max", "workload": "cart"}, "register"),
        ({"workload": "bag"}, "workload"),
        ({"clock_skew": -1.0}, "clock_skew"),
        ({"clock_offsets": {"Z": 1.0}}, "clock_offsets"),
        ({"clock_drift": {"A": 2.0}}, "clock_drift"),
        ({"jitter": 20.0, "latency": 10.0}, "jitter"),
        ({"latency": -1.0}, "latency"),
        ({"latency": math.nan}, "latency"),
        ({"duration": 0.0}, "duration"),
        ({"write_rate": -1.0}, "write_rate"),
        ({"keys": 0}, "keys"),
        ({"remove_fraction": 1.5}, "remove_fraction"),
        ({"relocations": [(1.0, "x", "Z")]}, "relocation node"),
        ({"ops": [dict(time=0, key="x", value=1)]}, "node"),
        ({"ops": [dict(time=-1, node="A", key="x", value=1)]}, "time"),
        ({"ops": [dict(time=0, node="A", key="x", value=[1])]}, "immutable"),
        ({"ops": [dict(time=0, node="A", key="x", op="add", value=1)]}, "op"),
        ({"ops": [dict(time=0, node="A", key="x")]}, "value"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_input_raises_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ml.simulate(**kwargs)


def test_custom_cart_resolver_must_return_a_cart():
    ops = [
        dict(time=0, node="A", key="cart", op="add", value="milk"),
        dict(time=1, node="B", key="cart", op="add", value="eggs"),
    ]
    with pytest.raises(ValueError, match="Cart"):
        ml.simulate(workload="cart", resolver=lambda a, b: a.contents + b.contents, ops=ops)


def test_graph_topology_ignores_leaders_and_uses_its_nodes():
    graph = build("star", 4)
    run = ml.simulate(topology=graph, duration=100.0)
    assert run.nodes == ("A", "B", "C", "D")
    assert run.extras["graph"] is graph


def test_seed_accepts_a_generator():
    a = ml.simulate(seed=np.random.default_rng(3), duration=200.0)
    b = ml.simulate(seed=np.random.default_rng(3), duration=200.0)
    pd.testing.assert_frame_equal(a.ops, b.ops)


def test_partition_heals_and_catches_up():
    ops = write_at_each(4)
    cut = ml.simulate(leaders=4, ops=ops, partitions=[([["A", "B"]], 0.0, None)])
    assert cut.metrics["missing_deliveries"] == 8  # A, B miss C's and D's writes and vice versa
    healed = ml.simulate(leaders=4, ops=ops, partitions=[([["A", "B"]], 0.0, 100.0)])
    assert healed.metrics["missing_deliveries"] == 0
    assert live_states_equal(healed)
    with pytest.raises(ValueError, match="partition node"):
        ml.simulate(leaders=4, ops=ops, partitions=[([["A", "Z"]], 0.0, 100.0)])


def test_scripted_ops_keep_their_client_and_reads_return_contents():
    ops = [
        dict(time=0, node="A", key="cart", op="add", value="milk", client="alice"),
        dict(time=30, node="B", key="cart", op="read", client="bob"),
    ]
    run = ml.simulate(workload="cart", resolver="union", ops=ops)
    assert run.ops["client"].tolist() == ["alice", "bob"]
    assert run.ops["value"].tolist() == ["milk", ("milk",)]


def test_clip_and_focus():
    run = scripted((0.0, "A", "x", 1), (10.0, "B", "x", 2), (100.0, "A", "y", 3), clock_offsets={"B": -40.0})
    assert ml.focus(run) == (10.0, "x")
    part = ml.clip(run, 5.0, 50.0, message_labels=False)
    assert part.ops["op_id"].tolist() == [1]
    assert part.messages["op_id"].tolist() == [1] and part.messages["label"].tolist() == [""]
    assert part.metrics["lost_writes"] == run.metrics["lost_writes"]
    calm = scripted((0.0, "A", "x", 1))
    assert ml.focus(calm) == (0.0, None)


# -- plots, explorer, exercise ----------------------------------------------------------------------------
def test_plots_of_chapter_2():
    import matplotlib.pyplot as plt

    from replnb import plots

    run = scripted((0.0, "A", "x", 1), (10.0, "B", "x", 2), clock_offsets={"B": -40.0})
    ax = plots.plot_divergence(run)
    assert max(ax.get_lines()[0].get_ydata()) == 2
    plt.close(ax.figure)
    table = ml.compare_strategies(
        duration=200.0, columns=("lost_concurrent", "lost_older_write_won", "conflicts", "resurrections")
    )
    ax = plots.plot_strategy_comparison(table, highlight="last-write-wins")
    assert len(ax.patches) == 4 * len(ml.STRATEGIES)
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == [
        "lost: concurrent",
        "lost: older write won",
    ]
    plt.close(ax.figure)
    df = ml.sweep(
        "clock_skew", [0.0, 50.0], strategies={"lww": {}}, seeds=[0, 1], aggregate=False, duration=200.0
    )
    assert len(df) == 4 and "seed" in df
    ax = plots.plot_conflict_sweep(df, "clock_skew")
    assert ax.get_xlabel() == "clock skew (ms)"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="columns"):
        plots.plot_conflict_sweep(df, "leaders")
    with pytest.raises(ValueError, match="columns"):
        plots.plot_strategy_comparison(pd.DataFrame({"lost_writes": [1]}))
    # the lost writes of a sweep, stacked by cause: the parts add up to the total
    two = ml.sweep(
        "clock_skew",
        [0.0, 100.0],
        strategies={"lww": {}, "union": {"resolver": "union", "workload": "cart"}},
        seeds=[0, 1],
        aggregate=False,
        duration=200.0,
    )
    ax = plots.multi_leader.plot_losses_by_cause(two, "clock_skew", strategy="lww")
    heights = [p.get_height() for p in ax.patches]
    lww = two[two["strategy"] == "lww"].groupby("clock_skew")["lost_writes"].mean().tolist()
    assert [heights[0] + heights[2], heights[1] + heights[3]] == pytest.approx(lww)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="strategy must be one of"):
        plots.multi_leader.plot_losses_by_cause(two, "clock_skew")
    with pytest.raises(ValueError, match="columns"):
        plots.multi_leader.plot_losses_by_cause(df.drop(columns="lost_concurrent"), "clock_skew")


def test_conflict_explorer():
    from replnb.widgets import ConflictExplorer

    ex = ConflictExplorer()
    run = ex.update()
    assert run.extras["strategy"] == "last-write-wins"
    assert run.metrics["lost_writes"] > 0  # the default run shows a lost write
    assert list(run.extras["comparison"].index) == list(ml.STRATEGIES)
    summary = ex.summarize(run)
    assert {"lost: concurrent", "lost: older write won"} <= set(summary.columns)
    assert (summary["lost writes"] == summary["lost: concurrent"] + summary["lost: older write won"]).all()
    assert ex.image.value[:4] == b"\x89PNG"
    assert "▶ last-write-wins" in ex.summary.value
    other = ex.update(strategy="cart: union", leaders=4, clock_skew=0, write_rate=60.0)
    assert other.params["workload"] == "cart" and other.params["leaders"] == 4
    moved = ex.update(strategy="avoidance", relocation_rate=20.0, leaders=3)
    assert moved.params["relocation_rate"] == 20.0
    start, end = ex.window(moved)
    assert 0.0 <= start <= end
    with pytest.raises(ValueError, match="unknown parameter"):
        ex.update(topology="star")
    for bad in [{"strategy": "nope"}, {"leaders": 9}, {"clock_skew": 500}, {"write_rate": 0.0}]:
        with pytest.raises(ValueError):
            ConflictExplorer(**bad)


def test_check_cart_resolver():
    from replnb.exercises import check_cart_resolver

    good = check_cart_resolver(union_carts, runs=3)
    assert good and "lost no item" in str(good)
    loses = check_cart_resolver(lambda local, incoming: incoming)
    assert not loses and "lost" in loses.message and loses.hint
    resurrects = check_cart_resolver(lambda local, incoming: ml.Cart(local.items | incoming.items))
    assert not resurrects and "brought back" in resurrects.message and "removed" in resurrects.hint
    assert not check_cart_resolver(lambda local, incoming: local.contents)
    assert not check_cart_resolver(lambda local, incoming: 1 / 0)
    assert not check_cart_resolver("union")

    with pytest.raises(ValueError, match="runs"):
        check_cart_resolver(union_carts, runs=0)


# -- the checked parameters ------------------------------------------------------------------------
def test_setup_defaults_are_simulates_defaults():
    import inspect

    from replnb.multi_leader import setup

    signature = inspect.signature(ml.simulate).parameters
    assert {name: p.default for name, p in signature.items()} == setup.DEFAULTS


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"write_rate": 1e9}, r"^write_rate must be a number in \[0, 1000\]"),
        ({"duration": 1e9}, r"^duration must be a number in \(0, 60000\] ms"),
        ({"write_rate": 500.0}, r"^write_rate \* leaders \* duration must stay within 600"),
        ({"leaders": 10, "duration": 5000.0}, r"write_rate \* leaders \* duration"),
        ({"latency": "10"}, r"^latency must be a number"),
        ({"latency": True}, r"^latency must be a number"),
        ({"clock_skew": "3"}, r"^clock_skew must be a number"),
        ({"causal": 1}, r"^causal must be True or False"),
        ({"ops": [dict(time=t, node="A", key="x", value=t) for t in range(601)]}, "at most 600 writes"),
        ({"crashes": [("A", 1.0, None)] * 1001}, "crashes must hold at most 1000"),
    ],
)
def test_huge_or_mistyped_input_is_refused_at_once(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ml.simulate(**kwargs)


def test_a_long_script_of_reads_is_accepted():
    reads = [dict(time=t, node="A", key="x", op="read") for t in range(700)]
    run = ml.simulate(ops=[dict(time=0, node="B", key="x", value=1), *reads])
    assert len(run.ops) == 701


def test_graph_functions_and_home_leader_check_their_parameters():
    with pytest.raises(ValueError, match=r"^topology must be one of"):
        ml.build("ring", 3)
    with pytest.raises(ValueError, match=r"^n must be an integer in 2\.\.26, got True"):
        ml.layout("star", True)
    with pytest.raises(ValueError, match=r"^sizes must be a list of at least 2"):
        ml.regions([2, True])
    with pytest.raises(ValueError, match=r"^key must be a string"):
        ml.home_leader(3, 2)
    assert ml.expected_messages(topology="all-to-all", n=4) == 3


def test_conflict_explorer_checks_its_controls_like_the_model():
    from replnb.widgets import ConflictExplorer

    with pytest.raises(ValueError, match=r"^clock_skew must be an integer in 0\.\.200 ms, got '50'"):
        ConflictExplorer(clock_skew="50")
    with pytest.raises(TypeError):
        ConflictExplorer(seed=-1)  # the seed is fixed (ConflictExplorer.seed), not a control
