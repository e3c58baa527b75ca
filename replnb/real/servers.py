"""Finding server binaries and running server processes as an unprivileged user.

PostgreSQL refuses to run as root, and a course should not run databases as
root anyway. When this process is root, every server command runs through
``setpriv`` as an unprivileged user: ``$REPLNB_SERVER_USER`` if set, else the
first of ``replnb``, ``postgres`` and ``mysql`` that exists. A normal user
runs the servers as itself.

Binaries are found by path, never by version: ``$REPLNB_PG_BINDIR``,
``pg_config --bindir``, ``/usr/lib/postgresql/*/bin`` (the newest first) or
``initdb`` on ``PATH`` for PostgreSQL; ``$REPLNB_MARIADBD``, ``mariadbd`` or
``mysqld`` on ``PATH`` or in ``/usr/sbin`` and ``/usr/libexec`` for MariaDB.

Every server lives in a :class:`Workspace`, a temporary directory owned by
the server user, and is a :class:`ServerProcess`: a child process that is
always stopped and reaped, by its context manager or, as a last resort, at
interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

__all__ = [
    "INSTALL_HINT",
    "ServerGroup",
    "ServerProcess",
    "ServersUnavailable",
    "Workspace",
    "free_port",
    "mariadb_binaries",
    "missing",
    "postgres_bindir",
    "reap_orphans",
    "server_user",
    "wait_until",
]

#: What to tell a learner whose machine has no database servers.
INSTALL_HINT = (
    "install them with `sudo apt install postgresql mariadb-server` "
    "(the servers need not run as services: replnb starts its own in a temporary directory)"
)
_PG_TOOLS = ("initdb", "postgres", "pg_ctl", "pg_basebackup")
_LIVE: set[ServerProcess] = set()


class ServersUnavailable(RuntimeError):
    """The server binaries, or a user to run them as, are missing."""


def _newest_first(paths: Sequence[str]) -> list[str]:
    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)

    return sorted(paths, key=version, reverse=True)


def _pg_candidates() -> list[str]:
    found: list[str] = []
    if os.environ.get("REPLNB_PG_BINDIR"):
        found.append(os.environ["REPLNB_PG_BINDIR"])
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            found.append(out.stdout.strip())
    import glob

    found.extend(_newest_first(glob.glob("/usr/lib/postgresql/*/bin")))
    initdb = shutil.which("initdb")
    if initdb:
        found.append(str(Path(initdb).parent))
    return found


def postgres_bindir() -> Path:
    """The directory holding ``initdb``, ``postgres``, ``pg_ctl`` and ``pg_basebackup``.

    Raises
    ------
    ServersUnavailable
        If no candidate directory has all four.
    """
    for candidate in _pg_candidates():
        if candidate and all(os.access(Path(candidate) / tool, os.X_OK) for tool in _PG_TOOLS):
            return Path(candidate)
    raise ServersUnavailable(f"PostgreSQL server binaries not found; {INSTALL_HINT}")


def _first_executable(names: Sequence[str], dirs: Sequence[str]) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
        for d in dirs:
            if os.access(Path(d) / name, os.X_OK):
                return str(Path(d) / name)
    return None


def mariadb_binaries() -> tuple[Path, Path]:
    """The MariaDB server and its install tool: ``(mariadbd, mariadb-install-db)``.

    Raises
    ------
    ServersUnavailable
        If either is missing.
    """
    dirs = ("/usr/sbin", "/usr/libexec", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")
    server = os.environ.get("REPLNB_MARIADBD") or _first_executable(("mariadbd", "mysqld"), dirs)
    if server:
        here = (str(Path(server).parent), str(Path(server).parent.parent / "bin"), *dirs)
        install = _first_executable(("mariadb-install-db", "mysql_install_db"), here)
        if install:
            return Path(server), Path(install)
    raise ServersUnavailable(
        f"MariaDB server binaries (mariadbd, mariadb-install-db) not found; {INSTALL_HINT}"
    )


def server_user() -> pwd.struct_passwd:
    """The account the servers run as (see the module docstring).

    Raises
    ------
    ServersUnavailable
        If this process is root and no unprivileged user exists, or ``setpriv`` is missing.
    """
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    names = [os.environ["REPLNB_SERVER_USER"]] if os.environ.get("REPLNB_SERVER_USER") else []
    for name in [*names, "replnb", "postgres", "mysql"]:
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam(name)
            if user.pw_uid != 0:
                if not shutil.which("setpriv"):
                    raise ServersUnavailable("running servers as root needs setpriv (Debian: util-linux)")
                return user
    raise ServersUnavailable(
        "PostgreSQL refuses to run as root and no unprivileged user was found: create one "
        "(`useradd --system replnb`), set REPLNB_SERVER_USER, or run as a normal user"
    )


def missing() -> str | None:
    """Why real servers cannot run here, or ``None`` if they can.

    Examples
    --------
    >>> reason = missing()
    >>> reason is None or "apt install" in reason or "user" in reason
    True
    """
    try:
        postgres_bindir()
        mariadb_binaries()
        server_user()
        _clients()
    except ServersUnavailable as exc:
        return str(exc)
    return None


def _clients() -> None:
    import importlib.util

    absent = [name for name in ("psycopg", "pymysql") if importlib.util.find_spec(name) is None]
    if absent:
        raise ServersUnavailable(f"client libraries {absent} missing: pip install 'psycopg[binary]' PyMySQL")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).

    Examples
    --------
    >>> 1024 <= free_port() <= 65535
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll ``check()`` until it returns a true value, and return that value.

    Raises
    ------
    TimeoutError
        After ``timeout`` seconds, naming ``what`` was awaited.

    Examples
    --------
    >>> wait_until(lambda: 42, timeout=1.0, what="the answer")
    42
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _server_pids(root: Path) -> list[int]:
    """Server processes started in ``root`` (from their pid files) that still run there."""
    pids = []
    for pidfile in [*root.glob("*/postmaster.pid"), *root.glob("*.pid")]:
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pidfile.read_text().split()[0])
            if str(root) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                pids.append(pid)
    return pids


def reap_orphans(prefix: str) -> list[int]:
    """Kill the servers of workspaces ``prefix<pid>-*`` whose process is gone; remove them.

    Returns
    -------
    list of int
        The server process ids that were killed.
    """
    killed = []
    for root in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
        owner = root.name[len(prefix) :].split("-")[0]
        if not owner.isdigit() or _pid_alive(int(owner)):
            continue
        for pid in _server_pids(root):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        shutil.rmtree(root, ignore_errors=True)
    return killed


@dataclass
class Workspace:
    """A temporary directory owned by the server user; removed by :meth:`close`."""

    root: Path
    user: pwd.struct_passwd

    @classmethod
    def create(cls, prefix: str = "replnb-") -> Workspace:
        """Make the directory (mode 0700, owned by :func:`server_user`).

        Its name carries this process's id. Workspaces of processes that died
        without cleaning up (a killed notebook kernel) are reaped first: their
        servers are killed and their directories removed.
        """
        user = server_user()
        reap_orphans(prefix)
        root = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
        os.chown(root, user.pw_uid, user.pw_gid)
        return cls(root, user)

    def command(self, argv: Sequence[str | Path]) -> list[str]:
        """``argv`` prefixed so that it runs as the server user."""
        args = [str(a) for a in argv]
        if os.geteuid() != 0:
            return args
        return [
            "setpriv",
            f"--reuid={self.user.pw_uid}",
            f"--regid={self.user.pw_gid}",
            "--init-groups",
            "--",
            *args,
        ]

    def run(self, argv: Sequence[str | Path], timeout: float = 120.0) -> str:
        """Run a command as the server user; its output, or ``RuntimeError`` with it."""
        out = subprocess.run(
            self.command(argv), capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )
        if out.returncode != 0:
            raise RuntimeError(
                f"{Path(str(argv[0])).name} failed ({out.returncode}): {out.stderr or out.stdout}"
            )
        return out.stdout

    def mkdir(self, name: str) -> Path:
        """A subdirectory owned by the server user."""
        path = self.root / name
        path.mkdir(mode=0o700)
        os.chown(path, self.user.pw_uid, self.user.pw_gid)
        return path

    def close(self) -> None:
        """Remove the directory and everything in it."""
        shutil.rmtree(self.root, ignore_errors=True)


class ServerProcess:
    """One server child process with its log file; always reaped.

    Parameters
    ----------
    workspace : Workspace
        Where the log goes and whose user runs the process.
    name : str
        A short name for messages and the log file.
    argv : sequence of str
        The server command (run through :meth:`Workspace.command`).
    """

    def __init__(self, workspace: Workspace, name: str, argv: Sequence[str | Path]) -> None:
        self.name = name
        self.log_path = workspace.root / f"{name}.log"
        self._log: IO[bytes] = open(self.log_path, "ab")  # noqa: SIM115 (closed in wait())
        self.proc = subprocess.Popen(
            workspace.command(argv),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.proc.pid
        _LIVE.add(self)

    def running(self) -> bool:
        """Whether the process is still alive."""
        return self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the server's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def send(self, sig: int) -> None:
        """Send a signal if the process is alive."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the exit (SIGKILL after ``timeout`` s); the exit code."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.send(signal.SIGKILL)
            code = self.proc.wait(timeout=30.0)
        self._log.close()
        _LIVE.discard(self)
        return code

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Ask the server to stop with ``sig`` and wait for it."""
        self.send(sig)
        return self.wait(timeout)


_G = TypeVar("_G", bound="ServerGroup")


class ServerGroup:
    """A context manager that starts a group of servers and always closes them.

    Subclasses define ``_start`` (start every server; on any failure the
    group is closed before the error propagates) and ``close`` (stop what is
    running; safe to call twice). ``setup_seconds`` is how long the start took.
    """

    setup_seconds = 0.0

    def _start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _G) -> _G:
        t0 = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        self.setup_seconds = time.monotonic() - t0
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@atexit.register
def _kill_leftovers() -> None:  # pragma: no cover - only when a context was never closed
    for server in list(_LIVE):
        server.stop(signal.SIGKILL, timeout=5.0)
