"""Exercise checkers, one module per chapter: each takes the learner's answer and says if it is right.

A checker returns a :class:`Feedback` (truthy when correct) whose text names
what is wrong and gives a hint, without giving the answer away. Each checker
decides by simulating the answer, not by arithmetic on it.
"""

from __future__ import annotations

from .compare import APPLICATIONS, accepted_schemes, check_scheme_choice
from .feedback import Feedback
from .leaderless import GOALS, check_quorum_goal
from .multi_leader import check_cart_resolver
from .single_leader import SINGLE_LEADER_EXERCISE, check_single_leader
from .topology import check_worst_failure

__all__ = [
    "APPLICATIONS",
    "GOALS",
    "SINGLE_LEADER_EXERCISE",
    "Feedback",
    "accepted_schemes",
    "check_cart_resolver",
    "check_quorum_goal",
    "check_scheme_choice",
    "check_single_leader",
    "check_worst_failure",
]
