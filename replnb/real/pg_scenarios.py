"""PostgreSQL lessons on real servers, one function per lesson.

Each function takes an optional running :class:`~replnb.real.postgres.PgCluster`
(so a test module can share one) and otherwise starts and stops its own.
The counts they report do not depend on timing: the cut link is a paused
:class:`~replnb.real.proxy.DelayProxy`, not a race. Times (``*_ms``,
``*_seconds``) and WAL positions are measured and vary from run to run.

``async_failover``      rows committed while the standby was cut off are lost
``sync_failover``       a synchronous standby loses none
``sync_commit_blocks``  a commit waits while the synchronous standby is down
``stale_read``          a hot-standby read right after a commit is stale; ``remote_apply`` fixes it
``replication_lag``     the lag follows the proxy's delay
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from ..params import Int, Real, Values, checked
from .postgres import PgCluster, lsn_bytes
from .servers import wait_until

__all__ = ["async_failover", "replication_lag", "stale_read", "sync_commit_blocks", "sync_failover"]


@contextlib.contextmanager
def _cluster(cluster: PgCluster | None, *, sync: bool, delay: float = 0.0) -> Iterator[PgCluster]:
    if cluster is not None:
        cluster.set_sync("s1" if sync else "")
        cluster.proxy("s1").set_delay(delay)
        cluster.proxy("s1").resume()
        yield cluster
        return
    with PgCluster(standbys=1, delay=delay, sync=sync) as own:
        yield own


def _fresh_table(cluster: PgCluster, table: str, columns: str = "id int PRIMARY KEY, note text") -> None:
    assert cluster.primary is not None
    cluster.primary.query(f"DROP TABLE IF EXISTS {table}")
    cluster.primary.query(f"CREATE TABLE {table} ({columns})")
    for standby in cluster.standbys:
        if standby.running() and not cluster.proxy(standby.name).paused:
            cluster.wait_caught_up(standby.name)


def _insert_rows(cluster: PgCluster, table: str, ids: range, note: str, level: str = "on") -> list[float]:
    """Insert one row per id, one commit each; the commit times in ms."""
    assert cluster.primary is not None
    times = []
    with cluster.primary.connect(synchronous_commit=level) as conn:
        for i in ids:
            t0 = time.perf_counter()
            conn.execute(f"INSERT INTO {table} VALUES (%s, %s)", (i, note))
            times.append((time.perf_counter() - t0) * 1000)
    return times


def _ids(cluster: PgCluster, server: str, table: str) -> set[int]:
    node = cluster.primary if server == "primary" else cluster.standby(server)
    assert node is not None
    return {int(r[0]) for r in node.query(f"SELECT id FROM {table}")}


def _crash_and_promote(cluster: PgCluster) -> dict[str, Any]:
    """Crash the primary (``pg_ctl stop -m immediate``), cut its link, promote ``s1``."""
    assert cluster.primary is not None
    primary_lsn = lsn_bytes(cluster.primary.scalar("SELECT pg_current_wal_lsn()"))
    standby_lsn = lsn_bytes(cluster.standby().scalar("SELECT pg_last_wal_receive_lsn()"))
    held = cluster.proxy().held_bytes()
    cluster.primary.stop("immediate")
    dropped = cluster.proxy().drop()
    promote = cluster.standby().promote()
    return {
        "wal_bytes_not_received": primary_lsn - standby_lsn,
        "bytes_held_by_proxy": held,
        "bytes_dropped_by_proxy": dropped,
        "promote_seconds": promote,
    }


@checked(rows=Int(1, 1000), before=Int(0, 1000))
def async_failover(rows: int = 20, before: int = 5) -> dict[str, Any]:
    """Fail over an asynchronous standby that was cut off: the rows committed meanwhile are lost.

    ``before`` rows are committed and replicated; the proxy in front of the
    standby is paused (the link is cut); ``rows`` more are committed, each
    acknowledged at once; the primary crashes; the standby is promoted.

    Parameters
    ----------
    rows : int
        Rows committed while the standby is cut off, 1..1000.
    before : int
        Rows committed and replicated before the cut, 0..1000.

    Returns
    -------
    dict
        ``committed`` (acknowledged to the client), ``on_new_primary``,
        ``lost_rows``, ``lost_are_the_cut_rows`` (the lost ids are exactly
        those committed during the cut), WAL and proxy byte counts and
        ``promote_seconds``.

    Examples
    --------
    >>> async_failover(rows=True)
    Traceback (most recent call last):
    ...
    ValueError: rows must be an integer in 1..1000, got True
    """
    with PgCluster(standbys=1) as cluster:
        _fresh_table(cluster, "orders")
        _insert_rows(cluster, "orders", range(1, before + 1), "before the cut")
        cluster.wait_caught_up()
        cluster.proxy().pause()
        cut = range(before + 1, before + rows + 1)
        _insert_rows(cluster, "orders", cut, "during the cut")
        committed = _ids(cluster, "primary", "orders")
        crash = _crash_and_promote(cluster)
        survived = _ids(cluster, "s1", "orders")
    lost = committed - survived
    return {
        "mode": "async",
        "committed": len(committed),
        "committed_during_cut": rows,
        "on_new_primary": len(survived),
        "lost_rows": len(lost),
        "lost_are_the_cut_rows": lost == set(cut),
        **crash,
    }


@checked(rows=Int(1, 1000), before=Int(0, 1000), delay=Real(0, 1, unit="s"))
def sync_failover(rows: int = 20, before: int = 5, delay: float = 0.01) -> dict[str, Any]:
    """Fail over a synchronous standby (``synchronous_standby_names = 's1'``): nothing is lost.

    Each commit waits until ``s1`` has flushed it (``synchronous_commit = on``),
    so every acknowledged row is on the standby when the primary crashes.

    Parameters
    ----------
    rows : int
        Rows committed after the first ``before``, 1..1000.
    before : int
        Rows committed first, 0..1000.
    delay : float
        The proxy's one-way delay in seconds, 0..1: the price of each commit.

    Returns
    -------
    dict
        As :func:`async_failover`, plus ``commit_ms_mean``.
    """
    with PgCluster(standbys=1, delay=delay, sync=True) as cluster:
        _fresh_table(cluster, "orders")
        times = _insert_rows(cluster, "orders", range(1, before + rows + 1), "synchronous")
        committed = _ids(cluster, "primary", "orders")
        crash = _crash_and_promote(cluster)
        survived = _ids(cluster, "s1", "orders")
    return {
        "mode": "sync",
        "committed": len(committed),
        "on_new_primary": len(survived),
        "lost_rows": len(committed - survived),
        "commit_ms_mean": sum(times) / len(times),
        **crash,
    }


def _commit_in_thread(cluster: PgCluster, result: dict[str, Any]) -> threading.Thread:
    def work() -> None:
        assert cluster.primary is not None
        t0 = time.monotonic()
        try:
            with cluster.primary.connect() as conn:
                result["pid"] = conn.info.backend_pid
                conn.execute("INSERT INTO payments VALUES (1, 'waits for s1')")
            result["commit_seconds"] = time.monotonic() - t0
        except Exception as exc:  # reported, not raised in the thread
            result["error"] = repr(exc)

    thread = threading.Thread(target=work, name="replnb-commit", daemon=True)
    thread.start()
    return thread


def _wait_event(cluster: PgCluster, result: dict[str, Any], thread: threading.Thread) -> str | None:
    """The wait event of the committing backend, once it waits for the standby (at most 10 s)."""
    assert cluster.primary is not None
    primary = cluster.primary

    def event() -> str | None:
        if "pid" not in result:
            return None
        found = primary.scalar("SELECT wait_event FROM pg_stat_activity WHERE pid = %s", (result["pid"],))
        return None if found is None else str(found)

    with contextlib.suppress(TimeoutError):
        wait_until(lambda: not thread.is_alive() or event() == "SyncRep", 10.0, "the commit to wait")
    return event()


@checked(wait=Real(0.1, 30, unit="s"))
def sync_commit_blocks(wait: float = 1.0, cluster: PgCluster | None = None) -> dict[str, Any]:
    """A commit with a synchronous standby down waits; it completes when the standby returns.

    The standby ``s1`` is stopped; a commit runs in a background thread; after
    ``wait`` seconds (a timed wait, never a hang) it is still waiting, in
    ``pg_stat_activity`` with wait event ``SyncRep``, and other sessions do
    not see its row yet. Then ``s1`` is started again and the commit returns.

    Parameters
    ----------
    wait : float
        How long to watch the blocked commit, in seconds, 0.1..30.
    cluster : PgCluster, optional
        A running cluster with a standby ``s1`` (made synchronous here).

    Returns
    -------
    dict
        ``blocked`` (still waiting after ``wait`` s), ``wait_event``,
        ``visible_to_others_while_blocked``, ``completed_after_standby_returned``,
        ``visible_after`` and ``commit_seconds``.
    """
    with _cluster(cluster, sync=True) as c:
        assert c.primary is not None
        _fresh_table(c, "payments")
        c.standby().stop("fast")
        result: dict[str, Any] = {}
        thread = _commit_in_thread(c, result)
        thread.join(wait)
        event = _wait_event(c, result, thread)
        blocked = thread.is_alive()
        seen = c.primary.scalar("SELECT count(*) FROM payments")
        c.standby().start()
        thread.join(60.0)
        if thread.is_alive():
            c.primary.query("SELECT pg_cancel_backend(%s)", (result.get("pid"),))
            thread.join(10.0)
            raise RuntimeError("the commit did not complete after the standby came back")
        return {
            "blocked": blocked,
            "wait_event": event,
            "visible_to_others_while_blocked": bool(seen),
            "completed_after_standby_returned": "commit_seconds" in result,
            "visible_after": int(c.primary.scalar("SELECT count(*) FROM payments")),
            "commit_seconds": result.get("commit_seconds"),
            "error": result.get("error"),
        }


def _write_then_read(cluster: PgCluster, level: str, value: int, pause: bool) -> tuple[bool, float]:
    """Set x on the primary at ``level``, read it at once on ``s1``: (stale, commit ms)."""
    assert cluster.primary is not None
    proxy = cluster.proxy()
    with cluster.primary.connect(synchronous_commit=level) as w, cluster.standby().connect() as r:
        if pause:
            proxy.pause()
        t0 = time.perf_counter()
        w.execute("UPDATE profile SET v = %s WHERE k = 'x'", (value,))
        commit_ms = (time.perf_counter() - t0) * 1000
        row = r.execute("SELECT v FROM profile WHERE k = 'x'").fetchone()
        if pause:
            proxy.resume()
    return (row is None or int(row[0]) != value), commit_ms


@checked(reads=Int(1, 100), delay=Real(0, 1, unit="s"))
def stale_read(reads: int = 5, delay: float = 0.1, cluster: PgCluster | None = None) -> pd.DataFrame:
    """Read from the hot standby right after each commit: stale with ``local``, fresh with ``remote_apply``.

    With ``synchronous_commit = local`` the commit returns before the WAL has
    left the primary; the proxy holds the link for the moment between the
    commit and the read, so the standby has not got the write and the read is
    stale every time (deterministically). With ``remote_apply`` the commit
    returns only once ``s1`` has replayed it, so the read that follows sees
    it, at the price of the proxy's delay on every commit.

    Parameters
    ----------
    reads : int
        Write-then-read pairs per level, 1..100.
    delay : float
        The proxy's one-way delay in seconds, 0..1.
    cluster : PgCluster, optional
        A running cluster with a standby ``s1`` (made synchronous here).

    Returns
    -------
    pandas.DataFrame
        One row per level: ``synchronous_commit``, ``reads``, ``stale_reads``, ``commit_ms_mean``.
    """
    rows: list[dict[str, Any]] = []
    with _cluster(cluster, sync=True, delay=delay) as c:
        assert c.primary is not None
        _fresh_table(c, "profile", "k text PRIMARY KEY, v int")
        c.primary.query("INSERT INTO profile VALUES ('x', 0)")
        c.wait_caught_up()
        for level, pause in (("local", True), ("remote_apply", False)):
            results = [_write_then_read(c, level, len(rows) * 1000 + i, pause) for i in range(1, reads + 1)]
            c.wait_caught_up()
            rows.append(
                {
                    "synchronous_commit": level,
                    "reads": reads,
                    "stale_reads": sum(stale for stale, _ in results),
                    "commit_ms_mean": sum(ms for _, ms in results) / reads,
                }
            )
    return pd.DataFrame(rows)


def _visible_lag(cluster: PgCluster, key: int) -> tuple[float, float | None, int]:
    """Insert one row; (ms until the standby shows it, replay_lag ms, bytes behind just after commit)."""
    assert cluster.primary is not None
    with cluster.primary.connect() as w, cluster.standby().connect() as r:
        t0 = time.perf_counter()
        w.execute("INSERT INTO ticks VALUES (%s, 'tick')", (key,))
        behind = cluster.replication()[0]["replay_behind_bytes"] or 0
        wait_until(
            lambda: r.execute("SELECT 1 FROM ticks WHERE id = %s", (key,)).fetchone(), 30.0, "the tick"
        )
        lag = (time.perf_counter() - t0) * 1000
    replay = cluster.replication()[0]["replay_lag_ms"]
    return lag, replay, int(behind)


@checked(delays=Values(Real(0, 2, unit="s")), writes=Int(1, 50))
def replication_lag(
    delays: Sequence[float] = (0.0, 0.1, 0.3), writes: int = 5, cluster: PgCluster | None = None
) -> pd.DataFrame:
    """Measure the lag of an asynchronous standby for each proxy delay.

    Parameters
    ----------
    delays : sequence of float
        Proxy delays to try, in seconds (each 0..2; 1..10 of them).
    writes : int
        Commits per delay, 1..50.
    cluster : PgCluster, optional
        A running cluster with a standby ``s1`` (made asynchronous here).

    Returns
    -------
    pandas.DataFrame
        One row per delay: ``proxy_delay_ms``, ``writes``, ``visible_lag_ms``
        (mean time from sending the commit until the standby shows the row,
        measured by polling it, so never less than the delay),
        ``replay_lag_ms`` (``pg_stat_replication``, mean) and
        ``max_bytes_behind`` (``pg_wal_lsn_diff`` right after a commit).
    """
    out = []
    with _cluster(cluster, sync=False) as c:
        _fresh_table(c, "ticks")
        for d_index, delay in enumerate(delays):
            c.proxy().set_delay(delay)
            samples = [_visible_lag(c, d_index * 100 + i) for i in range(writes)]
            replay = [s[1] for s in samples if s[1] is not None]
            out.append(
                {
                    "proxy_delay_ms": delay * 1000,
                    "writes": writes,
                    "visible_lag_ms": sum(s[0] for s in samples) / writes,
                    "replay_lag_ms": sum(replay) / len(replay) if replay else float("nan"),
                    "max_bytes_behind": max(s[2] for s in samples),
                }
            )
        c.proxy().set_delay(0.0)
    return pd.DataFrame(out)
