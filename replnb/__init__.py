"""replnb: an interactive course on database replication.

The package is layered, and each layer imports only those before it::

    engine (sim, network, clocks, latency, records, metrics)
      -> models (single_leader, multi_leader, topology, leaderless, pbs)
      -> plots -> widgets -> exercises / notebooks
"""

from __future__ import annotations

from . import clocks, latency, metrics, network, records, rng, sim, topology
from .records import Run

__all__ = ["Run", "clocks", "latency", "metrics", "network", "records", "rng", "sim", "topology"]
__version__ = "0.1.0"
