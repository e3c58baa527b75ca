"""The scheme explorer's panels stay within their own columns: no label reaches into the next panel.

(Its ticks are drawn as data, so a label of one panel overlapping the next
would be drawn over that panel's bars, and the x labels are wrapped to fit.)
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
