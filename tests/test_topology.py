"""Tests of chapter 3: topologies, what one failure does, and the topology explorer."""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb import topology
from replnb.multi_leader import graph
from replnb.records import Run
from replnb.topology import KINDS, build, damage, hops, layout, reach, stranded

# -- build ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 5, 10, 26])
def test_build_shapes(n: int) -> None:
    ring, star, full = build("circular", n), build("star", n), build("all-to-all", n)
    names = [chr(ord("A") + i) for i in range(n)]
    for g in (ring, star, full):
        assert sorted(g.nodes) == names
        assert nx.is_strongly_connected(g)
        assert not any(u == v for u, v in g.edges)
    assert ring.number_of_edges() == n
    assert all(ring.out_degree(v) == 1 and ring.in_degree(v) == 1 for v in names)
    assert star.number_of_edges() == 2 * (n - 1)
    assert star.out_degree("A") == n - 1
    assert all(star.out_degree(v) == 1 and star.has_edge(v, "A") for v in names[1:])
    assert full.number_of_edges() == n * (n - 1)


def test_build_records_its_kind() -> None:
    for kind in KINDS:
        assert build(kind, 4).graph["kind"] == kind


@pytest.mark.parametrize(
    ("kind", "n", "match"),
    [
        ("mesh", 4, "topology must be one of"),
        ("ring", 4, "topology must be one of"),
        ("circular", 1, r"n must be an integer in 2\.\.26"),
        ("star", 27, r"n must be an integer in 2\.\.26"),
        ("all-to-all", 3.0, r"n must be an integer in 2\.\.26"),
    ],
)
def test_build_rejects_bad_input(kind: str, n: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build(kind, n)


# -- layout --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_layout_is_fixed_distinct_and_cached(kind: str) -> None:
    pos = layout(kind, 7)
    assert sorted(pos) == list("ABCDEFG")
    assert len(set(pos.values())) == 7
    assert all(abs(x) <= 1 and abs(y) <= 1 for x, y in pos.values())
    misses = graph._positions.cache_info().misses
    pos["A"] = (9.0, 9.0)  # the caller's copy, not the cache
    assert layout(kind, 7)["A"] != (9.0, 9.0)
    assert layout(kind, 7) == layout(kind, 7)
    assert graph._positions.cache_info().misses == misses


def test_layout_puts_the_star_hub_in_the_centre() -> None:
    assert layout("star", 6)["A"] == (0.0, 0.0)
    assert layout("circular", 6)["A"] == (0.0, 1.0)


def test_layout_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="topology must be one of"):
        layout("tree", 4)
    with pytest.raises(ValueError, match=r"n must be an integer in 2\.\.26"):
        layout("star", 0)


# -- graph analysis: closed forms ------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 7, 10])
def test_hops_closed_forms(n: int) -> None:
    names = topology.node_names(n)
    ring = hops(build("circular", n), "A")
    assert ring == {v: i for i, v in enumerate(names)}
    star_leaf = hops(build("star", n), "B")
    assert star_leaf["B"] == 0 and star_leaf["A"] == 1
    assert all(star_leaf[v] == 2 for v in names[2:])
    assert set(hops(build("all-to-all", n), "C").values()) == {0, 1}


@pytest.mark.parametrize("n", [3, 4, 6, 10])
def test_one_failure_closed_forms(n: int) -> None:
    names = topology.node_names(n)
    ring, star, full = build("circular", n), build("star", n), build("all-to-all", n)
    for i, f in enumerate(names):
        # ring: the live leaders form a chain after f; only f's predecessor hears everyone
        pred = names[i - 1]
        assert stranded(ring, [f]) == sorted(set(names) - {f, pred})
        assert damage(ring, [f]) == (n - 1) * (n - 2) // 2
        # all-to-all: nobody is cut off
        assert stranded(full, [f]) == [] and damage(full, [f]) == 0
    assert damage(star, ["A"]) == (n - 1) * (n - 2)
    assert stranded(star, ["A"]) == names[1:]
    assert all(damage(star, [leaf]) == 0 for leaf in names[1:])


def test_no_failure_means_no_damage() -> None:
    for kind, n in itertools.product(KINDS, [2, 3, 8]):
        g = build(kind, n)
        assert damage(g) == 0 and stranded(g) == []
        assert all(reach(g, v) == set(g.nodes) for v in g.nodes)


def test_a_failed_origin_reaches_nobody() -> None:
    assert reach(build("all-to-all", 4), "B", failed=["B"]) == set()


def test_analysis_rejects_unknown_nodes() -> None:
    g = build("star", 4)
    with pytest.raises(ValueError, match="failed must name nodes in"):
        reach(g, "A", failed=["Z"])
    with pytest.raises(ValueError, match="origin must be one of"):
        hops(g, "Q")


def _closure(edges: set[tuple[str, str]], origin: str, failed: set[str]) -> set[str]:
    """Brute-force fixpoint: who hears a write accepted at origin."""
    if origin in failed:
        return set()
    seen = {origin}
    changed = True
    while changed:
        changed = False
        for u, v in sorted(edges):
            if u in seen and v not in seen and v not in failed:
                seen.add(v)
                changed = True
    return seen


@st.composite
def graphs_and_failures(draw: st.DrawFn) -> tuple[nx.DiGraph, set[str]]:
    n = draw(st.integers(2, 7))
    names = topology.node_names(n)
    pairs = [(u, v) for u in names for v in names if u != v]
    edges = draw(st.sets(st.sampled_from(pairs), max_size=len(pairs)))
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from(edges)
    failed = draw(st.sets(st.sampled_from(names), max_size=n - 1))
    return g, failed


@settings(max_examples=60, deadline=None)
@given(graphs_and_failures())
def test_reach_matches_brute_force(case: tuple[nx.DiGraph, set[str]]) -> None:
    g, failed = case
    edges = set(g.edges)
    live = sorted(set(g.nodes) - failed)
    total = 0
    for origin in sorted(g.nodes):
        expected = _closure(edges, origin, failed)
        assert reach(g, origin, failed) == expected
        if origin in live:
            total += len(set(live) - expected)
    assert damage(g, failed) == total
    assert set(stranded(g, failed)) == {
        v for v in live if any(v not in _closure(edges, o, failed) for o in live)
    }


# -- the model, seen from the topology chapter -------------------------------------------------

ml = pytest.importorskip("replnb.multi_leader")


def _one_each(kind: str | nx.DiGraph, n: int = 0, **kw: Any) -> Run:
    """A run in which every leader accepts one write."""
    graph = kind if isinstance(kind, nx.DiGraph) else build(kind, n)
    return ml.simulate(topology=graph, ops=topology.one_write_each(sorted(graph.nodes)), **kw)


@pytest.mark.parametrize("n", [3, 5, 8])
def test_ring_propagation_stops_past_the_failed_leader(n: int) -> None:
    names = topology.node_names(n)
    failed = names[2]  # C
    run = ml.simulate(
        topology="circular", leaders=n, failed=[failed], ops=[dict(time=0, node="A", key="x", value=1)]
    )
    delays = topology.delivery_delays(run)
    assert delays["A"] == 0.0 and delays["B"] == 10.0
    assert all(delays[v] == float("inf") for v in names[2:])  # C is down, D... never hear of it
    # with a write at every leader: exactly the replicas the graph predicts are left behind
    run = _one_each("circular", n, failed=[failed])
    assert topology.lagging(run) == stranded(build("circular", n), [failed])
    assert len(topology.lagging(run)) == n - 2  # everyone but C's predecessor B
    assert run.metrics["missing_deliveries"] == damage(build("circular", n), [failed])
    assert run.metrics["convergence_time"] == float("inf")


@pytest.mark.parametrize("n", [3, 6, 10])
def test_a_failed_star_hub_stops_everything_a_failed_leaf_nothing(n: int) -> None:
    hub = _one_each("star", n, failed=["A"])
    assert topology.lagging(hub) == topology.node_names(n)[1:]
    assert hub.metrics["missing_deliveries"] == (n - 1) * (n - 2)
    assert int(hub.metrics["messages_per_write"] * hub.metrics["writes_acked"]) == n - 1  # only to the hub
    leaf = _one_each("star", n, failed=["B"])
    assert topology.lagging(leaf) == []
    assert leaf.metrics["missing_deliveries"] == 0


@pytest.mark.parametrize("n", [3, 6, 10])
def test_all_to_all_keeps_converging_with_any_one_failure(n: int) -> None:
    for f in topology.node_names(n):
        run = ml.simulate(topology="all-to-all", leaders=n, failed=[f], duration=150.0, jitter=5.0, seed=n)
        assert run.metrics["unconverged_replicas"] == 0
        assert run.metrics["missing_deliveries"] == 0
        assert run.metrics["convergence_time"] < float("inf")


def test_a_crashed_ring_leader_catches_up_and_propagation_resumes() -> None:
    ops = [dict(time=t, node=v, key="x", value=f"{v}{t}") for t in (0.0, 30.0) for v in "ABCDE"]
    run = ml.simulate(topology="circular", leaders=5, crashes=[("C", 5.0, 60.0)], ops=ops)
    assert topology.lagging(run) == []
    assert run.metrics["missing_deliveries"] == 0
    assert run.metrics["convergence_time"] < float("inf")
    stuck = ml.simulate(topology="circular", leaders=5, crashes=[("C", 5.0, None)], ops=ops)
    assert topology.lagging(stuck) == ["A", "D", "E"]


def test_a_failed_ring_link_acts_like_a_missing_edge() -> None:
    run = ml.simulate(
        topology="circular",
        leaders=4,
        link_failures=[("B", "C", 0.0, None)],
        ops=topology.one_write_each("ABCD"),
    )
    g = build("circular", 4)
    g.remove_edge("B", "C")
    missing = sum(len(set(g.nodes) - reach(g, v)) for v in g.nodes)
    assert run.metrics["missing_deliveries"] == missing == 6


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [3, 4, 7, 10])
def test_delivery_follows_hop_counts_and_message_closed_forms(kind: str, n: int) -> None:
    g = build(kind, n)
    for origin in ["A", topology.node_names(n)[-1]]:
        run = ml.simulate(
            topology=kind, leaders=n, latency=7.0, ops=[dict(time=0, node=origin, key="x", value=1)]
        )
        expected = {v: 7.0 * h for v, h in hops(g, origin).items()}
        assert topology.delivery_delays(run).to_dict() == expected
        assert run.metrics["messages_per_write"] == topology.expected_messages(kind, n)
        assert run.metrics["convergence_time"] == max(expected.values())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [3, 5, 10])
def test_every_topology_converges_without_failures(kind: str, n: int) -> None:
    run = ml.simulate(topology=kind, leaders=n, duration=200.0, jitter=8.0, seed=n)
    assert run.metrics["writes_acked"] > 0
    assert run.metrics["unconverged_replicas"] == 0
    assert run.metrics["missing_deliveries"] == 0
    assert topology.lagging(run) == []
    assert run.metrics["convergence_time"] < float("inf")
    assert len(run.final_state.drop_duplicates()) == 1


@st.composite
def connected_cases(draw: st.DrawFn) -> tuple[nx.DiGraph, set[str], float, int]:
    g, failed = draw(graphs_and_failures())
    jitter = draw(st.sampled_from([0.0, 4.0, 9.0]))
    return g, failed, jitter, draw(st.integers(0, 1000))


@settings(max_examples=40, deadline=None)
@given(connected_cases())
def test_simulated_damage_matches_the_graph_and_writes_never_loop(
    case: tuple[nx.DiGraph, set[str], float, int],
) -> None:
    g, failed, jitter, seed = case
    run = _one_each(g, failed=sorted(failed), jitter=jitter, seed=seed)
    assert run.metrics["missing_deliveries"] == damage(g, failed)
    assert topology.lagging(run) == stranded(g, failed)
    assert topology.missed_deliveries(g, failed, jitter=jitter, seed=seed) == damage(g, failed)
    # no loops: a write is applied at most once per replica, never sent back to its origin,
    # and crosses each link at most once
    delivery = run.extras["delivery"]
    assert not delivery.duplicated(["op_id", "node"]).any()
    writes = run.messages[run.messages["kind"] == "write"]
    origin = writes["label"].str.slice(2, 3)  # labels are "x=A1", "x=B1", ...
    assert not (writes["dst"] == origin).any()
    assert not writes.duplicated(["label", "src", "dst"]).any()
    assert set(zip(writes["src"], writes["dst"], strict=True)) <= set(g.edges)


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    n=st.integers(3, 7),
    jitter=st.sampled_from([2.0, 6.0, 10.0]),
    seed=st.integers(0, 10_000),
)
def test_causal_delivery_gives_no_out_of_order_deliveries(
    kind: str, n: int, jitter: float, seed: int
) -> None:
    run = ml.simulate(topology=kind, leaders=n, jitter=jitter, causal=True, duration=200.0, seed=seed)
    assert run.metrics["out_of_order"] == 0
    assert not run.extras["delivery"]["out_of_order"].any()
    assert run.metrics["unconverged_replicas"] == 0


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(["circular", "star"]),
    n=st.integers(3, 7),
    jitter=st.floats(0.0, 10.0),
    write_rate=st.sampled_from([20.0, 80.0]),
    seed=st.integers(0, 10_000),
)
def test_fifo_rings_and_stars_never_deliver_one_origins_writes_out_of_order(
    kind: str, n: int, jitter: float, write_rate: float, seed: int
) -> None:
    """Law: on FIFO links a write reaches a ring or star leader by one path, so nothing overtakes."""
    run = ml.simulate(
        topology=kind, leaders=n, jitter=jitter, write_rate=write_rate, duration=200.0, seed=seed
    )
    assert not run.params["reorder"]
    assert topology.origin_reorders(run) == 0
    assert run.metrics["out_of_order"] == 0  # nor a write before any write it depends on


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 8),
    jitter=st.floats(0.0, 10.0),
    reorder=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_all_to_all_sends_n_minus_one_messages_per_write(
    n: int, jitter: float, reorder: bool, seed: int
) -> None:
    """Law: the origin sends each write to the n - 1 other leaders itself, and nobody forwards it."""
    run = ml.simulate(
        topology="all-to-all", leaders=n, jitter=jitter, reorder=reorder, duration=150.0, seed=seed
    )
    writes = run.messages[run.messages["kind"] == "write"]
    per_write = writes.groupby("op_id").size()
    acked = run.ops[(run.ops["kind"] == "write") & run.ops["ok"].astype(bool)]
    assert len(per_write) == len(acked) and (per_write == n - 1).all()
    origin = dict(zip(acked["op_id"], acked["node"], strict=True))
    assert all(origin[o] == src for o, src in zip(writes["op_id"], writes["src"], strict=True))
    assert run.metrics["messages_per_write"] == topology.expected_messages("all-to-all", n) == n - 1
    if not reorder:
        assert topology.origin_reorders(run) == 0  # one direct FIFO link per origin and receiver


def _one_way_delays(run: Run) -> list[float]:
    writes = run.messages[(run.messages["kind"] == "write") & ~run.messages["dropped"].astype(bool)]
    return (writes["delivered"] - writes["sent"]).tolist()


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    n=st.integers(2, 6),
    jitter=st.floats(0.0, 10.0),
    gap=st.floats(0.0, 30.0),
    seed=st.integers(0, 10_000),
)
def test_convergence_time_is_never_below_the_smallest_one_way_delay(
    kind: str, n: int, jitter: float, gap: float, seed: int
) -> None:
    """Law: the last write must still cross at least one link, so convergence takes at least that long.

    Each leader writes its own key, ``gap`` ms apart (so every write survives);
    convergence is by write identity, so it waits for the last write's
    versions to reach every live replica.
    """
    ops = topology.one_write_each(topology.node_names(n), gap=gap)
    run = ml.simulate(topology=kind, leaders=n, jitter=jitter, seed=seed, ops=ops)
    conv, eps = run.metrics["convergence_time"], 1e-9  # times are floats: allow their rounding
    assert conv >= min(_one_way_delays(run)) - eps
    assert min(_one_way_delays(run)) >= 10.0 - jitter - eps


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    n=st.integers(2, 6),
    jitter=st.floats(0.0, 10.0),
    seed=st.integers(0, 10_000),
)
def test_convergence_of_a_random_workload_waits_for_a_surviving_last_write(
    kind: str, n: int, jitter: float, seed: int
) -> None:
    """Law: when the last acknowledged write survives, convergence is at least one one-way delay."""
    run = ml.simulate(topology=kind, leaders=n, jitter=jitter, duration=150.0, seed=seed)
    writes = run.ops[(run.ops["kind"] == "write") & run.ops["ok"].astype(bool)]
    if writes.empty:
        return
    last = writes.sort_values("end", kind="stable").iloc[-1]
    held = run.versions.groupby(["node", "key"])["held"].last()
    if int(last["op_id"]) in held[(last["node"], last["key"])]:
        assert run.metrics["convergence_time"] >= min(_one_way_delays(run)) - 1e-9


def test_on_fifo_links_only_all_to_all_overtakes() -> None:
    df = topology.overtaking_sweep([5.0, 10.0], links=["FIFO", "reordering"], seeds=[0, 1], duration=300.0)
    got = df.set_index(["topology", "jitter", "links"])
    for kind in ("circular", "star"):
        fifo = got.xs((kind, "FIFO"), level=("topology", "links"))
        assert (fifo[["out_of_order", "origin_reorders", "runs_overtaken"]] == 0).all().all()
        assert got.loc[(kind, 10.0, "reordering"), "origin_reorders"] > 0  # reorder=True: one link swaps
    full = got.xs("all-to-all", level="topology")
    assert full.loc[(10.0, "FIFO"), "out_of_order"] > 0  # by different paths ...
    assert (full.xs("FIFO", level="links")["origin_reorders"] == 0).all()  # ... never on one link


def test_the_causality_scenario_shows_the_anomaly_and_its_fix() -> None:
    plain, causal = topology.causality_scenario(), topology.causality_scenario(causal=True)
    assert plain.metrics["out_of_order"] == 1 and causal.metrics["out_of_order"] == 0
    assert not plain.params["reorder"]  # FIFO links: the update overtakes by another path
    assert plain.ops.loc[1, "vv"] == {"A": 1, "B": 1}  # the update depends on the insert
    sent = plain.messages.set_index(["src", "dst"])
    one_way = sent["delivered"] - sent["sent"]
    assert one_way[("A", "C")] > one_way[("A", "B")] + one_way[("B", "C")]  # direct slower than two hops
    assert topology.origin_reorders(plain) == 0
    # convergence by identity: C and A hold the update only once it crossed B -> A
    assert plain.metrics["convergence_time"] == pytest.approx(float(sent.loc[("B", "A"), "delivered"]) - 5.0)
    d = plain.extras["delivery"].set_index(["op_id", "node"])["time"]
    assert d[(1, "C")] < d[(0, "C")]  # the update (op 1) reached C before the insert (op 0)
    c = causal.extras["delivery"].set_index(["op_id", "node"])
    assert c.loc[(1, "C"), "time"] >= c.loc[(0, "C"), "time"]
    assert c.loc[(1, "C"), "wait"] > 0 and causal.metrics["causal_delay_ms"] > 0
    assert plain.metrics["causal_delay_ms"] == 0


def test_out_of_order_deliveries_grow_with_jitter_and_vanish_with_causal_delivery() -> None:
    df = topology.causality_sweep([0.0, 10.0], seeds=[0, 1], duration=300.0)
    got = df.set_index(["jitter", "delivery"])
    assert got.loc[(0.0, "as received"), "out_of_order"] == 0
    assert got.loc[(10.0, "as received"), "out_of_order"] > 0
    assert (df[df["delivery"] == "causal"]["out_of_order"] == 0).all()
    assert got.loc[(10.0, "causal"), "causal_delay_ms"] > 0


# -- bad input -----------------------------------------------------------------


def test_bad_input_is_rejected_with_value_errors() -> None:
    with pytest.raises(ValueError, match="topology must be one of"):
        ml.simulate(topology="ring", leaders=4)
    with pytest.raises(ValueError, match="failed"):
        ml.simulate(topology="circular", leaders=4, failed=["E"])
    with pytest.raises(ValueError, match="leaders"):
        ml.simulate(topology="star", leaders=11)
    with pytest.raises(ValueError, match="failed must name nodes in"):
        stranded(build("circular", 4), ["E"])
    with pytest.raises(ValueError, match="leaders must be given"):
        topology.missed_deliveries("star", ["A"])
    with pytest.raises(ValueError, match="sizes must"):
        topology.regions([3])
    with pytest.raises(ValueError, match="op_id must be"):
        topology.delivery_delays(_one_each("star", 3), op_id=99)


# -- sweeps --------------------------------------------------------------------


def test_sweep_matches_closed_forms_without_jitter() -> None:
    # all-to-all sends each write straight to the n - 1 others (it used to forward: (n - 1)**2 = 25)
    df = topology.sweep([3, 6], seeds=[0], duration=150.0)
    assert (df["messages_per_write"] == df["expected_messages"]).all()
    assert (df["expected_messages"] == df["n"] - 1).all()
    assert df.set_index(["topology", "n"]).loc[("all-to-all", 6), "messages_per_write"] == 5
    assert (df["convergence_time"] < float("inf")).all()
    # convergence is by write identity: at least one link delay (10 ms) after the last write
    assert (df["convergence_time"] >= 10.0).all()
    # the standard figures: no lost write without a conflict to lose it in
    assert {"conflicts", "lost_writes"} <= set(df.columns)
    assert ((df["lost_writes"] == 0) | (df["conflicts"] > 0)).all()


def test_failure_sweep_agrees_with_the_graph() -> None:
    df = topology.failure_sweep([3, 5], seeds=[0], duration=400.0)
    assert (df["missing_writes"] == df["predicted"]).all()
    assert (df["unconverged"] <= df["missing_writes"]).all()
    got = df.set_index(["topology", "n"])["missing_writes"]
    assert got[("all-to-all", 5)] == 0.0
    assert got[("star", 5)] == pytest.approx(1 / 5)  # only the hub's failure (1 in 5) strands all 4
    assert got[("circular", 5)] == pytest.approx(3 / 4)


def test_experiments_are_deterministic_across_processes() -> None:
    import json
    import os
    import subprocess
    import sys

    code = (
        "from replnb import topology as t;"
        "print(t.failure_sweep([4], seeds=[3], duration=150.0, jitter=5.0).to_json());"
        "print(t.sweep([4], seeds=[3], duration=150.0, jitter=5.0).to_json())"
    )
    outs = []
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        res = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    here = topology.failure_sweep([4], seeds=[3], duration=150.0, jitter=5.0)
    assert json.loads(outs[0].splitlines()[0]) == json.loads(here.to_json())


# -- plots, explorer, exercise -------------------------------------------------


def test_plot_topology_greys_the_failed_leader_and_colours_links_by_messages() -> None:
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from replnb.plots import COLORS, plot_delivery, plot_topology

    run = _one_each("circular", 5, failed=["C"])
    ax = plot_topology(run)
    faces = [to_hex(c) for c in ax.collections[0].get_facecolors()]
    have = topology.received_fraction(run)
    for v, face in zip("ABCDE", faces, strict=True):
        if v == "C":
            assert face == COLORS["down"].lower()
        else:
            assert face == (COLORS["ok"] if have[v] == 1.0 else COLORS["stale"]).lower()
    assert len(ax.figure.axes) == 2  # the drawing and its colorbar
    assert ax.figure.axes[1].get_xlabel() == "messages on the link"
    # every symbol drawn is in the key: the node colours and the dotted link that carried nothing
    keyed = [t.get_text() for t in ax.get_legend().get_texts()]
    assert keyed == ["up to date", "missing writes", "failed", "no message"]
    ax2 = plot_delivery(run)
    assert sorted(t.get_text() for t in ax2.texts) == ["failed", "never", "never", "origin"]
    plt.close("all")


def test_explorer_failed_options_follow_the_leader_count() -> None:
    from replnb.widgets import TopologyExplorer

    ex = TopologyExplorer(leaders=4)
    assert list(ex.controls["failed"].options) == ["none", "A", "B", "C", "D"]
    run = ex.update(failed="D")
    assert run.extras["failed"] == ["D"]
    run = ex.update(leaders=3)  # D no longer exists: back to no failure
    assert ex.controls["failed"].value == "none" and run.extras["failed"] == []
    assert list(ex.controls["failed"].options) == ["none", "A", "B", "C"]
    run = ex.update(leaders=10, failed="J")
    assert run.extras["failed"] == ["J"] and len(run.nodes) == 10
    ex.controls["leaders"].value = 6  # as a learner would move the slider
    assert list(ex.controls["failed"].options)[-1] == "F"
    assert ex.controls["failed"].value == "none" and len(ex.run.nodes) == 6  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="failed must be"):
        ex.update(failed="J")
    with pytest.raises(ValueError, match=r"leaders must be an integer in 3\.\.10"):
        TopologyExplorer(leaders=2)
    with pytest.raises(ValueError, match="topology must be one of"):
        TopologyExplorer(topology="mesh")


def test_explorer_update_returns_a_run_and_a_change_changes_the_image() -> None:
    from replnb.widgets import TopologyExplorer

    ex = TopologyExplorer()
    run = ex.update()
    assert isinstance(run, Run) and ex.run is run
    before = ex.image.value
    assert before[:8] == b"\x89PNG\r\n\x1a\n"
    run2 = ex.update(topology="star", failed="A")
    assert run2.params["topology"] == "star" and ex.image.value != before
    assert run2.metrics["unconverged_replicas"] > 0
    assert "out-of-order deliveries" in ex.summary.value
    table = ex.summarize(run2)
    assert table.loc["causal delivery", "out-of-order deliveries"] == 0
    ex.update(jitter=10.0, latency=4.0)  # the jitter bound follows the latency
    assert ex.controls["jitter"].max == 4.0 and ex.controls["jitter"].value <= 4.0


def test_explorer_anomalies_show_up_with_jitter_in_all_to_all() -> None:
    from replnb.widgets import TopologyExplorer

    ex = TopologyExplorer(topology="all-to-all", leaders=6, failed=None, latency=10.0, jitter=10.0)
    ex.update()
    table = ex.summarize(ex.run)  # type: ignore[arg-type]
    assert table.loc["as received", "out-of-order deliveries"] > 0
    assert table.loc["causal delivery", "out-of-order deliveries"] == 0
    assert table.loc["causal delivery", "mean causal wait (ms)"] > 0


def test_check_worst_failure_accepts_right_and_rejects_wrong_answers() -> None:
    from replnb.exercises import check_worst_failure

    assert check_worst_failure("star", "A", leaders=6)
    assert not check_worst_failure("star", "D", leaders=6)
    two = topology.regions([3, 5])  # gateways C (small region) and D (large region)
    assert check_worst_failure(two, "D")
    wrong = check_worst_failure(two, "C")
    assert not wrong and "Hint" in str(wrong) and "D" not in wrong.message
    assert not check_worst_failure(two, "A")
    assert all(check_worst_failure("circular", v, leaders=5) for v in "ABCDE")  # all tie
    assert all(check_worst_failure("all-to-all", v, leaders=4) for v in "ABCD")  # no damage at all
    assert not check_worst_failure(two, None)
    assert not check_worst_failure(two, "Z")
    with pytest.raises(ValueError, match="leaders must be given"):
        check_worst_failure("star", "A")


def test_sweeps_check_their_lists_and_refuse_more_work_than_a_few_seconds() -> None:
    with pytest.raises(ValueError, match=r"^the work of the sweep's runs must be at most 750,000 units"):
        topology.failure_sweep(seeds=range(10))
    assert topology.run_work(build("star", 3), {"duration": 500.0}) == 30 * (10 + 3 + 4) + topology.RUN_WORK
    with pytest.raises(ValueError, match=r"^ns must be a non-empty list of at most 1000 distinct values"):
        topology.sweep([])
    with pytest.raises(ValueError, match=r"^ns must be .*, got \[3, 3\]$"):
        topology.sweep([3, 3])
    with pytest.raises(ValueError, match=r"^kinds must be a list of distinct names among"):
        topology.failure_sweep([3], kinds=["ring"])
    with pytest.raises(ValueError, match=r"^jitters must be"):
        topology.causality_sweep([-1.0])
    with pytest.raises(TypeError, match=r"sets \['seed'\] itself"):
        topology.sweep([3], seed=1)


def test_explorer_summarizes_an_earlier_run_with_its_own_causal_twin() -> None:
    from replnb.widgets import TopologyExplorer

    ex = TopologyExplorer(topology="all-to-all", leaders=4, jitter=10.0)
    first = ex.update()
    table = ex.summarize(first)
    ex.update(topology="star", failed="B")
    assert ex.summarize(first).equals(table)
    assert "causal_counts" not in first.extras


def test_explorer_opens_on_a_ring_cut_by_one_failed_leader_and_keys_every_symbol() -> None:
    from replnb.widgets import TopologyExplorer

    ex = TopologyExplorer()
    run = ex.update()
    assert run.params["topology"] == "circular" and run.extras["failed"] == ["C"]
    delays = topology.delivery_delays(run)
    assert delays["C"] == delays["D"] == float("inf")  # the first write stops at C: D never gets it
    assert topology.lagging(run) and run.metrics["missing_deliveries"] > 0
    caption = ex.caption_html(run)
    for meaning in ("has it", "missing it", "failed", "carried no message", "delay until it was applied",
                    "never applied", "coloured by the messages"):  # fmt: skip
        assert meaning in caption
    assert ex.summarize(run).loc["as received", "lost writes"] == run.metrics["lost_writes"]


def test_kept_arrows_draw_the_pixels_of_plain_ones() -> None:
    """The graph's arrows remember their laid-out paths; drawn again, and drawn plain, they match."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    from replnb import multi_leader
    from replnb.plots import topology as topology_plots
    from replnb.widgets import figure_png

    run = multi_leader.simulate(topology="all-to-all", leaders=6, duration=200, seed=2)
    ax = topology_plots.plot_topology(run)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert arrows and all(type(p) is topology_plots._KeptArrow for p in arrows)
    figure_png(ax.figure)
    ax.figure.set_layout_engine("none")  # laid out once: the next draws put everything in the same place
    kept, again = figure_png(ax.figure), figure_png(ax.figure)
    for p in arrows:
        p.__class__ = FancyArrowPatch
    assert kept == again == figure_png(ax.figure)
    plt.close(ax.figure)
