"""The layers import one way, read from the source with ``ast``.

ground floor (records, metrics, params) -> engine -> models -> plots ->
widgets -> exercises -> the package itself. Besides the order: the engine
knows no model, no model imports matplotlib or ipywidgets, plots import no
ipywidgets, no module takes another's private name, no function imports a
replnb module, and the chapters' packages import each other without cycles.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import networkx as nx
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "replnb"

GROUND = {"records", "metrics", "params"}
RANK = {"engine": 1, "plots": 3, "widgets": 4, "exercises": 5}
GUI = ("matplotlib", "ipywidgets", "IPython", "PIL")


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def rank(module: str) -> int:
    """0 ground floor, 1 engine, 2 models, 3 plots, 4 widgets, 5 exercises, 6 the package."""
    parts = module.split(".")
    if len(parts) == 1:
        return 6
    if parts[1] in GROUND:
        return 0
    return RANK.get(parts[1], 2)


def imports(path: pathlib.Path) -> Iterator[tuple[str, list[str], bool, int]]:
    """``(absolute module, imported names, inside a function, line)`` for every import."""
    tree = ast.parse(path.read_text())
    nested = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(fn)
    }
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], id(node) in nested, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: len(package) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            names = [a.name for a in node.names]
            if not node.module and node.level:  # from . import a, b: each is a module
                for name in names:
                    yield f"{base}.{name}", [], id(node) in nested, node.lineno
            else:
                yield base, names, id(node) in nested, node.lineno


FILES = sorted(ROOT.rglob("*.py"))
EDGES = [
    (module_name(p), target, names, nested, line)
    for p in FILES
    for target, names, nested, line in imports(p)
]


def test_the_tree_is_read() -> None:
    modules = {module_name(p) for p in FILES}
    assert {"replnb.records", "replnb.params", "replnb.engine.sim", "replnb.plots.spacetime"} <= modules
    assert any(t.startswith("replnb.engine") for _, t, *_ in EDGES)


@pytest.mark.parametrize("source", sorted({e[0] for e in EDGES}))
def test_no_upward_import(source: str) -> None:
    upward = [
        f"{target} (line {line})"
        for src, target, _, _, line in EDGES
        if src == source and target.startswith("replnb") and rank(target) > rank(source)
    ]
    assert not upward, f"{source} imports a higher layer: {upward}"


def test_models_draw_nothing_and_plots_show_no_widgets() -> None:
    bad = [
        f"{src} imports {target}"
        for src, target, _, _, _ in EDGES
        if (rank(src) <= 2 and target.split(".")[0] in GUI)
        or (rank(src) == 3 and target.split(".")[0] in ("ipywidgets", "IPython"))
    ]
    assert not bad


def test_no_private_names_across_modules() -> None:
    bad = [
        f"{src} takes {target}.{name}"
        for src, target, names, _, _ in EDGES
        for name in names
        if target.startswith("replnb") and target != src and name.startswith("_") and name != "__future__"
    ]
    assert not bad


def test_no_function_imports_a_replnb_module() -> None:
    bad = [f"{src}:{line} {t}" for src, t, _, nested, line in EDGES if nested and t.startswith("replnb")]
    assert not bad


def test_the_chapters_import_each_other_without_cycles() -> None:
    graph = nx.DiGraph()
    for src, target, _, _, _ in EDGES:
        a, b = src.split("."), target.split(".")
        if b[0] == "replnb" and len(a) > 1 and len(b) > 1 and a[1] != b[1]:
            graph.add_edge(a[1], b[1])
    assert graph.number_of_edges() > 10
    assert nx.is_directed_acyclic_graph(graph), list(nx.simple_cycles(graph))
