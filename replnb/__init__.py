"""replnb: an interactive course on database replication.

The package is layered, and each module imports only the layers before it::

    engine   sim, network, clocks, latency, records, metrics, rng
    models   single_leader, multi_leader, topology, leaderless, pbs, compare, sweep

``replnb.sweep(fn, grid, executor=None)`` runs a parameter grid into one DataFrame.
    views    plots -> widgets -> exercises -> notebooks

Each model has a ``simulate(..., seed=0) -> Run``; a :class:`Run` exposes its
records as pandas DataFrames (``ops``, ``messages``, ``versions``,
``events``, ``final_state``) and its figures as ``run.metrics``.
"""

from __future__ import annotations

from . import (
    clocks,
    compare,
    exercises,
    latency,
    leaderless,
    metrics,
    multi_leader,
    network,
    pbs,
    plots,
    records,
    rng,
    sim,
    single_leader,
    topology,
    widgets,
)
from .exercises import Feedback
from .records import Run
from .sweep import sweep
from .widgets import (
    ConflictExplorer,
    Explorer,
    QuorumExplorer,
    SchemeExplorer,
    SingleLeaderExplorer,
    TopologyExplorer,
)

__all__ = [
    "ConflictExplorer",
    "Explorer",
    "Feedback",
    "QuorumExplorer",
    "Run",
    "SchemeExplorer",
    "SingleLeaderExplorer",
    "TopologyExplorer",
    "clocks",
    "compare",
    "exercises",
    "latency",
    "leaderless",
    "metrics",
    "multi_leader",
    "network",
    "pbs",
    "plots",
    "records",
    "rng",
    "sim",
    "single_leader",
    "sweep",
    "topology",
    "widgets",
]
__version__ = "0.1.0"
