"""The explorer of chapter 2, multi-leader conflicts."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..multi_leader import STRATEGIES, clip, focus, simulate
from ..params import Choice, Int, Real
from ..plots import draw_spacetime, plot_divergence
from ..plots.multi_leader import CONFLICT_METRIC_LABELS
from ..records import Run
from .base import Control, make_controls
from .captions import key_html, spacetime_key
from .kept_axes import KeptAxesExplorer, TickArtists, ticks_as_data_key

__all__ = ["ConflictExplorer", "TickArtists"]


class ConflictExplorer(KeptAxesExplorer):
    """Multi-leader conflicts: what avoidance, last-write-wins and merges lose.

    Controls: ``strategy`` (a name of :data:`replnb.multi_leader.STRATEGIES`),
    ``clock_skew`` (0..200 ms), ``leaders`` (2..8), ``write_rate`` (writes per
    second by all the leaders together, shared out equally: more leaders
    spread the same load thinner, so moving ``leaders`` alone shows what the
    number of leaders does) and ``relocation_rate`` (relocations per second
    per key, for avoidance).

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

    #: How many runs (of any strategy) are kept, and how many rows of the comparison.
    cached_runs: ClassVar[int] = 12
    cached_rows: ClassVar[int] = 4096
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
        Control("write_rate", Real(10, 120, unit="writes per second"), "writes/s (all leaders)", step=10.0),
        Control("relocation_rate", Real(0, 20, unit="per second per key"), "relocations/s per key", step=1.0),
    )

    def __init__(
        self,
        *,
        strategy: str = "last-write-wins",
        clock_skew: int = 100,
        leaders: int = 2,
        write_rate: float = 60.0,
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
        self._runs: OrderedDict[tuple[Any, ...], Run] = OrderedDict()  # the last runs, by their kwargs
        self._rows: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # a strategy's row, by what it depends on

    def kwargs(self, **params: Any) -> dict[str, dict[str, Any]]:
        """The keyword arguments of :func:`~replnb.multi_leader.simulate` for every strategy.

        The write rate is shared out equally among the leaders. Only
        avoidance relocates users, so the other strategies run with
        ``relocation_rate=0`` (their runs do not depend on it).
        """
        leaders = int(params["leaders"])
        common = {
            "leaders": leaders,
            "clock_skew": float(params["clock_skew"]),
            "write_rate": float(params["write_rate"]) / leaders,
            "duration": self.duration,
            "keys": self.keys,
            "seed": self.seed,
        }
        out = {}
        for name, own in STRATEGIES.items():
            relocation_rate = float(params["relocation_rate"]) if own.get("resolver") == "avoid" else 0.0
            out[name] = {**common, "relocation_rate": relocation_rate, **own}
        return out

    @staticmethod
    def row_key(kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
        """What a strategy's row of the comparison depends on: its kwargs, less the clock skew
        where the skew cannot change a count.

        Timestamps decide only under last-write-wins, and under avoidance when
        users relocate (its fallback is last-write-wins); siblings and the
        cart merges keep every concurrent version whatever the clocks say
        (``tests/test_chapter2.py`` checks this on a grid of runs).
        """
        resolver = kwargs.get("resolver")
        timed = resolver == "lww" or (resolver == "avoid" and kwargs.get("relocation_rate", 0.0) > 0)
        return tuple(sorted((k, v) for k, v in kwargs.items() if timed or k != "clock_skew"))

    def _run(self, kwargs: Mapping[str, Any]) -> Run:
        key = tuple(sorted(kwargs.items()))
        run = self._runs.pop(key, None)
        if run is None:
            run = simulate(**kwargs)
            while len(self._runs) >= self.cached_runs:
                self._runs.popitem(last=False)  # the least recently used
        self._runs[key] = run
        return run

    def _row(self, run: Run) -> tuple[Any, ...]:
        counts = run.extras["counts"]
        source = counts if all(c in counts for c in self.compared) else run.metrics
        return tuple(int(source[c]) for c in self.compared)

    def simulate(self, **params: Any) -> Run:
        """The chosen strategy's run, carrying the comparison of every strategy on its workload.

        As :func:`replnb.multi_leader.strategy_run` would give it (the same
        table), with less work: a run or a row already computed is not
        computed again, so moving the strategy simulates at most one run, the
        clock skew only the strategies whose counts depend on it, the
        relocation rate only avoidance; and the rows that follow from another
        one without a run of their own (:meth:`known_row`) are not simulated
        unless their strategy is the one shown.
        """
        chosen = params["strategy"]
        every = self.kwargs(**params)
        run = self._run(every[chosen])
        rows: dict[str, tuple[Any, ...]] = {}
        for name, kwargs in every.items():
            key = self.row_key(kwargs)
            if key not in self._rows:
                if len(self._rows) >= self.cached_rows:
                    self._rows.clear()
                known = None if name == chosen else self.known_row(kwargs, every, rows)
                self._rows[key] = known or self._row(run if name == chosen else self._run(kwargs))
            rows[name] = self._rows[key]
        table = pd.DataFrame.from_dict(rows, orient="index", columns=list(self.compared))
        table.index.name = "strategy"
        shown = copy.copy(run)  # the cached run keeps its own extras
        shown.extras = {**run.extras, "comparison": table, "strategy": chosen}
        return shown

    def known_row(
        self,
        kwargs: Mapping[str, Any],
        every: Mapping[str, Mapping[str, Any]],
        rows: Mapping[str, tuple[Any, ...]],
    ) -> tuple[Any, ...] | None:
        """A strategy's row that follows from what is known without its own run, else None.

        * Avoidance without relocations: each key has one home leader, which
          orders all of its writes, as a single leader would: no write is
          concurrent with another of its key, so there is no conflict and no
          loss.
        * Siblings: the replicas keep every concurrent version, so no write
          is lost; its conflicts are those of last-write-wins on the same
          workload (``rows`` holds its row already), since the same writes
          meet the same version vectors whatever a replica then keeps.
        * The cart merge with tombstones (an OR-Set): the merge keeps every
          addition and every removal that either side has seen, so nothing
          is lost and nothing comes back; its conflicts are those of the
          plain union on the same workload.

        ``tests/test_chapter2.py`` checks all three against their own runs.
        """
        resolver = kwargs.get("resolver")
        zero = dict.fromkeys(self.compared, 0)
        if resolver == "avoid" and kwargs.get("relocation_rate") == 0.0:
            return tuple(zero[c] for c in self.compared)
        if "conflicts" not in zero or kwargs.get("resolve") is not None:
            return None
        like = None  # the strategy whose conflicts this one shares
        if resolver == "siblings":
            like = {**kwargs, "resolver": "lww"}
        elif resolver == "union" and kwargs.get("workload") == "cart" and kwargs.get("tombstones"):
            like = {k: v for k, v in kwargs.items() if k != "tombstones"}
        same = [n for n, kw in every.items() if n in rows and kw == like]
        if not same:
            return None
        zero["conflicts"] = rows[same[0]][self.compared.index("conflicts")]
        return tuple(zero[c] for c in self.compared)

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
        self._ticks = (  # the lanes are the top's y grid
            TickArtists(top, MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]), y_grid=False),
            TickArtists(bottom, MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]), y_grid=True),
        )
        for ax in (top, bottom):  # the axis labels stay put, whatever the tick labels
            ax.xaxis.set_label_coords(0.5, -0.2 if ax is bottom else -0.12)
            ax.yaxis.set_label_coords(-0.055, 0.5)
        return top, bottom

    def background_key(self) -> tuple[Any, ...]:
        """What the background's pixels depend on: no limits, since no axis draws a tick
        (:class:`TickArtists`) and the axis labels have fixed places."""
        return ticks_as_data_key(self.figure)

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
        bottom.set_xlim(0.0, run.end_time)  # the axis ends where the run ends
        bottom.axvspan(left, right, color="#CC79A7", alpha=0.12, lw=0)
        for ticks in self._ticks:
            ticks.draw()

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
