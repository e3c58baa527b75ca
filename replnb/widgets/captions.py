"""HTML captions and keys shown above an explorer figure."""

from __future__ import annotations

import html

from ..check import CheckResult
from ..plots import COLORS
from ..records import Run

__all__ = ["key_html", "spacetime_key", "verdict_html"]


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


def verdict_html(result: CheckResult) -> str:
    """One line saying whether the run's history is linearizable, and why not (:mod:`replnb.check`).

    Examples
    --------
    >>> import pandas as pd
    >>> from replnb.check import check
    >>> ops = pd.DataFrame({"op_id": [0, 1], "kind": ["write", "read"], "key": "x", "value": [1, None],
    ...                     "start": [0.0, 2.0], "end": [1.0, 3.0], "ok": True})
    >>> "not linearizable" in verdict_html(check(ops))
    True
    """
    if result.linearizable:
        text = "<b>linearizable</b>: one order of all operations, true to real time, explains every read"
    elif result.linearizable is None:
        text = "<b>linearizability unknown</b>: the checker's search budget ran out"
    else:
        first = result.failures[0]
        more = len(result.failures) - 1
        others = f" (and {more} more key{'s' if more > 1 else ''})" if more else ""
        key, reason = html.escape(repr(first.key)), html.escape(first.reason)
        text = f"<b>not linearizable</b>: key {key}: {reason}{others}"
    color = COLORS["highlight"] if result.linearizable is False else "#333333"
    return f"<div style='font-size:85%;color:{color}'>History: {text}.</div>"
