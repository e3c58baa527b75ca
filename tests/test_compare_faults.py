"""Chapter 5's shared faults and geography: every scheme receives every fault it is given.

Issue 13, item 6: no fault is dropped silently (each run's recorded events
are inspected), a remote client's write under a single leader pays its
round trip to the leader, and a leaderless W=1 write is acknowledged
without a network round trip to its own coordinator.
"""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb import compare as c
from replnb import single_leader

SL_API = "regions" in inspect.signature(single_leader.simulate).parameters
needs_sl = pytest.mark.skipif(
    not SL_API, reason="single_leader.simulate has no shared fault/geography parameters yet (branch sl)"
)
SCHEMES = [s for s in c.SCHEMES if SL_API or not s.startswith("single-leader")]


def test_faults_normalise_and_validate() -> None:
    f = c.Faults(crashes=[["B", 10, None]], partitions=[([["C"], ["A"]], 5, 9)], link_failures=[])
    assert f.crashes == (("B", 10.0, None),)
    assert f.partitions == (((("C",), ("A",)), 5.0, 9.0),)
    assert f.last_fault_end == float("inf") and f.down("B", 1e6) and not f.down("B", 9.0)
    assert hash(f) == hash(
        c.Faults(crashes=[("B", 10.0, None)], partitions=[([["C"], ["A"]], 5, 9)], link_failures=())
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"crashes": [("Z", 1.0, None)]}, "crashes node must be a node name"),
        ({"crashes": [("A", 5.0, 1.0)]}, "crashes recover_at must be None or a time > 5"),
        ({"crashes": "A"}, "crashes must be a list"),
        ({"crashes": [("A", float("nan"), None)]}, "crashes at must be"),
        ({"link_failures": [("A", "A", 1.0, 2.0)]}, "link_failures b must be another node"),
        ({"link_failures": [("A", "B", 1.0)]}, "link_failures must hold"),
        (
            {"partitions": [([["A"], ["A"]], 1.0, 2.0)]},
            "partitions groups must be non-empty and share no node",
        ),
        ({"partitions": [("A", 1.0, 2.0)]}, "partitions groups must be a list"),
        ({"partitions": [([["A"]], 3.0, 2.0)]}, "partitions heal_at must be None or a time > 3"),
        ({"clock_skew": -1}, "clock_skew must be"),
        ({"clock_skew": True}, "clock_skew must be"),
    ],
)
def test_faults_reject_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        c.Faults(**kwargs)


def test_faults_must_fit_the_cluster() -> None:
    wl = c.make_workload(seed=0)
    with pytest.raises(ValueError, match=r"faults must name nodes among \['A', 'B', 'C'\], got \['E'\]"):
        c.run_scheme("multi-leader LWW", wl, c.Faults(crashes=[("E", 1.0, None)]))
    with pytest.raises(ValueError, match="partitions must split the nodes into at least two groups"):
        c.compare(workload=wl, faults=c.Faults(partitions=[([["A", "B", "C"]], 1.0, 2.0)]))


def test_layout_places_clients_in_their_home_region() -> None:
    wl = c.make_workload(clients=5, seed=0)
    regions = c.Layout().region_map(wl)
    assert regions["c4"] == regions["A"] == "eu" and regions["c5"] == "us"
    assert c.Layout().client_trip(wl, "c2", "A") == 41.0 and c.Layout().client_trip(wl, "c2", "B") == 1.0
    with pytest.raises(ValueError, match=r"regions must be 1\.\.5 region names"):
        c.Layout(regions=())


# -- no silent drop --------------------------------------------------------------------------

_NODE = st.sampled_from(["A", "B", "C"])
_START = st.floats(0, 800, allow_nan=False).map(lambda t: round(t, 1))


@st.composite
def _faults(draw: st.DrawFn) -> c.Faults:
    crashes = []
    for node in draw(st.lists(_NODE, max_size=2, unique=True)):
        at = draw(_START)
        crashes.append((node, at, at + draw(st.sampled_from([50.0, 150.0]))))
    partitions = []
    if draw(st.booleans()):
        at = draw(_START)
        cut_off = draw(st.sampled_from([["A"], ["B"], ["C"], ["A", "C"]]))
        partitions.append(([cut_off], at, at + draw(st.sampled_from([80.0, 200.0]))))
    links = []
    if draw(st.booleans()):
        a, b = draw(st.sampled_from([("A", "B"), ("B", "C"), ("A", "C")]))
        at = draw(_START)
        links.append((a, b, at, at + 100.0))
    skew = draw(st.sampled_from([0.0, 30.0, 120.0]))
    return c.Faults(crashes=crashes, partitions=partitions, link_failures=links, clock_skew=skew)


@settings(max_examples=12, deadline=None)
@given(faults=_faults(), seed=st.integers(0, 50), scheme=st.sampled_from(SCHEMES))
def test_every_scheme_receives_every_fault_it_is_given(faults: c.Faults, seed: int, scheme: str) -> None:
    wl = c.make_workload("balanced", rate=30.0, seed=seed)
    run = c.run_scheme(scheme, wl, faults, seed=seed)
    record = c.fault_record(run, c.effective_faults(scheme, faults))
    assert all(record.values()), record
    events = run.events
    for node, at, end in faults.crashes:  # the same crash, at the same times, in every scheme
        mine = events[events["node"] == node]
        assert at in mine.loc[mine["event"] == "crash", "time"].tolist()
        assert end in mine.loc[mine["event"] == "recover", "time"].tolist()
    cov = c.coverage({scheme: run}, faults)
    assert not cov.isin(["MISSING"]).any().any()
    if faults.clock_skew and scheme.startswith("single-leader"):
        assert cov.filter(like="skew").iloc[0, 0] == "not applicable: the leader orders writes"


def test_a_fault_that_does_not_reach_a_run_is_reported_missing() -> None:
    wl = c.make_workload(seed=1)
    run = c.run_scheme("multi-leader LWW", wl, c.Faults.none())
    cov = c.coverage({"multi-leader LWW": run}, c.Faults())  # the run faced none of them
    assert cov.loc["multi-leader LWW"].tolist() == ["MISSING"] * 4


def test_the_coverage_table_names_every_fault_for_every_scheme() -> None:
    runs: dict = {}
    c.compare(seed=0, runs=runs, schemes=SCHEMES)
    cov = c.coverage(runs, c.Faults())
    assert list(cov.columns) == ["crash A", "partition C", "cut A-B", "skew 50 ms"]
    assert list(cov.index) == SCHEMES
    for scheme in SCHEMES:
        expected = ["received"] * 3
        expected.append("not applicable: the leader orders writes" if "single" in scheme else "received")
        assert cov.loc[scheme].tolist() == expected


# -- geography ---------------------------------------------------------------------------------


def test_leaderless_w1_is_acknowledged_after_the_local_write() -> None:
    """W=1: the coordinator of the client's region stores its own copy, no network round trip."""
    wl = c.make_workload("write-heavy", seed=3)
    layout = c.Layout(far_latency=40.0, client_latency=1.5)
    run = c.run_scheme("leaderless partial", wl, c.Faults.none(), layout=layout)
    writes = run.ops[run.ops["kind"] == "write"]
    assert writes["ok"].all()
    latency = (writes["end"] - writes["start"]).tolist()
    assert latency == pytest.approx([3.0] * len(writes))  # the client's own round trip, nothing more
    # no message from a coordinator to itself, and no write message before the ack of its op
    msgs = run.messages
    assert not (msgs["src"] == msgs["dst"]).any()
    assert (writes["node"] == writes["client"].map(wl.home)).all()  # a coordinator of its region


def test_strict_quorums_pay_a_round_trip_between_regions() -> None:
    wl = c.make_workload("write-heavy", seed=3)
    table = c.compare(workload=wl, faults=c.Faults.none(), schemes=["leaderless strict"], seed=3)
    far = c.Layout().far_latency
    assert table.loc["leaderless strict", "write_latency_ms"] >= 2 * (far + c.LINK_LOW_MS)


def test_multi_leader_clients_write_to_their_local_leader() -> None:
    wl = c.make_workload("write-heavy", seed=3)
    table = c.compare(workload=wl, faults=c.Faults.none(), schemes=["multi-leader LWW"], seed=3)
    assert table.loc["multi-leader LWW", "write_latency_p99_ms"] == 2 * c.Layout().client_latency


@needs_sl
@pytest.mark.parametrize("mode", ["async", "sync"])
def test_a_remote_clients_write_to_a_single_leader_pays_its_round_trip(mode: str) -> None:
    wl = c.make_workload("write-heavy", seed=3)
    layout = c.Layout()
    run = c.run_scheme(f"single-leader {mode}", wl, c.Faults.none(), layout=layout)
    writes = run.ops[(run.ops["kind"] == "write") & run.ops["ok"].eq(True)]
    latency = writes["end"] - writes["start"]
    remote = writes["client"].map(wl.home) != "A"
    trip = 2 * (layout.client_latency + layout.far_latency)
    assert (latency[remote] >= trip - 1e-9).all() and remote.any()
    if mode == "async":  # a local client of the leader pays only its own near round trip
        assert latency[~remote].tolist() == pytest.approx([2 * layout.client_latency] * int((~remote).sum()))
    else:  # synchronous: plus the round trip to the farthest follower
        assert (latency[~remote] >= 2 * (layout.far_latency + c.LINK_LOW_MS)).all()


def test_far_latency_zero_puts_everything_in_one_place() -> None:
    wl = c.make_workload("write-heavy", seed=3)
    table = c.compare(workload=wl, faults=c.Faults.none(), layout=c.Layout(far_latency=0.0), schemes=SCHEMES)
    assert (table["write_latency_p99_ms"] < 2 * (c.LINK_HIGH_MS + 1.0) + 0.5).all()


# -- the cache -----------------------------------------------------------------------------------


@settings(max_examples=6, deadline=None)
@given(
    seed=st.integers(0, 100),
    skew=st.sampled_from([0.0, 40.0, 200.0]),
    scheme=st.sampled_from(c.results.CLOCK_FREE),
)
def test_the_union_merge_is_the_same_under_any_clock_skew(seed: int, skew: float, scheme: str) -> None:
    """What lets compare's cache leave the skew out of the union schemes' key."""
    wl = c.make_workload("write-heavy", rate=40.0, seed=seed)
    plain_run = c.run_scheme(scheme, wl, c.Faults(clock_skew=0.0), seed=seed)
    skewed_run = c.run_scheme(scheme, wl, c.Faults(clock_skew=skew), seed=seed)
    assert c.scheme_metrics(plain_run) == c.scheme_metrics(skewed_run)
    assert c.model_figures(plain_run) == c.model_figures(skewed_run)
    assert all(c.fault_record(skewed_run, c.Faults(clock_skew=skew)).values())  # every fault reached it
