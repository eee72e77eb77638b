# The two main commands: `make gate` (stack up, suites, report, verdict) and `make test` (all tests).
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST := .venv/bin/pytest

.PHONY: setup up down status test test-unit test-integration lint bench-messaging clean

setup:
	@scripts/setup.sh

up: setup
	$(PY) -m system.stack up $(if $(REPLICAS),$(foreach r,$(REPLICAS),--replicas $(r)))

down:
	@if [ -x $(PY) ]; then $(PY) -m system.stack down; fi

status: setup
	$(PY) -m system.stack status

# Unit tests, lint and types, then the integration tests; the latter start the stack if it is not up
# and stop it again afterwards (a stack that was already up is left running).
test: setup lint
	$(PYTEST) tests

test-unit: setup
	$(PYTEST) tests/unit

test-integration: setup
	$(PYTEST) tests/integration

lint: setup
	.venv/bin/ruff check system tests load
	.venv/bin/ruff format --check system tests load
	.venv/bin/mypy

bench-messaging: setup
	$(PY) -m load.bench.messaging

clean: down
	rm -rf .stack
