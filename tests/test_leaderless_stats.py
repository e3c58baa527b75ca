"""The exact tests of stale counts: p-values right by brute force, and able to reject."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb import leaderless
from replnb.leaderless.analysis import closed_form_check, stale_read_test
from replnb.leaderless.stats import binomial_pmf, binomial_test, poisson_binomial_pmf, poisson_binomial_test


def _brute_force(k: int, probs: list[float]) -> float:
    """Enumerate every outcome of the trials: P(count at most as likely as k's)."""
    by_count = [0.0] * (len(probs) + 1)
    for outcome in itertools.product([0, 1], repeat=len(probs)):
        by_count[sum(outcome)] += math.prod(q if x else 1 - q for x, q in zip(outcome, probs, strict=True))
    return min(1.0, sum(c for c in by_count if c <= by_count[k] * (1 + 1e-7)))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 10), p=st.floats(0.0, 1.0), data=st.data())
def test_binomial_test_matches_brute_force(n: int, p: float, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    assert binomial_test(k, n, p) == pytest.approx(_brute_force(k, [p] * n), rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(probs=st.lists(st.floats(0.0, 1.0), max_size=9), data=st.data())
def test_poisson_binomial_test_matches_brute_force(probs: list[float], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(probs)))
    assert poisson_binomial_test(k, probs) == pytest.approx(_brute_force(k, probs), rel=1e-9, abs=1e-12)


def test_pmfs_sum_to_one_and_agree() -> None:
    assert binomial_pmf(2000, 0.3).sum() == pytest.approx(1.0)
    assert poisson_binomial_pmf([0.3] * 50) == pytest.approx(binomial_pmf(50, 0.3))
    assert math.comb(10, 3) * 0.5**10 == pytest.approx(binomial_pmf(10, 0.5)[3])


def test_known_values() -> None:
    assert binomial_test(5, 10, 0.5) == 1.0
    assert binomial_test(0, 10, 0.5) == pytest.approx(2 * 0.5**10)
    assert binomial_test(0, 5, 0.0) == 1.0 and binomial_test(1, 5, 0.0) == 0.0


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match=r"k must be an integer in 0..3"):
        binomial_test(4, 3, 0.5)
    with pytest.raises(ValueError, match=r"p must be a probability"):
        binomial_test(1, 3, 1.5)
    with pytest.raises(ValueError, match=r"probs must be a sequence of probabilities"):
        poisson_binomial_test(0, [2.0])


def test_the_closed_form_passes_and_a_wrong_expectation_is_rejected() -> None:
    df = closed_form_check([(3, 1, 1), (5, 2, 2)], reads=2000, seed=11)
    assert (df["p_value"] > 1e-3).all()
    for row in df.itertuples():
        # the expectation off by five percentage points: the same counts now reject it
        assert binomial_test(row.stale, row.reads, row.closed_form + 0.05) < 1e-4
        assert binomial_test(row.stale, row.reads, row.closed_form - 0.05) < 1e-4


def test_the_pbs_test_passes_and_would_notice_read_repair() -> None:
    common = dict(n=3, r=1, w=1, nodes=3, keys=1, write_rate=20, read_rate=200, duration=6000,
                  latency="LNKD-DISK", coordinator="any", seed=2)  # fmt: skip
    fair = stale_read_test(leaderless.simulate(read_repair=False, **common), trials=50_000)
    assert fair["reads"] > 80 and fair["p_value"] > 1e-3
    # a wrong expectation: the same reads against the closed form of non-expanding quorums
    stale = 1 - 1 / 3
    assert binomial_test(int(fair["observed"]), int(fair["reads"]), stale) < 1e-6
