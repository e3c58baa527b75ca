"""One explicit random generator per run.

Every function in replnb that draws random numbers takes
``seed: int | numpy.random.Generator | None`` and normalises it here, never
through global state, so that a fixed seed gives the same run in any process.
"""

from __future__ import annotations

import zlib

import numpy as np

Seed = int | np.random.Generator | None

__all__ = ["Seed", "as_rng", "stable_hash"]


def as_rng(seed: Seed) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        An int seeds a new PCG64 generator; a Generator is returned as it is;
        ``None`` draws fresh entropy (not reproducible).

    Examples
    --------
    >>> bool(as_rng(7).integers(100) == as_rng(7).integers(100))
    True
    >>> g = as_rng(1)
    >>> as_rng(g) is g
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed}")
        return np.random.default_rng(seed)
    raise ValueError(f"seed must be an int >= 0, a numpy Generator or None, got {seed!r}")


def stable_hash(text: str) -> int:
    """A process-independent hash of ``text`` (CRC-32), for placing keys.

    The built-in :func:`hash` is salted per process, so it must never decide
    where a key lives.

    Examples
    --------
    >>> stable_hash("cart:alice")
    542986150
    """
    return zlib.crc32(text.encode("utf-8"))
