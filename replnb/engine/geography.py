"""Regions and the extra delay of a message between them.

Every model of the course takes the same two geography parameters:
``regions`` (a mapping from each node, and optionally each client, to the
name of its region) and ``far_latency`` (the extra one-way delay in ms of a
message whose two ends sit in different regions). A node or client that is
not named sits in the region ``"local"``. The near delay is the model's own
latency; ``far_latency`` is added on top, as the PBS paper's WAN preset adds
75 ms to the messages that cross to a remote datacenter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_REGION", "Geography", "geography"]

DEFAULT_REGION = "local"


@dataclass(frozen=True)
class Geography:
    """Which region every node and client sits in, and the delay between regions.

    Examples
    --------
    >>> geo = Geography({"A": "eu", "B": "us", "c1": "us"}, far=40.0)
    >>> geo.extra("A", "B"), geo.extra("B", "c1"), geo.extra("C", "D")
    (40.0, 0.0, 0.0)
    >>> geo.region("C")
    'local'
    """

    regions: Mapping[str, str] = field(default_factory=dict)
    far: float = 0.0

    def region(self, name: str) -> str:
        """The region of a node or client (``"local"`` when it is not named)."""
        return self.regions.get(name, DEFAULT_REGION)

    def extra(self, a: str, b: str) -> float:
        """The extra one-way delay, in ms, of a message between ``a`` and ``b``."""
        if not self.far or self.region(a) == self.region(b):
            return 0.0
        return self.far

    def near(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` sit in the same region."""
        return self.region(a) == self.region(b)


def geography(regions: Any, far_latency: Any, names: Iterable[str]) -> Geography:
    """Check the two geography parameters of a model and build its :class:`Geography`.

    ``names`` are the nodes and clients that may be given a region.

    Examples
    --------
    >>> geography({"A": "eu"}, 30.0, ["A", "B"]).extra("A", "B")
    30.0
    >>> geography({"Z": "eu"}, 30.0, ["A", "B"])
    Traceback (most recent call last):
    ...
    ValueError: regions must map nodes or clients among ['A', 'B'] to region names, got 'Z'
    """
    known = list(names)
    if regions is None:
        regions = {}
    if not isinstance(regions, Mapping):
        raise ValueError(f"regions must be a mapping from node or client to region name, got {regions!r}")
    for name, region in regions.items():
        if name not in known:
            raise ValueError(f"regions must map nodes or clients among {known} to region names, got {name!r}")
        if not isinstance(region, str) or not region:
            raise ValueError(
                f"regions must give each name a non-empty region name, got {region!r} for {name!r}"
            )
    if isinstance(far_latency, bool) or not isinstance(far_latency, (int, float)):
        raise ValueError(f"far_latency must be a number of ms in 0..10000, got {far_latency!r}")
    if not (math.isfinite(far_latency) and 0.0 <= far_latency <= 10_000.0):
        raise ValueError(f"far_latency must be a number of ms in 0..10000, got {far_latency!r}")
    return Geography(dict(regions), float(far_latency))
