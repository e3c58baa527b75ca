"""Bad input, one table over every public entry point and every explorer.

Every entry point declares its parameters with :func:`replnb.params.checked`
and every explorer with :class:`replnb.widgets.base.Control`, so the table is
built from the specs themselves: for each parameter, a wrong type, a bool, a
string, NaN, infinity, a value below and above its range and a huge one.
Each must give a ``ValueError`` that names the parameter. The list of entry
points is explicit, so that a new function cannot slip past undeclared.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import replnb
from replnb import params
from replnb.params import Choice, Flag, Int, Nodes, Real, Spec

#: Every public entry point that takes parameters from a learner.
ENTRY_POINTS: list[str] = [
    "single_leader.simulate",
    "single_leader.sweep",
    "multi_leader.simulate",
    "multi_leader.sweep",
    "multi_leader.home_leader",
    "topology.build",
    "topology.layout",
    "topology.regions",
    "topology.missed_deliveries",
    "topology.sweep",
    "topology.failure_sweep",
    "topology.causality_sweep",
    "leaderless.simulate",
    "leaderless.quorum_grid",
    "leaderless.level_size",
    "leaderless.closed_form_check",
    "pbs.stale_read_probability",
    "pbs.k_staleness",
    "pbs.visibility_thresholds",
    "pbs.t_visibility",
    "pbs.t_visibility_quantile",
    "check.check",
    "check.verdict_table",
    "compare.make_workload",
    "compare.compare",
    "compare.sweep",
    "grid.sweep",
    "leaderless.two_datacenters",
]

#: Arguments without defaults that an entry point needs besides the one under test.
BASE: dict[str, dict[str, Any]] = {
    "single_leader.sweep": {"grid": {"mode": ["sync"]}},
    "multi_leader.sweep": {"param": "clock_skew", "values": [0.0]},
    "multi_leader.home_leader": {"key": "x", "leaders": 3},
    "topology.build": {"topology": "circular", "n": 3},
    "topology.layout": {"topology": "circular", "n": 3},
    "topology.regions": {"sizes": [2, 2]},
    "topology.missed_deliveries": {"topology": "circular", "failed": ["C"], "leaders": 5},
    "topology.sweep": {"ns": [3]},
    "topology.failure_sweep": {"ns": [3]},
    "topology.causality_sweep": {"jitters": [0.0]},
    "leaderless.quorum_grid": {"n": 3},
    "leaderless.level_size": {"level": "QUORUM", "n": 3},
    "leaderless.closed_form_check": {"cases": [(3, 1, 1)]},
    "pbs.stale_read_probability": {"n": 3, "r": 1, "w": 1},
    "pbs.k_staleness": {"n": 3, "r": 1, "w": 1, "k": 1},
    "pbs.visibility_thresholds": {"n": 3, "r": 1, "w": 1},
    "pbs.t_visibility": {"n": 3, "r": 1, "w": 1, "t": 0.0},
    "pbs.t_visibility_quantile": {"n": 3, "r": 1, "w": 1, "p": 0.99},
    "compare.make_workload": {"mix": "balanced"},
    "compare.compare": {"mix": "balanced"},
    "compare.sweep": {"mixes": ["balanced"], "seeds": [0]},
    "grid.sweep": {"fn": lambda x=1, seed=0: {"y": x}, "grid": {"x": [1]}},
    "check.verdict_table": {"histories": {}},
    "check.check": {
        "ops": pd.DataFrame(
            {"op_id": [0], "kind": ["write"], "key": ["x"], "value": [1]}
            | {"start": [0.0], "end": [1.0], "ok": [True]}
        )
    },
}

EXPLORERS = [
    replnb.SingleLeaderExplorer,
    replnb.ConflictExplorer,
    replnb.TopologyExplorer,
    replnb.QuorumExplorer,
    replnb.SchemeExplorer,
]


def resolve(path: str) -> Callable[..., Any]:
    obj: Any = replnb
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def defaults(fn: Callable[..., Any]) -> dict[str, Any]:
    sig = inspect.signature(fn)
    return {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}


def bad_values(spec: Spec, context: dict[str, Any]) -> Iterator[Any]:
    """Values that ``spec`` must refuse, with named bounds resolved against ``context``."""
    yield object()
    if not isinstance(spec, Flag):
        yield True
    if not isinstance(spec, (Choice, Nodes)):
        yield "3"
    if isinstance(spec, (Int, Real, Choice)):
        yield math.nan
        yield -math.inf
    if isinstance(spec, Int):
        lo, hi = spec.bounds(context)
        yield from (lo - 1, hi + 1, 10**12, 2.5, math.inf)
    elif isinstance(spec, Real):
        lo, hi = spec.bounds(context)
        yield lo if spec.low_open else lo - 1
        if not spec.allow_inf:
            yield from (math.inf, hi + abs(hi) + 1, 1e300)
    elif isinstance(spec, Choice):
        yield "no such option"
    elif isinstance(spec, Flag):
        yield 1
        yield "yes"
    elif isinstance(spec, Nodes):
        yield ["no such node"]
        yield 3


def refused(spec: Spec, context: dict[str, Any]) -> Iterator[Any]:
    """The :func:`bad_values` that ``spec`` really refuses (a choice may list True, say)."""
    for value in bad_values(spec, context):
        if value is None and spec.none:
            continue
        if not spec.accept(value, context)[0]:
            yield value


def cases() -> Iterator[Any]:
    for path in ENTRY_POINTS:
        fn = resolve(path)
        base = BASE.get(path, {})
        context = {**defaults(fn), **base}
        for name, spec in params.specs_of(fn).items():
            for value in refused(spec, context):
                yield pytest.param(fn, base, name, value, id=f"{path}-{name}-{value!r}"[:90])


def explorer_cases() -> Iterator[Any]:
    for cls in EXPLORERS:
        context = defaults(cls.__init__)
        for control in cls.specs:
            for value in refused(control.spec, context):
                name = control.name
                yield pytest.param(cls, name, value, id=f"{cls.__name__}-{name}-{value!r}"[:90])


@pytest.mark.parametrize("path", ENTRY_POINTS)
def test_every_entry_point_declares_its_parameters(path: str) -> None:
    fn = resolve(path)
    specs = params.specs_of(fn)
    assert specs, f"{path} declares no parameter specs (decorate it with replnb.params.checked)"
    plain = [
        name
        for name, p in inspect.signature(fn).parameters.items()
        if name not in specs and isinstance(p.default, (bool, int, float, str)) and name != "seed"
    ]
    assert not plain, f"{path}: parameters without a spec: {plain}"


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_every_explorer_declares_its_controls(cls: type) -> None:
    names = {c.name for c in cls.specs}
    assert names, f"{cls.__name__} declares no Control specs"
    ctor = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert names == ctor, f"{cls.__name__}: constructor parameters {sorted(ctor)} vs controls {sorted(names)}"


@pytest.mark.parametrize(("fn", "base", "name", "value"), list(cases()))
def test_bad_input_names_the_parameter(
    fn: Callable[..., Any], base: dict[str, Any], name: str, value: Any
) -> None:
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        fn(**{**base, name: value})


@pytest.mark.parametrize(("cls", "name", "value"), list(explorer_cases()))
def test_bad_explorer_input_names_the_parameter(cls: type, name: str, value: Any) -> None:
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        cls(**{name: value})


# -- the mechanism itself ------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-5, 20),
    st.integers(-5, 20),
    st.one_of(st.integers(), st.floats(), st.booleans(), st.text()),
)
def test_int_accepts_exactly_the_integers_in_range(lo: int, hi: int, value: Any) -> None:
    spec = Int(lo, hi)
    ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    if ok:
        assert spec.check("x", value) == value
    else:
        with pytest.raises(ValueError, match=rf"^x must be an integer in {lo}\.\.{hi}, got "):
            spec.check("x", value)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.booleans()))
def test_real_refuses_bools_nan_and_infinity(value: Any) -> None:
    spec = Real(-100.0, 100.0)
    ok = not isinstance(value, bool) and math.isfinite(value) and -100 <= value <= 100
    if ok:
        assert spec.check("x", value) == float(value)
    else:
        with pytest.raises(ValueError, match=r"^x must be a number in \[-100, 100\], got "):
            spec.check("x", value)


def test_a_named_bound_follows_the_other_parameter() -> None:
    @params.checked(n=Int(1, 9), w=Int(1, "n"))
    def f(n: int = 3, w: int = 2) -> tuple[int, int]:
        return n, w

    assert f(n=9, w=9) == (9, 9)
    with pytest.raises(ValueError, match=r"^w must be an integer in 1\.\.3, got 4$"):
        f(w=4)
    with pytest.raises(ValueError, match=r"^n must be an integer in 1\.\.9, got 0$"):
        f(n=0, w=1)


def test_none_is_refused_unless_allowed() -> None:
    assert Real(0, 1, none=True).check("t", None) is None
    with pytest.raises(ValueError, match=r"^t must be a number in \[0, 1\], got None$"):
        Real(0, 1).check("t", None)
    with pytest.raises(ValueError, match=r"or None, got 'x'$"):
        Real(0, 1, none=True).check("t", "x")


def test_checked_refuses_a_spec_for_a_missing_parameter() -> None:
    with pytest.raises(TypeError, match="no parameter"):
        params.checked(q=Int(0, 1))(lambda n=1: n)


def test_numpy_integers_are_integers_and_come_back_as_int() -> None:
    np = pytest.importorskip("numpy")
    value = Int(0, 9).check("n", np.int64(4))
    assert value == 4 and type(value) is int
    assert Choice((1, 2)).check("k", np.int64(2)) == 2
    with pytest.raises(ValueError):
        Choice((1, 2)).check("k", True)
