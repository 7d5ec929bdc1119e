# mailops.smtp — developer entry points.
# A fresh machine needs two commands: `make demo` and `make test`. Both bootstrap everything they need.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(abspath .)
VENV        ?= $(ROOT)/.venv
PYTHON_BASE ?= $(shell command -v python3.11 || command -v python3)
BIN         := $(VENV)/bin
COLLECTIONS := $(ROOT)/.collections
CORPUS      ?= $(abspath ../shared/corpus)
# pytest-xdist for the unit and integration stages: 2 workers, each test file whole on one worker (its module
# fixtures run once). Nothing shared at a fixed path unless built under a file lock: app venvs through
# tests/readers/appvenv.py (app_venv). `make integration XDIST=` runs in one process.
XDIST       ?= -n 2 --dist loadfile

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv collection system-deps test lint ruff ansible-lint sanity units integration molecule \
        artifact docs docs-check demo corpus-check bench clean

help:
	@echo "make demo   - set up and run the demo against an embedded SMTP sandbox"
	@echo "make test   - set up and run every test (ruff, ansible-lint, docs, artifact, sanity, unit, integration, molecule)"
	@echo "make corpus-check CORPUS=dir - edit-and-verify every app profile against real config files"
	@echo "make bench  - benchmarks against the tools users would otherwise run"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON_BASE) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# ansible finds the collection from the working tree through this link.
collection: $(COLLECTIONS)/ansible_collections/mailops/smtp
$(COLLECTIONS)/ansible_collections/mailops/smtp:
	mkdir -p $(COLLECTIONS)/ansible_collections/mailops
	ln -sfn ../../.. $(COLLECTIONS)/ansible_collections/mailops/smtp

system-deps:
	scripts/system-deps.sh

test: venv collection system-deps
	scripts/test-stages.sh ruff ansible-lint docs-check artifact sanity units integration molecule

lint: ruff ansible-lint

ruff: venv
	$(BIN)/ruff check .

ansible-lint: venv collection
	$(BIN)/ansible-lint

sanity: venv
	scripts/sanity.sh

units: venv collection
	$(BIN)/python -m pytest -q -p no:cacheprovider $(XDIST) tests/unit tests/smtp_sandbox tests/readers

integration: venv collection system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider $(XDIST) tests/integration

molecule: venv collection
	scripts/molecule.sh

# Build the release tarball, prove it holds no generated file and no secret, install it offline into an empty
# directory and run a smoke playbook (every module and the role) from there only.
artifact: venv
	$(BIN)/python scripts/artifact_check.py

docs: venv collection
	scripts/docs.sh generate

docs-check: venv collection
	scripts/docs.sh check

demo: venv collection
	scripts/demo.sh

corpus-check: venv collection system-deps
	$(BIN)/python scripts/corpus_check.py "$(CORPUS)"

bench: venv collection system-deps
	bench/run.sh

clean:
	rm -rf $(VENV) $(COLLECTIONS) build tests/output
