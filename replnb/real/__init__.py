"""Real database servers for the course: PostgreSQL and MariaDB replication on loopback.

The simulator shows replication as a model; this subpackage shows the same
lessons on real servers, started by the course itself in a temporary
directory, on free ports of 127.0.0.1, as an unprivileged user, and always
stopped again (see :mod:`replnb.real.servers`).

Layers, each importing only the ones before it::

    servers        find binaries, run server processes, temporary workspaces
    proxy          DelayProxy: a delaying, pausable TCP proxy (asyncio, own thread)
    postgres       PgCluster: primary + standbys via pg_basebackup -R, behind proxies
    mariadb        MariaGroup: two servers master-master, three in a ring
    pg_scenarios   the PostgreSQL lessons (failover, blocked commits, stale reads, lag)
    maria_scenarios  the MariaDB lessons (divergence, 1062 halt, auto_increment, ring cut)
    lessons        notebook 06: each lesson beside the simulator's run of the same script

The clients are psycopg 3 and PyMySQL (``pip install 'replnb[real]'``); the
servers come from the distribution (``sudo apt install postgresql mariadb-server``).
:func:`missing` says what is absent, if anything.
"""

from __future__ import annotations

from . import lessons, maria_scenarios, mariadb, pg_scenarios, postgres, proxy, servers
from .mariadb import MariaGroup
from .postgres import PgCluster
from .proxy import DelayProxy
from .servers import ServersUnavailable, missing

__all__ = [
    "DelayProxy",
    "MariaGroup",
    "PgCluster",
    "ServersUnavailable",
    "lessons",
    "maria_scenarios",
    "mariadb",
    "missing",
    "pg_scenarios",
    "postgres",
    "proxy",
    "servers",
]
