"""The explorer base: controls, a figure rendered to PNG, a caption and a summary table."""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import ipywidgets as widgets
import pandas as pd
from IPython.display import display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..check import CheckResult
from ..check import check as check_history
from ..params import Choice, Flag, Int, Nodes, Real, Spec, check
from ..plots import STYLE
from ..plots.style import course_style
from ..records import Run
from .progress import show_progress_bars

__all__ = ["Control", "Explorer", "encode", "figure_png", "make_controls"]

#: What an explorer's :meth:`Explorer.simulate` returns: a :class:`~replnb.records.Run`,
#: or another typed result (chapter 5 returns a comparison of schemes).
R = TypeVar("R")


@dataclass(frozen=True)
class Control:
    """One control of an explorer: a parameter's name, its spec, and how it is shown.

    The widget is built from the spec: an :class:`~replnb.params.Int` is an
    integer slider, a :class:`~replnb.params.Real` a float slider, a
    :class:`~replnb.params.Choice` a dropdown (or toggle buttons with
    ``toggle=True``), a :class:`~replnb.params.Flag` a checkbox and
    :class:`~replnb.params.Nodes` a multiple selection. A bound that names
    another control follows that control's value (see
    :meth:`Explorer.constrain`).

    Examples
    --------
    >>> Control("n", Int(1, 9), "replicas N").widget(3, {}).max
    9
    """

    name: str
    spec: Spec
    label: str
    #: Step of a float slider (default: a hundredth of its range).
    step: float | None = None
    #: ``(label, value)`` pairs shown by a choice (default: the values themselves).
    labels: Sequence[tuple[str, Any]] | None = None
    #: Show a choice as toggle buttons instead of a dropdown.
    toggle: bool = False

    def widget(self, value: Any, context: Mapping[str, Any]) -> widgets.ValueWidget:
        """A new widget showing ``value``, with bounds resolved against ``context``."""
        spec, label = self.spec, self.label
        if isinstance(spec, (Int, Real)):
            lo, hi = spec.bounds(context)
            kind = widgets.IntSlider if isinstance(spec, Int) else widgets.FloatSlider
            step = self.step or (1 if isinstance(spec, Int) else (hi - lo) / 100)
            return kind(value=value, min=lo, max=hi, step=step, description=label, continuous_update=False)
        if isinstance(spec, Choice):
            kind = widgets.ToggleButtons if self.toggle else widgets.Dropdown
            return kind(options=list(self.labels or spec.options), value=value, description=label)
        if isinstance(spec, Flag):
            return widgets.Checkbox(value=value, description=label, indent=False)
        if isinstance(spec, Nodes):
            return widgets.SelectMultiple(options=_node_names(spec, context), value=value, description=label)
        raise TypeError(f"no widget for a {type(spec).__name__} spec")

    def follow(self, widget: widgets.ValueWidget, context: Mapping[str, Any]) -> None:
        """Move ``widget``'s bounds to follow the parameters its spec names."""
        if isinstance(self.spec, (Int, Real)):
            lo, hi = self.spec.bounds(context)
            if lo > widget.max:
                widget.max, widget.min = hi, lo
            else:
                widget.min, widget.max = lo, hi


def _node_names(spec: Nodes, context: Mapping[str, Any]) -> list[str]:
    among = spec.among
    return list(context[among] if isinstance(among, str) else among)


def make_controls(controls: Sequence[Control], values: Mapping[str, Any]) -> dict[str, widgets.ValueWidget]:
    """Check ``values`` against the controls' specs and build their widgets, in order.

    A ``ValueError`` names the first parameter out of its range, exactly as
    the model's own check would.
    """
    specs = {c.name: c.spec for c in controls}
    missing = sorted(set(specs) - set(values))
    if missing:
        raise TypeError(f"no value given for control(s) {missing}")
    checked = check(specs, values)
    return {c.name: c.widget(checked[c.name], checked) for c in controls}


class Explorer(Generic[R]):
    """Base class of the course's explorers.

    Subclasses define :meth:`simulate` (parameters to a result, usually a
    :class:`~replnb.records.Run`) and :meth:`draw` (that result onto the
    explorer's figure), and pass their controls
    to ``__init__``. Displaying the explorer in a notebook shows its widget.
    """

    title = "Explorer"
    figsize: tuple[float, float] = (9.0, 4.0)
    #: False: the figure is cleared before every :meth:`draw`. True: :meth:`draw`
    #: keeps its axes between updates and only replaces their data, which spares
    #: matplotlib rebuilding ticks, labels and layout on every slider move.
    keep_axes: ClassVar[bool] = False

    #: The controls built from specs (see :func:`make_controls`); their
    #: dependent bounds are kept in step by :meth:`constrain`.
    specs: ClassVar[Sequence[Control]] = ()
    #: Search steps the linearizability checker may take on a run (:meth:`verdict`).
    check_budget: ClassVar[int] = 200_000

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], *, columns: int = 3) -> None:
        self.controls = dict(controls)
        self.run: R | None = None
        self._verdict: tuple[Run, CheckResult] | None = None
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
    def simulate(self, **params: Any) -> R:
        """Run the model for these control values."""
        raise NotImplementedError

    def draw(self, run: R, figure: Figure) -> None:
        """Draw ``run`` on ``figure`` (cleared first unless :attr:`keep_axes`)."""
        raise NotImplementedError

    def caption_html(self, run: R) -> str:
        """HTML shown above the figure (default: none)."""
        return ""

    def summarize(self, run: R) -> pd.DataFrame | pd.Series:
        """The table shown under the figure (default: a Run's metrics)."""
        if not isinstance(run, Run):
            raise NotImplementedError(f"{type(self).__name__} must summarize a {type(run).__name__}")
        return run.metrics

    def verdict(self, run: Run) -> CheckResult:
        """Whether ``run``'s history is linearizable (:func:`replnb.check.check`), kept for the last run."""
        if self._verdict is None or self._verdict[0] is not run:
            self._verdict = (run, check_history(run.ops, budget=self.check_budget))
        return self._verdict[1]

    def constrain(self) -> None:
        """Tie control bounds together (called before every run).

        The base class moves the bounds of every control in :attr:`specs`
        whose spec names another control (``Int(1, "n")`` follows ``n``);
        subclasses that add rules call it first.
        """
        values = self.params()
        for control in self.specs:
            control.follow(self.controls[control.name], values)

    # -- machinery ------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """The current control values."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **params: Any) -> R:
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

    def refresh(self) -> R:
        """Run the model on the current control values and redraw."""
        run = self.simulate(**self.params())
        self.run = run
        self.render(run)
        return run

    def render(self, run: R) -> bytes:
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
    return encode(canvas)


def encode(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's pixels as an opaque (RGB) PNG, compressed for speed."""
    size = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1)
    return buf.getvalue()


#: Long sweeps and Monte Carlo runs show a progress bar in JupyterLab (:mod:`replnb.progress`).
show_progress_bars()


def _style() -> Any:

    return course_style()


#: The look of an explorer's summary table. A widget's HTML is not styled by
#: JupyterLab's own table rules, so without these its headers drift off their columns.
_TABLE_CSS = (
    "<style>"
    ".replnb-summary{border-collapse:collapse;margin-top:4px}"
    ".replnb-summary th,.replnb-summary td{padding:3px 10px;text-align:right;vertical-align:bottom;"
    "border:none;white-space:normal;max-width:11em}"
    ".replnb-summary thead th{border-bottom:1px solid #888;font-weight:bold}"
    ".replnb-summary td{white-space:nowrap}"
    ".replnb-summary tbody th{text-align:left;font-weight:bold}"
    ".replnb-summary tbody tr:nth-child(odd){background:#f3f3f3}"
    ".replnb-pairs tbody th{font-weight:normal;color:#444;text-align:left;max-width:none}"
    ".replnb-pairs td{font-weight:bold;padding-right:28px}"
    "</style>"
)


def _table_html(table: pd.DataFrame | pd.Series) -> str:
    """The summary as an HTML table whose headers line up with their columns.

    The index name is folded into the header row (no second header row).

    Examples
    --------
    >>> html = _table_html(pd.DataFrame({"lost writes": [1]}, index=pd.Index(["run"], name="what")))
    >>> html.count("<tr"), "replnb-summary" in html
    (2, True)
    """
    if isinstance(table, pd.Series):
        table = table.to_frame()
    table = table.rename_axis(index=None, columns=None)
    if len(table) == 1 and table.shape[1] > _WIDE:
        return f"{_TABLE_CSS}<div style='font-size:90%'>{_pairs_html(table.iloc[0])}</div>"
    styled = table.to_html(float_format=_number, border=0, classes="replnb-summary")
    return f"{_TABLE_CSS}<div style='overflow-x:auto;font-size:90%'>{styled}</div>"


#: A one-row summary with more columns than this is shown as name–value pairs, three to a line.
_WIDE = 7


def _number(value: float) -> str:
    return f"{value:,.3g}"


def _pairs_html(row: pd.Series, per_line: int = 3) -> str:
    """A one-row summary as a grid of name–value pairs, so that a wide row needs no scrolling."""
    items = [(str(k), _number(v) if isinstance(v, float) else str(v)) for k, v in row.items()]
    lines = [
        "".join(f"<th>{html.escape(k)}</th><td>{html.escape(v)}</td>" for k, v in items[i : i + per_line])
        for i in range(0, len(items), per_line)
    ]
    body = "".join(f"<tr>{line}</tr>" for line in lines)
    return f"<table class='replnb-summary replnb-pairs'><tbody>{body}</tbody></table>"
