"""simulate(): check the parameters, build the model, run it, collect a Run."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..engine.network import node_names
from ..engine.rng import Seed
from ..records import Run
from .model import DISTRIBUTIONS, KEYS, MODES, OP_FIELDS, READ_FROM, SingleLeader

__all__ = ["simulate"]


# -- validation -----------------------------------------------------------------
def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    return int(value)


def _num(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    v = float(value) if ok else math.nan
    inside = (low < v if low_open else low <= v) and v <= high
    if not (ok and math.isfinite(v) and inside):
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be a number in {bracket}{low:g}, {high:g}] ms, got {value!r}")
    return v


def _choice(name: str, value: Any, options: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return value


def _check_script(ops: Any, nodes: Sequence[str], duration: float) -> list[dict[str, Any]]:
    if isinstance(ops, (str, bytes, Mapping)) or not isinstance(ops, Iterable):
        raise ValueError(f"ops must be a list of dicts (time, client, kind, key[, value, node]), got {ops!r}")
    script = []
    for i, op in enumerate(ops):
        if not isinstance(op, Mapping):
            raise ValueError(f"ops[{i}] must be a dict, got {op!r}")
        unknown = sorted(set(op) - OP_FIELDS)
        missing = sorted({"time", "client", "kind", "key"} - set(op))
        if unknown or missing:
            raise ValueError(
                f"ops[{i}] must have the fields time, client, kind, key (and optionally value, node); "
                f"unknown {unknown}, missing {missing}"
            )
        _num(f"ops[{i}]['time']", op["time"], 0.0, duration)
        _choice(f"ops[{i}]['kind']", op["kind"], ("write", "read"))
        if "node" in op and op["node"] is not None:
            _choice(f"ops[{i}]['node']", op["node"], nodes)
        if "value" in op:
            try:
                hash(op["value"])
            except TypeError:
                raise ValueError(
                    f"ops[{i}]['value'] must be immutable (hashable), got {op['value']!r}"
                ) from None
        script.append(dict(op, time=float(op["time"])))
    return sorted(script, key=lambda op: op["time"])


def simulate(
    *,
    followers: int = 2,
    mode: str = "async",
    replication_delay: float = 20.0,
    read_from: str = "leader",
    failover_at: float | None = None,
    duration: float = 1000.0,
    seed: Seed = 0,
    clients: int = 3,
    keys: int = 6,
    think_time: float = 10.0,
    write_fraction: float = 0.5,
    delay_distribution: str = "uniform",
    client_latency: float = 1.0,
    client_timeout: float = 50.0,
    detection_timeout: float = 60.0,
    ryw_window: float = 200.0,
    old_leader_returns_at: float | None = None,
    stale_clients: int = 0,
    fencing: bool = False,
    ops: Sequence[Mapping[str, Any]] | None = None,
) -> Run:
    """Simulate single-leader replication (see the module docstring).

    Parameters
    ----------
    followers : int
        Number of followers, 1..8 (the nodes are ``"A"`` and then ``"B"``, ...).
    mode : {"sync", "semi-sync", "async"}
        When the leader acknowledges a write.
    replication_delay : float
        Mean one-way delay between the leader and a follower, in ms (0, 10000].
    read_from : {"leader", "any", "sticky", "read-your-writes"}
        Where clients send reads.
    failover_at : float or None
        True time (ms) at which the leader crashes, in [0, duration); ``None``: never.
    duration : float
        Clients start operations until this time (ms), (0, 60000]. The run
        continues until the messages in flight have arrived.
    seed : int, numpy Generator or None
        The one source of randomness.
    clients : int
        Number of closed-loop clients ``"c1"``, ..., 1..8 (ignored with ``ops``).
    keys : int
        Number of keys, ``clients``..26; key ``j`` belongs to client ``j mod clients``.
    think_time : float
        Mean pause (exponential) between a client's operations, in ms.
    write_fraction : float
        Probability that an operation is a write, in [0, 1].
    delay_distribution : {"uniform", "exponential", "constant"}
        Shape of the replication delay: uniform on ``[mean/2, 3*mean/2]``
        (jitter of ±50 %), exponential (a long tail) or constant. Followers
        apply entries in log order, so a slow entry also holds back the
        entries behind it: the lag can exceed the delay.
    client_latency : float
        One-way delay between a client and any node, in ms.
    client_timeout : float
        How long a client waits for a node that is down, in ms.
    detection_timeout : float
        Time from the leader's crash until a follower is promoted, in ms.
    ryw_window : float
        With ``read_from="read-your-writes"``: how long after its own write a
        client keeps reading from the leader, in ms.
    old_leader_returns_at : float or None
        When the crashed leader comes back, in (failover_at, duration].
    stale_clients : int
        How many clients (the first ones) never learn of a failover, 0..clients.
    fencing : bool
        Whether a returning old leader checks its epoch and steps down.
    ops : list of dict, optional
        A scripted workload instead of the random one: dicts with ``time``
        (ms), ``client`` (a name), ``kind`` (``"write"`` or ``"read"``),
        ``key``, optionally ``value`` (writes; default: a counter) and
        ``node`` (send to this node instead of routing).

    Returns
    -------
    Run
        With ``run.metrics``: ``writes``, ``writes_acked``, ``writes_failed``,
        ``reads``, ``reads_failed``, ``lost_writes``, ``acked_missing``,
        ``split_brain_writes``, ``stale_reads``, ``ryw_violations``,
        ``monotonic_violations``, ``follower_read_fraction``,
        ``lag_mean_ms``, ``lag_max_ms``, ``write_latency_p50_ms``,
        ``write_latency_p99_ms``, ``convergence_ms`` and
        ``write_unavailable_ms``.

    Examples
    --------
    >>> run = simulate(mode="sync", duration=300, seed=1)
    >>> int(run.metrics["lost_writes"]), int(run.metrics["stale_reads"])
    (0, 0)
    >>> script = [dict(time=0, client="c1", kind="write", key="x", value=1),
    ...           dict(time=1, client="c2", kind="read", key="x", node="B")]
    >>> run = simulate(ops=script, delay_distribution="constant", replication_delay=10)
    >>> run.ops[["client", "kind", "node", "value", "ok", "stale"]].values.tolist()
    [['c1', 'write', 'A', 1, True, False], ['c2', 'read', 'B', None, True, False]]
    """
    p: dict[str, Any] = {}
    p["followers"] = _int("followers", followers, 1, 8)
    p["mode"] = _choice("mode", mode, MODES)
    p["replication_delay"] = _num("replication_delay", replication_delay, 0.0, 10_000.0, low_open=True)
    p["read_from"] = _choice("read_from", read_from, READ_FROM)
    p["duration"] = _num("duration", duration, 0.0, 60_000.0, low_open=True)
    p["failover_at"] = failover_at
    if failover_at is not None:
        ok = isinstance(failover_at, (int, float, np.integer, np.floating)) and not isinstance(
            failover_at, bool
        )
        if not (ok and 0.0 <= failover_at < p["duration"]):
            raise ValueError(
                f"failover_at must be None or a time in [0, duration={p['duration']:g}) ms, "
                f"got {failover_at!r}"
            )
        p["failover_at"] = float(failover_at)
    p["clients"] = _int("clients", clients, 1, 8)
    p["keys"] = _int("keys", keys, p["clients"], len(KEYS))
    p["think_time"] = _num("think_time", think_time, 0.0, 10_000.0, low_open=True)
    wf = write_fraction
    if isinstance(wf, bool) or not isinstance(wf, (int, float)) or not 0.0 <= wf <= 1.0:
        raise ValueError(f"write_fraction must be a probability in [0, 1], got {wf!r}")
    p["write_fraction"] = float(wf)
    p["delay_distribution"] = _choice("delay_distribution", delay_distribution, DISTRIBUTIONS)
    p["client_latency"] = _num("client_latency", client_latency, 0.0, 1_000.0)
    p["client_timeout"] = _num("client_timeout", client_timeout, 0.0, 10_000.0, low_open=True)
    p["detection_timeout"] = _num("detection_timeout", detection_timeout, 0.0, 10_000.0)
    p["ryw_window"] = _num("ryw_window", ryw_window, 0.0, 60_000.0)
    if old_leader_returns_at is not None:
        if p["failover_at"] is None:
            raise ValueError("old_leader_returns_at needs failover_at (the old leader must crash first)")
        p["old_leader_returns_at"] = _num(
            "old_leader_returns_at", old_leader_returns_at, p["failover_at"], p["duration"], low_open=True
        )
    else:
        p["old_leader_returns_at"] = None
    if not isinstance(fencing, (bool, np.bool_)):
        raise ValueError(f"fencing must be True or False, got {fencing!r}")
    p["fencing"] = bool(fencing)
    names = node_names(p["followers"] + 1)
    script = None if ops is None else _check_script(ops, names, p["duration"])
    n_clients = p["clients"] if script is None else len({str(op["client"]) for op in script})
    p["stale_clients"] = _int("stale_clients", stale_clients, 0, n_clients)
    model = SingleLeader(p, script, seed)
    model.run()
    params = dict(p, seed=seed if not isinstance(seed, np.random.Generator) else "generator")
    if script is not None:
        params["ops"] = len(script)
    return model.result(params)
