"""Tests of replnb.leaderless.siblings: version numbers, siblings, dots and version vectors.

The walk-through is checked against DDIA's cart worked by hand; the laws
(no acknowledged write lost, the sibling merge a semilattice, convergence
whatever the order of exchanges) are checked with hypothesis over random
scripts, and the order of exchanges also by brute force.
"""

from __future__ import annotations

import copy
import itertools
import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replnb import metrics
from replnb.engine.clocks import VersionVector
from replnb.leaderless import siblings as sb
from replnb.multi_leader.state import Cart
from replnb.params import specs_of
from replnb.plots.siblings import plot_replica_siblings, plot_siblings

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CLIENTS = ("c1", "c2", "c3")
ITEMS = ("milk", "eggs", "flour", "ham")


# ---------------------------------------------------------------------------
# the walk-through, by hand


def test_ddia_cart_walkthrough_by_hand() -> None:
    # Each client writes what it last saw, merged, plus one item, with the version it last saw.
    # Request 1: nothing read (v0): stored as v1.            server: v1 [milk]
    # Request 2: nothing read (v0): v1 is kept beside v2.    server: v1 [milk], v2 [eggs]
    # Request 3: client 1 saw v1 [milk]: v1 replaced.        server: v2 [eggs], v3 [milk, flour]
    # Request 4: client 2 saw v1, v2: both replaced.         server: v3, v4 [milk, eggs, ham]
    # Request 5: client 1 saw v2, v3 (reply 3): replaced.    server: v4, v5 [milk, eggs, flour, bacon]
    expected = [
        ("client 1", "add milk", "[milk]", 0, 1, "[milk]", (1,)),
        ("client 2", "add eggs", "[eggs]", 0, 2, "[milk] | [eggs]", (1, 2)),
        ("client 1", "add flour", "[milk, flour]", 1, 3, "[eggs] | [milk, flour]", (2, 3)),
        ("client 2", "add ham", "[milk, eggs, ham]", 2, 4, "[milk, flour] | [milk, eggs, ham]", (3, 4)),
        (
            "client 1",
            "add bacon",
            "[milk, eggs, flour, bacon]",
            3,
            5,
            "[milk, eggs, ham] | [milk, eggs, flour, bacon]",
            (4, 5),
        ),
    ]
    table = sb.cart_walkthrough()
    columns = ["client", "request", "sent", "version_sent", "version_returned", "siblings", "held"]
    assert [tuple(row) for row in table[columns].itertuples(index=False)] == expected
    assert table["step"].tolist() == [1, 2, 3, 4, 5]
    assert table["cart"].iloc[-1] == "[milk, eggs, flour, ham, bacon]"


def test_removal_needs_tombstones() -> None:
    plain = sb.cart_walkthrough(sb.REMOVAL)
    kept = sb.cart_walkthrough(sb.REMOVAL, tombstones=True)
    # client 1 removed milk from v1 while v2 [milk, eggs] (written after a read of v1) is a sibling
    assert plain["held"].iloc[3] == (2, 3) == kept["held"].iloc[3]
    final_plain = plain["cart"].iloc[-1].strip("[]").split(", ")
    assert metrics.resurrections(["milk"], final_plain) == {"milk"}
    assert kept["cart"].iloc[-1] == "[eggs] −milk"
    assert plain["version_sent"].isna().tolist() == [False, True, False, False, True]


def test_a_read_returns_every_sibling_and_the_version() -> None:
    store = sb.VersionedStore()
    assert store.read("k") == sb.Reply(0, ())
    store.write("k", Cart().add("a", 1), 0)
    store.write("k", Cart().add("b", 2), 0)
    reply = store.read("k")
    assert reply.version == 2 and len(reply.siblings) == 2
    assert store.versions("k") == (1, 2) and store.versions("other") == ()
    with pytest.raises(ValueError, match="version"):
        store.write("k", Cart(), 3)  # a version nobody could have read


def test_the_dot_keeps_two_blind_writes_at_one_replica_concurrent() -> None:
    a = sb.Replica("A")
    a.write("k", Cart().add("milk", 1), VersionVector())
    a.write("k", Cart().add("eggs", 2), VersionVector())
    first, second = a.siblings["k"]
    # their whole vectors would order them, and the first would be dropped ...
    assert first.vector.compare(second.vector) == "before"
    # ... but the second writer had not seen the first: both stay
    assert not first.replaced_by(second) and not second.replaced_by(first)
    assert sb.show_cart(a.read("k").merged) == "[milk, eggs]"


def test_replicated_walkthrough() -> None:
    run = sb.replicas_walkthrough()
    assert run.steps.columns.tolist() == list(sb.STEP_COLUMNS)
    assert run.steps["seen"].tolist() == [(), (), (), (("A", 1),), (("B", 1),), (), (("A", 2),)]
    assert run.steps["dot"].iloc[6] == ("A", 3) and run.steps["source"].iloc[5] == "B"
    assert run.steps["siblings"].iloc[5] == "A:2 [milk, flour] | B:2 [eggs, ham]"  # A:1 arrives, replaced
    assert run.steps["context"].iloc[6] == "{A:2}" and run.steps["returned"].iloc[6] == "{A:3, B:2}"
    assert run.replicas.loc["B", "siblings"] == "A:1 [milk] | B:2 [eggs, ham]"
    assert run.converged and run.exchanges == 1
    assert run.replicas["after"].nunique() == 1
    assert [s.dot for s in run.final] == [("A", 3), ("B", 2)]
    assert sb.show_cart(sb.merge_values(s.value for s in run.final)) == "[milk, eggs, flour, ham, bacon]"
    nothing = sb.replicas_walkthrough([("sync", "A", "B")])
    assert nothing.steps["request"].iloc[0] == "sync A → B (nothing new)" and nothing.converged


# ---------------------------------------------------------------------------
# random scripts


def single_steps(actions: tuple[str, ...] = sb.ACTIONS) -> st.SearchStrategy[tuple[str, ...]]:
    client, item = st.sampled_from(CLIENTS), st.sampled_from(ITEMS)
    read = st.tuples(client, st.just("read"))
    edits = [st.tuples(client, st.just(a), item) for a in actions if a != "read"]
    return st.one_of(read, *edits)


def replica_scripts(
    n: int, actions: tuple[str, ...] = sb.ACTIONS, size: int = 16
) -> st.SearchStrategy[list[tuple[str, ...]]]:
    names = [chr(ord("A") + i) for i in range(n)]
    where = st.sampled_from(names)
    step = st.one_of(
        st.builds(lambda s, r: (*s, r), single_steps(actions), where),
        st.builds(lambda p: ("sync", *p), st.permutations(names).map(lambda p: tuple(p[:2])))
        if n > 1
        else st.nothing(),
    )
    return st.lists(step, min_size=1, max_size=size)


@FAST
@given(st.lists(single_steps(), min_size=1, max_size=14), st.booleans())
def test_one_replica_with_vectors_is_the_version_number_store(script, tombstones) -> None:
    single = sb.cart_walkthrough(script, tombstones=tombstones)
    multi = sb.replicas_walkthrough([(*s, "A") for s in script], replicas=1, tombstones=tombstones)
    assert (
        multi.steps["siblings"].str.replace(r"A:\d+ ", "", regex=True).tolist() == single["siblings"].tolist()
    )
    dots = [tuple(int(n) for n in re.findall(r"A:(\d+)", text)) for text in multi.steps["siblings"]]
    assert dots == single["held"].tolist()


def written_pairs(script: list[tuple[str, ...]]) -> set[tuple[str, int]]:
    return {(s[2], tag) for tag, s in enumerate(script, start=1) if s[1] == "add"}


@FAST
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(st.just(n), replica_scripts(n, ("add", "read")))))
def test_no_acknowledged_write_is_lost(case) -> None:
    n, script = case
    replicas = sb.run_replicas(script, replicas=n)
    writes = [w for r in replicas for w in r.accepted]
    sb.anti_entropy(replicas)
    final = replicas[0].siblings.get("cart", ())
    # every write survives or is in the causal past of a survivor (DESIGN.md's lost write)
    for w in writes:
        assert any(s.dot == w.dot or metrics.happens_before(w.dot, s.dot, s.context) for s in final)
    # and so every added item is in the merge of the final siblings
    merged = sb.merge_values(s.value for s in final)
    assert merged.items == written_pairs(script)
    assert set(merged.contents) == {s[2] for s in script if s[1] == "add"}


@FAST
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(st.just(n), replica_scripts(n))))
def test_with_tombstones_only_a_removal_that_saw_an_item_hides_it(case) -> None:
    n, script = case
    replicas = sb.run_replicas(script, replicas=n, tombstones=True)
    sb.anti_entropy(replicas)
    merged = sb.merge_values(s.value for s in replicas[0].siblings.get("cart", ()))
    assert merged.items == written_pairs(script)  # no added pair is ever lost
    removes = [(tag, s[2]) for tag, s in enumerate(script, start=1) if s[1] == "remove"]
    for item, tag in merged.removed:
        assert any(r_item == item and r_tag > tag for r_tag, r_item in removes)


@FAST
@given(st.integers(2, 3).flatmap(lambda n: st.tuples(st.just(n), replica_scripts(n, size=20))))
def test_sibling_merge_is_commutative_associative_idempotent(case) -> None:
    n, script = case
    groups = [r.siblings.get("cart", ()) for r in sb.run_replicas(script, replicas=n)]
    a, b = groups[0], groups[1]
    c = groups[2] if n > 2 else groups[0][:1]
    merge = sb.merge_siblings
    assert merge(a, b) == merge(b, a)
    assert merge(merge(a, b), c) == merge(a, merge(b, c)) == merge(a, b, c)
    assert merge(a, a) == merge(a) == tuple(sorted(a, key=lambda s: s.dot))


@FAST
@given(
    st.integers(2, 4).flatmap(
        lambda n: st.tuples(
            st.just(n),
            replica_scripts(n),
            st.permutations(list(itertools.permutations(range(n), 2))),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8),
        )
    )
)
def test_replicas_converge_whatever_the_order_of_exchanges(case) -> None:
    n, script, order, prefix = case
    replicas = sb.run_replicas(script, replicas=n)
    expected = sb.merge_siblings(*(r.siblings.get("cart", ()) for r in replicas))
    vector = VersionVector()
    for r in replicas:
        vector = vector.merge(r.vector.get("cart", VersionVector()))
    for a, b in prefix:  # a few partial exchanges first, in any order
        replicas[b].receive(replicas[a])
    sb.anti_entropy(replicas, order=order)
    assert all(r.siblings.get("cart", ()) == expected for r in replicas)
    assert all(r.vector.get("cart", VersionVector()) == vector for r in replicas)


def test_brute_force_every_order_of_exchanges_gives_the_same_siblings() -> None:
    start = sb.run_replicas(sb.THREE_REPLICAS, replicas=3)
    pairs = list(itertools.permutations(range(3), 2))
    finals = set()
    for order in itertools.permutations(pairs):  # 720 orders
        replicas = copy.deepcopy(start)
        sb.anti_entropy(replicas, order=order)
        finals.add(tuple(r.siblings["cart"] for r in replicas))
    assert len(finals) == 1
    (final,) = finals
    assert len(set(final)) == 1  # every replica holds the same siblings
    # A:1 [milk] is replaced by client 1's removal A:2, which client 3 read at A (with C:1) before C:2
    assert [s.dot for s in final[0]] == [("B", 2), ("C", 2)]
    assert final[0] == sb.merge_siblings(*(r.siblings["cart"] for r in start))
    assert sb.show_cart(sb.merge_values(s.value for s in final[0])) == "[eggs, ham, flour, bacon] −milk"
    table = sb.every_exchange_order()
    assert table.to_dict("records") == [
        {
            "orders": 720,
            "converged": True,
            "siblings": "B:2 [eggs, flour] | C:2 [ham, bacon] −milk",
            "cart": "[eggs, ham, flour, bacon] −milk",
        }
    ]
    two = sb.every_exchange_order(sb.DDIA_CART_REPLICATED, replicas=2)
    assert two["orders"].tolist() == [2] and bool(two["converged"].iloc[0])


# ---------------------------------------------------------------------------
# bad input, the figure


BAD = {
    "script": [
        "3",
        True,
        [],
        object(),
        [("c1", "buy", "milk")],
        [("c1", "add")],
        [("c1", "read", "milk")],
        [("sync", "add", "milk")],
        [("c1", "add", "")],
        [("c1", "add", 3)],
        [("c1", "add", "x")] * (sb.MAX_STEPS + 1),
    ],
    "tombstones": [1, "yes", None, math.nan],
}
BAD_REPLICATED = {
    "script": [
        [("c1", "add", "milk")],
        [("c1", "add", "milk", "C")],
        [("sync", "A", "A")],
        [("sync", "A", "Z")],
        [("c1", "read")],
    ],
    "replicas": [0, sb.MAX_REPLICAS + 1, True, 2.5, "2", math.nan, math.inf, 10**12],
    "tombstones": [1, "yes"],
}


def bad_cases():
    for fn in (sb.cart_walkthrough,):
        for name, values in BAD.items():
            for v in values:
                yield pytest.param(fn, name, v, id=f"{fn.__name__}-{name}-{v!r}"[:60])
    for fn in (sb.replicas_walkthrough, sb.run_replicas, sb.every_exchange_order):
        for name, values in BAD_REPLICATED.items():
            for v in values:
                yield pytest.param(fn, name, v, id=f"{fn.__name__}-{name}-{v!r}"[:60])


@pytest.mark.parametrize(("fn", "name", "value"), list(bad_cases()))
def test_bad_input_names_the_parameter(fn, name, value) -> None:
    base = {"script": sb.DDIA_CART_REPLICATED, "replicas": 2} if fn is not sb.cart_walkthrough else {}
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        fn(**{**base, name: value})


def test_every_entry_point_declares_its_parameters() -> None:
    assert set(specs_of(sb.cart_walkthrough)) == {"script", "tombstones"}
    assert (
        set(specs_of(sb.replicas_walkthrough))
        == set(specs_of(sb.run_replicas))
        == {
            "script",
            "replicas",
            "tombstones",
        }
    )


@pytest.mark.parametrize("order", [[(0, 0)], [(0, 3)], [(True, 1)], [(0,)], [(-1, 0)]])
def test_anti_entropy_refuses_a_bad_order(order) -> None:
    with pytest.raises(ValueError, match=r"^order must be"):
        sb.anti_entropy(sb.run_replicas(sb.DDIA_CART_REPLICATED, replicas=3), order=order)


def test_the_largest_input_is_quick() -> None:
    script = [(f"c{i % 7}", "add", f"item{i}", "ABCDE"[i % 5]) for i in range(sb.MAX_STEPS)]
    run = sb.replicas_walkthrough(script, replicas=sb.MAX_REPLICAS)
    assert run.converged and len(run.steps) == sb.MAX_STEPS


def test_plot_siblings_draws_every_write_and_arrow() -> None:
    table = sb.cart_walkthrough()
    ax = plot_siblings(table)
    texts = [t.get_text() for t in ax.texts]
    assert all(f"v{v}" in texts for v in range(1, 6))
    assert "add bacon, sends v3" in texts and "v4, v5" in texts
    # arrows: v1->v3, v1->v4, v2->v4, v2->v5, v3->v5
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) == 5
    assert ax.get_xlim() == (0.45, 5.55)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "still a sibling at the end" in labels and not any("read (" in x for x in labels)
    removal = plot_siblings(sb.cart_walkthrough(sb.REMOVAL, tombstones=True))
    assert any("read (" in t.get_text() for t in removal.get_legend().get_texts())
    plt.close("all")


def test_plot_replica_siblings_draws_writes_syncs_and_reads() -> None:
    run = sb.replicas_walkthrough(sb.THREE_REPLICAS, replicas=3)
    ax = plot_replica_siblings(run)
    texts = [t.get_text() for t in ax.texts]
    assert all(f"{r}:{n}" in texts for r in "ABC" for n in (1, 2))
    assert "sync A → B" in texts and "sync C → A" in texts and "read" in texts
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    # what each write's client had last read: A:1->A:2, B:1->B:2, A:2->C:2, C:1->C:2; and the two syncs
    assert len(arrows) == 4 + 2
    bold = sorted(p.get_linewidth() for p in ax.patches if type(p).__name__ == "FancyBboxPatch")
    assert bold.count(2.4) == 2  # B:2 and C:2 survive anti-entropy
    assert ax.get_xlim() == (0.45, len(run.steps) + 0.55)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["replica C", "replica B", "replica A"]
    plt.close("all")


def test_the_table_is_plain_data() -> None:
    table = sb.cart_walkthrough()
    assert isinstance(table, pd.DataFrame) and str(table["version_sent"].dtype) == "Int64"
