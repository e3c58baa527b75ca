"""Tests for replnb.leaderless, its plots and the QuorumExplorer (the exercise: test_leaderless_exercise)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import zlib
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from replnb import leaderless, metrics, pbs, plots
from replnb.check import check
from replnb.engine.latency import constant
from replnb.engine.rng import stable_hash
from replnb.leaderless import (
    closed_form_check,
    home_replicas,
    lagging_replicas,
    level_name,
    level_size,
    preference_list,
    quorum_grid,
    read_ages,
    simulate,
)
from replnb.widgets import QuorumExplorer

REPO = Path(__file__).resolve().parent.parent
SMALL = {"duration": 300.0, "settle": 1000.0, "timeout": 1000.0}


@st.composite
def strict_quorums(draw: st.DrawFn) -> tuple[int, int, int]:
    n = draw(st.integers(1, 6))
    r = draw(st.integers(1, n))
    w = draw(st.integers(n + 1 - r, n))
    return n, r, w


@st.composite
def partial_quorums(draw: st.DrawFn) -> tuple[int, int, int]:
    n = draw(st.integers(2, 6))
    r = draw(st.integers(1, n - 1))
    w = draw(st.integers(1, n - r))
    return n, r, w


# -- placement and levels -------------------------------------------------------


def test_levels_are_cassandras() -> None:
    assert [level_size(level, 3) for level in leaderless.CONSISTENCY_LEVELS] == [1, 2, 3]
    assert [level_size(level, 4) for level in leaderless.CONSISTENCY_LEVELS] == [1, 3, 4]
    assert [level_size(level, 9) for level in leaderless.CONSISTENCY_LEVELS] == [1, 5, 9]
    assert level_name(3, 5) == "QUORUM"
    assert level_name(2, 5) == "custom"
    assert level_name(2, 2) == "QUORUM"
    assert level_name(2, 2, prefer="ALL") == "ALL"
    with pytest.raises(ValueError, match="level must be one of"):
        level_size("TWO", 3)


@given(st.integers(1, 26), st.text(min_size=1, max_size=8))
@settings(max_examples=40, deadline=None)
def test_preference_list_is_a_rotation_of_the_ring(m: int, key: str) -> None:
    pref = preference_list(key, m)
    names = [chr(ord("A") + i) for i in range(m)]
    assert sorted(pref) == names
    start = names.index(pref[0])
    assert pref == names[start:] + names[:start]
    assert home_replicas(key, min(3, m), m) == pref[: min(3, m)]


def test_placement_uses_a_stable_hash() -> None:
    # crc32, not the salted built-in hash(): these are the same in every process.
    assert zlib.crc32(b"k0") == stable_hash("k0")
    assert preference_list("k0", 5) == ["E", "A", "B", "C", "D"]


# -- the laws -------------------------------------------------------------------


@given(
    strict_quorums(),
    st.integers(0, 10_000),
    st.sampled_from(["LNKD-SSD", "LNKD-DISK", "YMMR", 2.0]),
    st.booleans(),
    st.sampled_from([None, 25.0]),
    st.booleans(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_strict_quorums_without_failures_never_read_behind(
    nrw: tuple[int, int, int],
    seed: int,
    latency: str | float,
    read_repair: bool,
    anti_entropy: float | None,
    propagate: bool,
) -> None:
    # Quorum intersection, in the store's own (timestamp) order: a read returns
    # the newest acknowledged version or a newer one. This is PBS's freshness;
    # it says nothing about concurrent writes (see the causal laws below).
    n, r, w = nrw
    run = simulate(
        n=n,
        r=r,
        w=w,
        keys=2,
        latency=latency,
        read_repair=read_repair,
        anti_entropy_interval=anti_entropy,
        propagate=propagate,
        seed=seed,
        **SMALL,
    )
    m = run.metrics
    assert m["reads"] > 0 and m["writes"] > 0
    assert not read_ages(run)["behind"].any()
    assert m["reads_behind"] == 0
    if m["conflicts"] == 0:
        assert m["stale_reads"] == 0
    if latency != "YMMR":  # YMMR's exponential tail (mean 357 ms) can time a write out
        assert m["write_availability"] == 1.0
        assert m["read_availability"] == 1.0


@st.composite
def one_coordinator_per_key(draw: st.DrawFn) -> dict:
    """A strict-quorum scripted run in which one coordinator accepts every write of a key."""
    n, r, w = draw(strict_quorums())
    nodes = draw(st.integers(n, n + 2))
    names = [chr(ord("A") + i) for i in range(nodes)]
    keys = draw(st.lists(st.sampled_from(["x", "y"]), min_size=1, max_size=2, unique=True))
    writer = {k: draw(st.sampled_from(names)) for k in keys}
    ops = draw(
        st.lists(
            st.tuples(
                st.floats(0.0, 200.0),
                st.sampled_from(["write", "read"]),
                st.sampled_from(keys),
                st.sampled_from(names),
                st.sampled_from(["c0", "c1", "c2"]),
            ),
            min_size=1,
            max_size=40,
        )
    )
    script = [(t, kind, k, writer[k] if kind == "write" else node, c) for t, kind, k, node, c in ops]
    return {
        "n": n,
        "r": r,
        "w": w,
        "nodes": nodes,
        "script": script,
        "latency": draw(st.sampled_from(["LNKD-SSD", "LNKD-DISK", 2.0])),
        "read_repair": draw(st.booleans()),
        "anti_entropy_interval": draw(st.sampled_from([None, 25.0])),
        "propagate": draw(st.booleans()),
        "duration": 200.0,
        "seed": draw(st.integers(0, 10_000)),
    }


@given(one_coordinator_per_key())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_strict_quorums_never_read_stale_without_failures_or_concurrent_writes(kwargs: dict) -> None:
    # The precondition, precisely: R + W > N, no node fails (so no sloppy
    # stand-in either), and the writes of each key are causally ordered; here
    # because one coordinator accepts them all, so that its counter orders them.
    # Then no completed read misses an acknowledged write.
    run = simulate(**kwargs)
    m = run.metrics
    assert m["conflicts"] == 0  # the precondition holds
    assert m["stale_reads"] == 0
    assert m["ryw_violations"] == 0
    assert m["lost_writes"] == 0


@given(
    st.integers(2, 5),
    st.data(),
    st.floats(0.5, 5.0),
    st.floats(0.01, 0.99),
    st.booleans(),
    st.sampled_from([None, 20.0]),
    st.integers(0, 1000),
)
@settings(max_examples=40, deadline=None)
def test_two_concurrent_writes_lose_exactly_one_under_last_write_wins(
    n: int, data: st.DataObject, delay: float, gap: float, read_repair: bool, ae: float | None, seed: int
) -> None:
    # One home coordinator per key orders every write it accepts, so two
    # writes are concurrent only when the coordinator changes. c1's write is
    # accepted (and, with W = 1, acknowledged) by x's first home replica,
    # which crashes before its copies arrive; `gap * delay` ms after the first
    # write, c2's write is accepted by the next home replica, which has not
    # applied it. Whatever R, with perfect clocks, the store keeps the later
    # stamp, and c1's acknowledged write is lost, cause "concurrent".
    home = home_replicas("x", n, n)
    r = data.draw(st.integers(1, n - 1))  # one of the n replicas stays down
    reader = data.draw(st.sampled_from(home[1:]))
    script = [
        (0.0, "write", "x", home[0], "c1"),
        (gap * delay, "write", "x", home[1], "c2"),
        (50.0, "read", "x", reader, "c1"),
    ]
    run = simulate(
        n=n,
        r=r,
        w=1,
        nodes=n,
        script=script,
        latency=constant(delay),
        failures=[(home[0], gap * delay / 2, None)],
        read_repair=read_repair,
        anti_entropy_interval=ae,
        duration=60.0,
        seed=seed,
    )
    ops = run.ops
    writes = ops[ops["kind"] == "write"]
    assert writes["ok"].all()
    assert writes["node"].tolist() == home[:2]
    assert writes["end"].tolist() == [0.0, gap * delay]  # each acknowledged by its coordinator's own copy
    assert writes["lost"].tolist() == [True, False]  # the later timestamp wins
    assert writes["lost_cause"].tolist() == ["concurrent", None]
    m = run.metrics
    assert (m["lost_writes"], m["lost_concurrent"], m["conflicts"]) == (1, 1, 1)
    assert run.extras["final"] == {"x": (1,)}
    read = ops[ops["kind"] == "read"].iloc[0]
    assert read["returned"] == (1,)
    assert not read["stale"]  # the lost write is not what makes it stale ...
    assert read["ryw_violation"]  # ... but c1 does not see its own write


def test_a_strict_quorum_loses_a_write_when_its_coordinator_fails_over() -> None:
    # R = W = 2 of N = 3, every message 2 ms. The second home replica is down
    # while c1 writes: the first home replica and the third acknowledge. The
    # first crashes; the second comes back, with nothing to catch it up, and
    # coordinates c2's write without having c1's: concurrent, and c1's write
    # is lost although R + W > N.
    a, b, c = home_replicas("x", 3, 3)
    script = [(0.0, "write", "x", a, "c1"), (8.0, "write", "x", b, "c2"), (20.0, "read", "x", c, "c1")]
    failures = [(b, 0.0, 6.0), (a, 5.0, None)]
    run = simulate(n=3, r=2, w=2, nodes=3, script=script, failures=failures, latency=constant(2.0),
                   read_repair=False, duration=30.0)  # fmt: skip
    writes = run.ops[run.ops["kind"] == "write"]
    assert writes["ok"].all() and writes["node"].tolist() == [a, b]
    assert writes["lost_cause"].tolist() == ["concurrent", None]
    assert (run.metrics["lost_writes"], run.metrics["conflicts"], run.metrics["stale_reads"]) == (1, 1, 0)
    assert run.metrics["ryw_violations"] == 1


@given(
    st.integers(1, 5),
    st.data(),
    st.floats(0.5, 5.0),
    st.floats(1.01, 10.0),
    st.booleans(),
    st.integers(0, 1000),
)
@settings(max_examples=40, deadline=None)
def test_a_write_seen_by_the_later_writes_coordinator_is_never_lost(
    n: int, data: st.DataObject, delay: float, later: float, read_repair: bool, seed: int
) -> None:
    # W reaches every home replica after `delay` ms; V is accepted later by a
    # home replica that has applied W, so W happens before V: overwritten, not lost.
    nodes = data.draw(st.integers(n, n + 2))
    r = data.draw(st.integers(1, n))
    w = data.draw(st.integers(1, n))
    first = data.draw(st.sampled_from("ABCDEFG"[:nodes]))
    second = data.draw(st.sampled_from(home_replicas("x", n, nodes)))
    script = [(0.0, "write", "x", first, "c1"), (later * delay, "write", "x", second, "c2")]
    run = simulate(
        n=n,
        r=r,
        w=w,
        nodes=nodes,
        script=script,
        latency=constant(delay),
        read_repair=read_repair,
        duration=60.0,
        seed=seed,
    )
    writes = run.ops[run.ops["kind"] == "write"]
    dot_w, vv_v = writes["dot"].iloc[0], writes["vv"].iloc[1]
    assert metrics.happens_before(dot_w, writes["dot"].iloc[1], vv_v)
    assert not writes["lost"].any()
    assert run.metrics["conflicts"] == 0 and run.metrics["lost_writes"] == 0


@given(st.integers(2, 5), st.data(), st.floats(0.5, 5.0), st.floats(1.01, 10.0), st.floats(1.0, 50.0))
@settings(max_examples=40, deadline=None)
def test_with_skewed_clocks_a_write_that_saw_the_winner_loses_as_older_write_won(
    n: int, data: st.DataObject, delay: float, later: float, skew: float
) -> None:
    # W is accepted by x's first home replica, which crashes after W's copies
    # have arrived; V is accepted later by the next home replica, which has
    # applied W, so W happens before V. If V's clock is far enough behind
    # W's, V carries the lower timestamp: last-write-wins keeps W, and V is
    # lost, cause "older_write_won".
    nodes = data.draw(st.integers(n, n + 2))
    home = home_replicas("x", n, nodes)
    script = [(0.0, "write", "x", home[0], "c1"), (later * delay, "write", "x", home[1], "c2")]
    run = simulate(
        n=n, r=1, w=1, nodes=nodes, script=script, latency=constant(delay), clock_skew=skew,
        failures=[(home[0], (1 + later) / 2 * delay, None)], duration=60.0,
        seed=data.draw(st.integers(0, 1000)),
    )  # fmt: skip
    offsets = run.extras["clock_offsets"]
    assert all(abs(o) <= skew for o in offsets.values())
    writes = run.ops[run.ops["kind"] == "write"]
    assert metrics.happens_before(writes["dot"].iloc[0], writes["dot"].iloc[1], writes["vv"].iloc[1])
    older = later * delay + offsets[home[1]] < offsets[home[0]]  # V's stamp below W's
    assert writes["lost"].tolist() == [False, older]
    assert writes["lost_cause"].tolist() == [None, "older_write_won" if older else None]
    assert run.metrics["lost_older_write_won"] == int(older) and run.metrics["conflicts"] == 0


@given(
    st.integers(1, 5),
    st.data(),
    st.sampled_from(["LNKD-SSD", "LNKD-DISK", 2.0]),
    st.floats(0.0, 200.0),
    st.integers(0, 10_000),
)
@settings(max_examples=40, deadline=None)
def test_a_w1_write_is_acknowledged_by_its_coordinators_own_copy(
    n: int, data: st.DataObject, latency: str | float, at: float, seed: int
) -> None:
    # The coordinator of a write is the key's first live home replica. It
    # stores its own copy without a message, so a W = 1 write is acknowledged
    # when the request reaches it: at once if the client's node is the
    # coordinator, else after the one forwarding hop.
    nodes = data.draw(st.integers(n, n + 2))
    contact = data.draw(st.sampled_from("ABCDEFG"[:nodes]))
    run = simulate(n=n, r=1, w=1, nodes=nodes, script=[(at, "write", "x", contact)], latency=latency,
                   duration=250.0, seed=seed)  # fmt: skip
    coord = home_replicas("x", n, nodes)[0]
    write = run.ops.iloc[0]
    assert write["ok"] and write["node"] == coord and write["dot"] == (coord, 1)
    msgs = run.messages
    assert not ((msgs["src"] == msgs["dst"]).any())  # no message to itself
    forward = msgs[msgs["kind"] == "forward"]
    if contact == coord:
        assert forward.empty and write["end"] == at
    else:
        assert forward[["src", "dst"]].values.tolist() == [[contact, coord]]
        assert write["end"] == forward["delivered"].iloc[0]
    sent = msgs[msgs["kind"] == "write"]
    assert sorted(sent["dst"]) == sorted(h for h in home_replicas("x", n, nodes) if h != coord)
    assert (sent["src"] == coord).all() and (sent["sent"] == write["end"]).all()


@given(
    st.integers(1, 5),
    st.data(),
    st.sampled_from(["LNKD-SSD", "LNKD-DISK", 2.0]),
    st.booleans(),
    st.sampled_from([None, 25.0]),
    st.floats(0.0, 50.0),
    st.integers(0, 10_000),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_without_failures_the_writes_of_a_key_form_a_chain(
    n: int,
    data: st.DataObject,
    latency: str | float,
    read_repair: bool,
    ae: float | None,
    skew: float,
    seed: int,
) -> None:
    # The precondition, precisely: no node fails during the run, so every
    # write of a key is accepted by the same node, its first home replica,
    # which has applied each write it accepted before (it stores its copy
    # first): each write happens before the next one. Then, whatever R, W,
    # the clock skew and the timing (the writes need not be spaced out), no
    # write is lost and there is no conflict; with R + W > N no read is stale.
    r = data.draw(st.integers(1, n))
    w = data.draw(st.integers(1, n))
    run = simulate(n=n, r=r, w=w, keys=2, write_rate=400, latency=latency, read_repair=read_repair,
                   anti_entropy_interval=ae, clock_skew=skew, seed=seed, **SMALL)  # fmt: skip
    ops = run.ops
    writes = ops[(ops["kind"] == "write") & ops["dot"].notna()]
    for key, chain in writes.groupby("key"):
        assert set(chain["node"]) == {run.extras["home"][key][0]}
        chain = chain.sort_values("dot")  # in the order the coordinator accepted them
        dots, vvs = chain["dot"].tolist(), chain["vv"].tolist()
        assert [d[1] for d in dots] == list(range(1, len(dots) + 1))
        assert all(
            metrics.happens_before(a, b, vv) for a, b, vv in zip(dots, dots[1:], vvs[1:], strict=False)
        )
    m = run.metrics
    assert m["lost_writes"] == 0 and m["conflicts"] == 0
    if r + w > n:
        assert m["stale_reads"] == 0 and m["ryw_violations"] == 0 and m["reads_behind"] == 0


def test_partial_quorums_read_stale_with_home_coordinators() -> None:
    # R = W = 1 of N = 3: a read that reaches another replica than the
    # coordinator, or a node outside the key's home, can answer before the write arrives.
    for seed in range(3):
        m = simulate(n=3, r=1, w=1, seed=seed).metrics
        assert m["stale_reads"] > 0 and m["lost_writes"] == 0


def test_perfect_clocks_leave_the_run_as_it_was() -> None:
    a, b = simulate(seed=3, **SMALL), simulate(seed=3, clock_skew=0.0, **SMALL)
    pd.testing.assert_frame_equal(a.messages, b.messages)
    assert set(a.extras["clock_offsets"].values()) == {0.0}
    skewed = simulate(seed=3, clock_skew=30.0, **SMALL)  # the same workload, other timestamps
    workload = ["op_id", "client", "kind", "node", "key", "start"]
    pd.testing.assert_frame_equal(a.ops[workload], skewed.ops[workload])


@given(partial_quorums() | strict_quorums(), st.integers(0, 10_000), st.booleans(), st.booleans())
@settings(max_examples=25, deadline=None)
def test_stale_reads_never_count_lost_writes(
    nrw: tuple[int, int, int], seed: int, read_repair: bool, propagate: bool
) -> None:
    # A read is stale when it misses a write acknowledged before it began that
    # is not lost. Recomputed here from the causal record: a read that misses
    # only lost writes is not stale. With perfect clocks no write loses to an
    # older one once the store has converged. (When it never converges, every
    # version a live replica holds survives, an old one left on a replica that
    # a write never reached too, and the shared precedence then names
    # "older_write_won" for a write that a concurrent one overwrote.)
    n, r, w = nrw
    run = simulate(
        n=n,
        r=r,
        w=w,
        keys=2,
        write_rate=300,
        read_repair=read_repair,
        propagate=propagate,
        seed=seed,
        **SMALL,
    )
    ops = run.ops
    writes = ops[(ops["kind"] == "write") & ops["ok"]]
    for read in ops[(ops["kind"] == "read") & ops["ok"]].itertuples():
        before = writes[(writes["key"] == read.key) & (writes["end"] < read.start)]
        context: dict[str, int] = {}
        for op_id in read.returned:
            for node, count in ops.set_index("op_id").loc[op_id, "vv"].items():
                context[node] = max(context.get(node, 0), count)
        missed = [
            not wr.lost
            for wr in before.itertuples()
            if wr.op_id not in read.returned and context.get(wr.dot[0], 0) < wr.dot[1]
        ]
        assert read.stale == any(missed)
    m = run.metrics
    assert m["lost_failover"] == 0
    assert m["lost_writes"] == m["lost_concurrent"] + m["lost_older_write_won"] == int(ops["lost"].sum())
    if m["convergence_time"] < math.inf:
        assert m["lost_older_write_won"] == 0


@given(st.integers(1, 5), st.data(), st.floats(0.5, 5.0), st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_convergence_is_by_identity_and_never_faster_than_the_network(
    n: int, data: st.DataObject, mean: float, seed: int
) -> None:
    # One write, exponential delays, no repair: the replicas agree when the
    # last home replica applies it, never before the fastest copy has crossed
    # the network; the convergence time is counted from the acknowledgement.
    w = data.draw(st.integers(1, n))
    nodes = data.draw(st.integers(n, n + 2))
    coord = data.draw(st.sampled_from("ABCDEFG"[:nodes]))
    run = simulate(
        n=n,
        r=1,
        w=w,
        nodes=nodes,
        script=[(1.0, "write", "x", coord)],
        latency=mean,
        read_repair=False,
        duration=2.0,
        settle=1000.0,
        seed=seed,
    )
    write = run.ops.iloc[0]
    applied = run.versions[run.versions["event"] == "write"]
    assert sorted(applied["node"]) == sorted(run.extras["home"]["x"])
    assert (applied["held"] == (0,)).all()
    # the coordinator stores its copy when it accepts the write, the others one message later
    accepted = float(applied.loc[applied["node"] == write["node"], "time"].iloc[0])
    assert accepted >= write["start"]
    agreed = float(applied["time"].max())
    sent = run.messages[run.messages["kind"] == "write"]
    if n > 1:
        fastest = float((sent["delivered"] - sent["sent"]).min())
        assert agreed >= accepted + fastest
    else:
        assert sent.empty and agreed == accepted
    assert run.metrics["convergence_time"] == pytest.approx(max(0.0, agreed - write["end"]))


@given(st.integers(0, 10_000), st.sampled_from([(2, 1), (3, 1), (3, 2)]))
@settings(max_examples=25, deadline=None)
def test_replicas_holding_different_writes_never_converge(seed: int, nw: tuple[int, int]) -> None:
    # Without propagation or repair, two concurrent writes may stay on
    # different replicas: then the store never converges, and each write that
    # a live replica still holds survives (none is lost).
    n, w = nw
    script = [(0.0, "write", "x", "A", "c1"), (0.1, "write", "x", "B", "c2")]
    run = simulate(
        n=n,
        r=1,
        w=w,
        nodes=n,
        script=script,
        latency=1.0,
        read_repair=False,
        propagate=False,
        seed=seed,
        duration=1.0,
        settle=100.0,
    )
    held = {run.final_state.loc[h, "x"] for h in run.extras["home"]["x"] if h in run.extras["live"]}
    held.discard(None)
    assert sorted(run.extras["final"]["x"]) == sorted(held)  # (in timestamp order)
    assert (run.metrics["convergence_time"] == math.inf) == (
        run.final_state.loc[run.extras["home"]["x"], "x"].nunique(dropna=False) > 1
    )
    first, second = run.ops.iloc[0], run.ops.iloc[1]
    seen = metrics.happens_before(first["dot"], second["dot"], second["vv"])  # B had it (a fast copy)
    assert run.metrics["lost_writes"] == (0 if 0 in held or seen else 1)


@given(partial_quorums(), st.integers(0, 1000))
@settings(max_examples=10, deadline=None)
def test_partial_quorums_without_propagation_do_read_stale(nrw: tuple[int, int, int], seed: int) -> None:
    """A read misses the write quorum with probability C(N-W, R) / C(N, R) (the proxy coordinator of
    the PBS model): where that many reads expect at least 10 misses, some read is stale (a run
    without one has probability below e**-10)."""
    n, r, w = nrw
    run = simulate(
        n=n, r=r, w=w, keys=1, read_repair=False, propagate=False, latency=1.0, seed=seed,
        coordinator="any", **SMALL,
    )  # fmt: skip
    reads = int((run.ops["kind"] == "read").sum())
    assume(pbs.stale_read_probability(n, r, w) * reads >= 10)
    assert run.metrics["stale_reads"] > 0


def test_stale_fraction_without_propagation_matches_the_closed_form() -> None:
    # Given the write quorum, each read misses it independently with
    # probability C(N-W, R) / C(N, R): the count of stale reads is binomial,
    # so the simulated fraction lies within 4 standard errors of the closed
    # form (a false alarm has probability ~6e-5 per case).
    df = closed_form_check([(3, 1, 1), (3, 1, 2), (4, 2, 1), (5, 2, 2), (5, 1, 3)], reads=3000, seed=7)
    for row in df.itertuples():
        assert row.closed_form == pytest.approx(pbs.stale_read_probability(row.n, row.r, row.w))
        assert row.reads > 2000
        assert abs(row.simulated - row.closed_form) <= 4 * row.std_error, row


def test_closed_form_check_would_notice_propagation() -> None:
    # With propagation (the default) the same workload is far less stale than
    # the closed form: the check can fail.
    run = simulate(
        n=3, r=1, w=1, keys=1, write_rate=10, read_rate=1000, read_repair=False, latency=1.0, seed=3
    )
    ages = read_ages(run)
    p = pbs.stale_read_probability(3, 1, 1)
    se = math.sqrt(p * (1 - p) / len(ages))
    assert ages["behind"].mean() < p - 4 * se


@pytest.mark.parametrize(("preset", "r", "w"), [("LNKD-DISK", 1, 1), ("LNKD-DISK", 2, 1), ("LNKD-SSD", 1, 2)])
def test_simulation_agrees_with_the_pbs_monte_carlo(preset: str, r: int, w: int) -> None:
    # With the WARS latencies the simulator is the PBS model with many
    # writes: given each read's time since the commit, t_visibility predicts
    # how many reads are stale.
    run = simulate(
        n=3,
        r=r,
        w=w,
        nodes=3,
        keys=1,
        write_rate=20,
        read_rate=600,
        duration=4000,
        read_repair=False,
        latency=preset,
        coordinator="any",  # the WARS model's proxy coordinator
        seed=1,
    )
    check = leaderless.expected_stale_reads(run, trials=100_000)
    assert check["reads"] > 2000
    assert abs(check["z"]) < 4, check
    ages = read_ages(run)
    assert check["observed"] == int(ages.loc[~ages["in_flight"], "behind"].sum())


def test_pbs_prediction_would_notice_a_wrong_model() -> None:
    # The same check against the wrong latencies fails: it has power.
    run = simulate(
        n=3,
        r=1,
        w=1,
        nodes=3,
        keys=1,
        write_rate=20,
        read_rate=600,
        duration=4000,
        read_repair=False,
        latency="LNKD-DISK",
        coordinator="any",
        seed=1,
    )
    run.params["latency"] = "LNKD-SSD"
    assert leaderless.expected_stale_reads(run, trials=50_000)["z"] > 4


def test_expected_stale_reads_needs_a_preset_and_propagation() -> None:
    with pytest.raises(ValueError, match="run latency must be one of the PBS presets"):
        leaderless.expected_stale_reads(simulate(latency=1.0, **SMALL))
    with pytest.raises(ValueError, match="propagate=True"):
        leaderless.expected_stale_reads(simulate(propagate=False, coordinator="any", **SMALL))
    with pytest.raises(ValueError, match="coordinator='any'"):
        leaderless.expected_stale_reads(simulate(**SMALL))


def test_in_flight_marks_reads_that_overlap_a_write() -> None:
    script = [
        (0.0, "write", "x", "A"),
        (10.0, "write", "x", "B"),
        (11.0, "read", "x", "C"),
        (40.0, "read", "x", "C"),
    ]
    run = simulate(
        n=3, nodes=3, r=1, w=1, script=script, latency=constant(2.0), duration=50, coordinator="any", seed=0
    )
    ops = run.ops
    assert ops.loc[1, "end"] == 14.0  # 2 ms there, 2 ms back (a proxy coordinator)
    ages = read_ages(run).set_index("op_id")
    assert bool(ages.loc[2, "in_flight"]) and ages.loc[2, "version"] == 1 and ages.loc[2, "age"] == 7.0
    assert not ages.loc[3, "in_flight"] and ages.loc[3, "version"] == 2


def test_read_repair_reduces_stale_reads() -> None:
    for seed in range(3):
        kwargs = {"n": 3, "r": 1, "w": 1, "keys": 2, "propagate": False, "latency": 1.0, "seed": seed}
        without_run, with_run = (simulate(read_repair=rr, **kwargs) for rr in (False, True))
        without, with_rr = without_run.metrics, with_run.metrics
        assert without["read_repairs"] == 0 < with_rr["read_repairs"]
        # reads behind the newest acknowledged version (PBS's stale reads) halve ...
        behind = [read_ages(run)["behind"].mean() for run in (without_run, with_run)]
        assert behind[1] < 0.5 * behind[0]
        # ... and so do the causal stale reads, since read repair also makes the
        # replicas converge (without it, every version left on a replica survives)
        assert with_rr["stale_fraction"] < without["stale_fraction"]
        assert without["convergence_time"] == math.inf


def _recovery_scenario(**kwargs: object) -> leaderless.LeaderlessRun:
    """Node C misses writes while down; writes stop before it comes back."""
    base: dict = {
        "n": 3,
        "r": 1,
        "w": 1,
        "nodes": 3,
        "keys": 8,
        "write_rate": 100.0,
        "read_rate": 50.0,
        "duration": 1000.0,
        "writes_until": 400.0,
        "failures": [("C", 100.0, 500.0)],
        "read_repair": False,
        "seed": 1,
    }
    base.update(kwargs)
    return simulate(**base)


def test_without_repair_a_recovered_node_never_converges() -> None:
    run = _recovery_scenario()
    assert run.metrics["convergence_time"] == math.inf
    lag = lagging_replicas(run)
    assert lag["fraction"].iloc[-1] > 0


@pytest.mark.parametrize(
    ("kwargs", "counter"),
    [({"read_repair": True}, "read_repairs"), ({"anti_entropy_interval": 100.0}, "anti_entropy_repairs")],
)
def test_read_repair_and_anti_entropy_make_replicas_converge(kwargs: dict, counter: str) -> None:
    run = _recovery_scenario(**kwargs)
    m = run.metrics
    assert m[counter] > 0
    assert 0 <= m["convergence_time"] < 600
    lag = lagging_replicas(run)
    assert lag["fraction"].iloc[-1] == 0
    final = run.final_state
    for key, home in run.extras["home"].items():
        assert final.loc[home, key].nunique(dropna=False) == 1


def test_anti_entropy_alone_repairs_every_key_even_unread_ones() -> None:
    run = _recovery_scenario(read_rate=0.0, anti_entropy_interval=50.0)
    assert run.metrics["reads"] == 0
    assert run.metrics["convergence_time"] < math.inf
    assert (run.versions["event"] == "anti-entropy").any()


@given(st.integers(0, 10_000), st.integers(1, 2), st.floats(50.0, 250.0), st.floats(50.0, 300.0))
@settings(max_examples=15, deadline=None)
def test_hinted_handoff_eventually_delivers_every_hinted_write(
    seed: int, down: int, at: float, length: float
) -> None:
    home = home_replicas("k0", 3, 5)
    failures = [(node, at + 20.0 * i, at + 20.0 * i + length) for i, node in enumerate(home[:down])]
    run = simulate(
        n=3,
        r=2,
        w=2,
        keys=1,
        sloppy=True,
        read_repair=False,
        failures=failures,
        duration=500.0,
        write_rate=300.0,  # no write at all in a 50 ms window has probability e**-15
        seed=seed,
    )
    m = run.metrics
    assert m["hinted_writes"] > 0
    assert m["hints_handed_off"] == m["hinted_writes"]
    assert run.extras["pending_hints"] == 0
    # every hinted version (or a newer one) is on every home replica at the end
    hinted = run.versions[run.versions["event"] == "hint"]
    final_versions = {
        node: run.versions[(run.versions["node"] == node) & (run.versions["event"] != "hint")][
            "version"
        ].max()
        for node in home
    }
    assert all(final_versions[node] >= hinted["version"].max() for node in home)
    handoffs = run.messages[(run.messages["kind"] == "handoff-ack") & run.messages["delivered"].notna()]
    assert len(handoffs) > 0
    assert m["convergence_time"] < math.inf


def test_sloppy_quorum_keeps_writes_available_when_home_replicas_fail() -> None:
    home = home_replicas("k0", 3, 5)
    failures = [(home[0], 100.0, 600.0), (home[1], 150.0, 700.0)]
    strict = simulate(keys=1, failures=failures, seed=2).metrics
    sloppy = simulate(keys=1, failures=failures, sloppy=True, seed=2).metrics
    assert strict["write_availability"] < 0.9
    assert strict["hinted_writes"] == 0
    assert sloppy["hinted_writes"] > 0
    # every write succeeds but those forwarded to a coordinator that crashed before they arrived
    run = simulate(keys=1, failures=failures, sloppy=True, seed=2)
    failed = run.ops[(run.ops["kind"] == "write") & ~run.ops["ok"]]
    lost_hops = run.messages[
        (run.messages["kind"] == "forward") & (run.messages["dropped"] == "receiver-down")
    ]
    assert sorted(failed["op_id"]) == sorted(int(label[1:]) for label in lost_hops["label"])
    assert sloppy["write_availability"] >= 1 - len(failed) / sloppy["writes"]


def test_availability_follows_the_quorum_size_when_nodes_fail() -> None:
    home = home_replicas("k0", 3, 3)
    failures = [(home[0], 0.0, None)]
    assert simulate(n=3, r=2, w=2, nodes=3, keys=1, failures=failures).metrics["write_availability"] == 1.0
    m = simulate(n=3, r=1, w=3, nodes=3, keys=1, failures=failures).metrics
    assert m["write_availability"] == 0.0
    assert m["read_availability"] == 1.0
    m = simulate(n=3, r=1, w=3, nodes=3, keys=1, failures=failures, sloppy=True).metrics
    assert m["write_availability"] == 0.0  # no fallback nodes in a 3-node cluster


def test_every_node_down_fails_every_operation() -> None:
    failures = [(node, 0.0, None) for node in "ABCDE"]
    m = simulate(failures=failures, **SMALL).metrics
    assert m["write_availability"] == 0.0 and m["read_availability"] == 0.0
    assert math.isnan(m["stale_fraction"])


# -- synchronous read repair (ABD's write-back phase) ------------------------------
OVERLAP = [
    (0.0, "write", "x", "B", "writer"),
    (0.1, "read", "x", "B", "reader"),
    (1.0, "read", "x", "C", "reader"),
]
OVERLAP_RUN = {"n": 3, "r": 2, "w": 2, "nodes": 3, "latency": 2.0, "duration": 3, "settle": 30, "seed": 3}


@pytest.mark.parametrize(("read_repair", "linearizable"), [(False, False), (True, False), ("sync", True)])
def test_sync_read_repair_makes_the_overlap_of_notebook_04_linearizable(
    read_repair: bool | str, linearizable: bool
) -> None:
    # a read concurrent with the write sees it, a later read does not: unless the
    # first read writes it back to w replicas before it answers
    run = simulate(script=OVERLAP, read_repair=read_repair, **OVERLAP_RUN)
    assert check(run.ops).linearizable is linearizable
    kinds = set(run.messages["kind"])
    assert ("writeback" in kinds and "writeback-ack" in kinds) is (read_repair == "sync")
    if read_repair == "sync":
        ops = run.ops.set_index("op_id")
        assert ops.loc[1, "value"] == ops.loc[2, "value"] == 0  # the later read sees the write too
        sent = run.messages[run.messages["kind"] == "writeback"]
        assert run.metrics["read_repairs"] >= len(sent) > 0


@st.composite
def strict_scripts(draw: st.DrawFn) -> dict:
    """A small scripted workload (at most 7 operations on 2 keys) under a strict quorum, no failures."""
    n = draw(st.integers(1, 4))
    r = draw(st.integers(1, n))
    w = draw(st.integers(n + 1 - r, n))
    nodes = draw(st.integers(n, n + 1))
    names = [chr(ord("A") + i) for i in range(nodes)]
    ops = draw(
        st.lists(
            st.tuples(
                st.floats(0.0, 4.0, allow_nan=False).map(lambda t: round(t, 2)),
                st.sampled_from(["write", "read"]),
                st.sampled_from(["x", "y"]),
                st.sampled_from(names),
            ),
            min_size=1,
            max_size=7,
        )
    )
    script = [(t, kind, key, node, f"c{i}") for i, (t, kind, key, node) in enumerate(ops)]
    return {
        "n": n,
        "r": r,
        "w": w,
        "nodes": nodes,
        "script": script,
        "latency": draw(st.floats(0.5, 5.0)),
        "coordinator": draw(st.sampled_from(leaderless.simulation.COORDINATORS)),
        "propagate": draw(st.booleans()),
        "duration": 10.0,
        "settle": 1000.0,
        "seed": draw(st.integers(0, 10_000)),
    }


@given(strict_scripts())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_sync_read_repair_under_strict_quorums_is_linearizable(kwargs: dict) -> None:
    run = simulate(read_repair="sync", **kwargs)
    assert run.ops["ok"].all()  # no failures, no timeouts: every operation completed
    verdict = check(run.ops, budget=200_000).linearizable
    assume(verdict is not None)
    assert verdict is True


def test_sync_read_repair_costs_one_round_trip_when_the_quorum_lacks_the_version() -> None:
    # D is not a home replica of x (C, D, A are): its read of all three reaches
    # them at 2.1, before the write from C (sent at 0.2) reaches D and A; only C
    # answers with the write. With "sync" the read writes it back to D and A and
    # answers when one of them acknowledges: one more round trip of 2 x 2 ms.
    assert home_replicas("x", 3, 4) == ["C", "D", "A"]
    script = [(0.1, "read", "x", "B"), (0.2, "write", "x", "C")]
    latencies = {}
    for read_repair in (False, True, "sync"):
        run = simulate(
            n=3,
            r=3,
            w=2,
            nodes=4,
            script=script,
            latency=constant(2.0),
            read_repair=read_repair,
            duration=1.0,
            settle=30.0,
        )
        read = run.ops[run.ops["kind"] == "read"].iloc[0]
        assert read["ok"] and read["value"] == 1
        latencies[read_repair] = read["end"] - read["start"]
    assert latencies[False] == pytest.approx(4.0) == latencies[True]
    assert latencies["sync"] == pytest.approx(latencies[False] + 2 * 2.0)
    assert latencies["sync"] >= latencies[False] + 2 * 2.0 - 1e-9


def test_sync_read_repair_adds_nothing_when_w_responders_hold_the_version() -> None:
    script = [(0.0, "write", "x", "C"), (10.0, "read", "x", "B")]
    runs = [
        simulate(n=3, r=3, w=2, nodes=4, script=script, latency=constant(2.0), read_repair=rr, duration=10.0)
        for rr in (False, "sync")
    ]
    assert runs[0].ops["end"].tolist() == runs[1].ops["end"].tolist()
    assert "writeback" not in set(runs[1].messages["kind"])


def test_sync_read_repair_fails_the_read_without_w_acknowledgements() -> None:
    # x's home replicas are C, D, A (nodes A..D); w = 3 needs all three
    base = {"n": 3, "r": 1, "w": 3, "nodes": 4, "latency": constant(2.0), "read_repair": "sync"}
    # A crashes while the write-back to it is in flight: no third acknowledgement, the read times out
    script = [(0.0, "write", "x", "C"), (0.1, "read", "x", "C")]
    run = simulate(script=script, failures=[("A", 1.0, None)], timeout=50.0, duration=1.0, **base)
    read = run.ops.set_index("op_id").loc[1]
    assert not read["ok"] and read["end"] == pytest.approx(0.1 + 50.0)
    assert ((run.messages["kind"] == "writeback") & (run.messages["dst"] == "A")).any()
    # A is down when the read comes: fewer than w replicas can hold the version, it fails at once
    script = [(0.0, "write", "x", "C"), (20.0, "read", "x", "C")]
    run = simulate(script=script, failures=[("A", 10.0, None)], duration=20.0, **base)
    ops = run.ops.set_index("op_id")
    assert ops.loc[0, "ok"] and not ops.loc[1, "ok"] and ops.loc[1, "end"] == 20.0
    # the same reads without the write-back answer
    for failures in ([("A", 1.0, None)], [("A", 10.0, None)]):
        plain = simulate(script=script, failures=failures, duration=20.0, **{**base, "read_repair": True})
        assert plain.ops.set_index("op_id").loc[1, "ok"]


def test_sync_read_repair_does_not_make_partial_quorums_linearizable() -> None:
    # r + w = n: the write-back puts the version on w replicas, but a read of r
    # other replicas need not meet them (found by seed)
    kwargs = {"n": 3, "r": 1, "w": 2, "nodes": 3, "keys": 1, "write_rate": 100.0, "read_rate": 300.0}
    kwargs |= {"duration": 100.0, "settle": 50.0, "latency": 2.0, "read_repair": "sync", "seed": 1}
    run = simulate(**kwargs)
    result = check(run.ops, budget=200_000)
    assert result.linearizable is False
    assert "returned" in result.reason and "after write" in result.reason
    # the same workload under a strict quorum is linearizable
    assert check(simulate(**{**kwargs, "w": 3}).ops, budget=200_000).linearizable is True


# -- metrics use the shared definitions -------------------------------------------


def test_metrics_use_the_shared_definitions() -> None:
    run = simulate(r=1, w=1, read_repair=False, seed=4)
    ops = run.ops
    verdicts = metrics.causal_verdicts(ops, run.extras["final"])
    for column in verdicts.columns:
        assert ops[column].tolist() == verdicts[column].tolist()
    figures = metrics.causal_figures(ops, verdicts)
    assert {name: run.metrics[name] for name in metrics.CAUSAL_FIGURES} == figures
    reads = ops[ops["kind"] == "read"]
    assert ops["stale"].dtype == bool and ops["lost"].dtype == bool
    assert not ops.loc[ops["kind"] == "write", "stale"].any()
    assert not ops.loc[ops["kind"] == "read", "lost"].any()
    assert run.metrics["stale_fraction"] == pytest.approx(reads["stale"].sum() / reads["ok"].sum())
    # the causal record: every accepted write has a dot of its coordinator and a context covering it
    writes = ops[(ops["kind"] == "write") & ops["dot"].notna()]
    assert (writes["dot"].map(lambda d: d[0]) == writes["node"]).all()
    assert all(vv[node] == count for (node, count), vv in zip(writes["dot"], writes["vv"], strict=True))
    assert all(isinstance(got, tuple) for got in reads["returned"])
    # versions rank the writes of each key: 1..k
    for _, key_writes in ops[ops["kind"] == "write"].groupby("key"):
        assert sorted(key_writes["version"]) == list(range(1, len(key_writes) + 1))
    # replica state changes name the write they hold
    assert (run.versions["held"] == run.versions["op_id"].map(lambda w: (w,))).all()
    assert math.isinf(run.metrics["convergence_time"]) or run.metrics["convergence_time"] >= 0


def test_concurrent_writes_can_be_lost_under_last_write_wins() -> None:
    # The key's first home replica is down from 100 ms to 150 ms, the next one coordinates
    # meanwhile; back, the first coordinates again before the last of those writes reach it,
    # and the writes stop right after: the last writes are concurrent.
    first = home_replicas("k0", 3, 5)[0]
    run = simulate(keys=1, write_rate=2000, read_rate=0, duration=200, writes_until=151.0,
                   failures=[(first, 100.0, 150.0)], seed=3)  # fmt: skip
    lost = run.ops["lost"]
    assert run.metrics["lost_writes"] == int(lost.sum()) > 0
    # perfect clocks: every loss is to a concurrent write, never to an older one
    assert set(run.ops.loc[lost, "lost_cause"]) == {"concurrent"}
    assert run.metrics["lost_concurrent"] == run.metrics["lost_writes"]
    assert run.metrics["conflicts"] >= run.metrics["lost_writes"]


def test_lagging_replicas_is_a_step_function_in_the_unit_interval() -> None:
    run = simulate(r=1, w=1, seed=3)
    lag = lagging_replicas(run)
    assert lag["time"].is_monotonic_increasing
    assert lag["time"].iloc[0] == 0.0
    assert lag["fraction"].between(0, 1).all()
    assert lag["fraction"].iloc[-1] == 0.0
    assert lag["fraction"].max() > 0


def test_read_ages_are_positive_and_behind_means_an_older_version() -> None:
    run = simulate(r=1, w=1, read_repair=False, seed=6)
    ages = read_ages(run)
    assert (ages["age"] > 0).all()
    returned = run.ops.set_index("op_id").loc[ages["op_id"], "version"].to_numpy()
    assert (ages["behind"].to_numpy() == (returned < ages["version"].to_numpy())).all()
    assert ages["behind"].any() and not ages["behind"].all()
    assert run.metrics["reads_behind"] == int(ages["behind"].sum())


def test_quorum_grid_is_the_closed_form() -> None:
    grid = quorum_grid(5)
    assert grid.shape == (5, 5)
    assert grid.loc[2, 2] == pytest.approx(0.3)
    for r in range(1, 6):
        for w in range(1, 6):
            assert (grid.loc[r, w] == 0) == (r + w > 5)


# -- determinism -----------------------------------------------------------------

DETERMINISM_KWARGS = {
    "r": 1,
    "w": 2,
    "sloppy": True,
    "anti_entropy_interval": 40.0,
    "failures": [("A", 100.0, 400.0)],
    "duration": 600.0,
}


def _fingerprint(run: leaderless.LeaderlessRun) -> int:
    text = "".join(
        df.to_csv(index=False) for df in (run.ops, run.messages, run.versions, run.events, run.final_state)
    )
    return zlib.crc32((text + run.metrics.to_csv()).encode())


def test_same_seed_same_run() -> None:
    a = simulate(seed=11, **DETERMINISM_KWARGS)
    b = simulate(seed=11, **DETERMINISM_KWARGS)
    pd.testing.assert_frame_equal(a.ops, b.ops)
    pd.testing.assert_frame_equal(a.messages, b.messages)
    pd.testing.assert_frame_equal(a.versions, b.versions)
    pd.testing.assert_series_equal(a.metrics, b.metrics)
    assert _fingerprint(a) == _fingerprint(b)
    assert _fingerprint(simulate(seed=12, **DETERMINISM_KWARGS)) != _fingerprint(a)
    g = simulate(seed=np.random.default_rng(11), **DETERMINISM_KWARGS)
    assert g.params["seed"] == "Generator"


def test_switches_do_not_change_the_workload() -> None:
    a = simulate(read_repair=True, seed=3).ops
    b = simulate(read_repair=False, anti_entropy_interval=30.0, seed=3).ops
    cols = ["kind", "key", "client", "start"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_same_run_in_another_process_with_another_hash_seed() -> None:
    code = (
        "from replnb.leaderless import simulate\n"
        "import tests.test_leaderless as t\n"
        "print(t._fingerprint(simulate(seed=11, **t.DETERMINISM_KWARGS)))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert int(out.stdout.strip()) == _fingerprint(simulate(seed=11, **DETERMINISM_KWARGS))


# -- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 3, "r": 4}, r"r must be an integer in 1\.\.3, got 4"),
        ({"n": 3, "w": 0}, r"w must be an integer in 1\.\.3, got 0"),
        ({"n": 0}, r"n must be an integer in 1\.\.26"),
        ({"n": 2.0}, r"n must be an integer"),
        ({"r": True}, r"r must be an integer"),
        ({"latency": "LNKD-TAPE"}, r"latency must be a preset name in \['LNKD-DISK', 'LNKD-SSD', 'YMMR'\]"),
        ({"latency": -1.0}, r"latency must be a preset name .*, a number in \(0, 10000\] ms .*, got -1\.0"),
        ({"latency": {"W": 1.0}}, r"latency must be a preset name"),
        ({"nodes": 2}, r"nodes must be an integer in 3\.\.26"),
        ({"keys": 0}, r"keys must be an integer in 1\.\.1000"),
        ({"clients": 0}, r"clients must be an integer in 1\.\.100"),
        ({"write_rate": -1}, r"write_rate must be a number in \[0, 5000\] per s, got -1"),
        ({"duration": 0}, r"duration must be a number in \(0, 10000\] ms, got 0"),
        ({"writes_until": 2000.0}, r"writes_until must be a number in \(0, 1000\] ms or None, got 2000\.0"),
        ({"timeout": math.nan}, r"timeout must be a number in \(0, 10000\] ms, got nan"),
        (
            {"anti_entropy_interval": 0},
            r"anti_entropy_interval must be a number in \[10, 10000\] ms" r" or None, got 0",
        ),
        ({"sloppy": "yes"}, r"sloppy must be True or False"),
        ({"read_repair": "async"}, r"read_repair must be one of \[False, True, 'sync'\], got 'async'"),
        ({"read_repair": 1}, r"read_repair must be one of \[False, True, 'sync'\], got 1"),
        ({"clock_skew": -1.0}, r"clock_skew must be a number in \[0, 1000\] ms, got -1\.0"),
        ({"script": [(0.0, "write", "x", "A", "")]}, r"script\[0\] client must be a non-empty string"),
        (
            {"failures": [("Z", 1.0, 2.0)]},
            r"failures\[0\] node must be one of" r" \['A', 'B', 'C', 'D', 'E'\], got 'Z'",
        ),
        (
            {"failures": [("A", 5.0, 2.0)]},
            r"failures\[0\] recover_at must be" r" a number in \(5, 100000\] ms or None, got 2\.0",
        ),
        (
            {"failures": [("A",)]},
            r"failures\[0\] must be a \(node, at\)" r" or \(node, at, recover_at or None\) tuple",
        ),
        ({"failures": "A"}, r"failures must be a sequence"),
        ({"seed": -1}, r"seed must be a non-negative int"),
    ],
)
def test_bad_input_is_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        simulate(**kwargs)


def test_helpers_reject_bad_input() -> None:
    with pytest.raises(ValueError, match=r"n must be an integer in 1\.\.26"):
        quorum_grid(0)
    with pytest.raises(ValueError, match=r"n must be an integer in 1\.\.5 \(the cluster size\)"):
        home_replicas("k0", 6, 5)
    with pytest.raises(ValueError, match=r"reads must be an integer"):
        closed_form_check(reads=0)


# -- plots -----------------------------------------------------------------------


def test_plots_draw_and_label_their_axes() -> None:
    run = _recovery_scenario(read_repair=True)
    t = np.array([0.0, 1.0, 10.0, 100.0])
    curves = pd.concat(
        [
            pd.DataFrame({"t_ms": t, "p": pbs.t_visibility(3, 1, 1, t, latency=p, trials=2000), "label": p})
            for p in ["LNKD-SSD", "YMMR"]
        ]
    )
    published = pd.DataFrame({"label": ["YMMR"], "t_ms": [0.0], "p": [0.893]})
    _, axes = plt.subplots(2, 2, figsize=(9, 6))
    ax = plots.plot_visibility(curves, ax=axes[0, 0], closed_form=1 / 3, published=published, log_time=True)
    assert ax.get_xscale() == "symlog" and len(ax.get_lines()) == 2
    ax = plots.plot_quorum_grid(quorum_grid(4), ax=axes[0, 1], highlight=(2, 3))
    assert ax.get_xlabel() == "W (write quorum)"
    assert len([t for t in ax.texts if t.get_text()]) == sum(
        1 for r in range(1, 5) for w in range(1, 5) if r + w <= 4
    )
    ax = plots.plot_convergence({"a": run, "b": lagging_replicas(run)}, ax=axes[1, 0])
    assert len(ax.get_lines()) == 2
    table = pd.DataFrame([run.metrics, run.metrics], index=["x", "y"])
    ax = plots.plot_availability(table, ax=axes[1, 1])
    assert len(ax.patches) == 4
    with pytest.raises(ValueError, match="legend must be"):
        plots.plot_quorum_grid(quorum_grid(3), legend="left")
    plt.close("all")


def test_convergence_plot_marks_stale_reads_failed_writes_and_downtime() -> None:
    home = home_replicas("k0", 3, 5)
    failures = [(home[0], 100.0, 300.0), (home[1], 100.0, 300.0)]
    run = simulate(r=1, w=2, keys=1, read_repair=False, failures=failures, seed=1)
    assert run.metrics["stale_reads"] > 0 and run.metrics["write_availability"] < 1
    ax = plots.plot_convergence(run)
    labels = ax.get_legend_handles_labels()[1]
    assert {"stale read", "failed write", "node(s) down"} <= set(labels)
    assert ("lost write" in labels) == (run.metrics["lost_writes"] > 0)
    plt.close("all")


# -- the explorer ----------------------------------------------------------------


def test_explorer_bounds_follow_n() -> None:
    ex = QuorumExplorer()
    ex.update(n=5)
    c = ex.controls
    assert c["r"].max == c["w"].max == c["failed"].max == 5
    ex.update(r_level="custom", r=5, w=4, failed=5)
    ex.update(n=2)
    assert c["r"].max == c["w"].max == c["failed"].max == 2
    assert c["r"].value <= 2 and c["w"].value <= 2 and c["failed"].value <= 2
    run = ex.update(n=9)
    assert c["r"].max == 9 and run.params["n"] == 9
    c["n"].value = 12  # the slider clamps: N stays within 1..9
    assert c["n"].value == 9


def test_explorer_presets_set_the_sliders_and_follow_n() -> None:
    ex = QuorumExplorer()
    c = ex.controls
    ex.update(n=5, r_level="ONE", w_level="ALL")
    assert (c["r"].value, c["w"].value) == (1, 5)
    ex.update(r_level="QUORUM", w_level="QUORUM")
    assert (c["r"].value, c["w"].value) == (3, 3)
    ex.update(n=7)  # a preset level sticks: QUORUM of 7 is 4
    assert (c["r"].value, c["w"].value) == (4, 4)
    ex.update(r=2)  # a slider that matches no level shows "custom"
    assert c["r_level"].value == "custom"
    ex.update(n=9)  # custom stays put
    assert c["r"].value == 2 and c["r_level"].value == "custom"
    ex.update(r=9)
    assert c["r_level"].value == "ALL"


def test_explorer_update_returns_the_run_and_a_control_changes_the_image() -> None:
    ex = QuorumExplorer()
    run = ex.update()
    assert isinstance(run, leaderless.LeaderlessRun) and ex.run is run
    first = ex.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert "stale reads" in ex.summary.value
    run2 = ex.update(n=5)
    assert run2.params["n"] == 5 and ex.image.value != first
    before = ex.image.value
    run3 = ex.update(failed=2, sloppy=True)
    assert run3.metrics["hinted_writes"] > 0 and ex.image.value != before
    before = ex.image.value
    ex.update(latency="YMMR", r_level="ONE", w_level="ONE")
    assert ex.image.value != before
    with pytest.raises(ValueError, match="unknown parameter"):
        ex.update(q=3)


def test_explorer_slider_callback_runs_the_model() -> None:
    ex = QuorumExplorer()
    ex.refresh()
    before = ex.image.value
    ex.controls["read_repair"].value = False  # as a click in the browser would
    assert ex.run is not None and ex.run.params["read_repair"] is False
    assert ex.image.value != before


def test_explorer_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"n must be an integer in 1\.\.9"):
        QuorumExplorer(n=10)
    with pytest.raises(ValueError, match=r"r must be an integer in 1\.\.3, got 4"):
        QuorumExplorer(r=4)
    with pytest.raises(
        ValueError, match=r"latency must be one of" r" \['LNKD-DISK', 'LNKD-SSD', 'YMMR'\], got 'fast'"
    ):
        QuorumExplorer(latency="fast")


# -- bounds: no accepted input runs for long ----------------------------------------


def test_a_huge_duration_is_refused_at_once() -> None:
    with pytest.raises(
        ValueError, match=r"^duration must be a number in \(0, 10000\] ms, got 1000000000\.0$"
    ):
        simulate(duration=1e9)


def test_the_work_budget_names_what_to_lower() -> None:
    big = {"n": 26, "nodes": 26, "write_rate": 5000, "read_rate": 5000, "duration": 10_000}
    with pytest.raises(ValueError, match=r"^duration must be a number in \(0, \d+\] ms at these rates"):
        simulate(**big)
    digests = {"n": 26, "nodes": 26, "keys": 1000, "anti_entropy_interval": 10, "duration": 10_000}
    with pytest.raises(ValueError, match=r"^anti_entropy_interval must be a number in \[\d+, 10000\] ms"):
        simulate(**digests)
    script = [(float(i), "read", "k", "A") for i in range(4000)]
    with pytest.raises(ValueError, match=r"^script must be a sequence of at most \d+ operations for n=26"):
        simulate(n=26, nodes=26, script=script, duration=10_000)


def test_closed_form_check_bounds_its_cases_and_reads() -> None:
    with pytest.raises(ValueError, match=r"^cases\[0\] n must be an integer in 1\.\.9, got 10$"):
        closed_form_check([(10, 1, 1)])
    with pytest.raises(ValueError, match=r"^cases\[1\] r must be an integer in 1\.\.3, got 4$"):
        closed_form_check([(3, 1, 1), (3, 4, 1)])
    with pytest.raises(
        ValueError, match=r"^reads must be an integer in 1\.\.\d+ for these cases, got 10000$"
    ):
        closed_form_check([(9, 1, 1)] * 12, reads=10_000)


def test_explorer_refuses_a_bool_n_with_its_range() -> None:
    with pytest.raises(ValueError, match=r"^n must be an integer in 1\.\.9, got True$"):
        QuorumExplorer(n=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^failed must be an integer in 0\.\.3, got 4$"):
        QuorumExplorer(failed=4)


def test_explorer_levels_given_to_the_constructor_set_the_sizes() -> None:
    c = QuorumExplorer(n=5, r_level="QUORUM", w_level="ALL").controls
    assert (c["r"].value, c["w"].value) == (3, 5)
    c = QuorumExplorer(n=5, r=2, w=2).controls
    assert (c["r_level"].value, c["w_level"].value) == ("custom", "custom")
    c = QuorumExplorer(n=5, r=2).controls  # the default W = 1 is ONE
    assert (c["r_level"].value, c["w_level"].value) == ("custom", "ONE")
