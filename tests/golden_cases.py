"""Golden runs: the digests that the redesign must keep equal.

``python tests/golden_cases.py`` writes ``tests/golden/runs.json`` from the
current code; ``tests/test_golden.py`` recomputes every case and compares.
A change that is meant to change a model's behaviour regenerates the file in
the same commit and says so.
"""

from __future__ import annotations

import hashlib
import json
import math
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from replnb import compare, leaderless, multi_leader, pbs, single_leader, topology

GOLDEN = pathlib.Path(__file__).with_name("golden") / "runs.json"
SEEDS = range(20)


def _value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return repr(v)


def _frame_digest(df: pd.DataFrame) -> str:
    return hashlib.sha256(df.to_csv(index=True, float_format="%.9g").encode()).hexdigest()[:16]


def digest(run: Any) -> dict[str, Any]:
    """Metrics verbatim, ops and messages as short hashes."""
    return {
        "metrics": {str(k): _value(v) for k, v in run.metrics.items()},
        "ops": _frame_digest(run.ops),
        "messages": _frame_digest(run.messages),
    }


def cases() -> Iterator[tuple[str, Callable[[], Any]]]:
    modes = ["sync", "async", "semi-sync"]
    for s in SEEDS:
        mode = modes[s % 3]
        yield (
            f"single_leader/{mode}/failover/{s}",
            lambda s=s, mode=mode: digest(
                single_leader.simulate(mode=mode, replication_delay=200, failover_at=500, seed=s)
            ),
        )
        yield (
            f"single_leader/{mode}/follower-reads/{s}",
            lambda s=s, mode=mode: digest(single_leader.simulate(mode=mode, read_from="any", seed=s)),
        )
    resolvers = ["lww", "max", "union"]
    kinds = ["all-to-all", "circular", "star"]
    for s in SEEDS:
        res, kind = resolvers[s % 3], kinds[(s // 3) % 3]
        work = "cart" if res == "union" else "register"
        yield (
            f"multi_leader/{res}/{kind}/{s}",
            lambda s=s, res=res, kind=kind, work=work: digest(
                multi_leader.simulate(resolver=res, topology=kind, workload=work, clock_skew=30.0, seed=s)
            ),
        )
    for s in SEEDS:
        r, w = [(1, 1), (2, 2), (1, 2), (3, 1)][s % 4]
        yield (
            f"leaderless/r{r}w{w}/{s}",
            lambda s=s, r=r, w=w: digest(leaderless.simulate(n=3, r=r, w=w, seed=s)),
        )
        yield (
            f"leaderless/sloppy/{s}",
            lambda s=s: digest(
                leaderless.simulate(n=5, r=2, w=2, sloppy=True, failures=[("B", 100.0, 600.0)], seed=s)
            ),
        )
    for s in range(4):
        yield (
            f"compare/balanced/{s}",
            lambda s=s: compare.compare("balanced", seed=s).round(9).astype(str).to_dict(),
        )
    for s in range(5):
        yield (
            f"topology/missed/{s}",
            lambda s=s: topology.missed_deliveries("circular", ["C"], leaders=5, seed=s),
        )
        yield (
            f"pbs/t_visibility/{s}",
            lambda s=s: _value(pbs.t_visibility(3, 1, 1, 5.0, trials=20_000, seed=s)),
        )


def compute() -> dict[str, Any]:
    return {name: json.loads(json.dumps(fn(), default=repr)) for name, fn in cases()}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")  # noqa: T201
