"""Every relative link in the course resolves, and the notebooks are chained.

* Every relative link (``[text](target)``, reference-style ``[id]: target``,
  HTML ``href=`` / ``src=``) in every notebook's markdown cells and in
  ``README.md`` points at an existing file or folder of the repository. A
  ``#fragment`` pointing into a notebook or a markdown file must name one of
  its headings (as JupyterLab or GitHub spell heading anchors) or an explicit
  ``<a id=...>`` / ``<a name=...>``.
* Each course notebook (``notebooks/NN_*.ipynb``) links, near its top and near
  its bottom, to the previous notebook, to the next one and to
  ``00_start_here`` (the first has no previous one, the last no next one, and
  ``00_start_here`` does not link to itself).

The tests are parametrized over whatever notebooks exist, so they grow with
the course.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
COURSE = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if re.match(r"\d\d_", p.name))
ALL_NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
README = REPO / "README.md"
DOCUMENTS = ALL_NOTEBOOKS + ([README] if README.exists() else [])
START = "00_start_here.ipynb"
#: How many markdown cells count as the "top" and the "bottom" of a notebook.
EDGE_CELLS = 2

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
CODE_SPAN = re.compile(r"`+[^`\n]*`+")
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)
HTML_ATTR = re.compile(r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.M)
HTML_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.I | re.S)
EXPLICIT_ANCHOR = re.compile(r"""<a\s[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.I)


def markdown_sources(path: Path) -> list[str]:
    """The markdown of a document: one string per markdown cell, or the whole file."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
        return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]
    return [path.read_text(encoding="utf-8")]


def links_in(markdown: str) -> list[str]:
    """Every link target in ``markdown``, outside code blocks and code spans.

    >>> links_in("See [a](x.ipynb#top) and ![p](<my pic.png>) `[no](code.md)`\\n[r]: ref.md")
    ['x.ipynb#top', 'my pic.png', 'ref.md']
    >>> links_in('<a href="y.md">y</a> <img src="z.png">')
    ['y.md', 'z.png']
    """
    text = CODE_SPAN.sub("", FENCE.sub("", markdown))
    found = [(m.start(), m.group(1)) for m in INLINE.finditer(text)]
    found += [(m.start(), m.group(1)) for m in REFERENCE.finditer(text)]
    found += [(m.start(), m.group(1) or m.group(2) or "") for m in HTML_ATTR.finditer(text)]
    return [t[1:-1] if t.startswith("<") and t.endswith(">") else t for _, t in sorted(found)]


def is_relative(target: str) -> bool:
    """Whether ``target`` is a link into the repository (no scheme, no host)."""
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith("//")


def _strip_markup(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    return text.replace("`", "").replace("**", "").replace("__", "").strip()


def heading_anchors(path: Path) -> set[str]:
    """Anchors of ``path``'s headings as JupyterLab and GitHub spell them, plus explicit ones.

    >>> sorted(_slugs("What you will learn: 3 things!"))
    ['What-you-will-learn:-3-things!', 'what-you-will-learn-3-things']
    """
    anchors: set[str] = set()
    for md in markdown_sources(path):
        md = FENCE.sub("", md)
        titles = [m.group(2) for m in HEADING.finditer(md)] + HTML_HEADING.findall(md)
        for title in titles:
            anchors |= _slugs(_strip_markup(title))
        anchors |= set(EXPLICIT_ANCHOR.findall(md))
    return anchors


def _slugs(title: str) -> set[str]:
    jupyterlab = title.replace(" ", "-")
    github = unicodedata.normalize("NFKC", title).lower()
    github = re.sub(r"[^\w\- ]", "", github).replace(" ", "-")
    return {jupyterlab, github}


def resolve(document: Path, target: str) -> tuple[Path, str]:
    """The file a relative ``target`` in ``document`` points at, and its fragment."""
    parts = urlsplit(target)
    path = unquote(parts.path)
    file = document if not path else (document.parent / path)
    return file.resolve(), unquote(parts.fragment)


def _rel(path: Path) -> str:
    try:
        return path.relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


def test_there_is_something_to_check() -> None:
    assert DOCUMENTS, "no notebooks and no README.md found"


@pytest.mark.parametrize("document", DOCUMENTS, ids=[_rel(p) for p in DOCUMENTS])
def test_relative_links_resolve(document: Path) -> None:
    problems = []
    for i, md in enumerate(markdown_sources(document)):
        where = f"markdown cell {i}" if document.suffix == ".ipynb" else "text"
        for target in links_in(md):
            if not target or not is_relative(target):
                continue
            file, fragment = resolve(document, target)
            if not file.exists():
                problems.append(f"{where}: link {target!r} -> missing {_rel(file)}")
                continue
            try:
                file.relative_to(REPO)
            except ValueError:
                problems.append(f"{where}: link {target!r} leaves the repository")
                continue
            if fragment and file.suffix in {".ipynb", ".md"} and fragment not in heading_anchors(file):
                problems.append(f"{where}: link {target!r}: no heading #{fragment} in {_rel(file)}")
    assert not problems, f"{_rel(document)} has broken links:\n" + "\n".join(problems)


def _targets(document: Path, cells: list[str]) -> set[str]:
    names = set()
    for md in cells:
        for target in links_in(md):
            if is_relative(target):
                file, _ = resolve(document, target)
                if file.parent == NOTEBOOK_DIR.resolve():
                    names.add(file.name)
    return names


def _expected_neighbours(notebook: Path) -> list[str]:
    i = COURSE.index(notebook)
    wanted = []
    if i > 0:
        wanted.append(COURSE[i - 1].name)
    if i + 1 < len(COURSE):
        wanted.append(COURSE[i + 1].name)
    if notebook.name != START:
        wanted.append(START)
    return wanted


@pytest.mark.parametrize("notebook", COURSE, ids=[p.name for p in COURSE])
def test_navigation_links(notebook: Path) -> None:
    cells = markdown_sources(notebook)
    assert cells, f"{notebook.name} has no markdown cells"
    wanted = _expected_neighbours(notebook)
    if notebook.name != START:
        assert (NOTEBOOK_DIR / START).exists(), f"{START} is missing, but {notebook.name} should link to it"
    for edge, chunk in [("top", cells[:EDGE_CELLS]), ("bottom", cells[-EDGE_CELLS:])]:
        missing = [name for name in wanted if name not in _targets(notebook, chunk)]
        assert not missing, (
            f"{notebook.name}: the {edge} of the notebook (its {'first' if edge == 'top' else 'last'} "
            f"{EDGE_CELLS} markdown cells) does not link to {missing}"
        )


def test_course_numbering_has_no_gaps() -> None:
    numbers = [int(p.name[:2]) for p in COURSE]
    assert numbers == list(range(len(numbers))), f"course notebooks are not numbered 00, 01, ...: {numbers}"


# --- the checker itself must be able to fail -----------------------------------


def test_checker_finds_broken_links_and_anchors(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# Key points\n\ntext\n", encoding="utf-8")
    doc = tmp_path / "a.md"
    doc.write_text(
        "[ok](b.md#key-points) [missing](nope.ipynb) [bad anchor](b.md#other)\n"
        "[web](https://example.org/x) `[code](ignored.md)`\n",
        encoding="utf-8",
    )
    results = {}
    for target in links_in(doc.read_text()):
        if not is_relative(target):
            continue
        file, fragment = resolve(doc, target)
        results[target] = file.exists() and (not fragment or fragment in heading_anchors(file))
    assert results == {"b.md#key-points": True, "nope.ipynb": False, "b.md#other": False}


def test_navigation_checker_sees_missing_links(tmp_path: Path) -> None:
    nb = {"cells": [{"cell_type": "markdown", "source": ["[Next](02_x.ipynb) [Start](00_start_here.ipynb)"]}]}
    path = tmp_path / "01_y.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    targets = {resolve(path, t)[0].name for md in markdown_sources(path) for t in links_in(md)}
    assert targets == {"02_x.ipynb", "00_start_here.ipynb"}
    assert "00_previous.ipynb" not in targets
