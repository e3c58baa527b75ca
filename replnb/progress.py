"""Progress of long loops (sweeps, Monte Carlo blocks), shown only when it takes a while.

A long loop reports its progress through :func:`progress`; this module shows
nothing itself. A *display* registered with :func:`set_display` (the widgets
layer registers a progress bar for JupyterLab, see
:mod:`replnb.widgets.progress`) is created once the loop has run for
:data:`AFTER_S` seconds, updated as it advances and closed at its end. So a
fast loop never shows anything, the models never import a GUI library, and
outside a notebook (no display registered, or one that declines) a loop
costs one clock read per step.

Only the outermost loop reports: a Monte Carlo inside a sweep moves the
sweep's bar, not a second one.

Two environment variables change this, for the tools that run notebooks:
``REPLNB_PROGRESS=0`` shows nothing (``scripts/execute_notebooks.py`` sets it,
so that the committed notebooks never hold a progress bar), and
``REPLNB_PROGRESS_AFTER`` sets the delay in seconds (the browser test sets 0,
so that every sweep shows its bar).

Examples
--------
>>> with progress(3, "points") as advance:
...     for _ in range(3):
...         advance()
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = ["AFTER_S", "Display", "progress", "set_display"]

#: Seconds a loop runs before its progress is shown.
AFTER_S = 1.0
#: The least time (s) between two updates of a shown display.
EVERY_S = 0.1


class Display(Protocol):
    """What :func:`set_display`'s factory returns: a progress display, once shown."""

    def update(self, done: int) -> None:
        """Show that ``done`` of the steps are done."""

    def close(self) -> None:
        """Remove the display (the loop ended, or failed)."""


#: ``factory(label, total)`` -> a shown :class:`Display`, or None to show nothing.
Factory = Callable[[str, int], "Display | None"]

_factory: Factory | None = None
_active = 0


def set_display(factory: Factory | None) -> Factory | None:
    """Register the factory of progress displays (None: show nothing); returns the previous one."""
    global _factory
    previous, _factory = _factory, factory
    return previous


def _delay() -> float | None:
    """The delay before a display is shown, or None when progress is switched off."""
    if os.environ.get("REPLNB_PROGRESS", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        return max(0.0, float(os.environ.get("REPLNB_PROGRESS_AFTER", AFTER_S)))
    except ValueError:
        return AFTER_S


class _Loop:
    """One reporting loop: counts its steps and shows its display once it has taken a while."""

    def __init__(self, factory: Factory, label: str, total: int, delay: float) -> None:
        self.factory, self.label, self.total, self.delay = factory, label, total, delay
        self.start = time.perf_counter()
        self.done = 0
        self.shown: Display | None = None
        self.declined = False
        self.last = 0.0

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        now = time.perf_counter()
        if self.shown is None:
            if self.declined or now - self.start < self.delay or self.done >= self.total:
                return
            self.shown = self.factory(self.label, self.total)
            self.declined = self.shown is None
            if self.shown is None:
                return
        if now - self.last >= EVERY_S or self.done >= self.total:
            self.last = now
            self.shown.update(self.done)

    def close(self) -> None:
        if self.shown is not None:
            self.shown.close()


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[..., None]]:
    """A context whose value, ``advance(steps=1)``, reports steps of a loop of ``total``.

    The registered display is created when a step ends :data:`AFTER_S`
    seconds (or more) after the loop began, and closed when the context exits.
    Nested contexts report nothing (the outermost one does).
    """
    global _active
    delay = _delay()
    loop = (
        None
        if _active or _factory is None or delay is None or total < 2
        else _Loop(_factory, label, total, delay)
    )
    _active += 1
    try:
        yield _ignore if loop is None else loop.advance
    finally:
        _active -= 1
        if loop is not None:
            loop.close()


def _ignore(steps: int = 1) -> None:
    """The ``advance`` of a loop that shows no progress."""
