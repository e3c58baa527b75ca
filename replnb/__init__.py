"""replnb: an interactive course on database replication.

The package is layered; data flows one way, and each layer imports only the
layers above it in this list (``tests/test_layers.py`` checks it)::

    ground floor   records (Run, Recorder), metrics, params
    engine         engine.sim, engine.network, engine.clocks, engine.latency, engine.rng
    models         single_leader, multi_leader, topology, leaderless, pbs, compare, grid,
                   check (linearizability of any run's history)
    views          plots  ->  widgets  ->  exercises  ->  notebooks

Every chapter of the course has one file (or folder) per layer with the same
name: ``single_leader`` (chapter 1), ``multi_leader`` (2), ``topology`` (3),
``leaderless`` (4) and ``compare`` (5), so ``replnb.plots.leaderless`` and
``replnb.widgets.leaderless`` draw and explore what ``replnb.leaderless``
simulates.

Each model has a ``simulate(..., seed=0) -> Run``; a :class:`Run` exposes its
records as pandas DataFrames (``ops``, ``messages``, ``versions``,
``events``, ``final_state``) and its figures as ``run.metrics``.
``replnb.sweep(fn, grid, executor=None)`` (from :mod:`replnb.grid`) runs a
parameter grid into one DataFrame.
"""

from __future__ import annotations

from . import (
    check,
    compare,
    engine,
    exercises,
    grid,
    leaderless,
    metrics,
    multi_leader,
    pbs,
    plots,
    records,
    single_leader,
    topology,
    widgets,
)
from .exercises import Feedback
from .grid import sweep
from .records import Run
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
    "check",
    "compare",
    "engine",
    "exercises",
    "grid",
    "leaderless",
    "metrics",
    "multi_leader",
    "pbs",
    "plots",
    "records",
    "single_leader",
    "sweep",
    "topology",
    "widgets",
]
__version__ = "0.1.0"
