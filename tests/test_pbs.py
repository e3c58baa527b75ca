"""Tests for replnb.pbs: closed forms, the WARS Monte Carlo and the published figures."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb import pbs
from replnb.engine import latency as lat
from replnb.pbs import (
    MAX_REPLICAS,
    compare_published,
    k_staleness,
    published_latency,
    published_results,
    stale_read_probability,
    t_visibility,
    t_visibility_quantile,
    visibility_thresholds,
)

PRESET_NAMES = sorted(lat.PRESETS)


@st.composite
def nrw(draw: st.DrawFn, max_n: int = 30) -> tuple[int, int, int]:
    n = draw(st.integers(1, max_n))
    return n, draw(st.integers(1, n)), draw(st.integers(1, n))


# ---------------------------------------------------------------------------
# closed forms


def brute_force_stale(n: int, r: int, w: int) -> Fraction:
    """Enumerate every (write quorum, read quorum) pair: the independent oracle."""
    replicas = range(n)
    misses = total = 0
    for wq in itertools.combinations(replicas, w):
        for rq in itertools.combinations(replicas, r):
            total += 1
            misses += not set(wq) & set(rq)
    return Fraction(misses, total)


def test_closed_form_known_values() -> None:
    assert stale_read_probability(3, 1, 1) == pytest.approx(2 / 3)
    assert stale_read_probability(3, 1, 2) == pytest.approx(1 / 3)
    assert stale_read_probability(3, 2, 1) == pytest.approx(1 / 3)
    assert stale_read_probability(1, 1, 1) == 0.0
    # Strict quorums never miss.
    for n, r, w in [(3, 2, 2), (3, 1, 3), (3, 3, 1), (5, 3, 3), (5, 1, 5)]:
        assert stale_read_probability(n, r, w) == 0.0


def test_closed_form_matches_the_paper_examples() -> None:
    # Bailis et al.: N=100, R=W=30 gives p_s = 1.88e-6.
    assert stale_read_probability(100, 30, 30) == pytest.approx(1.88e-6, rel=5e-3)
    # N=3, R=W=1: one of the last 2 versions with 0.5 (repeating), 3 versions 0.703..., 5 > 0.868, 10 > 0.98.
    assert 1 - k_staleness(3, 1, 1, 2) == pytest.approx(5 / 9)
    assert 1 - k_staleness(3, 1, 1, 3) == pytest.approx(19 / 27)
    assert 1 - k_staleness(3, 1, 1, 5) > 0.868
    assert 1 - k_staleness(3, 1, 1, 10) > 0.98
    # N=3, R=1, W=2: k=1 -> 0.6 (repeating), k=2 -> 0.8 (repeating), k=5 > 0.995.
    assert 1 - k_staleness(3, 1, 2, 1) == pytest.approx(2 / 3)
    assert 1 - k_staleness(3, 1, 2, 2) == pytest.approx(8 / 9)
    assert 1 - k_staleness(3, 1, 2, 5) > 0.995


@given(nrw(max_n=7))
def test_closed_form_equals_enumeration(params: tuple[int, int, int]) -> None:
    n, r, w = params
    assert stale_read_probability(n, r, w) == pytest.approx(float(brute_force_stale(n, r, w)), abs=1e-15)


@given(nrw())
def test_closed_form_is_a_probability_zero_iff_strict(params: tuple[int, int, int]) -> None:
    n, r, w = params
    p = stale_read_probability(n, r, w)
    assert 0.0 <= p <= 1.0
    assert (p == 0.0) == (r + w > n)


@given(nrw())
def test_closed_form_is_symmetric_in_r_and_w(params: tuple[int, int, int]) -> None:
    n, r, w = params
    assert stale_read_probability(n, r, w) == pytest.approx(stale_read_probability(n, w, r), rel=1e-12)


@given(nrw())
def test_closed_form_non_increasing_in_r_and_w(params: tuple[int, int, int]) -> None:
    n, r, w = params
    p = stale_read_probability(n, r, w)
    if r < n:
        assert stale_read_probability(n, r + 1, w) <= p
    if w < n:
        assert stale_read_probability(n, r, w + 1) <= p


@given(nrw(), st.integers(1, 50))
def test_k_staleness_is_the_power(params: tuple[int, int, int], k: int) -> None:
    n, r, w = params
    p = stale_read_probability(n, r, w)
    pk = k_staleness(n, r, w, k)
    assert pk == pytest.approx(p**k, rel=1e-12, abs=1e-300)
    assert 0.0 <= pk <= p <= 1.0
    assert k_staleness(n, r, w, k + 1) <= pk


# ---------------------------------------------------------------------------
# WARS Monte Carlo

#: A WARS setting in which the Monte Carlo must equal the closed form at t = 0:
#: A = R = 0, so the write quorum is exactly the w replicas with the earliest W, every
#: other replica receives the write after the commit, and the read quorum (the first r by
#: S alone) is a uniformly random r-subset independent of the write.
NON_EXPANDING_AT_ZERO = {
    "W": lat.exponential(1.0),
    "A": lat.constant(0.0),
    "R": lat.constant(0.0),
    "S": lat.exponential(1.0),
}


def binomial_tolerance(p: float, trials: int, sigmas: float = 5.0) -> float:
    return sigmas * math.sqrt(max(p * (1 - p), 1e-12) / trials) + 1e-12


@pytest.mark.parametrize(("n", "r", "w"), [(3, 1, 1), (3, 1, 2), (3, 2, 1), (5, 2, 2), (9, 1, 3), (4, 2, 2)])
def test_t_zero_equals_closed_form_when_write_does_not_race_the_read(n: int, r: int, w: int) -> None:
    trials = 200_000
    expected = 1 - stale_read_probability(n, r, w)
    got = t_visibility(n, r, w, 0.0, latency=NON_EXPANDING_AT_ZERO, trials=trials, seed=11)
    assert got == pytest.approx(expected, abs=binomial_tolerance(expected, trials))


@settings(max_examples=25, deadline=None)
@given(nrw(max_n=6), st.sampled_from(PRESET_NAMES), st.integers(0, 2**32 - 1))
def test_closed_form_bounds_the_monte_carlo(params: tuple[int, int, int], preset: str, seed: int) -> None:
    # The write quorum and the read quorum are independent uniform subsets, and the
    # write quorum is always fresh, so P(consistent) >= 1 - p_s at every t >= 0.
    n, r, w = params
    trials = 20_000
    bound = 1 - stale_read_probability(n, r, w)
    got = t_visibility(n, r, w, 0.0, latency=preset, trials=trials, seed=seed)
    assert got >= bound - binomial_tolerance(bound, trials)


@settings(max_examples=25, deadline=None)
@given(
    nrw(max_n=8),
    st.sampled_from(PRESET_NAMES),
    st.lists(st.floats(0, 5_000, allow_nan=False), min_size=1, max_size=30),
)
def test_probability_in_unit_interval_and_monotone_in_t(
    params: tuple[int, int, int], preset: str, times: list[float]
) -> None:
    n, r, w = params
    ts = np.sort(np.array(times))
    curve = t_visibility(n, r, w, ts, latency=preset, trials=2_000, seed=3)
    assert curve.shape == ts.shape
    assert np.all((curve >= 0) & (curve <= 1))
    assert np.all(np.diff(curve) >= 0)


@settings(max_examples=20, deadline=None)
@given(nrw(max_n=9).filter(lambda p: p[1] + p[2] > p[0]), st.sampled_from(PRESET_NAMES))
def test_strict_quorums_are_always_consistent(params: tuple[int, int, int], preset: str) -> None:
    n, r, w = params
    curve = t_visibility(n, r, w, [0.0, 0.5, 10.0, math.inf], latency=preset, trials=5_000, seed=5)
    assert np.all(curve == 1.0)
    assert t_visibility_quantile(n, r, w, 1.0, latency=preset, trials=5_000, seed=5) == 0.0


def test_strict_quorum_is_exact_even_with_zero_delays() -> None:
    # Ties (a replica receives the write exactly when the read arrives) count as fresh.
    zero = {leg: lat.constant(0.0) for leg in "WARS"}
    assert t_visibility(3, 2, 2, 0.0, latency=zero, trials=100) == 1.0
    assert t_visibility(3, 1, 1, 0.0, latency=zero, trials=100) == 1.0


def test_large_t_gives_one() -> None:
    for preset in PRESET_NAMES:
        assert t_visibility(3, 1, 1, math.inf, latency=preset, trials=10_000) == 1.0
        assert t_visibility(3, 1, 1, 1e12, latency=preset, trials=10_000) == 1.0


def test_write_that_never_arrives_in_time_is_never_seen() -> None:
    # Only the write quorum has the write for a long time: R=W=1 over N=3 sees it iff the
    # read picks the one replica that committed it.
    slow_write = {
        "W": lat.mixture([(1 / 3, lat.constant(0.0)), (2 / 3, lat.constant(1e6))]),
        "A": lat.constant(0.0),
        "R": lat.constant(0.0),
        "S": lat.exponential(1.0),
    }
    p0 = t_visibility(3, 1, 1, 0.0, latency=slow_write, trials=50_000, seed=2)
    assert 0.0 < p0 < 1.0
    assert t_visibility(3, 1, 1, 2e6, latency=slow_write, trials=50_000, seed=2) == 1.0


def test_array_and_scalar_agree_and_shape_is_kept() -> None:
    ts = np.array([[0.0, 1.0, 5.0], [10.0, 50.0, 200.0]])
    curve = t_visibility(3, 1, 1, ts, trials=30_000, seed=9)
    assert isinstance(curve, np.ndarray)
    assert curve.shape == (2, 3)
    for idx in np.ndindex(ts.shape):
        scalar = t_visibility(3, 1, 1, float(ts[idx]), trials=30_000, seed=9)
        assert isinstance(scalar, float)
        assert scalar == curve[idx]
    as_list = t_visibility(3, 1, 1, [0.0, 1.0, 5.0], trials=30_000, seed=9)
    np.testing.assert_array_equal(as_list, curve[0])


def test_curve_is_the_empirical_cdf_of_the_thresholds() -> None:
    th = visibility_thresholds(5, 2, 1, latency="YMMR", trials=20_000, seed=4)
    assert np.all(np.diff(th) >= 0)
    for t in [0.0, 3.0, 100.0]:
        expected = np.count_nonzero(th <= t) / th.size
        assert t_visibility(5, 2, 1, t, latency="YMMR", trials=20_000, seed=4) == expected


def test_same_seed_same_numbers_and_generator_seeds_work() -> None:
    grid = np.linspace(0, 100, 50)
    a = t_visibility(5, 1, 2, grid, latency="LNKD-DISK", trials=20_000, seed=123)
    b = t_visibility(5, 1, 2, grid, latency="LNKD-DISK", trials=20_000, seed=123)
    np.testing.assert_array_equal(a, b)
    c = t_visibility(5, 1, 2, grid, latency="LNKD-DISK", trials=20_000, seed=np.random.default_rng(123))
    np.testing.assert_array_equal(a, c)
    d = t_visibility(5, 1, 2, grid, latency="LNKD-DISK", trials=20_000, seed=124)
    assert not np.array_equal(a, d)


def test_blocks_give_the_same_answer_for_many_replicas() -> None:
    # Large n forces several blocks; the result is still deterministic and sorted.
    th1 = visibility_thresholds(MAX_REPLICAS, 1, 1, latency="LNKD-SSD", trials=3_000, seed=1)
    th2 = visibility_thresholds(MAX_REPLICAS, 1, 1, latency="LNKD-SSD", trials=3_000, seed=1)
    np.testing.assert_array_equal(th1, th2)
    assert th1.shape == (3_000,)
    assert np.all(np.diff(th1) >= 0)


def test_same_numbers_in_a_fresh_process_with_another_hash_seed() -> None:
    code = (
        "from replnb.pbs import t_visibility, t_visibility_quantile;"
        "print(repr(t_visibility(3, 1, 1, 5.0, trials=20000, seed=8)),"
        " repr(t_visibility_quantile(3, 1, 1, 0.99, trials=20000, seed=8)))"
    )
    root = Path(__file__).resolve().parents[1]
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=root
        )
        outputs.add(result.stdout.strip())
    here = (
        f"{t_visibility(3, 1, 1, 5.0, trials=20000, seed=8)!r} "
        f"{t_visibility_quantile(3, 1, 1, 0.99, trials=20000, seed=8)!r}"
    )
    assert outputs == {here}


@pytest.mark.parametrize("p", [0.5, 0.9, 0.99, 0.999, 1.0])
def test_quantile_is_the_smallest_t_reaching_p(p: float) -> None:
    def curve(t: float) -> float:
        return t_visibility(3, 1, 1, t, latency="LNKD-DISK", trials=10_000, seed=6)

    tq = t_visibility_quantile(3, 1, 1, p, latency="LNKD-DISK", trials=10_000, seed=6)
    assert tq >= 0.0
    assert curve(tq) >= p
    if tq > 0:
        assert curve(float(np.nextafter(tq, -math.inf))) < p


def test_quantile_is_zero_when_reads_at_commit_are_already_consistent_enough() -> None:
    p0 = t_visibility(3, 1, 1, 0.0, latency="LNKD-SSD", trials=10_000, seed=1)
    assert t_visibility_quantile(3, 1, 1, p0, latency="LNKD-SSD", trials=10_000, seed=1) == 0.0


# ---------------------------------------------------------------------------
# published figures

#: Trials per configuration when we compare with the paper.
COMPARE_TRIALS = 300_000
#: P(consistent at t): the paper's figures and ours differ by at most 0.0098 at 2M trials
#: (the paper rounds some to whole percent) and by at most 0.0114 over six seeds at 300k.
P_TOLERANCE = 0.015
#: 99.9% windows. The paper estimated them from 50,000 trials, so its own figures carry a
#: sampling error of 3-11% (standard deviation over seeds, found by rerunning our model at
#: 50,000 trials). At 2M trials our windows come out 0-15% longer than the published ones
#: for the heavy-tailed presets (e.g. LNKD-DISK R=W=1: 51.9 ms against 45.5 ms); at 300k
#: trials our own sampling error adds a few percent (worst seen over six seeds: 21.5%).
#: Put as probabilities, at the published window our model gives P(consistent) between
#: 0.99857 and 0.99919 instead of 0.999. So we check both: the window within 30% relative,
#: and P at the published window within 0.001 of p (the sharper and steadier check).
T_REL_TOLERANCE = 0.30
P_AT_PUBLISHED_T_TOLERANCE = 0.001

_THRESHOLDS: dict[tuple[str, int, int, int], np.ndarray] = {}


def thresholds_for(label: str, n: int, r: int, w: int) -> np.ndarray:
    key = (label, n, r, w)
    if key not in _THRESHOLDS:
        _THRESHOLDS[key] = visibility_thresholds(
            n, r, w, latency=published_latency(label), trials=COMPARE_TRIALS, seed=2024
        )
    return _THRESHOLDS[key]


def test_published_results_table_is_well_formed() -> None:
    df = published_results()
    assert list(df.columns) == ["kind", "latency", "n", "r", "w", "t_ms", "p", "source"]
    assert set(df.kind) == {"t_at_p", "p_at_t"}
    assert df.source.str.len().min() > 0
    assert ((df.r <= df.n) & (df.w <= df.n) & (df.p > 0) & (df.p <= 1) & (df.t_ms >= 0)).all()
    for label in df.latency.unique():
        assert sorted(published_latency(label)) == ["A", "R", "S", "W"]
    # The table of 99.9% windows for N=3 covers all six (R, W) of each preset.
    table = df[(df.kind == "t_at_p") & (df.n == 3) & df.latency.isin(PRESET_NAMES)]
    assert len(table) == 18


PUBLISHED_ROWS = [tuple(row) for row in published_results().itertuples(index=False)]


@pytest.mark.parametrize(
    "row", PUBLISHED_ROWS, ids=[f"{r[0]}-{r[1]}-N{r[2]}R{r[3]}W{r[4]}-t{r[5]}" for r in PUBLISHED_ROWS]
)
def test_our_model_agrees_with_the_published_figures(row: tuple) -> None:
    kind, label, n, r, w, t_ms, p, _source = row
    th = thresholds_for(label, n, r, w)
    ours_p_at_t = np.searchsorted(th, t_ms, side="right") / th.size
    if kind == "p_at_t":
        assert ours_p_at_t == pytest.approx(p, abs=P_TOLERANCE)
        return
    # The smallest t >= 0 whose empirical P(consistent) reaches p (what t_visibility_quantile returns).
    reaches = np.arange(1, th.size + 1) / th.size >= p
    ours_t = max(0.0, float(th[np.argmax(reaches)]))
    if r + w > n:
        assert t_ms == 0.0
        assert ours_t == 0.0
    elif t_ms == 0.0:
        # LNKD-SSD with R=2, W=1: the paper saw no stale read at all.
        assert ours_t == 0.0
    else:
        assert ours_t == pytest.approx(t_ms, rel=T_REL_TOLERANCE)
        assert ours_p_at_t == pytest.approx(p, abs=P_AT_PUBLISHED_T_TOLERANCE)


def test_compare_published_lines_up_with_the_table() -> None:
    df = compare_published(trials=5_000, seed=1)
    assert len(df) == len(published_results())
    assert {"published", "ours", "difference"} <= set(df.columns)
    np.testing.assert_allclose(df["difference"], df["ours"] - df["published"])
    row = df.iloc[0]
    assert row["ours"] == t_visibility_quantile(
        int(row["n"]),
        int(row["r"]),
        int(row["w"]),
        float(row["p"]),
        latency=str(row["latency"]),
        trials=5_000,
        seed=1,
    )


# ---------------------------------------------------------------------------
# bad input

PRESET_MESSAGE = r"latency must be a preset name in \['LNKD-DISK', 'LNKD-SSD', 'WAN', 'YMMR'\]"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, 1, 1), r"n must be an integer in 1\.\.1000, got 0"),
        ((3, 4, 1), r"r must be an integer in 1\.\.3, got 4"),
        ((3, 0, 1), r"r must be an integer in 1\.\.3, got 0"),
        ((3, 1, 4), r"w must be an integer in 1\.\.3, got 4"),
        ((3, 1, 0), r"w must be an integer in 1\.\.3, got 0"),
        ((3.0, 1, 1), r"n must be an integer"),
        ((3, True, 1), r"r must be an integer"),
        ((3, "1", 1), r"r must be an integer"),
    ],
)
def test_closed_form_rejects_bad_parameters(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        stale_read_probability(*args)
    with pytest.raises(ValueError, match=match):
        k_staleness(*args, 1)


@pytest.mark.parametrize("k", [0, -1, 1.5, None])
def test_k_staleness_rejects_bad_k(k: object) -> None:
    with pytest.raises(ValueError, match=r"k must be an integer in 1\.\.1000"):
        k_staleness(3, 1, 1, k)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, r"n must be an integer in 1\.\.1000, got 0"),
        ({"n": MAX_REPLICAS + 1}, r"n must be an integer in 1\.\.1000, got 1001"),
        ({"r": 4}, r"r must be an integer in 1\.\.3, got 4"),
        ({"w": 0}, r"w must be an integer in 1\.\.3, got 0"),
        ({"t": -1.0}, r"t must be a number in \[0, inf\] ms, or an array .*, got -1\.0"),
        ({"t": math.nan}, r"t must be a number in \[0, inf\] ms, .*got nan"),
        ({"t": [0.0, 5.0, -0.5]}, r"t must be a number in \[0, inf\] ms, .*got -0\.5"),
        ({"t": "soon"}, r"t must be a number in \[0, inf\] ms, or an array"),
        ({"trials": 0}, r"trials must be an integer in 1\.\.1000000, got 0"),
        ({"trials": 10.0}, r"trials must be an integer in 1\.\.1000000"),
        ({"latency": "LNKD-TAPE"}, PRESET_MESSAGE),
        ({"latency": {"W": lat.constant(1)}}, r"latency must be a preset name .* keys 'W', 'A', 'R', 'S'"),
        ({"latency": dict.fromkeys("WARS", 1.0)}, r"latency must be a preset name"),
        ({"latency": 3}, r"latency must be a preset name"),
        ({"seed": -1}, r"seed must be"),
    ],
)
def test_monte_carlo_rejects_bad_parameters(kwargs: dict, match: str) -> None:
    call = {"n": 3, "r": 1, "w": 1, "t": 0.0, "trials": 100, **kwargs}
    with pytest.raises(ValueError, match=match):
        t_visibility(**call)


@pytest.mark.parametrize("p", [0, 0.0, -0.1, 1.5, math.nan, "high", None])
def test_quantile_rejects_bad_p(p: object) -> None:
    with pytest.raises(ValueError, match=r"p must be a number in \(0, 1\]"):
        t_visibility_quantile(3, 1, 1, p, trials=100)  # type: ignore[arg-type]


def test_quantile_checks_the_monte_carlo_parameters_too() -> None:
    with pytest.raises(ValueError, match=r"r must be an integer in 1\.\.3, got 5"):
        t_visibility_quantile(3, 5, 1)
    with pytest.raises(ValueError, match=PRESET_MESSAGE):
        t_visibility_quantile(3, 1, 1, latency="nope")


def test_published_latency_rejects_unknown_labels() -> None:
    with pytest.raises(ValueError, match=r"label must be one of"):
        published_latency("WAN")


def test_the_monte_carlo_is_bounded_by_trials_times_replicas() -> None:
    # trials=10**12 used to run for hours; now the budget refuses it at once
    with pytest.raises(ValueError, match=r"^trials must be an integer in 1\.\.1000000, got 1000000000000$"):
        t_visibility(3, 1, 1, 0.0, trials=10**12)
    most = pbs.MAX_CELLS // 1000
    with pytest.raises(
        ValueError, match=rf"^trials must be an integer in 1\.\.{most} \(for n=1000\), got {most + 1}$"
    ):
        visibility_thresholds(1000, 1, 1, trials=most + 1)


@pytest.mark.parametrize("t", [True, "1", None, [[0.0], [1.0, 2.0]], np.zeros(pbs.MAX_TIMES + 1)])
def test_t_must_be_numbers(t: object) -> None:
    with pytest.raises(ValueError, match=r"^t must be a number in \[0, inf\] ms, or an array of at most"):
        t_visibility(3, 1, 1, t, trials=100)  # type: ignore[call-overload]


def test_defaults_are_the_papers_running_example() -> None:
    assert stale_read_probability() == stale_read_probability(3, 1, 1)
    assert t_visibility(trials=1000) == t_visibility(3, 1, 1, 0.0, trials=1000)


# ---------------------------------------------------------------------------
# YMMR's write leg, the WAN preset and the authors' Table 4 estimator


def test_ymmr_consistent_at_commit_matches_the_papers_0_893() -> None:
    # alpha = 3.5 on YMMR's write leg (the authors' simulator); Table 3's 3.35 gives about 0.887.
    # 400,000 trials: standard error 0.0005, so 5 sigma is 0.0025; plus 0.0005 for the paper's rounding.
    trials = 400_000
    got = t_visibility(3, 1, 1, 0.0, latency="YMMR", trials=trials, seed=13)
    assert abs(got - 0.893) <= binomial_tolerance(0.893, trials) + 0.0005
    assert lat.PRESETS["YMMR"]["W"].mean == pytest.approx(0.939 * 3 * 3.5 / 2.5 + 0.061 / 0.0028)


def test_wan_adds_75_ms_to_remote_messages() -> None:
    assert pbs.WAN_DELAY_MS == 75.0
    disk = visibility_thresholds(3, 1, 1, latency="LNKD-DISK", trials=50_000, seed=1)
    wan = visibility_thresholds(3, 1, 1, latency="WAN", trials=50_000, seed=1)
    assert np.mean(wan <= 0) < np.mean(disk <= 0)
    assert t_visibility_quantile(3, 1, 1, 0.999, latency="WAN", trials=50_000) > 75.0
    # One replica: the writer and the reader share its data centre, so nothing is remote.
    one_wan = visibility_thresholds(1, 1, 1, latency="WAN", trials=20_000, seed=2)
    one_disk = visibility_thresholds(1, 1, 1, latency="LNKD-DISK", trials=20_000, seed=2)
    assert abs(np.median(one_wan) - np.median(one_disk)) < 0.05
    # Strict quorums stay exact.
    assert t_visibility(3, 2, 2, 0.0, latency="WAN", trials=5_000) == 1.0


def test_authors_grids() -> None:
    assert pbs.authors_grid("LNKD-SSD")[[0, 1, -1]].tolist() == [0.0, 0.01, 3.99]
    assert pbs.authors_grid("LNKD-DISK")[[0, 136, -1]].tolist() == [0.0, 13.6, 149.9]
    assert pbs.authors_grid("YMMR")[[0, -1]].tolist() == [1.0, 1499.0]
    assert pbs.authors_grid(published_latency("YMMR")).size == 1500  # a mapping: "medium"


def test_estimator_returns_a_grid_time_zero_for_strict_quorums_and_inf_if_never() -> None:
    got = pbs.t_visibility_as_published(3, 1, 1, latency="LNKD-DISK", exact_trials=50_000)
    assert got in pbs.AUTHORS_GRIDS["medium"]
    assert pbs.t_visibility_as_published(3, 2, 2, latency="YMMR") == 0.0
    assert pbs.t_visibility_as_published(3, 1, 1, 1.0, grid=[0.0, 0.5], exact_trials=10_000) == math.inf
    same = [
        pbs.t_visibility_as_published(3, 1, 2, latency="LNKD-SSD", exact_trials=20_000, seed=4) for _ in "ab"
    ]
    assert same[0] == same[1]


def test_binomial_and_fresh_methods_agree_in_distribution() -> None:
    # A small case: exponential delays, p = 0.9 and 400 trials per grid time.
    legs = dict.fromkeys("WARS", lat.exponential(1.0))
    grid = np.round(np.arange(100) * 0.05, 10)
    kw = {"latency": legs, "trials": 400, "grid": grid}
    fresh = np.array(
        [pbs.t_visibility_as_published(3, 1, 1, 0.9, method="fresh", seed=s, **kw) for s in range(80)]
    )
    spread = pbs.published_spread(3, 1, 1, 0.9, runs=4000, exact_trials=400_000, **kw)
    # The fresh runs below the binomial median, and inside its 5-95 % range: 3-sigma binomial bands.
    below = np.mean(fresh < spread.median) + 0.5 * np.mean(fresh == spread.median)
    assert abs(below - 0.5) < 3 * math.sqrt(0.25 / fresh.size)
    inside = np.mean((spread.low <= fresh) & (fresh <= spread.high))
    assert abs(inside - 0.9) < 3 * math.sqrt(0.09 / fresh.size) + 0.03  # + grid ties at the ends


def test_the_estimator_runs_below_the_exact_quantile_on_flat_tails() -> None:
    spread = pbs.published_spread(3, 1, 1, latency="LNKD-DISK", runs=200)
    exact = t_visibility_quantile(3, 1, 1, latency="LNKD-DISK", trials=300_000)
    assert spread.high < exact
    assert 0.80 < spread.median / exact < 0.95


def test_published_table_windows_lie_inside_the_authors_estimators_spread() -> None:
    df = pbs.published_table()
    assert list(df.columns) == [
        "latency", "n", "r", "w", "p", "published", "exact", "median", "low", "high", "inside", "applies",
    ]  # fmt: skip
    assert len(df) == 18
    assert df.loc[~df.applies, ["exact", "low", "median", "high", "published"]].eq(0).all().all()
    applied = df[df.applies]
    assert len(applied) == 9
    # Seed 0 puts every published window inside the 5-95 % range. Over seeds 0..9 that holds for
    # every row in 10 of 10 runs except LNKD-DISK R=1 W=2 (9 of 10) and YMMR R=2 W=1 (4 of 10): the
    # paper's 202 ms sits near the estimator's 95 % point (median about 180 ms, exact about 220 ms).
    bad = applied[~applied.inside]
    assert bad.empty, bad.to_string()
    assert bool((applied["low"] <= applied["median"]).all() and (applied["median"] <= applied["high"]).all())
    # Our exact quantile is at least the estimator's median wherever the tail matters.
    assert bool((applied["exact"] >= applied["median"]).all())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"grid": "daily"}, "grid must be None, one of"),
        ({"grid": [1.0, 1.0]}, "grid must be None, one of"),
        ({"grid": []}, "grid must be None, one of"),
        ({"method": "exact"}, "method must be one of"),
        ({"exact_trials": 0}, "exact_trials must be"),
        ({"trials": 0}, "trials must be"),
        ({"p": 0.0}, "p must be"),
    ],
)
def test_estimator_rejects_bad_parameters(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pbs.t_visibility_as_published(3, 1, 1, **kwargs)


def test_fresh_method_is_bounded() -> None:
    with pytest.raises(ValueError, match="MAX_FRESH_CELLS"):
        pbs.t_visibility_as_published(3, 1, 1, method="fresh", trials=50_000, grid="long")
    with pytest.raises(ValueError, match="runs must be"):
        pbs.published_spread(3, 1, 1, runs=0)
    with pytest.raises(ValueError, match="runs must be"):
        pbs.published_table(runs=pbs.MAX_RUNS + 1)


def test_spread_is_bounded_and_defaults_fit_many_replicas() -> None:
    with pytest.raises(ValueError, match="MAX_SPREAD_CELLS"):
        pbs.published_spread(3, 1, 1, runs=pbs.MAX_RUNS, grid=np.arange(1000.0))
    # exact_trials=None takes what the budget allows for n replicas.
    assert pbs.t_visibility_as_published(100, 1, 1, latency="LNKD-SSD", grid="fine") >= 0


# -- the fast paths give exactly the numbers of the plain ones --------------------------------


def test_fast_sampling_draws_the_same_numbers_as_the_distributions() -> None:
    three = lat.mixture(
        [(0.2, lat.pareto(1.0, 2.0)), (0.3, lat.exponential(0.5, shift=1.0)), (0.5, lat.uniform(0, 3))]
    )
    one = lat.mixture([(1.0, lat.constant(2))])
    dists = [d for legs in lat.PRESETS.values() for d in legs.values()] + [three, one]
    for dist in dists:
        for size in [(500, 3), (17,), (2000, 9)]:
            expected = dist.sample(np.random.default_rng(11), size)
            got = pbs._sample(dist, np.random.default_rng(11), size)
            assert got.shape == expected.shape and np.array_equal(got, expected)


@pytest.mark.parametrize("preset", ["LNKD-DISK", "YMMR", "WAN"])
def test_column_thresholds_equal_the_row_reductions(preset: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    legs = pbs._LATENCY.legs(preset)
    for n in range(1, 9):
        delays = pbs._draw_legs(rng, legs, 3_000, n, pbs.WAN_DELAY_MS if preset == "WAN" else 0.0)
        ties = tuple(np.floor(d) for d in delays)  # integer delays: many ties among R + S
        for r in sorted({1, n}):
            for w in sorted({1, n}):
                fast = [pbs._thresholds_of(d, r, w) for d in (delays, ties)]
                monkeypatch.setattr(pbs, "_COLUMNS_UP_TO", 0)
                slow = [pbs._thresholds_of(d, r, w) for d in (delays, ties)]
                monkeypatch.undo()
                assert all(np.array_equal(a, b) for a, b in zip(fast, slow, strict=True))


def test_counting_a_few_times_equals_searching_the_sorted_thresholds() -> None:
    sorted_ = visibility_thresholds(3, 1, 1, latency="LNKD-DISK", trials=5_000, seed=8)
    for t in (0.0, 3.5, [0.0, 1.0, 2.0, 4.0], [0.0, 1.0, 2.0, 4.0, 8.0]):
        expected = np.searchsorted(sorted_, np.asarray(t, dtype=float), side="right") / sorted_.size
        got = t_visibility(3, 1, 1, t, latency="LNKD-DISK", trials=5_000, seed=8)
        assert np.array_equal(np.asarray(got), expected)
