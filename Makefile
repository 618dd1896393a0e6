# The two commands: `make run` (embedded default: SQLite + a serverless Celery broker)
# and `make test` (ruff, mypy, pytest; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev lint typecheck pytest bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip wheel

# torch goes first and pinned: the CPU wheel is on disk, any looser spec would pull CUDA builds.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e . torch==2.13.0
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e ".[dev]" torch==2.13.0
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "  Expertdesk is starting at http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the worker)"
	@echo
	@bash -c 'trap "kill 0" INT TERM EXIT; \
	  $(VENV)/bin/celery -A config worker -B -s var/celerybeat-schedule -Q default,ml --concurrency 2 -l info & \
	  $(PY) manage.py runserver $(HOST):$(PORT) & \
	  wait'

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
