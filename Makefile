# The two commands: `make run` (embedded default: SQLite, a serverless Celery broker, localstripe)
# and `make test` (ruff, mypy, pytest; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev lock lint typecheck pytest bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip wheel

# The locks in requirements/ pin every package with its hashes (`make lock` refreshes them from
# pyproject.toml's ranges): local.txt is what `make run` needs, dev.txt adds the test tools.
# torch is pinned there to the CPU wheel that lies on disk (torch==2.13.0+cpu and its hash);
# any looser spec would pull GBs of CUDA builds.
$(VENV)/.installed: requirements/local.txt | $(PY)
	$(PIP) install --quiet -r requirements/local.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements/dev.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Refresh the locks from pyproject.toml: every pin that still fits its range is kept, what
# changed is added or dropped; `make lock UPGRADE=1` moves everything to the newest release the
# ranges allow. Each lock is constrained by the one before, so the three agree. No index or
# find-links lines are written: pip's own configuration says where packages come from.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	$(if $(UPGRADE),--upgrade)

lock: install-dev
	$(PIP_COMPILE) --output-file requirements/main.txt pyproject.toml
	$(PIP_COMPILE) --extra local -c requirements/main.txt --output-file requirements/local.txt pyproject.toml
	$(PIP_COMPILE) --extra local --extra dev -c requirements/local.txt --output-file requirements/dev.txt pyproject.toml

# Migrate, seed the demo, then web + worker (with beat) + localstripe under honcho (Procfile);
# Ctrl-C stops them all. HOST/PORT: the web server's address. honcho exits 130 after a Ctrl-C:
# a stop that was asked for, not an error for make to report.
run: install
	EXPERTDESK_HOST=$(HOST) EXPERTDESK_PORT=$(PORT) bash platform/run.sh || [ $$? -eq 130 ]

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy .

pytest: install-dev
	bash platform/ensure-test-deps.sh
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	bash platform/ensure-test-deps.sh
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install-dev
	$(PY) bench/triage_quality.py
	$(PY) bench/triage_latency.py

clean:
	rm -rf var/celery var/test-artifacts .pytest_cache .mypy_cache
