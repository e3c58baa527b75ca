"""HTML captions and keys shown above an explorer figure."""

from __future__ import annotations

from ..plots import COLORS
from ..records import Run

__all__ = ["key_html", "spacetime_key"]


def spacetime_key(run: Run) -> list[tuple[str, str, str]]:
    """The key of :func:`replnb.plots.plot_spacetime`'s symbols that occur in ``run``."""

    ops, msgs = run.ops, run.messages
    kinds = set(ops["kind"]) if len(ops) else set()
    key = [("●", COLORS["write"], "acknowledged write")]
    if "write" in kinds and not ops.loc[ops["kind"] == "write", "ok"].astype(bool).all():
        key.append(("○", COLORS["write"], "unacknowledged write"))
    if "lost" in ops and ops["lost"].fillna(False).astype(bool).any():
        key.append(("✖", COLORS["lost"], "lost write"))
    key.append(("→", COLORS["message"], "message"))
    if len(msgs) and msgs["delivered"].isna().any():
        key.append(("┈|", COLORS["dropped"], "dropped message"))
    if "read" in kinds:
        key.append(("▲", COLORS["read"], "read"))
        if "stale" in ops:
            key.append(("▲", COLORS["stale"], "stale read"))
    if len(run.events) and (run.events["event"] == "crash").any():
        key.append(("▬", COLORS["down"], "node down"))
    return key


def key_html(items: list[tuple[str, str, str]]) -> str:
    """A one-line legend: ``(symbol, colour, meaning)`` items as coloured HTML."""
    parts = [
        f"<span style='white-space:nowrap'><span style='color:{color};font-weight:bold'>{symbol}</span>"
        f"&nbsp;{meaning}</span>"
        for symbol, color, meaning in items
    ]
    return "<div style='font-size:85%;line-height:1.5'>" + " &nbsp; ".join(parts) + "</div>"
