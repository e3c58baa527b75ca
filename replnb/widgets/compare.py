"""The explorer of chapter 5, choosing a scheme."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from ..compare import MIXES, Faults, compare, make_workload, rank_schemes
from ..plots import FAMILY_COLORS, SCHEME_METRICS, plot_scheme_metric
from ..records import Recorder, Run
from .captions import key_html
from .kept_axes import KeptAxesExplorer

__all__ = ["SchemeExplorer"]


class SchemeExplorer(KeptAxesExplorer):
    """Six replication schemes, one workload, the same faults: which one wins?

    Controls: ``clock_skew`` (ms, 0..200), ``crash_ms`` (how long node A is
    down, from 200 ms; 0 = no crash), ``partition_ms`` (how long node C is
    cut off, from 550 ms; 0 = no partition), ``mix`` (the workload mix,
    :data:`replnb.compare.MIXES`), ``priority`` (what matters most: it
    orders the ranking) and ``seed``. The figures of identical runs are
    cached (:func:`replnb.compare.compare`), so a change re-simulates only
    the schemes it affects.

    The figure shows the five figures of :func:`replnb.compare.compare` as
    small multiples, the schemes sorted by their place in the ranking
    (:func:`replnb.compare.rank_schemes`); the table lists the ranking.
    The Run returned by :meth:`update` carries the table in
    ``run.extras["table"]`` and the ranking in ``run.extras["ranking"]``;
    its metrics name the best and the worst scheme.

    Examples
    --------
    >>> ex = SchemeExplorer()
    >>> run = ex.update(mix="write-heavy", priority="no lost writes")
    >>> run.extras["table"].shape, run.metrics["best"] == run.extras["ranking"].index[0]
    ((6, 5), True)
    """

    title = "Scheme explorer: one workload, the same faults, six replication schemes"
    figsize = (11.0, 3.3)
    #: What the learner cares about most -> the column that orders the ranking (None: mean rank).
    priorities: ClassVar[dict[str, str | None]] = {
        "overall (mean rank)": None,
        "no lost writes": "lost_writes",
        "fresh reads": "stale_reads",
        "write availability": "write_availability",
        "low write latency": "write_latency_p99_ms",
        "fast convergence": "convergence_time_ms",
    }
    #: When node A crashes and when node C is cut off (ms).
    crash_at = 200.0
    partition_at = 550.0

    def __init__(
        self,
        *,
        clock_skew: int = 50,
        crash_ms: int = 250,
        partition_ms: int = 200,
        mix: str = "balanced",
        priority: str = "overall (mean rank)",
        seed: int = 0,
    ) -> None:

        for name, value, high in (
            ("clock_skew", clock_skew, 200),
            ("crash_ms", crash_ms, 300),
            ("partition_ms", partition_ms, 400),
            ("seed", seed, 9),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
                raise ValueError(f"{name} must be an integer in 0..{high}, got {value!r}")
        if mix not in MIXES:
            raise ValueError(f"mix must be one of {list(MIXES)}, got {mix!r}")
        if priority not in self.priorities:
            raise ValueError(f"priority must be one of {list(self.priorities)}, got {priority!r}")

        def slider(value: int, high: int, step: int, label: str) -> widgets.IntSlider:
            return widgets.IntSlider(
                value=value, min=0, max=high, step=step, description=label, continuous_update=False
            )

        controls = {
            "clock_skew": slider(clock_skew, 200, 10, "clock skew (ms)"),
            "crash_ms": slider(crash_ms, 300, 50, "A down for (ms)"),
            "partition_ms": slider(partition_ms, 400, 50, "C cut off for (ms)"),
            "mix": widgets.Dropdown(options=list(MIXES), value=mix, description="workload mix"),
            "priority": widgets.Dropdown(
                options=list(self.priorities), value=priority, description="what matters most"
            ),
            "seed": slider(seed, 9, 1, "seed"),
        }
        super().__init__(controls, columns=3)

    def faults(self, params: Mapping[str, Any]) -> Any:
        """The :class:`replnb.compare.Faults` of these control values."""

        crash, part = int(params["crash_ms"]), int(params["partition_ms"])
        return Faults(
            crash_node="A" if crash else None,
            crash_at=self.crash_at,
            recover_at=self.crash_at + crash if crash else None,
            clock_skew=float(params["clock_skew"]),
            partition=("C",) if part else (),
            partition_at=self.partition_at,
            heal_at=self.partition_at + max(part, 1),
        )

    def simulate(self, **params: Any) -> Run:

        faults = self.faults(params)
        workload = make_workload(params["mix"], seed=params["seed"])
        table = compare(params["mix"], faults=faults, workload=workload, seed=params["seed"])
        ranking = rank_schemes(table, self.priorities[params["priority"]])
        figures = {"best": ranking.index[0], "worst": ranking.index[-1]}
        return Run(
            model="scheme comparison",
            params=params,
            nodes=workload.nodes,
            recorder=Recorder(),
            final_state={},
            metrics=lambda _run: figures,
            end_time=workload.duration,
            extras={"table": table, "ranking": ranking, "faults": faults, "workload": workload},
        )

    def figure_title(self, run: Run) -> str:
        """The one-line description of the scenario (above the panels, in the caption)."""
        p = run.params
        crash = f"A down {p['crash_ms']} ms" if p["crash_ms"] else "no crash"
        part = f"C cut off {p['partition_ms']} ms" if p["partition_ms"] else "no partition"
        return (
            f"{p['mix']} workload (seed {p['seed']}) · {crash} · clock skew {p['clock_skew']} ms · {part}"
            f" · ranked by {p['priority']}"
        )

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:

        # fixed margins in inches, as plot_scheme_comparison's; the title and key are in the caption
        width, height = figure.get_size_inches()
        left, right, top, bottom, gap = 1.6 / width, 1 - 0.1 / width, 1 - 0.3 / height, 0.75 / height, 0.12
        count = len(SCHEME_METRICS)
        panel = (right - left) / (count + gap * (count - 1))
        axes = [
            figure.add_axes((left + i * panel * (1 + gap), bottom, panel, top - bottom)) for i in range(count)
        ]
        return tuple(axes)

    def ranked_table(self, run: Run) -> pd.DataFrame:
        """The run's comparison table in ranking order, each scheme named with its place.

        With :meth:`figure_title`, it draws the explorer's figure as one static figure::

            plot_scheme_comparison(ex.ranked_table(run), title=ex.figure_title(run))
        """
        ranking = run.extras["ranking"]
        table = run.extras["table"].loc[ranking.index]
        places = zip(ranking["place"], ranking.index, strict=True)
        table.index = [f"{place}. {scheme}" for place, scheme in places]
        return table

    def draw(self, run: Run, figure: Figure) -> None:

        table = self.ranked_table(run)
        metrics = [m for m in SCHEME_METRICS if m in table.columns]
        for i, (ax, metric) in enumerate(zip(self.axes_for(figure), metrics, strict=True)):
            plot_scheme_metric(table, metric, ax=ax, labels=i == 0)

    def caption_html(self, run: Run) -> str:

        key = [("■", colour, family) for family, colour in FAMILY_COLORS.items()]
        key.append(("□", "black", "best (bold)"))
        return f"<b>{self.figure_title(run)}</b>" + key_html(key)

    def summarize(self, run: Run) -> pd.DataFrame:
        ranking = run.extras["ranking"]
        table = run.extras["table"].loc[ranking.index]
        out = pd.DataFrame(
            {
                "scheme": ranking.index,
                "mean rank": ranking["mean_rank"].round(1).to_numpy(),
                "lost writes": table["lost_writes"].to_numpy(),
                "stale reads": table["stale_reads"].to_numpy(),
                "write availability": [f"{v:.0%}" for v in table["write_availability"]],
                "p99 write latency (ms)": table["write_latency_p99_ms"].round(1).to_numpy(),
                "convergence (ms)": table["convergence_time_ms"].round(1).to_numpy(),
            },
            index=pd.Index(ranking["place"].to_numpy(), name="place"),
        )
        return out
