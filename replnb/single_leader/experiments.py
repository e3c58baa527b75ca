"""Two measured trade-offs of chapter 1: the failover timeout, and a failed synchronous follower.

:func:`failover_timeout_sweep` runs, for every ``detection_timeout``, a
leader that only *pauses* (a stop-the-world garbage collection, a frozen
virtual machine: it stops and then comes back on its own) and a leader that
crashes for good. A short timeout promotes a follower during the pause: an
unnecessary failover, which loses the writes the paused leader had not yet
replicated, and leaves a second leader that one client with a stale view
keeps writing to (split brain). A long timeout leaves writes unavailable for
longer when the leader really is dead.

:func:`follower_failure` crashes one follower for a while and measures how
many writes are acknowledged quickly in each replication mode: a failed
synchronous follower blocks every write, semi-synchronous replication
replaces it by an asynchronous one after ``detection_timeout``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..params import Int, Real, checked
from .model import MODES
from .simulation import simulate

__all__ = ["FOLLOWER_FAILURE", "TIMEOUT_SCENARIO", "failover_timeout_sweep", "follower_failure"]

#: The scenario of :func:`failover_timeout_sweep`: three clients, one with a stale view of the leader.
TIMEOUT_SCENARIO: dict[str, Any] = dict(
    mode="async", replication_delay=20.0, duration=450.0, stale_clients=1, think_time=10.0, write_fraction=1.0
)
#: When the leader stops, in every run of :func:`failover_timeout_sweep` (ms).
STOP_AT = 200.0
#: The mean pause of the leader (exponential), ms.
MEAN_PAUSE = 60.0

#: The scenario of :func:`follower_failure`: follower B down from 200 to 500 ms.
FOLLOWER_FAILURE: dict[str, Any] = dict(
    followers=2, replication_delay=20.0, duration=700.0, detection_timeout=60.0, crashes=[("B", 200.0, 500.0)]
)


def _pause(seed: int) -> float:
    """The length of the leader's pause in run ``seed``: exponential with mean :data:`MEAN_PAUSE`."""
    return float(np.random.default_rng([seed, 1]).exponential(MEAN_PAUSE)) + 1.0


def _timeouts(timeouts: Any) -> list[float]:
    values = list(timeouts)
    if not values or len(values) > 20:
        raise ValueError(f"timeouts must hold 1..20 values, got {len(values)}")
    return [Real(0, 10_000, unit="ms").check("timeouts", t) for t in values]


@checked(seeds=Int(1, 50))
def failover_timeout_sweep(timeouts: Sequence[float], *, seeds: int = 10) -> pd.DataFrame:
    """For every detection timeout: unnecessary failovers after a pause, unavailability after a crash.

    Parameters
    ----------
    timeouts : sequence of float
        The values of ``detection_timeout`` to try (ms), 1..20 of them.
    seeds : int
        Runs per timeout, 1..50; run ``s`` pauses the leader for a time drawn
        from an exponential distribution (mean 60 ms), the same for every timeout.

    Returns
    -------
    DataFrame
        One row per timeout and seed: ``timeout``, ``seed``, ``pause_ms``;
        from the pause run ``failovers`` (every one unnecessary: the leader
        comes back), ``lost_writes``, ``split_brain_writes``,
        ``pause_unavailable_ms``; from the crash run (the leader never comes
        back) ``crash_unavailable_ms``.

    Examples
    --------
    >>> df = failover_timeout_sweep([20, 200], seeds=2)
    >>> df.groupby("timeout")["crash_unavailable_ms"].mean().tolist()
    [20.0, 200.0]
    """
    rows = []
    for timeout in _timeouts(timeouts):
        for seed in range(seeds):
            pause = _pause(seed)
            common = dict(TIMEOUT_SCENARIO, detection_timeout=timeout, seed=seed)
            paused = simulate(crashes=[("A", STOP_AT, STOP_AT + pause)], **common)
            crashed = simulate(crashes=[("A", STOP_AT, None)], **common)
            rows.append(
                dict(
                    timeout=timeout,
                    seed=seed,
                    pause_ms=pause,
                    failovers=len(paused.extras["promotions"]),
                    lost_writes=int(paused.metrics["lost_writes"]),
                    split_brain_writes=int(paused.metrics["split_brain_writes"]),
                    pause_unavailable_ms=float(paused.metrics["write_unavailable_ms"]),
                    crash_unavailable_ms=float(crashed.metrics["write_unavailable_ms"]),
                )
            )
    return pd.DataFrame(rows)


@checked(seeds=Int(1, 50))
def follower_failure(modes: Sequence[str] = MODES, *, seeds: int = 6) -> pd.DataFrame:
    """Follower ``B`` down from 200 to 500 ms (:data:`FOLLOWER_FAILURE`): do writes still go through?

    Parameters
    ----------
    modes : sequence of str
        Replication modes among :data:`~replnb.single_leader.MODES`.
    seeds : int
        Runs per mode, 1..50.

    Returns
    -------
    DataFrame
        One row per mode and seed: ``mode``, ``seed``, ``acked_during``
        (writes acknowledged while ``B`` is down), ``acked_healthy`` (the
        same count in the same run without the failure), ``throughput``
        (their ratio) and ``longest_gap_ms`` (the longest stretch of the
        failure in which no write was acknowledged).

    Examples
    --------
    >>> df = follower_failure(["sync", "async"], seeds=1)
    >>> df.set_index("mode")["acked_during"].to_dict()["sync"]
    0
    """
    ((_, down, up),) = FOLLOWER_FAILURE["crashes"]
    rows = []
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"modes must be among {list(MODES)}, got {mode!r}")
        for seed in range(seeds):
            failed = _acks(simulate(mode=mode, seed=seed, **FOLLOWER_FAILURE).ops, down, up)
            healthy = _acks(
                simulate(mode=mode, seed=seed, **dict(FOLLOWER_FAILURE, crashes=None)).ops, down, up
            )
            gaps = np.diff(np.concatenate([[down], failed, [up]]))
            rows.append(
                dict(
                    mode=mode,
                    seed=seed,
                    acked_during=len(failed),
                    acked_healthy=len(healthy),
                    throughput=len(failed) / len(healthy) if len(healthy) else np.nan,
                    longest_gap_ms=float(gaps.max()),
                )
            )
    return pd.DataFrame(rows)


def _acks(ops: pd.DataFrame, since: float, until: float) -> np.ndarray:
    """When the writes acknowledged in ``[since, until)`` were acknowledged, in order."""
    acked = ops[(ops["kind"] == "write") & ops["ok"]]
    ends = np.sort(acked["end"].to_numpy(dtype=float))
    return ends[(ends >= since) & (ends < until)]
