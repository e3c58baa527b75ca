"""Execute the course notebooks in place, so that they are committed executed.

Usage::

    python scripts/execute_notebooks.py                # every notebooks/*.ipynb
    python scripts/execute_notebooks.py path/a.ipynb   # only these
    python scripts/execute_notebooks.py --check        # fail if a re-run would change a file

Each notebook runs top to bottom in a fresh ``python3`` kernel (execution counts
1, 2, 3, ...), with the notebook's own folder as working directory and with the
widget state stored in the notebook (nbclient ``store_widget_state``), so that a
saved notebook shows its widgets before any kernel runs.

Afterwards the notebook is normalised so that re-running an unchanged notebook
gives a byte-identical file:

* no execution timestamps (``record_timing=False``; stray ``execution`` /
  ``ExecuteTime`` cell metadata is dropped);
* the random widget model ids (uuid4 hex) are renamed, in the order in which the
  kernel created the widgets, to ``uuid.UUID(int=n).hex``;
* the file is written by :func:`nbformat.write` (sorted keys, one space indent).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")
CELL_TIMEOUT_S = 300


def kernel_env() -> dict[str, str]:
    """Environment of the kernel: ours, minus settings that change notebook output."""
    env = dict(os.environ)
    # The notebooks rely on the inline backend that ipykernel picks when
    # MPLBACKEND is unset; an inherited "Agg" would silently drop every figure.
    env.pop("MPLBACKEND", None)
    # No progress bars (replnb.progress): whether one shows depends on how long a sweep
    # takes, and a saved bar would make the committed notebooks differ from run to run.
    env["REPLNB_PROGRESS"] = "0"
    return env


def _rename_widget_ids(text: str, state: dict[str, Any]) -> str:
    """Replace each widget model id in ``text`` by a deterministic one.

    ``state`` keeps the kernel's creation order (nbclient fills it as comm
    messages arrive), which is deterministic for a deterministic notebook.
    """
    mapping = {model_id: uuid.UUID(int=n).hex for n, model_id in enumerate(state, start=1)}
    # One pass, so that an id that is already of the new form is not renamed twice.
    pattern = re.compile("|".join(re.escape(model_id) for model_id in mapping))
    return pattern.sub(lambda m: mapping[m.group(0)], text)


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return ``nb`` with volatile metadata removed and widget ids made stable."""
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    if state:
        text = _rename_widget_ids(json.dumps(nb), state)
        nb = nbformat.from_dict(json.loads(text))
    return nb


def check_counts(nb: nbformat.NotebookNode, path: Path) -> None:
    """Fail unless the code cells ran in order, 1..n, with no error output."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    if counts != list(range(1, len(code) + 1)):
        raise SystemExit(f"{path}: execution counts {counts} are not 1..{len(code)}")
    for i, cell in enumerate(code, start=1):
        for out in cell.outputs:
            if out.output_type == "error":
                raise SystemExit(f"{path}: code cell {i} raised {out.ename}: {out.evalue}")


def execute(path: Path) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` in a fresh kernel; return the normalised result."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
        allow_errors=False,
    )
    client.execute(env=kernel_env())
    nb = normalise(nb)
    check_counts(nb, path)
    nbformat.validate(nb)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if a notebook would change"
    )
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print(f"no notebooks under {NOTEBOOKS}")
        return 0
    changed = []
    for path in paths:
        start = time.perf_counter()
        nb = execute(path)
        new = nbformat.writes(nb) + "\n"
        old = path.read_text(encoding="utf-8")
        if new != old:
            changed.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
        status = "changed" if new != old else "unchanged"
        print(
            f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
            f"{status} ({time.perf_counter() - start:.1f} s)"
        )
    if args.check and changed:
        print("would change: " + ", ".join(str(p) for p in changed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
