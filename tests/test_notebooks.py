"""Checks on the committed notebooks that strict nbval does not make.

Strict nbval itself runs from the Makefile (``make test`` passes ``--nbval
--nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg`` and the
notebook paths): it re-runs every cell and compares outputs. nbval skips cells
that were never run and ignores widget state, so this module checks that each
notebook is committed as ``make notebooks`` leaves it: executed top to bottom
in one fresh kernel, without errors, with the widget state that lets a saved
notebook show its widgets, and already normalised.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def _load_executor() -> ModuleType:
    path = REPO / "scripts" / "execute_notebooks.py"
    spec = importlib.util.spec_from_file_location("replnb_execute_notebooks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


executor = _load_executor()


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _widget_refs(outputs: list[nbformat.NotebookNode]) -> list[str]:
    return [o.data[WIDGET_VIEW_MIME]["model_id"] for o in outputs if WIDGET_VIEW_MIME in o.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_executed_in_order(path: Path) -> None:
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts}; run `make notebooks` to execute it top to bottom"
    )
    errors = [o.ename for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name} is committed with errors: {errors}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_normalised(path: Path) -> None:
    nb = _read(path)
    text = nbformat.writes(nb) + "\n"
    assert nbformat.writes(executor.normalise(_read(path))) + "\n" == text
    assert path.read_text(encoding="utf-8") == text, (
        f"{path.name} is not in nbformat's canonical layout; run `make notebooks`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_widget_state_saved(path: Path) -> None:
    nb = _read(path)
    refs = [r for c in nb.cells if c.cell_type == "code" for r in _widget_refs(c.outputs)]
    state = nb.metadata.get("widgets", {}).get(executor.WIDGET_STATE_MIME, {}).get("state", {})
    missing = [r for r in refs if r not in state]
    assert not missing, f"{path.name}: widget models {missing} have no saved state (run `make notebooks`)"


def test_normalise_strips_timing_and_renames_widget_ids() -> None:
    a, b = "ab" * 16, "cd" * 16
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("w", execution_count=1)
    cell.metadata["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00Z"}
    cell.metadata["ExecuteTime"] = {"end_time": "2024-01-01T00:00:01Z"}
    cell.metadata["tags"] = ["keep-me"]
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={WIDGET_VIEW_MIME: {"model_id": b, "version_major": 2, "version_minor": 0}}
        )
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {
        executor.WIDGET_STATE_MIME: {
            "state": {a: {"model_name": "LayoutModel"}, b: {"state": {"layout": f"IPY_MODEL_{a}"}}},
            "version_major": 2,
            "version_minor": 0,
        }
    }
    out = executor.normalise(nb)
    one, two = "0" * 31 + "1", "0" * 31 + "2"
    assert out.cells[0].metadata == {"tags": ["keep-me"]}
    assert out.cells[0].outputs[0].data[WIDGET_VIEW_MIME]["model_id"] == two
    state = out.metadata["widgets"][executor.WIDGET_STATE_MIME]["state"]
    assert list(state) == [one, two]
    assert state[two]["state"]["layout"] == f"IPY_MODEL_{one}"
    assert executor.normalise(out) == out


def test_normalise_renames_in_one_pass() -> None:
    # A random id that comes first and an already-normalised id that comes second
    # must not be collapsed onto the same new id.
    one, two = "0" * 31 + "1", "0" * 31 + "2"
    a = "ef" * 16
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {
        executor.WIDGET_STATE_MIME: {
            "state": {a: {"x": one}, one: {"x": a}},
            "version_major": 2,
            "version_minor": 0,
        }
    }
    state = executor.normalise(nb).metadata["widgets"][executor.WIDGET_STATE_MIME]["state"]
    assert state == {one: {"x": two}, two: {"x": one}}
