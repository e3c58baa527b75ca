"""The explorer of chapter 5, choosing a scheme."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from ..compare import MIXES, Comparison, Faults, Layout, compare, make_workload, precomputed, rank_schemes
from ..params import Choice, Int
from ..plots import FAMILY_COLORS, SCHEME_METRICS, plot_scheme_metric
from .base import Control, make_controls
from .captions import key_html
from .kept_axes import KeptAxesExplorer, TickArtists, ticks_as_data_key

__all__ = ["SchemeExplorer"]


class SchemeExplorer(KeptAxesExplorer[Comparison]):
    """Seven replication schemes, one workload, the same faults, three regions: which one wins?

    Controls: ``clock_skew`` (ms, 0..200 by 50), ``crash_ms`` (how long
    node A is down, from 200 ms; 0 = no crash; 0..300 by 50),
    ``partition_ms`` (how long node C is cut off from A and B, from 550 ms;
    0 = no partition; 0..400 by 100), ``far_ms`` (the extra one-way delay
    between regions: A, B and C each sit in a region of their own, with
    their clients; 0 = one region; 0..100 by 20), ``mix`` (the workload
    mix, :data:`replnb.compare.MIXES`), ``priority`` (what matters most: it
    orders the ranking) and ``seed`` (0..4). The link A-B is also cut from
    850 to 950 ms.

    Every position the sliders can take was simulated ahead, by the same
    :func:`replnb.compare.compare` call, and is read from
    :mod:`replnb.compare.precomputed` (seven simulations a move would take
    three times the 100 ms a slider has); a value off those steps, given
    through :meth:`update`, is simulated.

    The figure shows the figures of :func:`replnb.compare.compare` as
    small multiples, the schemes sorted by their place in the ranking
    (:func:`replnb.compare.rank_schemes`); the table lists the ranking.
    :meth:`update` returns a :class:`replnb.compare.Comparison` (the
    scenario, the table and its ranking; ``best`` and ``worst`` name the
    first and the last scheme), also kept as :attr:`comparison`.

    Examples
    --------
    >>> ex = SchemeExplorer()
    >>> cmp = ex.update(mix="write-heavy", priority="no lost writes")
    >>> cmp.table.shape, cmp.best == cmp.ranking.index[0], ex.comparison is cmp
    ((7, 7), True, True)
    """

    title = "Scheme explorer: one workload, the same faults, seven replication schemes"
    figsize = (12.0, 3.3)
    #: What the learner cares about most -> the column that orders the ranking (None: mean rank).
    priorities: ClassVar[dict[str, str | None]] = {
        "overall (mean rank)": None,
        "no lost writes": "lost_writes",
        "fresh reads": "stale_reads",
        "write availability": "write_availability",
        "fast writes": "write_latency_ms",
        "fast writes, even the slowest": "write_latency_p99_ms",
        "fast reads": "read_latency_ms",
        "fast convergence": "convergence_time_ms",
    }
    #: When node A crashes and when node C is cut off (ms).
    crash_at = precomputed.CRASH_AT
    partition_at = precomputed.PARTITION_AT
    #: The link A-B is cut over this window in every scenario (ms).
    link_cut = precomputed.LINK_CUT

    # the steps are those of precomputed.GRID (a test checks it)
    specs: ClassVar[tuple[Control, ...]] = (
        Control("clock_skew", Int(0, 200), "clock skew (ms)", step=50),
        Control("crash_ms", Int(0, 300), "A down for (ms)", step=50),
        Control("partition_ms", Int(0, 400), "C cut off for (ms)", step=100),
        Control("far_ms", Int(0, 100), "between regions (ms)", step=20),
        Control("mix", Choice(tuple(MIXES)), "workload mix"),
        Control("priority", Choice(tuple(priorities)), "what matters most"),
        Control("seed", Int(0, 4), "seed"),
    )

    def __init__(
        self,
        *,
        clock_skew: int = 50,
        crash_ms: int = 250,
        partition_ms: int = 200,
        far_ms: int = 40,
        mix: str = "balanced",
        priority: str = "overall (mean rank)",
        seed: int = 0,
    ) -> None:
        values = {
            "clock_skew": clock_skew,
            "crash_ms": crash_ms,
            "partition_ms": partition_ms,
            "far_ms": far_ms,
            "mix": mix,
            "priority": priority,
            "seed": seed,
        }
        #: The last comparison drawn (None before the first update).
        self.comparison: Comparison | None = None
        super().__init__(make_controls(self.specs, values), columns=3)

    def faults(self, params: Mapping[str, Any]) -> Faults:
        """The :class:`replnb.compare.Faults` of these control values."""
        return precomputed.scenario_faults(params["crash_ms"], params["partition_ms"], params["clock_skew"])

    def simulate(self, **params: Any) -> Comparison:
        """Compare the seven schemes for these control values (read ahead on the sliders' steps)."""
        faults = self.faults(params)
        layout = Layout(far_latency=float(params["far_ms"]))
        workload = make_workload(params["mix"], seed=params["seed"])
        point = {k: params[k] for k in ("seed", "crash_ms", "partition_ms", "far_ms", "clock_skew")}
        table = precomputed.table(params["mix"], **point)
        if table is None:
            seed = params["seed"]
            table = compare(params["mix"], faults=faults, workload=workload, layout=layout, seed=seed)
        ranking = rank_schemes(table, self.priorities[params["priority"]])
        self.comparison = Comparison(dict(params), table, ranking, faults, workload, layout)
        return self.comparison

    def figure_title(self, comparison: Comparison) -> str:
        """The one-line description of the scenario (above the panels, in the caption)."""
        p = comparison.params
        crash = f"A down {p['crash_ms']} ms" if p["crash_ms"] else "no crash"
        part = f"C cut off {p['partition_ms']} ms" if p["partition_ms"] else "no partition"
        far = f"+{p['far_ms']} ms between regions" if p["far_ms"] else "one region"
        cut = self.link_cut[1] - self.link_cut[0]
        return (
            f"{p['mix']} workload (seed {p['seed']}) · {crash} · {part} · A-B cut {cut:g} ms\n"
            f"clock skew {p['clock_skew']} ms · {far} · ranked by {p['priority']}"
        )

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:

        # fixed margins in inches, as plot_scheme_comparison's; the title and key are in the caption
        width, height = figure.get_size_inches()
        left, right, top, bottom, gap = 1.6 / width, 1 - 0.15 / width, 1 - 0.3 / height, 0.5 / height, 0.2
        count = len(SCHEME_METRICS)
        panel = (right - left) / (count + gap * (count - 1))
        axes = [
            figure.add_axes((left + i * panel * (1 + gap), bottom, panel, top - bottom)) for i in range(count)
        ]
        # Every bar is labelled with its value, so the x axes have no ticks (a drawn text costs
        # about half a millisecond, and a move draws some eighty); the scheme names are drawn as
        # data, so a move changes the limits and the order but never the background.
        self._ticks = tuple(TickArtists(ax, NullLocator(), y_grid=False, x_grid=False) for ax in axes)
        for ax in axes:
            ax.xaxis.set_label_coords(0.5, -0.06 / ((top - bottom) * height))  # just below the axis
        return tuple(axes)

    def background_key(self) -> tuple[Any, ...]:
        """No limits or ticks: every axis draws its ticks as data (:class:`TickArtists`)."""
        return ticks_as_data_key(self.figure)

    def ranked_table(self, comparison: Comparison) -> pd.DataFrame:
        """The comparison table in ranking order, each scheme named with its place.

        With :meth:`figure_title`, it draws the explorer's figure as one static figure::

            plot_scheme_comparison(ex.ranked_table(cmp), title=ex.figure_title(cmp))
        """
        return comparison.ranked_table()

    def draw(self, comparison: Comparison, figure: Figure) -> None:
        table = comparison.ranked_table()
        metrics = [m for m in SCHEME_METRICS if m in table.columns]
        for i, (ax, metric) in enumerate(zip(self.axes_for(figure), metrics, strict=True)):
            plot_scheme_metric(table, metric, ax=ax, labels=i == 0)
            # no wider than its panel, so that no label reaches over the next panel's bars
            ax.set_xlabel("\n".join(textwrap.fill(line, 17) for line in ax.get_xlabel().split("\n")))
        for ticks in self._ticks:
            ticks.draw()

    def caption_html(self, comparison: Comparison) -> str:
        key = [("■", colour, family) for family, colour in FAMILY_COLORS.items()]
        key.append(("□", "black", "best (bold)"))
        return f"<b>{self.figure_title(comparison).replace(chr(10), ' · ')}</b>" + key_html(key)

    def summarize(self, comparison: Comparison) -> pd.DataFrame:
        ranking = comparison.ranking
        table = comparison.table.loc[ranking.index]
        return pd.DataFrame(
            {
                "scheme": ranking.index,
                "mean rank": ranking["mean_rank"].round(1).to_numpy(),
                "lost": table["lost_writes"].to_numpy(),
                "stale": table["stale_reads"].to_numpy(),
                "writes ok": [f"{v:.0%}" for v in table["write_availability"]],
                "write ms": table["write_latency_ms"].round(1).to_numpy(),
                "p99 write ms": table["write_latency_p99_ms"].round(1).to_numpy(),
                "read ms": table["read_latency_ms"].round(1).to_numpy(),
                "converged ms": table["convergence_time_ms"].round(1).to_numpy(),
            },
            index=pd.Index(ranking["place"].to_numpy(), name="place"),
        )
