"""The explorer of chapter 2, multi-leader conflicts."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..multi_leader import STRATEGIES, clip, focus, strategy_run
from ..params import Choice, Int, Real
from ..plots import draw_spacetime, plot_divergence
from ..plots.multi_leader import CONFLICT_METRIC_LABELS
from ..records import Run
from .base import Control, make_controls
from .captions import key_html, spacetime_key
from .kept_axes import KeptAxesExplorer

__all__ = ["ConflictExplorer"]


class ConflictExplorer(KeptAxesExplorer):
    """Multi-leader conflicts: what avoidance, last-write-wins and merges lose.

    Controls: ``strategy`` (a name of :data:`replnb.multi_leader.STRATEGIES`),
    ``clock_skew`` (0..200 ms), ``leaders`` (2..8), ``write_rate`` (writes per
    second per leader) and ``relocation_rate`` (relocations per second per
    key, for avoidance).

    Every strategy runs on the same random workload (of :attr:`seed`, a class
    attribute: the constructor takes exactly the controls). The figure shows a
    space-time diagram of the chosen strategy's run around its first lost
    write (red cross) or first conflict, and the number of distinct states
    across the replicas over time (the caption above the figure says what
    each panel shows and keys its symbols); the table under it gives, for every
    strategy (the chosen one first), the lost writes and their causes (concurrent
    with the survivor, or beaten by an older write: clock skew), the conflicts
    and the resurrections.

    Examples
    --------
    >>> ex = ConflictExplorer()
    >>> run = ex.update(strategy="last-write-wins", clock_skew=0)
    >>> int(run.metrics["lost_writes"]), int(run.metrics["lost_concurrent"])  # perfect clocks
    (1, 1)
    >>> sorted(run.extras["comparison"].columns)
    ['conflicts', 'lost_concurrent', 'lost_older_write_won', 'lost_writes', 'resurrections']
    """

    title = "Conflict explorer: what each strategy loses"
    figsize = (9.0, 4.8)
    #: Writes are issued for this long (ms).
    duration = 300.0
    #: Keys (registers or carts) in the workload.
    keys = 2
    #: At most this many messages in the space-time diagram.
    max_messages = 8

    #: The run's seed (every strategy runs on the same workload).
    seed: ClassVar[int] = 4
    #: The metrics of the comparison table.
    compared: ClassVar[tuple[str, ...]] = (
        "lost_writes",
        "lost_concurrent",
        "lost_older_write_won",
        "conflicts",
        "resurrections",
    )

    specs: ClassVar[tuple[Control, ...]] = (
        Control("strategy", Choice(tuple(STRATEGIES)), "strategy"),
        Control("clock_skew", Int(0, 200, unit="ms"), "clock skew (ms)", step=10),
        Control("leaders", Int(2, 8), "leaders"),
        Control(
            "write_rate", Real(5, 60, unit="writes per second per leader"), "writes/s per leader", step=5.0
        ),
        Control("relocation_rate", Real(0, 20, unit="per second per key"), "relocations/s per key", step=1.0),
    )

    def __init__(
        self,
        *,
        strategy: str = "last-write-wins",
        clock_skew: int = 100,
        leaders: int = 2,
        write_rate: float = 30.0,
        relocation_rate: float = 0.0,
    ) -> None:
        values = dict(
            strategy=strategy,
            clock_skew=clock_skew,
            leaders=leaders,
            write_rate=write_rate,
            relocation_rate=relocation_rate,
        )
        super().__init__(make_controls(self.specs, values), columns=3)
        self._part: tuple[Run, Run] | None = None  # the last run drawn and its clipped view

    def simulate(self, **params: Any) -> Run:
        common = {
            "leaders": int(params["leaders"]),
            "clock_skew": float(params["clock_skew"]),
            "write_rate": float(params["write_rate"]),
            "relocation_rate": float(params["relocation_rate"]),
            "duration": self.duration,
            "keys": self.keys,
            "seed": self.seed,
        }
        return strategy_run(params["strategy"], columns=self.compared, **common)

    def window(self, run: Run) -> tuple[float, float]:
        """The time window (ms) of the space-time diagram.

        It holds the writes to the same key that began nearest the run's focus
        (its first lost write, else its first conflict): at least two, and as
        many more as keep the diagram under :attr:`max_messages` messages.
        """

        center, key = focus(run)
        per_write: dict[int, int] = {}
        for m in run.recorder.messages:
            per_write[m.get("op_id", -1)] = per_write.get(m.get("op_id", -1), 0) + 1
        writes = sorted(
            (r for r in run.recorder.ops if r["kind"] == "write" and key in (None, r["key"])),
            key=lambda r: (abs(float(r["start"]) - center), r["op_id"]),
        )
        chosen: list[dict[str, Any]] = []
        total = 0
        for r in writes:
            total += per_write.get(r["op_id"], 0)
            if len(chosen) >= 2 and total > self.max_messages:
                break
            chosen.append(r)
        if not chosen:
            return 0.0, run.end_time
        if len({r["node"] for r in chosen}) == 1:  # show the other side of the conflict too
            other = [r for r in writes if r["node"] != chosen[0]["node"]]
            chosen += other[:1]
        starts = [float(r["start"]) for r in chosen]
        return min(starts), max(starts)

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:

        top = figure.add_axes((0.075, 0.5, 0.91, 0.47))
        bottom = figure.add_axes((0.075, 0.095, 0.91, 0.28))
        # few tick labels: each drawn text costs time
        top.xaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
        bottom.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        return top, bottom

    def _view(self, run: Run) -> tuple[Run, float, float]:
        """The clipped run of the space-time diagram and its x limits (ms)."""

        start, end = self.window(run)
        part = clip(run, start, end, message_labels=False)
        arrivals = [float(m["delivered"]) for m in part.recorder.messages]
        delivered = [t for t in arrivals if t == t]  # NaN: dropped
        return part, start - 5.0, max([end, *delivered]) + 5.0

    def draw(self, run: Run, figure: Figure) -> None:

        part, left, right = self._view(run)
        self._part = (run, part)
        starts = sorted(float(r["start"]) for r in part.recorder.ops)
        gaps = [starts[i + 1] - starts[i] for i in range(len(starts) - 1)]
        readable = min(gaps, default=1e9) >= 0.12 * (right - left)
        top, bottom = self.axes_for(figure)
        # plot_spacetime without its legend: the key is in the caption
        draw_spacetime(part, ax=top, labels=readable, title=None, legend=False)
        top.set_xlim(left, right)
        plot_divergence(run, ax=bottom, title=None)
        bottom.axvspan(left, right, color="#CC79A7", alpha=0.12, lw=0)

    def caption_html(self, run: Run) -> str:
        drawn = self._part
        part = drawn[1] if drawn is not None and drawn[0] is run else self._view(run)[0]
        what = "lost write" if run.extras["counts"]["lost_writes"] else "conflict"
        return (
            f"<b>Top:</b> {run.extras['strategy']}: space-time diagram of the writes near the first {what}"
            " (their time span is shaded below). <b>Bottom:</b> distinct states across the replicas"
            " (whole run)." + key_html([*spacetime_key(part), ("▮", "#CC79A7", "time span of the diagram")])
        )

    def summarize(self, run: Run) -> pd.DataFrame:
        table = run.extras["comparison"].rename(columns=lambda c: CONFLICT_METRIC_LABELS.get(c, c))
        chosen = run.extras["strategy"]
        order = [chosen] + [name for name in table.index if name != chosen]
        table = table.loc[order]
        table.index = [f"▶ {name}" if name == chosen else name for name in order]
        table.index.name = "strategy (same workload)"
        return table
