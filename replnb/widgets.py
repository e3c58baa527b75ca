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
from typing import Any

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

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
        for control in self.controls.values():
            control.style = {"description_width": "initial"}
            control.observe(self._on_change, names="value")
        grid = widgets.GridBox(
            list(self.controls.values()),
            layout=widgets.Layout(
                grid_template_columns=f"repeat({columns}, minmax(0, 1fr))", grid_gap="4px 16px"
            ),
        )
        self.widget = widgets.VBox([widgets.HTML(f"<h3>{self.title}</h3>"), grid, self.output, self.summary])
        self.widget.add_class("replnb-explorer")

    # -- to override ----------------------------------------------------------
    def simulate(self, **params: Any) -> Run:
        """Run the model for these control values."""
        raise NotImplementedError

    def draw(self, run: Run, figure: Figure) -> None:
        """Draw ``run`` on the (cleared) ``figure``."""
        raise NotImplementedError

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
        self.figure.clear()
        with _style():
            self.draw(run, self.figure)
            buf = io.BytesIO()
            self.figure.savefig(buf, format="png")
        png = buf.getvalue()
        self.image.value = png
        self.summary.value = _table_html(self.summarize(run))
        return png

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


def _style() -> Any:
    import matplotlib.pyplot as plt

    return plt.rc_context(STYLE)


def _table_html(table: pd.DataFrame | pd.Series) -> str:
    if isinstance(table, pd.Series):
        table = table.to_frame()
    styled = table.to_html(float_format=lambda v: f"{v:,.3g}", border=0, classes="replnb-summary")
    return f"<div style='overflow-x:auto;font-size:90%'>{styled}</div>"
# ---- chapter 1: single leader ------------------------------------------------
# ---- end of chapter 1 ----------------------------------------------------------


# ---- chapter 2: multi-leader conflicts ---------------------------------------
# ---- end of chapter 2 ----------------------------------------------------------


# ---- chapter 3: multi-leader topologies --------------------------------------
# ---- end of chapter 3 ----------------------------------------------------------


# ---- chapter 4: leaderless quorums -------------------------------------------
# ---- end of chapter 4 ----------------------------------------------------------


# ---- chapter 5: choosing a scheme --------------------------------------------
# ---- end of chapter 5 ----------------------------------------------------------
