"""Tests for replnb.leaderless, its plots, the QuorumExplorer and check_quorum_choice."""

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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from replnb import leaderless, metrics, pbs, plots
from replnb.engine.latency import constant
from replnb.engine.rng import stable_hash
from replnb.exercises import check_quorum_choice
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
def test_strict_quorums_without_failures_never_read_stale(
    nrw: tuple[int, int, int],
    seed: int,
    latency: str | float,
    read_repair: bool,
    anti_entropy: float | None,
    propagate: bool,
) -> None:
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
    assert m["stale_reads"] == 0
    if latency != "YMMR":  # YMMR's exponential tail (mean 357 ms) can time a write out
        assert m["write_availability"] == 1.0
        assert m["read_availability"] == 1.0


@given(partial_quorums(), st.integers(0, 1000))
@settings(max_examples=10, deadline=None)
def test_partial_quorums_without_propagation_do_read_stale(nrw: tuple[int, int, int], seed: int) -> None:
    n, r, w = nrw
    run = simulate(n=n, r=r, w=w, keys=1, read_repair=False, propagate=False, latency=1.0, seed=seed, **SMALL)
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
    assert ages["stale"].mean() < p - 4 * se


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
        seed=1,
    )
    check = leaderless.expected_stale_reads(run, trials=100_000)
    assert check["reads"] > 2000
    assert abs(check["z"]) < 4, check
    ages = read_ages(run)
    assert check["observed"] == int(ages.loc[~ages["in_flight"], "stale"].sum())


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
        seed=1,
    )
    run.params["latency"] = "LNKD-SSD"
    assert leaderless.expected_stale_reads(run, trials=50_000)["z"] > 4


def test_expected_stale_reads_needs_a_preset_and_propagation() -> None:
    with pytest.raises(ValueError, match="run latency must be one of the PBS presets"):
        leaderless.expected_stale_reads(simulate(latency=1.0, **SMALL))
    with pytest.raises(ValueError, match="propagate=True"):
        leaderless.expected_stale_reads(simulate(propagate=False, **SMALL))


def test_in_flight_marks_reads_that_overlap_a_write() -> None:
    script = [
        (0.0, "write", "x", "A"),
        (10.0, "write", "x", "B"),
        (11.0, "read", "x", "C"),
        (40.0, "read", "x", "C"),
    ]
    run = simulate(n=3, nodes=3, r=1, w=1, script=script, latency=constant(2.0), duration=50, seed=0)
    ops = run.ops
    assert ops.loc[1, "end"] == 14.0  # 2 ms there, 2 ms back
    ages = read_ages(run).set_index("op_id")
    assert bool(ages.loc[2, "in_flight"]) and ages.loc[2, "version"] == 1 and ages.loc[2, "age"] == 7.0
    assert not ages.loc[3, "in_flight"] and ages.loc[3, "version"] == 2


def test_read_repair_reduces_stale_reads() -> None:
    for seed in range(3):
        kwargs = {"n": 3, "r": 1, "w": 1, "keys": 2, "propagate": False, "latency": 1.0, "seed": seed}
        without = simulate(read_repair=False, **kwargs).metrics
        with_rr = simulate(read_repair=True, **kwargs).metrics
        assert without["read_repairs"] == 0 < with_rr["read_repairs"]
        assert with_rr["stale_fraction"] < 0.5 * without["stale_fraction"]


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
    assert sloppy["write_availability"] == 1.0
    assert sloppy["hinted_writes"] > 0


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


# -- metrics use the shared definitions -------------------------------------------


def test_metrics_use_the_shared_definitions() -> None:
    run = simulate(r=1, w=1, read_repair=False, seed=4)
    ops = run.ops
    assert run.metrics["stale_reads"] == int(metrics.stale_reads(ops).sum())
    assert run.metrics["lost_writes"] == int(metrics.lost_writes(ops, run.extras["survivors"]).sum())
    reads = ops[ops["kind"] == "read"]
    assert ops["stale"].dtype == bool and ops["lost"].dtype == bool
    assert not ops.loc[ops["kind"] == "write", "stale"].any()
    assert run.metrics["stale_fraction"] == pytest.approx(reads["stale"].sum() / reads["ok"].sum())
    # versions rank the writes of each key: 1..k
    for _, writes in ops[ops["kind"] == "write"].groupby("key"):
        assert sorted(writes["version"]) == list(range(1, len(writes) + 1))


def test_concurrent_writes_can_be_lost_under_last_write_wins() -> None:
    run = simulate(keys=1, write_rate=2000, read_rate=0, duration=200, seed=5)
    lost = run.ops["lost"]
    assert run.metrics["lost_writes"] == int(lost.sum()) > 0


def test_lagging_replicas_is_a_step_function_in_the_unit_interval() -> None:
    run = simulate(r=1, w=1, seed=3)
    lag = lagging_replicas(run)
    assert lag["time"].is_monotonic_increasing
    assert lag["time"].iloc[0] == 0.0
    assert lag["fraction"].between(0, 1).all()
    assert lag["fraction"].iloc[-1] == 0.0
    assert lag["fraction"].max() > 0


def test_read_ages_are_positive_and_match_the_stale_column() -> None:
    run = simulate(r=1, w=1, read_repair=False, seed=6)
    ages = read_ages(run)
    assert (ages["age"] > 0).all()
    stale = run.ops.set_index("op_id")["stale"]
    assert (ages["stale"].to_numpy() == stale.loc[ages["op_id"]].to_numpy()).all()


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


# -- the exercise ----------------------------------------------------------------


def test_check_quorum_choice_accepts_exactly_the_right_answers() -> None:
    right = {(r, w) for r in range(1, 6) for w in range(1, 6) if r + w > 5 and w <= 3}
    assert right == {(3, 3), (4, 2), (5, 1), (4, 3), (5, 2), (5, 3)}
    for r in range(1, 6):
        for w in range(1, 6):
            fb = check_quorum_choice(r, w)
            assert bool(fb) == ((r, w) in right), (r, w, fb)
            assert fb.message
            if not fb:
                assert fb.hint


def test_check_quorum_choice_explains_what_is_wrong() -> None:
    assert "stale" in check_quorum_choice(2, 2).message
    assert "fail" in check_quorum_choice(2, 4).message
    assert "between 1 and N = 5" in check_quorum_choice(0, 3).message
    assert not check_quorum_choice(3.0, 3)  # type: ignore[arg-type]
    assert "single failed node stops reads" in check_quorum_choice(5, 1).message


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
    c = QuorumExplorer(n=5, r=2).controls
    assert (c["r_level"].value, c["w_level"].value) == ("custom", "custom")
