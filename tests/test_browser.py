"""Real-browser test: JupyterLab on loopback, driven by Playwright and the system Chromium.

For every ``notebooks/*.ipynb`` the test opens the notebook in JupyterLab
(trusted in a throwaway data dir, so that the widgets saved in the file render
from their stored state; that is checked first), runs "Restart Kernel and Run
All Cells", waits until every cell has run, and checks that no cell shows an
error and no widget failed to display. If the notebook
holds an explorer (an element with CSS class ``replnb-explorer``), it moves the
explorer's first slider with the keyboard and waits for the plot in the
explorer's ``replnb-output`` to change. The kernels run with
``REPLNB_PROGRESS_AFTER=0``, so that every sweep shows its progress bar at once
(:mod:`replnb.progress`): a notebook that calls a sweep must show a bar (an
element with CSS class ``replnb-progress``) while it runs, and no bar may be left
once every cell has run.

Without ``/usr/bin/chromium`` (or without Playwright) the test skips, unless
``REPLNB_REQUIRE_BROWSER=1`` is set (CI sets it), in which case it fails.
``REPLNB_CHROMIUM`` overrides the browser path; ``REPLNB_SCREENSHOT_DIR``, if
set, receives a copy of every screenshot (they always go to pytest's tmp_path).
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CHROMIUM = Path(os.environ.get("REPLNB_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("REPLNB_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Timeouts (seconds). Generous, but every wait is bounded.
SERVER_START_S = 90
PAGE_READY_S = 120
RUN_ALL_S = 300
PLOT_CHANGE_S = 60

pytestmark = pytest.mark.browser

# JupyterLab user settings for the throwaway config dir: never write the
# notebook back to disk (the committed file must stay as nbclient made it), and
# attach every cell to the DOM so that the DOM checks see all outputs.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}
SERVER_CONFIG = {
    "ServerApp": {"open_browser": False, "port_retries": 0, "terminals_enabled": False},
    "LabApp": {
        "expose_app_in_browser": True,
        "news_url": None,
        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        "extension_manager": "readonly",
    },
}

WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
ERROR_PATTERN = re.compile(r"Traceback|\b\w*(Error|Exception)\b")

# --- JavaScript snippets evaluated in the page --------------------------------

JS_READY = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell && app.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return !!(panel && panel.content && panel.content.widgets && panel.content.widgets.length
    && kernel && kernel.status === 'idle');
}"""

JS_START_RUN_ALL = """() => {
  window.__replnbDone = undefined;
  window.jupyterapp.commands.execute('notebook:restart-run-all').then(
    (r) => { window.__replnbDone = {ok: r === undefined ? null : r}; },
    (e) => { window.__replnbDone = {error: String(e)}; });
}"""

JS_DONE = "() => window.__replnbDone === undefined ? null : window.__replnbDone"

JS_SETTLED = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const prompts = Array.from(panel.node.querySelectorAll('.jp-InputPrompt'));
  return !prompts.some((p) => p.textContent.includes('*'));
}"""

JS_NOTEBOOK_JSON = "() => window.jupyterapp.shell.currentWidget.content.model.toJSON()"

JS_MARK_PANEL = """() => window.jupyterapp.shell.currentWidget.node.setAttribute(
  'data-replnb-current', '1')"""

PANEL = "[data-replnb-current]"  # the notebook under test (marked by JS_MARK_PANEL)

# Counts the DOM changes after which a progress bar is on the page (from before Run All).
JS_WATCH_PROGRESS = """() => {
  window.__replnbBars = 0;
  const seen = () => { if (document.querySelector('.replnb-progress')) window.__replnbBars += 1; };
  if (window.__replnbObserver) window.__replnbObserver.disconnect();
  window.__replnbObserver = new MutationObserver(seen);
  window.__replnbObserver.observe(document.body,
    {childList: true, subtree: true, attributes: true, attributeFilter: ['class']});
}"""

JS_BARS_SEEN = "() => window.__replnbBars || 0"

JS_STDERR_TEXTS = """() => Array.from(document.querySelectorAll(
  '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
  .map((e) => e.textContent)"""


# --- helpers ------------------------------------------------------------------


def _skip_or_fail(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"REPLNB_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _http_get(url: str, token: str, timeout: float = 5.0) -> int:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return int(resp.status)


def _http(method: str, url: str, token: str) -> None:
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10):
        pass


class LabServer:
    """A JupyterLab server on 127.0.0.1 with a token and throwaway Jupyter dirs."""

    def __init__(self, workdir: Path) -> None:
        self.token = secrets.token_hex(16)
        self.workdir = workdir
        self.log_path = workdir / "jupyter-lab.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def _env(self) -> dict[str, str]:
        config, data, runtime = (self.workdir / d for d in ("config", "data", "runtime"))
        for d in (config, data, runtime, self.workdir / "ipython"):
            d.mkdir(parents=True, exist_ok=True)
        server_config = {
            **SERVER_CONFIG,
            # JupyterLab checkpoints each notebook it opens; keep those out of the repository.
            "FileCheckpoints": {"checkpoint_dir": str(self.workdir / "checkpoints")},
        }
        (config / "jupyter_server_config.json").write_text(json.dumps(server_config))
        for rel, value in LAB_SETTINGS.items():
            path = config / "lab" / "user-settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # notebooks use ipykernel's inline backend
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTERLAB_SETTINGS_DIR", None)
        env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_DATA_DIR=str(data),
            JUPYTER_RUNTIME_DIR=str(runtime),
            IPYTHONDIR=str(self.workdir / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            REPLNB_PROGRESS="1",
            REPLNB_PROGRESS_AFTER="0",  # every sweep shows its bar at once (checked below)
        )
        return env

    def start(self) -> None:
        env = self._env()
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            "--port=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={REPO}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI runs as root
        if NOTEBOOKS:
            # Trust the notebooks in this throwaway data dir only (the files are not
            # changed), so that JupyterLab renders their saved widget state, as
            # nbviewer does; untrusted widget outputs would fall back to text/plain.
            subprocess.run(
                [sys.executable, "-m", "nbformat.sign", *map(str, NOTEBOOKS)],
                env=env,
                check=True,
                capture_output=True,
                timeout=120,
            )
        with self.log_path.open("wb") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        info_file = self.workdir / "runtime" / f"jpserver-{self.proc.pid}.json"
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log()}")
            if info_file.exists():
                try:
                    port = json.loads(info_file.read_text())["port"]
                    self.url = f"http://127.0.0.1:{port}"
                    if _http_get(f"{self.url}/api/status", self.token) == 200:
                        return
                except (ValueError, KeyError, OSError):
                    pass
            time.sleep(0.25)
        raise RuntimeError(f"jupyter lab did not answer within {SERVER_START_S} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    def delete_sessions(self) -> None:
        """Shut down every kernel session (between notebooks)."""
        req = urllib.request.Request(
            f"{self.url}/api/sessions", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            sessions = json.load(resp)
        for s in sessions:
            _http("DELETE", f"{self.url}/api/sessions/{s['id']}", self.token)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.url:
            try:  # a clean shutdown also shuts down the kernels
                _http("POST", f"{self.url}/api/shutdown", self.token)
                self.proc.wait(timeout=30)
                return
            except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
                pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sync_api() -> Any:
    if not CHROMIUM.exists():
        _skip_or_fail(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError as exc:
        _skip_or_fail(f"playwright is not importable ({exc}); pip install -e .[test]")
    return sync_api


@pytest.fixture(scope="module")
def lab(sync_api: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    server = LabServer(tmp_path_factory.mktemp("jupyter"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(sync_api: Any, lab: LabServer) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _screenshot(page: Any, path: Path) -> None:
    page.screenshot(path=str(path))
    extra = os.environ.get("REPLNB_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def _wait_settled(page: Any, timeout_s: float) -> None:
    """Wait until the kernel is idle and no prompt shows ``[*]`` (stable for 1 s)."""
    deadline = time.monotonic() + timeout_s
    stable_since = None
    while time.monotonic() < deadline:
        if page.evaluate(JS_SETTLED):
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= 1.0:
                return
        else:
            stable_since = None
        page.wait_for_timeout(200)
    raise AssertionError(f"cells still running or kernel busy after {timeout_s} s")


def _run_all(page: Any) -> bool:
    """Run "Restart Kernel and Run All Cells", accepting the restart dialog."""
    page.evaluate(JS_START_RUN_ALL)
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    deadline = time.monotonic() + RUN_ALL_S
    while time.monotonic() < deadline:
        done = page.evaluate(JS_DONE)
        if done is not None:
            assert "error" not in done, f"restart-run-all failed: {done['error']}"
            # ok is False when a cell raised (JupyterLab stops there) or the restart
            # was declined; _assert_no_errors then names the failing cell.
            return bool(done["ok"] is not False)
        if accept.count() and accept.first.is_visible():
            accept.first.click()
        page.wait_for_timeout(250)
    raise AssertionError(f"restart-run-all did not finish within {RUN_ALL_S} s")


def _assert_no_errors(page: Any) -> None:
    nb = page.evaluate(JS_NOTEBOOK_JSON)
    problems = []
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if src.strip() and cell.get("execution_count") is None:
            problems.append(f"code cell {i} did not run")
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                problems.append(f"code cell {i}: {out['ename']}: {out['evalue']}")
            elif out["output_type"] == "stream" and out["name"] == "stderr":
                text = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
                if ERROR_PATTERN.search(text):
                    problems.append(f"code cell {i} stderr: {text[:500]}")
    for text in page.evaluate(JS_STDERR_TEXTS):
        if ERROR_PATTERN.search(text):
            problems.append(f"error output on page: {text[:500]}")
    n_widget_errors = page.get_by_text("Error displaying widget").count()
    if n_widget_errors:
        problems.append(f'"Error displaying widget" appears {n_widget_errors} times')
    assert not problems, "\n".join(problems)


def _assert_saved_widgets_render(page: Any, notebook: Path) -> None:
    """Before any cell runs, widgets in the saved outputs render from the stored state."""
    saved = json.loads(notebook.read_text(encoding="utf-8"))
    n_views = sum(
        WIDGET_VIEW_MIME in out.get("data", {})
        for cell in saved["cells"]
        if cell["cell_type"] == "code"
        for out in cell.get("outputs", [])
    )
    if n_views:
        widgets = page.locator(f"{PANEL} .jp-OutputArea-output .jupyter-widgets")
        try:
            widgets.first.wait_for(state="attached", timeout=30_000)
        except Exception as exc:
            raise AssertionError(
                f"{notebook.name}: its {n_views} saved widget outputs did not render from the "
                "stored widget state within 30 s; re-run `make notebooks` (store_widget_state)"
            ) from exc
    n_errors = page.get_by_text("Error displaying widget").count()
    assert n_errors == 0, (
        f"{notebook.name}: {n_errors} saved widget outputs fail to display; "
        "re-run `make notebooks` (nbclient store_widget_state)"
    )


def _calls_a_sweep(notebook: Path) -> bool:
    """Whether a code cell of ``notebook`` calls a sweep (``replnb.grid.sweep`` or a chapter's)."""
    saved = json.loads(notebook.read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in saved["cells"] if c["cell_type"] == "code"]
    return any(re.search(r"\bsweep\(", src) for src in code)


def _assert_progress_shown_and_gone(page: Any, notebook: Path) -> None:
    """A sweep showed its progress bar while it ran, and no bar is left on the page."""
    if _calls_a_sweep(notebook):
        assert page.evaluate(JS_BARS_SEEN) > 0, f"{notebook.name}: a sweep ran and no progress bar appeared"
    left = page.locator(f"{PANEL} .replnb-progress").count()
    assert left == 0, f"{notebook.name}: {left} progress bars are left after every cell ran"


def _exercise_explorer(page: Any) -> None:
    """Move the first slider of the first explorer and wait for its plot to change.

    Sliders use ``continuous_update=False``; noUiSlider commits a keyboard step
    at once (its "change" event), so arrow keys are enough. If the keyboard does
    not move the handle, a mouse drag is the fallback.
    """
    explorer = page.locator(f"{PANEL} .replnb-explorer").first
    explorer.evaluate("(e) => e.setAttribute('data-replnb-probe', '1')")
    explorer.scroll_into_view_if_needed()
    handle = explorer.locator(".noUi-handle").first
    handle.wait_for(state="visible", timeout=30_000)
    img_selector = "[data-replnb-probe] .replnb-output img"
    page.locator(img_selector).first.wait_for(state="visible", timeout=30_000)
    before = page.locator(img_selector).first.get_attribute("src")
    assert before, "the explorer's plot has no src"
    value_before = handle.get_attribute("aria-valuenow")
    at_max = value_before is not None and value_before == handle.get_attribute("aria-valuemax")
    key = "ArrowLeft" if at_max else "ArrowRight"
    handle.focus()
    for _ in range(3):
        page.keyboard.press(key)
        page.wait_for_timeout(150)
    if handle.get_attribute("aria-valuenow") == value_before:  # keyboard did nothing: drag
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        assert box, "slider handle has no bounding box"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + (-40 if at_max else 40), y, steps=8)
        page.mouse.up()
    assert handle.get_attribute("aria-valuenow") != value_before, "the slider did not move"
    page.wait_for_function(
        """([sel, old]) => {
             const img = document.querySelector(sel);
             return !!img && !!img.getAttribute('src') && img.getAttribute('src') !== old;
           }""",
        arg=[img_selector, before],
        timeout=PLOT_CHANGE_S * 1000,
        polling=200,
    )
    _wait_settled(page, PLOT_CHANGE_S)


# --- the test -----------------------------------------------------------------


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_in_jupyterlab(notebook: Path, lab: LabServer, browser: Any, tmp_path: Path) -> None:
    before = notebook.read_bytes()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    shot = tmp_path / f"{notebook.stem}.png"
    try:
        rel = notebook.relative_to(REPO).as_posix()
        # A workspace of its own, so that JupyterLab does not reopen earlier notebooks.
        url = f"{lab.url}/lab/workspaces/replnb-{notebook.stem}/tree/{rel}?reset&token={lab.token}"
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_function(JS_READY, timeout=PAGE_READY_S * 1000, polling=250)
        page.evaluate(JS_MARK_PANEL)
        n_panels = page.locator(".jp-NotebookPanel").count()
        assert n_panels == 1, f"{n_panels} notebooks open; expected only {notebook.name}"
        _assert_saved_widgets_render(page, notebook)
        page.evaluate(JS_WATCH_PROGRESS)
        ran_ok = _run_all(page)
        _wait_settled(page, RUN_ALL_S)
        _assert_no_errors(page)
        _assert_progress_shown_and_gone(page, notebook)
        assert ran_ok, "Restart Kernel and Run All Cells did not complete"
        if page.locator(f"{PANEL} .replnb-explorer").count():
            _exercise_explorer(page)
            _assert_no_errors(page)
            page.locator(f"{PANEL} .replnb-explorer").first.scroll_into_view_if_needed()
        _screenshot(page, shot)
    except BaseException:
        fail_shot = tmp_path / f"FAILED-{notebook.stem}.png"
        try:
            _screenshot(page, fail_shot)
        except Exception as exc:  # the page may be gone; keep the original error
            console.append(f"(failure screenshot not taken: {exc})")
        sys.stderr.write(
            f"\nfailure screenshot: {fail_shot}\nbrowser console errors:\n"
            + "\n".join(console[-30:])
            + f"\njupyter lab log (tail):\n{lab.log()[-3000:]}\n"
        )
        raise
    finally:
        context.close()
        try:
            lab.delete_sessions()
        except OSError as exc:  # never hide the test's own error behind this one
            sys.stderr.write(f"\ncould not shut down the kernel sessions: {exc}\n")
    assert notebook.read_bytes() == before, f"{notebook.name} was modified on disk by JupyterLab"
