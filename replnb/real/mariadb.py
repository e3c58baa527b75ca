"""Real MariaDB multi-source replication: two servers master-master, three in a ring.

:class:`MariaGroup` is a context manager. On entry it runs
``mariadb-install-db`` for every server in a temporary
:class:`~replnb.real.servers.Workspace`, starts them on free loopback ports
with distinct ``server_id``\\ s, a row-based binary log and
``log_slave_updates`` (a server passes on what it replicated, which a ring
needs), and points each server at the one before it: ``m2`` replicates from
``m1``, ``m3`` from ``m2`` and ``m1`` from the last. With two servers that
ring is master-master. A server ignores events carrying its own server id,
so a change stops when it comes back round. On exit every server is shut
down and reaped and the directory is removed.

Replication is paused and resumed with ``STOP SLAVE`` / ``START SLAVE``
(:meth:`MariaServer.stop_slave`, :meth:`MariaServer.start_slave`) and
inspected with ``SHOW SLAVE STATUS`` (:meth:`MariaServer.slave_status`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..params import Int, checked
from .servers import ServerGroup, ServerProcess, Workspace, free_port, mariadb_binaries, wait_until

__all__ = ["MariaGroup", "MariaServer"]

_USER = _PASSWORD = "replnb"
_INIT_SQL = f"""SET sql_log_bin = 0;
CREATE USER IF NOT EXISTS '{_USER}'@'127.0.0.1' IDENTIFIED BY '{_PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO '{_USER}'@'127.0.0.1' WITH GRANT OPTION;
"""
_START_TIMEOUT = 60.0
_TEMPLATES: dict[str, Path] = {}
_TEMPLATE_LOCK = threading.Lock()


def _template(install: Path) -> Path:
    """A data directory made once per process by ``mariadb-install-db``, copied for every server.

    It lives in a temporary directory of its own (owned by the server user),
    removed at interpreter exit (or, if this process is killed, by the next
    :meth:`~replnb.real.servers.Workspace.create` of that name).
    """
    with _TEMPLATE_LOCK:
        if str(install) not in _TEMPLATES:
            ws = Workspace.create("replnb-mariadb-template-")
            atexit.register(shutil.rmtree, ws.root, True)
            tmp = ws.mkdir("tmp")
            datadir = ws.root / "data"
            ws.run(
                [
                    install,
                    "--no-defaults",
                    f"--datadir={datadir}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--skip-name-resolve",
                    f"--tmpdir={tmp}",
                    "--innodb-log-file-size=4M",
                ]
            )
            _TEMPLATES[str(install)] = datadir
        return _TEMPLATES[str(install)]


class MariaServer:
    """One MariaDB server of a :class:`MariaGroup`.

    Parameters
    ----------
    workspace : Workspace
        The group's temporary directory.
    name : str
        ``"m1"``, ``"m2"``, ...
    server_id : int
        Its distinct ``server_id``.
    """

    def __init__(self, workspace: Workspace, name: str, server_id: int) -> None:
        self.workspace, self.name, self.server_id = workspace, name, server_id
        self.port = free_port()
        self.datadir = workspace.root / name
        self.server, self.install = mariadb_binaries()
        self.process: ServerProcess | None = None
        self.pids: list[int] = []
        self.tmpdir = workspace.root

    def install_db(self) -> None:
        """Create the data directory: a copy of this process's ``mariadb-install-db`` template."""
        self.tmpdir = self.workspace.mkdir(f"{self.name}-tmp")
        template = _template(self.install)
        subprocess.run(["cp", "-a", str(template), str(self.datadir)], check=True, timeout=120)
        if os.geteuid() == 0:
            subprocess.run(
                [
                    "chown",
                    "-R",
                    f"{self.workspace.user.pw_uid}:{self.workspace.user.pw_gid}",
                    str(self.datadir),
                ],
                check=True,
                timeout=120,
            )

    def start(self) -> None:
        """Start (or restart) the server and wait until it accepts connections."""
        root = self.workspace.root
        argv: list[str | Path] = [
            self.server,
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--tmpdir={self.tmpdir}",
            f"--socket={root / (self.name + '.sock')}",
            f"--pid-file={root / (self.name + '.pid')}",
            f"--server-id={self.server_id}",
            f"--log-bin={self.name}-bin",
            f"--relay-log={self.name}-relay",
            "--binlog-format=ROW",
            "--log-slave-updates=ON",
            "--skip-name-resolve",
            f"--init-file={root / 'init.sql'}",
            "--innodb-buffer-pool-size=16M",
            "--innodb-log-file-size=4M",
            "--innodb-flush-log-at-trx-commit=2",
            "--sync-binlog=0",
            "--performance-schema=OFF",
            "--slave-net-timeout=5",
            "--max-connections=40",
        ]
        self.process = ServerProcess(self.workspace, self.name, argv)
        self.pids.append(self.process.pid)
        wait_until(self._ready, _START_TIMEOUT, f"MariaDB {self.name} on port {self.port}")

    def _ready(self) -> bool:
        assert self.process is not None
        if not self.process.running():
            raise RuntimeError(f"MariaDB {self.name} exited during start-up:\n{self.process.log_tail()}")
        import pymysql

        try:
            with self.connect(retries=1) as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
        except pymysql.err.OperationalError:
            return False
        return True

    def connect(self, retries: int = 3, **session: int) -> Any:
        """A new autocommit PyMySQL connection (dict rows); close it (use ``with``).

        A refused connect is retried ``retries - 1`` times. Keyword arguments
        set session variables, e.g. ``auto_increment_offset=2``.
        """
        import pymysql

        for attempt in range(retries):  # a refused connect sent nothing: safe to retry
            try:
                conn = pymysql.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user=_USER,
                    password=_PASSWORD,
                    autocommit=True,
                    connect_timeout=10,
                    cursorclass=pymysql.cursors.DictCursor,
                )
                break
            except pymysql.err.OperationalError as exc:
                if exc.args[0] != 2003 or attempt == retries - 1 or not self.running():
                    raise
                time.sleep(0.2)
        if session:
            with conn.cursor() as cur:
                cur.execute("SET " + ", ".join(f"SESSION {k} = {int(v)}" for k, v in session.items()))
        return conn

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Run one statement on a fresh connection; its rows as dicts."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def slave_status(self) -> dict[str, Any]:
        """``SHOW SLAVE STATUS`` as a dict (empty if replication is not set up)."""
        rows = self.query("SHOW SLAVE STATUS")
        return rows[0] if rows else {}

    def master_status(self) -> tuple[str, int]:
        """The current binary log file and position of this server."""
        row = self.query("SHOW MASTER STATUS")[0]
        return str(row["File"]), int(row["Position"])

    def replicate_from(self, source: MariaServer) -> None:
        """Start replicating from ``source``, from its current binary log position.

        Replication threads are stopped first: a restarted server resumes the
        replication it had (its relay log info survives the restart), and
        ``CHANGE MASTER`` refuses to run while they do (error 1198).
        """
        file, pos = source.master_status()
        self.stop_slave()
        self.query(
            "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = %s, MASTER_USER = %s,"
            " MASTER_PASSWORD = %s, MASTER_CONNECT_RETRY = 1, MASTER_USE_GTID = no,"
            " MASTER_LOG_FILE = %s, MASTER_LOG_POS = %s",
            (source.port, _USER, _PASSWORD, file, pos),
        )
        self.start_slave()

    def stop_slave(self) -> None:
        """``STOP SLAVE``: pause both replication threads."""
        self.query("STOP SLAVE")

    def start_slave(self) -> None:
        """``START SLAVE``: resume both replication threads."""
        self.query("START SLAVE")

    def wait_for(self, source: MariaServer, timeout: float = 30.0) -> None:
        """Wait until this server has applied everything ``source`` has binlogged so far."""
        file, pos = source.master_status()
        got = self.query("SELECT MASTER_POS_WAIT(%s, %s, %s) AS w", (file, pos, timeout))[0]["w"]
        if got is None or int(got) < 0:
            status = self.slave_status()
            raise TimeoutError(
                f"{self.name} did not catch up with {source.name}: SQL thread "
                f"{status.get('Slave_SQL_Running')}, error {status.get('Last_SQL_Errno')} "
                f"{status.get('Last_SQL_Error')}"
            )

    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.process is not None and self.process.running()

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM) and reap it."""
        if self.process is not None:
            self.process.stop(signal.SIGTERM, timeout=30.0)


class MariaGroup(ServerGroup):
    """``servers`` MariaDB servers replicating in a ring (two: master-master).

    Parameters
    ----------
    servers : int
        2 or 3.

    Examples
    --------
    >>> MariaGroup(servers=True)
    Traceback (most recent call last):
    ...
    ValueError: servers must be an integer in 2..3, got True
    """

    @checked(servers=Int(2, 3))
    def __init__(self, servers: int = 2) -> None:
        self.n = servers
        self.workspace: Workspace | None = None
        self.servers: list[MariaServer] = []
        self.setup_seconds = 0.0

    def _start(self) -> None:
        self.workspace = ws = Workspace.create("replnb-maria-")
        init = ws.root / "init.sql"
        init.write_text(_INIT_SQL)
        init.chmod(0o644)
        self.servers = [MariaServer(ws, f"m{i}", server_id=i) for i in range(1, self.n + 1)]
        for server in self.servers:
            server.install_db()
        for server in self.servers:
            server.start()
        for i, server in enumerate(self.servers):
            server.replicate_from(self.servers[i - 1])
        self.sync()

    def __getitem__(self, name: str) -> MariaServer:
        for server in self.servers:
            if server.name == name:
                return server
        raise ValueError(f"no server called {name!r}; have {[s.name for s in self.servers]}")

    def source_of(self, server: MariaServer) -> MariaServer:
        """The server that ``server`` replicates from."""
        return self.servers[self.servers.index(server) - 1]

    def sync(self, timeout: float = 30.0) -> None:
        """Wait until every running server has applied every other running server's changes."""
        for _ in range(self.n - 1):
            for server in self.servers:
                source = self.source_of(server)
                if server.running() and source.running():
                    server.wait_for(source, timeout)

    def pids(self) -> list[int]:
        """The process ids of every server started (running or not)."""
        return [pid for s in self.servers for pid in s.pids]

    def close(self) -> None:
        """Shut every server down, reap them and remove the directory."""
        for server in self.servers:  # all at once, then wait for each
            if server.process is not None:
                server.process.send(signal.SIGTERM)
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()
        if self.workspace is not None:
            self.workspace.close()
