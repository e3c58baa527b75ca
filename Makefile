# replnb: the two README commands (`make lab`, `make test`) plus helpers.
# Needs only python3 (>= 3.10, with the venv module), git and make; every
# target makes its own virtual environment in .venv on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Root (CI, containers) must pass --allow-root to jupyter lab.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
NOTEBOOK_FILES := $(sort $(wildcard notebooks/*.ipynb))
# Every install takes its versions from this file (see `make lock`), so a new
# upstream release cannot change what `make test` (and CI) runs.
CONSTRAINTS := constraints.txt
# The pins were resolved on Python 3.11 (their header says so); numpy and pandas
# at those versions need it. On Python 3.10 the installs resolve afresh instead.
PIN := $(shell $(PYTHON) -c 'import sys; print("-c $(CONSTRAINTS)" if sys.version_info >= (3, 11) else "")' 2>/dev/null)
# `make lock` installs these on top of the extras (e.g. a requirement not yet in pyproject).
LOCK_EXTRA ?=

.DEFAULT_GOAL := help
.PHONY: help lab test lint typecheck notebooks scheme-grid bench lock clean

help:
	@echo "make lab        open JupyterLab on notebooks/00_start_here.ipynb"
	@echo "make test       ruff, mypy, then the whole pytest suite (unit, doctests, nbval, browser)"
	@echo "make notebooks  re-execute every notebook in place (commit the result)"
	@echo "make scheme-grid  recompute the scheme explorer's stored figures (after a model change)"
	@echo "make bench      print the benchmark table"
	@echo "make lock       refresh $(CONSTRAINTS) (the pinned versions) from a fresh venv"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "replnb needs Python >= 3.10 (found: $$($(PYTHON) --version 2>&1))"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "could not create $(VENV); on Debian/Ubuntu: sudo apt install python3-venv"; exit 1; }

# Stamp files: a re-run skips pip unless pyproject.toml or the constraints changed.
$(VENV)/.stamp-lab: pyproject.toml $(CONSTRAINTS) | $(PY)
	$(PY) -m pip install $(PIN) -e '.[lab]'
	touch $@

$(VENV)/.stamp-test: pyproject.toml $(CONSTRAINTS) | $(PY)
	$(PY) -m pip install $(PIN) -e '.[test,lab,bench]'
	touch $@

# Resolve every extra afresh in a throwaway venv (pip's cache makes it quick)
# and write the result as the new constraints; review the diff and commit it.
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install -e '.[test,lab,bench]' $(LOCK_EXTRA); \
	where=$$("$$tmp/venv/bin/python" -c 'import platform as p; print(p.python_version(), p.system(), p.machine())'); \
	{ echo "# The pinned versions of every install of replnb: pip install -c $(CONSTRAINTS) -e '.[...]'."; \
	  echo "# Written by 'make lock' (Python $$where); do not edit by hand."; \
	  $(if $(strip $(LOCK_EXTRA)),echo "# With LOCK_EXTRA=$(LOCK_EXTRA)";) \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable; } > "$$tmp/constraints.txt"; \
	mv "$$tmp/constraints.txt" $(CONSTRAINTS)
	@echo "wrote $(CONSTRAINTS): $$(grep -c '==' $(CONSTRAINTS)) pins; review the diff, then commit it"

# root_dir = the repository (not notebooks/), so that links between files work.
lab: $(VENV)/.stamp-lab
	$(PY) -m jupyterlab $(ALLOW_ROOT) --ServerApp.root_dir="$(CURDIR)" notebooks/00_start_here.ipynb

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.stamp-test
	$(BIN)/mypy

# One pytest run: unit tests and doctests (replnb/), tests/ (including the
# real-browser test) and strict nbval over every notebook.
test: lint typecheck
	$(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		replnb tests $(NOTEBOOK_FILES)

notebooks: $(VENV)/.stamp-test
	$(PY) scripts/execute_notebooks.py

# Every position of SchemeExplorer's sliders, simulated ahead (replnb/compare/precomputed.py);
# about 20 minutes on two cores. tests/test_precomputed.py fails until it is done after a model change.
scheme-grid: $(VENV)/.stamp-test
	$(PY) -m replnb.compare.precomputed 2

bench: $(VENV)/.stamp-test
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
