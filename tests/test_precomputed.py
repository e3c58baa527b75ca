"""The scheme explorer's stored figures: the simulation's own, at every position its sliders reach."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pandas as pd
import pytest

from replnb.compare import Layout, compare, make_workload, precomputed
from replnb.widgets import SchemeExplorer
from replnb.widgets import compare as explorer_module


def _simulated(point: dict) -> pd.DataFrame:
    return compare(
        point["mix"],
        faults=precomputed.scenario_faults(point["crash_ms"], point["partition_ms"], point["clock_skew"]),
        workload=make_workload(point["mix"], seed=point["seed"]),
        layout=Layout(far_latency=float(point["far_ms"])),
        seed=point["seed"],
    )


def _sample(k: int) -> list[dict]:
    """The default position, both corners, and ``k`` positions drawn with a fixed seed."""
    grid = precomputed.GRID
    rng = random.Random(17)
    points = [
        {"mix": "balanced", "seed": 0, "crash_ms": 250, "partition_ms": 200, "far_ms": 40, "clock_skew": 50},
        {d: values[0] for d, values in grid.items()},
        {d: values[-1] for d, values in grid.items()},
    ]
    points += [{d: rng.choice(values) for d, values in grid.items()} for _ in range(k)]
    return points


def test_the_stored_file_is_of_this_grid() -> None:
    stored = precomputed._stored()
    assert stored is not None, "scheme_grid.npz is missing or of another grid: run make scheme-grid"
    for scheme, array in stored.items():
        dims = precomputed._dims(scheme)
        assert array.shape == (*(len(precomputed.GRID[d]) for d in dims), 7)
        assert not np.isnan(array[..., :2]).any()  # the counts are always counted


@pytest.mark.parametrize("point", _sample(6), ids=lambda p: "-".join(str(v) for v in p.values()))
def test_a_stored_table_is_the_simulated_one(point: dict) -> None:
    """To the last bit: a model change that moves a figure fails here until the file is made again."""
    mix, rest = point["mix"], {k: v for k, v in point.items() if k != "mix"}
    stored = precomputed.table(mix, **rest)
    assert stored is not None
    pd.testing.assert_frame_equal(stored, _simulated(point), check_exact=True)


def test_off_the_grid_there_is_no_stored_table() -> None:
    at = {"seed": 0, "crash_ms": 250, "partition_ms": 200, "far_ms": 40, "clock_skew": 50}
    assert precomputed.table("balanced", **at) is not None
    off = [("clock_skew", 30), ("seed", 5), ("far_ms", 50), ("partition_ms", 150), ("seed", True)]
    for name, value in off:
        assert precomputed.table("balanced", **{**at, name: value}) is None, name


def test_the_sliders_reach_exactly_the_grid() -> None:
    """Every position a learner can reach is stored: no slider move simulates."""
    ex = SchemeExplorer()
    for name, values in precomputed.GRID.items():
        widget = ex.controls[name]
        if name == "mix":
            assert tuple(widget.options) == values
        else:
            assert tuple(range(widget.min, widget.max + 1, widget.step)) == values, name


def test_the_explorer_reads_the_grid_and_simulates_off_it(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = explorer_module.compare
    monkeypatch.setattr(explorer_module, "compare", lambda *a, **k: calls.append(k) or real(*a, **k))
    ex = SchemeExplorer()
    for move in [{}, {"seed": 4}, {"mix": "write-heavy"}, {"far_ms": 100, "clock_skew": 200}]:
        ex.update(**move)
    assert calls == []
    off = ex.update(clock_skew=30)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(off.table, _simulated({**off.params, "clock_skew": 30}))


def test_a_file_of_another_grid_is_not_used(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    path = tmp_path / "other.npz"
    np.savez_compressed(path, grid=np.array('{"seed": [0]}'))
    monkeypatch.setattr(precomputed, "PATH", path)
    precomputed._stored.cache_clear()
    try:
        assert precomputed._stored() is None
        at = {"seed": 0, "crash_ms": 0, "partition_ms": 0, "far_ms": 0, "clock_skew": 0}
        assert precomputed.table("balanced", **at) is None
    finally:
        precomputed._stored.cache_clear()


def test_build_stores_what_compare_computes(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    small = {"mix": ("read-heavy",), "seed": (1,), "crash_ms": (0, 100), "partition_ms": (0,),
             "far_ms": (20,), "clock_skew": (0, 150)}  # fmt: skip
    monkeypatch.setattr(precomputed, "GRID", small)
    monkeypatch.setattr(precomputed, "PATH", tmp_path / "small.npz")
    precomputed._stored.cache_clear()
    try:
        precomputed.build(tmp_path / "small.npz", chunk=3)
        for values in itertools.product(*small.values()):
            point = dict(zip(small, values, strict=True))
            rest = {k: v for k, v in point.items() if k != "mix"}
            pd.testing.assert_frame_equal(precomputed.table(point["mix"], **rest), _simulated(point))
        skew_free = precomputed._stored()["single-leader sync"]
        assert skew_free.shape == (1, 1, 2, 1, 1, 7)  # no skew dimension: a single leader reads no clock
    finally:
        precomputed._stored.cache_clear()
