"""The explorers' shared machinery: kept axes and cached backgrounds.

An explorer that keeps its axes restores a cached background (axes, ticks,
labels) and draws only the data over it. These tests check that a cached
background is never stale: an explorer walked through a series of slider
moves shows, at every step, exactly the pixels of a fresh explorer built
with the same values.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from replnb.widgets import (
    ConflictExplorer,
    QuorumExplorer,
    SchemeExplorer,
    SingleLeaderExplorer,
    TopologyExplorer,
)

#: Slider moves for each explorer: some keep the axes, some change them
#: (N, followers, failover), and some come back to an earlier background.
WALKS: dict[type, list[dict[str, Any]]] = {
    QuorumExplorer: [
        {"r": 1},
        {"n": 5},
        {"w_level": "ALL"},
        {"failed": 2, "sloppy": True},
        {"n": 3},
        {"latency": "YMMR", "read_repair": False},
        {"n": 9, "r_level": "QUORUM"},
    ],
    SingleLeaderExplorer: [
        {"mode": "sync"},
        {"followers": 4},
        {"replication_delay": 150},
        {"read_from": "any"},
        {"failover_at": None},
        {"seed": 7, "followers": 2},
        {"mode": "async", "failover_at": 150.0},
    ],
    TopologyExplorer: [
        {"failed": "B"},
        {"latency": 30.0},
        {"topology": "all-to-all", "leaders": 8},
        {"jitter": 0.0, "failed": "none"},
        {"topology": "circular", "leaders": 5, "latency": 10.0},
    ],
    SchemeExplorer: [
        {"clock_skew": 150},
        {"priority": "no lost writes"},
        {"mix": "write-heavy", "crash_ms": 0},
        {"partition_ms": 0},
        {"clock_skew": 50, "priority": "overall (mean rank)"},
    ],
    ConflictExplorer: [{"clock_skew": 20}, {"leaders": 4}, {"strategy": "cart: union"}, {"leaders": 2}],
}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _fresh(cls: type, explorer: Any) -> Any:
    """A new explorer of ``cls`` whose controls hold ``explorer``'s values."""
    fresh = cls()
    fresh.update(**explorer.params())
    return fresh


@pytest.mark.parametrize("cls", list(WALKS), ids=lambda c: c.__name__)
def test_a_walked_explorer_draws_the_pixels_of_a_fresh_one(cls: type) -> None:
    explorer = cls()
    explorer.refresh()
    for move in WALKS[cls]:
        explorer.update(**move)
        fresh = _fresh(cls, explorer)
        assert fresh.params() == explorer.params()
        assert np.array_equal(_pixels(explorer.image.value), _pixels(fresh.image.value)), move


def test_backgrounds_are_reused_and_bounded() -> None:
    explorer = TopologyExplorer()  # its graph panel changes with the number of leaders
    explorer.refresh()
    explorer.update(leaders=5)
    explorer.update(leaders=4)
    kept = len(explorer._backgrounds)
    explorer.update(leaders=5)  # back to backgrounds seen before: none drawn
    explorer.update(leaders=4)
    assert len(explorer._backgrounds) == kept
    for leaders in range(2, 11):
        explorer.update(leaders=leaders)
    assert kept < len(explorer._backgrounds) <= explorer.backgrounds
    assert next(reversed(explorer._backgrounds)) == explorer.background_key()  # the newest is last
    small = TopologyExplorer()
    small.backgrounds = 4
    small.refresh()
    for leaders in range(2, 11):
        small.update(leaders=leaders)
    assert len(small._backgrounds) == 4  # the least recently used are dropped
    assert next(reversed(small._backgrounds)) == small.background_key()


def test_the_scheme_explorer_keeps_one_background() -> None:
    """Its ticks and scheme names are data: no move redraws the panels' frames."""
    explorer = SchemeExplorer()
    explorer.refresh()
    for move in [{"seed": 3}, {"far_ms": 100}, {"mix": "write-heavy"}, {"priority": "fast reads"}]:
        explorer.update(**move)
    assert len(explorer._backgrounds) == 1


def test_a_figure_drawn_elsewhere_gets_a_fresh_background() -> None:
    from replnb.widgets import figure_png

    explorer = QuorumExplorer()
    explorer.refresh()
    before = explorer.image.value
    figure_png(explorer.figure)  # e.g. a learner saving the explorer's figure
    explorer.refresh()
    assert _pixels(explorer.image.value).shape == _pixels(before).shape
    assert np.array_equal(_pixels(explorer.image.value), _pixels(before))


def test_the_image_is_an_opaque_png() -> None:
    explorer = SingleLeaderExplorer()
    explorer.refresh()
    image = Image.open(io.BytesIO(explorer.image.value))
    assert image.format == "PNG" and image.mode == "RGB"
    width, height = explorer.figsize
    assert image.size == (round(width * explorer.figure.dpi), round(height * explorer.figure.dpi))


def test_spacetime_key_lists_exactly_the_kinds_drawn():
    """No symbol in the key that the diagram does not draw (a lost write, a stale read, a down band)."""
    import matplotlib.pyplot as plt

    from replnb import leaderless, plots

    quiet = leaderless.simulate(
        n=3, r=2, w=2, nodes=3, script=[(0.0, "write", "x", "B"), (20.0, "read", "x", "A")]
    )
    ax = plots.plot_spacetime(quiet)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["acknowledged write", "message", "read"]
    plt.close(ax.figure)
    down = leaderless.simulate(
        n=3,
        r=1,
        w=1,
        nodes=3,
        crashes=[("C", 1.0, 50.0)],
        latency=5.0,
        script=[(0.0, "write", "x", "B"), (2.0, "read", "x", "C"), (3.0, "read", "x", "A")],
    )
    ax = plots.plot_spacetime(down)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "node down" in labels and "lost write" not in labels
    assert ("stale read" in labels) == bool(down.ops["stale"].fillna(False).any())
    plt.close(ax.figure)
