"""Explorers that draw their ticks as data keep one background, whatever the moves (issue 17)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from replnb.widgets import ConflictExplorer, QuorumExplorer, SingleLeaderExplorer, TopologyExplorer

#: Moves that change the limits and the ticks of every axes (the window, the lanes, the lag's range).
MOVES: dict[type, list[dict[str, Any]]] = {
    SingleLeaderExplorer: [
        {"followers": 4},
        {"failover_at": 350.0},
        {"replication_delay": 150},
        {"seed": 7, "followers": 1},
        {"failover_at": None, "detection_timeout": 120.0},
    ],
    ConflictExplorer: [{"leaders": 7}, {"clock_skew": 0}, {"write_rate": 120.0}],
}
#: And the delay panel of the topology explorer (its colour bar keeps its own ticks).
SPANS = {
    **MOVES,
    TopologyExplorer: [{"leaders": 8}, {"latency": 50.0}, {"failed": "none", "topology": "star"}],
}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.mark.parametrize("cls", list(MOVES), ids=lambda c: c.__name__)
def test_one_background_for_every_move(cls: type) -> None:
    explorer = cls()
    explorer.refresh()
    assert len(explorer._backgrounds) == 1
    ticks_before = None
    for move in MOVES[cls]:
        explorer.update(**move)
        assert len(explorer._backgrounds) == 1, move
        labels = [t.get_text() for ticks in explorer._ticks for pool in ticks.labels for t in pool]
        assert labels != ticks_before  # the tick labels did follow the moves
        ticks_before = labels


@pytest.mark.parametrize("cls", list(SPANS), ids=lambda c: c.__name__)
def test_tick_labels_sit_within_their_axes_span(cls: type) -> None:
    """Every tick label drawn is one of the axes' visible ticks (inside its limits)."""
    explorer = cls()
    for move in [{}, *SPANS[cls]]:
        explorer.update(**move)
        for ticks in explorer._ticks:
            (x0, x1), (y0, y1) = sorted(ticks.ax.get_xlim()), sorted(ticks.ax.get_ylim())
            xs = list(ticks.marks[0].get_xdata())
            ys = list(ticks.marks[1].get_ydata())
            assert xs and all(x0 - 1e-9 <= x <= x1 + 1e-9 for x in xs), move
            assert ys and all(y0 - 1e-9 <= y <= y1 + 1e-9 for y in ys), move
            drawn = [t.get_position()[0] for t in ticks.labels[0] if t.axes is ticks.ax]
            assert drawn == pytest.approx(xs), move


def test_fresh_and_walked_single_leader_explorers_draw_the_same_pixels() -> None:
    walked = SingleLeaderExplorer()
    walked.refresh()
    for move in MOVES[SingleLeaderExplorer]:
        walked.update(**move)
        fresh = SingleLeaderExplorer()
        fresh.update(**walked.params())
        assert np.array_equal(_pixels(walked.image.value), _pixels(fresh.image.value)), move


def test_the_quorum_explorer_keeps_one_background_for_every_n() -> None:
    """Only the grid's ticks depend on N, and they are data: no N draws a background of its own."""
    explorer = QuorumExplorer()
    explorer.refresh()
    for n in range(1, 10):
        explorer.update(n=n)
        assert len(explorer._backgrounds) == 1, n
        labels = [t.get_text() for pool in explorer._grid_ticks.labels for t in pool if t.axes is not None]
        assert labels == [str(i) for i in range(1, n + 1)] * 2, n
