"""MariaDB multi-leader lessons on real servers, one function per lesson.

Each function takes an optional running :class:`~replnb.real.mariadb.MariaGroup`
(two servers for the master-master lessons, three for the ring) and
otherwise starts and stops its own. Each lesson works in a database of its
own, re-created on every call, and leaves replication running, so one group
serves them all. Concurrency is scripted: replication is paused with
``STOP SLAVE`` while both servers take their writes, then resumed, so the
counts are the same on every run.

``divergence``          concurrent updates of one row: each server ends with the other's value
``duplicate_key_halt``  one primary key inserted on both: error 1062 stops the SQL thread
``auto_increment``      ``auto_increment_increment`` / ``auto_increment_offset`` avoid that conflict
``ring_cut``            a stopped server in a ring cuts off the servers after it
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pandas as pd

from ..params import Choice, Int, Real, checked
from .mariadb import MariaGroup, MariaServer
from .servers import wait_until

__all__ = ["auto_increment", "divergence", "duplicate_key_halt", "ring_cut"]


@contextlib.contextmanager
def _group(group: MariaGroup | None, servers: int) -> Iterator[MariaGroup]:
    if group is not None:
        if group.n != servers:
            raise ValueError(f"this lesson needs a group of {servers} servers, got {group.n}")
        yield group
        return
    with MariaGroup(servers) as own:
        yield own


def _fresh_db(group: MariaGroup, db: str, columns: str = "id INT PRIMARY KEY, v VARCHAR(20)") -> None:
    first = group.servers[0]
    first.query(f"DROP DATABASE IF EXISTS {db}")
    first.query(f"CREATE DATABASE {db}")
    first.query(f"CREATE TABLE {db}.t ({columns}) ENGINE=InnoDB")
    group.sync()


@contextlib.contextmanager
def _paused(group: MariaGroup) -> Iterator[None]:
    """Replication stopped on every server for the block, then resumed and drained."""
    for server in group.servers:
        server.stop_slave()
    try:
        yield
    finally:
        for server in group.servers:
            server.start_slave()


def _values(server: MariaServer, db: str) -> dict[int, Any]:
    return {int(r["id"]): r["v"] for r in server.query(f"SELECT id, v FROM {db}.t ORDER BY id")}


def _sql_state(server: MariaServer) -> dict[str, Any]:
    status = server.slave_status()
    return {
        "server": server.name,
        "Slave_IO_Running": status.get("Slave_IO_Running"),
        "Slave_SQL_Running": status.get("Slave_SQL_Running"),
        "Last_SQL_Errno": status.get("Last_SQL_Errno"),
    }


@checked(rows=Int(1, 1000))
def divergence(rows: int = 3, group: MariaGroup | None = None) -> dict[str, Any]:
    """Update the same rows on both servers while replication is paused: they swap values for good.

    With row-based replication each server applies the other's update by
    primary key over its own, and no error is raised, so ``m1`` ends with
    ``m2``'s value and ``m2`` with ``m1``'s.

    Parameters
    ----------
    rows : int
        Rows updated on both servers, 1..1000.
    group : MariaGroup, optional
        A running two-server group.

    Returns
    -------
    dict
        ``rows_updated_on_both``, ``diverged_rows``, ``each_has_the_others_value``,
        ``sql_errors`` (``Last_SQL_Errno`` of both, 0: silent), and the final values.

    Examples
    --------
    >>> divergence(rows=0)
    Traceback (most recent call last):
    ...
    ValueError: rows must be an integer in 1..1000, got 0
    """
    db = "lesson_divergence"
    with _group(group, 2) as g:
        m1, m2 = g.servers
        _fresh_db(g, db)
        m1.query(f"INSERT INTO {db}.t VALUES " + ", ".join(f"({i}, 'initial')" for i in range(1, rows + 1)))
        g.sync()
        with _paused(g):
            m1.query(f"UPDATE {db}.t SET v = 'set on m1'")
            m2.query(f"UPDATE {db}.t SET v = 'set on m2'")
        g.sync()
        v1, v2 = _values(m1, db), _values(m2, db)
        errors = [m1.slave_status()["Last_SQL_Errno"], m2.slave_status()["Last_SQL_Errno"]]
    return {
        "rows_updated_on_both": rows,
        "diverged_rows": sum(v1[k] != v2[k] for k in v1),
        "each_has_the_others_value": all(v1[k] == "set on m2" and v2[k] == "set on m1" for k in v1),
        "sql_errors": errors,
        "m1_value": v1[1],
        "m2_value": v2[1],
    }


def _wait_sql_stopped(server: MariaServer, timeout: float) -> None:
    wait_until(
        lambda: server.slave_status().get("Slave_SQL_Running") == "No", timeout, f"{server.name} to halt"
    )


@checked(timeout=Real(1, 120, unit="s"))
def duplicate_key_halt(timeout: float = 20.0, group: MariaGroup | None = None) -> dict[str, Any]:
    """Insert one primary key on both servers while paused: replication halts with error 1062.

    After the halt a further write on ``m1`` no longer reaches ``m2``. The
    lesson then repairs replication by skipping the failed event
    (``sql_slave_skip_counter = 1``), after which the later write arrives
    but the two copies of the duplicated row stay different.

    Parameters
    ----------
    timeout : float
        Seconds to wait for the halt, 1..120.
    group : MariaGroup, optional
        A running two-server group.

    Returns
    -------
    dict
        ``status`` (``SHOW SLAVE STATUS`` of both at the halt, a DataFrame),
        ``halted``, ``errno``, ``later_write_reached_m2`` (during the halt),
        ``later_write_after_repair`` and ``row_differs_after_repair``.
    """
    db = "lesson_dupkey"
    with _group(group, 2) as g:
        m1, m2 = g.servers
        _fresh_db(g, db)
        with _paused(g):
            m1.query(f"INSERT INTO {db}.t VALUES (1, 'inserted on m1')")
            m2.query(f"INSERT INTO {db}.t VALUES (1, 'inserted on m2')")
        for server in g.servers:
            _wait_sql_stopped(server, timeout)
        status = pd.DataFrame([_sql_state(s) for s in g.servers])
        m1.query(f"INSERT INTO {db}.t VALUES (2, 'later, on m1')")
        reached = 2 in _values(m2, db)
        for server in g.servers:
            server.query("SET GLOBAL sql_slave_skip_counter = 1")
            server.start_slave()
        g.sync()
        after = _values(m2, db)
        differs = _values(m1, db)[1] != after[1]
    errnos = sorted({int(e) for e in status["Last_SQL_Errno"]})
    return {
        "status": status,
        "halted": bool((status["Slave_SQL_Running"] == "No").all()),
        "errno": errnos[0] if len(errnos) == 1 else errnos,
        "later_write_reached_m2": reached,
        "later_write_after_repair": 2 in after,
        "row_differs_after_repair": differs,
    }


@checked(rows=Int(1, 1000))
def auto_increment(rows: int = 5, group: MariaGroup | None = None) -> dict[str, Any]:
    """Give each server its own ids (increment 2, offsets 1 and 2): paused inserts merge cleanly.

    Parameters
    ----------
    rows : int
        Rows inserted on each server while replication is paused, 1..1000.
    group : MariaGroup, optional
        A running two-server group.

    Returns
    -------
    dict
        ``rows_inserted`` (both servers together), ``rows_on_m1``,
        ``rows_on_m2``, ``identical``, ``sql_errors``, ``m1_ids`` (odd) and ``m2_ids`` (even).
    """
    db = "lesson_autoinc"
    with _group(group, 2) as g:
        m1, m2 = g.servers
        _fresh_db(g, db, "id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20)")
        ids: dict[str, list[int]] = {}
        with _paused(g):
            for offset, server in enumerate(g.servers, start=1):
                with server.connect(auto_increment_increment=2, auto_increment_offset=offset) as conn:
                    ids[server.name] = []
                    for _ in range(rows):
                        with conn.cursor() as cur:
                            cur.execute(f"INSERT INTO {db}.t (v) VALUES (%s)", (f"on {server.name}",))
                            ids[server.name].append(int(cur.lastrowid))
        g.sync()
        v1, v2 = _values(m1, db), _values(m2, db)
        errors = [m1.slave_status()["Last_SQL_Errno"], m2.slave_status()["Last_SQL_Errno"]]
    return {
        "rows_inserted": 2 * rows,
        "rows_on_m1": len(v1),
        "rows_on_m2": len(v2),
        "identical": v1 == v2,
        "sql_errors": errors,
        "m1_ids": ids["m1"],
        "m2_ids": ids["m2"],
    }


def _holders(group: MariaGroup, db: str, key: int) -> str:
    have = [s.name for s in group.servers if s.running() and key in _values(s, db)]
    return ", ".join(have)


@checked(stop=Choice(("m1", "m2", "m3")))
def ring_cut(stop: str = "m2", group: MariaGroup | None = None) -> pd.DataFrame:
    """Stop one server of a three-server ring and write at every other one.

    The ring is ``m1 → m2 → m3 → m1``. A write at a server reaches the
    servers after it up to the stopped one, and none past it. When the
    stopped server is back the ring delivers everything again.

    Parameters
    ----------
    stop : {"m1", "m2", "m3"}
        The server to stop.
    group : MariaGroup, optional
        A running three-server group.

    Returns
    -------
    pandas.DataFrame
        One row per write: ``written_at``, ``reached_while_down`` and
        ``reached_after_restart`` (server names).
    """
    db = "lesson_ring"
    with _group(group, 3) as g:
        _fresh_db(g, db)
        down = g[stop]
        down.stop()
        writers = [s for s in g.servers if s is not down]
        for key, server in enumerate(writers, start=1):
            server.query(f"INSERT INTO {db}.t VALUES (%s, %s)", (key, f"written at {server.name}"))
        g.sync()
        during = [_holders(g, db, key) for key in range(1, len(writers) + 1)]
        down.start()
        g.sync()
        after = [_holders(g, db, key) for key in range(1, len(writers) + 1)]
    return pd.DataFrame(
        {
            "written_at": [s.name for s in writers],
            "reached_while_down": during,
            "reached_after_restart": after,
        }
    )
