"""The verdict an exercise checker returns."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Feedback"]


@dataclass(frozen=True)
class Feedback:
    """The verdict on an answer: ``ok`` and a message (with a hint when wrong).

    Examples
    --------
    >>> fb = Feedback(False, "Not yet.", hint="Think about the ack.")
    >>> bool(fb)
    False
    >>> print(fb)
    ✗ Not yet. Hint: Think about the ack.
    """

    ok: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        mark = "✓" if self.ok else "✗"
        hint = f" Hint: {self.hint}" if self.hint and not self.ok else ""
        return f"{mark} {self.message}{hint}"

    def _repr_markdown_(self) -> str:
        colour = "#009E73" if self.ok else "#D55E00"
        return f"<span style='color:{colour}'>{self}</span>"
