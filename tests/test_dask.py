"""replnb.sweep on a real Dask cluster gives the same table as the serial run.

The test starts its own ``dask.distributed.LocalCluster`` (two worker
processes, one thread each, loopback only, no dashboard), takes a
``concurrent.futures`` executor from ``Client.get_executor()`` and sweeps two
real models over small grids: the PBS Monte Carlo ``replnb.pbs.t_visibility``
and the single-leader simulator. Every point is seeded from its own
parameters, so the frames must equal the in-process ones exactly.

Without ``dask[distributed]`` (``pip install -e '.[dask]'``; the ``test``
extra includes it) the tests skip, unless ``REPLNB_REQUIRE_DASK=1`` is set, in
which case they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

import pandas as pd
import pytest

from replnb import single_leader
from replnb.grid import sweep
from replnb.pbs import t_visibility

REQUIRE = os.environ.get("REPLNB_REQUIRE_DASK") == "1"
WORKERS = 2


def single_leader_metrics(**params: Any) -> pd.Series:
    """A module-level (picklable) model: one single-leader run, its figures."""
    run = single_leader.simulate(duration=400.0, **params)
    return run.metrics


def where_am_i(i: int) -> dict[str, int]:
    return {"pid": os.getpid()}


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[Executor]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        reason = f"dask.distributed is not installed ({exc}); pip install -e '.[dask]'"
        if REQUIRE:
            pytest.fail(f"REPLNB_REQUIRE_DASK=1 but {reason}")
        pytest.skip(reason)
    with (
        LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(WORKERS, timeout=60)
        with client.get_executor() as executor:
            yield executor


def test_points_run_in_the_worker_processes(dask_executor: Executor) -> None:
    df = sweep(where_am_i, {"i": list(range(8))}, executor=dask_executor)
    pids = set(df["pid"])
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= WORKERS


def test_t_visibility_sweep_on_dask_equals_the_serial_one(dask_executor: Executor) -> None:
    grid = {"n": [3, 5], "r": [1, 2], "w": [1, 2], "t": [0.0, 5.0], "trials": [3000]}
    serial = sweep(t_visibility, grid, seed=11)
    on_dask = sweep(t_visibility, grid, executor=dask_executor, seed=11)
    assert len(serial) == 16
    pd.testing.assert_frame_equal(serial, on_dask, check_exact=True)
    assert serial["value"].between(0.0, 1.0).all()
    assert serial["value"].nunique() > 1  # a real curve, not one constant


def test_single_leader_sweep_on_dask_equals_the_serial_one(dask_executor: Executor) -> None:
    grid = {
        "mode": ["sync", "async"],
        "replication_delay": [5.0, 40.0],
        "failover_at": [None, 200.0],
    }
    serial = sweep(single_leader_metrics, grid)
    on_dask = sweep(single_leader_metrics, grid, executor=dask_executor)
    assert len(serial) == 8
    assert {"lost_writes", "stale_reads"} <= set(serial.columns)
    pd.testing.assert_frame_equal(serial, on_dask, check_exact=True)
