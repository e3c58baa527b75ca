"""Real PostgreSQL streaming replication: a primary and standbys behind delaying proxies.

:class:`PgCluster` is a context manager. On entry it runs ``initdb`` in a
temporary :class:`~replnb.real.servers.Workspace`, starts the primary on a
free loopback port, and makes every standby with ``pg_basebackup -R``
through its own :class:`~replnb.real.proxy.DelayProxy`, so the standby
streams WAL through the proxy (``application_name`` ``s1``, ``s2``, ...).
On exit every server is stopped and reaped and the directory is removed,
whatever happened inside.

Replication is asynchronous until :meth:`PgCluster.set_sync` names
synchronous standbys (``synchronous_standby_names``); the durability level
of a session is ``synchronous_commit`` (``local``, ``on``, ``remote_write``,
``remote_apply``), set per connection with :meth:`PgServer.connect`.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .proxy import DelayProxy
from .servers import ServerGroup, ServerProcess, Workspace, free_port, postgres_bindir, wait_until

__all__ = ["SYNC_LEVELS", "PgCluster", "PgServer", "lsn_bytes"]

#: The ``synchronous_commit`` levels, weakest first.
SYNC_LEVELS = ("off", "local", "remote_write", "on", "remote_apply")
_USER = "replnb"
_START_TIMEOUT = 60.0
#: Server settings for a small, fast, loopback-only teaching cluster.
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "30",
    "wal_receiver_status_interval": "1",
    "wal_retrieve_retry_interval": "200ms",
    "log_min_messages": "warning",
}
_STREAMING = "SELECT count(*) FROM pg_stat_replication WHERE application_name = %s AND state = 'streaming'"


def lsn_bytes(lsn: str | None) -> int:
    """A WAL position ``"X/Y"`` as a byte count (``None`` → 0).

    Examples
    --------
    >>> lsn_bytes("0/3000060"), lsn_bytes("1/0"), lsn_bytes(None)
    (50331744, 4294967296, 0)
    """
    if lsn is None:
        return 0
    high, low = str(lsn).split("/")
    return (int(high, 16) << 32) + int(low, 16)


class PgServer:
    """One running PostgreSQL server (primary or standby).

    Parameters
    ----------
    workspace : Workspace
        The cluster's temporary directory.
    name : str
        ``"primary"``, ``"s1"``, ...: the data directory's name.
    port : int
        Its loopback port.
    """

    def __init__(self, workspace: Workspace, name: str, port: int) -> None:
        self.workspace, self.name, self.port = workspace, name, port
        self.datadir = workspace.root / name
        self.bindir = postgres_bindir()
        self.process: ServerProcess | None = None
        self.pids: list[int] = []

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        settings = dict(_SETTINGS, port=str(self.port), unix_socket_directories=str(self.workspace.root))
        argv: list[str | Path] = [self.bindir / "postgres", "-D", self.datadir]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        self.process = ServerProcess(self.workspace, self.name, argv)
        self.pids.append(self.process.pid)
        wait_until(self._ready, _START_TIMEOUT, f"PostgreSQL {self.name} on port {self.port}")

    def _ready(self) -> bool:
        assert self.process is not None
        if not self.process.running():
            raise RuntimeError(f"PostgreSQL {self.name} exited during start-up:\n{self.process.log_tail()}")
        import psycopg

        try:
            with psycopg.connect(self.conninfo(), connect_timeout=2, autocommit=True) as conn:
                conn.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def conninfo(self) -> str:
        """A libpq connection string for the ``postgres`` database on this server."""
        return f"host=127.0.0.1 port={self.port} user={_USER} dbname=postgres"

    def connect(self, synchronous_commit: str | None = None) -> Any:
        """A new autocommit psycopg connection; close it (use ``with``).

        Parameters
        ----------
        synchronous_commit : str, optional
            One of :data:`SYNC_LEVELS` for this session.
        """
        import psycopg

        options = ""
        if synchronous_commit is not None:
            if synchronous_commit not in SYNC_LEVELS:
                raise ValueError(
                    f"synchronous_commit must be one of {SYNC_LEVELS}, got {synchronous_commit!r}"
                )
            options = f"-c synchronous_commit={synchronous_commit}"
        return psycopg.connect(self.conninfo(), autocommit=True, connect_timeout=10, options=options)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement on a fresh connection; its rows (empty if none)."""
        with self.connect() as conn:
            cur = conn.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []

    def scalar(self, sql: str, params: Any = None) -> Any:
        """The first column of the first row of a query."""
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.process is not None and self.process.running()

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m mode`` (``"fast"`` or ``"immediate"``, a crash), then reap the process.

        Examples
        --------
        >>> PgServer.__new__(PgServer).stop("slow")
        Traceback (most recent call last):
        ...
        ValueError: mode must be 'fast' or 'immediate', got 'slow'
        """
        if mode not in ("fast", "immediate"):
            raise ValueError(f"mode must be 'fast' or 'immediate', got {mode!r}")
        if self.process is None or not self.process.running():
            return
        with contextlib.suppress(RuntimeError, OSError):
            self.workspace.run(
                [self.bindir / "pg_ctl", "stop", "-D", self.datadir, "-m", mode, "-w", "-t", "30"]
            )
        self.process.stop(signal.SIGQUIT if mode == "immediate" else signal.SIGINT)

    def promote(self) -> float:
        """Promote this standby to a primary (``pg_promote``, waits); seconds it took."""
        t0 = time.monotonic()
        if not self.scalar("SELECT pg_promote(true, 60)"):
            raise RuntimeError(
                f"{self.name} was not promoted:\n{self.process.log_tail() if self.process else ''}"
            )
        return time.monotonic() - t0

    def in_recovery(self) -> bool:
        """Whether this server is a standby."""
        return bool(self.scalar("SELECT pg_is_in_recovery()"))


class PgCluster(ServerGroup):
    """A primary and ``standbys`` streaming standbys, each behind a :class:`DelayProxy`.

    Parameters
    ----------
    standbys : int
        1 or 2.
    delay : float
        Initial one-way delay of every proxy, in seconds.
    sync : bool
        Whether ``s1`` is a synchronous standby from the start (see :meth:`set_sync`).

    Examples
    --------
    >>> PgCluster(standbys=3)
    Traceback (most recent call last):
    ...
    ValueError: standbys must be an integer in 1..2, got 3
    """

    def __init__(self, standbys: int = 1, delay: float = 0.0, sync: bool = False) -> None:
        if isinstance(standbys, bool) or not isinstance(standbys, int) or not 1 <= standbys <= 2:
            raise ValueError(f"standbys must be an integer in 1..2, got {standbys!r}")
        self.n_standbys, self.delay, self.sync = standbys, delay, sync
        self.workspace: Workspace | None = None
        self.primary: PgServer | None = None
        self.standbys: list[PgServer] = []
        self.proxies: list[DelayProxy] = []
        self.setup_seconds = 0.0

    def _start(self) -> None:
        self.workspace = ws = Workspace.create("replnb-pg-")
        bindir = postgres_bindir()
        primary = PgServer(ws, "primary", free_port())
        ws.run(
            [
                bindir / "initdb",
                "-D",
                primary.datadir,
                "-U",
                _USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ]
        )
        primary.start()
        self.primary = primary
        for i in range(1, self.n_standbys + 1):
            self.add_standby(f"s{i}")
        if self.sync:
            self.set_sync("s1")

    def add_standby(self, name: str) -> PgServer:
        """Base-backup the primary through a new proxy and start the standby ``name``."""
        assert self.workspace is not None and self.primary is not None
        proxy = DelayProxy(self.primary.port, self.delay)
        self.proxies.append(proxy)
        proxy.start()
        standby = PgServer(self.workspace, name, free_port())
        conninfo = f"host=127.0.0.1 port={proxy.port} user={_USER} application_name={name}"
        self.workspace.run(
            [
                standby.bindir / "pg_basebackup",
                "-d",
                conninfo,
                "-D",
                standby.datadir,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ]
        )
        standby.start()
        self.standbys.append(standby)
        self.wait_streaming(name)
        return standby

    def proxy(self, name: str = "s1") -> DelayProxy:
        """The proxy in front of standby ``name``."""
        return self.proxies[self._index(name)]

    def standby(self, name: str = "s1") -> PgServer:
        """The standby called ``name``."""
        return self.standbys[self._index(name)]

    def _index(self, name: str) -> int:
        for i, s in enumerate(self.standbys):
            if s.name == name:
                return i
        raise ValueError(f"no standby called {name!r}; have {[s.name for s in self.standbys]}")

    def set_sync(self, names: str = "") -> None:
        """Set ``synchronous_standby_names`` on the primary (``""``: asynchronous) and reload."""
        assert self.primary is not None
        with self.primary.connect() as conn:
            conn.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{names.replace(chr(39), '')}'")
            conn.execute("SELECT pg_reload_conf()")
        want = "sync" if names else "async"
        wait_until(
            lambda: all(state == want for _, state in self._sync_states() if _ in names or not names),
            10.0,
            f"sync_state {want}",
        )

    def _sync_states(self) -> list[tuple[str, str]]:
        assert self.primary is not None
        return [
            (str(a), str(s))
            for a, s in self.primary.query("SELECT application_name, sync_state FROM pg_stat_replication")
        ]

    def wait_streaming(self, name: str, timeout: float = 30.0) -> None:
        """Wait until standby ``name`` streams from the primary."""
        assert self.primary is not None
        wait_until(
            lambda: (
                self.primary is not None
                and self.primary.scalar(
                    _STREAMING,
                    (name,),
                )
            ),
            timeout,
            f"{name} to stream",
        )

    def wait_caught_up(self, name: str = "s1", timeout: float = 30.0) -> None:
        """Wait until standby ``name`` has replayed all the WAL the primary has written."""
        assert self.primary is not None
        target = lsn_bytes(self.primary.scalar("SELECT pg_current_wal_lsn()"))
        standby = self.standby(name)
        wait_until(
            lambda: lsn_bytes(standby.scalar("SELECT pg_last_wal_replay_lsn()")) >= target,
            timeout,
            f"{name} to catch up",
        )

    def replication(self) -> list[dict[str, Any]]:
        """``pg_stat_replication`` on the primary, one dict per standby (lags in ms, bytes behind)."""
        assert self.primary is not None
        rows = self.primary.query(
            "SELECT application_name, state, sync_state,"
            " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,"
            " extract(epoch FROM write_lag) * 1000, extract(epoch FROM flush_lag) * 1000,"
            " extract(epoch FROM replay_lag) * 1000 FROM pg_stat_replication ORDER BY application_name"
        )
        keys = (
            "standby",
            "state",
            "sync_state",
            "replay_behind_bytes",
            "write_lag_ms",
            "flush_lag_ms",
            "replay_lag_ms",
        )
        return [
            {
                k: (float(v) if k.endswith("_ms") and v is not None else v)
                for k, v in zip(keys, r, strict=True)
            }
            for r in rows
        ]

    def servers(self) -> Iterator[PgServer]:
        """The primary (if any) and the standbys."""
        if self.primary is not None:
            yield self.primary
        yield from self.standbys

    def pids(self) -> list[int]:
        """The process ids of every server started (running or not)."""
        return [pid for s in self.servers() for pid in s.pids]

    def close(self) -> None:
        """Stop every server and proxy, reap them and remove the directory."""
        for server in reversed(list(self.servers())):
            with contextlib.suppress(Exception):
                server.stop("immediate")
            if server.process is not None:
                server.process.stop(signal.SIGKILL)
        for proxy in self.proxies:
            with contextlib.suppress(Exception):
                proxy.close()
        if self.workspace is not None:
            self.workspace.close()
