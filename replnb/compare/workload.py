"""The shared workload of chapter 5: one list of client operations for every scheme."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import single_leader
from ..engine.network import node_names
from ..engine.rng import Seed, as_rng
from ..params import Choice, Int, Real, checked

__all__ = [
    "ANTI_ENTROPY_MS",
    "COLUMNS",
    "DETECTION_MS",
    "FAMILIES",
    "LINK_HIGH_MS",
    "LINK_LOW_MS",
    "MIXES",
    "SCHEMES",
    "SETTLE_MS",
    "TIMEOUT_MS",
    "Op",
    "Workload",
    "make_workload",
]

#: The seven schemes compared, in the order of the table.
SCHEMES = (
    "single-leader async",
    "single-leader sync",
    "multi-leader LWW",
    "multi-leader union",
    "leaderless strict",
    "leaderless partial",
    "leaderless union",
)
#: The family of each scheme (for colours and for the decision guide).
FAMILIES = {
    "single-leader async": "single-leader",
    "single-leader sync": "single-leader",
    "multi-leader LWW": "multi-leader",
    "multi-leader union": "multi-leader",
    "leaderless strict": "leaderless",
    "leaderless partial": "leaderless",
    "leaderless union": "leaderless",
}
#: Workload mixes: the probability that an operation is a write.
MIXES = {"read-heavy": 0.1, "balanced": 0.5, "write-heavy": 0.9}
#: The columns of :func:`compare`, and whether a larger value is better.
COLUMNS = {
    "lost_writes": False,
    "stale_reads": False,
    "write_availability": True,
    "write_latency_ms": False,
    "write_latency_p99_ms": False,
    "read_latency_ms": False,
    "convergence_time_ms": False,
}

#: One-way delay between two nodes: uniform on [5, 15] ms, the same for every scheme.
LINK_LOW_MS, LINK_HIGH_MS = 5.0, 15.0
#: How long a client (or a coordinator) waits for an answer, in ms: more than the slowest
#: round trip across regions (a synchronous write from a remote client: about 200 ms).
TIMEOUT_MS = 300.0
#: Time a single leader's followers need to notice that the leader is gone, in ms.
DETECTION_MS = 150.0
#: Leaderless anti-entropy period, in ms (so that replicas converge without reads).
ANTI_ENTROPY_MS = 100.0
#: Extra simulated time after the last operation, in ms.
SETTLE_MS = 600.0


@dataclass(frozen=True)
class Op:
    """One client operation of a workload (``value`` is ``None`` for reads)."""

    time: float
    client: str
    kind: str
    key: str
    value: int | None = None


@dataclass(frozen=True)
class Workload:
    """A workload drawn once and replayed through every scheme.

    Examples
    --------
    >>> wl = make_workload("read-heavy", seed=1)
    >>> wl.nodes, wl.home["c2"], wl.to_frame().columns.tolist()
    (('A', 'B', 'C'), 'B', ['time', 'client', 'home', 'kind', 'key', 'value'])
    """

    mix: str
    ops: tuple[Op, ...]
    clients: tuple[str, ...]
    keys: tuple[str, ...]
    nodes: tuple[str, ...]
    duration: float
    homes: tuple[str, ...] = ()

    @property
    def home(self) -> dict[str, str]:
        """The node each client lives next to."""
        return dict(zip(self.clients, self.homes, strict=True))

    @property
    def writes(self) -> int:
        """The number of writes."""
        return sum(op.kind == "write" for op in self.ops)

    @property
    def reads(self) -> int:
        """The number of reads."""
        return sum(op.kind == "read" for op in self.ops)

    def to_frame(self) -> pd.DataFrame:
        """The operations as a DataFrame (one row per operation)."""
        home = self.home
        rows = [(o.time, o.client, home[o.client], o.kind, o.key, o.value) for o in self.ops]
        return pd.DataFrame(rows, columns=["time", "client", "home", "kind", "key", "value"])


@checked(
    mix=Choice(tuple(MIXES)),
    clients=Int(1, 8),
    keys=Int(1, 8),
    rate=Real(0, 200, low_open=True),
    duration=Real(0, 10_000, low_open=True),
    nodes=Int(3, 5),
    key_skew=Real(0, 3),
)
def make_workload(
    mix: str = "balanced",
    *,
    clients: int = 3,
    keys: int = 4,
    rate: float = 60.0,
    duration: float = 1000.0,
    nodes: int = 3,
    key_skew: float = 1.0,
    seed: Seed = 0,
) -> Workload:
    """Draw a workload: each client issues operations as a Poisson process.

    All clients read and write the same keys (like users editing shared
    records), so two clients may write one key at about the same time.

    Parameters
    ----------
    mix : {"read-heavy", "balanced", "write-heavy"}
        The share of writes: 10 %, 50 % or 90 % (:data:`MIXES`).
    clients : int
        Clients ``"c1"``, ``"c2"``, ..., 1..8; client ``i`` lives next to node ``i mod nodes``.
    keys : int
        Keys ``"x"``, ``"y"``, ``"z"``, ..., 1..8.
    rate : float
        Operations per second per client, in (0, 200].
    duration : float
        Operations start in ``[0, duration)`` ms, (0, 10000].
    nodes : int
        Cluster size, 3..5 (every scheme runs on this many nodes).
    key_skew : float
        Popularity of the keys, in [0, 3]: key ``i`` (from 1) is chosen with
        weight ``1 / i**key_skew`` (0: uniform; the default 1 makes ``x`` a
        hot key that clients often write at about the same time, and the
        last keys cold ones written once or twice).
    seed : int, Generator or None
        The one source of randomness.

    Returns
    -------
    Workload
        Writes carry the values 1, 2, 3, ... in time order.

    Examples
    --------
    >>> wl = make_workload("write-heavy", seed=3)
    >>> wl.writes > wl.reads, make_workload("write-heavy", seed=3) == wl
    (True, True)
    >>> [op.value for op in wl.ops if op.kind == "write"][:4]
    [1, 2, 3, 4]
    >>> make_workload("mostly-reads")
    Traceback (most recent call last):
    ...
    ValueError: mix must be one of ['read-heavy', 'balanced', 'write-heavy'], got 'mostly-reads'
    """
    names = tuple(node_names(nodes))
    rng = as_rng(seed)
    client_names = tuple(f"c{i + 1}" for i in range(clients))
    key_names = tuple(single_leader.KEYS[:keys])
    drawn = _draw(rng, client_names, key_names, MIXES[mix], rate, duration, key_skew)
    ops, value = [], 0
    for t, client, is_write, key in drawn:
        if is_write:
            value += 1
        ops.append(Op(t, client, "write" if is_write else "read", key, value if is_write else None))
    homes = tuple(names[i % len(names)] for i in range(clients))
    return Workload(mix, tuple(ops), client_names, key_names, names, duration, homes)


def _draw(
    rng: np.random.Generator,
    clients: tuple[str, ...],
    keys: tuple[str, ...],
    write_share: float,
    rate: float,
    duration: float,
    skew: float,
) -> list[tuple[float, str, bool, str]]:
    """``(time, client, is_write, key)`` of every operation, in time order (ties: by client).

    Each client draws its operations one after the other from the one
    generator: gap, kind, key, gap, ... (the order the golden runs fix).
    """
    cumulative = np.cumsum(1.0 / np.arange(1, len(keys) + 1) ** skew)
    drawn: list[tuple[float, str, bool, str]] = []
    for client in clients:
        t = float(rng.exponential(1000.0 / rate))
        while t < duration:
            is_write = bool(rng.random() < write_share)
            key = keys[int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))]
            drawn.append((round(t, 3), client, is_write, key))
            t += float(rng.exponential(1000.0 / rate))
    drawn.sort(key=lambda d: (d[0], d[1]))
    return drawn
