"""The scheme explorer's panels stay within their own columns (what keeps a move's redraw small).

:class:`replnb.widgets.KeptAxesExplorer` redraws only the panels whose
background changed, plus every panel that a redrawn one's drawing reaches
into; a label wider than its panel made one changed panel cost four.
(Still true: with 100 ms between regions the p99 panel's last tick label,
four digits wide, reaches the next panel, which is then redrawn with it.)
"""

from __future__ import annotations

import itertools

import matplotlib
import pytest

from replnb.widgets import SchemeExplorer

matplotlib.use("Agg")


@pytest.mark.parametrize(
    "params",
    [{}, {"mix": "write-heavy", "seed": 3}, {"crash_ms": 0, "partition_ms": 400}],
)
def test_every_panel_is_drawn_inside_its_own_column(params):
    ex = SchemeExplorer()
    ex.update(**params)
    renderer = ex.figure.canvas.get_renderer()
    axes = ex.figure.axes
    for left, right in itertools.pairwise(axes):
        drawn = left.get_tightbbox(renderer)
        neighbour = right.get_tightbbox(renderer)
        assert drawn.x1 + 6 < neighbour.x0, (left.get_title(loc="left"), drawn.x1, neighbour.x0)


def test_the_wrapped_x_labels_keep_their_words():
    ex = SchemeExplorer()
    ex.update()
    labels = [" ".join(ax.get_xlabel().split()) for ax in ex.figure.axes]
    assert labels[0] == "acknowledged writes lost"
    assert labels[2] == "writes acknowledged (%)"
    assert all(len(line) <= 17 for ax in ex.figure.axes for line in ax.get_xlabel().split("\n"))
