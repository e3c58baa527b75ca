"""Argument checks shared by the scenario functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["integer", "seconds", "seconds_list"]


def integer(name: str, value: Any, low: int, high: int) -> int:
    """``value`` as an int in ``low..high``, or ``ValueError``.

    Examples
    --------
    >>> integer("rows", 3, 1, 1000)
    3
    >>> integer("rows", True, 1, 1000)
    Traceback (most recent call last):
    ...
    ValueError: rows must be an integer in 1..1000, got True
    """
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or not low <= value <= high
    ):
        raise ValueError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    return int(value)


def seconds(name: str, value: Any, low: float, high: float) -> float:
    """``value`` as a float number of seconds in ``[low, high]``, or ``ValueError``.

    Examples
    --------
    >>> seconds("delay", "1", 0, 5)
    Traceback (most recent call last):
    ...
    ValueError: delay must be a number of seconds in 0..5, got '1'
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not low <= value <= high:
        raise ValueError(f"{name} must be a number of seconds in {low:g}..{high:g}, got {value!r}")
    return float(value)


def seconds_list(name: str, values: Any, low: float, high: float) -> list[float]:
    """A non-empty sequence of at most 10 :func:`seconds` values.

    Examples
    --------
    >>> seconds_list("delays", (0, 0.1), 0, 1)
    [0.0, 0.1]
    >>> seconds_list("delays", [], 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: delays must be a sequence of 1..10 numbers of seconds in 0..1, got []
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not 1 <= len(values) <= 10:
        raise ValueError(
            f"{name} must be a sequence of 1..10 numbers of seconds in {low:g}..{high:g}, got {values!r}"
        )
    return [seconds(name, v, low, high) for v in values]
