"""The golden runs stay equal: a refactor changes no model's behaviour.

See ``tests/golden_cases.py`` for the cases and how to regenerate them.
"""

from __future__ import annotations

import json

import pytest
from golden_cases import GOLDEN, cases

EXPECTED = json.loads(GOLDEN.read_text())
CASES = dict(cases())


def test_the_golden_file_covers_every_case() -> None:
    assert sorted(EXPECTED) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_run(name: str) -> None:
    got = json.loads(json.dumps(CASES[name](), default=repr))
    assert got == EXPECTED[name]
