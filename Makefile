# Gatehouse — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PYTEST := $(UV) run --no-sync pytest
PACKAGES := auth-service auth-client service-kit resource-service devstack tests-e2e

.PHONY: help install chromium test test-fast lint fmt run clean compose-check k8s-check test-e2e screenshot bench fuzz load drills

help: ## show this help
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# uv lives in its own small venv so that `uv sync` never prunes it from .venv.
$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml $(addsuffix /pyproject.toml,$(PACKAGES))
	$(UV) sync --all-packages --locked
	@touch $@

# The Node relying party of the end-to-end tests (openid-client), from package-lock.json;
# npm's cache serves a repeat offline, and the stamp skips it while the lock is unchanged.
NODE_RP := tests-e2e/relying_parties/node
$(NODE_RP)/node_modules/.package-lock.json: $(NODE_RP)/package-lock.json $(NODE_RP)/package.json
	cd $(NODE_RP) && npm ci --prefer-offline --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.synced $(NODE_RP)/node_modules/.package-lock.json ## install every package and tool into .venv (uv included) and the Node test app

# Playwright cannot download its own browser here: the browser tests drive Debian's Chromium.
chromium: ## install Debian's Chromium for the browser tests, when missing (needs root)
	@command -v chromium >/dev/null || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

# Each package runs in its own pytest invocation: each keeps its config in its pyproject.toml.
test: install chromium ## run every test (unit, service, end-to-end, browser) and the compose checks
	$(PYTEST) auth-service/tests
	$(PYTEST) auth-client/tests
	$(PYTEST) service-kit/tests
	$(PYTEST) resource-service/tests
	$(PYTEST) devstack/tests $(addprefix --ignore=,$(K8S_TESTS))
	$(MAKE) --no-print-directory compose-check
	$(MAKE) --no-print-directory k8s-check
	$(PYTEST) tests-e2e/tests
	$(MAKE) --no-print-directory load

test-fast: install ## every test but the browser ones
	$(PYTEST) auth-service/tests
	$(PYTEST) auth-client/tests
	$(PYTEST) service-kit/tests
	$(PYTEST) resource-service/tests
	$(PYTEST) devstack/tests
	$(PYTEST) tests-e2e/tests --ignore=tests-e2e/tests/browser

lint: install ## ruff and mypy
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy auth-service/src auth-client/src service-kit/src resource-service/src devstack/src

fmt: install ## format and fix what ruff can
	$(UV) run --no-sync ruff check --fix .
	$(UV) run --no-sync ruff format .

run: install ## start the whole stack on http://localhost:8080 (Ctrl-C stops it)
	@exec .venv/bin/devstack run

clean: ## wipe the local data folder (.devstack/); refused while the stack runs
	@if [ -x .venv/bin/devstack ]; then .venv/bin/devstack clean; else rm -rf .devstack; fi

# A well-formed stand-in (64 hex digits, like `openssl rand -hex 32`): never used to seal anything.
CHECK_KEK := 0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0

# No Docker engine here: Compose renders and validates the file; docker/checks replays each
# service image's build into a scratch folder (then imports the service from it), asserts
# the rendered config's properties and runs the database roles script on a real PostgreSQL.
compose-check: install ## validate docker-compose.yml, lint the Dockerfiles, replay the images' builds (no engine needed)
	AUTH_KEY_ENCRYPTION_KEY=$(CHECK_KEK) POSTGRES_PASSWORD=check REDIS_PASSWORD=check \
		AUTH_DB_OWNER_PASSWORD=check AUTH_DB_APP_PASSWORD=check \
		RESOURCE_DB_OWNER_PASSWORD=check RESOURCE_DB_APP_PASSWORD=check REVOCATION_CLIENT_SECRET=check \
		.venv/bin/docker-compose -f docker-compose.yml config -q
	.venv/bin/hadolint docker/service.Dockerfile web/Dockerfile
	$(PYTEST) docker/checks

# Offline: kubectl's built-in kustomize renders the base and every overlay, kubernetes-validate
# checks each object against the Kubernetes schemas (strict; Traefik's CRDs are checked by
# the test module against the CRDs in deploy/kubernetes/checks/), then the test module
# checks what the manifests promise (non-root, probes, PDBs, HPAs, policies, no secrets...)
# and runs the migration Job's and init containers' commands, as rendered, on a real PostgreSQL.
K8S_TESTS = devstack/tests/test_kubernetes_manifests.py devstack/tests/test_kubernetes_migrations.py
K8S_DIRS = deploy/kubernetes/base $(sort $(dir $(wildcard deploy/kubernetes/overlays/*/kustomization.yaml)))
k8s-check: install ## render and validate the Kubernetes manifests offline (kustomize, schemas, security)
	@set -eo pipefail; for dir in $(K8S_DIRS); do \
		echo "kubectl kustomize $$dir | kubernetes-validate --strict"; \
		.venv/bin/kubectl kustomize $$dir | .venv/bin/kubernetes-validate --strict --quiet --no-warn -; \
	done
	$(PYTEST) $(K8S_TESTS)

test-e2e: install chromium ## the end-to-end tests: boot the stack, drive it through the gateway
	$(PYTEST) tests-e2e/tests

screenshot: install chromium ## refresh docs/screenshots/ (every page state) and docs/dashboard.png (~1 min)
	$(UV) run --no-sync python tests-e2e/tests/browser/screenshots.py

# The load generator for `make bench`: Debian's wrk, like Chromium above.
.PHONY: wrk
wrk: ## install Debian's wrk for the benchmarks, when missing (needs root)
	@command -v wrk >/dev/null || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk)

bench: install wrk ## benchmarks on loopback (~14 min): one table of figures, ratios and targets
	$(UV) run --no-sync python -m bench $(BENCH_ARGS)

# Hostile and heavy traffic, and parts failing. Each boots stacks of its own on free
# loopback ports and stops them; `make test` runs all three (fuzz and drills among the
# tests-e2e tests, load on its own line above).
fuzz: install ## Schemathesis on both APIs, >=500 cases each: no 5xx, answers as documented (~1 min)
	@seed=$${FUZZ_SEED:-$$(( RANDOM * 32768 + RANDOM ))}; echo "schemathesis seed: $$seed (make fuzz FUZZ_SEED=$$seed replays it)"; \
		GATEHOUSE_FUZZ_SEED=$$seed GATEHOUSE_FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),100) \
		$(PYTEST) tests-e2e/tests/test_openapi_fuzz.py

load: install ## 100 clients for 30 s through the gateway: figures, no 5xx, no lost write (~1 min)
	$(UV) run --no-sync python tests-e2e/load/run_load.py $(LOAD_ARGS)

drills: install ## fault drills: Redis, PostgreSQL, the auth service down; keys rotated under traffic (~1.5 min)
	$(PYTEST) auth-service/tests/test_fault_drills.py
	$(PYTEST) resource-service/tests/test_with_auth_service.py -k "auth_service_down or rotating_keys"
	$(PYTEST) tests-e2e/tests/test_stack_fault_drills.py
