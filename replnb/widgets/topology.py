"""The explorer of chapter 3, multi-leader topologies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..engine.network import node_names
from ..multi_leader import simulate
from ..plots import COLORS, EDGE_CMAP, edge_norm, plot_delivery, plot_topology, write_caption
from ..records import Run
from ..topology import KINDS, first_write, message_counts
from .captions import key_html
from .kept_axes import KeptAxesExplorer

__all__ = ["NO_FAILURE", "TopologyExplorer"]

#: The failed-leader control's value for "no failed leader".
NO_FAILURE = "none"


class TopologyExplorer(KeptAxesExplorer):
    """Multi-leader topologies: which replicas a failed leader cuts off, and causality.

    Controls: ``topology`` (``circular``, ``star``, ``all-to-all``),
    ``leaders`` (3..10), ``failed`` (``"none"`` or one existing leader: its
    options follow ``leaders``; ``update(failed=None)`` also means none),
    ``latency`` (mean link delay, ms) and ``jitter`` (the spread of link
    delays, at most the latency).

    Each update runs :func:`replnb.multi_leader.simulate` on a short random
    workload twice with the same seed, once applying writes as they arrive
    and once with causal delivery. The figure shows the topology (the failed
    leader grey, links coloured by the messages they carried, leaders
    coloured by whether they applied the run's first write) and the delay
    with which that write reached each leader; the table compares the two
    delivery modes (out-of-order deliveries, the causal buffering delay) and
    the damage of the failure.

    Examples
    --------
    >>> ex = TopologyExplorer()
    >>> run = ex.update(topology="star", failed="A")
    >>> run.extras["failed"], int(run.metrics["unconverged_replicas"]) > 0
    (['A'], True)
    >>> ex.controls["failed"].options[-1]
    'E'
    """

    title = "Topology explorer: multi-leader replication along a ring, a star or all-to-all"
    figsize = (9.0, 4.2)
    #: Fixed workload parameters of :func:`replnb.multi_leader.simulate`.
    workload: Mapping[str, Any] = {"duration": 200.0, "write_rate": 20.0, "keys": 2, "seed": 0}

    def __init__(
        self,
        *,
        topology: str = "circular",
        leaders: int = 5,
        failed: str | None = None,
        latency: float = 10.0,
        jitter: float = 5.0,
    ) -> None:

        if topology not in KINDS:
            raise ValueError(f"topology must be one of {list(KINDS)}, got {topology!r}")
        if isinstance(leaders, bool) or not isinstance(leaders, int) or not 3 <= leaders <= 10:
            raise ValueError(f"leaders must be an integer in 3..10, got {leaders!r}")
        names = node_names(leaders)
        failed = NO_FAILURE if failed is None else failed
        if failed != NO_FAILURE and failed not in names:
            raise ValueError(f"failed must be None, {NO_FAILURE!r} or one of {names}, got {failed!r}")
        if not 1.0 <= latency <= 50.0:
            raise ValueError(f"latency must be a number in 1..50 ms, got {latency!r}")
        if not 0.0 <= jitter <= latency:
            raise ValueError(f"jitter must be a number in 0..latency ({latency:g}) ms, got {jitter!r}")
        controls = {
            "topology": widgets.ToggleButtons(options=list(KINDS), value=topology, description="topology"),
            "leaders": widgets.IntSlider(
                value=leaders, min=3, max=10, description="leaders", continuous_update=False
            ),
            "failed": widgets.Dropdown(
                options=[NO_FAILURE, *names], value=failed, description="failed leader"
            ),
            "latency": widgets.FloatSlider(
                value=latency, min=1.0, max=50.0, step=1.0, description="link latency (ms)",
                continuous_update=False,
            ),
            "jitter": widgets.FloatSlider(
                value=jitter, min=0.0, max=latency, step=0.5, description="jitter (ms)",
                continuous_update=False,
            ),
        }
        super().__init__(controls, columns=3)
        controls["topology"].style.button_width = "90px"

    def constrain(self) -> None:

        failed = self.controls["failed"]
        options = [NO_FAILURE, *node_names(int(self.controls["leaders"].value))]
        if list(failed.options) != options:
            value = failed.value if failed.value in options else NO_FAILURE
            failed.options = options
            failed.value = value
        latency, jitter = self.controls["latency"], self.controls["jitter"]
        jitter.max = latency.value
        jitter.value = min(jitter.value, latency.value)

    def update(self, **params: Any) -> Run:
        """Set controls (``failed=None`` means no failed leader), run, redraw; return the Run."""
        if "failed" in params and params["failed"] is None:
            params["failed"] = NO_FAILURE
        if "leaders" in params:  # set the leader count first, so that its failed-node options exist
            params = {"leaders": params.pop("leaders"), **params}
        if "failed" in params:

            leaders = params.get("leaders", self.controls["leaders"].value)
            names = node_names(leaders) if isinstance(leaders, int) and 3 <= leaders <= 10 else []
            if params["failed"] != NO_FAILURE and params["failed"] not in names:
                raise ValueError(
                    f"failed must be None, {NO_FAILURE!r} or one of {names}, got {params['failed']!r}"
                )
        return super().update(**params)

    def simulate(self, **params: Any) -> Run:

        failed = [] if params["failed"] == NO_FAILURE else [params["failed"]]
        common = dict(
            topology=params["topology"],
            leaders=int(params["leaders"]),
            failed=failed,
            latency=float(params["latency"]),
            jitter=min(float(params["jitter"]), float(params["latency"])),
            **self.workload,
        )
        run = simulate(**common)
        causal = simulate(causal=True, **common)
        run.extras["causal_counts"] = dict(causal.extras["counts"])
        return run

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:


        left = figure.add_axes((0.01, 0.2, 0.45, 0.77))
        cax = figure.add_axes((0.07, 0.11, 0.33, 0.03))
        right = figure.add_axes((0.58, 0.13, 0.41, 0.84))
        self._edges = plt.cm.ScalarMappable(norm=plt.Normalize(0.0, 1.0), cmap=EDGE_CMAP)
        bar = figure.colorbar(self._edges, cax=cax, orientation="horizontal")
        bar.set_label("messages on the link", fontsize=9)
        bar.locator = plt.MaxNLocator(4, integer=True)
        cax.tick_params(labelsize=8)
        right.yaxis.set_major_locator(plt.MaxNLocator(5))  # fewer tick labels to draw
        return left, right

    def draw(self, run: Run, figure: Figure) -> None:

        left, right = self.axes_for(figure)
        op_id = first_write(run)
        counts = message_counts(run)
        norm = edge_norm(counts, [e for e, c in counts.items() if c > 0])
        self._edges.set_clim(norm.vmin, norm.vmax)
        plot_topology(run, ax=left, op_id=op_id, edge_counts=counts, colorbar=False, title="", legend=False)
        plot_delivery(run, ax=right, op_id=op_id, title=None)

    def caption_html(self, run: Run) -> str:

        write = write_caption(run, first_write(run))
        key = [
            ("●", COLORS["ok"], "has it"),
            ("●", COLORS["stale"], "missing it"),
            ("●", COLORS["down"], "failed"),
            ("┈", "#BBBBBB", "link that carried no message"),
        ]
        return (
            f"<b>{run.params['topology']}</b>: who has {write}, and when. <b>Left:</b> the leaders,"
            " and the links coloured by the messages they carried in the whole run."
            f" <b>Right:</b> how long after it was accepted {write.split(' (')[0]} reached each leader."
            + key_html(key)
        )

    def summarize(self, run: Run) -> pd.DataFrame:
        counts, causal = run.extras["counts"], run.extras["causal_counts"]
        rows = {}
        for name, c in (("as received", counts), ("causal delivery", causal)):
            rows[name] = {
                "out-of-order deliveries": c["out_of_order"],
                "mean causal wait (ms)": round(float(c["causal_delay_ms"]), 2),
                "acked writes": c["writes_acked"],
                "missed deliveries": c["missing_deliveries"],
                "unconverged replicas": c["unconverged_replicas"],
                "messages per write": round(float(c["messages_per_write"]), 2),
            }
        return pd.DataFrame.from_dict(rows, orient="index")
