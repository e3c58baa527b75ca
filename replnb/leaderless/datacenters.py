"""Two datacenters: what LOCAL_QUORUM buys in latency and costs in staleness.

A multi-datacenter leaderless store (Cassandra's ``NetworkTopologyStrategy``)
keeps replicas of every key in each datacenter. A write is still sent to
all of them, but the client may choose how many acknowledgements, from
where, it waits for: ``QUORUM`` counts a majority of all replicas, wherever
they are, so with two equal datacenters it always needs one from across the
WAN; ``LOCAL_QUORUM`` counts a majority of the coordinator's own
datacenter and never waits for the WAN; ``EACH_QUORUM`` waits for a
majority in every datacenter. :func:`two_datacenters` runs one scripted
workload under each level: a writer in the first datacenter and a reader
in each, and reports the latencies and the stale reads each reader sees.

Examples
--------
>>> levels_for(3)["LOCAL_QUORUM"]
{'r': 2, 'w': 2, 'r_scope': 'local', 'w_scope': 'local'}
>>> levels_for(3)["QUORUM"]["w"]
4
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..engine.network import node_names
from ..engine.rng import Seed, as_rng
from ..params import Int, Real, checked
from ..pbs import Legs
from .simulation import simulate

__all__ = ["DC_LEVELS", "READERS", "WRITER", "levels_for", "two_datacenters"]

#: The levels compared, as (read level, write level) names.
DC_LEVELS = ("ONE", "LOCAL_ONE", "LOCAL_QUORUM", "EACH_QUORUM writes", "QUORUM")
#: The writer (in the first datacenter) and the readers, one per datacenter.
WRITER = "writer@dc1"
READERS = ("reader@dc1", "reader@dc2")


def levels_for(per_dc: int) -> dict[str, dict[str, Any]]:
    """``simulate`` arguments of each level of :data:`DC_LEVELS` for ``per_dc`` replicas per datacenter.

    ``EACH_QUORUM writes`` pairs EACH_QUORUM writes with LOCAL_QUORUM reads.
    """
    local = per_dc // 2 + 1
    quorum = per_dc + 1  # a majority of 2 * per_dc
    return {
        "ONE": {"r": 1, "w": 1, "r_scope": "global", "w_scope": "global"},
        "LOCAL_ONE": {"r": 1, "w": 1, "r_scope": "local", "w_scope": "local"},
        "LOCAL_QUORUM": {"r": local, "w": local, "r_scope": "local", "w_scope": "local"},
        "EACH_QUORUM writes": {"r": local, "w": local, "r_scope": "local", "w_scope": "each"},
        "QUORUM": {"r": quorum, "w": quorum, "r_scope": "global", "w_scope": "global"},
    }


def _script(
    rng: np.random.Generator,
    dcs: list[list[str]],
    write_rate: float,
    read_rate: float,
    duration: float,
    keys: int,
) -> list[tuple[float, str, str, str, str]]:
    """Writes by :data:`WRITER` to nodes of the first datacenter, reads by each reader in its own."""
    ops = []
    who = [("write", WRITER, dcs[0], write_rate)] + [
        ("read", reader, nodes, read_rate / 2) for reader, nodes in zip(READERS, dcs, strict=True)
    ]
    for kind, client, nodes, rate in who:
        count = int(rng.poisson(rate * duration / 1000.0))
        times = np.sort(rng.uniform(0.0, duration, count)).tolist()
        for t in times:
            node = nodes[int(rng.integers(len(nodes)))]
            ops.append((round(t, 3), kind, f"k{int(rng.integers(keys))}", node, client))
    return sorted(ops)


@checked(
    per_dc=Int(1, 5),
    far_latency=Real(0, 1000, unit="ms"),
    client_latency=Real(0, 100, unit="ms"),
    write_rate=Real(0, 200, low_open=True, unit="per s"),
    read_rate=Real(0, 1000, low_open=True, unit="per s"),
    duration=Real(0, 5000, low_open=True, unit="ms"),
    keys=Int(1, 100),
    latency=Legs(single=True),
)
def two_datacenters(
    levels: Sequence[str] = DC_LEVELS,
    *,
    per_dc: int = 3,
    far_latency: float = 75.0,
    client_latency: float = 0.5,
    write_rate: float = 20.0,
    read_rate: float = 200.0,
    duration: float = 2000.0,
    keys: int = 4,
    latency: str = "LNKD-DISK",
    seed: Seed = 0,
) -> pd.DataFrame:
    """Latency and stale reads of each consistency level, with replicas in two datacenters.

    ``2 * per_dc`` nodes, the first half in ``"dc1"`` and the rest in
    ``"dc2"``, hold every key (``n = nodes``). Messages between the two
    take ``far_latency`` ms more, one way (75 ms: the PBS paper's WAN
    preset on top of LinkedIn's disk latencies). The same scripted workload
    runs under every level: :data:`WRITER` writes through nodes of dc1, and
    each of :data:`READERS` reads through nodes of its own datacenter.

    Parameters
    ----------
    levels : sequence of str
        Some of :data:`DC_LEVELS`.
    per_dc : int, default 3
        Replicas per datacenter, 1..5.
    far_latency : float, default 75
        Extra one-way delay between the datacenters, ms in [0, 1000].
    client_latency : float, default 0.5
        One-way delay between a client and a node of its datacenter, ms in [0, 100].
    write_rate, read_rate : float
        Writes (in (0, 200]) and reads (in (0, 1000], half by each reader) per second.
    duration : float, default 2000
        ms of workload, in (0, 5000].
    keys : int, default 4
    latency : str, default "LNKD-DISK"
        The replicas' delays (a PBS preset or anything :func:`simulate` takes).
    seed : int, Generator or None

    Returns
    -------
    pandas.DataFrame
        One row per level: ``r``, ``w``, ``r_scope``, ``w_scope``,
        ``write_latency`` and ``read_latency`` (medians, ms, of the
        successful writes and of dc2's reads), ``write_latency_p99``,
        ``stale_dc1`` and ``stale_dc2`` (the fraction of each reader's
        completed reads that were stale), ``reads_dc2`` and
        ``write_availability``.

    Examples
    --------
    >>> df = two_datacenters(["LOCAL_QUORUM", "QUORUM"], duration=500)
    >>> bool(df.loc["QUORUM", "write_latency"] > 2 * 75 > df.loc["LOCAL_QUORUM", "write_latency"])
    True
    >>> float(df.loc["QUORUM", "stale_dc2"])
    0.0
    """
    table = levels_for(per_dc)
    levels = list(levels)
    for i, level in enumerate(levels):
        if level not in table:
            raise ValueError(f"levels[{i}] must be one of {list(DC_LEVELS)}, got {level!r}")
    names = node_names(2 * per_dc)
    dcs = [names[:per_dc], names[per_dc:]]
    regions = {**dict.fromkeys(dcs[0], "dc1"), **dict.fromkeys(dcs[1], "dc2")}
    regions.update({WRITER: "dc1", READERS[0]: "dc1", READERS[1]: "dc2"})
    rng = as_rng(seed)
    script = _script(rng, dcs, write_rate, read_rate, duration, keys)
    run_seed = int(rng.integers(0, 2**31))
    rows = {}
    for level in levels:
        run = simulate(
            n=len(names), nodes=len(names), script=script, regions=regions, far_latency=far_latency,
            client_latency=client_latency, latency=latency, duration=duration, seed=run_seed, **table[level],
        )  # fmt: skip
        rows[level] = {**table[level], **_figures(run.ops)}
    return pd.DataFrame.from_dict(rows, orient="index")


def _figures(ops: pd.DataFrame) -> dict[str, float]:
    """Median latencies, the writes' 99th percentile, each reader's stale fraction."""
    done = ops[ops["ok"]]
    took = done["end"] - done["start"]
    writes = done["kind"] == "write"
    out: dict[str, float] = {
        "write_latency": float(took[writes].median()) if writes.any() else math.nan,
        "write_latency_p99": float(took[writes].quantile(0.99)) if writes.any() else math.nan,
    }
    remote = done["client"] == READERS[1]
    out["read_latency"] = float(took[remote].median()) if remote.any() else math.nan
    for reader, column in zip(READERS, ("stale_dc1", "stale_dc2"), strict=True):
        mine = done[done["client"] == reader]
        out[column] = float(mine["stale"].astype(bool).mean()) if len(mine) else math.nan
    out["reads_dc2"] = int(remote.sum())
    all_writes = ops[ops["kind"] == "write"]
    out["write_availability"] = float(all_writes["ok"].mean()) if len(all_writes) else math.nan
    return out
