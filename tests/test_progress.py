"""Progress of long loops: shown only after a delay, by the outermost loop, and always closed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from replnb import grid, pbs, progress
from replnb.widgets import progress as bars


class Recorder:
    """A fake display factory that records what a loop shows."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def __call__(self, label: str, total: int) -> Recorder:
        self.events.append(("show", label, total))
        return self

    def update(self, done: int) -> None:
        self.events.append(("update", done))

    def close(self) -> None:
        self.events.append(("close",))


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    monkeypatch.setenv("REPLNB_PROGRESS_AFTER", "0")
    monkeypatch.delenv("REPLNB_PROGRESS", raising=False)
    monkeypatch.setattr(progress, "EVERY_S", 0.0)
    recorder = Recorder()
    previous = progress.set_display(recorder)
    try:
        yield recorder
    finally:
        progress.set_display(previous)


def test_a_slow_loop_shows_updates_and_closes(shown: Recorder) -> None:
    with progress.progress(3, "points") as advance:
        for _ in range(3):
            advance()
    assert shown.events == [("show", "points", 3), ("update", 1), ("update", 2), ("update", 3), ("close",)]


def test_nothing_before_the_delay_and_nothing_when_switched_off(
    shown: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLNB_PROGRESS_AFTER", "60")
    with progress.progress(5, "fast") as advance:
        for _ in range(5):
            advance()
    monkeypatch.setenv("REPLNB_PROGRESS_AFTER", "0")
    monkeypatch.setenv("REPLNB_PROGRESS", "0")
    with progress.progress(5, "off") as advance:
        for _ in range(5):
            advance()
    assert shown.events == []


def test_only_the_outermost_loop_reports_and_a_failure_still_closes(shown: Recorder) -> None:
    with pytest.raises(RuntimeError), progress.progress(2, "outer") as outer:
        with progress.progress(10, "inner") as inner:
            for _ in range(10):
                inner()
        outer()
        raise RuntimeError("boom")
    assert [e[0] for e in shown.events] == ["show", "update", "close"]
    assert shown.events[0] == ("show", "outer", 2)


def test_a_sweep_reports_every_point_and_returns_the_same_table(shown: Recorder) -> None:
    points = {"n": [3], "r": [1, 2], "w": [1, 2], "t": [0.0], "trials": [2000]}
    with_bar = grid.sweep(pbs.t_visibility, points)
    assert shown.events[0] == ("show", "sweep", 4)
    assert shown.events[-2:] == [("update", 4), ("close",)]
    progress.set_display(None)
    assert with_bar.equals(grid.sweep(pbs.t_visibility, points))


def test_a_monte_carlo_in_blocks_reports_its_blocks(shown: Recorder) -> None:
    trials = pbs._BLOCK_CELLS // 9 + 5  # two blocks at n = 9
    pbs.t_visibility(9, 1, 1, 0.0, trials=trials)
    assert shown.events[0] == ("show", "Monte Carlo", 2)
    assert shown.events[-1] == ("close",)


def test_the_bar_shows_only_in_a_kernel_and_leaves_an_empty_display(monkeypatch: pytest.MonkeyPatch) -> None:
    assert bars.ProgressBar.show("sweep", 3) is None  # no IPython kernel here
    published: list[tuple[Any, ...]] = []

    class Handle:
        def update(self, obj: Any, raw: bool = False) -> None:
            published.append(("update", obj, raw))

    def fake_display(obj: Any, raw: bool = False, display_id: bool = False) -> Handle:
        published.append(("display", obj, raw, display_id))
        return Handle()

    monkeypatch.setattr(bars, "display", fake_display)
    bar = bars.ProgressBar("sweep", 3)
    bar.update(2)
    assert (bar.bar.value, bar.text.value) == (2, "2 / 3")
    bar.close()
    shown, emptied = published
    assert list(shown[1]) == [bars.WIDGET_VIEW_MIME] and shown[2:] == (True, True)  # nothing nbval compares
    assert emptied == ("update", {}, True)
    assert bar.widget.comm is None  # closed
