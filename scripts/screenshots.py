"""Take screenshots of the course's explorers in the real JupyterLab.

Usage::

    python scripts/screenshots.py                         # every notebooks/NN_*.ipynb
    python scripts/screenshots.py notebooks/04_*.ipynb    # only these
    python scripts/screenshots.py --out /tmp/shots        # elsewhere than docs/screenshots

For each notebook the script starts (once) a JupyterLab server on 127.0.0.1
with a throwaway configuration, opens the notebook in headless Chromium
(``/usr/bin/chromium``, or ``$REPLNB_CHROMIUM``; Playwright's own browser
downloads are never used), runs "Restart Kernel and Run All Cells", waits
until every cell has run, scrolls each explorer (an element with CSS class
``replnb-explorer``) into view and saves an element screenshot to
``docs/screenshots/<notebook>.png`` (``<notebook>-2.png``, ... for further
explorers of the same notebook). Notebooks without an explorer are skipped.
Notebooks are not modified on disk (autosave is off).

The JupyterLab launcher and the page helpers are those of
``tests/test_browser.py`` (loaded from that file, not copied), so the
screenshots show exactly what the browser test checks.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "docs" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}


def _harness() -> ModuleType:
    """The JupyterLab/Playwright helpers of tests/test_browser.py, loaded as a module."""
    path = REPO / "tests" / "test_browser.py"
    spec = importlib.util.spec_from_file_location("replnb_browser_harness", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the JupyterLab launcher from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _course_notebooks() -> list[Path]:
    return sorted(p for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _wait_images(page: Any, explorer: Any, timeout_s: float = 60.0) -> None:
    """Wait until every image inside ``explorer`` has loaded."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = explorer.evaluate(
            "(el) => Array.from(el.querySelectorAll('img'))"
            ".every((img) => img.complete && img.naturalWidth > 0)"
        )
        if done:
            return
        page.wait_for_timeout(200)
    raise RuntimeError(f"explorer images did not load within {timeout_s} s")


def shoot(notebook: Path, lab: Any, browser: Any, h: ModuleType, out: Path) -> list[Path]:
    """Open ``notebook``, run it, and save one PNG per explorer; returns the paths."""
    before = notebook.read_bytes()
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(60_000)
    page = context.new_page()
    saved: list[Path] = []
    try:
        rel = notebook.relative_to(REPO).as_posix()
        # A workspace of its own (as the browser test does): JupyterLab then reopens no
        # earlier notebook, whose widgets would fail to display after their kernel stopped.
        url = f"{lab.url}/lab/workspaces/replnb-shot-{notebook.stem}/tree/{rel}?reset&token={lab.token}"
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_function(h.JS_READY, timeout=h.PAGE_READY_S * 1000, polling=250)
        h._run_all(page)
        h._wait_settled(page, h.RUN_ALL_S)
        h._assert_no_errors(page)
        # Only this notebook's explorers, should any other panel be open.
        panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        explorers = page.locator(f"[id='{panel}'] .replnb-explorer")
        for i in range(explorers.count()):
            explorer = explorers.nth(i)
            explorer.scroll_into_view_if_needed()
            explorer.locator(".replnb-output img").first.wait_for(state="visible", timeout=60_000)
            _wait_images(page, explorer)
            page.wait_for_timeout(300)  # let the layout settle after scrolling
            path = out / (f"{notebook.stem}.png" if i == 0 else f"{notebook.stem}-{i + 1}.png")
            explorer.screenshot(path=str(path))
            saved.append(path)
    finally:
        context.close()
        lab.delete_sessions()
    if notebook.read_bytes() != before:
        raise RuntimeError(f"{notebook.name} was modified on disk by JupyterLab")
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: notebooks/NN_*.ipynb)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or _course_notebooks()
    if not notebooks:
        print("no notebooks to photograph", file=sys.stderr)
        return 1
    h = _harness()
    if not h.CHROMIUM.exists():
        print(f"no Chromium at {h.CHROMIUM} (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="replnb-shots-") as tmp:
        lab = h.LabServer(Path(tmp))
        lab.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(h.CHROMIUM), args=h.CHROMIUM_ARGS)
                try:
                    for notebook in notebooks:
                        t0 = time.perf_counter()
                        saved = shoot(notebook, lab, browser, h, args.out)
                        what = ", ".join(os.path.relpath(s, REPO) for s in saved) or "no explorer"
                        print(f"{notebook.name}: {what} ({time.perf_counter() - t0:.1f} s)")
                finally:
                    browser.close()
        except BaseException:
            sys.stderr.write(f"jupyter lab log (tail):\n{lab.log()[-3000:]}\n")
            raise
        finally:
            lab.stop()
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
