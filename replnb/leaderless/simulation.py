"""simulate(): check the parameters, build the cluster, run it, collect a Run."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from ..engine.latency import PRESETS, Distribution, exponential
from ..engine.network import Network, node_names
from ..engine.rng import Seed, as_rng
from ..engine.sim import Simulation
from ..records import OP_COLUMNS, Recorder, Run, frame
from .cluster import Cluster
from .ring import MAX_NODES, Stamp, check_float, check_int

__all__ = ["LeaderlessRun", "simulate"]


def _resolve_latency(latency: object) -> dict[str, Distribution]:
    if isinstance(latency, str):
        if latency not in PRESETS:
            raise ValueError(f"latency preset must be one of {sorted(PRESETS)}, got {latency!r}")
        return dict(PRESETS[latency])
    if isinstance(latency, Distribution):
        return dict.fromkeys("WARS", latency)
    if isinstance(latency, Mapping):
        legs = {str(k): v for k, v in latency.items()}
        if sorted(legs) == ["A", "R", "S", "W"] and all(isinstance(d, Distribution) for d in legs.values()):
            return legs
    elif isinstance(latency, (int, float, np.integer, np.floating)) and not isinstance(latency, bool):
        mean = check_float("latency", latency, 0.0, strict=True)
        return dict.fromkeys("WARS", exponential(mean=mean))
    raise ValueError(
        f"latency must be a preset name in {sorted(PRESETS)}, a replnb.latency.Distribution, "
        f"a mean delay in ms (> 0) or a mapping of the legs 'W', 'A', 'R', 'S', got {latency!r}"
    )


class LeaderlessRun(Run):
    """A :class:`~replnb.records.Run` whose ``ops`` also mark ``stale`` reads and ``lost`` writes."""

    @cached_property
    def ops(self) -> pd.DataFrame:
        """Client operations, with boolean ``stale`` and ``lost`` columns."""
        df = frame(self.recorder.ops, OP_COLUMNS)
        # values are op ids (ints) or None: keep them as Python objects, not floats
        df["value"] = pd.Series([op["value"] for op in self.recorder.ops], index=df.index, dtype=object)
        df["stale"] = False
        df["lost"] = False
        if len(df):
            df["ok"] = df["ok"].astype(bool)
            stale = metrics.stale_reads(df)
            df.loc[stale.index, "stale"] = stale.to_numpy(dtype=bool)
            lost = metrics.lost_writes(df, self.extras["survivors"])
            df.loc[lost.index, "lost"] = lost.to_numpy(dtype=bool)
        return df


def _metrics(run: Run) -> dict[str, Any]:
    ops = run.ops
    writes = ops[ops["kind"] == "write"]
    reads = ops[ops["kind"] == "read"]
    done_reads = int(reads["ok"].sum())
    stale = int(reads["stale"].sum())
    x = run.extras
    acked = writes[writes["ok"]]
    done = reads[reads["ok"]]
    return {
        "writes": len(writes),
        "reads": len(reads),
        "write_availability": float(writes["ok"].mean()) if len(writes) else math.nan,
        "read_availability": float(reads["ok"].mean()) if len(reads) else math.nan,
        "stale_reads": stale,
        "stale_fraction": stale / done_reads if done_reads else math.nan,
        "lost_writes": int(writes["lost"].sum()),
        "convergence_time": _convergence(run),
        "hinted_writes": x["hinted_writes"],
        "hints_handed_off": x["hints_handed_off"],
        "read_repairs": x["read_repairs"],
        "anti_entropy_repairs": x["anti_entropy_repairs"],
        "write_latency_median": metrics.percentile(acked["end"] - acked["start"], 50),
        "read_latency_median": metrics.percentile(done["end"] - done["start"], 50),
    }


def _convergence(run: Run) -> float:
    ops = run.ops
    acked = ops[(ops["kind"] == "write") & ops["ok"]]
    since = max(float(acked["end"].max()) if len(acked) else 0.0, run.extras["last_fault_end"])
    versions = run.versions
    versions = versions[versions["event"] != "hint"]
    by_key = dict(list(versions.groupby("key", sort=True))) if len(versions) else {}
    final = run.final_state
    live = set(run.extras["live"])
    worst = 0.0
    for key in sorted(by_key):
        nodes = [h for h in run.extras["home"][key] if h in live]
        v = by_key[key]
        worst = max(
            worst,
            metrics.convergence_time(v[v["node"].isin(nodes)], final.loc[nodes, [key]], nodes, since),
        )
    return worst


def simulate(
    *,
    n: int = 3,
    r: int = 2,
    w: int = 2,
    nodes: int | None = None,
    keys: int = 4,
    clients: int = 3,
    write_rate: float = 100.0,
    read_rate: float = 200.0,
    duration: float = 1000.0,
    writes_until: float | None = None,
    settle: float | None = None,
    timeout: float = 1000.0,
    read_repair: bool = True,
    anti_entropy_interval: float | None = None,
    sloppy: bool = False,
    hint_interval: float = 100.0,
    propagate: bool = True,
    failures: Sequence[tuple[str, float, float | None]] = (),
    latency: str | float | Distribution | Mapping[str, Distribution] = "LNKD-DISK",
    script: Sequence[tuple[float, str, str, str]] | None = None,
    seed: Seed = 0,
) -> LeaderlessRun:
    """Run a leaderless (Dynamo-style) key-value store under a random workload.

    See the module docstring for the protocol. Clients issue writes and reads
    as two Poisson processes over ``[0, writes_until)`` and ``[0, duration)``
    ms, each to a key chosen
    uniformly among ``keys`` keys named ``"k0"``, ``"k1"``, ...; the run goes
    on for ``settle`` ms more so that late messages, repairs and handoffs can
    land.

    Parameters
    ----------
    n : int, default 3
        Home replicas per key, 1..26.
    r, w : int, default 2
        Read and write quorum sizes, each in 1..n.
    nodes : int, optional
        Cluster size, n..26 (default ``n + 2``, capped at 26): the nodes
        beyond a key's ``n`` home replicas are its fallbacks for sloppy quorums.
    keys : int, default 4
        Number of keys, 1..1000.
    clients : int, default 3
        Clients issuing the operations, 1..100 (named ``"c0"``, ``"c1"``, ...).
    write_rate, read_rate : float
        Writes and reads per second over the whole cluster, >= 0.
    duration : float, default 1000
        How long clients issue operations, in ms (> 0).
    writes_until : float, optional
        Writes stop at this time (ms, in ``(0, duration]``; default
        ``duration``), so that what happens after the last write can be watched.
    settle : float, optional
        Extra time simulated after ``duration``, in ms (default ``timeout``).
    timeout : float, default 1000
        A coordinator gives up on an operation after this many ms (> 0).
    read_repair : bool, default True
        Push the newest version to responders that answered with an older one.
    anti_entropy_interval : float or None
        Every this many ms each node syncs with one peer by Merkle digest
        (``None``: no anti-entropy).
    sloppy : bool, default False
        Sloppy quorum with hinted handoff.
    hint_interval : float, default 100
        Fallbacks try to hand hints off this often, in ms (> 0).
    propagate : bool, default True
        ``False``: writes go to only ``w`` random home replicas
        (non-expanding quorums, the PBS closed form).
    failures : sequence of (node, at, recover_at or None)
        Crash ``node`` at ``at`` ms and bring it back at ``recover_at``.
    latency : str, float, Distribution or mapping, default "LNKD-DISK"
        A PBS preset name, a mean delay in ms (exponential), one
        distribution for every message, or a mapping of the WARS legs.
    script : sequence of (time, kind, key, node), optional
        A scripted workload instead of the random one: at ``time`` ms, a
        ``"write"`` or ``"read"`` of ``key`` arrives at coordinator ``node``
        (it fails if that node is down). Writes write their op id as the
        value. ``keys``, ``clients`` and the rates are then ignored.
    seed : int, numpy.random.Generator or None, default 0
        Same seed, same run.

    Returns
    -------
    LeaderlessRun
        ``run.ops`` (with ``stale`` and ``lost``), ``run.messages``,
        ``run.versions``, ``run.events``, ``run.final_state`` (home replicas'
        values; ``None`` elsewhere) and ``run.metrics``. ``run.extras`` holds
        ``home`` (each key's home replicas), ``survivors``, ``live``,
        ``last_fault_end`` and the counters.

    Raises
    ------
    ValueError
        For a parameter outside its range (for example ``r > n``), an
        unknown latency preset or a bad failure.

    Examples
    --------
    >>> run = simulate(n=3, r=2, w=2, seed=1)
    >>> int(run.metrics["stale_reads"]), float(run.metrics["write_availability"])
    (0, 1.0)
    >>> partial = simulate(n=3, r=1, w=1, read_repair=False, seed=1)
    >>> int(partial.metrics["stale_reads"]) > 0
    True
    >>> simulate(n=3, r=4)
    Traceback (most recent call last):
    ...
    ValueError: r must be an integer in 1..n=3, got 4
    """
    n = check_int("n", n, 1, MAX_NODES)
    r = check_int("r", r, 1, n, f"n={n}")
    w = check_int("w", w, 1, n, f"n={n}")
    m = min(n + 2, MAX_NODES) if nodes is None else check_int("nodes", nodes, n, MAX_NODES)
    n_keys = check_int("keys", keys, 1, 1000)
    n_clients = check_int("clients", clients, 1, 100)
    write_rate = check_float("write_rate", write_rate, 0.0)
    read_rate = check_float("read_rate", read_rate, 0.0)
    duration = check_float("duration", duration, 0.0, strict=True)
    timeout = check_float("timeout", timeout, 0.0, strict=True)
    settle = timeout if settle is None else check_float("settle", settle, 0.0)
    write_end = (
        duration if writes_until is None else check_float("writes_until", writes_until, 0.0, strict=True)
    )
    if write_end > duration:
        raise ValueError(f"writes_until must be in (0, duration={duration:g}] ms, got {writes_until!r}")
    hint_interval = check_float("hint_interval", hint_interval, 0.0, strict=True)
    if anti_entropy_interval is not None:
        anti_entropy_interval = check_float("anti_entropy_interval", anti_entropy_interval, 0.0, strict=True)
    for name, flag in (("read_repair", read_repair), ("sloppy", sloppy), ("propagate", propagate)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False, got {flag!r}")
    legs = _resolve_latency(latency)
    names = node_names(m)
    faults = _check_failures(failures, names)

    rng = as_rng(seed)
    end = duration + settle
    # The workload is drawn first, so switches that change the message
    # traffic (read repair, anti-entropy, ...) see the same operations.
    ops: list[tuple[float, str, str, str, float | str]] = []
    if script is not None:
        ops = _check_script(script, names)
        key_names = sorted({op[2] for op in ops})
    else:
        key_names = [f"k{i}" for i in range(n_keys)]
        for kind, rate, until in (("write", write_rate, write_end), ("read", read_rate, duration)):
            count = int(rng.poisson(rate * until / 1000.0))
            times = np.sort(rng.uniform(0.0, until, count))
            which = rng.integers(0, n_keys, count)
            who = rng.integers(0, n_clients, count)
            pick = rng.random(count)
            ops += [
                (float(t), kind, key_names[k], f"c{c}", float(u))
                for t, k, c, u in zip(
                    times.tolist(), which.tolist(), who.tolist(), pick.tolist(), strict=True
                )
            ]
    ops.sort(key=lambda op: (op[0], op[1]))
    run_rng = np.random.default_rng(int(rng.integers(0, 2**63 - 1)))

    sim = Simulation()
    rec = Recorder()
    net = Network(sim, names, latency=legs["R"], seed=run_rng, recorder=rec)
    cluster = Cluster(
        sim,
        net,
        rec,
        names=names,
        keys=key_names,
        n=n,
        r=r,
        w=w,
        read_repair=bool(read_repair),
        sloppy=bool(sloppy),
        propagate=bool(propagate),
        timeout=timeout,
        legs=legs,
        rng=run_rng,
    )
    for node, at, back in faults:
        net.crash(node, at, back)
    for t, kind, key, client, u in ops:
        start = cluster.start_write if kind == "write" else cluster.start_read
        sim.at(t, start, key, client, u)
    if anti_entropy_interval is not None:
        for i, node in enumerate(names):
            offset = anti_entropy_interval * (i + 1) / m
            sim.every(anti_entropy_interval, cluster.ae_tick, node, start=offset, until=end)
    if sloppy:
        sim.every(hint_interval, cluster.hint_tick, start=hint_interval, until=end)
    sim.run(until=end)
    cluster.finish(end)

    live = [x for x in names if net.is_up(x)]
    survivors = _rank_versions(rec, cluster, key_names, live)
    final = {x: {k: cluster.store[x][k][1] for k in key_names if k in cluster.store[x]} for x in names}
    params = {
        "n": n,
        "r": r,
        "w": w,
        "nodes": m,
        "keys": len(key_names),
        "clients": n_clients,
        "write_rate": write_rate,
        "read_rate": read_rate,
        "duration": duration,
        "writes_until": write_end,
        "settle": settle,
        "timeout": timeout,
        "read_repair": bool(read_repair),
        "anti_entropy_interval": anti_entropy_interval,
        "sloppy": bool(sloppy),
        "hint_interval": hint_interval,
        "propagate": bool(propagate),
        "failures": tuple(faults),
        "script": None if script is None else tuple((op[0], op[1], op[2], op[4]) for op in ops),
        "latency": latency if isinstance(latency, str) else repr(latency),
        "seed": seed if not isinstance(seed, np.random.Generator) else "Generator",
    }
    extras = {
        "home": dict(cluster.home),
        "survivors": survivors,
        "live": live,
        "last_fault_end": net.last_fault_end,
        "hinted_writes": cluster.hinted_writes,
        "hints_handed_off": cluster.handed_off,
        "pending_hints": sum(len(v) for hs in cluster.hints.values() for v in hs.values()),
        "read_repairs": cluster.read_repairs,
        "anti_entropy_repairs": cluster.ae_repairs,
    }
    return LeaderlessRun(
        model="leaderless",
        params=params,
        nodes=names,
        recorder=rec,
        final_state=final,
        metrics=_metrics,
        end_time=end,
        extras=extras,
    )


def _check_failures(failures: object, names: list[str]) -> list[tuple[str, float, float | None]]:
    out = []
    if isinstance(failures, (str, bytes)) or not isinstance(failures, Sequence):
        raise ValueError(f"failures must be a sequence of (node, at, recover_at or None), got {failures!r}")
    for item in failures:
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) not in (2, 3):
            raise ValueError(f"each failure must be (node, at, recover_at or None), got {item!r}")
        node, at = item[0], item[1]
        back = item[2] if len(item) == 3 else None
        if node not in names:
            raise ValueError(f"failure node must be one of {names}, got {node!r}")
        at = check_float("failure time 'at'", at, 0.0)
        if back is not None:
            back = check_float("failure 'recover_at'", back, 0.0)
            if not back > at:
                raise ValueError(f"failure 'recover_at' must be > at ({at:g} ms), got {back!r}")
        out.append((str(node), at, back))
    return out


def _check_script(script: object, names: list[str]) -> list[tuple[float, str, str, str, float | str]]:
    if isinstance(script, (str, bytes)) or not isinstance(script, Sequence):
        raise ValueError(f"script must be a sequence of (time, kind, key, node), got {script!r}")
    ops: list[tuple[float, str, str, str, float | str]] = []
    for item in script:
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 4:
            raise ValueError(f"each script entry must be (time, kind, key, node), got {item!r}")
        time, kind, key, node = item
        time = check_float("script time", time, 0.0)
        if kind not in ("write", "read"):
            raise ValueError(f"script kind must be 'write' or 'read', got {kind!r}")
        if not isinstance(key, str) or not key:
            raise ValueError(f"script key must be a non-empty string, got {key!r}")
        if node not in names:
            raise ValueError(f"script node must be one of {names}, got {node!r}")
        ops.append((time, kind, key, "c0", node))
    if not ops:
        raise ValueError("script must hold at least one operation")
    return ops


def _rank_versions(
    rec: Recorder, cluster: Cluster, keys: list[str], live: list[str]
) -> dict[str, int | None]:
    """Replace version stamps by per-key ranks (1 = oldest); return each key's surviving op_id."""
    by_key: dict[str, list[Stamp]] = {}
    for record in rec.ops:
        if record["kind"] == "write":
            by_key.setdefault(record["key"], []).append(record["version"])
    rank = {(k, s): i + 1 for k, stamps in by_key.items() for i, s in enumerate(sorted(stamps))}
    for record in rec.ops:
        stamp = record["version"]
        if record["kind"] == "write":
            record["version"] = rank[(record["key"], stamp)]
        elif record["ok"]:
            record["version"] = 0 if stamp is None else rank[(record["key"], stamp)]
        else:
            record["version"] = math.nan
    for record in rec.versions:
        record["version"] = rank[(record["key"], record["version"])]
    survivors: dict[str, int | None] = {}
    for key in keys:
        held = [cluster.store[x][key] for x in live if key in cluster.store[x]]
        held += [max(v) for x in live for (_, k), v in cluster.hints[x].items() if k == key and v]
        survivors[key] = max(held)[1] if held else None
    return survivors
