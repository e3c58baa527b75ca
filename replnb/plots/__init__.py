"""Plots: each takes data and an optional ``ax``, draws, and returns the Axes.

Plots never run a simulation and never show a figure themselves. One
colour-blind-safe palette (Okabe & Ito) and one style (:mod:`.style`) serve
every plot in the course; :mod:`.spacetime` draws the space-time diagram and
:mod:`.sweeps` the one sweep plot that every chapter's ``plot_*_sweep``
calls. The other modules are named after the chapters they draw.
"""

from __future__ import annotations

from . import compare, leaderless, multi_leader, siblings, single_leader, spacetime, style, sweeps, topology
from .compare import (
    FAMILY_COLORS,
    MIX_COLORS,
    SCHEME_METRICS,
    plot_scheme_comparison,
    plot_scheme_metric,
    plot_scheme_sweep,
    plot_scheme_sweeps,
)
from .leaderless import (
    plot_availability,
    plot_convergence,
    plot_quorum_grid,
    plot_quorum_sweep,
    plot_visibility,
)
from .multi_leader import (
    CONFLICT_METRIC_COLORS,
    CONFLICT_METRIC_LABELS,
    plot_conflict_sweep,
    plot_divergence,
    plot_losses_by_cause,
    plot_strategy_comparison,
)
from .siblings import plot_replica_siblings, plot_siblings
from .single_leader import (
    MODE_COLORS,
    plot_failover,
    plot_mode_comparison,
    plot_mode_sweep,
    plot_replication_lag,
)
from .spacetime import down_intervals, draw_spacetime, plot_spacetime
from .style import COLORS, PALETTE, STYLE, new_axes, round_up, styled
from .sweeps import plot_sweep
from .topology import (
    EDGE_CMAP,
    TOPOLOGY_COLORS,
    edge_norm,
    plot_causality,
    plot_delivery,
    plot_topology,
    plot_topology_sweep,
    write_caption,
)

__all__ = [
    "COLORS",
    "CONFLICT_METRIC_COLORS",
    "CONFLICT_METRIC_LABELS",
    "EDGE_CMAP",
    "FAMILY_COLORS",
    "MIX_COLORS",
    "MODE_COLORS",
    "PALETTE",
    "SCHEME_METRICS",
    "STYLE",
    "TOPOLOGY_COLORS",
    "compare",
    "down_intervals",
    "draw_spacetime",
    "edge_norm",
    "leaderless",
    "multi_leader",
    "new_axes",
    "plot_availability",
    "plot_causality",
    "plot_conflict_sweep",
    "plot_convergence",
    "plot_delivery",
    "plot_divergence",
    "plot_failover",
    "plot_losses_by_cause",
    "plot_mode_comparison",
    "plot_mode_sweep",
    "plot_quorum_grid",
    "plot_quorum_sweep",
    "plot_replica_siblings",
    "plot_replication_lag",
    "plot_scheme_comparison",
    "plot_scheme_metric",
    "plot_scheme_sweep",
    "plot_scheme_sweeps",
    "plot_siblings",
    "plot_spacetime",
    "plot_strategy_comparison",
    "plot_sweep",
    "plot_topology",
    "plot_topology_sweep",
    "plot_visibility",
    "round_up",
    "siblings",
    "single_leader",
    "spacetime",
    "style",
    "styled",
    "sweeps",
    "topology",
    "write_caption",
]
