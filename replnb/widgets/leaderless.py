"""The explorer of chapter 4, leaderless quorums."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..engine.latency import PRESETS
from ..leaderless import CONSISTENCY_LEVELS, home_replicas, level_name, level_size, quorum_grid, simulate
from ..params import Choice, Flag, Int, check
from ..pbs import stale_read_probability, t_visibility
from ..plots import COLORS, PALETTE, plot_convergence, plot_quorum_grid, plot_visibility
from ..records import Run
from .base import Control, make_controls
from .captions import key_html, verdict_html
from .kept_axes import KeptAxesExplorer, RunCache, TickArtists, ticks_as_data_key

__all__ = ["QuorumExplorer", "lost_summary"]

#: The largest N of the explorer.
MAX_N = 9

#: Where the grid's axis labels sit (axes coordinates): where matplotlib put them beside
#: one-digit tick labels.
GRID_XLABEL_Y, GRID_YLABEL_X = -0.125, -0.118

#: The choices of the R and W level controls.
LEVELS = (*CONSISTENCY_LEVELS, "custom")


#: The causes of a lost write as the summary names them.
_CAUSES = (
    ("lost_concurrent", "concurrent"),
    ("lost_older_write_won", "older write won"),
    ("lost_failover", "failover"),
)


def lost_summary(m: Any) -> str:
    """Lost writes of acknowledged ones, with the number per cause.

    Examples
    --------
    >>> lost_summary({"lost_writes": 3, "writes": 9, "lost_concurrent": 3, "lost_older_write_won": 0,
    ...               "lost_failover": 0})
    '3 of 9 (3 concurrent)'
    >>> lost_summary({"lost_writes": 0, "writes": 9, "lost_concurrent": 0, "lost_older_write_won": 0,
    ...               "lost_failover": 0})
    '0 of 9'
    """
    causes = ", ".join(f"{m[name]} {label}" for name, label in _CAUSES if m[name])
    return f"{m['lost_writes']} of {m['writes']}" + (f" ({causes})" if causes else "")


class QuorumExplorer(KeptAxesExplorer):
    """N, R and W of a leaderless store: staleness (PBS), the (R, W) grid and a simulated run.

    Controls: ``n`` (replicas, 1..9), ``r`` and ``w`` (quorum sizes, at most
    ``n``), ``r_level`` and ``w_level`` (Cassandra's consistency levels
    ``ONE``, ``QUORUM``, ``ALL`` set the sliders; ``custom`` when a slider
    matches none), ``latency`` (a PBS preset), ``failed`` (home replicas of
    the key that crash for the middle of the run, at most ``n``), ``sloppy``
    (sloppy quorum with hinted handoff) and ``read_repair``. A preset level
    sticks when N changes: with ``QUORUM``, R follows N. The constructor
    takes the controls' initial values, checked by their specs; by default
    ``R = W = 1`` of ``N = 3``, a partial quorum whose stale reads show (with
    ``QUORUM``/``QUORUM`` and no failure there are none).

    The figure shows the PBS t-visibility curve
    (:func:`replnb.pbs.t_visibility`, ``trials`` trials) with the closed form
    at ``t = 0``, the closed-form stale-read grid over (R, W) for this N, and
    the simulated run (:func:`replnb.leaderless.simulate`, one key, N + 2
    nodes): replicas behind over time, stale reads, lost and failed writes. The
    summary counts the run's lost writes, with their causes, beside its stale
    reads: stale reads heal, lost writes never come back.

    Examples
    --------
    >>> ex = QuorumExplorer()
    >>> run = ex.update(n=5, r_level="QUORUM", w_level="QUORUM")
    >>> ex.controls["r"].value, ex.controls["w"].value, ex.controls["r"].max
    (3, 3, 5)
    >>> ex.summarize(run)[["stale reads", "lost writes (cause)"]].columns.tolist()
    ['stale reads', 'lost writes (cause)']
    """

    title = "Quorum explorer: N, R, W, stale reads and lost writes"
    figsize = (9.0, 5.8)
    #: Trials of the PBS Monte Carlo per curve (10,000: the curve's error is below 0.5 %).
    trials = 10_000
    #: Failed nodes are down from and until these fractions of the duration.
    failure_window = (0.2, 0.6)
    #: The seed of the simulated run and of the PBS Monte Carlo.
    seed: ClassVar[int] = 0

    #: The controls, in the order they are shown (three columns).
    specs: ClassVar[tuple[Control, ...]] = (
        Control("n", Int(1, MAX_N), "N (replicas)"),
        Control("latency", Choice(tuple(sorted(PRESETS))), "latency"),
        Control("failed", Int(0, "n"), "failed nodes"),
        Control("r_level", Choice(LEVELS), "R level"),
        Control("r", Int(1, "n"), "R (read quorum)"),
        Control("sloppy", Flag(), "sloppy quorum + hinted handoff"),
        Control("w_level", Choice(LEVELS), "W level"),
        Control("w", Int(1, "n"), "W (write quorum)"),
        Control("read_repair", Flag(), "read repair"),
    )

    def __init__(
        self,
        *,
        n: int = 3,
        latency: str = "LNKD-DISK",
        failed: int = 0,
        r_level: str | None = None,
        r: int = 1,
        sloppy: bool = False,
        w_level: str | None = None,
        w: int = 1,
        read_repair: bool = True,
    ) -> None:
        """Check the initial values and build the controls.

        ``r_level`` and ``w_level`` default to the level of ``r`` and ``w``;
        a level other than ``custom`` sets its size.
        """
        values = {
            "n": n,
            "latency": latency,
            "failed": failed,
            "r_level": r_level,
            "r": r,
            "sloppy": sloppy,
            "w_level": w_level,
            "w": w,
            "read_repair": read_repair,
        }
        given = check(
            {c.name: c.spec for c in self.specs}, {k: v for k, v in values.items() if v is not None}
        )
        for side in ("r", "w"):
            level = given.get(f"{side}_level")
            if level is None:
                values[f"{side}_level"] = level_name(given[side], given["n"])
            elif level != "custom":
                values[side] = level_size(level, given["n"])
        #: The simulated workload (see :func:`replnb.leaderless.simulate`).
        self.workload: dict[str, Any] = {
            "keys": 1,
            "duration": 500.0,
            "write_rate": 100.0,
            "read_rate": 200.0,
            "timeout": 500.0,
            "settle": 500.0,
        }
        self._curves: dict[tuple[int, int, int, str], tuple[Any, Any]] = {}
        self._runs = RunCache()
        controls = make_controls(self.specs, values)
        super().__init__(controls, columns=3)
        n = controls["n"].value
        self._last = {side: (controls[f"{side}_level"].value, controls[side].value, n) for side in ("r", "w")}

    def constrain(self) -> None:
        """Keep the bounds in step with N (the base class), then the levels with the sizes.

        A preset level sets its slider when it is chosen and whenever N
        changes; a slider moved to a size of no level shows ``custom``.
        """
        super().constrain()
        c = self.controls
        n = c["n"].value
        for side in ("r", "w"):
            self._constrain_level(side, n)

    def _constrain_level(self, side: str, n: int) -> None:
        level, size = self.controls[f"{side}_level"], self.controls[side]
        last_level, _, last_n = self._last[side]
        if level.value != "custom" and (level.value != last_level or n != last_n):
            size.value = level_size(level.value, n)
        if not (level.value == "custom" and last_level != "custom"):
            level.value = level_name(size.value, n, prefer=level.value)
        self._last[side] = (level.value, size.value, n)

    def curve(self, n: int, r: int, w: int, latency: str) -> tuple[Any, Any]:
        """The PBS curve ``(t, p)`` for these parameters (memoised)."""

        key = (n, r, w, latency)
        if key not in self._curves:
            t = np.concatenate([[0.0], np.geomspace(0.01, 3000.0, 160)])
            p = t_visibility(n, r, w, t, latency=latency, trials=self.trials, seed=self.seed)
            if len(self._curves) > 64:
                self._curves.clear()
            self._curves[key] = (t, p)
        return self._curves[key]

    def simulate(self, **params: Any) -> Run:
        """The run of these controls (the last few are kept, by what the run depends on: not
        the level names, so a level that names the size already set costs no run)."""
        used = ("n", "failed", "r", "w", "latency", "sloppy", "read_repair")
        fixed = (tuple(sorted(self.workload.items())), self.failure_window, self.seed)
        key = (*(params[k] for k in used), *fixed)
        return self._runs.get(key, lambda: self._simulate(params))

    def _simulate(self, params: Mapping[str, Any]) -> Run:
        n, failed = params["n"], params["failed"]
        duration = float(self.workload["duration"])
        down, up = (duration * f for f in self.failure_window)
        home = home_replicas("k0", n, n + 2)
        failures = [(node, down, up) for node in home[n - failed :]] if failed else []
        return simulate(
            n=n,
            r=params["r"],
            w=params["w"],
            latency=params["latency"],
            sloppy=params["sloppy"],
            read_repair=params["read_repair"],
            failures=failures,
            seed=self.seed,
            **self.workload,
        )

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:

        curve_ax = figure.add_axes((0.075, 0.575, 0.45, 0.395))
        grid_ax = figure.add_axes((0.63, 0.575, 0.249, 0.395))
        run_ax = figure.add_axes((0.075, 0.085, 0.885, 0.34))
        cax = figure.add_axes((0.885, 0.575, 0.0125, 0.395))
        shading = plt.cm.ScalarMappable(norm=plt.Normalize(0.0, 1.0), cmap="YlOrBr")
        figure.colorbar(shading, cax=cax, ticks=[0.0, 0.5, 1.0], label="P(stale read)")
        # few tick labels: each drawn text costs time
        curve_ax.yaxis.set_major_locator(plt.FixedLocator([0.0, 0.5, 1.0]))
        run_ax.yaxis.set_major_locator(plt.FixedLocator([0.0, 50.0, 100.0]))
        run_ax.xaxis.set_major_locator(plt.MaxNLocator(5))
        # The grid's ticks (1..N) are drawn as data, so that its background is the same for every N
        # (a new background for each N, every tick label's glyphs, made first visits slow: issue 17).
        self._grid_ticks = TickArtists(grid_ax, None, y_grid=False, x_grid=False)
        grid_ax.xaxis.set_label_coords(0.5, GRID_XLABEL_Y)
        grid_ax.yaxis.set_label_coords(GRID_YLABEL_X, 0.5)
        return curve_ax, grid_ax, run_ax

    def background_key(self) -> tuple[Any, ...]:
        """What the background's pixels depend on: not the grid's limits, since its ticks
        are data (:class:`~replnb.widgets.kept_axes.TickArtists`)."""
        return ticks_as_data_key(self.figure)

    def draw(self, run: Run, figure: Figure) -> None:

        n, r, w = (int(run.params[k]) for k in ("n", "r", "w"))
        t, p = self.curve(n, r, w, str(run.params["latency"]))
        curve_ax, grid_ax, run_ax = self.axes_for(figure)
        closed_form = 1.0 - stale_read_probability(n, r, w)
        curve = pd.DataFrame({"t_ms": t, "p": p})
        plot_visibility(curve, ax=curve_ax, closed_form=closed_form, log_time=True, legend=False, title=None)
        self._draw_grid(grid_ax, n, (r, w))
        self._grid_ticks.draw()
        plot_convergence(run, ax=run_ax, legend=False, title=None)

    @staticmethod
    def _draw_grid(ax: Any, n: int, highlight: tuple[int, int]) -> None:
        plot_quorum_grid(
            quorum_grid(n),
            ax=ax,
            highlight=highlight,
            annotate=False,
            colorbar=False,
            legend=None,
            title=None,
        )

    def caption_html(self, run: Run) -> str:

        n, r, w = (int(run.params[k]) for k in ("n", "r", "w"))
        ops = run.ops
        key = [
            ("━", PALETTE[0], "PBS model"),
            ("○", PALETTE[0], "closed form, no propagation (t = 0)"),
            ("┅", "#333333", "R + W = N + 1"),
            ("□", COLORS["highlight"], f"R={r}, W={w}"),
            ("▇", PALETTE[0], "replicas behind"),
        ]
        if len(run.events) and (run.events["event"] == "crash").any():
            key.append(("▇", COLORS["down"], "node(s) down"))
        if "stale" in ops and ((ops["kind"] == "read") & ops["stale"].astype(bool)).any():
            key.append(("|", COLORS["stale"], "stale read"))
        if "lost" in ops and ((ops["kind"] == "write") & ops["lost"].astype(bool)).any():
            key.append(("▼", COLORS["lost"], "lost write"))
        if ((ops["kind"] == "write") & ~ops["ok"].astype(bool)).any():
            key.append(("×", COLORS["message"], "failed write"))
        return (
            f"<b>Top left:</b> the chance that a read t ms after a write commits sees it (PBS model,"
            f" {run.params['latency']} latencies, N={n}, R={r}, W={w}). <b>Top right:</b> P(stale read)"
            f" for every R and W with N={n}, when writes do not spread further. <b>Bottom:</b> the"
            " simulated run: the share of replicas behind the newest acknowledged write."
            + key_html(key)
            + verdict_html(self.verdict(run))
        )

    def summarize(self, run: Run) -> pd.DataFrame:

        n, r, w = (int(run.params[k]) for k in ("n", "r", "w"))
        _, p = self.curve(n, r, w, str(run.params["latency"]))
        m = run.metrics
        row = {
            "PBS: P(fresh), t=0": float(p[0]),
            "closed form: P(fresh)": 1.0 - stale_read_probability(n, r, w),
            "stale reads": f"{m['stale_reads']} of {m['reads']}",
            "lost writes (cause)": lost_summary(m),
            "write avail.": m["write_availability"],
            "read avail.": m["read_availability"],
            "convergence (ms)": m["convergence_time"],
            "hints handed off": f"{m['hints_handed_off']} of {m['hinted_writes']}",
            "linearizable": {True: "yes", False: "no", None: "unknown"}[self.verdict(run).linearizable],
        }
        return pd.DataFrame([row], index=["run"])
