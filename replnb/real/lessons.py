"""Notebook 06: each real-server lesson beside the simulator's run of the same script.

Every function runs one lesson of :mod:`replnb.real.pg_scenarios` or
:mod:`replnb.real.maria_scenarios` on real servers and the matching scripted
run of :func:`replnb.single_leader.simulate`, :func:`replnb.multi_leader.simulate`
or :mod:`replnb.topology`, and returns one small table with a ``simulated``
and a ``measured`` column, so that a notebook cell is one call.

Counts are printed as numbers. Measured times and WAL sizes vary from run to
run; they are formatted as ``~ 123.4 ms`` / ``~ 4096 B`` (the ``~`` marks a
measurement, and the course's nbval configuration masks such values).
Where the servers are missing, the ``measured`` column says so and the
table's caption says how to install them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pandas as pd

from .. import multi_leader, single_leader, topology
from ..params import Choice, Int, Real, Values, checked
from . import maria_scenarios as maria
from . import pg_scenarios as pg
from .servers import INSTALL_HINT, ServersUnavailable, missing

__all__ = [
    "auto_increment",
    "blocked_commit",
    "divergence",
    "duplicate_key",
    "failover",
    "lag",
    "ring_cut",
    "stale_reads",
    "status",
]

T = TypeVar("T")
NOT_RUN = "not run (no servers)"
#: Simulator node names for the real servers.
SIM_NAMES = {"A": "m1", "B": "m2", "C": "m3"}


def ms(value: float | None) -> str:
    """A measured time in a fixed-width, maskable form.

    Examples
    --------
    >>> ms(313.14), ms(None)
    ('~    313.1 ms', '~      n/a ms')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "~      n/a ms"
    return f"~ {value:8.1f} ms"


def nbytes(value: int) -> str:
    """A measured byte count in a fixed-width, maskable form.

    Examples
    --------
    >>> nbytes(4124)
    '~     4124 B'
    """
    return f"~ {int(value):8d} B"


def status() -> str:
    """One line: whether real servers can run here, and if not how to get them.

    Examples
    --------
    >>> status().startswith(("Real servers: available", "Real servers: not available"))
    True
    """
    reason = missing()
    if reason is None:
        return (
            "Real servers: available (PostgreSQL and MariaDB found; each lesson starts its own on loopback)"
        )
    return f"Real servers: not available: {reason}"


def _table(rows: dict[str, tuple[Any, Any]], measured_ok: bool) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"simulated": [v[0] for v in rows.values()], "measured": [v[1] for v in rows.values()]},
        index=pd.Index(list(rows), name="quantity"),
    )
    if not measured_ok:
        frame["measured"] = NOT_RUN
        frame.attrs["note"] = f"Real servers are not available: {INSTALL_HINT}"
    return frame


def _real(fn: Callable[[], T]) -> T | None:
    """``fn()``, or ``None`` (with the install hint printed) where servers are missing."""
    if missing() is not None:
        print(f"Real servers are not available here; {INSTALL_HINT}.")  # noqa: T201 (notebook message)
        return None
    try:
        return fn()
    except ServersUnavailable as exc:
        print(f"Real servers are not available here: {exc}")  # noqa: T201
        return None


def _errors(result: dict[str, Any] | None) -> int | None:
    """How many servers report a replication (SQL thread) error."""
    return None if result is None else sum(int(e) != 0 for e in result["sql_errors"])


def _get(result: dict[str, Any] | None, key: str) -> Any:
    return None if result is None else result[key]


# -- single leader --------------------------------------------------------------------------------
def _sim_failover(mode: str, rows: int, before: int) -> dict[str, int]:
    """The scripted failover: ``before`` writes, then ``rows`` writes while the follower lags 500 ms."""
    script = [dict(time=i, client="c1", kind="write", key=f"k{i}", value=i) for i in range(before)]
    script += [
        dict(time=1000 + i, client="c1", kind="write", key=f"k{before + i}", value=before + i)
        for i in range(rows)
    ]
    if mode == "sync":  # the real sync lesson cuts nothing: every write is acknowledged first
        script = [dict(op, time=float(i)) for i, op in enumerate(script)]
    run = single_leader.simulate(
        mode=mode,
        followers=1,
        ops=script,
        replication_delay=500.0 if mode == "async" else 10.0,
        delay_distribution="constant",
        failover_at=1000.0 + rows + 80.0,
        duration=1000.0 + rows + 100.0,
    )
    return {k: int(run.metrics[k]) for k in ("writes_acked", "lost_writes", "lost_failover")}


@checked(rows=Int(1, 100), before=Int(0, 100))
def failover(rows: int = 20, before: int = 5) -> pd.DataFrame:
    """Leader crash and promotion, asynchronous (standby cut off) and synchronous, simulated and real.

    The simulator has no paused link; a constant 500 ms replication delay
    keeps the ``rows`` writes in flight when the leader crashes, which is the
    same situation: the follower never receives them.

    Parameters
    ----------
    rows : int
        Writes committed while the standby is cut off (async), 1..100.
    before : int
        Writes committed and replicated first, 0..100.

    Returns
    -------
    pandas.DataFrame
        Rows ``async: committed``, ``async: lost``, ``sync: committed``, ``sync: lost``.
    """

    real = _real(
        lambda: (pg.async_failover(rows=rows, before=before), pg.sync_failover(rows=rows, before=before))
    )
    sim_a, sim_s = _sim_failover("async", rows, before), _sim_failover("sync", rows, before)
    ra, rs = real if real is not None else (None, None)
    table = {
        "async: writes acknowledged": (sim_a["writes_acked"], _get(ra, "committed")),
        "async: acknowledged writes lost": (sim_a["lost_writes"], _get(ra, "lost_rows")),
        "sync: writes acknowledged": (sim_s["writes_acked"], _get(rs, "committed")),
        "sync: acknowledged writes lost": (sim_s["lost_writes"], _get(rs, "lost_rows")),
    }
    return _table(table, real is not None)


@checked(wait=Real(0.1, 10, unit="s"))
def blocked_commit(wait: float = 1.0) -> pd.DataFrame:
    """A commit while the synchronous standby is unreachable: it waits, simulated and real.

    The simulator cannot stop a follower; a one-way delay of ``wait / 2``
    seconds to the only (synchronous) follower plays the unreachable standby:
    the acknowledgement comes back after ``wait`` seconds.

    Parameters
    ----------
    wait : float
        Seconds the standby stays away (real: stopped; simulated: delayed), 0.1..10.

    Returns
    -------
    pandas.DataFrame
        Whether the commit was acknowledged while the standby was away and
        after it came back, and the commit's duration.
    """

    real = _real(lambda: pg.sync_commit_blocks(wait=wait))
    script = [dict(time=0, client="c1", kind="write", key="x", value=1)]
    run = single_leader.simulate(
        mode="sync",
        followers=1,
        ops=script,
        replication_delay=wait * 500,
        delay_distribution="constant",
        duration=1.0,
        client_timeout=10_000.0,
    )
    end = float(run.ops["end"].iloc[0])
    table = {
        "acknowledged while the standby is away": (
            bool(end < wait * 1000),
            None if real is None else not real["blocked"],
        ),
        "acknowledged after it is back": (
            bool(run.ops["ok"].iloc[0]),
            _get(real, "completed_after_standby_returned"),
        ),
        "commit time": (ms(end), ms(None if real is None else real["commit_seconds"] * 1000)),
    }
    table["wait event of the waiting backend"] = ("not modelled", _get(real, "wait_event"))
    table["its row visible to other sessions meanwhile"] = (
        "not modelled",
        _get(real, "visible_to_others_while_blocked"),
    )
    return _table(table, real is not None)


def _sim_reads(mode: str, reads: int, delay_ms: float) -> tuple[int, float]:
    """Stale reads and median write latency of scripted write-then-read pairs."""
    gap = 2 * delay_ms + 5 if mode == "sync" else 5.0
    script: list[dict[str, Any]] = []
    for i in range(reads):
        t = i * (3 * delay_ms + 50)
        script.append(dict(time=t, client="c1", kind="write", key="x", value=i + 1))
        script.append(dict(time=t + gap, client="c1", kind="read", key="x", node="B"))
    run = single_leader.simulate(
        mode=mode,
        followers=1,
        ops=script,
        replication_delay=delay_ms,
        delay_distribution="constant",
        duration=float(script[-1]["time"]) + 1,
    )
    return int(run.metrics["stale_reads"]), float(run.metrics["write_latency_p50_ms"])


@checked(reads=Int(1, 50), delay=Real(0.01, 1, unit="s"))
def stale_reads(reads: int = 5, delay: float = 0.1) -> pd.DataFrame:
    """Read the standby right after each commit: ``local`` (async) versus ``remote_apply`` (sync).

    The simulator's synchronous mode acknowledges after the follower has
    applied the entry, which is PostgreSQL's ``remote_apply``; its
    asynchronous mode is ``synchronous_commit = local``.

    Parameters
    ----------
    reads : int
        Write-then-read pairs per level, 1..50.
    delay : float
        One-way replication delay in seconds, 0.01..1.

    Returns
    -------
    pandas.DataFrame
        Stale reads per level and the mean commit time.
    """

    real = _real(lambda: pg.stale_read(reads=reads, delay=delay).set_index("synchronous_commit"))

    def cell(level: str, column: str) -> Any:
        return None if real is None else real.loc[level, column]

    sim_async, sim_sync = _sim_reads("async", reads, delay * 1000), _sim_reads("sync", reads, delay * 1000)
    table = {
        "local / async: stale reads": (sim_async[0], cell("local", "stale_reads")),
        "remote_apply / sync: stale reads": (sim_sync[0], cell("remote_apply", "stale_reads")),
        "local / async: commit time": (ms(sim_async[1]), ms(cell("local", "commit_ms_mean"))),
        "remote_apply / sync: commit time": (ms(sim_sync[1]), ms(cell("remote_apply", "commit_ms_mean"))),
    }
    return _table(table, real is not None)


@checked(delays=Values(Real(0.01, 2, unit="s")), writes=Int(1, 50))
def lag(delays: Sequence[float] = (0.05, 0.1, 0.3), writes: int = 5) -> pd.DataFrame:
    """Replication lag of an asynchronous standby against the proxy's delay, simulated and real.

    Parameters
    ----------
    delays : sequence of float
        One-way delays in seconds (0.01..2 each).
    writes : int
        Commits per delay, 1..50.

    Returns
    -------
    pandas.DataFrame
        One row per delay: the simulator's mean lag, the measured time until
        the standby shows a row, ``pg_stat_replication.replay_lag``, and
        whether the measured lag is at least the delay.
    """

    real = _real(lambda: pg.replication_lag(delays=delays, writes=writes))
    out = []
    for i, delay in enumerate(delays):
        script = [dict(time=t * 10.0, client="c1", kind="write", key=f"k{t}", value=t) for t in range(writes)]
        run = single_leader.simulate(
            mode="async",
            followers=1,
            ops=script,
            replication_delay=delay * 1000,
            delay_distribution="constant",
            duration=writes * 10.0,
        )
        row = real.iloc[i] if real is not None else None
        out.append(
            {
                "proxy delay": f"{delay * 1000:g} ms",
                "simulated lag": ms(float(run.metrics["lag_mean_ms"])),
                "measured lag": ms(None if row is None else float(row["visible_lag_ms"])),
                "replay_lag": ms(None if row is None else float(row["replay_lag_ms"])),
                "measured >= delay": NOT_RUN if row is None else bool(row["visible_lag_ms"] >= delay * 1000),
            }
        )
    return pd.DataFrame(out).set_index("proxy delay")


# -- multi leader ---------------------------------------------------------------------------------
def _paused_run(writes: list[tuple[str, str, str]], initial: Sequence[str] = ()) -> Any:
    """A two-leader LWW run: ``initial`` keys written at A, then ``writes`` during a partition."""
    ops = [dict(time=0, node="A", key=k, value="initial") for k in initial]
    ops += [dict(time=100, node=node, key=key, value=value) for node, key, value in writes]
    return multi_leader.simulate(
        leaders=2, resolver="lww", ops=ops, latency=10.0, partitions=[([["A"], ["B"]], 50.0, 150.0)]
    )


def _sim_diverged(run: Any) -> int:
    state = run.final_state
    return int(sum(state[c].nunique(dropna=False) > 1 for c in state.columns))


@checked(rows=Int(1, 20))
def divergence(rows: int = 3) -> pd.DataFrame:
    """Both servers update the same rows while replication is paused: simulated (LWW) and MariaDB.

    The simulator's resolvers all converge (last-write-wins here); MariaDB's
    row-based replication applies each incoming update over the local one,
    so the two servers swap values and stay different without an error.

    Parameters
    ----------
    rows : int
        Rows updated on both servers, 1..20.

    Returns
    -------
    pandas.DataFrame
        Conflicts detected, diverged rows and replication errors.
    """

    real = _real(lambda: maria.divergence(rows=rows))
    keys = [f"r{i}" for i in range(1, rows + 1)]
    run = _paused_run([(n, k, f"set on {SIM_NAMES[n]}") for k in keys for n in "AB"], initial=keys)
    table = {
        "rows updated on both": (rows, _get(real, "rows_updated_on_both")),
        "conflicts noticed": (
            int(run.metrics["conflicts"]),
            _errors(real),
        ),
        "rows that differ between the servers": (_sim_diverged(run), _get(real, "diverged_rows")),
        "value of row 1 on m1 / m2": (
            f"{run.final_state['r1']['A']} / {run.final_state['r1']['B']}",
            None if real is None else f"{real['m1_value']} / {real['m2_value']}",
        ),
    }
    return _table(table, real is not None)


def duplicate_key() -> pd.DataFrame:
    """The same primary key inserted on both servers while paused: LWW versus MariaDB's halt.

    Returns
    -------
    pandas.DataFrame
        Whether replication stopped, the error number, and whether a later
        write still reached the other server.
    """

    real = _real(maria.duplicate_key_halt)
    run = _paused_run([("A", "id1", "inserted on m1"), ("B", "id1", "inserted on m2")])
    halted = None if real is None else real["halted"]
    table = {
        "replication stopped": (False, halted),
        "error number": ("none (LWW keeps one row)", _get(real, "errno")),
        "a later write reaches the other server": (True, _get(real, "later_write_reached_m2")),
        "rows that differ after skipping the event": (
            _sim_diverged(run),
            None if real is None else int(real["row_differs_after_repair"]),
        ),
    }
    return _table(table, real is not None)


@checked(rows=Int(1, 20))
def auto_increment(rows: int = 5) -> pd.DataFrame:
    """Inserts on both servers while paused, with disjoint ids: no conflict, simulated and real.

    ``auto_increment_increment = 2`` with offsets 1 and 2 gives ``m1`` the odd
    ids and ``m2`` the even ones, conflict avoidance by key: in the simulator,
    ``A`` writes the odd keys and ``B`` the even ones.

    Parameters
    ----------
    rows : int
        Rows inserted on each server, 1..20.

    Returns
    -------
    pandas.DataFrame
        Rows on each server afterwards, conflicts and replication errors.
    """

    real = _real(lambda: maria.auto_increment(rows=rows))
    writes = [
        (n, f"id{2 * i + off}", f"on {SIM_NAMES[n]}") for i in range(rows) for off, n in ((1, "A"), (2, "B"))
    ]
    run = _paused_run(writes)
    state = run.final_state
    table = {
        "rows inserted (both servers)": (2 * rows, _get(real, "rows_inserted")),
        "rows on m1 / m2 afterwards": (
            f"{int(state.loc['A'].notna().sum())} / {int(state.loc['B'].notna().sum())}",
            None if real is None else f"{real['rows_on_m1']} / {real['rows_on_m2']}",
        ),
        "conflicts noticed": (
            int(run.metrics["conflicts"]),
            _errors(real),
        ),
    }
    return _table(table, real is not None)


@checked(stop=Choice(("m1", "m2", "m3")))
def ring_cut(stop: str = "m2") -> pd.DataFrame:
    """Stop one server of the ring m1 → m2 → m3 → m1 and write at the others: simulated and real.

    The simulated side is :func:`replnb.topology.reach` on the circular
    topology with that node failed (where a write can get to), and a
    :func:`replnb.multi_leader.simulate` run in which it crashes and recovers.

    Parameters
    ----------
    stop : {"m1", "m2", "m3"}
        The server to stop.

    Returns
    -------
    pandas.DataFrame
        One row per write: where it got to while the server was down and
        after it was back, in the simulator and on the real servers.
    """
    real_names = {v: k for k, v in SIM_NAMES.items()}

    real = _real(lambda: maria.ring_cut(stop=stop).set_index("written_at"))
    graph, down = topology.build("circular", 3), real_names[stop]
    writers = [n for n in "ABC" if n != down]
    ops = [dict(time=100.0 + 10 * i, node=n, key=f"w{i}", value=i) for i, n in enumerate(writers)]
    run = multi_leader.simulate(
        leaders=3, topology="circular", ops=ops, latency=10.0, crashes=[(down, 50.0, 500.0)], duration=1000.0
    )
    rows = []
    for i, node in enumerate(writers):
        name = SIM_NAMES[node]
        after = run.final_state[f"w{i}"].dropna().index
        rows.append(
            {
                "written at": name,
                "simulated: reached while down": ", ".join(
                    sorted(SIM_NAMES[n] for n in topology.reach(graph, node, [down]))
                ),
                "measured: reached while down": NOT_RUN
                if real is None
                else real.loc[name, "reached_while_down"],
                "simulated: after restart": ", ".join(sorted(SIM_NAMES[n] for n in after)),
                "measured: after restart": NOT_RUN
                if real is None
                else real.loc[name, "reached_after_restart"],
            }
        )
    return pd.DataFrame(rows).set_index("written at")
