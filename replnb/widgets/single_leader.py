"""The explorer of chapter 1, single-leader replication."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..params import Choice, Int
from ..plots import COLORS, PALETTE, plot_failover, plot_replication_lag
from ..records import Run
from ..single_leader import MODES, READ_FROM, simulate
from .base import Control, make_controls
from .captions import key_html, spacetime_key, verdict_html
from .kept_axes import KeptAxesExplorer, RunCache, TickArtists, round_limits, ticks_as_data_key

__all__ = ["DETECTION_TIMEOUTS", "FAILOVER_TIMES", "NO_FAILOVER", "PAUSE", "SingleLeaderExplorer"]

#: The failover control's value for "no failover".
NO_FAILOVER = "none"
#: Failover times offered by the control (ms).
FAILOVER_TIMES = (150.0, 250.0, 350.0)
#: The failover control's value for a leader that only pauses: it stops at 250 ms and is back at 330 ms.
PAUSE = "pause"
#: When the pause starts and how long it lasts (ms).
PAUSE_AT, PAUSE_MS = 250.0, 80.0
#: The failover timeouts offered (ms): ``detection_timeout`` of the run.
DETECTION_TIMEOUTS = (20.0, 60.0, 120.0)


class SingleLeaderExplorer(KeptAxesExplorer):
    """Single-leader replication: mode, followers, delay, read routing and a failover.

    Controls: ``mode`` (``sync``, ``semi-sync``, ``async``), ``followers``
    (1..5), ``replication_delay`` (mean one-way delay, ms), ``read_from``
    (``leader``, ``any``, ``sticky``, ``read-your-writes``), ``failover_at``
    (when the leader crashes, or ``"none"``; ``update(failover_at=None)``
    also means no failover; or ``"pause"``: the leader stops at 250 ms and
    comes back 80 ms later by itself), ``detection_timeout`` (the failover
    timeout: 20, 60 or 120 ms; a pause longer than it causes an unnecessary
    failover) and ``seed``.

    The figure shows a space-time diagram of the interesting part of the
    run (around the failover, or its beginning) and the replication lag of
    every follower over the whole run (what each panel shows, and the key
    of its symbols and colours, is in the caption above the figure); the
    table shows the run's metrics (:func:`replnb.single_leader.simulate`).

    Examples
    --------
    The default run (asynchronous, leader crash at 250 ms) loses
    acknowledged writes:

    >>> ex = SingleLeaderExplorer()
    >>> int(ex.update().metrics["lost_writes"]) > 0
    True
    >>> run = ex.update(mode="sync", failover_at=None)
    >>> int(run.metrics["lost_writes"]), run.params["failover_at"] is None
    (0, True)
    """

    title = "Single-leader explorer: replication mode, read routing and failover"
    figsize = (9.0, 5.0)
    #: Clients start operations for this long (ms).
    duration = 500.0
    #: Failover times offered by the control (ms).
    failover_times = FAILOVER_TIMES
    specs: ClassVar[tuple[Control, ...]] = (
        Control("mode", Choice(MODES), "mode", toggle=True),
        Control("followers", Int(1, 5), "followers"),
        Control("replication_delay", Int(1, 200, unit="ms"), "replication delay (ms)"),
        Control("read_from", Choice(READ_FROM), "read from"),
        Control(
            "failover_at",
            Choice((NO_FAILOVER, *FAILOVER_TIMES, PAUSE), none=True),
            "leader crash",
            labels=[("no failover", NO_FAILOVER)]
            + [(f"at {t:g} ms", t) for t in FAILOVER_TIMES]
            + [(f"pause {PAUSE_MS:g} ms at {PAUSE_AT:g}", PAUSE)],
        ),
        Control(
            "detection_timeout",
            Choice(DETECTION_TIMEOUTS),
            "failover timeout",
            labels=[(f"{t:g} ms", t) for t in DETECTION_TIMEOUTS],
        ),
        Control("seed", Int(0, 99), "seed"),
    )

    def __init__(
        self,
        *,
        mode: str = "async",
        followers: int = 2,
        replication_delay: int = 40,
        read_from: str = "leader",
        failover_at: float | str | None = 250.0,
        detection_timeout: float = 60.0,
        seed: int = 0,
    ) -> None:
        #: Fixed workload parameters of :func:`replnb.single_leader.simulate`.
        self.workload: dict[str, Any] = {
            "clients": 3,
            "keys": 6,
            "think_time": 10.0,
        }
        values = {
            "mode": mode,
            "followers": followers,
            "replication_delay": replication_delay,
            "read_from": read_from,
            "failover_at": NO_FAILOVER if failover_at is None else failover_at,
            "detection_timeout": detection_timeout,
            "seed": seed,
        }
        controls = make_controls(self.specs, values)
        super().__init__(controls, columns=3)
        controls["mode"].style.button_width = "90px"
        self._runs = RunCache()

    def update(self, **params: Any) -> Run:
        """Set controls (``failover_at=None`` means no failover), run, redraw; return the Run."""
        if "failover_at" in params and params["failover_at"] is None:
            params["failover_at"] = NO_FAILOVER
        return super().update(**params)

    def simulate(self, **params: Any) -> Run:
        """The run of these control values (the last few are kept: a move back costs no run)."""
        key = (tuple(sorted(params.items())), tuple(sorted(self.workload.items())), self.duration)
        return self._runs.get(key, lambda: self._simulate(params))

    def _simulate(self, params: Mapping[str, Any]) -> Run:
        failover = params["failover_at"]
        pause = failover == PAUSE
        return simulate(
            mode=params["mode"],
            followers=params["followers"],
            replication_delay=float(params["replication_delay"]),
            read_from=params["read_from"],
            failover_at=None if failover in (NO_FAILOVER, PAUSE) else float(failover),
            crashes=[("A", PAUSE_AT, PAUSE_AT + PAUSE_MS)] if pause else None,
            detection_timeout=float(params["detection_timeout"]),
            duration=self.duration,
            seed=params["seed"],
            **self.workload,
        )

    def window(self, run: Run) -> tuple[float, float]:
        """The time window (ms) of the space-time diagram."""
        failover = run.params["failover_at"]
        if failover is None and "crashes" in run.params:
            failover = PAUSE_AT
        if failover is None:
            return 0.0, 150.0
        detect = float(run.params["detection_timeout"])
        return max(0.0, failover - 50.0), min(failover + detect + 110.0, run.end_time)

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:

        top = figure.add_axes((0.075, 0.5, 0.91, 0.47))
        bottom = figure.add_axes((0.075, 0.085, 0.91, 0.3))
        # The ticks are drawn as data (few tick labels: each drawn text costs time), so that the
        # background (spines and axis labels, at fixed places) is the same for every run.
        self._ticks = (
            TickArtists(top, MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]), y_grid=False),
            TickArtists(
                bottom,
                MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]),
                y_grid=True,
                y_locator=MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]),
            ),
        )
        top.xaxis.set_label_coords(0.5, -0.1155)
        bottom.xaxis.set_label_coords(0.5, -0.182)
        bottom.yaxis.set_label_coords(-0.046, 0.5)
        return top, bottom

    def background_key(self) -> tuple[Any, ...]:
        """What the background's pixels depend on: no limits, since no axis draws a tick
        (:class:`~replnb.widgets.kept_axes.TickArtists`) and the axis labels have fixed places."""
        return ticks_as_data_key(self.figure)

    def draw(self, run: Run, figure: Figure) -> None:

        since, until = self.window(run)
        top, bottom = self.axes_for(figure)
        verdict = self.verdict(run)
        plot_failover(
            run, ax=top, since=since, until=until, labels=False, title=None, legend=False, check=verdict
        )
        plot_replication_lag(run, ax=bottom, title=None, legend=False)
        lag_ticks = self._ticks[1]
        bottom.xaxis.set_major_locator(lag_ticks.x_locator)  # round_limits rounds to these ticks
        bottom.yaxis.set_major_locator(lag_ticks.y_locator)
        round_limits(bottom)
        # The lag panel ends where the run ends (rounded up to 10 ms).
        bottom.set_xlim(0.0, 10.0 * math.ceil(run.end_time / 10.0))
        for ticks in self._ticks:
            ticks.draw()

    def caption_html(self, run: Run) -> str:

        since, until = self.window(run)
        followers = sorted(run.extras["lag"]["follower"].unique())  # plot_replication_lag's colours
        lag_key = [("━", PALETTE[i % len(PALETTE)], f"lag of {f}") for i, f in enumerate(followers)]
        key = spacetime_key(run)
        lost = ("✖", COLORS["lost"], "lost write")
        if lost not in key:  # the lesson asks whether writes are lost: always say how one looks
            key.insert(1, lost)
        if run.params["failover_at"] is not None or "crashes" in run.params:
            key.append(("◆", COLORS["highlight"], "leadership change"))
        verdict = self.verdict(run)
        if verdict.failures:
            key.append(("◯", COLORS["highlight"], "no legal order (linearizability witness)"))
        return (
            f"<b>Top:</b> space-time diagram, {since:g}–{until:g} ms. "
            "<b>Bottom:</b> replication lag of each follower (whole run; dashed lines: crash, promotion)."
            + key_html(key + lag_key)
            + verdict_html(verdict)
        )

    def summarize(self, run: Run) -> pd.DataFrame:
        m = run.metrics
        causes = f"{m['lost_failover']} / {m['lost_older_write_won']} / {m['lost_concurrent']}"
        row = {
            "acked writes": m["writes_acked"],
            "lost writes": m["lost_writes"],
            "lost: failover / older write won / concurrent": causes,
            "stale reads": f"{m['stale_reads']} of {m['reads']}",
            "RYW violations": m["ryw_violations"],
            "monotonic violations": m["monotonic_violations"],
            "conflicts": m["conflicts"],
            "linearizable": {True: "yes", False: "no", None: "unknown"}[self.verdict(run).linearizable],
            "convergence time (ms)": round(float(m["convergence_time"]), 1),
            "write p50 / p99 (ms)": f"{m['write_latency_p50_ms']:.0f} / {m['write_latency_p99_ms']:.0f}",
            "mean lag (ms)": round(float(m["lag_mean_ms"]), 1),
            "writes unavailable (ms)": round(float(m["write_unavailable_ms"]), 1),
        }
        return pd.DataFrame([row], index=["this run"])
