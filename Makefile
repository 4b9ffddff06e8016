# Gatehouse — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PYTEST := $(UV) run --no-sync pytest
PACKAGES := auth-service auth-client resource-service devstack tests-e2e

.PHONY: help install test test-fast lint fmt typecheck

help: ## show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# uv lives in its own small venv so that `uv sync` never prunes it from .venv.
$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml $(addsuffix /pyproject.toml,$(PACKAGES))
	$(UV) sync --all-packages --locked
	@touch $@

install: .venv/.synced ## install every package and tool into .venv (uv included)

test: install ## run every test
	$(PYTEST) auth-service/tests

test-fast: test ## every test but the browser ones

lint: install ## ruff and mypy
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy auth-service/src devstack/src

fmt: install ## format and fix what ruff can
	$(UV) run --no-sync ruff check --fix .
	$(UV) run --no-sync ruff format .
