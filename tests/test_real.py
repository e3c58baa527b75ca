"""Every real-server lesson of replnb.real, run against real PostgreSQL and MariaDB servers.

Skipped with the reason when the server binaries (or a user to run them as)
are missing, unless ``REPLNB_REQUIRE_SERVERS=1``: then that is a failure.
The servers are started once per module where a lesson leaves them usable.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from replnb.real import lessons, maria_scenarios, pg_scenarios
from replnb.real.mariadb import MariaGroup
from replnb.real.postgres import PgCluster
from replnb.real.servers import missing, reap_orphans, wait_until

pytestmark = pytest.mark.real

MISSING = missing()
REQUIRED = os.environ.get("REPLNB_REQUIRE_SERVERS") == "1"
WORKSPACE_MARKS = ("/replnb-pg-", "/replnb-maria-")


def _require_servers() -> None:
    if MISSING is None:
        return
    if REQUIRED:
        pytest.fail(f"REPLNB_REQUIRE_SERVERS=1 but real servers cannot run: {MISSING}")
    pytest.skip(f"real database servers not available ({MISSING}); set REPLNB_REQUIRE_SERVERS=1 to fail")


@pytest.fixture(autouse=True)
def _servers_available(request: pytest.FixtureRequest) -> None:
    if "without_servers" not in request.node.name:
        _require_servers()


@pytest.fixture(scope="module")
def pg() -> Iterator[PgCluster]:
    _require_servers()
    with PgCluster(standbys=1) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def pair() -> Iterator[MariaGroup]:
    _require_servers()
    with MariaGroup(servers=2) as group:
        yield group


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _server_processes() -> list[str]:
    """Command lines of running processes that use one of our temporary workspaces."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(mark in cmd for mark in WORKSPACE_MARKS):
                found.append(cmd)
    return found


def test_async_failover_loses_exactly_the_rows_committed_while_cut_off() -> None:
    result = pg_scenarios.async_failover(rows=20, before=5)
    assert result["committed"] == 25
    assert result["on_new_primary"] == 5
    assert result["lost_rows"] == 20
    assert result["lost_are_the_cut_rows"]
    assert result["bytes_dropped_by_proxy"] > 0
    assert result["wal_bytes_not_received"] > 0


def test_sync_failover_loses_nothing() -> None:
    result = pg_scenarios.sync_failover(rows=20, before=5)
    assert result["committed"] == result["on_new_primary"] == 25
    assert result["lost_rows"] == 0
    assert result["wal_bytes_not_received"] == 0


def test_sync_commit_blocks_while_the_standby_is_down(pg: PgCluster) -> None:
    result = pg_scenarios.sync_commit_blocks(wait=0.5, cluster=pg)
    assert result["blocked"]
    assert result["wait_event"] == "SyncRep"
    assert not result["visible_to_others_while_blocked"]
    assert result["completed_after_standby_returned"]
    assert result["error"] is None
    assert result["visible_after"] == 1
    assert result["commit_seconds"] >= 0.5


def test_standby_read_is_stale_and_remote_apply_fixes_it(pg: PgCluster) -> None:
    table = pg_scenarios.stale_read(reads=5, delay=0.05, cluster=pg).set_index("synchronous_commit")
    assert table.loc["local", "stale_reads"] == 5
    assert table.loc["remote_apply", "stale_reads"] == 0
    assert table.loc["remote_apply", "commit_ms_mean"] >= 50


def test_lag_follows_the_proxy_delay(pg: PgCluster) -> None:
    table = pg_scenarios.replication_lag(delays=(0.0, 0.2), writes=3, cluster=pg)
    assert list(table["proxy_delay_ms"]) == [0.0, 200.0]
    lag = table["visible_lag_ms"].to_list()
    assert 195 <= lag[1] < 5000  # at least the delay; the rest is commit, replay and polling
    assert lag[0] < lag[1]
    assert table["max_bytes_behind"].min() >= 0


def test_master_master_diverges_after_concurrent_updates(pair: MariaGroup) -> None:
    result = maria_scenarios.divergence(rows=3, group=pair)
    assert result["diverged_rows"] == 3
    assert result["each_has_the_others_value"]
    assert (result["m1_value"], result["m2_value"]) == ("set on m2", "set on m1")
    assert result["sql_errors"] == [0, 0]


def test_duplicate_key_halts_replication(pair: MariaGroup) -> None:
    result = maria_scenarios.duplicate_key_halt(group=pair)
    assert result["halted"]
    assert result["errno"] == 1062
    assert list(result["status"]["Slave_SQL_Running"]) == ["No", "No"]
    assert not result["later_write_reached_m2"]
    assert result["later_write_after_repair"]
    assert result["row_differs_after_repair"]
    assert {s["Slave_SQL_Running"] for s in (m.slave_status() for m in pair.servers)} == {"Yes"}


def test_auto_increment_offsets_avoid_the_conflict(pair: MariaGroup) -> None:
    result = maria_scenarios.auto_increment(rows=4, group=pair)
    assert result["rows_on_m1"] == result["rows_on_m2"] == 8
    assert result["identical"]
    assert result["sql_errors"] == [0, 0]
    assert result["m1_ids"] == [1, 3, 5, 7]
    assert result["m2_ids"] == [2, 4, 6, 8]


def test_ring_is_cut_by_a_stopped_server() -> None:
    table = maria_scenarios.ring_cut(stop="m2").set_index("written_at")
    assert table.loc["m1", "reached_while_down"] == "m1"
    assert table.loc["m3", "reached_while_down"] == "m1, m3"
    assert set(table["reached_after_restart"]) == {"m1, m2, m3"}


def test_a_failing_block_leaves_no_server_behind() -> None:
    """A primary with two standbys, and an exception inside the block."""
    with pytest.raises(ZeroDivisionError), PgCluster(standbys=2) as cluster:
        assert cluster.workspace is not None
        pids, root = cluster.pids(), cluster.workspace.root
        assert len(pids) == 3 and all(_alive(pid) for pid in pids)
        assert [(r["standby"], r["state"]) for r in cluster.replication()] == [
            ("s1", "streaming"),
            ("s2", "streaming"),
        ]
        _ = 1 / 0
    assert not any(_alive(pid) for pid in pids)
    assert not root.exists()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pg_scenarios.async_failover(rows=True), "rows must be an integer in 1..1000, got True"),
        (lambda: pg_scenarios.stale_read(delay=-1), "delay must be a number in [0, 1] s, got -1"),
        (lambda: pg_scenarios.replication_lag(delays="0.1"), "delays must be a non-empty list"),  # type: ignore[arg-type]
        (lambda: maria_scenarios.ring_cut(stop="m4"), "stop must be one of"),
        (lambda: MariaGroup(servers=4), "servers must be an integer in 2..3, got 4"),
    ],
)
def test_bad_arguments_raise_value_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()  # type: ignore[operator]


def test_no_server_process_is_left_behind(pg: PgCluster, pair: MariaGroup) -> None:
    """Last in the module: only the two module fixtures' servers are still running."""
    assert pg.workspace is not None and pair.workspace is not None
    mine = (str(pg.workspace.root), str(pair.workspace.root))
    others = [cmd for cmd in _server_processes() if not any(root in cmd for root in mine)]
    assert others == []


def test_lessons_without_servers_say_how_to_get_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs everywhere: where servers are missing, notebook 06's cells show the simulator and a hint."""
    monkeypatch.setattr(lessons, "missing", lambda: "PostgreSQL server binaries not found")
    for table in (
        lessons.failover(rows=20, before=5),
        lessons.blocked_commit(wait=1.0),
        lessons.stale_reads(reads=5, delay=0.1),
        lessons.divergence(rows=3),
        lessons.duplicate_key(),
        lessons.auto_increment(rows=5),
    ):
        assert set(table["measured"]) == {lessons.NOT_RUN}
        assert "apt install postgresql mariadb-server" in table.attrs["note"]
    assert lessons.failover(rows=20, before=5)["simulated"].to_list() == [25, 20, 25, 0]
    assert lessons.stale_reads(reads=5)["simulated"].to_list()[:2] == [5, 0]
    assert lessons.divergence(rows=3).loc["rows that differ between the servers", "simulated"] == 0
    ring = lessons.ring_cut(stop="m2")
    assert ring.loc["m3", "simulated: reached while down"] == "m1, m3"
    assert set(ring["measured: reached while down"]) == {lessons.NOT_RUN}
    assert set(lessons.lag(delays=(0.1,), writes=2)["measured >= delay"]) == {lessons.NOT_RUN}
    assert "sudo apt install postgresql mariadb-server" in capsys.readouterr().out


ORPHAN_SCRIPT = """
import sys, time
from replnb.real.postgres import PgServer, postgres_bindir
from replnb.real.servers import Workspace, free_port
ws = Workspace.create("replnb-pg-")
server = PgServer(ws, "primary", free_port())
ws.run([postgres_bindir() / "initdb", "-D", server.datadir, "-U", "replnb", "--auth=trust", "--no-sync"])
server.start()
print(server.process.pid, ws.root, flush=True)
time.sleep(600)
"""


def test_servers_of_a_killed_process_are_reaped_next_time() -> None:
    """A process killed with SIGKILL (say, a notebook kernel) cannot clean up; the next workspace does."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]
        ),
    )
    with subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        pid_text, root_text = proc.stdout.readline().split()
        proc.kill()
        proc.wait(30)
    pid, root = int(pid_text), Path(root_text)
    assert _alive(pid) and root.exists()
    assert pid in reap_orphans("replnb-pg-")
    wait_until(lambda: not _alive(pid), 30.0, "the orphaned server to die")
    assert not root.exists()
