"""Explorers: ipywidgets controls glued to ``simulate()`` and to ``plot_*()``.

Each explorer is a small class holding its controls, an image of its figure
and an HTML summary. ``explorer.update(**params)`` runs exactly the callback
the sliders run and returns the :class:`~replnb.records.Run`, so explorers
are testable without a browser. The figure is a plain
:class:`matplotlib.figure.Figure` (no pyplot state) rendered to PNG into an
:class:`ipywidgets.Image`, so an update replaces pixels in place: no
flicker, no ``clear_output``. Controls cannot express an invalid combination:
subclasses tie the bounds of one control to the value of another.
"""

from __future__ import annotations

from . import base, captions, compare, kept_axes, leaderless, multi_leader, single_leader, topology
from .base import Explorer, encode, figure_png
from .captions import key_html, spacetime_key
from .compare import SchemeExplorer
from .kept_axes import KeptAxesExplorer, round_limits
from .leaderless import QuorumExplorer
from .multi_leader import ConflictExplorer
from .single_leader import NO_FAILOVER, SingleLeaderExplorer
from .topology import NO_FAILURE, TopologyExplorer

__all__ = [
    "NO_FAILOVER",
    "NO_FAILURE",
    "ConflictExplorer",
    "Explorer",
    "KeptAxesExplorer",
    "QuorumExplorer",
    "SchemeExplorer",
    "SingleLeaderExplorer",
    "TopologyExplorer",
    "base",
    "captions",
    "compare",
    "encode",
    "figure_png",
    "kept_axes",
    "key_html",
    "leaderless",
    "multi_leader",
    "round_limits",
    "single_leader",
    "spacetime_key",
    "topology",
]
