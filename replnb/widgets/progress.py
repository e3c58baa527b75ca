"""A progress bar for long sweeps and Monte Carlo runs, in JupyterLab (see :mod:`replnb.progress`).

:func:`show_progress_bars` registers :class:`ProgressBar` as the display of
:func:`replnb.progress.progress` (importing :mod:`replnb.widgets` does it).
A bar is shown only in a kernel that has a frontend (an IPython kernel, not
a plain interpreter or a test run), and only once a loop has run for a
second.

It leaves nothing that strict nbval compares: the bar is displayed with the
widget-view MIME type alone (no ``text/plain``), which nbval skips, since
widget model ids are random; and when the loop ends, the display is emptied
through its display handle and the widget is closed, so a notebook saved
afterwards keeps no bar and no reference to a closed widget.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from IPython import get_ipython
from IPython.display import display

from ..progress import set_display

__all__ = ["WIDGET_VIEW_MIME", "ProgressBar", "show_progress_bars"]

WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"


class ProgressBar:
    """A bar and a ``done / total`` label, displayed through a display handle.

    Examples
    --------
    Outside a kernel with a frontend, :meth:`show` declines:

    >>> ProgressBar.show("sweep", 10) is None
    True
    """

    def __init__(self, label: str, total: int) -> None:
        self.total = total
        self.bar = widgets.IntProgress(value=0, min=0, max=total, description=label, bar_style="info")
        self.text = widgets.Label(f"0 / {total}")
        self.widget = widgets.HBox([self.bar, self.text])
        self.widget.add_class("replnb-progress")
        view = {"model_id": self.widget.model_id, "version_major": 2, "version_minor": 0}
        self.handle: Any = display({WIDGET_VIEW_MIME: view}, raw=True, display_id=True)

    @classmethod
    def show(cls, label: str, total: int) -> ProgressBar | None:
        """A shown bar, or None when no frontend can show one (no IPython kernel)."""
        shell = get_ipython()
        if shell is None or getattr(shell, "kernel", None) is None:
            return None
        return cls(label, total)

    def update(self, done: int) -> None:
        """Move the bar to ``done`` steps."""
        self.bar.value = min(done, self.total)
        self.text.value = f"{done} / {self.total}"

    def close(self) -> None:
        """Empty the display (nothing stays in the cell's outputs) and close the widgets."""
        if self.handle is not None:
            self.handle.update({}, raw=True)
        for w in (self.widget, self.bar, self.text):
            w.close()


def show_progress_bars(on: bool = True) -> None:
    """Show long loops' progress as a :class:`ProgressBar` (``on=False``: show nothing)."""
    set_display(ProgressBar.show if on else None)
