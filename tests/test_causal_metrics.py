"""Tests of the causal definitions of replnb.metrics: laws, a reference model, DDIA scenarios."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replnb import metrics as m
from replnb.engine.clocks import VersionVector

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NODES = ("A", "B", "C")

vectors = st.dictionaries(st.sampled_from(NODES), st.integers(0, 4)).map(VersionVector.of)


# ---------------------------------------------------------------- version vectors


@FAST
@given(vectors, vectors, vectors)
def test_version_vector_order_is_a_partial_order(a, b, c):
    assert not a < a
    if a <= b and b <= a:
        assert a == b
    if a < b:
        assert not b < a
    # chains built by merging, so the premise of transitivity holds
    ab, abc = a.merge(b), a.merge(b).merge(c)
    assert a <= ab <= abc and a <= abc
    if a <= b and b <= c:
        assert a <= c


@FAST
@given(vectors, vectors, vectors)
def test_merge_is_commutative_associative_idempotent(a, b, c):
    assert a.merge(b) == b.merge(a)
    assert a.merge(b).merge(c) == a.merge(b.merge(c))
    assert a.merge(a) == a
    assert a <= a.merge(b) and b <= a.merge(b)


# ---------------------------------------------------------------- a reference model


@dataclass
class History:
    """A random run of replicas holding one key, with the ground truth of who had applied what."""

    ops: list[dict[str, Any]] = field(default_factory=list)
    past: dict[int, frozenset[int]] = field(default_factory=dict)  # write -> writes applied before it
    history: dict[int, frozenset[int]] = field(default_factory=dict)  # read -> what it saw, closed

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.ops)


def build(steps: list[tuple], dotted: bool) -> History:
    """Run ``steps``: ("write", node, client, ok), ("sync", src, dst), ("read", node, client).

    Each replica's applied set is downward closed, so its version vector is
    the highest counter per accepting replica in it. With ``dotted`` a
    write's ``vv`` leaves its own dot out (a dotted version vector).
    """
    h = History()
    applied: dict[str, set[int]] = {n: set() for n in NODES}
    dot_of: dict[int, tuple[str, int]] = {}
    counter = dict.fromkeys(NODES, 0)

    def vector(ids: set[int]) -> dict[str, int]:
        vv: dict[str, int] = {}
        for w in ids:
            node, c = dot_of[w]
            vv[node] = max(vv.get(node, 0), c)
        return vv

    for t, step in enumerate(steps):
        op_id = len(h.ops)
        if step[0] == "write":
            _, node, client, ok = step
            counter[node] += 1
            dot_of[op_id] = (node, counter[node])
            h.past[op_id] = frozenset(applied[node])
            context = vector(applied[node])
            applied[node].add(op_id)
            vv = context if dotted else vector(applied[node])
            h.ops.append(
                dict(
                    op_id=op_id,
                    kind="write",
                    key="x",
                    client=client,
                    start=float(t),
                    end=t + 0.5 if ok else math.nan,
                    ok=ok,
                    dot=dot_of[op_id],
                    vv=vv,
                    returned=None,
                )
            )
        elif step[0] == "sync":
            applied[step[2]] |= applied[step[1]]
        else:
            _, node, client = step
            held = applied[node]
            top = tuple(sorted(w for w in held if not any(w in h.past[v] for v in held)))
            h.history[op_id] = frozenset(held)
            h.ops.append(
                dict(
                    op_id=op_id,
                    kind="read",
                    key="x",
                    client=client,
                    start=float(t),
                    end=t + 0.5,
                    ok=True,
                    dot=None,
                    vv=None,
                    returned=top,
                )
            )
    # a write that no replica accepted: never acknowledged, never in anything's past
    h.ops.append(
        dict(
            op_id=len(h.ops),
            kind="write",
            key="x",
            client="z",
            start=0.0,
            end=math.nan,
            ok=False,
            dot=None,
            vv=None,
            returned=None,
        )
    )
    return h


clients = st.sampled_from(["c1", "c2"])
nodes = st.sampled_from(NODES)
step = st.one_of(
    st.tuples(st.just("write"), nodes, clients, st.booleans()),
    st.tuples(st.just("sync"), nodes, nodes),
    st.tuples(st.just("read"), nodes, clients),
)
histories = st.builds(build, st.lists(step, min_size=1, max_size=25), st.booleans())


@st.composite
def settled(draw):
    """A history with at least one write, a final state and a set discarded by failover."""
    h = draw(histories.filter(lambda h: len(h.past) > 0))
    writes = sorted(h.past)
    if draw(st.booleans()):  # keep the siblings: the maximal writes
        final = [w for w in writes if not any(w in h.past[v] for v in writes)]
    else:
        final = sorted(draw(st.sets(st.sampled_from(writes), min_size=1)))
    discarded = draw(st.sets(st.sampled_from(writes)))
    return h, final, discarded


def reference_lost(h: History, final, discarded) -> dict[int, str | None]:
    """The definition, on ground-truth sets: for each acknowledged write, its cause of loss or None."""
    out: dict[int, str | None] = {}
    for op in h.ops:
        if op["kind"] != "write" or not op["ok"]:
            continue
        w = op["op_id"]
        if w in final or any(w in h.past[s] for s in final):
            out[w] = None
        elif w in discarded:
            out[w] = "failover"
        elif all(s in h.past[w] for s in final):  # every survivor came before it: timestamps kept it
            out[w] = "older_write_won"
        else:  # some survivor is concurrent with it (it is in no survivor's past)
            out[w] = "concurrent"
    return out


@FAST
@given(histories)
def test_happens_before_matches_what_the_replica_had_applied(h):
    writes = [op for op in h.ops if op["kind"] == "write" and op["dot"] is not None]
    for w in writes:
        for v in writes:
            got = m.happens_before(w["dot"], v["dot"], v["vv"])
            assert got == (w["op_id"] in h.past[v["op_id"]])
            assert m.concurrent(w["dot"], w["vv"], v["dot"], v["vv"]) == (
                w is not v and not got and v["op_id"] not in h.past[w["op_id"]]
            )
            assert not (got and m.happens_before(v["dot"], w["dot"], w["vv"]))  # antisymmetric


@FAST
@given(histories)
def test_conflicts_count_concurrent_pairs(h):
    ids = sorted(h.past)
    expected = sum(1 for i in ids for j in ids if i < j and i not in h.past[j] and j not in h.past[i])
    assert m.conflicts(h.frame()) == expected


@FAST
@given(settled())
def test_lost_writes_match_the_definition(case):
    h, final, discarded = case
    got = m.causal_lost_writes(h.frame(), {"x": final}, discarded)
    expected = reference_lost(h, final, discarded)
    assert got["op_id"].tolist() == list(expected)
    assert got["lost_cause"].tolist() == list(expected.values())
    assert got["lost"].tolist() == [c is not None for c in expected.values()]


@FAST
@given(settled())
def test_every_acked_write_survives_is_covered_or_is_lost_with_one_cause(case):
    h, final, discarded = case
    got = m.causal_lost_writes(h.frame(), {"x": final}, discarded).set_index("op_id")
    acked = {op["op_id"] for op in h.ops if op["kind"] == "write" and op["ok"]}
    assert set(got.index) == acked
    for w, row in got.iterrows():
        kept = w in final or any(w in h.past[s] for s in final)
        assert kept != row["lost"]
        assert (row["lost_cause"] in m.LOST_CAUSES) == row["lost"]
        if kept:  # overwritten by a write that had seen it: not lost
            assert row["lost_cause"] is None


@FAST
@given(settled())
def test_stale_reads_match_the_definition_and_never_count_lost_writes(case):
    h, final, discarded = case
    ops = h.frame()
    stale = m.causal_stale_reads(ops, {"x": final}, discarded)
    lost = {w for w, cause in reference_lost(h, final, discarded).items() if cause}
    writes = ops[(ops["kind"] == "write") & ops["ok"]]
    reads = ops[ops["kind"] == "read"]
    expected = [
        any(
            w not in lost and end < start and w not in h.history[r]
            for w, end in zip(writes["op_id"], writes["end"], strict=True)
        )
        for r, start in zip(reads["op_id"], reads["start"], strict=True)
    ]
    assert stale.tolist() == expected
    # withdrawing the acknowledgement of every lost write changes no verdict
    unacked = ops.assign(ok=ops["ok"] & ~ops["op_id"].isin(list(lost)))
    assert m.causal_stale_reads(unacked, {"x": final}, discarded).tolist() == expected


@FAST
@given(histories)
def test_ryw_violations_match_the_definition(h):
    ops = h.frame()
    writes = [op for op in h.ops if op["kind"] == "write" and op["ok"]]
    reads = [op for op in h.ops if op["kind"] == "read"]
    expected = [
        any(
            w["client"] == r["client"] and w["end"] < r["start"] and w["op_id"] not in h.history[r["op_id"]]
            for w in writes
        )
        for r in reads
    ]
    assert m.causal_ryw_violations(ops).tolist() == expected


@FAST
@given(histories)
def test_monotonic_violations_match_the_definition(h):
    reads = [op for op in h.ops if op["kind"] == "read"]
    expected = []
    for i, r in enumerate(reads):
        mine = h.history[r["op_id"]]
        expected.append(any(mine < h.history[p["op_id"]] for p in reads[:i] if p["client"] == r["client"]))
    assert m.causal_monotonic_violations(h.frame()).tolist() == expected


@FAST
@given(histories)
def test_consistent_prefix_with_every_dependency(h):
    depends = {w: sorted(p) for w, p in h.past.items() if p}
    expected = []
    seen: dict[str, set[int]] = {}
    for r in (op for op in h.ops if op["kind"] == "read"):
        mine = seen.setdefault(r["client"], set())
        mine |= h.history[r["op_id"]]
        required = {w for v in mine for w in depends.get(v, ())}
        expected.append(not required <= h.history[r["op_id"]])
    assert m.consistent_prefix_violations(h.frame(), depends).tolist() == expected


# ---------------------------------------------------------------- hand-made scenarios (DDIA chapter 5)


def write(op_id, dot, vv, key="x", client="c", end=1.0, ok=True):
    return dict(
        op_id=op_id,
        kind="write",
        key=key,
        client=client,
        start=end - 0.5,
        end=end,
        ok=ok,
        dot=dot,
        vv=vv,
        returned=None,
    )


def read(op_id, returned, key="x", client="r", start=10.0):
    return dict(
        op_id=op_id,
        kind="read",
        key=key,
        client=client,
        start=start,
        end=start + 0.5,
        ok=True,
        dot=None,
        vv=None,
        returned=returned,
    )


def test_single_leader_serialises_three_clients_without_loss():
    stamps = m.log_stamps(["e1", "e1", "e1"])
    ops = pd.DataFrame([write(i, dot, vv, client=f"c{i}", end=1.0 + i) for i, (dot, vv) in enumerate(stamps)])
    lost = m.causal_lost_writes(ops, {"x": [2]})
    assert not lost["lost"].any() and lost["lost_cause"].isna().all()
    assert m.conflicts(ops) == 0


def test_lww_on_two_concurrent_writes_loses_one():
    # two leaders accept a write each, neither having seen the other; LWW keeps the larger timestamp
    ops = pd.DataFrame([write(1, ("A", 1), {"A": 1}), write(2, ("B", 1), {"B": 1})])
    stamp = {1: 100.0, 2: 101.0}
    survivor = max(stamp, key=stamp.__getitem__)
    lost = m.causal_lost_writes(ops, {"x": [survivor]})
    assert lost["lost"].tolist() == [True, False]
    assert lost["lost_cause"].tolist() == ["concurrent", None]
    assert m.conflicts(ops) == 1


def test_skewed_lww_lets_the_older_write_win():
    # write 1 is accepted by A (clock ahead), replicates to B; write 2 at B had seen it,
    # but B's clock is behind, so its timestamp is smaller and LWW keeps write 1
    ops = pd.DataFrame([write(1, ("A", 1), {"A": 1}, end=1.0), write(2, ("B", 1), {"A": 1, "B": 1}, end=3.0)])
    stamp = {1: 1.0 + 50.0, 2: 3.0 - 40.0}
    survivor = max(stamp, key=stamp.__getitem__)
    lost = m.causal_lost_writes(ops, {"x": [survivor]})
    assert lost["lost_cause"].tolist() == [None, "older_write_won"]
    assert m.conflicts(ops) == 0  # no conflict: the two writes are ordered


def test_failover_discards_the_unreplicated_tail():
    # leader e1 appends 0, 1, 2; its follower had 0 and 1 when it took over as e2 and appended 3
    old, new = m.log_stamps(["e1"] * 3), m.log_stamps(["e1", "e1", "e2"])
    rows = [write(i, dot, vv, end=1.0 + i) for i, (dot, vv) in enumerate(old)]
    rows.append(write(3, *new[2], end=5.0))
    ops = pd.DataFrame(rows)
    lost = m.causal_lost_writes(ops, {"x": [3]}, discarded={2})
    assert lost["lost_cause"].tolist() == [None, None, "failover", None]
    # the definition alone calls 2 concurrent with 3: the failover fact decides the cause
    assert m.causal_lost_writes(ops, {"x": [3]})["lost_cause"].tolist() == [None, None, "concurrent", None]
    # failover takes precedence over older_write_won as well
    assert m.causal_lost_writes(ops, {"x": [0]}, discarded={1, 2})["lost_cause"].tolist() == [
        None,
        "failover",
        "failover",
        "older_write_won",
    ]


def test_a_loss_without_a_cause_is_refused():
    ops = pd.DataFrame([write(1, ("A", 1), {"A": 1}, key="y")])
    with pytest.raises(ValueError, match="final: key 'y' has no surviving write"):
        m.causal_lost_writes(ops, {})
    assert m.causal_lost_writes(ops, {}, discarded=[1])["lost_cause"].tolist() == ["failover"]


def test_a_read_missing_only_a_lost_write_is_not_stale():
    ops = pd.DataFrame([write(1, ("A", 1), {"A": 1}), write(2, ("B", 1), {"B": 1}), read(3, (2,))])
    assert m.causal_stale_reads(ops, {"x": [2]}).tolist() == [False]  # 1 is lost
    assert m.causal_stale_reads(ops, {"x": [1, 2]}).tolist() == [True]  # 1 survives as a sibling


def test_siblings_and_dotted_contexts():
    # (A,1) and (B,1) are concurrent siblings; then A accepts (A,2) from a client whose context was
    # only (B,1): the dotted vector leaves (A,2)'s own dot out, so (A,1) stays out of its past
    ops = pd.DataFrame(
        [
            write(1, ("A", 1), {}),
            write(2, ("B", 1), {}),
            write(3, ("A", 2), {"B": 1}),
            read(4, (1, 3), client="r", start=10.0),
            read(5, (3,), client="r", start=11.0),
        ]
    )
    assert m.happens_before(("B", 1), ("A", 2), {"B": 1})
    assert not m.happens_before(("A", 1), ("A", 2), {"B": 1})
    assert m.conflicts(ops) == 2  # 1 ∥ 2 and 1 ∥ 3
    assert m.causal_lost_writes(ops, {"x": [1, 3]})["lost"].tolist() == [False, False, False]
    assert m.causal_monotonic_violations(ops).tolist() == [False, True]  # dropped sibling 1


def test_consistent_prefix_across_keys():
    # Mr. Poons asks (1, key q); Mrs. Cake answers having seen it (2, key a); an observer reads both
    ops = pd.DataFrame(
        [
            write(1, ("A", 1), {"A": 1}, key="q", client="poons"),
            write(2, ("B", 1), {"B": 1}, key="a", client="cake"),
            read(3, (), key="q", client="obs", start=10.0),  # before seeing the answer: fine
            read(4, (2,), key="a", client="obs", start=11.0),
            read(5, (), key="q", client="obs", start=12.0),  # answer without question
            read(6, (1,), key="q", client="obs", start=13.0),
            read(7, (), key="q", client="other", start=14.0),  # never saw the answer
        ]
    )
    assert m.consistent_prefix_violations(ops, {2: [1]}).tolist() == [False, False, True, False, False]
    assert not m.consistent_prefix_violations(ops, {}).any()


def test_ryw_and_monotonic_scenarios():
    ops = pd.DataFrame(
        [
            write(1, ("A", 1), {"A": 1}, client="me", end=1.0),
            write(2, ("A", 2), {"A": 2}, client="you", end=2.0),
            read(3, (2,), client="me", start=3.0),  # sees 2, which had seen 1
            read(4, (), client="me", start=4.0),  # misses own write 1
            read(5, (1,), client="you", start=5.0),  # misses own write 2
            read(6, (2,), client="you", start=6.0),
            read(7, (1,), client="you", start=7.0),  # older than 2, read before
        ]
    )
    assert m.causal_ryw_violations(ops).tolist() == [False, True, True, False, True]
    assert m.causal_monotonic_violations(ops).tolist() == [False, True, False, False, True]


# ---------------------------------------------------------------- convergence by identity


def versions(*rows, column="held"):
    return pd.DataFrame([dict(time=t, node=n, key=k, value="same", **{column: h}) for t, n, k, h in rows])


@FAST
@given(st.lists(st.integers(1, 5), min_size=2, max_size=2, unique=True))
def test_equal_values_from_different_writes_are_not_converged(ids):
    v = versions((1.0, "A", "x", ids[0]), (2.0, "B", "x", ids[1]), column="op_id")
    assert not m.converged_by_identity(v, ["A", "B"])
    assert m.convergence_time_by_identity(v, ["A", "B"], last_ack=0.0) == math.inf
    assert m.converged_by_identity(v.assign(op_id=ids[0]), ["A", "B"])


def reference_agreement(v: pd.DataFrame, live: list[str]) -> float | None:
    """Rebuild every replica's state from scratch at each instant; the start of the final agreement."""
    since: float | None = -math.inf
    v = v.sort_values("time", kind="stable")
    for t in sorted(set(v["time"])):
        upto = v[v["time"] <= t]
        state = {}
        for n in live:
            mine = upto[upto["node"] == n]
            state[n] = {k: frozenset(g["held"].iloc[-1]) for k, g in mine.groupby("key")}
            state[n] = {k: s for k, s in state[n].items() if s}
        agree = all(s == state[live[0]] for s in state.values())
        since = None if not agree else (since if since is not None else t)
    return since


changes = st.lists(
    st.tuples(
        st.integers(0, 6).map(float),
        nodes,
        st.sampled_from(["x", "y"]),
        st.frozensets(st.integers(1, 3), max_size=2),
    ),
    max_size=12,
)


@FAST
@given(changes, st.sets(nodes, min_size=1), st.floats(0, 8), st.one_of(st.none(), st.floats(0, 8)))
def test_convergence_time_is_never_negative_and_inf_when_never_agreeing(rows, live, ack, heal):
    v = versions(*rows) if rows else pd.DataFrame(columns=["time", "node", "key", "held"])
    live = sorted(live)
    got = m.convergence_time_by_identity(v, live, last_ack=ack, last_heal=heal)
    expected = reference_agreement(v, live) if rows else -math.inf
    assert got >= 0
    assert (got == math.inf) == (expected is None)
    assert m.converged_by_identity(v, live) == (expected is not None)
    if expected is not None:
        assert got == max(0.0, expected - max(ack, heal if heal is not None else -math.inf))


def test_convergence_time_scenario():
    v = versions((1.0, "A", "x", (1,)), (2.0, "B", "x", (2,)), (6.0, "B", "x", (1,)), (7.0, "C", "x", (9,)))
    assert m.convergence_time_by_identity(v, ["A", "B"], last_ack=1.0) == 5.0
    assert m.convergence_time_by_identity(v, ["A", "B"], last_ack=1.0, last_heal=3.0) == 3.0
    assert m.convergence_time_by_identity(v, ["A", "B"], last_ack=9.0) == 0.0  # agreed before: not negative
    # C holds another write
    assert m.convergence_time_by_identity(v, ["A", "B", "C"], last_ack=1.0) == math.inf
    assert m.convergence_time_by_identity(v, [], last_ack=1.0) == math.inf


# ---------------------------------------------------------------- bad input


GOOD = pd.DataFrame([write(1, ("A", 1), {"A": 1}), read(2, (1,))])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: m.causal_lost_writes("ops", {"x": [1]}), "ops must be a pandas DataFrame"),
        (lambda: m.causal_lost_writes(GOOD.drop(columns="dot"), {"x": [1]}), "ops lacks the column"),
        (lambda: m.causal_lost_writes(GOOD.assign(dot=[("A", 0), None]), {}), "ops: the dot of write 1"),
        (lambda: m.causal_lost_writes(GOOD.assign(dot=["A1", None]), {}), "ops: the dot"),
        (lambda: m.causal_lost_writes(GOOD.assign(vv=[{"A": -1}, None]), {}), "ops: the vv of write 1"),
        (lambda: m.causal_lost_writes(GOOD.assign(vv=[[1], None]), {}), "ops: the vv of write 1"),
        (lambda: m.causal_lost_writes(GOOD.assign(dot=None), {}), "ops: acknowledged write 1 has no dot"),
        (lambda: m.causal_lost_writes(GOOD.assign(end=["late", 1.0]), {}), "ops: the end of write 1"),
        (lambda: m.causal_lost_writes(GOOD, [1]), "final must be a mapping"),
        (lambda: m.causal_lost_writes(GOOD, {"x": [7]}), "final: 7 is not an accepted write"),
        (lambda: m.causal_lost_writes(GOOD, {"x": "1"}), "final: the survivors of key 'x'"),
        (lambda: m.causal_lost_writes(GOOD, {"x": [1]}, discarded=5), "discarded"),
        (
            lambda: m.causal_stale_reads(GOOD.assign(returned=[None, "1"]), {"x": [1]}),
            "ops: returned of read 2",
        ),
        (lambda: m.causal_ryw_violations(GOOD.assign(returned=[None, (9,)])), "ops: read 2 returned 9"),
        (lambda: m.causal_monotonic_violations(GOOD.drop(columns="returned")), "ops lacks the column"),
        (lambda: m.consistent_prefix_violations(GOOD, [(1, 2)]), "depends_on must be a mapping"),
        (lambda: m.consistent_prefix_violations(GOOD, {1: [8]}), "depends_on: 8 is not an accepted write"),
        (
            lambda: m.conflicts(GOOD.assign(kind="write", dot=[("A", 1), ("A", 1)], vv=[{"A": 1}] * 2)),
            "ops: two writes of one key share",
        ),
        (lambda: m.happens_before(("A", 1), ("B", 1), {"A": "1"}), "v_vv"),
        (lambda: m.happens_before(("A", 1.5), ("B", 1), {}), "w_dot"),
        (lambda: m.converged_by_identity(pd.DataFrame({"time": [1.0]}), ["A"]), "versions lacks the column"),
        (lambda: m.converged_by_identity(versions((1.0, "A", "x", (1,))), "A"), "live must be a collection"),
        (lambda: m.convergence_time_by_identity(versions((1.0, "A", "x", 1)), ["A"], 0.0), "versions: held"),
        (lambda: m.convergence_time_by_identity(versions((1.0, "A", "x", (1,))), ["A"], "0"), "last_ack"),
        (lambda: m.log_stamps(["e1", 2]), "epochs"),
        (lambda: m.causal_ryw_violations(pd.concat([GOOD, GOOD.iloc[1:]])), "ops: the index must be unique"),
    ],
)
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_existing_definitions_are_unchanged():
    # the old true-time verdicts still stand beside the causal ones
    ops = pd.DataFrame(
        {
            "op_id": [0, 1, 2],
            "kind": "write",
            "key": "x",
            "start": [0.0, 10.0, 1.0],
            "end": [1.0, 11.0, 2.0],
            "ok": True,
        }
    )
    assert m.lost_writes(ops, {"x": 0}).tolist() == [False, True, True]
    assert np.isinf(
        m.convergence_time(
            pd.DataFrame({"time": [1.0], "node": ["A"], "key": "x"}),
            pd.DataFrame({"x": [1, 2]}, index=["A", "B"]),
            ["A", "B"],
            1.0,
        )
    )


def test_reads_compare_within_their_key_and_strictly_after_the_ack():
    ops = pd.DataFrame(
        [
            write(1, ("A", 1), {"A": 1}, key="x", client="me", end=1.0),
            write(2, ("A", 2), {"A": 2}, key="y", client="me", end=2.0),
            read(3, (1,), key="x", client="me", start=3.0),
            read(4, (), key="y", client="other", start=2.0),  # 2 was acknowledged at this very instant
            read(5, (), key="x", client="other", start=3.0),  # but 1 was acknowledged before this read
        ]
    )
    # after reading 1 from x, an empty read of y is not older: it is another key
    later = pd.concat(
        [ops.iloc[:3], pd.DataFrame([read(6, (), key="y", client="me", start=4.0)])], ignore_index=True
    )
    assert m.causal_monotonic_violations(later).tolist() == [False, False]
    assert m.causal_stale_reads(ops, {"x": [1], "y": [2]}).tolist() == [False, False, True]
    assert m.causal_ryw_violations(ops.assign(client="me")).tolist() == [False, False, True]


def test_the_columns_each_function_needs():
    minimal = pd.DataFrame(
        {
            "op_id": [1, 2],
            "kind": "write",
            "key": "x",
            "ok": True,
            "dot": [("A", 1), ("B", 1)],
            "vv": [{"A": 1}, {"B": 1}],
        }
    )
    assert m.causal_lost_writes(minimal, {"x": [1, 2]})["lost"].tolist() == [False, False]
    assert m.conflicts(minimal) == 1
    reads = pd.concat([minimal, pd.DataFrame([read(3, (1,))]).drop(columns="end")], ignore_index=True)
    assert m.causal_monotonic_violations(reads).tolist() == [False]
    assert m.consistent_prefix_violations(reads, {}).tolist() == [False]
    with pytest.raises(ValueError, match="ops lacks the column"):
        m.causal_stale_reads(reads, {"x": [1, 2]})


def test_per_key_vectors_may_reuse_dots_across_keys():
    # per-key counters: A's first write of q, of a and of b all have the dot (A, 1)
    ops = pd.DataFrame(
        [
            write(1, ("A", 1), {"A": 1}, key="q"),
            write(2, ("A", 1), {"A": 1}, key="a"),
            write(3, ("A", 1), {"A": 1}, key="b"),
            read(4, (3,), key="b", client="obs", start=10.0),  # b's (A, 1) is not a's (A, 1)
            read(5, (), key="q", client="obs", start=11.0),
        ]
    )
    assert m.conflicts(ops) == 0
    assert not m.causal_lost_writes(ops, {"q": [1], "a": [2], "b": [3]})["lost"].any()
    assert m.consistent_prefix_violations(ops, {2: [1]}).tolist() == [False, False]


def test_causal_verdicts_and_figures_agree_with_each_definition() -> None:
    """The one entry point the models call gives exactly the separate verdicts and their counts."""
    ops = pd.DataFrame(
        {
            "op_id": [1, 2, 3, 4, 5, 6],
            "kind": ["write", "write", "write", "read", "read", "read"],
            "key": ["x", "x", "y", "x", "x", "y"],
            "client": ["c1", "c2", "c1", "c1", "c1", "c2"],
            "start": [0.0, 0.5, 0.0, 5.0, 7.0, 9.0],
            "end": [1.0, 1.5, 1.0, 6.0, 8.0, 10.0],
            "ok": True,
            "dot": [("A", 1), ("B", 1), ("A", 2), None, None, None],
            "vv": [{"A": 1}, {"B": 1}, {"A": 2}, None, None, None],
            "returned": [None, None, None, (2,), (1, 2), ()],
        }
    )
    final = {"x": [2], "y": [3]}
    verdicts = m.causal_verdicts(ops, final)
    lost = m.causal_lost_writes(ops, final)
    assert verdicts.loc[lost.index, "lost"].tolist() == lost["lost"].tolist() == [True, False, False]
    assert verdicts["stale"].tolist() == [False] * 5 + [True]  # y's acknowledged write 3 was missed
    assert verdicts["monotonic_violation"].tolist() == m.causal_monotonic_violations(ops).reindex(
        ops.index, fill_value=False
    ).tolist()
    figures = m.causal_figures(ops, verdicts)
    assert set(figures) == set(m.CAUSAL_FIGURES)
    assert (figures["lost_writes"], figures["lost_concurrent"], figures["stale_reads"]) == (1, 1, 1)
    assert figures["conflicts"] == m.conflicts(ops) == 1


def test_consistent_prefix_when_a_write_is_the_dependency_of_several():
    """w0 is a dependency of w1 and of w3: a read that returned w0 itself never misses it."""
    h = build(
        [
            ("write", "A", "c1", False),
            ("sync", "A", "B"),
            ("write", "A", "c1", False),
            ("read", "A", "c1"),
            ("write", "A", "c1", False),
            ("read", "B", "c1"),
        ],
        True,
    )
    depends = {w: sorted(p) for w, p in h.past.items() if p}
    assert depends == {1: [0], 3: [0, 1]}
    assert m.consistent_prefix_violations(h.frame(), depends).tolist() == [False, False]


def test_a_run_without_operations_has_zero_conflicts() -> None:
    """A run whose clients issued nothing (no ``dot``/``vv`` columns recorded) counts zero, not an error."""
    from replnb import multi_leader

    run = multi_leader.simulate(leaders=2, resolver="lww", duration=150.0, seed=1245)
    assert len(run.ops) == 0
    assert m.conflicts(run.ops) == run.metrics["conflicts"] == 0
