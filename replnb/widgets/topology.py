"""The explorer of chapter 3, multi-leader topologies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..engine.network import node_names
from ..multi_leader import MAX_LEADERS, simulate
from ..params import Choice, Int, Real
from ..plots import COLORS, EDGE_CMAP, edge_norm, plot_delivery, plot_topology, write_caption
from ..records import Run
from ..topology import KINDS, first_write, message_counts
from .base import Control, make_controls
from .captions import key_html
from .kept_axes import KeptAxesExplorer, RunCache, TickArtists, ticks_as_data_key

__all__ = ["NO_FAILURE", "FailedLeader", "TopologyExplorer"]

#: Where the delay panel's axis labels sit (axes coordinates).
DELAY_XLABEL_Y, DELAY_YLABEL_X = -0.08, -0.1

#: The failed-leader control's value for "no failed leader".
NO_FAILURE = "none"


@dataclass(frozen=True)
class FailedLeader(Choice):
    """The failed-leader control: :data:`NO_FAILURE`, or one of the first ``leaders`` leaders.

    ``leaders`` names the parameter that holds the number of leaders (checked
    before this one), as a named bound does.

    Examples
    --------
    >>> FailedLeader().check("failed", "D", {"leaders": 3})
    Traceback (most recent call last):
    ...
    ValueError: failed must be one of ['none', 'A', 'B', 'C'], got 'D'
    """

    options: tuple[Any, ...] = (NO_FAILURE, *node_names(MAX_LEADERS))
    none: bool = False
    leaders: str = "leaders"

    def names(self, context: Mapping[str, Any]) -> list[str]:
        """The options for the number of leaders in ``context``."""
        return [NO_FAILURE, *node_names(int(context[self.leaders]))]

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        ok, value = super().accept(value, context)
        return ok and value in self.names(context), value

    def describe(self, context: Mapping[str, Any]) -> str:
        return f"one of {self.names(context)}"


class TopologyExplorer(KeptAxesExplorer):
    """Multi-leader topologies: which replicas a failed leader cuts off, and causality.

    Controls: ``topology`` (``circular``, ``star``, ``all-to-all``),
    ``leaders`` (3..10), ``failed`` (``"none"`` or one existing leader: its
    options follow ``leaders``; ``update(failed=None)`` also means none),
    ``latency`` (mean link delay, ms) and ``jitter`` (the spread of link
    delays, at most the latency).

    It opens on a ring of five leaders with ``C`` down: the run's first
    write (from ``E``) travels E -> A -> B and stops at C, so D never gets it.

    Each update runs :func:`replnb.multi_leader.simulate` on a short random
    workload twice with the same seed, once applying writes as they arrive
    and once with causal delivery. The figure shows the topology (the failed
    leader grey, links coloured by the messages they carried, leaders
    coloured by whether they applied the run's first write) and the delay
    with which that write reached each leader; the table compares the two
    delivery modes (out-of-order deliveries, the causal buffering delay) and
    the damage of the failure (missed deliveries, unconverged replicas) and
    the lost writes. Links keep their
    messages in order (FIFO), so only all-to-all, where writes reach a
    leader by different paths, has out-of-order deliveries.

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
    specs: ClassVar[tuple[Control, ...]] = (
        Control("topology", Choice(KINDS), "topology", toggle=True),
        Control("leaders", Int(3, 10), "leaders"),
        Control("failed", FailedLeader(none=True), "failed leader"),
        Control("latency", Real(1.0, 50.0, unit="ms"), "link latency (ms)", step=1.0),
        Control("jitter", Real(0.0, "latency", unit="ms"), "jitter (ms)", step=0.5),
    )

    def __init__(
        self,
        *,
        topology: str = "circular",
        leaders: int = 5,
        failed: str | None = "C",
        latency: float = 10.0,
        jitter: float = 5.0,
    ) -> None:
        failed = NO_FAILURE if failed is None else failed
        values = dict(topology=topology, leaders=leaders, failed=failed, latency=latency, jitter=jitter)
        controls = make_controls(self.specs, values)
        #: The run with causal delivery that goes with the latest run: (run, its twin's counts).
        self._twin: tuple[Run, Mapping[str, Any]] | None = None
        self._runs = RunCache()
        super().__init__(controls, columns=3)
        controls["topology"].style.button_width = "90px"
        self._follow_leaders()

    def _follow_leaders(self) -> None:
        """Offer as failed leaders only the leaders that exist (or none)."""
        failed = self.controls["failed"]
        options = FailedLeader().names({"leaders": self.controls["leaders"].value})
        if list(failed.options) != options:
            value = failed.value if failed.value in options else NO_FAILURE
            failed.options = options
            failed.value = value

    def constrain(self) -> None:
        """The failed leader's options follow ``leaders``; the jitter's bound follows the latency."""
        self._follow_leaders()
        super().constrain()
        jitter = self.controls["jitter"]
        jitter.value = min(jitter.value, self.controls["latency"].value)

    def update(self, **params: Any) -> Run:
        """Set controls (``failed=None`` means no failed leader), run, redraw; return the Run."""
        if "failed" in params and params["failed"] is None:
            params["failed"] = NO_FAILURE
        if "leaders" in params:  # set the leader count first, so that its failed-node options exist
            params = {"leaders": params.pop("leaders"), **params}
        if "failed" in params:
            leaders = params.get("leaders", self.controls["leaders"].value)
            valid = isinstance(leaders, int) and 3 <= leaders <= 10
            FailedLeader().check("failed", params["failed"], {"leaders": leaders if valid else 0})
        return super().update(**params)

    def _common(self, params: Mapping[str, Any]) -> dict[str, Any]:
        failed = [] if params["failed"] == NO_FAILURE else [params["failed"]]
        return dict(
            topology=params["topology"],
            leaders=int(params["leaders"]),
            failed=failed,
            latency=float(params["latency"]),
            jitter=min(float(params["jitter"]), float(params["latency"])),
            **self.workload,
        )

    def simulate(self, **params: Any) -> Run:
        """The run as received; its twin with causal delivery is kept for the table.

        The last few pairs are kept, by the model's arguments: a move back (or a
        jitter clamped to the same latency) costs no run.
        """
        common = self._common(params)
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in common.items()))
        self._twin = self._runs.get(
            key, lambda: (simulate(**common), simulate(causal=True, **common).extras["counts"])
        )
        return self._twin[0]

    def causal_counts(self, run: Run) -> Mapping[str, Any]:
        """The counts of ``run``'s twin with causal delivery (the same parameters and seed)."""
        if self._twin is not None and self._twin[0] is run:
            return self._twin[1]
        p = run.params
        failed = run.extras["failed"][0] if run.extras["failed"] else NO_FAILURE
        values = dict(p, failed=failed)
        return simulate(causal=True, **self._common(values)).extras["counts"]

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:
        """The topology (left, with its colorbar under it) and the delivery delays (right)."""
        left = figure.add_axes((0.01, 0.2, 0.45, 0.77))
        cax = figure.add_axes((0.07, 0.11, 0.33, 0.03))
        right = figure.add_axes((0.58, 0.13, 0.41, 0.84))
        self._edges = plt.cm.ScalarMappable(norm=plt.Normalize(0.0, 1.0), cmap=EDGE_CMAP)
        bar = figure.colorbar(self._edges, cax=cax, orientation="horizontal")
        bar.set_label("messages on the link", fontsize=9)
        bar.locator = plt.MaxNLocator(4, integer=True)
        cax.tick_params(labelsize=8)
        # The delays' ticks are drawn as data (few of them: each drawn text costs time), so that
        # the right panel's background (spines, axis labels at fixed places) is the same for every run.
        self._delay_locator = plt.MaxNLocator(5)
        self._ticks = (TickArtists(right, None, y_grid=True, x_grid=False, y_locator=self._delay_locator),)
        right.xaxis.set_label_coords(0.5, DELAY_XLABEL_Y)
        right.yaxis.set_label_coords(DELAY_YLABEL_X, 0.5)
        return left, right

    def background_key(self) -> tuple[Any, ...]:
        """What the background's pixels depend on: not the delays' limits, since their ticks
        are data (:class:`~replnb.widgets.kept_axes.TickArtists`)."""
        return ticks_as_data_key(self.figure)

    def draw(self, run: Run, figure: Figure) -> None:
        """The run's topology, coloured by its first write, and that write's delivery delays."""
        left, right = self.axes_for(figure)
        op_id = first_write(run)
        counts = message_counts(run)
        norm = edge_norm(counts, [e for e, c in counts.items() if c > 0])
        self._edges.set_clim(norm.vmin, norm.vmax)
        plot_topology(run, ax=left, op_id=op_id, edge_counts=counts, colorbar=False, title="", legend=False)
        right.yaxis.set_major_locator(self._delay_locator)  # plot_delivery rounds its top to these ticks
        plot_delivery(run, ax=right, op_id=op_id, title=None)
        for ticks in self._ticks:
            ticks.draw()

    def caption_html(self, run: Run) -> str:
        """Who has the first write, and the key of the node and link colours."""
        write = write_caption(run, first_write(run))
        key = [
            ("●", COLORS["ok"], "has it"),
            ("●", COLORS["stale"], "missing it"),
            ("●", COLORS["down"], "failed"),
            ("→", COLORS["message"], "link, coloured by the messages it carried (scale below)"),
            ("┈", "#BBBBBB", "link that carried no message"),
            ("▮", COLORS["ok"], "delay until it was applied"),
            ("▨", COLORS["lost"], "never applied"),
        ]
        return (
            f"<b>{run.params['topology']}</b>: who has {write}, and when. <b>Left:</b> the leaders,"
            " and the links coloured by the messages they carried in the whole run."
            f" <b>Right:</b> how long after it was accepted {write.split(' (')[0]} reached each leader."
            + key_html(key)
        )

    def summarize(self, run: Run) -> pd.DataFrame:
        counts, causal = run.extras["counts"], self.causal_counts(run)
        rows = {}
        for name, c in (("as received", counts), ("causal delivery", causal)):
            rows[name] = {
                "out-of-order deliveries": c["out_of_order"],
                "mean causal wait (ms)": round(float(c["causal_delay_ms"]), 2),
                "acked writes": c["writes_acked"],
                "missed deliveries": c["missing_deliveries"],
                "unconverged replicas": c["unconverged_replicas"],
                "messages per write": round(float(c["messages_per_write"]), 2),
                "lost writes": c["lost_writes"],
            }
        return pd.DataFrame.from_dict(rows, orient="index")
