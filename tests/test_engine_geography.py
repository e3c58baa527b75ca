"""The shared geography: regions and the extra delay of messages between them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replnb.engine.geography import Geography, geography
from replnb.engine.network import Network
from replnb.engine.sim import Simulation


def test_far_message_takes_longer_by_far_latency():
    sim = Simulation()
    got = []
    geo = Geography({"A": "eu", "B": "us", "C": "eu"}, far=40.0)
    net = Network(sim, ["A", "B", "C"], latency=5.0, geography=geo)
    for n in "BC":
        net.register(n, lambda m: got.append((m.dst, sim.now)))
    net.send("A", "B", "x")
    net.send("A", "C", "x")
    net.send("A", "B", "y", delay=1.0)
    sim.run()
    assert sorted(got) == [("B", 41.0), ("B", 45.0), ("C", 5.0)]


@given(st.dictionaries(st.sampled_from("ABCD"), st.sampled_from(["eu", "us"])), st.floats(0, 500))
def test_extra_is_symmetric_and_zero_within_a_region(regions, far):
    geo = geography(regions, far, "ABCD")
    for a in "ABCD":
        assert geo.extra(a, a) == 0.0
        for b in "ABCD":
            assert geo.extra(a, b) == geo.extra(b, a) == (0.0 if geo.near(a, b) else far)


@pytest.mark.parametrize(
    ("regions", "far", "word"),
    [
        ({"Z": "eu"}, 1.0, "regions"),
        ({"A": ""}, 1.0, "regions"),
        ([("A", "eu")], 1.0, "regions"),
        ({}, -1.0, "far_latency"),
        ({}, True, "far_latency"),
        ({}, float("nan"), "far_latency"),
        ({}, 1e9, "far_latency"),
    ],
)
def test_bad_geography_is_refused_by_name(regions, far, word):
    with pytest.raises(ValueError, match=word):
        geography(regions, far, "AB")
