"""Partial background redraws: redrawing only the axes that changed gives the pixels of a full draw."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from replnb.widgets import TopologyExplorer, kept_axes

MOVES: dict[type, list[dict[str, Any]]] = {
    TopologyExplorer: [{"leaders": 5}, {"failed": "B"}, {"leaders": 8}, {"leaders": 4}],
}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


@pytest.mark.parametrize("cls", list(MOVES), ids=lambda c: c.__name__)
def test_a_partial_redraw_gives_the_pixels_of_a_full_one(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    partial = []
    redraw_some = kept_axes.KeptAxesExplorer._redraw_some

    def counted(self: Any, key: Any, data: Any) -> Any:
        out = redraw_some(self, key, data)
        partial.append(out is not None)
        return out

    monkeypatch.setattr(kept_axes.KeptAxesExplorer, "_redraw_some", counted)
    explorer = cls()
    explorer.update()
    for move in MOVES[cls]:
        before = len(partial)
        explorer.update(**move)
        if any(partial[before:]):
            got = _pixels(explorer.image.value)
            explorer._backgrounds.clear()  # the next render draws the background in full
            explorer.render(explorer.run)
            assert np.array_equal(got, _pixels(explorer.image.value)), move
    assert any(partial), "no move redrew only part of the background"


def test_a_ticks_as_data_key_has_one_part_per_axes() -> None:
    """The shape a partial redraw compares axes by axes; an axis-off graph keys only its titles."""
    explorer = TopologyExplorer()
    explorer.refresh()
    before = explorer.background_key()
    assert len(before) == 1 + len(explorer.figure.axes)
    explorer.update(leaders=8)  # the graph's limits and place change, and the colour bar's ticks
    after = explorer.background_key()
    graph, bar, _delays = explorer.figure.axes
    assert not graph.axison
    changed = [i for i in range(len(explorer.figure.axes)) if before[i + 1] != after[i + 1]]
    assert changed == [explorer.figure.axes.index(bar)]
