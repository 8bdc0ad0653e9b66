# lshlab — two commands do all set-up on a fresh machine:
#   make lab    create .venv if missing, install, start JupyterLab on notebooks/
#   make test   same install, then the whole test suite (unit, property, notebooks at small size)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lshlab-installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb)) $(sort $(wildcard notebooks/solutions/[0-9][0-9]_*.ipynb))
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_WORKERS ?= 2
DOCS_STAMP := $(VENV)/.lshlab-docs-installed
BOOK_DIR := _build/html
SPHINXOPTS ?= -W --keep-going

.PHONY: install git-filters lab test test-unit test-notebooks test-browser bench bench-browser sync-notebooks \
	book check-book clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) git-filters

# Outputs never reach git: it reads notebooks/*.ipynb through tools/nbclean.py (.gitattributes), which drops
# outputs and run state, whatever saved them (`make lab` itself saves the lectures clean, see below).
git-filters:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git config filter.lshlab-nbclean.clean "$(PYTHON) tools/nbclean.py" && \
	  git config filter.lshlab-nbclean.smudge cat && \
	  git config filter.lshlab-nbclean.required true; fi

# JupyterLab with tools/jupyter/jupyter_server_config.py: the project as root (jupytext reads pyproject.toml),
# opened on notebooks/, lecture notebooks saved without outputs.
lab: install
	JUPYTER_CONFIG_PATH="$(CURDIR)/tools/jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(VENV)/bin/jupyter lab $(ROOT_FLAG)

test: install
	$(PY) -m pytest tests -m "not browser" -q -n $(PYTEST_WORKERS)
	$(MAKE) --no-print-directory test-notebooks

test-unit: install
	$(PY) -m pytest tests -m "not browser" -q -n $(PYTEST_WORKERS)

# Notebooks as tests: run headless at the small size (LSHLAB_SIZE=small) with nbval.
test-notebooks: install
	LSHLAB_SIZE=small MPLBACKEND=Agg $(PY) -m pytest --nbval-lax --nbval-cell-timeout=600 \
	  -p no:cacheprovider -q -n $(PYTEST_WORKERS) --dist loadfile $(NOTEBOOKS)

# Every lecture in JupyterLab + headless Chromium at small size: Restart Kernel and Run All, then a key press
# on every control of every explorer (fails when a figure does not change or a kernel error appears).
test-browser: install
	@command -v chromium >/dev/null || { echo "Debian's chromium is needed: apt-get update && apt-get install -y chromium"; exit 1; }
	$(PY) -m pytest tests -m browser -q --ignore=tests/test_site.py

# The same harness at full size, as a learner runs the lectures: key press → new pixels for every explorer,
# table in test-artifacts/browser/latency.md (screenshots beside it).
bench-browser: install
	@command -v chromium >/dev/null || { echo "Debian's chromium is needed: apt-get update && apt-get install -y chromium"; exit 1; }
	$(PY) benchmarks/browser_latency.py

bench: install
	$(PY) benchmarks/run_all.py

# Regenerate every .ipynb from its .py source (the .py is the source of truth); --update keeps the cell
# ids (and any outputs in the working copy, which git does not see), so an unchanged pair stays unchanged.
sync-notebooks: install
	$(VENV)/bin/jupytext --quiet --update --to notebook notebooks/[0-9][0-9]_*.py \
	  $(wildcard notebooks/solutions/[0-9][0-9]_*.py)

# The course as a website in $(BOOK_DIR): lectures executed at small size (cached in _build/.jupyter_cache),
# API reference from the docstrings; warnings are errors.  See README "The course as a website".
$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,docs]'
	@touch $(DOCS_STAMP)

book: install $(DOCS_STAMP)
	$(PY) -m sphinx -b html $(SPHINXOPTS) docs $(BOOK_DIR)

# Checks of the built site: internal links and anchors, then every page in headless Chromium (and the
# site tools' unit tests with the docs extra installed).
check-book: install $(DOCS_STAMP)
	$(PY) docs/check_links.py $(BOOK_DIR)
	$(PY) -m pytest tests/test_site.py tests/test_book_tools.py -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts _build docs/api docs/_generated
