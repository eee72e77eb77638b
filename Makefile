# The two main commands: `make gate` (stack up, suites, report, verdict) and `make test` (all tests).
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST := .venv/bin/pytest

.PHONY: images setup up down status test test-containers test-unit test-integration test-e2e lint bench-messaging clean gate report bench-flow bench-tracing bench-pricing

setup:
	@scripts/setup.sh

# RUNTIME=containers runs the stack in containers of `make images` (the default: processes of this machine).
STACK := $(PY) -m system.stack $(if $(RUNTIME),--runtime $(RUNTIME))
up: setup
	$(STACK) up $(if $(REPLICAS),$(foreach r,$(REPLICAS),--replicas $(r)))

down:
	@if [ -x $(PY) ]; then $(STACK) down; fi

status: setup
	$(STACK) status

# The services' image and the infrastructure images (Docker: Debian's docker.io, started if it is not running;
# the base built offline with debootstrap unless BASE=python:3.11-slim or another registry image is given).
images: setup
	@scripts/images.sh $(IMAGES)

# Unit tests, lint and types, then the integration tests, the contracts (Pact consumer tests, provider
# verification, can-i-deploy, drift; contracts/fuzz is the API fuzzing) and the browser tests (e2e, last: Playwright's
# sync API keeps an event loop running in the main thread, and asyncio tests after it cannot start theirs); all but
# the unit tests start the stack if it is not up and stop it again afterwards (a stack already up is left running).
test: setup lint
	$(PYTEST) tests contracts e2e --ignore=tests/containers
	@$(MAKE) --no-print-directory test-containers

# The containers suite (issue 12), after the process stack is down (both use the same ports): the images built
# (layers cached: only what changed), then the stack in containers with the image checks, the broker node-kill
# and the order-flow happy path. Where Docker cannot be had, its tests are skipped, each naming the reason.
CONTAINERS_TESTS := tests/containers tests/integration/kernel/test_node_kill.py tests/integration/flow/test_order_flow.py
test-containers: setup
	@if scripts/docker.sh; then scripts/images.sh; else echo "test-containers: no Docker here"; fi
	$(PYTEST) --stack=containers $(CONTAINERS_TESTS)

test-unit: setup
	$(PYTEST) tests/unit

test-integration: setup
	$(PYTEST) tests/integration

# Real-browser tests of the Shop (Playwright driving Debian's chromium) against the running stack.
test-e2e: setup
	$(PYTEST) e2e

lint: setup
	.venv/bin/ruff check system tests load pipelines e2e contracts chaos
	.venv/bin/ruff format --check system tests load pipelines e2e contracts chaos
	.venv/bin/mypy

bench-flow: setup
	$(PY) -m load.bench.flow

# The cost of exporting traces: services restarted without, then with, OTLP export (the stack must be up).
bench-tracing: setup
	$(PY) -m load.bench.tracing

bench-messaging: setup
	$(PY) -m load.bench.messaging

# Measuring a million-triangle model: ours beside trimesh doing the same (no stack needed).
bench-pricing: setup
	$(PY) -m load.bench.pricing
	$(PY) -m load.bench.slicing

clean: down
	rm -rf .stack .stack-containers

# The release gate on this machine: set-up, the stack (started only if not up, then stopped again), the
# profile's suites, the Allure report, the verdict: exit 0 GO, 1 NO-GO, 2 the gate could not run.
# PROFILE=pr|release|nightly; TARGET=URL judges an already running environment instead of the local stack;
# RUN_ID names the run folder under reports/runs/ (CI does); RUNTIME=containers runs the stack in containers.
# The wall time in gate.md includes the set-up.
PROFILE ?= release
gate:
	@start=$$(date +%s.%N); scripts/setup.sh && QA_WALL_START=$$start $(PY) -m pipelines $(if $(RUNTIME),--runtime $(RUNTIME)) gate --profile $(PROFILE) \
		$(if $(TARGET),--target $(TARGET)) $(if $(RUN_ID),--run-id $(RUN_ID)) $(if $(REPORT_URL),--report-url $(REPORT_URL))

# The Allure report of the latest run (SERVE=1 serves it on http://127.0.0.1:8088/).
report: setup
	$(PY) -m pipelines report $(if $(SERVE),--serve)
