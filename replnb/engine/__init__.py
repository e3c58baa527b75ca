"""The engine: a discrete-event core, a network of messages, clocks, latency, seeds.

Nothing in here knows about replication; the models build on it.
"""

from __future__ import annotations

from . import clocks, geography, latency, network, rng, sim
from .clocks import LamportClock, NodeClock, VersionVector
from .geography import Geography
from .latency import (
    PRESETS,
    Constant,
    Distribution,
    Exponential,
    Mixture,
    Pareto,
    Sampler,
    Uniform,
    constant,
    exponential,
    mixture,
    pareto,
    preset,
    uniform,
)
from .network import Message, Network, node_names
from .rng import Seed, as_rng, stable_hash
from .sim import Simulation

__all__ = [
    "PRESETS",
    "Constant",
    "Distribution",
    "Exponential",
    "Geography",
    "LamportClock",
    "Message",
    "Mixture",
    "Network",
    "NodeClock",
    "Pareto",
    "Sampler",
    "Seed",
    "Simulation",
    "Uniform",
    "VersionVector",
    "as_rng",
    "clocks",
    "constant",
    "exponential",
    "geography",
    "latency",
    "mixture",
    "network",
    "node_names",
    "pareto",
    "preset",
    "rng",
    "sim",
    "stable_hash",
    "uniform",
]
