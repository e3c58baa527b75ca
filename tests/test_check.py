"""The linearizability checker (replnb.check) against a brute force, known histories and real runs."""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replnb import leaderless, multi_leader, single_leader
from replnb.check import CheckResult, check

NAN = math.nan
Row = dict[str, Any]


def history(*ops: tuple[Any, ...], key: str = "x") -> pd.DataFrame:
    """``(kind, value, start, end)`` or ``(kind, value, start, end, ok)`` tuples as a run.ops table."""
    rows = []
    for op_id, op in enumerate(ops):
        kind, value, start, end = op[:4]
        ok = op[4] if len(op) > 4 else not math.isnan(end)
        rows.append(
            {"op_id": op_id, "kind": kind, "key": key, "value": value, "start": start, "end": end, "ok": ok}
        )
    return frame(rows)


def frame(rows: Sequence[Row]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=["op_id", "kind", "key", "value", "start", "end", "ok", "op"])
    df["value"] = pd.Series([r["value"] for r in rows], dtype=object)
    df["start"] = df["start"].astype(float)
    df["end"] = df["end"].astype(float)
    df["ok"] = df["ok"].astype(bool)
    if all("op" not in r for r in rows):
        df = df.drop(columns="op")
    return df


# -- a brute force: every order that respects real time, every choice of writes to leave out ----------
def _done(row: Row) -> bool:
    return bool(row["ok"]) and not math.isnan(row["end"])


def _apply(state: Any, row: Row, is_set: bool) -> tuple[bool, Any]:
    """(legal, new state) of one operation on a register (None: never written) or a set."""
    value = row["value"]
    if row["kind"] == "read":
        seen = frozenset(value or ()) if is_set else value
        return seen == state, state
    if not is_set:
        return True, value
    return True, state | {value} if row["op"] == "add" else state - {value}


def _orders(rows: list[Row]) -> Any:
    """Every order of ``rows`` in which no operation comes after one that began after it ended."""
    if not rows:
        yield []
        return
    for i, row in enumerate(rows):
        rest = rows[:i] + rows[i + 1 :]
        if all(not other["end"] < row["start"] for other in rest):
            for tail in _orders(rest):
                yield [row, *tail]


def brute_key(rows: list[Row], is_set: bool) -> bool:
    reads = [r for r in rows if r["kind"] == "read" and _done(r)]
    sure = [r for r in rows if r["kind"] == "write" and _done(r)]
    maybe = [dict(r, end=math.inf) for r in rows if r["kind"] == "write" and not _done(r)]
    for keep in itertools.product([False, True], repeat=len(maybe)):
        chosen = reads + sure + [r for r, k in zip(maybe, keep, strict=True) if k]
        for order in _orders(chosen):
            state: Any = frozenset() if is_set else None
            for row in order:
                legal, state = _apply(state, row, is_set)
                if not legal:
                    break
            else:
                return True
    return False


def brute(rows: list[Row], is_set: bool | None = None) -> bool:
    keys = sorted({r["key"] for r in rows})
    if is_set is None:
        is_set = any(r.get("op") in ("add", "remove") for r in rows)
    return all(brute_key([r for r in rows if r["key"] == k], is_set) for k in keys)


def explained(rows: list[Row], is_set: bool) -> Any:
    """Whether a read's value could come from the writes among ``rows`` (or is the initial one)."""
    if is_set:
        added = {r["value"] for r in rows if r["kind"] == "write" and r["op"] == "add"}
        return lambda read: set(read["value"] or ()) <= added
    written = {r["value"] for r in rows if r["kind"] == "write"}
    return lambda read: read["value"] is None or read["value"] in written


def remove_one(rows: list[Row], op_id: int, is_set: bool) -> list[Row]:
    """``rows`` without ``op_id`` and without the reads that only it explained."""
    rest = [r for r in rows if r["op_id"] != op_id]
    before, after = explained(rows, is_set), explained(rest, is_set)
    return [r for r in rest if r["kind"] == "write" or after(r) or not before(r)]


def assert_minimal_witnesses(result: CheckResult, rows: list[Row]) -> None:
    by_id = {r["op_id"]: r for r in rows}
    for key in result.failures:
        assert key.minimal
        witness = [by_id[i] for i in key.witness]
        is_set = key.model == "set"
        assert not brute(witness, is_set), key
        for i in key.witness:
            rest = remove_one(witness, i, is_set)
            assert brute(rest, is_set), (key, i)
        named = {int(name[1:]) for name in re.findall(r"\b[rw]\d+\b", key.reason)}
        assert named and named <= set(key.witness), key.reason  # the reason names witness ops only
        ends = {r["op_id"]: r["end"] if _done(r) else math.inf for r in witness}
        starts = {r["op_id"]: r["start"] for r in witness}
        assert set(key.precedes) == {(a, b) for a in key.witness for b in key.witness if ends[a] < starts[b]}


@st.composite
def histories(draw: st.DrawFn, is_set: bool = False) -> list[Row]:
    keys = draw(st.sampled_from([["x"], ["x", "y"]]))
    rows = []
    for op_id in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["read", "write"]))
        start = float(draw(st.integers(0, 12)))
        end = start + draw(st.integers(0, 6))
        fate = draw(st.sampled_from(["ok", "ok", "ok", "failed", "pending"]))
        row: Row = {"op_id": op_id, "kind": kind, "key": draw(st.sampled_from(keys)), "start": start}
        row["end"], row["ok"] = (NAN, False) if fate == "pending" else (end, fate == "ok")
        if is_set:
            row["op"] = draw(st.sampled_from(["add", "add", "remove"])) if kind == "write" else "read"
            items = draw(st.sets(st.sampled_from("ab")))
            row["value"] = draw(st.sampled_from("ab")) if kind == "write" else tuple(sorted(items))
        else:
            row["value"] = (
                draw(st.integers(1, 3)) if kind == "write" else draw(st.sampled_from([None, 1, 2, 3]))
            )
        rows.append(row)
    return rows


FAST = settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(histories())
def test_register_verdict_agrees_with_the_brute_force(rows: list[Row]) -> None:
    result = check(frame(rows))
    assert result.linearizable is brute(rows)
    assert_minimal_witnesses(result, rows)


@settings(FAST, max_examples=200)
@given(histories(is_set=True))
def test_set_verdict_agrees_with_the_brute_force(rows: list[Row]) -> None:
    result = check(frame(rows))
    assert result.linearizable is brute(rows)
    assert_minimal_witnesses(result, rows)


# -- histories with known answers ----------------------------------------------------------------------
def test_a_stale_read_after_a_completed_write_is_not_linearizable() -> None:
    ops = history(("write", 1, 0, 1), ("write", 2, 2, 3), ("read", 1, 4, 5))
    result = check(ops)
    assert result.linearizable is False
    (key,) = result.failures
    assert key.witness == (0, 1, 2)
    assert key.precedes == ((0, 1), (0, 2), (1, 2))
    assert "read r2 returned 1 after write w1 of 2 completed" in key.reason
    assert result.reason.startswith("key 'x': read r2")


def test_readers_that_disagree_with_real_time_are_not_linearizable() -> None:
    # the write of 1 is in flight throughout: reader r1 sees it, the later reader r2 does not
    for end, ok in ((100.0, True), (NAN, False)):
        ops = history(("write", 1, 0, end, ok), ("read", 1, 10, 20), ("read", None, 30, 40))
        result = check(ops)
        assert result.linearizable is False
        (key,) = result.failures
        assert key.witness == (0, 1, 2)
        assert key.precedes == ((1, 2),)
        assert "read r2 returned None (never written) after read r1 had already returned 1" in key.reason


def test_an_incomplete_write_may_take_effect_late_or_never() -> None:
    seen_later = history(("write", 1, 0, NAN, False), ("read", None, 5, 6), ("read", 1, 50, 60))
    assert check(seen_later).linearizable is True
    never_seen = history(("write", 1, 0, 2, False), ("read", None, 50, 60))
    assert check(never_seen).linearizable is True
    seen_then_unseen = history(("write", 1, 0, NAN, False), ("read", 1, 50, 60), ("read", None, 70, 80))
    assert check(seen_then_unseen).linearizable is False


def test_concurrent_writes_may_be_read_in_either_order_but_not_both() -> None:
    writes = [("write", 1, 0, 10), ("write", 2, 0, 10)]
    assert check(history(*writes, ("read", 1, 20, 30))).linearizable is True
    assert check(history(*writes, ("read", 2, 20, 30))).linearizable is True
    flip = check(history(*writes, ("read", 2, 20, 30), ("read", 1, 40, 50)))
    assert flip.linearizable is False
    assert flip.failures[0].witness == (0, 1, 2, 3)


def test_failed_reads_are_dropped_and_never_written_is_none_or_nan() -> None:
    ops = history(("read", 99, 0, 1, False), ("read", None, 2, 3), ("read", NAN, 4, 5), ("write", 1, 6, 7))
    result = check(ops)
    assert result.linearizable is True
    assert result.keys[0].ops == 3


def test_an_empty_history_is_linearizable() -> None:
    result = check(pd.DataFrame(columns=["op_id", "kind", "key", "value", "start", "end", "ok"]))
    assert result.linearizable is True
    assert result.keys == ()
    assert result.summary().empty


def test_a_read_of_a_value_nobody_wrote_is_its_own_witness() -> None:
    result = check(history(("write", 1, 0, 1), ("read", 5, 2, 3)))
    assert result.failures[0].witness == (1,)
    assert result.failures[0].reason == "read r1 returned 5, which no write wrote"


def test_a_set_that_loses_an_added_item() -> None:
    spec = [("write", "add", "milk"), ("read", "read", ("milk",)), ("read", "read", ())]
    rows = [
        {
            "op_id": i,
            "kind": kind,
            "op": op,
            "key": "cart",
            "value": value,
            "start": 2 * i,
            "end": 2 * i + 1,
            "ok": True,
        }
        for i, (kind, op, value) in enumerate(spec)
    ]
    result = check(frame(rows))
    assert result.linearizable is False
    assert result.keys[0].model == "set"
    assert result.failures[0].witness == (0, 2)
    assert result.failures[0].reason == "read r2 lacked 'milk' after add w0 of it completed"


def test_the_result_is_deterministic_and_independent_of_row_order() -> None:
    run = single_leader.simulate(read_from="any", duration=300, seed=3)
    first = check(run.ops)
    again = check(run.ops.sample(frac=1.0, random_state=1))
    assert first == again
    assert first.linearizable is False


def test_a_value_that_comes_back_without_being_written_again() -> None:
    writes = [("write", 1, 0, 100), ("write", 2, 0, 100)]
    ops = history(*writes, ("read", 1, 10, 11), ("read", 2, 12, 13), ("read", 1, 14, 15))
    (key,) = check(ops).failures
    assert key.witness == (0, 1, 2, 3, 4)
    assert (
        key.reason
        == "read r3 returned 2 between reads r2 and r4, which both returned 1, and only write w0 wrote it"
    )


def test_summary_and_witness_ops_are_small_frames() -> None:
    ops = pd.concat([history(("write", 1, 0, 1), ("write", 2, 2, 3), ("read", 1, 4, 5))])
    other = history(("write", 7, 0, 1), key="y").assign(op_id=[10])
    result = check(pd.concat([ops, other], ignore_index=True))
    table = result.summary()
    assert table["key"].tolist() == ["x", "y"]
    assert table["linearizable"].tolist() == [False, True]
    rows = result.witness_ops()
    assert rows["op_id"].tolist() == [0, 1, 2]
    assert rows["precedes"].tolist() == [[1, 2], [2], []]
    assert result.witness_ops("y").empty
    assert "NOT linearizable" in result._repr_html_()


# -- budgets ---------------------------------------------------------------------------------------------
def _hard(writers: int = 40) -> pd.DataFrame:
    """Concurrent writes, then two reads no order can satisfy: the search has to try every subset."""
    writes = [("write", v, 0, 100) for v in range(1, writers + 1)]
    return history(*writes, ("read", 1, 200, 210), ("read", 2, 220, 230))


def test_a_budget_that_runs_out_gives_unknown_quickly() -> None:
    began = time.perf_counter()
    result = check(_hard(), budget=20_000)
    assert time.perf_counter() - began < 5.0
    assert result.linearizable is None
    assert result.keys[0].linearizable is None
    assert "budget of 20,000 steps ran out" in result.reason
    assert result.steps <= 20_000


def test_a_timeout_that_runs_out_gives_unknown() -> None:
    began = time.perf_counter()
    result = check(_hard(), budget=10_000_000, timeout=0.05)
    assert time.perf_counter() - began < 5.0
    assert result.linearizable is None
    assert "timeout of 0.05 s ran out" in result.reason


def test_a_failing_key_decides_even_when_another_is_unknown() -> None:
    stale = history(("write", 1, 0, 1), ("write", 2, 2, 3), ("read", 1, 4, 5), key="a")
    hard = _hard().assign(key="b", op_id=lambda df: df["op_id"] + 100)
    result = check(pd.concat([stale, hard], ignore_index=True), budget=5_000)
    assert [k.linearizable for k in result.keys] == [False, None]
    assert result.linearizable is False


def test_the_budget_covers_the_witness_search() -> None:
    run = single_leader.simulate(read_from="any", duration=2000, seed=2)
    full = check(run.ops)
    assert full.linearizable is False
    tight = check(run.ops, budget=max(1, full.steps - 1))
    assert tight.linearizable in (False, None)
    assert tight.steps <= full.steps - 1
    assert any(k.linearizable is None or not k.minimal for k in tight.keys)
    assert "ran out" in " ".join(k.reason for k in tight.keys)


# -- runs of the models ----------------------------------------------------------------------------------
def _rows(ops: pd.DataFrame) -> list[Row]:
    return ops.to_dict("records")  # type: ignore[return-value]


def test_single_leader_reads_from_the_leader_are_linearizable() -> None:
    run = single_leader.simulate(read_from="leader", duration=1000, seed=1)
    result = check(run.ops)
    assert result.linearizable is True
    assert sum(k.ops for k in result.keys) == len(run.ops)


def test_single_leader_async_follower_reads_are_not_and_the_witness_holds() -> None:
    run = single_leader.simulate(mode="async", read_from="any", duration=1000, seed=1)
    result = check(run.ops)
    assert result.linearizable is False
    assert result.failures
    for key in result.failures:
        rows = run.ops[run.ops["op_id"].isin(key.witness)]
        assert check(rows).linearizable is False
        assert 2 <= len(key.witness) <= 4
        assert "after" in key.reason
    assert_minimal_witnesses(result, _rows(run.ops))


def test_single_leader_failover_loses_acknowledged_writes() -> None:
    run = single_leader.simulate(failover_at=500, clients=8, keys=8, duration=1500, seed=0)
    assert run.metrics["lost_failover"] > 0
    assert (~run.ops["ok"]).any()  # writes during the failover fail: they may or may not have happened
    result = check(run.ops)
    assert result.linearizable is False
    for key in result.failures:  # the new leader (epoch 2) serves a read that misses an epoch-1 write
        rows = run.ops[run.ops["op_id"].isin(key.witness)]
        assert set(rows.loc[rows["kind"] == "read", "epoch"]) == {2}
        assert 1 in set(rows.loc[rows["kind"] == "write", "epoch"])


def test_leaderless_r1_w1_is_not_linearizable() -> None:
    run = leaderless.simulate(r=1, w=1, duration=500, seed=0)
    result = check(run.ops)
    assert result.linearizable is False
    assert_minimal_witnesses(result, _rows(run.ops))


def test_leaderless_timeouts_are_indefinite_writes() -> None:
    run = leaderless.simulate(r=3, w=3, duration=500, failures=[("A", 100, 300)], timeout=50, seed=0)
    failed_writes = run.ops[(run.ops["kind"] == "write") & ~run.ops["ok"]]
    assert len(failed_writes) > 0
    result = check(run.ops)
    assert result.linearizable in (True, False)
    ops = run.ops
    reads = ops[ops["kind"] == "read"]
    failed_reads = int((~reads["ok"]).sum())
    seen = set(zip(reads.loc[reads["ok"], "key"], reads.loc[reads["ok"], "value"], strict=True))
    unseen = [(k, v) not in seen for k, v in zip(failed_writes["key"], failed_writes["value"], strict=True)]
    # failed reads are dropped, and so are failed writes that no read saw
    assert sum(k.ops for k in result.keys) == len(ops) - failed_reads - sum(unseen)


def test_short_leaderless_runs_agree_with_the_brute_force() -> None:
    verdicts = []
    for seed in range(40):
        quorum = 1 + seed % 2
        run = leaderless.simulate(
            r=quorum,
            w=quorum,
            keys=2,
            duration=20.0,
            write_rate=200.0,
            read_rate=300.0,
            timeout=4.0,
            seed=seed,
        )
        rows = _rows(run.ops)
        if max((run.ops["key"] == k).sum() for k in run.ops["key"].unique()) > 8:
            continue  # too long for the brute force
        result = check(run.ops)
        assert result.linearizable is brute(rows), seed
        assert_minimal_witnesses(result, rows)
        verdicts.append(result.linearizable)
    assert True in verdicts and False in verdicts and len(verdicts) >= 20


def test_multi_leader_read_before_replication_is_stale() -> None:
    script = [dict(time=0, node="A", key="x", value=1), dict(time=1, node="B", key="x", op="read")]
    run = multi_leader.simulate(ops=script)
    result = check(run.ops)
    assert result.linearizable is False
    assert result.failures[0].witness == (0, 1)


def test_multi_leader_carts_are_sets() -> None:
    run = multi_leader.simulate(workload="cart", duration=500, seed=0)
    result = check(run.ops)
    assert {k.model for k in result.keys} == {"set"}
    assert result.linearizable is True  # the random workload has no reads


# -- bad input -------------------------------------------------------------------------------------------
GOOD = history(("write", 1, 0, 1), ("read", 1, 2, 3))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": True}, "budget must be an integer in 1..10000000, got True"),
        ({"budget": "100"}, "budget must be an integer in 1..10000000, got '100'"),
        ({"budget": 0}, "budget must be an integer in 1..10000000, got 0"),
        ({"budget": 10_000_001}, "budget must be an integer in 1..10000000, got 10000001"),
        ({"budget": 5.0}, "budget must be an integer in 1..10000000, got 5.0"),
        ({"budget": NAN}, "budget must be an integer in 1..10000000, got nan"),
        ({"timeout": True}, r"timeout must be a number in \(0, 3600\] s or None, got True"),
        ({"timeout": 0}, r"timeout must be a number in \(0, 3600\] s or None, got 0"),
        ({"timeout": NAN}, r"timeout must be .* got nan"),
        ({"timeout": math.inf}, r"timeout must be .* got inf"),
        ({"timeout": "1"}, r"timeout must be .* got '1'"),
        ({"timeout": 3601}, r"timeout must be .* got 3601"),
        ({"witness": "yes"}, "witness must be True or False, got 'yes'"),
        ({"ops": GOOD.drop(columns=["end", "ok"])}, r"ops must have the columns .*; missing \['end', 'ok'\]"),
        ({"ops": GOOD.to_dict("records")}, "ops must be a pandas DataFrame"),
        ({"ops": GOOD.assign(start=[0.0, NAN])}, r"ops\['start'\] must hold finite numbers"),
        ({"ops": GOOD.assign(end=[0.0, -1.0])}, r"ops\['end'\] must be NaN or a finite number >= start"),
        ({"ops": GOOD.assign(end=[0.0, math.inf])}, r"ops\['end'\] must be NaN or a finite number >= start"),
        (
            {"ops": GOOD.assign(kind=["write", "delete"])},
            r"ops\['kind'\] must be 'read' or 'write', got \['delete'\]",
        ),
        ({"ops": GOOD.assign(op_id=[3, 3])}, r"ops\['op_id'\] must be unique, got duplicates \[3\]"),
        ({"ops": GOOD.assign(op_id=[0.0, 1.0])}, r"ops\['op_id'\] must hold integers"),
        ({"ops": GOOD.assign(ok=[1, 1])}, r"ops\['ok'\] must hold booleans"),
        ({"ops": GOOD.assign(value=[[1], {1: 2}])}, r"ops\['value'\] must hold hashable values"),
    ],
)
def test_bad_input_names_the_parameter(kwargs: dict[str, Any], message: str) -> None:
    args = {"ops": GOOD, **kwargs}
    ops = args.pop("ops")
    with pytest.raises(ValueError, match=message):
        check(ops, **args)


def test_numpy_numbers_are_accepted() -> None:
    assert check(GOOD, budget=np.int64(100), timeout=np.float64(1.0)).linearizable is True


def test_plot_spacetime_marks_the_witness_and_its_real_time_order() -> None:
    """A failing verdict rings every witness op in the window and draws one arrow per precedence pair."""
    import matplotlib.pyplot as plt

    from replnb import plots, single_leader

    run = single_leader.simulate(
        mode="async", read_from="any", replication_delay=40, duration=200, clients=2, seed=1
    )
    result = check(run.ops)
    assert result.linearizable is False
    plain = plots.plot_spacetime(run, until=200)
    marked = plots.plot_spacetime(run, until=200, check=result)
    rings = [c for c in marked.collections if c.get_sizes().tolist() == [170.0]]
    witness = {op for f in result.failures for op in f.witness}
    shown = set(run.ops.loc[run.ops["start"] <= 200, "op_id"]) & witness
    assert sum(len(c.get_offsets()) for c in rings) == len(shown) > 0
    arrows = [t for t in marked.texts if getattr(t, "arrow_patch", None) is not None]
    pairs = sum(len(f.precedes) for f in result.failures)
    assert 0 < len(arrows) <= pairs
    assert "no legal order" in [t.get_text() for t in marked.get_legend().get_texts()]
    assert not [c for c in plain.collections if c.get_sizes().tolist() == [170.0]]
    plt.close("all")


@pytest.mark.parametrize("name", ["SingleLeaderExplorer", "QuorumExplorer"])
def test_the_explorers_of_01_and_04_show_the_verdict_of_their_run(name: str) -> None:
    """The caption states the checker's verdict on the run shown, and the summary has it too."""
    from replnb import widgets

    explorer = getattr(widgets, name)()
    run = explorer.update()
    verdict = check(run.ops, budget=explorer.check_budget)
    word = {True: "yes", False: "no", None: "unknown"}[verdict.linearizable]
    assert explorer.summarize(run)["linearizable"].tolist() == [word]
    assert "History:" in explorer.caption.value
    assert ("not linearizable" in explorer.caption.value) == (verdict.linearizable is False)
