"""Tests of replnb.sweep: grid expansion, per-point seeding, executors, bad input."""

from __future__ import annotations

import math
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replnb.engine.rng import as_rng
from replnb.grid import expand_grid, point_seed, sweep
from replnb.records import Recorder, Run

REPO = Path(__file__).resolve().parent.parent


def noisy_model(n: int, w: int, seed: int = 0) -> dict[str, float]:
    """A module-level (picklable) model whose figures depend on its seed."""
    rng = as_rng(seed)
    draws = rng.exponential(1.0, size=n * 10)
    return {"mean": float(draws.mean()), "quorum": float(np.sort(draws)[w - 1]), "seed_seen": seed}


def unseeded(x: int) -> float:
    return x / 2


# -- grid expansion ---------------------------------------------------------
def test_dict_grid_is_the_cartesian_product_first_name_slowest() -> None:
    points = expand_grid({"a": [1, 2], "b": ["x", "y", "z"]})
    assert points == [{"a": a, "b": b} for a in (1, 2) for b in ("x", "y", "z")]


def test_list_grid_keeps_its_points_and_order() -> None:
    grid = [{"n": 5, "w": 3}, {"n": 3, "w": 2}, {"n": 3}]
    assert expand_grid(grid) == grid
    assert expand_grid(grid) is not grid


def test_any_iterable_of_values_is_accepted() -> None:
    assert expand_grid({"n": range(2), "t": np.array([0.5])}) == [{"n": 0, "t": 0.5}, {"n": 1, "t": 0.5}]


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from("abcde"), st.lists(st.integers(), min_size=1, max_size=3), min_size=1))
def test_grid_size_is_the_product_of_the_list_lengths(grid: dict[str, list[int]]) -> None:
    points = expand_grid(grid)
    assert len(points) == math.prod(len(v) for v in grid.values())
    assert all(list(p) == list(grid) for p in points)
    for name, values in grid.items():
        assert {p[name] for p in points} == set(values)


def test_rows_follow_the_grid_with_parameter_columns_first() -> None:
    df = sweep(noisy_model, {"n": [3, 5], "w": [1, 2]})
    assert list(df.columns) == ["n", "w", "seed", "mean", "quorum", "seed_seen"]
    assert df[["n", "w"]].to_numpy().tolist() == [[3, 1], [3, 2], [5, 1], [5, 2]]
    assert df["mean"].dtype == np.float64


def test_points_with_different_names_give_nan_where_unset() -> None:
    df = sweep(lambda a=0, b=0: a + 10 * b, [{"a": 1}, {"b": 2}])
    assert list(df.columns) == ["a", "b", "value"]
    assert df["value"].tolist() == [1, 20]
    assert math.isnan(df.loc[0, "b"]) and math.isnan(df.loc[1, "a"])


# -- seeding ------------------------------------------------------------------
def test_each_point_gets_the_seed_of_the_point() -> None:
    grid = {"n": [3, 5], "w": [1, 2]}
    df = sweep(noisy_model, grid, seed=7)
    for point, row in zip(expand_grid(grid), df.itertuples(), strict=True):
        assert row.seed == point_seed(point, 7) == row.seed_seen
        assert row.mean == noisy_model(**point, seed=point_seed(point, 7))["mean"]


def test_a_point_s_row_does_not_depend_on_the_grid_order() -> None:
    forward = sweep(noisy_model, {"n": [3, 5], "w": [1, 2]})
    backward = sweep(noisy_model, {"w": [2, 1], "n": [5, 3]})
    backward = backward[forward.columns].sort_values(["n", "w"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(forward, backward)


def test_the_sweep_seed_changes_every_point_s_seed() -> None:
    a = sweep(noisy_model, {"n": [3, 5], "w": [1]}, seed=0)
    b = sweep(noisy_model, {"n": [3, 5], "w": [1]}, seed=1)
    assert (a["seed"] != b["seed"]).all()
    assert (a["mean"] != b["mean"]).all()


def test_distinct_points_get_distinct_seeds() -> None:
    points = expand_grid({"n": list(range(1, 30)), "w": [1, 2, 3]})
    assert len({point_seed(p) for p in points}) == len(points)
    assert point_seed({"x": 1}) != point_seed({"x": "1"})  # repr tells them apart


def test_numpy_scalars_seed_like_python_numbers() -> None:
    from_numpy = sweep(noisy_model, {"n": np.array([3, 4]), "w": np.linspace(1, 2, 2).astype(int)})
    from_python = sweep(noisy_model, {"n": [3, 4], "w": [1, 2]})
    pd.testing.assert_frame_equal(from_numpy, from_python, check_dtype=False)


def test_an_explicit_seed_in_the_point_is_used_as_is() -> None:
    df = sweep(noisy_model, {"n": [3], "w": [1], "seed": [11, 12]})
    assert df["seed"].tolist() == [11, 12] == df["seed_seen"].tolist()
    assert list(df.columns).count("seed") == 1


def test_a_function_without_seed_gets_no_seed() -> None:
    df = sweep(unseeded, {"x": [1, 2]})
    assert list(df.columns) == ["x", "value"]
    assert df["value"].tolist() == [0.5, 1.0]


def test_point_seed_is_the_same_under_another_hash_seed() -> None:
    code = "from replnb.grid import point_seed; print(point_seed({'n': 3, 'kind': 'ring', 'p': 0.1}, 4))"
    seeds = set()
    for hashseed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed, PYTHONPATH=str(REPO))
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        seeds.add(int(out.stdout))
    assert seeds == {point_seed({"n": 3, "kind": "ring", "p": 0.1}, 4)}


# -- results of every accepted type ---------------------------------------------
def _toy_run(x: int, seed: int = 0) -> Run:
    return Run(
        model="toy",
        params={"x": x},
        nodes=["A"],
        recorder=Recorder(),
        final_state={},
        metrics=lambda run: {"double": 2 * run.params["x"], "end": run.end_time},
        end_time=float(seed % 100),
    )


def test_a_run_contributes_its_metrics() -> None:
    df = sweep(_toy_run, {"x": [1, 4]})
    assert df["double"].tolist() == [2, 8]
    assert df["end"].tolist() == [float(s % 100) for s in df["seed"]]


def test_a_series_contributes_its_items() -> None:
    df = sweep(lambda x: pd.Series({"neg": -x, "sq": x * x}), {"x": [2, 3]})
    assert df[["neg", "sq"]].to_numpy().tolist() == [[-2, 4], [-3, 9]]


# -- executors --------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")  # Python >= 3.12 warns on fork
@pytest.mark.parametrize(
    "method", [m for m in ("fork", "spawn") if m in multiprocessing.get_all_start_methods()]
)
def test_process_pool_gives_the_same_frame_as_in_process(method: str) -> None:
    grid = {"n": [3, 5, 7], "w": [1, 2]}
    local = sweep(noisy_model, grid, seed=3)
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        pooled = sweep(noisy_model, grid, executor=pool, seed=3)
    pd.testing.assert_frame_equal(local, pooled, check_exact=True)


def test_a_real_model_on_a_process_pool() -> None:
    from replnb.pbs import t_visibility

    grid = {"n": [3], "r": [1], "w": [1, 2], "t": [0.0, 5.0], "trials": [3000]}
    local = sweep(t_visibility, grid)
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = sweep(t_visibility, grid, executor=pool)
    pd.testing.assert_frame_equal(local, pooled, check_exact=True)
    curve = local.pivot(index="t", columns="w", values="value")
    assert ((curve > 0.0) & (curve <= 1.0)).all().all()
    assert (curve[2] > curve[1]).all()  # a larger write quorum is more often consistent


def test_thread_pool_gives_the_same_frame() -> None:
    grid = [{"n": 4, "w": 2}, {"n": 6, "w": 3}]
    with ThreadPoolExecutor(max_workers=2) as pool:
        pd.testing.assert_frame_equal(sweep(noisy_model, grid), sweep(noisy_model, grid, executor=pool))


# -- bad input ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("grid", "match"),
    [
        ({}, "at least one point"),
        ([], "at least one point"),
        ({"n": []}, "at least one point"),
        ({"n": 3}, r"grid\['n'\] must be a list"),
        ({"kind": "ring"}, r"grid\['kind'\] must be a list"),
        ([{"n": 3}, 5], r"grid\[1\] must be a mapping"),
        ({1: [2]}, "names must be non-empty strings"),
        ([{"": 1}], "names must be non-empty strings"),
        ("n=3", "dict of lists or a list of dicts"),
        (42, "dict of lists or a list of dicts"),
    ],
)
def test_bad_grids_are_rejected(grid: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sweep(unseeded, grid)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", None])
def test_bad_seeds_are_rejected(seed: object) -> None:
    with pytest.raises(ValueError, match=r"seed must be an integer in 0\.\."):
        sweep(noisy_model, {"n": [3], "w": [1]}, seed=seed)  # type: ignore[arg-type]


def test_bad_results_are_rejected() -> None:
    with pytest.raises(ValueError, match="fn must return a Run, a pandas Series, a mapping or a number"):
        sweep(lambda x: "fine", {"x": [1]})
    with pytest.raises(ValueError, match="named like parameters"):
        sweep(lambda x: {"x": 2}, {"x": [1]})


def test_bad_fn_and_executor_are_rejected() -> None:
    with pytest.raises(ValueError, match="fn must be callable"):
        sweep(3, {"x": [1]})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="executor must be"):
        sweep(unseeded, {"x": [1]}, executor="pool")  # type: ignore[arg-type]
