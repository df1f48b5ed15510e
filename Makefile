# Brisk's front door: the README and CI call these targets.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/dev.txt | cksum | cut -d' ' -f1)

HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/brisk_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/brisk_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
SCALE ?= 1
BENCH_PORT ?= 8765
BENCH_ONLY ?=
BENCH_ARGS ?=
SCENARIO ?= projects.task.list.n_tasks

.PHONY: install run test test-browser bench bench-check bench-profile worker lint format migrate clean

$(STAMP): requirements/base.txt requirements/dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py jobs_sync_internal

## run: migrate, load demo data and serve HTTP + WebSockets on $(HOST):$(PORT)
run: migrate
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py seed_demo
	$(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --log-config config/uvicorn_logging.json --ws-max-size 65536 --ws-per-message-deflate false --lifespan off --no-proxy-headers

# The whole suite measures coverage and checks the floors in pyproject.toml
# ([tool.brisk.coverage-floors]) on PostgreSQL and Redis; a partial run (PYTEST_ARGS) or COVERAGE=0 skips both.
COVERAGE ?= 1
COV_ARGS := $(if $(PYTEST_ARGS),,$(if $(filter 1,$(COVERAGE)),--cov --cov-report=term))
FLOORS := $(if $(COV_ARGS),$(PY) tests/coverage_floors.py,true)

## test: the whole suite on PostgreSQL and Redis (started here if installed and stopped), with coverage floors
test: install
	@mkdir -p var
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py ensure_services; status=$$?; \
	if [ $$status -eq 0 ]; then \
		DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SILK_ENABLED=1 $(PY) -m pytest $(COV_ARGS) $(PYTEST_ARGS) && $(FLOORS); \
	elif [ $$status -eq 3 ]; then \
		echo "PostgreSQL/Redis unreachable: running on the embedded default (PostgreSQL-only tests skip, no coverage floors)"; \
		SILK_ENABLED=1 $(PY) -m pytest $(COV_ARGS) $(PYTEST_ARGS); \
	else exit $$status; fi

## test-browser: the admin, Swagger UI, silk and the browsable API in headless Chromium under the CSP
## (installs Debian's chromium and chromium-driver first when they are missing)
test-browser: install
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		echo "installing chromium and chromium-driver (Debian packages)"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py ensure_services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SILK_ENABLED=1 $(PY) -m pytest -m browser tests/browser $(PYTEST_ARGS)

## bench: seed at SCALE, serve with uvicorn workers, drive load, write bench/results/
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py ensure_services
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) BENCH_PORT=$(BENCH_PORT) BENCH_ONLY=$(BENCH_ONLY) $(PY) -m bench --scale $(SCALE) $(BENCH_ARGS)

## bench-check: a small bench that fails on a p95 or query-budget regression
bench-check: install
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py ensure_services
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) BENCH_PORT=$(BENCH_PORT) BENCH_ONLY=$(BENCH_ONLY) BENCH_LONGPOLL_SIZES=$${BENCH_LONGPOLL_SIZES:-200} $(PY) -m bench --check

## bench-profile: one SCENARIO at concurrency 1 and 4, with a py-spy profile of a worker in bench/results/
bench-profile: install
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py ensure_services
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) BENCH_PORT=$(BENCH_PORT) $(PY) -m bench --scale $(SCALE) --profile $(SCENARIO) $(BENCH_ARGS)

## worker: Celery worker with beat (periodic sweeps) against Redis
worker: install
	mkdir -p var
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(VENV)/bin/celery -A config worker --beat --schedule var/celerybeat-schedule --loglevel INFO --concurrency 2

## lint: ruff check, ruff format --check, mypy (django-stubs, DRF stubs; strict on apps/core)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
