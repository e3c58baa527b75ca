"""Multi-leader geography: regions, far_latency and the client round trip to its leader."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb import multi_leader as ml

RACE = [
    dict(time=0.0, node="A", key="x", value=1, client="c1"),
    dict(time=0.0, node="B", key="x", value=2, client="c2"),
    dict(time=200.0, node="A", key="x", op="read", client="c1"),
]


def _frames(run):
    return run.ops.to_csv(), run.messages.to_csv(), dict(run.metrics)


def test_one_region_and_no_client_latency_change_nothing() -> None:
    plain = ml.simulate(ops=RACE, latency=5.0, jitter=2.0, seed=3)
    one = {"A": "eu", "B": "eu", "c1": "eu", "c2": "eu"}
    same = ml.simulate(ops=RACE, latency=5.0, jitter=2.0, seed=3, regions=one, far_latency=80.0)
    assert _frames(plain) == _frames(same)


def test_a_far_client_pays_the_round_trip_to_its_leader() -> None:
    regions = {"A": "eu", "B": "us", "c1": "eu", "c2": "eu"}
    run = ml.simulate(ops=RACE, latency=5.0, regions=regions, far_latency=40.0, client_latency=2.0)
    ops = run.ops.set_index("client")
    latency = (run.ops["end"] - run.ops["start"]).tolist()
    assert latency == [4.0, 84.0, 4.0]  # near: 2 x 2 ms; c2 in eu writing at B in us: 2 x (2 + 40)
    assert ops.loc["c2", "start"] == 0.0
    # replication between the regions takes the far delay too: B accepted at 42, A hears it at 87
    msgs = run.messages.set_index("src")
    assert msgs.loc["B", "sent"] == 42.0 and msgs.loc["B", "delivered"] == 87.0
    assert msgs.loc["A", "delivered"] - msgs.loc["A", "sent"] == 45.0


def test_a_request_that_reaches_a_crashed_leader_fails() -> None:
    ops = [dict(time=0.0, node="B", key="x", value=1, client="c1")]
    run = ml.simulate(ops=ops, client_latency=10.0, crashes=[("B", 5.0, 50.0)])
    assert not bool(run.ops["ok"].iloc[0])
    up = ml.simulate(ops=ops, client_latency=10.0, crashes=[("B", 15.0, 50.0)])
    assert bool(up.ops["ok"].iloc[0]) and up.ops["end"].iloc[0] == 20.0


@settings(max_examples=25, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.floats(0, 300, allow_nan=False),
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(["c1", "c2", "c3"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    ),
    near=st.floats(0, 20, allow_nan=False),
    far=st.floats(0, 100, allow_nan=False),
)
def test_every_operation_takes_exactly_its_round_trip(ops, near, far) -> None:
    regions = {"A": "r1", "B": "r2", "C": "r3", "c1": "r1", "c2": "r2", "c3": "r3"}
    script = [
        dict(time=t, node=n, key="x", client=c, **({"op": "read"} if read else {"value": i}))
        for i, (t, n, c, read) in enumerate(ops)
    ]
    named = {name: r for name, r in regions.items() if name in "ABC" or any(c == name for _, _, c, _ in ops)}
    run = ml.simulate(leaders=3, ops=script, regions=named, far_latency=far, client_latency=near)
    for _, op in run.ops.iterrows():
        trip = near + (0.0 if regions[op["client"]] == regions[op["node"]] else far)
        assert op["end"] - op["start"] == pytest.approx(2 * trip)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": {"Z": "eu"}}, "regions must map"),
        ({"regions": ["A"]}, "regions must be a mapping"),
        ({"far_latency": -1.0}, "far_latency must be"),
        ({"far_latency": True}, "far_latency must be"),
        ({"client_latency": float("nan")}, "client_latency must be"),
        ({"client_latency": 20_000}, "client_latency must be"),
    ],
)
def test_bad_geography_is_refused(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        ml.simulate(ops=RACE, **kwargs)


def test_a_link_cut_both_ways_heals_and_both_sides_catch_up() -> None:
    # each side writes during the cut; both one-way links heal at 100 ms, and both catch up
    ops = [dict(time=10.0, node="A", key="x", value=1), dict(time=20.0, node="B", key="y", value=2)]
    cuts = [("A", "B", 0.0, 100.0), ("B", "A", 0.0, 100.0)]
    run = ml.simulate(ops=ops, link_failures=cuts)
    assert run.final_state.loc["A"].tolist() == run.final_state.loc["B"].tolist() == [1, 2]
    assert run.metrics["convergence_time"] < 100.0
