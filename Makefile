# lshlab — two commands do all set-up on a fresh machine:
#   make lab    create .venv if missing, install, start JupyterLab on notebooks/
#   make test   same install, then the whole test suite (unit, property, notebooks at small size)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lshlab-installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_WORKERS ?= 2

.PHONY: install lab test test-unit test-notebooks test-browser bench sync-notebooks clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG)

test: install
	$(PY) -m pytest tests -m "not browser" -q -n $(PYTEST_WORKERS)
	$(MAKE) --no-print-directory test-notebooks

test-unit: install
	$(PY) -m pytest tests -m "not browser" -q -n $(PYTEST_WORKERS)

# Notebooks as tests: run headless at the small size (LSHLAB_SIZE=small) with nbval.
test-notebooks: install
	LSHLAB_SIZE=small MPLBACKEND=Agg $(PY) -m pytest --nbval-lax --nbval-cell-timeout=600 \
	  -p no:cacheprovider -q -n $(PYTEST_WORKERS) --dist loadfile $(NOTEBOOKS)

test-browser: install
	@command -v chromium >/dev/null || { echo "Debian's chromium is needed: apt-get update && apt-get install -y chromium"; exit 1; }
	$(PY) -m pytest tests -m browser -q

bench: install
	$(PY) benchmarks/run_all.py

# Regenerate every .ipynb from its .py source (the .py is the source of truth).
sync-notebooks: install
	@for f in notebooks/[0-9][0-9]_*.py; do $(VENV)/bin/jupytext --quiet --to notebook "$$f"; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
