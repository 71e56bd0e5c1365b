# The two commands of README.md: `make demo` and `make test`.
# PYTHON picks the interpreter (default python3; Saleor 2.10.1's own is 3.8).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PY38 ?= $(shell pyenv root 2>/dev/null)/versions/3.8.18/bin/python
# Saleor 2.10.1 declares Python 3.8 only; on newer Pythons pip must be told to go on.
PIP_FLAGS ?= $(shell $(PYTHON) -c 'import sys; print("" if sys.version_info[:2] == (3, 8) else "--ignore-requires-python")')
export DJANGO_SETTINGS_MODULE := saleor_ecrm_plugin.demo.settings

.PHONY: install test test38 test-saleor3 lint demo bench clean

$(VENV)/.installed: setup.cfg pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q 'pip<24.1' 'setuptools<81' wheel
	$(PY) -m pip install -q $(PIP_FLAGS) -c requirements/constraints.txt -e '.[test,lint,demo]'
	$(PY) -m saleor_ecrm_plugin.host.compat  # .pth: runtime shims before celery loads
	touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# the same suite on Python 3.8 (Saleor 2.10.1's runtime), in its own venv
test38:
	$(MAKE) test PYTHON=$(PY38) VENV=.venv38

# --- Saleor 3.21 (Python 3.12): its source tree, not a distribution pip can build -----
PY312 ?= $(shell pyenv root 2>/dev/null)/versions/3.12.1/bin/python
SALEOR3_VERSION ?= 3.21.69
SALEOR3_TARBALL ?= ../shared/vendor/saleor-$(SALEOR3_VERSION).tar.gz
# a folder holding Saleor's source (its saleor/ package); default: the tarball extracted
SALEOR3_SRC ?= .saleor3/saleor-$(SALEOR3_VERSION)
SALEOR3_REQUIREMENTS ?= ../shared/vendor/requirements-saleor-$(SALEOR3_VERSION).txt
VENV3 ?= .venv312
SALEOR3_SETTINGS := saleor_ecrm_plugin.host.saleor321.settings

$(SALEOR3_SRC)/saleor/__init__.py:
	test -f $(SALEOR3_TARBALL) || { echo "no Saleor source: set SALEOR3_SRC or SALEOR3_TARBALL" >&2; exit 1; }
	mkdir -p $(dir $(SALEOR3_SRC))
	tar -xzf $(SALEOR3_TARBALL) -C $(dir $(SALEOR3_SRC))
	test -f $@

$(VENV3)/.installed: setup.cfg pyproject.toml $(SALEOR3_REQUIREMENTS) $(SALEOR3_SRC)/saleor/__init__.py
	$(PY312) -m venv $(VENV3)
	$(VENV3)/bin/python -m pip install -q -r $(SALEOR3_REQUIREMENTS) setuptools==76.1.0
	# Saleor from its source folder: a .pth, as pip cannot build it (poetry non-package)
	$(VENV3)/bin/python -c 'import os, sysconfig; open(os.path.join(sysconfig.get_paths()["purelib"], "saleor-src.pth"), "w").write(os.path.abspath("$(SALEOR3_SRC)") + "\n")'
	$(VENV3)/bin/python -m pip install -q -e '.[test]'
	touch $@

# the suite on Saleor 3.21: a template database migrated once (Saleor's 1,271
# migrations, 3 min), cloned for the test database (createdb -T, under a second;
# SALEOR3_FRESH=1 clones it again, as --create-db would migrate again)
test-saleor3: $(VENV3)/.installed
	DJANGO_SETTINGS_MODULE=$(SALEOR3_SETTINGS) $(VENV3)/bin/python -m tests.hosts.saleor321.prepare_db $(if $(SALEOR3_FRESH),--fresh)
	DJANGO_SETTINGS_MODULE=$(SALEOR3_SETTINGS) DATABASE_URL=$$($(VENV3)/bin/python -m tests.hosts.saleor321.prepare_db --url) \
	  $(VENV3)/bin/python -m pytest --ds=$(SALEOR3_SETTINGS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

demo: install
	$(PY) -m saleor_ecrm_plugin.demo $(ARGS)

bench: install
	$(PY) -m pip install -q $(PIP_FLAGS) -c requirements/constraints.txt -e '.[bench]'
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecrm_bench} $(PY) bench/dispatch.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecrm_bench} $(PY) bench/provider.py $(PROVIDER_ARGS)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecrm_bench5} $(PY) bench/recommendations.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecrm_bench7} $(PY) bench/back_in_stock.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecrm_bench4} $(PY) bench/checkout_scan.py
	$(PY) bench/lifecycle.py $(LIFECYCLE_ARGS)

clean:
	rm -rf .venv .venv38 .venv312 .saleor3 demo-output
