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

import io
from collections.abc import Mapping
from typing import Any, ClassVar

import ipywidgets as widgets
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from .plots import STYLE
from .records import Run

__all__ = ["Explorer"]


class Explorer:
    """Base class of the course's explorers.

    Subclasses define :meth:`simulate` (parameters to a Run) and
    :meth:`draw` (a Run onto the explorer's figure), and pass their controls
    to ``__init__``. Displaying the explorer in a notebook shows its widget.
    """

    title = "Explorer"
    figsize: tuple[float, float] = (9.0, 4.0)
    #: False: the figure is cleared before every :meth:`draw`. True: :meth:`draw`
    #: keeps its axes between updates and only replaces their data, which spares
    #: matplotlib rebuilding ticks, labels and layout on every slider move.
    keep_axes: ClassVar[bool] = False

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], *, columns: int = 3) -> None:
        self.controls = dict(controls)
        self.run: Run | None = None
        self._busy = False
        with _style():
            self.figure = Figure(figsize=self.figsize, dpi=STYLE["figure.dpi"], layout="constrained")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.output = widgets.Box([self.image])
        self.output.add_class("replnb-output")
        self.summary = widgets.HTML()
        self.caption = widgets.HTML()
        for control in self.controls.values():
            control.style = {"description_width": "initial"}
            control.observe(self._on_change, names="value")
        grid = widgets.GridBox(
            list(self.controls.values()),
            layout=widgets.Layout(
                grid_template_columns=f"repeat({columns}, minmax(0, 1fr))", grid_gap="4px 16px"
            ),
        )
        self.widget = widgets.VBox(
            [widgets.HTML(f"<h3>{self.title}</h3>"), grid, self.caption, self.output, self.summary]
        )
        self.widget.add_class("replnb-explorer")

    # -- to override ----------------------------------------------------------
    def simulate(self, **params: Any) -> Run:
        """Run the model for these control values."""
        raise NotImplementedError

    def draw(self, run: Run, figure: Figure) -> None:
        """Draw ``run`` on ``figure`` (cleared first unless :attr:`keep_axes`)."""
        raise NotImplementedError

    def caption_html(self, run: Run) -> str:
        """HTML shown above the figure (default: none)."""
        return ""

    def summarize(self, run: Run) -> pd.DataFrame | pd.Series:
        """The table shown under the figure (default: the run's metrics)."""
        return run.metrics

    def constrain(self) -> None:
        """Tie control bounds together (called before every run)."""

    # -- machinery ------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """The current control values."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **params: Any) -> Run:
        """Set controls to ``params`` (others keep their values), run, redraw; return the Run."""
        unknown = sorted(set(params) - set(self.controls))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; the controls are {sorted(self.controls)}")
        self._busy = True
        try:
            for name, value in params.items():
                self.controls[name].value = value
                self.constrain()
            self.constrain()
        finally:
            self._busy = False
        return self.refresh()

    def refresh(self) -> Run:
        """Run the model on the current control values and redraw."""
        run = self.simulate(**self.params())
        self.run = run
        self.render(run)
        return run

    def render(self, run: Run) -> bytes:
        """Draw ``run`` and put the PNG in the image widget; returns the PNG."""
        if not self.keep_axes:
            self.figure.clear()
        with _style():
            self.draw(run, self.figure)
            png = self.png()
        self.image.value = png
        self.caption.value = self.caption_html(run)
        self.summary.value = _table_html(self.summarize(run))
        return png

    def png(self) -> bytes:
        """The figure, as drawn, encoded as PNG."""
        return figure_png(self.figure)

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self.constrain()
        finally:
            self._busy = False
        self.refresh()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self.run is None:
            self.refresh()
        display(self.widget)


def figure_png(figure: Figure) -> bytes:
    """Render ``figure`` once with Agg and encode it as a fast-compressed PNG.

    ``Figure.savefig`` lays a figure with a layout engine out in a dry run
    before drawing it for real, and compresses hard; for an explorer that
    redraws on every slider move, one draw and light compression are about
    twice as fast and give the same pixels.

    Examples
    --------
    >>> fig = Figure(figsize=(2, 1), dpi=50)
    >>> _ = fig.add_subplot().plot([0, 1])
    >>> figure_png(fig)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return _encode(canvas)


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's pixels as an opaque (RGB) PNG, compressed for speed."""
    size = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1)
    return buf.getvalue()


def _style() -> Any:
    import matplotlib.pyplot as plt

    return plt.rc_context(STYLE)


def _table_html(table: pd.DataFrame | pd.Series) -> str:
    if isinstance(table, pd.Series):
        table = table.to_frame()
    styled = table.to_html(float_format=lambda v: f"{v:,.3g}", border=0, classes="replnb-summary")
    return f"<div style='overflow-x:auto;font-size:90%'>{styled}</div>"
# ---- chapter 1: single leader ------------------------------------------------
__all__ += ["SingleLeaderExplorer"]

#: The failover control's value for "no failover".
NO_FAILOVER = "none"


class _KeptAxesExplorer(Explorer):
    """An explorer whose figure has a fixed layout and keeps its axes between updates.

    The first render creates the axes (:meth:`make_axes`, placed with
    ``figure.add_axes``, no layout engine); later renders remove only the
    data artists and reset the limits, so ticks, labels and axes are not
    rebuilt on every slider move. A caption (HTML above the figure) replaces
    in-figure titles and legends, which cost a glyph rendering each.

    Rendering is split in two layers, as in matplotlib's blitting recipe: the
    *background* (everything but the data: axes, ticks, tick labels, axis
    labels, titles, colour bars) and the *data* (the lines, collections,
    patches, texts, images and legends of the kept axes). A background is
    drawn once and kept as pixels under its :meth:`background_key` (the last
    :attr:`backgrounds` of them); a render whose key is known restores those
    pixels and draws only the data.
    Every render, first or not, paints the background first and the data
    over it, so an explorer moved to some parameters shows the same pixels as
    a fresh one built with them.
    """

    keep_axes = True
    #: How many backgrounds (about 1.3 MB of pixels each) are kept.
    backgrounds: ClassVar[int] = 8

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], *, columns: int = 3) -> None:
        super().__init__(controls, columns=columns)
        self.figure.set_layout_engine("none")
        self._kept_axes: tuple[Any, ...] = ()
        self._canvas = FigureCanvasAgg(self.figure)
        self._backgrounds: dict[tuple[Any, ...], Any] = {}

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:
        """Create the axes whose data is replaced on every update (once per figure)."""
        raise NotImplementedError

    def axes_for(self, figure: Figure) -> tuple[Any, ...]:
        """The figure's axes, emptied of data: created on first use, reused afterwards."""
        if self._kept_axes and all(ax.figure is figure and ax in figure.axes for ax in self._kept_axes):
            for ax in self._kept_axes:
                for artist in _data_artists(ax):
                    artist.remove()
                ax.containers.clear()  # bar containers would hold the removed bars
                ax.relim()
                ax.set_autoscale_on(True)
            return self._kept_axes
        figure.clear()
        figure.set_layout_engine("none")
        self._backgrounds.clear()
        self._kept_axes = self.make_axes(figure)
        return self._kept_axes

    def background_key(self) -> tuple[Any, ...]:
        """What the background's pixels depend on: for every axes of the figure, its
        position, limits, scales, ticks and their labels, titles and axis labels.

        A subclass whose :meth:`draw` changes anything else that is not data
        (a spine's colour, say) between updates must add it here.
        """
        key: list[Any] = [self.figure.bbox.bounds, tuple(t.get_text() for t in self.figure.texts)]
        for ax in self.figure.axes:
            key += [ax.get_position().bounds, ax.get_visible(), ax.axison]
            key += [ax.get_title(loc) for loc in ("left", "center", "right")]
            for axis in (ax.xaxis, ax.yaxis):
                key += [tuple(axis.get_view_interval()), axis.get_scale(), axis.get_label_text()]
                for locator, formatter in (
                    (axis.get_major_locator(), axis.get_major_formatter()),
                    (axis.get_minor_locator(), axis.get_minor_formatter()),
                ):
                    locs = list(locator())
                    key += [tuple(locs), tuple(formatter.format_ticks(locs))]
        return tuple(key)

    def png(self) -> bytes:
        """The background (restored from pixels when unchanged), then the data over it."""
        canvas = self._canvas
        if self.figure.canvas is not canvas:  # someone drew the figure elsewhere
            self.figure.set_canvas(canvas)
            self._backgrounds.clear()
        data = [_data_artists(ax) for ax in self._kept_axes]
        key = self.background_key()
        background = self._backgrounds.pop(key, None)
        if background is None:
            shown = [a for artists in data for a in artists if a.get_visible()]
            for artist in shown:
                artist.set_visible(False)
            try:
                canvas.draw()
            finally:
                for artist in shown:
                    artist.set_visible(True)
            background = canvas.copy_from_bbox(self.figure.bbox)
            while len(self._backgrounds) >= self.backgrounds:
                del self._backgrounds[next(iter(self._backgrounds))]  # the least recently used
        else:
            canvas.restore_region(background)
        self._backgrounds[key] = background
        renderer = canvas.get_renderer()
        for artists in data:
            for artist in sorted(artists, key=lambda a: a.get_zorder()):
                artist.draw(renderer)
        return _encode(canvas)


def _data_artists(ax: Any) -> list[Any]:
    """The artists of ``ax`` that an update replaces (its legend included)."""
    artists = [*ax.collections, *ax.patches, *ax.lines, *ax.texts, *ax.images]
    legend = ax.get_legend()
    return artists if legend is None else [*artists, legend]


def _round_limits(ax: Any) -> None:
    """Widen the data limits of ``ax`` (from 0) to its tick locators' next round numbers.

    Limits that move less often keep an explorer's background (its ticks and
    their labels) the same across more slider moves.
    """
    from .plots import round_up

    for axis, set_lim in ((ax.xaxis, ax.set_xlim), (ax.yaxis, ax.set_ylim)):
        set_lim(0.0, round_up(axis, max(float(axis.get_data_interval()[1]), 1.0)))


def _spacetime_key(run: Run) -> list[tuple[str, str, str]]:
    """The key of :func:`replnb.plots.plot_spacetime`'s symbols that occur in ``run``."""
    from .plots import COLORS

    ops, msgs = run.ops, run.messages
    kinds = set(ops["kind"]) if len(ops) else set()
    key = [("●", COLORS["write"], "acknowledged write")]
    if "write" in kinds and not ops.loc[ops["kind"] == "write", "ok"].astype(bool).all():
        key.append(("○", COLORS["write"], "unacknowledged write"))
    if "lost" in ops and ops["lost"].fillna(False).astype(bool).any():
        key.append(("✖", COLORS["lost"], "lost write"))
    key.append(("→", COLORS["message"], "message"))
    if len(msgs) and msgs["delivered"].isna().any():
        key.append(("┈×", COLORS["dropped"], "dropped message"))
    if "read" in kinds:
        key.append(("▲", COLORS["read"], "read"))
        if "stale" in ops:
            key.append(("▲", COLORS["stale"], "stale read"))
    if len(run.events) and (run.events["event"] == "crash").any():
        key.append(("▬", COLORS["down"], "node down"))
    return key


def _key_html(items: list[tuple[str, str, str]]) -> str:
    """A one-line legend: ``(symbol, colour, meaning)`` items as coloured HTML."""
    parts = [
        f"<span style='white-space:nowrap'><span style='color:{color};font-weight:bold'>{symbol}</span>"
        f"&nbsp;{meaning}</span>"
        for symbol, color, meaning in items
    ]
    return "<div style='font-size:85%;line-height:1.5'>" + " &nbsp; ".join(parts) + "</div>"


class SingleLeaderExplorer(_KeptAxesExplorer):
    """Single-leader replication: mode, followers, delay, read routing and a failover.

    Controls: ``mode`` (``sync``, ``semi-sync``, ``async``), ``followers``
    (1..5), ``replication_delay`` (mean one-way delay, ms), ``read_from``
    (``leader``, ``any``, ``sticky``, ``read-your-writes``), ``failover_at``
    (when the leader crashes, or ``"none"``; ``update(failover_at=None)``
    also means no failover) and ``seed``.

    The figure shows a space-time diagram of the interesting part of the
    run (around the failover, or its beginning) and the replication lag of
    every follower over the whole run (what each panel shows, and the key
    of its symbols and colours, is in the caption above the figure); the
    table shows the run's metrics (:func:`replnb.single_leader.simulate`).

    Examples
    --------
    >>> ex = SingleLeaderExplorer()
    >>> run = ex.update(mode="sync", failover_at=None)
    >>> int(run.metrics["lost_writes"]), run.params["failover_at"] is None
    (0, True)
    """

    title = "Single-leader explorer: replication mode, read routing and failover"
    figsize = (9.0, 5.0)
    #: Clients start operations for this long (ms).
    duration = 500.0
    #: Failover times offered by the control (ms).
    failover_times = (150.0, 250.0, 350.0)
    def __init__(
        self,
        *,
        mode: str = "async",
        followers: int = 2,
        replication_delay: int = 20,
        read_from: str = "leader",
        failover_at: float | None = 250.0,
        seed: int = 0,
    ) -> None:
        from .single_leader import MODES, READ_FROM

        if mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
        if isinstance(followers, bool) or not isinstance(followers, int) or not 1 <= followers <= 5:
            raise ValueError(f"followers must be an integer in 1..5, got {followers!r}")
        if isinstance(replication_delay, bool) or not isinstance(replication_delay, int):
            raise ValueError(f"replication_delay must be an integer in 1..200 ms, got {replication_delay!r}")
        if not 1 <= replication_delay <= 200:
            raise ValueError(f"replication_delay must be an integer in 1..200 ms, got {replication_delay!r}")
        if read_from not in READ_FROM:
            raise ValueError(f"read_from must be one of {list(READ_FROM)}, got {read_from!r}")
        if failover_at is not None and failover_at not in self.failover_times:
            raise ValueError(
                f"failover_at must be None or one of {list(self.failover_times)}, got {failover_at!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 99:
            raise ValueError(f"seed must be an integer in 0..99, got {seed!r}")
        #: Fixed workload parameters of :func:`replnb.single_leader.simulate`.
        self.workload: dict[str, Any] = {
            "clients": 3,
            "keys": 6,
            "think_time": 10.0,
            "detection_timeout": 60.0,
        }
        failover_options = [("no failover", NO_FAILOVER)] + [(f"at {t:g} ms", t) for t in self.failover_times]
        controls = {
            "mode": widgets.ToggleButtons(options=list(MODES), value=mode, description="mode"),
            "followers": widgets.IntSlider(
                value=followers, min=1, max=5, description="followers", continuous_update=False
            ),
            "replication_delay": widgets.IntSlider(
                value=replication_delay,
                min=1,
                max=200,
                description="replication delay (ms)",
                continuous_update=False,
            ),
            "read_from": widgets.Dropdown(options=list(READ_FROM), value=read_from, description="read from"),
            "failover_at": widgets.Dropdown(
                options=failover_options,
                value=NO_FAILOVER if failover_at is None else failover_at,
                description="leader crash",
            ),
            "seed": widgets.IntSlider(value=seed, min=0, max=99, description="seed", continuous_update=False),
        }
        super().__init__(controls, columns=3)
        controls["mode"].style.button_width = "90px"

    def update(self, **params: Any) -> Run:
        """Set controls (``failover_at=None`` means no failover), run, redraw; return the Run."""
        if "failover_at" in params and params["failover_at"] is None:
            params["failover_at"] = NO_FAILOVER
        return super().update(**params)

    def simulate(self, **params: Any) -> Run:
        from .single_leader import simulate

        failover = params["failover_at"]
        return simulate(
            mode=params["mode"],
            followers=params["followers"],
            replication_delay=float(params["replication_delay"]),
            read_from=params["read_from"],
            failover_at=None if failover == NO_FAILOVER else float(failover),
            duration=self.duration,
            seed=params["seed"],
            **self.workload,
        )

    def window(self, run: Run) -> tuple[float, float]:
        """The time window (ms) of the space-time diagram."""
        failover = run.params["failover_at"]
        if failover is None:
            return 0.0, 150.0
        detect = float(run.params["detection_timeout"])
        return max(0.0, failover - 50.0), failover + detect + 110.0

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:
        from matplotlib.ticker import MaxNLocator

        top = figure.add_axes((0.075, 0.5, 0.91, 0.47))
        bottom = figure.add_axes((0.075, 0.085, 0.91, 0.3))
        for ax in (top, bottom):  # few tick labels: each drawn text costs time
            ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        bottom.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
        return top, bottom

    def draw(self, run: Run, figure: Figure) -> None:
        from .plots import plot_failover, plot_replication_lag

        since, until = self.window(run)
        top, bottom = self.axes_for(figure)
        plot_failover(run, ax=top, since=since, until=until, labels=False, title=None, legend=False)
        plot_replication_lag(run, ax=bottom, title=None, legend=False)
        _round_limits(bottom)

    def caption_html(self, run: Run) -> str:
        from .plots import COLORS, PALETTE

        since, until = self.window(run)
        followers = sorted(run.extras["lag"]["follower"].unique())  # plot_replication_lag's colours
        lag_key = [("━", PALETTE[i % len(PALETTE)], f"lag of {f}") for i, f in enumerate(followers)]
        key = _spacetime_key(run)
        lost = ("✖", COLORS["lost"], "lost write")
        if lost not in key:  # the lesson asks whether writes are lost: always say how one looks
            key.insert(1, lost)
        if run.params["failover_at"] is not None:
            key.append(("◆", COLORS["highlight"], "leadership change"))
        return (
            f"<b>Top:</b> space-time diagram, {since:g}–{until:g} ms. "
            "<b>Bottom:</b> replication lag of each follower (whole run; dashed lines: crash, promotion)."
            + _key_html(key + lag_key)
        )

    def summarize(self, run: Run) -> pd.DataFrame:
        m = run.metrics
        row = {
            "acked writes": m["writes_acked"],
            "lost writes": m["lost_writes"],
            "acked, missing on leader": m["acked_missing"],
            "stale reads": f"{m['stale_reads']} of {m['reads']}",
            "RYW violations": m["ryw_violations"],
            "monotonic violations": m["monotonic_violations"],
            "write p50 / p99 (ms)": f"{m['write_latency_p50_ms']:.0f} / {m['write_latency_p99_ms']:.0f}",
            "mean lag (ms)": round(float(m["lag_mean_ms"]), 1),
            "writes unavailable (ms)": round(float(m["write_unavailable_ms"]), 1),
        }
        return pd.DataFrame([row], index=["this run"])


# ---- end of chapter 1 ----------------------------------------------------------


# ---- chapter 2: multi-leader conflicts ---------------------------------------
__all__ += ["ConflictExplorer"]


class ConflictExplorer(_KeptAxesExplorer):
    """Multi-leader conflicts: what avoidance, last-write-wins and merges lose.

    Controls: ``strategy`` (a name of :data:`replnb.multi_leader.STRATEGIES`),
    ``clock_skew`` (0..200 ms), ``leaders`` (2..8), ``write_rate`` (writes per
    second per leader) and ``relocation_rate`` (relocations per second per
    key, for avoidance).

    Every strategy runs on the same random workload. The figure shows a
    space-time diagram of the chosen strategy's run around its first lost
    write (red cross) or first conflict, and the number of distinct states
    across the replicas over time (the caption above the figure says what
    each panel shows and keys its symbols); the table under it gives the lost writes,
    conflicts and resurrections of every strategy (the chosen one first).

    Examples
    --------
    >>> ex = ConflictExplorer()
    >>> run = ex.update(strategy="last-write-wins", clock_skew=0)
    >>> int(run.metrics["lost_writes"])
    0
    >>> sorted(run.extras["comparison"].columns)
    ['conflicts', 'lost_writes', 'resurrections']
    """

    title = "Conflict explorer: what each strategy loses"
    figsize = (9.0, 4.8)
    #: Writes are issued for this long (ms).
    duration = 300.0
    #: Keys (registers or carts) in the workload.
    keys = 2
    #: At most this many messages in the space-time diagram.
    max_messages = 8

    def __init__(
        self,
        *,
        strategy: str = "last-write-wins",
        clock_skew: int = 100,
        leaders: int = 2,
        write_rate: float = 30.0,
        relocation_rate: float = 0.0,
        seed: int = 4,
    ) -> None:
        from .multi_leader import STRATEGIES

        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}")
        if not 0 <= clock_skew <= 200:
            raise ValueError(f"clock_skew must be in 0..200 ms, got {clock_skew!r}")
        if isinstance(leaders, bool) or not isinstance(leaders, int) or not 2 <= leaders <= 8:
            raise ValueError(f"leaders must be an integer in 2..8, got {leaders!r}")
        if not 5 <= write_rate <= 60:
            raise ValueError(f"write_rate must be in 5..60 writes per second per leader, got {write_rate!r}")
        if not 0 <= relocation_rate <= 20:
            raise ValueError(f"relocation_rate must be in 0..20 per second per key, got {relocation_rate!r}")
        self.seed = seed
        controls = {
            "strategy": widgets.Dropdown(options=list(STRATEGIES), value=strategy, description="strategy"),
            "clock_skew": widgets.IntSlider(
                value=int(clock_skew),
                min=0,
                max=200,
                step=10,
                description="clock skew (ms)",
                continuous_update=False,
            ),
            "leaders": widgets.IntSlider(
                value=leaders, min=2, max=8, description="leaders", continuous_update=False
            ),
            "write_rate": widgets.FloatSlider(
                value=float(write_rate),
                min=5.0,
                max=60.0,
                step=5.0,
                description="writes/s per leader",
                continuous_update=False,
            ),
            "relocation_rate": widgets.FloatSlider(
                value=float(relocation_rate),
                min=0.0,
                max=20.0,
                step=1.0,
                description="relocations/s per key",
                continuous_update=False,
            ),
        }
        super().__init__(controls, columns=3)
        self._part: tuple[Run, Run] | None = None  # the last run drawn and its clipped view

    def simulate(self, **params: Any) -> Run:
        from .multi_leader import _compare

        common = {
            "leaders": int(params["leaders"]),
            "clock_skew": float(params["clock_skew"]),
            "write_rate": float(params["write_rate"]),
            "relocation_rate": float(params["relocation_rate"]),
            "duration": self.duration,
            "keys": self.keys,
            "seed": self.seed,
        }
        table, runs = _compare(None, ("lost_writes", "conflicts", "resurrections"), common)
        run = runs[params["strategy"]]
        run.extras["comparison"] = table
        run.extras["strategy"] = params["strategy"]
        return run

    def window(self, run: Run) -> tuple[float, float]:
        """The time window (ms) of the space-time diagram.

        It holds the writes to the same key that began nearest the run's focus
        (its first lost write, else its first conflict): at least two, and as
        many more as keep the diagram under :attr:`max_messages` messages.
        """
        from .multi_leader import focus

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
        from matplotlib.ticker import MaxNLocator

        top = figure.add_axes((0.075, 0.5, 0.91, 0.47))
        bottom = figure.add_axes((0.075, 0.095, 0.91, 0.28))
        # few tick labels: each drawn text costs time
        top.xaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
        bottom.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        return top, bottom

    def _view(self, run: Run) -> tuple[Run, float, float]:
        """The clipped run of the space-time diagram and its x limits (ms)."""
        from .multi_leader import clip

        start, end = self.window(run)
        part = clip(run, start, end, message_labels=False)
        arrivals = [float(m["delivered"]) for m in part.recorder.messages]
        delivered = [t for t in arrivals if t == t]  # NaN: dropped
        return part, start - 5.0, max([end, *delivered]) + 5.0

    def draw(self, run: Run, figure: Figure) -> None:
        from .plots import _spacetime, plot_divergence

        part, left, right = self._view(run)
        self._part = (run, part)
        starts = sorted(float(r["start"]) for r in part.recorder.ops)
        gaps = [starts[i + 1] - starts[i] for i in range(len(starts) - 1)]
        readable = min(gaps, default=1e9) >= 0.12 * (right - left)
        top, bottom = self.axes_for(figure)
        # plot_spacetime without its legend: the key is in the caption
        _spacetime(part, ax=top, labels=readable, title=None, legend=False)
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
            " (whole run)."
            + _key_html([*_spacetime_key(part), ("▮", "#CC79A7", "time span of the diagram")])
        )

    def summarize(self, run: Run) -> pd.DataFrame:
        table = run.extras["comparison"].rename(columns=lambda c: c.replace("_", " "))
        chosen = run.extras["strategy"]
        order = [chosen] + [name for name in table.index if name != chosen]
        table = table.loc[order]
        table.index = [f"▶ {name}" if name == chosen else name for name in order]
        table.index.name = "strategy (same workload)"
        return table


# ---- end of chapter 2 ----------------------------------------------------------


# ---- chapter 3: multi-leader topologies --------------------------------------
__all__ += ["TopologyExplorer"]

#: The failed-leader control's value for "no failed leader".
NO_FAILURE = "none"


class TopologyExplorer(_KeptAxesExplorer):
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
        from .network import node_names
        from .topology import KINDS

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
        from .network import node_names

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
            from .network import node_names

            leaders = params.get("leaders", self.controls["leaders"].value)
            names = node_names(leaders) if isinstance(leaders, int) and 3 <= leaders <= 10 else []
            if params["failed"] != NO_FAILURE and params["failed"] not in names:
                raise ValueError(
                    f"failed must be None, {NO_FAILURE!r} or one of {names}, got {params['failed']!r}"
                )
        return super().update(**params)

    def simulate(self, **params: Any) -> Run:
        from .multi_leader import simulate

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
        import matplotlib.pyplot as plt

        from .plots import _EDGE_CMAP

        left = figure.add_axes((0.01, 0.2, 0.45, 0.77))
        cax = figure.add_axes((0.07, 0.11, 0.33, 0.03))
        right = figure.add_axes((0.58, 0.13, 0.41, 0.84))
        self._edges = plt.cm.ScalarMappable(norm=plt.Normalize(0.0, 1.0), cmap=_EDGE_CMAP)
        bar = figure.colorbar(self._edges, cax=cax, orientation="horizontal")
        bar.set_label("messages on the link", fontsize=9)
        bar.locator = plt.MaxNLocator(4, integer=True)
        cax.tick_params(labelsize=8)
        right.yaxis.set_major_locator(plt.MaxNLocator(5))  # fewer tick labels to draw
        return left, right

    def draw(self, run: Run, figure: Figure) -> None:
        from .plots import _edge_norm, plot_delivery, plot_topology
        from .topology import first_write, message_counts

        left, right = self.axes_for(figure)
        op_id = first_write(run)
        counts = message_counts(run)
        norm = _edge_norm(counts, [e for e, c in counts.items() if c > 0])
        self._edges.set_clim(norm.vmin, norm.vmax)
        plot_topology(run, ax=left, op_id=op_id, edge_counts=counts, colorbar=False, title="", legend=False)
        plot_delivery(run, ax=right, op_id=op_id, title=None)

    def caption_html(self, run: Run) -> str:
        from .plots import COLORS, _write_caption
        from .topology import first_write

        write = _write_caption(run, first_write(run))
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
            + _key_html(key)
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


# ---- end of chapter 3 ----------------------------------------------------------


# ---- chapter 4: leaderless quorums -------------------------------------------
__all__ += ["QuorumExplorer"]


class QuorumExplorer(_KeptAxesExplorer):
    """N, R and W of a leaderless store: staleness (PBS), the (R, W) grid and a simulated run.

    Controls: ``n`` (replicas, 1..9), ``r`` and ``w`` (quorum sizes, at most
    ``n``), ``r_level`` and ``w_level`` (Cassandra's consistency levels
    ``ONE``, ``QUORUM``, ``ALL`` set the sliders; ``custom`` when a slider
    matches none), ``latency`` (a PBS preset), ``failed`` (home replicas of
    the key that crash for the middle of the run, at most ``n``), ``sloppy``
    (sloppy quorum with hinted handoff) and ``read_repair``. A preset level
    sticks when N changes: with ``QUORUM``, R follows N.

    The figure shows the PBS t-visibility curve
    (:func:`replnb.pbs.t_visibility`, ``trials`` trials) with the closed form
    at ``t = 0``, the closed-form stale-read grid over (R, W) for this N, and
    the simulated run (:func:`replnb.leaderless.simulate`, one key, N + 2
    nodes): replicas behind over time, stale reads and failed writes.

    Examples
    --------
    >>> ex = QuorumExplorer()
    >>> run = ex.update(n=5, r_level="QUORUM", w_level="QUORUM")
    >>> ex.controls["r"].value, ex.controls["w"].value, ex.controls["r"].max
    (3, 3, 5)
    >>> int(run.metrics["stale_reads"])
    0
    """

    title = "Quorum explorer: N, R, W and stale reads"
    figsize = (9.0, 5.8)
    #: Trials of the PBS Monte Carlo per curve.
    trials = 20_000
    #: Failed nodes are down from and until these fractions of the duration.
    failure_window = (0.2, 0.6)

    def __init__(
        self, *, n: int = 3, r: int = 2, w: int = 2, latency: str = "LNKD-DISK", seed: int = 0
    ) -> None:
        from .latency import PRESETS
        from .leaderless import CONSISTENCY_LEVELS, level_name

        if not isinstance(n, int) or not 1 <= n <= 9:
            raise ValueError(f"n must be an integer in 1..9, got {n!r}")
        for name, value in (("r", r), ("w", w)):
            if not isinstance(value, int) or not 1 <= value <= n:
                raise ValueError(f"{name} must be an integer in 1..n={n}, got {value!r}")
        if latency not in PRESETS:
            raise ValueError(f"latency preset must be one of {sorted(PRESETS)}, got {latency!r}")
        self.seed = seed
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
        levels = [*CONSISTENCY_LEVELS, "custom"]
        slider = {"continuous_update": False, "min": 1, "max": n}
        controls = {
            "n": widgets.IntSlider(value=n, description="N (replicas)", **{**slider, "max": 9}),
            "latency": widgets.Dropdown(options=sorted(PRESETS), value=latency, description="latency"),
            "failed": widgets.IntSlider(value=0, description="failed nodes", **{**slider, "min": 0}),
            "r_level": widgets.Dropdown(options=levels, value=level_name(r, n), description="R level"),
            "r": widgets.IntSlider(value=r, description="R (read quorum)", **slider),
            "sloppy": widgets.Checkbox(
                value=False, description="sloppy quorum + hinted handoff", indent=False
            ),
            "w_level": widgets.Dropdown(options=levels, value=level_name(w, n), description="W level"),
            "w": widgets.IntSlider(value=w, description="W (write quorum)", **slider),
            "read_repair": widgets.Checkbox(value=True, description="read repair", indent=False),
        }
        super().__init__(controls, columns=3)
        self._last = {side: (controls[f"{side}_level"].value, controls[side].value, n) for side in ("r", "w")}

    def constrain(self) -> None:
        from .leaderless import level_name, level_size

        c = self.controls
        n = c["n"].value
        for side in ("r", "w"):
            level, size = c[f"{side}_level"], c[side]
            size.max = n
            last_level, _, last_n = self._last[side]
            if level.value != "custom" and (level.value != last_level or n != last_n):
                size.value = level_size(level.value, n)
            if not (level.value == "custom" and last_level != "custom"):
                level.value = level_name(size.value, n, prefer=level.value)
            self._last[side] = (level.value, size.value, n)
        c["failed"].max = n

    def curve(self, n: int, r: int, w: int, latency: str) -> tuple[Any, Any]:
        """The PBS curve ``(t, p)`` for these parameters (memoised)."""
        import numpy as np

        from .pbs import t_visibility

        key = (n, r, w, latency)
        if key not in self._curves:
            t = np.concatenate([[0.0], np.geomspace(0.01, 3000.0, 160)])
            p = t_visibility(n, r, w, t, latency=latency, trials=self.trials, seed=self.seed)
            if len(self._curves) > 64:
                self._curves.clear()
            self._curves[key] = (t, p)
        return self._curves[key]

    def simulate(self, **params: Any) -> Run:
        from .leaderless import home_replicas, simulate

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
        import matplotlib.pyplot as plt

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
        return curve_ax, grid_ax, run_ax

    def draw(self, run: Run, figure: Figure) -> None:
        from .leaderless import quorum_grid
        from .pbs import stale_read_probability
        from .plots import plot_convergence, plot_quorum_grid, plot_visibility

        n, r, w = (int(run.params[k]) for k in ("n", "r", "w"))
        t, p = self.curve(n, r, w, str(run.params["latency"]))
        curve_ax, grid_ax, run_ax = self.axes_for(figure)
        closed_form = 1.0 - stale_read_probability(n, r, w)
        curve = pd.DataFrame({"t_ms": t, "p": p})
        plot_visibility(curve, ax=curve_ax, closed_form=closed_form, log_time=True, legend=False, title=None)
        grid = quorum_grid(n)
        plot_quorum_grid(
            grid, ax=grid_ax, highlight=(r, w), annotate=False, colorbar=False, legend=None, title=None
        )
        plot_convergence(run, ax=run_ax, legend=False, title=None)

    def caption_html(self, run: Run) -> str:
        from .plots import COLORS, PALETTE

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
        if ((ops["kind"] == "write") & ~ops["ok"].astype(bool)).any():
            key.append(("×", COLORS["lost"], "failed write"))
        return (
            f"<b>Top left:</b> the chance that a read t ms after a write commits sees it (PBS model,"
            f" {run.params['latency']} latencies, N={n}, R={r}, W={w}). <b>Top right:</b> P(stale read)"
            f" for every R and W with N={n}, when writes do not spread further. <b>Bottom:</b> the"
            " simulated run: the share of replicas behind the newest acknowledged write."
            + _key_html(key)
        )

    def summarize(self, run: Run) -> pd.DataFrame:
        from .pbs import stale_read_probability

        n, r, w = (int(run.params[k]) for k in ("n", "r", "w"))
        _, p = self.curve(n, r, w, str(run.params["latency"]))
        m = run.metrics
        row = {
            "PBS: P(fresh), t=0": float(p[0]),
            "closed form: P(fresh)": 1.0 - stale_read_probability(n, r, w),
            "stale reads": f"{m['stale_reads']} of {m['reads']}",
            "write avail.": m["write_availability"],
            "read avail.": m["read_availability"],
            "convergence (ms)": m["convergence_time"],
            "hints handed off": f"{m['hints_handed_off']} of {m['hinted_writes']}",
            "lost writes": m["lost_writes"],
        }
        return pd.DataFrame([row], index=["run"])


# ---- end of chapter 4 ----------------------------------------------------------


# ---- chapter 5: choosing a scheme --------------------------------------------
__all__ += ["SchemeExplorer"]


class SchemeExplorer(_KeptAxesExplorer):
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
        from .compare import MIXES

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
        from .compare import Faults

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
        from .compare import compare, make_workload, rank_schemes
        from .records import Recorder

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
        from .plots import SCHEME_METRICS

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
        from .plots import SCHEME_METRICS, plot_scheme_metric

        table = self.ranked_table(run)
        metrics = [m for m in SCHEME_METRICS if m in table.columns]
        for i, (ax, metric) in enumerate(zip(self.axes_for(figure), metrics, strict=True)):
            plot_scheme_metric(table, metric, ax=ax, labels=i == 0)

    def caption_html(self, run: Run) -> str:
        from .plots import FAMILY_COLORS

        key = [("■", colour, family) for family, colour in FAMILY_COLORS.items()]
        key.append(("□", "black", "best (bold)"))
        return f"<b>{self.figure_title(run)}</b>" + _key_html(key)

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


# ---- end of chapter 5 ----------------------------------------------------------
