"""The siblings mode of the leaderless store: ``simulate(merge="siblings")`` (Dynamo/Riak carts)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replnb import leaderless, metrics
from replnb.engine.latency import constant
from replnb.leaderless import dotted
from replnb.leaderless.dotted import EMPTY, merge, new_version

NODES = ("A", "B", "C")
REGIONS = {"A": "eu", "B": "us", "C": "asia"}


def _writes(run: Any) -> Any:
    ops = run.ops
    return ops[(ops["kind"] == "write") & ops["dot"].notna()].set_index("op_id")


def _superseded_or_kept(run: Any) -> list[int]:
    """The acknowledged writes neither surviving nor covered by a survivor's context (brute force)."""
    writes = _writes(run)
    missing = []
    for op_id, w in writes[writes["ok"]].iterrows():
        alive = run.extras["final"].get(w["key"], ())
        covered = any(dotted.covers(writes.loc[s, "vv"], w["dot"]) for s in alive if s != op_id)
        if op_id not in alive and not covered:
            missing.append(op_id)
    return missing


faults = st.fixed_dictionaries(
    {
        "crashes": st.lists(
            st.tuples(st.sampled_from(NODES), st.floats(0, 600), st.floats(10, 300)), max_size=2
        ).map(lambda cs: [(n, at, at + d) for n, at, d in cs]),
        "partitions": st.lists(
            st.tuples(st.sampled_from(NODES), st.floats(0, 600), st.floats(10, 300)), max_size=1
        ).map(lambda ps: [([[n]], at, at + d) for n, at, d in ps]),
        "clock_skew": st.sampled_from([0.0, 20.0, 200.0]),
    }
)


def _run(seed: int, f: dict[str, Any], merge_mode: str = "siblings", **kw: Any) -> Any:
    args: dict[str, Any] = {
        "n": 3,
        "nodes": 3,
        "r": 1,
        "w": 1,
        "keys": 2,
        "duration": 800.0,
        "settle": 1500.0,
        "write_rate": 60.0,
        "read_rate": 60.0,
        "anti_entropy_interval": 50.0,
        "seed": seed,
        "merge": merge_mode,
        **f,
    }
    return leaderless.simulate(**(args | kw))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), f=faults, quorum=st.sampled_from([(1, 1), (2, 2), (1, 3)]))
def test_no_acknowledged_write_is_lost_unless_a_reader_overwrote_it(
    seed: int, f: dict[str, Any], quorum: tuple[int, int]
) -> None:
    r, w = quorum
    run = _run(seed, f, r=r, w=w)
    assert run.metrics["lost_writes"] == 0
    assert _superseded_or_kept(run) == []  # the same, by brute force over the recorded contexts
    # every heal and recovery is long past and anti-entropy ran: each replica holds the same siblings
    rows = {
        tuple(sorted((k, v) for k, v in row.items() if v is not None))
        for _, row in run.final_state.iterrows()
    }
    assert len(rows) == 1
    assert run.final_state.loc["A"].dropna().to_dict() == {k: v for k, v in run.extras["final"].items() if v}
    assert run.metrics["convergence_time"] < float("inf")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), f=faults)
def test_no_sibling_set_holds_a_version_another_one_replaces(seed: int, f: dict[str, Any]) -> None:
    run = _run(seed, f)
    writes = _writes(run)
    held_sets = [h for h in run.versions["held"] if h]
    assert held_sets
    for held in held_sets:
        for a, b in itertools.permutations(held, 2):
            assert not metrics.happens_before(writes.loc[a, "dot"], writes.loc[b, "dot"], writes.loc[b, "vv"])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), f=faults)
def test_clock_skew_never_decides_what_survives(seed: int, f: dict[str, Any]) -> None:
    calm = _run(seed, f | {"clock_skew": 0.0})
    skewed = _run(seed, f | {"clock_skew": 300.0})
    assert calm.extras["final"] == skewed.extras["final"]
    assert calm.ops["returned"].tolist() == skewed.ops["returned"].tolist()
    assert len(set(skewed.extras["clock_offsets"].values())) > 1


def _offsets_apart(gap: float) -> int:
    """A seed whose clocks put A more than ``gap`` ms ahead of B (skew 100 ms)."""
    for seed in range(200):
        run = leaderless.simulate(script=[(0.0, "write", "x", "A")], nodes=3, clock_skew=100.0, seed=seed)
        off = run.extras["clock_offsets"]
        if off["A"] - off["B"] > gap:
            return seed
    raise AssertionError("no such seed")


def _race(read_first: bool) -> list[tuple[Any, ...]]:
    """c1 writes x at A; 5 ms later c2 (next to B) writes x, having read it at 3 ms or not."""
    script: list[tuple[Any, ...]] = [(0.0, "write", "x", "A", "c1")]
    if read_first:
        script.append((3.0, "read", "x", "B", "c2"))
    return [*script, (5.0, "write", "x", "B", "c2"), (50.0, "read", "x", "C", "c3")]


@pytest.mark.parametrize("read_first", [False, True])
def test_with_skew_lww_loses_the_race_that_siblings_keeps(read_first: bool) -> None:
    seed = _offsets_apart(20.0)
    common = {"n": 3, "nodes": 3, "r": 1, "w": 1, "latency": constant(2.0), "regions": REGIONS}
    common |= {"clock_skew": 100.0, "seed": seed, "script": _race(read_first)}
    lww = leaderless.simulate(**common)
    sib = leaderless.simulate(**common, merge="siblings")
    # LWW: B had applied c1's write when it took c2's, but B's clock is behind: c2's write loses
    assert lww.metrics["lost_writes"] == 1 and lww.metrics["lost_older_write_won"] == 1
    assert sib.metrics["lost_writes"] == 0
    first, second = (int(i) for i in _writes(sib).index)
    if read_first:  # c2 had read c1's write: its own replaces it, whatever the clocks
        assert sib.extras["final"] == {"x": (second,)} and sib.metrics["conflicts"] == 0
    else:  # a blind write: concurrent, both kept as siblings, and the last read returns both
        assert set(sib.extras["final"]["x"]) == {first, second} and sib.metrics["conflicts"] == 1
        assert set(sib.ops["returned"].iloc[-1]) == {first, second}


def test_a_read_then_write_replaces_exactly_what_was_read() -> None:
    script = [
        (0.0, "write", "x", "A", "c1"),
        (1.0, "write", "x", "B", "c2"),  # concurrent with c1's: both siblings
        (20.0, "read", "x", "C", "c3"),  # c3 reads both
        (25.0, "write", "x", "A", "c4"),  # after the read: c3 has not seen it
        (30.0, "write", "x", "C", "c3"),  # c3 writes with what it read
        (100.0, "read", "x", "A", "c5"),
    ]
    run = leaderless.simulate(
        n=3, nodes=3, r=1, w=1, latency=constant(2.0), regions=REGIONS, script=script, merge="siblings"
    )
    ops = run.ops.set_index("op_id")
    w1, w2, read, w4, w3, last = ops.index
    assert set(ops.loc[read, "returned"]) == {w1, w2}
    # c3's write carries the context of its read: it covers w1 and w2, not w4
    vv = ops.loc[w3, "vv"]
    assert dotted.covers(vv, ops.loc[w1, "dot"]) and dotted.covers(vv, ops.loc[w2, "dot"])
    assert not dotted.covers(vv, ops.loc[w4, "dot"])
    assert set(run.extras["final"]["x"]) == {w3, w4}
    assert set(ops.loc[last, "returned"]) == {w3, w4}
    assert run.metrics["lost_writes"] == 0
    assert run.ops["lost"].sum() == 0
    # w1 ∥ w2, w4 ∥ each of w1, w2, w3 (it saw nothing); w3 saw w1 and w2
    assert run.metrics["conflicts"] == 4


def test_lww_runs_are_unchanged_by_the_new_parameter() -> None:
    plain = leaderless.simulate(seed=4, clock_skew=30.0)
    named = leaderless.simulate(seed=4, clock_skew=30.0, merge="lww")
    assert plain.ops.equals(named.ops) and plain.messages.equals(named.messages)
    assert named.params["merge"] == "lww"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"merge": "union"}, r"merge must be one of \['lww', 'siblings'\], got 'union'"),
        ({"merge": True}, "merge must be one of"),
        ({"merge": "siblings", "sloppy": True}, "sloppy must be False with merge='siblings'"),
        ({"merge": "siblings", "coordinator": "any"}, "coordinator must be 'home' with merge='siblings'"),
        (
            {"merge": "siblings", "read_repair": "sync"},
            "read_repair must be True or False with merge='siblings'",
        ),
        (
            {"merge": "siblings", "restores": [("A", 500.0, 100.0)]},
            "restores must be empty with merge='siblings'",
        ),
    ],
)
def test_bad_or_unsupported_combinations_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        leaderless.simulate(**kwargs)


def test_a_run_that_could_pile_up_too_many_siblings_is_refused() -> None:
    with pytest.raises(ValueError, match="duration must be"):
        leaderless.simulate(merge="siblings", keys=1, write_rate=2000.0, read_rate=0.0, duration=10_000.0)


# -- the sibling sets themselves ----------------------------------------------------------------

_steps = st.lists(
    st.tuples(st.sampled_from(NODES), st.sets(st.integers(0, 30), max_size=4)), min_size=1, max_size=12
)


def _sets(steps: list[tuple[str, set[int]]]) -> list[dotted.SiblingSet]:
    """Replica states after each write; a write's context is the merge of some earlier states (its read)."""
    replicas = dict.fromkeys(NODES, EMPTY)
    states: list[dotted.SiblingSet] = []
    for i, (node, seen) in enumerate(steps):
        read = merge(*(states[j] for j in sorted(seen) if j < len(states)))
        replicas[node] = new_version(replicas[node], node, read.context, op_id=i, stamp=(float(i), i))
        states.append(replicas[node])
    return states


@settings(max_examples=100, deadline=None)
@given(steps=_steps, order=st.randoms(use_true_random=False))
def test_merges_commute_associate_and_are_idempotent(steps: list[tuple[str, set[int]]], order: Any) -> None:
    states = _sets(steps)
    shuffled = list(states)
    order.shuffle(shuffled)
    assert merge(*states) == merge(*shuffled)
    assert merge(merge(*states[:2]), *states[2:]) == merge(*states)
    assert merge(*states, *states) == merge(*states)
    kept = merge(*states).versions
    for a, b in itertools.permutations(kept, 2):
        assert not a.replaced_by(b)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), f=faults, quorum=st.sampled_from([(1, 1), (2, 2), (1, 3)]))
def test_a_context_claims_only_writes_its_client_had_read_or_their_past(
    seed: int, f: dict[str, Any], quorum: tuple[int, int]
) -> None:
    """No write replaces one its client never saw: a vector {A: 3} never claims an unseen A:1."""
    run = _run(seed, f, r=quorum[0], w=quorum[1])
    ops = run.ops
    writes = _writes(run)
    reads = ops[(ops["kind"] == "read") & ops["ok"]]
    informed = 0
    for op_id, w in writes.iterrows():
        same = writes[writes["key"] == w["key"]]
        claimed = {x for x, v in same.iterrows() if x != op_id and dotted.covers(w["vv"], v["dot"])}
        mine = reads[
            (reads["client"] == w["client"]) & (reads["key"] == w["key"]) & (reads["end"] <= w["start"])
        ]
        history = {x for got in mine["returned"] for x in got}
        grew = True
        while grew:  # the causal past of what was returned, transitively
            more = {
                x
                for x, v in same.iterrows()
                if any(dotted.covers(same.loc[h, "vv"], v["dot"]) for h in history)
            }
            grew = not more <= history
            history |= more
        assert claimed <= history, (op_id, sorted(claimed - history))
        informed += bool(claimed)
    assert informed  # some writes did read first, and replaced what they had read
