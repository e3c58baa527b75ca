"""Figures computed from leaderless runs: lagging replicas, read ages, closed forms."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..engine.latency import PRESETS
from ..engine.rng import Seed, as_rng
from ..params import Int, checked
from ..pbs import stale_read_probability, t_visibility
from ..records import Run
from .simulation import MAX_WORK, simulate
from .stats import binomial_test, poisson_binomial_test

__all__ = [
    "MAX_CASES",
    "MAX_CASE_N",
    "MAX_READS",
    "closed_form_check",
    "expected_stale_reads",
    "lagging_replicas",
    "read_ages",
    "stale_read_test",
]


def lagging_replicas(run: Run) -> pd.DataFrame:
    """How many home replicas are behind, over time (the convergence curve).

    A (key, home replica) pair *lags* while the replica holds a version older
    than the newest acknowledged write of the key, in timestamp order (the
    yardstick of PBS, see :func:`read_ages`). Crashed replicas count too: they miss writes.

    Returns
    -------
    pandas.DataFrame
        A step function with columns ``time`` (ms), ``lagging`` (pairs) and
        ``fraction`` (of all ``keys * n`` pairs); each value holds from its
        time until the next row. The first row is at time 0.

    Examples
    --------
    >>> run = simulate(n=3, r=1, w=1, keys=1, write_rate=20, read_rate=0, duration=200,
    ...                read_repair=False, seed=3)
    >>> lag = lagging_replicas(run)
    >>> float(lag["fraction"].iloc[0]), float(lag["fraction"].iloc[-1])
    (0.0, 0.0)
    >>> bool(lag["fraction"].max() > 0)
    True
    """
    ops = run.ops
    home: Mapping[str, Sequence[str]] = run.extras["home"]
    acked = ops[(ops["kind"] == "write") & ops["ok"].astype(bool)]
    versions = run.versions
    versions = versions[versions["event"] != "hint"]
    events: list[tuple[float, int, str, str, int]] = [
        (float(t), 0, k, "", int(v))
        for t, k, v in zip(acked["end"], acked["key"], acked["version"], strict=True)
    ]
    events += [
        (float(t), 1, k, x, int(v))
        for t, x, k, v in zip(
            versions["time"], versions["node"], versions["key"], versions["version"], strict=True
        )
        if x in home[k]
    ]
    events.sort()
    newest: dict[str, int] = {}
    held: dict[tuple[str, str], int] = {}
    lagging = 0
    times, counts = [0.0], [0]
    for t, is_apply, key, node, version in events:
        top = newest.get(key, 0)
        if is_apply:  # one pair changes: it may stop lagging
            old = held.get((key, node), 0)
            held[(key, node)] = new = max(old, version)
            lagging += (new < top) - (old < top)
        elif version > top:  # a newer write: the pairs that held at least the old newest now lag
            newest[key] = version
            lagging += sum(top <= held.get((key, x), 0) < version for x in home[key])
        if times[-1] == t:
            counts[-1] = lagging
        else:
            times.append(t)
            counts.append(lagging)
    total = len(home) * int(run.params["n"])
    return pd.DataFrame(
        {
            "time": np.array(times, dtype=float),
            "lagging": np.array(counts, dtype=int),
            "fraction": np.array(counts, dtype=float) / total,
        }
    )


def read_ages(run: Run) -> pd.DataFrame:
    """For each completed read, the time since the newest write before it was acknowledged.

    This is the ``t`` of PBS t-visibility: a read that starts ``age`` ms
    after the newest acknowledged write committed, and whether it saw that
    write. Reads with no acknowledged write before them are left out.

    PBS has one write at a time, so "newest" is the store's own order, the
    write timestamps: a read is ``behind`` when it returned a version older
    than the newest write acknowledged before it began. This is PBS's stale
    read. It is not the course's causal ``stale`` column of ``run.ops``,
    which asks whether the read missed a write that is not lost (see
    :mod:`replnb.metrics`): with one write at a time the two agree, with
    concurrent writes they differ.

    Returns
    -------
    pandas.DataFrame
        Columns ``op_id``, ``key``, ``start``, ``age`` (ms), ``version`` (the
        newest acknowledged version of the key when the read began),
        ``in_flight`` (another write of the key had begun but was not yet
        acknowledged or failed when the read began: the read may see it) and
        ``behind`` (it returned an older version than ``version``).

    Examples
    --------
    >>> ages = read_ages(simulate(n=3, r=1, w=1, seed=2))
    >>> bool((ages["age"] > 0).all()), list(ages.columns)
    (True, ['op_id', 'key', 'start', 'age', 'version', 'in_flight', 'behind'])
    """
    ops = run.ops
    reads = ops[(ops["kind"] == "read") & ops["ok"].astype(bool)]
    acked = ops[(ops["kind"] == "write") & ops["ok"].astype(bool)]
    columns = ["op_id", "key", "start", "age", "version", "in_flight", "behind"]
    if reads.empty or acked.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    w = acked[["key", "end", "version"]].astype({"end": float, "version": float}).sort_values("end")
    w = w.assign(newest=w.groupby("key")["version"].cummax())
    # the commit time of the newest version: the ack of the write that has it
    commit = w[w["version"] == w["newest"]][["key", "end", "newest"]].rename(columns={"end": "commit"})
    r = reads[["op_id", "key", "start", "version"]].astype({"start": float, "version": float})
    r = r.rename(columns={"version": "returned_version"}).sort_values("start")
    merged = pd.merge_asof(
        r, commit, left_on="start", right_on="commit", by="key", allow_exact_matches=False
    ).dropna(subset=["commit"])
    merged = merged.assign(
        age=merged["start"] - merged["commit"],
        version=merged["newest"].astype(int),
        behind=merged["returned_version"] < merged["newest"],
    )
    merged = merged.sort_values("op_id").reset_index(drop=True)
    writes = ops[ops["kind"] == "write"]
    in_flight = np.zeros(len(merged), dtype=bool)
    for key, group in merged.groupby("key", sort=True):
        wk = writes[writes["key"] == key]
        began = wk["start"].to_numpy(dtype=float)
        ended = wk["end"].to_numpy(dtype=float)
        ended = np.where(np.isnan(ended), np.inf, ended)
        t = group["start"].to_numpy(dtype=float)[:, None]
        in_flight[group.index.to_numpy()] = ((began[None, :] < t) & (ended[None, :] > t)).any(axis=1)
    merged["in_flight"] = in_flight
    return merged[columns]


#: The most (n, r, w) cases of :func:`closed_form_check`, and their largest n.
MAX_CASES, MAX_CASE_N = 12, 9
#: The most reads per case.
MAX_READS = 10_000


def _check_cases(cases: object, reads: int) -> list[tuple[int, int, int]]:
    """``cases`` as ``(n, r, w)`` triples; ``reads`` within the work budget of all of them together."""
    if isinstance(cases, (str, bytes)) or not isinstance(cases, Sequence) or not 1 <= len(cases) <= MAX_CASES:
        raise ValueError(f"cases must be a sequence of 1..{MAX_CASES} (n, r, w) triples, got {cases!r}")
    out = []
    for i, case in enumerate(cases):
        if isinstance(case, str) or not isinstance(case, Sequence) or len(case) != 3:
            raise ValueError(f"cases[{i}] must be an (n, r, w) triple, got {case!r}")
        n = Int(1, MAX_CASE_N).check(f"cases[{i}] n", case[0])
        r = Int(1, "n").check(f"cases[{i}] r", case[1], {"n": n})
        w = Int(1, "n").check(f"cases[{i}] w", case[2], {"n": n})
        out.append((n, r, w))
    # each read costs about 3 n units of simulate's work (and the writes one percent more)
    most = int(MAX_WORK / (3.03 * sum(n for n, _, _ in out)))
    Int(1, min(MAX_READS, most), unit="for these cases").check("reads", reads)
    return out


@checked(reads=Int(1, MAX_READS))
def closed_form_check(
    cases: Sequence[tuple[int, int, int]] = (
        (3, 1, 1),
        (3, 1, 2),
        (3, 2, 1),
        (5, 1, 1),
        (5, 2, 2),
        (5, 1, 3),
    ),
    *,
    reads: int = 3000,
    seed: Seed = 0,
) -> pd.DataFrame:
    """The stale fraction of simulated non-expanding quorums next to the closed form.

    For each ``(n, r, w)`` the simulation runs with ``propagate=False``, no
    read repair and no anti-entropy, one key, writes every 100 ms on average
    and about ``reads`` reads, exponential delays with a 1 ms mean. Reads
    before the first acknowledged write are left out, and so are reads that
    began while another write was in flight (they may see that newer write,
    which the formula does not count). Each read picks its ``r`` replicas at
    random, independently of the others and of the write, so the number of
    stale reads is binomial under the closed form: ``p_value`` is the exact
    two-sided binomial test of the simulated count
    (:func:`replnb.leaderless.stats.binomial_test`); a wrong model or formula
    would make it tiny. ``z`` is the difference in standard errors,
    ``sqrt(p (1 - p) / reads)``.

    Parameters
    ----------
    cases : sequence of (n, r, w)
        1..12 cases, each with ``n`` in 1..9 and ``r``, ``w`` in 1..n.
    reads : int, default 3000
        Reads per case, 1..10000, and at most what the work budget of
        :func:`simulate` allows for all the cases together (``3.03 * reads``
        times the sum of the cases' ``n`` within
        :data:`~replnb.leaderless.simulation.MAX_WORK`).
    seed : int, numpy.random.Generator or None, default 0
        Each case runs with a seed drawn from this one.

    Returns
    -------
    pandas.DataFrame
        Columns ``n, r, w, closed_form, simulated, reads, stale, std_error, z, p_value``.

    Examples
    --------
    >>> df = closed_form_check([(3, 1, 1), (3, 2, 2)], reads=500)
    >>> df[["n", "r", "w", "closed_form"]].round(3).values.tolist()
    [[3.0, 1.0, 1.0, 0.667], [3.0, 2.0, 2.0, 0.0]]
    >>> bool((df["p_value"] > 1e-4).all())
    True
    """
    checked_cases = _check_cases(cases, reads)
    rng = as_rng(seed)
    rows = []
    for n, r, w in checked_cases:
        p = stale_read_probability(n, r, w)
        duration = 1000.0 * max(1.0, reads / 1000.0)
        run = simulate(
            n=n,
            r=r,
            w=w,
            keys=1,
            write_rate=10.0,
            read_rate=reads / duration * 1000.0,
            duration=duration,
            settle=50.0,
            timeout=50.0,
            read_repair=False,
            propagate=False,
            latency=1.0,
            seed=int(rng.integers(0, 2**31)),
        )
        ages = read_ages(run)
        ages = ages[~ages["in_flight"].astype(bool)]
        count = len(ages)
        simulated = float(ages["behind"].mean()) if count else math.nan
        se = math.sqrt(p * (1 - p) / count) if count else math.nan
        z = (simulated - p) / se if se > 0 else (0.0 if simulated == p else math.inf)
        stale = int(ages["behind"].sum())
        rows.append((n, r, w, p, simulated, count, stale, se, z, binomial_test(stale, count, p)))
    columns = ["n", "r", "w", "closed_form", "simulated", "reads", "stale", "std_error", "z", "p_value"]
    return pd.DataFrame(rows, columns=columns)


def expected_stale_reads(run: Run, *, trials: int = 100_000, seed: Seed = 0) -> pd.Series:
    """The stale reads of a run next to what the PBS WARS model predicts for it.

    Each completed read that follows an acknowledged write is a PBS read
    ``t`` ms after the commit (its ``age``, see :func:`read_ages`), stale
    with probability ``1 - t_visibility(n, r, w, t)``. Summing over the reads
    gives the expected number of stale reads. The model has one write at a
    time, so reads that began while a newer write was in flight (which they
    may see) are left out. Reads after the same write share its delays and
    are not independent, so ``std`` is cluster-robust: the square root of
    the sum, over writes, of the squared difference between the stale reads
    after that write and their expected number (or the binomial standard
    deviation, if that is larger, as it is when stale reads are rare).

    The WARS model's coordinator is a proxy: every replica, also one on the
    coordinator's own node, gets the write and the read over the network.
    Home coordinators store their copy and answer for themselves at once, so
    the run must use ``coordinator="any"``.

    Parameters
    ----------
    run : Run
        A :func:`simulate` run with ``coordinator="any"`` whose ``latency``
        was a PBS preset name.
    trials, seed
        As in :func:`replnb.pbs.t_visibility`.

    Returns
    -------
    pandas.Series
        ``reads``, ``observed``, ``expected``, ``std`` and ``z``.

    Examples
    --------
    >>> run = simulate(r=1, w=1, keys=1, write_rate=20, read_rate=500, read_repair=False,
    ...                coordinator="any", seed=1)
    >>> check = expected_stale_reads(run, trials=20_000)
    >>> bool(abs(check["z"]) < 4)
    True
    """

    latency = _check_pbs_run(run)
    ages = read_ages(run)
    ages = ages[~ages["in_flight"].astype(bool)]
    n, r, w = (int(run.params[k]) for k in ("n", "r", "w"))
    p = t_visibility(n, r, w, ages["age"].to_numpy(dtype=float), latency=latency, trials=trials, seed=seed)
    residual = ages["behind"].astype(float).to_numpy() - (1 - p)
    per_write = pd.Series(residual).groupby([ages["key"].to_numpy(), ages["version"].to_numpy()]).sum()
    expected = float((1 - p).sum())
    std = float(np.sqrt(max((per_write**2).sum(), (p * (1 - p)).sum())))
    observed = int(ages["behind"].sum())
    z = (observed - expected) / std if std > 0 else (0.0 if observed == expected else math.inf)
    return pd.Series(
        {"reads": len(ages), "observed": observed, "expected": expected, "std": std, "z": z},
        name=f"N={n} R={r} W={w} {latency}",
    )


def _check_pbs_run(run: Run) -> str:
    latency = run.params.get("latency")
    if not isinstance(latency, str) or latency not in PRESETS:
        raise ValueError(f"run latency must be one of the PBS presets {sorted(PRESETS)}, got {latency!r}")
    if not run.params.get("propagate", True):
        raise ValueError("run must propagate writes (propagate=True): PBS models expanding quorums")
    if run.params.get("coordinator", "any") != "any":
        raise ValueError(
            "run must use coordinator='any': in PBS the coordinator reaches every replica over the network"
        )
    return latency


def stale_read_test(run: Run, *, trials: int = 100_000, seed: Seed = 0) -> pd.Series:
    """An exact test of a run's stale reads against the PBS model, on reads that are independent.

    Reads after the same write share its delays, so their staleness is
    correlated; reads after different writes are not. This test keeps the
    first read after each write (not in flight, as in
    :func:`expected_stale_reads`), whose chance of being stale is
    ``1 - t_visibility(n, r, w, age)``, and computes the exact two-sided
    Poisson-binomial p-value of their stale count
    (:func:`replnb.leaderless.stats.poisson_binomial_test`). A p-value
    below 0.001 would say that the simulator and the PBS model disagree.

    Parameters
    ----------
    run : Run
        As for :func:`expected_stale_reads`.
    trials, seed
        As in :func:`replnb.pbs.t_visibility`.

    Returns
    -------
    pandas.Series
        ``reads`` (one per write), ``observed``, ``expected`` and ``p_value``.

    Examples
    --------
    >>> run = simulate(r=1, w=1, keys=1, write_rate=50, read_rate=500, read_repair=False,
    ...                coordinator="any", duration=4000, seed=1)
    >>> bool(stale_read_test(run, trials=20_000)["p_value"] > 0.001)
    True
    """
    latency = _check_pbs_run(run)
    ages = read_ages(run)
    ages = ages[~ages["in_flight"].astype(bool)]
    first = ages.sort_values("start").groupby(["key", "version"], sort=True).head(1)
    n, r, w = (int(run.params[k]) for k in ("n", "r", "w"))
    p = t_visibility(n, r, w, first["age"].to_numpy(dtype=float), latency=latency, trials=trials, seed=seed)
    stale = np.clip(1 - np.asarray(p, dtype=float), 0.0, 1.0)
    observed = int(first["behind"].sum())
    return pd.Series(
        {
            "reads": len(first),
            "observed": observed,
            "expected": float(stale.sum()),
            "p_value": poisson_binomial_test(observed, stale.tolist()),
        },
        name=f"N={n} R={r} W={w} {latency}",
    )
