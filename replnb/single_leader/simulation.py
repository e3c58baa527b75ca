"""simulate(): check the parameters, build the model, run it, collect a Run."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..engine.geography import geography
from ..engine.network import node_names
from ..engine.rng import Seed
from ..params import Choice, Flag, Int, Real, checked
from ..records import Run
from .faults import Faults, check_faults
from .model import DISTRIBUTIONS, KEYS, MODES, OP_FIELDS, READ_FROM, SingleLeader

__all__ = ["MAX_OPS", "MAX_OPS_FOLLOWERS", "simulate"]


#: A scripted workload holds at most this many operations ...
MAX_OPS = 16_000
#: ... and at most this many operations times followers (one message per entry per follower):
#: the worst accepted script (8 followers, 8000 writes) runs in about 4 s.
MAX_OPS_FOLLOWERS = 64_000

_KIND = Choice(("write", "read"))


def _check_script(ops: Any, nodes: Sequence[str], duration: float) -> list[dict[str, Any]]:
    """The scripted operations, checked and sorted by time; a ``ValueError`` names the bad one."""
    if isinstance(ops, (str, bytes, Mapping)) or not isinstance(ops, Iterable):
        raise ValueError(f"ops must be a list of dicts (time, client, kind, key[, value, node]), got {ops!r}")
    limit = min(MAX_OPS, MAX_OPS_FOLLOWERS // (len(nodes) - 1))
    given = list(itertools.islice(ops, limit + 1))  # never more: an endless iterator is refused too
    if len(given) > limit:
        raise ValueError(
            f"ops must be a list of at most {limit} operations with {len(nodes) - 1} followers, "
            f"got more than {limit}"
        )
    script = [_check_op(i, op, nodes, duration) for i, op in enumerate(given)]
    return sorted(script, key=lambda op: op["time"])


def _check_op(i: int, op: Any, nodes: Sequence[str], duration: float) -> dict[str, Any]:
    if not isinstance(op, Mapping):
        raise ValueError(f"ops[{i}] must be a dict, got {op!r}")
    unknown = sorted(set(op) - OP_FIELDS)
    missing = sorted({"time", "client", "kind", "key"} - set(op))
    if unknown or missing:
        raise ValueError(
            f"ops[{i}] must have the fields time, client, kind, key (and optionally value, node); "
            f"unknown {unknown}, missing {missing}"
        )
    time = Real(0.0, duration, unit="ms").check(f"ops[{i}]['time']", op["time"])
    _KIND.check(f"ops[{i}]['kind']", op["kind"])
    if op.get("node") is not None:
        Choice(tuple(nodes)).check(f"ops[{i}]['node']", op["node"])
    if "value" in op:
        try:
            hash(op["value"])
        except TypeError:
            raise ValueError(f"ops[{i}]['value'] must be immutable (hashable), got {op['value']!r}") from None
    return dict(op, time=time)


def _check_failure(failover_at: float | None, returns_at: float | None, duration: float) -> None:
    """The failure times in order: a crash before the end, a return after the crash."""
    if failover_at is not None and failover_at >= duration:
        raise ValueError(f"failover_at must be a number in [0, {duration:g}) ms or None, got {failover_at!r}")
    if returns_at is None:
        return
    if failover_at is None:
        raise ValueError("old_leader_returns_at needs failover_at (the old leader must crash first)")
    Real(failover_at, duration, unit="ms", low_open=True).check("old_leader_returns_at", returns_at)


def _clients_of(script: list[dict[str, Any]] | None, clients: int) -> int:
    return clients if script is None else len({str(op["client"]) for op in script})


@checked(
    followers=Int(1, 8),
    mode=Choice(MODES),
    replication_delay=Real(0, 10_000, unit="ms", low_open=True),
    read_from=Choice(READ_FROM),
    duration=Real(0, 10_000, unit="ms", low_open=True),
    failover_at=Real(0, "duration", unit="ms", none=True),
    clients=Int(1, 8),
    keys=Int(1, len(KEYS)),  # at least the number of clients unless shared_keys, checked below
    shared_keys=Flag(),
    think_time=Real(10, 10_000, unit="ms"),
    write_fraction=Real(0, 1),
    delay_distribution=Choice(DISTRIBUTIONS),
    client_latency=Real(0, 1_000, unit="ms"),
    client_timeout=Real(0, 10_000, unit="ms", low_open=True),
    detection_timeout=Real(0, 10_000, unit="ms"),
    ryw_window=Real(0, 60_000, unit="ms"),
    old_leader_returns_at=Real(0, "duration", unit="ms", low_open=True, none=True),
    stale_clients=Int(0, MAX_OPS),  # at most the number of clients, checked once the script is read
    fencing=Flag(),
    far_latency=Real(0, 10_000, unit="ms"),
)
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
    shared_keys: bool = False,
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
    crashes: Sequence[tuple[str, float, float | None]] | None = None,
    link_failures: Sequence[tuple[str, str, float, float | None]] | None = None,
    partitions: Sequence[tuple[Iterable[Iterable[str]], float, float | None]] | None = None,
    regions: Mapping[str, str] | None = None,
    far_latency: float = 0.0,
    joins: Sequence[tuple[Any, ...]] | None = None,
) -> Run:
    """Simulate single-leader replication (see the module docstring).

    Parameters
    ----------
    followers : int
        Number of followers, 1..8 (the nodes are ``"A"`` and then ``"B"``, ...).
    mode : {"sync", "semi-sync", "async"}
        When the leader acknowledges a write.
    replication_delay : float
        Mean one-way delay between the leader and a follower, in ms, (0, 10000].
    read_from : {"leader", "any", "sticky", "read-your-writes"}
        Where clients send reads.
    failover_at : float or None
        True time (ms) at which the leader crashes, in [0, duration); ``None``: never.
    duration : float
        Clients start operations until this time (ms), (0, 10000]. The run
        continues until the messages in flight have arrived. (The bounds of
        ``duration`` and ``think_time`` keep the longest run to a few seconds.)
    seed : int, numpy Generator or None
        The one source of randomness.
    clients : int
        Number of closed-loop clients ``"c1"``, ..., 1..8 (ignored with ``ops``).
    keys : int
        Number of keys, ``clients``..26 (1..26 with ``shared_keys``).
    shared_keys : bool
        The workload's keys. ``False``: each key belongs to one client, key
        ``j`` to client ``j mod clients``, which alone writes it. ``True``:
        every client writes any key, so several clients write the same keys
        concurrently (the leader's log puts their writes in one order).
    think_time : float
        Mean pause (exponential) between a client's operations, in ms, [10, 10000].
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
        How long a follower goes without hearing its leader (a crash, a cut
        link, a partition) before it asks for a promotion, in ms; with
        ``fencing``, also a leader's lease; with semi-sync, how long the
        leader waits for its synchronous follower before replacing it.
    ryw_window : float
        With ``read_from="read-your-writes"``: how long after its own write a
        client keeps reading from the leader, in ms.
    old_leader_returns_at : float or None
        When the crashed leader comes back, in (failover_at, duration].
    stale_clients : int
        How many clients (the first ones) never learn of a failover, 0..clients.
    fencing : bool
        Whether a returning old leader checks its epoch and steps down, and
        a leader cut off from the majority steps down after ``detection_timeout``.
    ops : list of dict, optional
        A scripted workload instead of the random one: dicts with ``time``
        (ms), ``client`` (a name), ``kind`` (``"write"`` or ``"read"``),
        ``key``, optionally ``value`` (writes; default: a counter) and
        ``node`` (send to this node instead of routing). At most
        :data:`MAX_OPS` operations, and at most :data:`MAX_OPS_FOLLOWERS`
        divided by ``followers``.
    crashes : list of (node, at, recover_at or None), optional
        Any node crashes at ``at`` (ms) and recovers at ``recover_at``
        (``None``: never). A crash drops the messages the node still had in
        flight; a recovered follower catches up from its leader's log.
    link_failures : list of (a, b, at, heal_at or None), optional
        The link between nodes ``a`` and ``b`` is cut both ways, then heals;
        a follower cut off from its leader catches up when the link heals.
    partitions : list of (groups, at, heal_at or None), optional
        Nodes in different groups cannot reach each other (nodes named in no
        group form one more group). A group may also name clients: a client
        named in a group reaches only that group's nodes, a client named in
        none reaches every node. A leader cut off from the majority is
        detected like a crash, and the majority side promotes a follower.
    regions : mapping, optional
        Node or client name to region name (not named: ``"local"``).
    far_latency : float
        Extra one-way delay, ms in [0, 10000], of every message between two
        regions: replication messages, and a client's request and reply.
    joins : list of (node, at) or (node, at, copy_ms), optional
        Followers that start empty, outside the cluster, and join at ``at``:
        the leader takes a snapshot of its state at its current log
        position, copying it takes ``copy_ms`` (default: one
        ``replication_delay``), then the new follower asks for every entry
        after that position and follows the leader's stream.

    Returns
    -------
    Run
        With ``run.metrics`` (:data:`~replnb.single_leader.METRICS`):
        ``writes``, ``writes_acked``, ``writes_failed``, ``reads``,
        ``reads_failed``; the standard figures of :mod:`replnb.metrics`,
        ``lost_writes`` (the acknowledged writes missing from the final
        leader's log, whatever was written after them) and its causes
        ``lost_failover``, ``lost_older_write_won``, ``lost_concurrent``
        (always 0 here: one log orders every write), ``stale_reads``,
        ``ryw_violations``, ``monotonic_violations``, ``conflicts`` (pairs
        of concurrent writes to one key: only a failover or a deposed
        leader makes them), ``convergence_time`` (ms, ``inf`` when never);
        and ``split_brain_writes``, ``follower_read_fraction``,
        ``lag_mean_ms``, ``lag_max_ms``, ``write_latency_p50_ms``,
        ``write_latency_p99_ms``, ``write_unavailable_ms``.

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
    p: dict[str, Any] = dict(
        followers=followers,
        mode=mode,
        replication_delay=replication_delay,
        read_from=read_from,
        duration=duration,
        failover_at=failover_at,
        clients=clients,
        keys=keys,
        shared_keys=shared_keys,
        think_time=think_time,
        write_fraction=write_fraction,
        delay_distribution=delay_distribution,
        client_latency=client_latency,
        client_timeout=client_timeout,
        detection_timeout=detection_timeout,
        ryw_window=ryw_window,
        old_leader_returns_at=old_leader_returns_at,
        fencing=fencing,
    )
    _check_failure(failover_at, old_leader_returns_at, duration)
    if not shared_keys and ops is None:  # each client owns at least one key
        Int("clients", len(KEYS)).check("keys", keys, {"clients": clients})
    nodes = node_names(followers + 1)
    script = None if ops is None else _check_script(ops, nodes, duration)
    p["stale_clients"] = Int(0, _clients_of(script, clients)).check("stale_clients", stale_clients)
    names = _client_names(script, clients)
    faults = check_faults(crashes, link_failures, partitions, nodes, names, joins)
    geo = geography(regions, far_latency, [*nodes, *names])
    model = SingleLeader(p, script, seed, faults, geo)
    model.run()
    params = dict(p, seed=seed if not isinstance(seed, np.random.Generator) else "generator")
    if script is not None:
        params["ops"] = len(script)
    params.update(_fault_params(faults, geo.regions, far_latency))
    return model.result(params)


def _client_names(script: list[dict[str, Any]] | None, clients: int) -> list[str]:
    if script is None:
        return [f"c{i + 1}" for i in range(clients)]
    return sorted({str(op["client"]) for op in script})


def _fault_params(faults: Faults, regions: Mapping[str, str], far_latency: float) -> dict[str, Any]:
    """The fault and geography parameters of a run, recorded only when given (defaults stay as they were)."""
    given: dict[str, Any] = {}
    for name in ("crashes", "link_failures", "partitions", "joins"):
        if getattr(faults, name):
            given[name] = getattr(faults, name)
    if regions:
        given["regions"] = dict(regions)
    if far_latency:
        given["far_latency"] = far_latency
    return given
