"""simulate(): check the parameters, build the model, schedule its events, collect a Run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

from ..engine.rng import Seed
from ..params import checked
from ..records import Run
from .collect import collect
from .schedule import build, schedule
from .setup import SPECS, check_setup
from .state import Resolve

__all__ = ["simulate"]


@checked(**SPECS)
def simulate(
    *,
    leaders: int = 2,
    resolver: str | Resolve = "lww",
    topology: str | nx.DiGraph = "all-to-all",
    clock_offsets: Mapping[str, float] | None = None,
    clock_skew: float = 0.0,
    clock_drift: float | Mapping[str, float] = 0.0,
    ops: Sequence[Mapping[str, Any]] | None = None,
    workload: str = "register",
    write_rate: float = 20.0,
    relocation_rate: float = 0.0,
    relocations: Sequence[tuple[float, str, str]] | None = None,
    duration: float = 1000.0,
    latency: float = 10.0,
    jitter: float = 0.0,
    reorder: bool = False,
    failed: Iterable[str] | None = None,
    crashes: Sequence[tuple[str, float, float | None]] | None = None,
    link_failures: Sequence[tuple[str, str, float, float | None]] | None = None,
    partitions: Sequence[tuple[Iterable[Iterable[str]], float, float | None]] | None = None,
    causal: bool = False,
    tombstones: bool = False,
    resolve: Resolve | None = None,
    seed: Seed = 0,
    keys: int = 2,
    remove_fraction: float = 0.3,
    regions: Mapping[str, str] | None = None,
    far_latency: float = 0.0,
    client_latency: float = 0.0,
) -> Run:
    """Simulate multi-leader replication and return the :class:`~replnb.records.Run`.

    Parameters
    ----------
    leaders : int
        Number of leaders, 2..10, named ``"A"``, ``"B"``, ... (ignored when
        ``topology`` is a graph: its nodes are the leaders).
    resolver : str or callable
        One of :data:`RESOLVERS` (see the module docstring), or a callable
        ``resolve(local, incoming) -> value`` (the same as ``"custom"``).
    topology : str or networkx.DiGraph
        ``"circular"``, ``"star"``, ``"all-to-all"`` (:func:`replnb.topology.build`)
        or a directed graph on ``"A"``, ``"B"``, ...: writes travel along its edges.
    clock_offsets : mapping, optional
        Clock offset per leader in ms (missing leaders: 0). Overrides ``clock_skew``.
    clock_skew : float
        Without ``clock_offsets``: offsets drawn uniformly from an interval of
        this width (0..60000 ms) centred on 0.
    clock_drift : float or mapping
        Drift rate per leader (a mapping), or the width of a uniform random
        spread centred on 0 (a float in [0, 1], e.g. ``1e-3`` = up to 0.5 ms per
        second); a mapping's rates lie in [-0.5, 0.5].
    ops : list of dict, optional
        A scripted run: ``dict(time=ms, node="A", key="x", value=1)``; for the
        cart workload ``op="add"`` / ``op="remove"`` with ``value=item``; any
        workload: ``op="read"`` (with ``resolver="siblings"`` and ``resolve``
        given, a read that sees several versions writes their merge back).
        Under ``"avoid"``, ``node`` may be left out: the write goes to the
        key's home. Without ``ops``, a random workload runs for ``duration``.
        At most 600 writes (reads are not counted) and 20000 operations.
    workload : str
        ``"register"`` (a value per key) or ``"cart"`` (a shopping cart per key).
    write_rate : float
        Random workload: writes per second per leader (Poisson, 0..1000), each
        to a random key among ``keys`` at a random leader (its home under
        ``"avoid"``). ``write_rate * leaders * duration`` may expect at most
        600 writes, so that no run takes more than a few seconds.
    relocation_rate : float
        Random workload under ``"avoid"``: relocations per second per key
        (0..100); each moves the key's home to another random leader.
    relocations : list of (time, key, node), optional
        Relocations at given times (any resolver; used by ``"avoid"`` routing).
    duration : float
        Random workload: writes are issued during ``[0, duration)`` ms (at most 60000).
    latency : float
        Mean one-way link delay (0..10000 ms).
    jitter : float
        Delays are uniform on ``[latency - jitter, latency + jitter]``
        (``0 <= jitter <= latency``). Each link still delivers in send
        order (FIFO, like a TCP connection), so with jitter a message can
        overtake another only when they travel on different links.
    reorder : bool
        Let each link reorder its messages too (with jitter, a later message
        on one link may arrive first), as over a datagram network.
    failed : iterable of str, optional
        Leaders that are down for the whole run.
    crashes : list of (node, at, recover_at or None), optional
        Crashes during the run; a recovered leader catches up by anti-entropy
        from its in-neighbours.
    link_failures : list of (src, dst, at, heal_at or None), optional
        The directed link ``src -> dst`` fails; on healing ``dst`` catches up from ``src``.
    partitions : list of (groups, at, heal_at or None), optional
        Network partitions (:meth:`replnb.network.Network.partition`): leaders
        in different groups (the unnamed rest form one more group) cannot
        reach each other; on healing every leader catches up from its
        in-neighbours.
    causal : bool
        Causal delivery: buffer a remote write until its causal past is applied.
    tombstones : bool
        Cart workload: keep deleted items as tombstones (so merges do not resurrect them).
    resolve : callable, optional
        ``resolve(local, incoming) -> value`` for ``"custom"``, and the
        application's merge for ``"siblings"`` reads. It should be commutative,
        associative and idempotent: the replica folds its concurrent versions
        with it in ``(ts, node)`` order, and ``local`` is the fold so far.
    seed : int, Generator or None
        The run's randomness (workload, clocks, delays).
    keys : int
        Random workload: number of keys (1..8): ``x, y, ...`` or carts ``alice, bob, ...``.
    remove_fraction : float
        Random cart workload: the probability that an operation removes an item.
    regions : mapping, optional
        The region of each leader and, optionally, of each scripted client
        (``ops``' ``client`` names); unnamed ones sit in ``"local"``
        (:func:`replnb.engine.geography.geography`). ``None``: one region.
    far_latency : float
        Extra one-way delay (0..10000 ms) of every message between two
        regions: replication between leaders, and a client's request to its
        leader and the reply.
    client_latency : float
        One-way delay (0..10000 ms) between a client and a leader of its own
        region. A client's operation starts when it sends the request; the
        leader handles it ``client_latency`` (plus ``far_latency`` if the
        leader is in another region) later and the acknowledgement takes as
        long again, so ``end - start`` is the client's round trip (0 by
        default: the client sits at its leader). A request that arrives at a
        crashed leader fails.

    Raises
    ------
    ValueError
        For any parameter out of its range, named in the message
        (``"leaders must be an integer in 2..10, got 11"``).

    Returns
    -------
    Run
        ``run.ops`` (extra columns ``op``, ``ts``; the causal record ``dot``,
        ``vv`` (writes) and ``returned`` (reads); the verdicts of
        :func:`replnb.metrics.causal_verdicts`: ``lost``, ``lost_cause``,
        ``stale``, ``ryw_violation``, ``monotonic_violation``; for carts
        ``element_lost`` and ``resurrected``), ``run.messages``,
        ``run.versions`` (with ``held``, the op_ids the replica keeps),
        ``run.events``, ``run.final_state`` (cart values are the sorted
        contents), ``run.metrics`` (the figures of
        :data:`replnb.metrics.CAUSAL_FIGURES`, ``convergence_time`` by write
        identity, ``lost_elements`` and ``resurrections`` for carts, and the
        delivery counts) and
        ``run.extras`` with ``delivery`` (op_id, node, time, arrived, wait,
        out_of_order), ``graph``, ``live``, ``home``, ``clock_offsets``, ``writes``.

    Examples
    --------
    Two concurrent writes: last-write-wins keeps one, with perfect clocks too.

    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=5, node="B", key="x", value=2)]
    >>> run = simulate(ops=ops)
    >>> run.final_state["x"].tolist(), int(run.metrics["lost_concurrent"])
    ([2, 2], 1)

    With B's clock 40 ms behind, a write that had seen the other loses to it:

    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=30, node="B", key="x", value=2)]
    >>> run = simulate(ops=ops, clock_offsets={"B": -40.0})
    >>> run.final_state["x"].tolist(), int(run.metrics["lost_older_write_won"])
    ([1, 1], 1)
    >>> run = simulate(topology="circular", leaders=4, ops=[dict(time=0, node="A", key="x", value=1)])
    >>> run.extras["delivery"][["node", "time"]].values.tolist()
    [['A', 0.0], ['B', 10.0], ['C', 20.0], ['D', 30.0]]
    """
    setup = check_setup(locals())
    built = build(setup)
    schedule(setup, built)
    return collect(setup, built, built.sim.run())
