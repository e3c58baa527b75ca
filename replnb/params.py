"""Parameter specs: the one way every model and explorer checks its inputs.

A spec says what a parameter may be (:class:`Int`, :class:`Real`,
:class:`Choice`, :class:`Flag`, :class:`Nodes`). A model declares its specs
once, with :func:`checked`; an explorer builds its controls from the same
specs (:class:`replnb.widgets.base.Control`), so the slider's range and the
constructor's check cannot disagree. The rules are the same everywhere:

- a bool is never a number, and a string is never a number;
- NaN and infinity are refused unless a spec allows infinity;
- every number has an upper bound, chosen so that no accepted input keeps a
  kernel busy for more than a few seconds;
- a bound may name another parameter (``Int(1, "n")``), which is checked
  first and whose checked value is the bound;
- one message format: ``"n must be an integer in 1..9, got True"``.

Why not pydantic's ``validate_call`` or attrs validators? Both check types
well, but their messages are written for programmers (``Input should be a
valid integer [type=int_type, ...]``), they accept ``"3"`` or ``True`` for
an integer in lax mode, and a widget cannot be built from them without
reading their internals. A spec here is a small frozen dataclass that a
learner-facing message, a test table and a slider can all read.

Examples
--------
>>> @checked(n=Int(1, 9), r=Int(1, "n"), mode=Choice(("sync", "async")))
... def f(n=3, r=2, mode="sync"):
...     return n, r, mode
>>> f(5, 4)
(5, 4, 'sync')
>>> f(n=3, r=4)
Traceback (most recent call last):
...
ValueError: r must be an integer in 1..3, got 4
>>> f(n=True)
Traceback (most recent call last):
...
ValueError: n must be an integer in 1..9, got True
>>> sorted(f.__params__)
['mode', 'n', 'r']
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Choice", "Flag", "Int", "Nodes", "Real", "Spec", "Values", "check", "checked", "specs_of"]

Bound = int | float | str
F = TypeVar("F", bound=Callable[..., Any])


class Spec:
    """What a parameter may be; subclasses implement :meth:`accept` and :meth:`describe`."""

    #: ``None`` is accepted too (and passed through unchanged).
    none: bool = False

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        """``(True, normalised value)`` when ``value`` is allowed, else ``(False, None)``."""
        raise NotImplementedError

    def describe(self, context: Mapping[str, Any]) -> str:
        """What is allowed, in words, completing "x must be ..."."""
        raise NotImplementedError

    def check(self, name: str, value: Any, context: Mapping[str, Any] | None = None) -> Any:
        """The normalised ``value``, or a ``ValueError`` naming ``name``, the range and the value."""
        context = context or {}
        if value is None and self.none:
            return None
        ok, normalised = self.accept(value, context)
        if not ok:
            what = self.describe(context) + (" or None" if self.none else "")
            raise ValueError(f"{name} must be {what}, got {value!r}")
        return normalised

    def bounds(self, context: Mapping[str, Any]) -> tuple[Any, Any]:
        """``(low, high)`` with named bounds resolved (numbers only)."""
        lo, hi = getattr(self, "lo", None), getattr(self, "hi", None)
        return _resolve(lo, context), _resolve(hi, context)


def _resolve(bound: Bound | None, context: Mapping[str, Any]) -> Any:
    if isinstance(bound, str):
        if bound not in context:
            raise ValueError(f"the bound {bound!r} names a parameter that is not checked before this one")
        return context[bound]
    return bound


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""


@dataclass(frozen=True)
class Int(Spec):
    """An integer in ``lo..hi`` (both included); either bound may name a parameter.

    Examples
    --------
    >>> Int(0, 99).check("seed", 7)
    7
    >>> Int(0, 99).check("seed", 7.0)
    Traceback (most recent call last):
    ...
    ValueError: seed must be an integer in 0..99, got 7.0
    """

    lo: Bound
    hi: Bound
    unit: str = ""
    none: bool = False

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            return False, None
        lo, hi = self.bounds(context)
        return bool(lo <= value <= hi), int(value)

    def describe(self, context: Mapping[str, Any]) -> str:
        lo, hi = self.bounds(context)
        return f"an integer in {lo}..{hi}{_unit(self.unit)}"


@dataclass(frozen=True)
class Real(Spec):
    """A finite number in ``[lo, hi]`` (``(lo, hi]`` with ``low_open``); ``inf`` only with ``allow_inf``.

    Integers are accepted and returned as floats.

    Examples
    --------
    >>> Real(0, 1000, unit="ms").check("delay", 20)
    20.0
    >>> Real(0, 1000, unit="ms").check("delay", float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: delay must be a number in [0, 1000] ms, got nan
    >>> Real(0, 1000, low_open=True).check("rate", 0)
    Traceback (most recent call last):
    ...
    ValueError: rate must be a number in (0, 1000], got 0
    """

    lo: Bound
    hi: Bound
    unit: str = ""
    low_open: bool = False
    allow_inf: bool = False
    none: bool = False

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        if not _is_number(value):
            return False, None
        v = float(value)
        if math.isnan(v) or (math.isinf(v) and not (self.allow_inf and v > 0)):
            return False, None
        lo, hi = self.bounds(context)
        inside = (lo < v if self.low_open else lo <= v) and (v <= hi or math.isinf(v))
        return inside, v

    def describe(self, context: Mapping[str, Any]) -> str:
        lo, hi = self.bounds(context)
        high = "inf" if self.allow_inf else f"{hi:g}"
        return f"a number in {'(' if self.low_open else '['}{lo:g}, {high}]{_unit(self.unit)}"


@dataclass(frozen=True)
class Choice(Spec):
    """One of ``options`` (compared by equality; a bool never matches a number).

    Examples
    --------
    >>> Choice(("sync", "async")).check("mode", "async")
    'async'
    >>> Choice(("sync", "async")).check("mode", "fast")
    Traceback (most recent call last):
    ...
    ValueError: mode must be one of ['sync', 'async'], got 'fast'
    """

    options: tuple[Any, ...]
    none: bool = False

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        for option in self.options:
            same_kind = type(option) is type(value) or (_is_number(option) and _is_number(value))
            if same_kind and option == value:
                return True, option
        return False, None

    def describe(self, context: Mapping[str, Any]) -> str:
        return f"one of {list(self.options)}"


@dataclass(frozen=True)
class Flag(Spec):
    """``True`` or ``False`` (not 0 or 1).

    Examples
    --------
    >>> Flag().check("fencing", 1)
    Traceback (most recent call last):
    ...
    ValueError: fencing must be True or False, got 1
    """

    none: bool = False

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        return isinstance(value, bool), value

    def describe(self, context: Mapping[str, Any]) -> str:
        return "True or False"


@dataclass(frozen=True)
class Nodes(Spec):
    """A list of distinct node names among ``among`` (a sequence, or the name of a parameter holding one).

    A single name is accepted as a list of one. At most ``most`` names
    (a number or a parameter name); by default any number.

    Examples
    --------
    >>> Nodes(("A", "B", "C")).check("failed", "B")
    ['B']
    >>> Nodes(("A", "B", "C"), most=1).check("failed", ["A", "B"])
    Traceback (most recent call last):
    ...
    ValueError: failed must be a list of at most 1 distinct names among ['A', 'B', 'C'], got ['A', 'B']
    """

    among: Sequence[str] | str
    most: Bound | None = None
    none: bool = False

    def _names(self, context: Mapping[str, Any]) -> list[str]:
        names = _resolve(self.among, context) if isinstance(self.among, str) else self.among
        return list(names)

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) for x in items):
            return False, None
        most = _resolve(self.most, context)
        allowed = set(self._names(context))
        ok = len(set(items)) == len(items) and set(items) <= allowed and (most is None or len(items) <= most)
        return ok, list(items)

    def describe(self, context: Mapping[str, Any]) -> str:
        most = _resolve(self.most, context)
        size = f"at most {most} " if most is not None else ""
        return f"a list of {size}distinct names among {self._names(context)}"


@dataclass(frozen=True)
class Values(Spec):
    """A non-empty list of at most ``most`` values, each allowed by the spec ``item``.

    Any iterable but a string or a mapping is accepted, and returned as a list
    of the item spec's normalised values; with ``distinct``, no value twice.

    Examples
    --------
    >>> Values(Int(2, 10)).check("ns", range(3, 6))
    [3, 4, 5]
    >>> Values(Int(2, 10)).check("ns", [3, 12])
    Traceback (most recent call last):
    ...
    ValueError: ns must be a non-empty list of at most 1000 values, each an integer in 2..10, got [3, 12]
    """

    item: Spec
    most: int = 1000
    distinct: bool = False
    none: bool = False

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            return False, None
        items = list(itertools.islice(value, self.most + 1))
        if not 1 <= len(items) <= self.most:
            return False, None
        out = []
        for item in items:
            ok, normalised = self.item.accept(item, context)
            if not ok:
                return False, None
            out.append(normalised)
        return not self.distinct or len(set(out)) == len(out), out

    def describe(self, context: Mapping[str, Any]) -> str:
        distinct = "distinct " if self.distinct else ""
        return f"a non-empty list of at most {self.most} {distinct}values, each {self.item.describe(context)}"


def check(specs: Mapping[str, Spec], values: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``values`` against ``specs`` in the specs' order; returns the normalised values.

    A value missing from ``values`` is not checked (the caller's default
    applies); names in ``values`` without a spec pass through unchanged.

    Examples
    --------
    >>> check({"n": Int(1, 9), "w": Int(1, "n")}, {"n": 3, "w": 3})
    {'n': 3, 'w': 3}
    """
    out = dict(values)
    for name, spec in specs.items():
        if name in values:
            out[name] = spec.check(name, values[name], out)
    return out


def checked(**specs: Spec) -> Callable[[F], F]:
    """Decorate a function so that its arguments are checked against ``specs`` on every call.

    The specs are checked in the order given, after defaults are applied;
    the function receives the normalised values. The decorated function
    keeps its signature and exposes its specs as ``__params__``.
    """

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        unknown = sorted(set(specs) - set(signature.parameters))
        if unknown:
            raise TypeError(f"{fn.__qualname__} has no parameter(s) {unknown}")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            bound.arguments.update(check(specs, bound.arguments))
            return fn(*bound.args, **bound.kwargs)

        wrapper.__params__ = dict(specs)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def specs_of(fn: Callable[..., Any]) -> dict[str, Spec]:
    """The specs a :func:`checked` function declares (empty for any other callable)."""
    return dict(getattr(fn, "__params__", {}))
