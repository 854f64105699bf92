# Keyhold developer commands. `make run` and `make test` work on a fresh machine with Python 3.12.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
# Python 3.12 from PATH, or from pyenv when it is installed there but not on PATH.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || ls -1d $$HOME/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | tail -n 1)
PYTEST_ARGS ?=
BENCH ?=
# What the static security checks scan (tests and benchmarks may use asserts, fixed paths and bad samples).
PRODUCT_CODE := accounts vault telemetry config devstack manage.py
BENCH_SMOKE ?=

.PHONY: help install run test test-fast lint fmt bench browser wapiti influxdb wrk clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 is required (python3.12 not found on PATH or in pyenv)." >&2; exit 1; fi
	@echo "==> creating virtualenv $(VENV) with $(PYTHON)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> installing requirements-dev.txt (includes requirements.txt)"
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed  ## create the virtualenv and install everything

run: install  ## start the whole site (servers, web, worker, beat) until Ctrl+C
	@$(PY) -m devstack run

browser:  ## make sure headless Chromium is installed (Debian package)
	@scripts/ensure-chromium.sh

wapiti:  ## make sure Debian's wapiti scanner is installed (tests/security/test_wapiti.py)
	@scripts/ensure-debian-package.sh wapiti wapiti --version "the scanner test; it skips without it" optional

influxdb:  ## make sure Debian's influxdb (InfluxDB 1.6) is installed (bench telemetry_vs_influxdb)
	@scripts/ensure-debian-package.sh influxdb influxd version "the telemetry_vs_influxdb benchmark"

wrk:  ## make sure Debian's wrk load client is installed (bench/api_openbao.py)
	@scripts/ensure-debian-package.sh wrk wrk --version "the API benchmarks' load client"

test: install browser wapiti  ## run the whole test suite against throw-away servers
	@echo "==> running the test suite (servers from the environment or started for this run)"
	@$(PY) -m devstack test $(PYTEST_ARGS)

test-fast: install  ## the quick set: no browser, end-to-end or fault tests
	@$(PY) -m devstack test -m "not e2e and not browser and not fault" $(PYTEST_ARGS)

lint: install  ## ruff, bandit, semgrep, Django's system checks, and no missing migrations
	@echo "==> ruff check"; $(VENV)/bin/ruff check .
	@echo "==> ruff format --check"; $(VENV)/bin/ruff format --check .
	@echo "==> bandit (high severity)"; $(VENV)/bin/bandit -q -r $(PRODUCT_CODE) -x "*/migrations/*" --severity-level high
	@echo "==> semgrep (.semgrep.yml)"; $(VENV)/bin/semgrep scan --config .semgrep.yml --metrics=off --disable-version-check --error --quiet $(PRODUCT_CODE)
	@echo "==> manage.py check"; $(PY) manage.py check --fail-level WARNING
	@echo "==> makemigrations --check"; $(PY) manage.py makemigrations --check --dry-run
	@echo "==> hadolint"; $(VENV)/bin/hadolint Dockerfile
	@echo "==> shellcheck"; $(VENV)/bin/shellcheck --shell=sh docker/entrypoint.sh scripts/make-secrets.sh && $(VENV)/bin/shellcheck scripts/ensure-*.sh

fmt: install  ## format and autofix
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

bench: install influxdb wrk  ## run the benchmarks in bench/ (BENCH=name for one, BENCH_SMOKE=1: one round, no bars)
	@BENCH_SMOKE=$(BENCH_SMOKE) $(PY) -m bench $(BENCH)

clean:  ## remove the virtualenv and caches (keeps var/ data)
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
