"""Binder verified: the repo2docker build, and the notebooks in a Binder-like environment.

Two checks, each of which skips with a clear reason when its tool is missing:

1. ``repo2docker --no-build`` (package ``jupyter-repo2docker``) renders the
   Dockerfile that Binder would build, without Docker. With ``--no-build`` it
   prints the Dockerfile on stdout and logs the chosen Python (``Building
   conda environment for python=X.Y``) on stderr. The test checks that the
   build installs ``binder/requirements.txt``, then runs ``binder/postBuild``,
   with a Python version that satisfies ``requires-python`` of
   ``pyproject.toml``.

2. (marker ``binder``: needs the package index and a few minutes) A fresh
   virtual environment made the way Binder makes its image: the base of
   repo2docker's environment (``jupyterlab==4.*``, ``notebook==7.*``,
   ``ipywidgets==8.*``), then ``pip install -r binder/requirements.txt``,
   then ``binder/postBuild``, all run in a copy of the repository that plays
   Binder's ``$HOME``. Every notebook is then executed with nbclient in that
   environment's Python; the test also checks that the kernel ran in the
   fresh environment and imported ``replnb`` from it, not from this checkout.
   Without a working ``pip`` or without the package index the test skips
   (fails instead when ``REPLNB_REQUIRE_BINDER=1``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BINDER = REPO / "binder"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
REQUIRE = os.environ.get("REPLNB_REQUIRE_BINDER") == "1"
#: The base of repo2docker's conda environment (buildpacks/conda/environment.yml) that matters here.
BINDER_BASE = ["jupyterlab==4.*", "notebook==7.*", "ipywidgets==8.*"]
PIP_TIMEOUT_S = 900
POSTBUILD_TIMEOUT_S = 600
NOTEBOOK_TIMEOUT_S = 600
NETWORK_TROUBLE = re.compile(
    r"NewConnectionError|Temporary failure in name resolution|Network is unreachable|"
    r"Could not find a version that satisfies|No matching distribution found|"
    r"ConnectTimeout|ReadTimeout|Max retries exceeded|ProxyError|SSLError",
)


def requires_python() -> str:
    """``project.requires-python`` from pyproject.toml."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml on Python 3.10 needs tomli")
    with (REPO / "pyproject.toml").open("rb") as f:
        spec = tomllib.load(f)["project"].get("requires-python")
    assert spec, "pyproject.toml has no project.requires-python"
    return str(spec)


def satisfies(version: str, spec: str) -> bool:
    """Whether Python ``version`` (``"3.11"``) satisfies the specifier ``spec``.

    >>> satisfies("3.11", ">=3.10"), satisfies("3.9", ">=3.10"), satisfies("3.12", ">=3.10,<3.12")
    (True, False, False)
    """
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(spec).contains(version)


# --- 1. repo2docker ---------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    dockerfile: str
    log: str


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    if importlib.util.find_spec("repo2docker") is None:  # importing it warns (json logger)
        pytest.skip(
            "repo2docker is not installed (pip install jupyter-repo2docker, part of the [test] extra)"
        )
    assert (BINDER / "requirements.txt").exists(), "binder/requirements.txt is missing"
    proc = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", "--no-run", str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, f"repo2docker --no-build failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
    assert "FROM " in proc.stdout, f"repo2docker printed no Dockerfile:\n{proc.stdout[-2000:]}"
    return Rendered(proc.stdout, proc.stderr)


def _line_index(dockerfile: str, pattern: str) -> int:
    lines = dockerfile.splitlines()
    hits = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    assert hits, f"no line of the generated Dockerfile matches {pattern!r}"
    return hits[0]


def test_repo2docker_installs_requirements(rendered: Rendered) -> None:
    _line_index(rendered.dockerfile, r"^RUN .*\bpip install\b.*-r \"?binder/requirements\.txt\"?")


def test_repo2docker_runs_postbuild_after_requirements(rendered: Rendered) -> None:
    assert (BINDER / "postBuild").exists(), "binder/postBuild is missing"
    install = _line_index(rendered.dockerfile, r"^RUN .*\bpip install\b.*binder/requirements\.txt")
    post = _line_index(rendered.dockerfile, r"^RUN \S*binder/postBuild\s*$")
    assert post > install, "postBuild runs before binder/requirements.txt is installed"


def test_repo2docker_python_satisfies_requires_python(rendered: Rendered) -> None:
    spec = requires_python()
    from_log = re.findall(r"conda environment for python=(\d+\.\d+)", rendered.log)
    from_lock = re.findall(r"environment\.py-(\d+\.\d+)-", rendered.dockerfile)
    versions = set(from_log) | set(from_lock)
    assert len(versions) == 1, f"cannot tell which Python repo2docker picked: {sorted(versions)}"
    (version,) = versions
    assert satisfies(version, spec), f"repo2docker builds Python {version}, but requires-python is {spec!r}"
    runtime = BINDER / "runtime.txt"
    if runtime.exists():
        pinned = re.fullmatch(r"python-(\d+\.\d+)(\.\d+)?", runtime.read_text().strip())
        assert pinned, f"binder/runtime.txt should read python-X.Y, got {runtime.read_text()!r}"
        assert pinned.group(1) == version, "repo2docker ignored binder/runtime.txt"


def test_version_checker_can_fail() -> None:
    assert not satisfies("3.9", ">=3.10")
    with pytest.raises(AssertionError):
        _line_index("FROM x\nRUN echo\n", r"postBuild")


# --- 2. a Binder-like environment -----------------------------------------------


@dataclass(frozen=True)
class BinderEnv:
    python: Path
    home: Path
    env: dict[str, str]
    setup_s: float


def _skip_or_fail(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"REPLNB_REQUIRE_BINDER=1 but {reason}")
    pytest.skip(reason)


def _repo_files() -> list[Path]:
    """The files Binder would see: what git tracks or would track (falls back to a filtered walk)."""
    if shutil.which("git") and (REPO / ".git").exists():
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout.decode()
        return [Path(p) for p in out.split("\0") if p and (REPO / p).is_file()]
    skip = {".git", ".venv", "__pycache__", ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache", "build"}
    return [
        p.relative_to(REPO)
        for p in REPO.rglob("*")
        if p.is_file() and not skip.intersection(p.relative_to(REPO).parts)
    ]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def _tail(proc: subprocess.CompletedProcess[str], n: int = 3000) -> str:
    return (proc.stdout[-n // 2 :] + "\n" + proc.stderr[-n:]).strip()


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BinderEnv]:
    for name in ("requirements.txt", "postBuild"):
        assert (BINDER / name).exists(), f"binder/{name} is missing"
    started = time.perf_counter()
    root = tmp_path_factory.mktemp("binder")
    home = root / "home"  # Binder copies the repository into $HOME and builds there
    for rel in _repo_files():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, home / rel)
    venv = root / "notebook-env"
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300
    )
    if made.returncode != 0:
        _skip_or_fail(f"cannot create a virtual environment: {made.stderr[-500:]}")
    bindir = venv / "bin"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "CONDA", "MPLBACKEND", "IPYTHONDIR"))
    }
    real_home = Path(os.environ.get("HOME", str(Path.home())))
    env.setdefault("PIP_CACHE_DIR", str(real_home / ".cache" / "pip"))  # keep downloads cached
    env.update(HOME=str(home), PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}")
    python = bindir / "python"

    base = _run([str(python), "-m", "pip", "install", "--quiet", *BINDER_BASE], home, env, PIP_TIMEOUT_S)
    if base.returncode != 0:
        trouble = "the package index is unreachable" if NETWORK_TROUBLE.search(base.stderr) else "pip failed"
        _skip_or_fail(f"{trouble} while installing Binder's base {BINDER_BASE}:\n{_tail(base, 1200)}")
    reqs = _run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"],
        home,
        env,
        PIP_TIMEOUT_S,
    )
    if reqs.returncode != 0 and NETWORK_TROUBLE.search(reqs.stderr) and "Connection" in reqs.stderr:
        _skip_or_fail(f"the package index became unreachable:\n{_tail(reqs, 1200)}")
    assert reqs.returncode == 0, f"pip install -r binder/requirements.txt failed:\n{_tail(reqs)}"
    postbuild = home / "binder" / "postBuild"
    postbuild.chmod(postbuild.stat().st_mode | 0o111)  # as repo2docker does
    post = _run(["./binder/postBuild"], home, env, POSTBUILD_TIMEOUT_S)
    assert post.returncode == 0, f"binder/postBuild failed ({post.returncode}):\n{_tail(post)}"
    yield BinderEnv(python, home, env, time.perf_counter() - started)


RUNNER = textwrap.dedent(
    """
    import json, pathlib, sys, time
    import nbformat
    from nbclient import NotebookClient

    path, out, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
    nb = nbformat.read(path, as_version=4)
    probe = "import sys, replnb; print(sys.prefix); print(replnb.__file__)"
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    started = time.perf_counter()
    result = {"ok": True, "error": ""}
    here = {"metadata": {"path": str(pathlib.Path(path).parent)}}
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=here).execute()
    except Exception as exc:  # report, do not hide: the test asserts on it
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[-4000:]}
    result["seconds"] = time.perf_counter() - started
    outputs = nb.cells[-1].get("outputs", [])
    result["probe"] = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    result["stderr"] = [
        "".join(o.get("text", "")) for c in nb.cells for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    with open(out, "w") as f:
        json.dump(result, f)
    """
)


@pytest.mark.binder
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_in_binder_env(
    notebook: Path, binder_env: BinderEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner, out = tmp_path / "run_notebook.py", tmp_path / "result.json"
    runner.write_text(RUNNER)
    target = binder_env.home / notebook.relative_to(REPO)
    proc = _run(
        [str(binder_env.python), str(runner), str(target), str(out), str(NOTEBOOK_TIMEOUT_S)],
        binder_env.home,
        binder_env.env,
        NOTEBOOK_TIMEOUT_S + 60,
    )
    assert proc.returncode == 0 and out.exists(), f"the notebook runner itself failed:\n{_tail(proc)}"
    result = json.loads(out.read_text())
    assert result["ok"], f"{notebook.name} failed in the Binder environment:\n{result['error']}"
    prefix, module = [*result["probe"].strip().splitlines(), "", ""][:2]
    venv = binder_env.python.parent.parent
    assert Path(prefix) == venv, f"the kernel ran in {prefix!r}, not in the Binder environment {venv}"
    assert not Path(module).is_relative_to(REPO), f"replnb was imported from this checkout ({module})"
    tracebacks = [text for text in result["stderr"] if "Traceback" in text]
    assert not tracebacks, f"{notebook.name} wrote a traceback to stderr:\n{tracebacks[0][-2000:]}"
    with capsys.disabled():
        sys.stderr.write(
            f"\n[binder] {notebook.name}: executed in {result['seconds']:.1f} s "
            f"(environment set up in {binder_env.setup_s:.0f} s; replnb from {module})\n"
        )
