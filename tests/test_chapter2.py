"""Chapter 2 (multi-leader conflicts): the worked example, the CRDT laws, the lessons of
notebook 02 and the shortcuts of its explorer, each checked against the model itself."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb import metrics
from replnb import multi_leader as ml
from replnb.exercises import check_cart_resolver
from replnb.multi_leader import Cart, union_carts
from replnb.multi_leader.causality import VERDICTS, pairwise_order, write_vectors
from replnb.widgets import ConflictExplorer

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "02_multi_leader_conflicts.ipynb"

#: The worked example of notebook 02: three writes to x at two leaders.
BY_HAND = [
    dict(time=0, node="A", key="x", value=1),
    dict(time=20, node="B", key="x", value=2),
    dict(time=25, node="A", key="x", value=3),
]


def _hand_table() -> list[dict[str, str]]:
    """The rows of the markdown table that notebook 02 works out by hand."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    text = next(c.source for c in nb.cells if c.cell_type == "markdown" and "| W | V |" in c.source)
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [h.strip() for h in lines[0].strip("|").split("|")]
    return [
        dict(zip(header, (v.strip() for v in line.strip("|").split("|")), strict=True)) for line in lines[2:]
    ]


def _vector(text: str) -> dict[str, int]:
    return {node: int(count) for node, count in re.findall(r"([A-Z]):(\d+)", text)}


# -- the worked example ----------------------------------------------------------------------------
def test_the_hand_worked_table_is_what_the_code_says():
    run = ml.simulate(ops=BY_HAND)
    vectors = write_vectors(run)
    code = pairwise_order(run).set_index(["W", "V"])
    rows = _hand_table()
    assert len(rows) == len(code) == 3
    for row in rows:
        assert code.loc[(row["W"], row["V"]), "verdict"] == row["verdict"]
        for side in ("W", "V"):
            by_hand = _vector(row[f"{side}'s vector"])
            assert vectors.loc[row[side], ["A", "B"]].to_dict() == by_hand
        dominates = {"V's dominates": "before", "W's dominates": "after", "neither dominates": "concurrent"}
        assert code.loc[(row["W"], row["V"]), "vectors"] == dominates[row["comparison"]]


def test_vector_order_and_happens_before_agree_on_random_runs():
    for seed in range(6):
        run = ml.simulate(leaders=3, keys=2, write_rate=40.0, duration=200.0, jitter=5.0, seed=seed)
        pairs = pairwise_order(run)
        assert len(pairs) > 0
        expected = pairs["vectors"].map(VERDICTS)
        assert (pairs["verdict"] == expected).all()
        # the pairs the table calls concurrent are the conflicts the metrics count
        assert int((pairs["verdict"] == VERDICTS["concurrent"]).sum()) == int(run.metrics["conflicts"])


def test_causality_tables_refuse_what_they_cannot_read():
    with pytest.raises(ValueError, match="run must be a multi-leader Run"):
        pairwise_order("run")
    with pytest.raises(ValueError, match="key must be"):
        write_vectors(ml.simulate(ops=BY_HAND), key=3)
    assert pairwise_order(ml.simulate(ops=BY_HAND), key="y").empty


# -- the OR-Set merge is a CRDT merge ----------------------------------------------------------------
ITEMS = ("milk", "eggs", "tea")
pairs_ = st.frozensets(st.tuples(st.sampled_from(ITEMS), st.integers(0, 5)), max_size=6)
carts = st.builds(lambda items, removed: Cart(items | removed, removed), pairs_, pairs_)


@settings(max_examples=200, deadline=None)
@given(a=carts, b=carts, c=carts)
def test_or_set_merge_is_commutative_associative_idempotent(a, b, c):
    assert union_carts(a, b) == union_carts(b, a)
    assert union_carts(union_carts(a, b), c) == union_carts(a, union_carts(b, c))
    assert union_carts(a, a) == a
    merged = set(union_carts(a, b).contents)
    # an addition seen by either side survives unless either side saw it removed
    for item, _tag in a.items | b.items:
        assert (item in merged) or any(i == item for i, _ in a.removed | b.removed)


# -- LWW is safe only when each key is written once --------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), skew=st.floats(-200.0, 200.0))
def test_lww_loses_nothing_when_each_key_is_written_once(seed, skew):
    rng = np.random.default_rng(seed)
    n = 30
    times, nodes = np.sort(rng.uniform(0.0, 150.0, n)), rng.choice(["A", "B", "C"], n)
    ops = [
        dict(time=float(t), node=str(v), key=f"event-{i}", value=i)
        for i, (t, v) in enumerate(zip(times, nodes, strict=True))
    ]
    run = ml.simulate(leaders=3, resolver="lww", clock_offsets={"B": skew}, ops=ops)
    assert int(run.metrics["conflicts"]) == 0
    assert int(run.metrics["lost_writes"]) == 0


def test_the_notebook_shared_key_case_loses_writes_of_both_causes():
    rng = np.random.default_rng(1)
    times = np.sort(rng.uniform(0.0, 200.0, 40)).round(1)
    where = rng.choice(["A", "B"], 40)
    keys = rng.choice(["user-0", "user-1", "user-2", "user-3"], 40)
    ops = [
        dict(time=float(t), node=str(n), key=str(k), value=i)
        for i, (t, n, k) in enumerate(zip(times, where, keys, strict=True))
    ]
    run = ml.simulate(resolver="lww", clock_offsets={"B": -30.0}, ops=ops)
    assert run.metrics["lost_concurrent"] > 0 and run.metrics["lost_older_write_won"] > 0
    # each cause, checked by hand against the survivor of its key (values are unique)
    writes = run.ops.set_index("value")
    for _, lost in run.ops[run.ops["lost"]].iterrows():
        survivor = writes.loc[run.final_state.loc["A", lost["key"]]]
        after = metrics.happens_before(survivor["dot"], lost["dot"], lost["vv"])
        assert lost["lost_cause"] == ("older_write_won" if after else "concurrent")
        assert not metrics.happens_before(lost["dot"], survivor["dot"], survivor["vv"])


def test_an_offline_phone_conflicts_on_reconnection():
    meeting = [
        dict(time=0, node="A", key="meeting", value="Mon 9:00"),
        dict(time=600, node="B", key="meeting", value="Tue 10:00"),
        dict(time=1200, node="A", key="meeting", value="Mon 14:00"),
        dict(time=1800, node="B", key="meeting", value="Wed 11:00"),
    ]
    offline = [([["B"]], 100.0, 2500.0)]
    lww = ml.simulate(resolver="lww", ops=meeting, latency=20.0, partitions=offline)
    siblings = ml.simulate(resolver="siblings", ops=meeting, latency=20.0, partitions=offline)
    online = ml.simulate(resolver="lww", ops=meeting, latency=20.0)
    assert int(online.metrics["conflicts"]) == 0  # connected, every edit sees the previous one
    assert int(lww.metrics["lost_writes"]) == 1 and int(siblings.metrics["lost_writes"]) == 0
    assert lww.metrics["convergence_time"] < float("inf")
    assert set(siblings.final_state.loc["A", "meeting"]) == {"Mon 14:00", "Wed 11:00"}


# -- the explorer's shortcuts give the table of strategy_run -------------------------------------------
GRID = [
    (4, 90.0, 10, 3.0),
    (6, 110.0, 60, 0.0),
    (7, 50.0, 120, 0.0),
    (2, 60.0, 100, 0.0),
    (3, 120.0, 0, 10.0),
    (5, 30.0, 200, 0.0),
    (8, 120.0, 150, 20.0),
    (8, 10.0, 50, 0.0),
]


@pytest.mark.parametrize(("leaders", "rate", "skew", "relocation"), GRID)
def test_explorer_rows_equal_the_runs_of_every_strategy(leaders, rate, skew, relocation):
    ex = ConflictExplorer()
    params = dict(clock_skew=skew, leaders=leaders, write_rate=rate, relocation_rate=relocation)

    def runs_at(clock_skew: float) -> pd.DataFrame:
        """The table of every strategy's own run at this skew."""
        return ml.compare_strategies(
            columns=ex.compared,
            leaders=leaders,
            clock_skew=float(clock_skew),
            write_rate=rate / leaders,
            relocation_rate=relocation,
            duration=ex.duration,
            keys=ex.keys,
            seed=ex.seed,
        )

    run = ex.simulate(strategy="cart: union", **params)
    assert run.extras["comparison"].equals(runs_at(skew))
    # rows reused across the skew are the rows the runs would give at the new skew
    moved = (skew + 70) % 200
    other = ex.simulate(strategy="siblings (on read)", **{**params, "clock_skew": moved})
    assert other.extras["comparison"].equals(runs_at(moved))


def test_explorer_simulates_only_what_a_move_changes(monkeypatch):
    import replnb.widgets.multi_leader as module

    calls: list[dict] = []
    real = module.simulate

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(module, "simulate", counting)
    ex = ConflictExplorer()
    ex.refresh()
    assert len(calls) == 2  # lww (shown) and the plain cart union; the other rows follow without a run
    calls.clear()
    ex.update(strategy="cart: union")
    assert calls == []  # its run is kept
    ex.update(strategy="siblings (on read)")
    assert [c["resolver"] for c in calls] == ["siblings"]  # shown: simulated once
    calls.clear()
    ex.update(strategy="last-write-wins", clock_skew=30)
    assert [c["resolver"] for c in calls] == ["lww"]  # the only strategy whose counts move with skew
    calls.clear()
    ex.update(relocation_rate=5.0)
    assert [c["resolver"] for c in calls] == ["avoid"]
    calls.clear()
    ex.update(clock_skew=100, relocation_rate=0.0)
    assert calls == []  # every run and row of the defaults is kept


def test_explorer_defaults_show_a_lost_write_and_every_symbol_in_the_key():
    ex = ConflictExplorer()
    run = ex.update()
    assert run.metrics["lost_writes"] > 0
    assert "✖" in ex.caption.value and "lost write" in ex.caption.value
    assert "message" in ex.caption.value
    top, bottom = ex.figure.axes
    assert bottom.get_xlim()[1] == pytest.approx(run.end_time)  # the axis ends with the run
    assert [t.get_text() for t in top.texts if t.get_text() in run.nodes] == list(run.nodes)


def test_explorer_shares_the_write_rate_among_the_leaders():
    ex = ConflictExplorer()
    run = ex.update(leaders=4, write_rate=80.0)
    assert run.params["write_rate"] == pytest.approx(20.0)
    assert run.params["leaders"] == 4


# -- the exercise ----------------------------------------------------------------------------------------
def test_exercise_hints_do_not_spell_out_the_answer():
    attempts = [
        lambda local, incoming: incoming,
        lambda local, incoming: Cart(local.items | incoming.items),
        lambda local, incoming: Cart(local.items | incoming.items, local.removed),
        lambda local, incoming: Cart(local.items & incoming.items, local.removed | incoming.removed),
    ]
    for attempt in attempts:
        feedback = check_cart_resolver(attempt, runs=4)
        assert not feedback and feedback.hint
        code_like = ("|", "union", "removed`", "items`", ".removed", ".items", "Cart(", "both carts")
        assert not any(token in feedback.hint for token in code_like), feedback.hint
    assert check_cart_resolver(union_carts, runs=4)
    assert "|" not in (check_cart_resolver.__doc__ or "")
