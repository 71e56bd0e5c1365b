# The two commands of README.md: `make demo` and `make test`.
# PYTHON picks the interpreter (default python3; Saleor 2.10.1's own is 3.8).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PY38 ?= $(shell pyenv root 2>/dev/null)/versions/3.8.18/bin/python
# Saleor 2.10.1 declares Python 3.8 only; on newer Pythons pip must be told to go on.
PIP_FLAGS ?= $(shell $(PYTHON) -c 'import sys; print("" if sys.version_info[:2] == (3, 8) else "--ignore-requires-python")')
export DJANGO_SETTINGS_MODULE := saleor_ecrm_plugin.demo.settings

.PHONY: install test test38 lint demo bench clean

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
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecrm_bench_segments} $(PY) bench/segments.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ecrm_bench_clicks} $(PY) bench/click_redirect.py
	$(PY) bench/lifecycle.py $(LIFECYCLE_ARGS)

clean:
	rm -rf .venv .venv38 demo-output
