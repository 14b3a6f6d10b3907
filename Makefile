# azure_hrw.doctor: the two commands a newcomer needs are `make demo` and `make test`.
# Everything they need is installed here, on a fresh Debian 12 / Python 3.11 machine, as root.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTIONS := $(CURDIR)/.tmp/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)
export LC_ALL := C.UTF-8

.PHONY: help setup system-deps venv collection demo test unit integration molecule lint sanity ps-syntax docs-check build clean lab-down ee-check bench

help:
	@echo "make demo   - set up, bring up the lab, diagnose it, print the fleet report (table, HTML file in hrw-report/), take the lab down"
	@echo "make test   - set up, then every test layer (unit, docs, lint, sanity, PowerShell syntax, build, execution environment, lab integration, molecule)"
	@echo "make unit | integration | molecule | lint | sanity | ps-syntax | docs-check | build | ee-check | lab-down | clean"
	@echo "make bench  - fleet benchmark on 50 lab hosts (not part of make test; docs/performance.md)"

setup: system-deps venv collection

system-deps:
	@scripts/install-system-deps.sh

venv: $(STAMP)
$(STAMP): requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $@

# Ansible finds the collection through a collections path whose azure_hrw/doctor is this checkout.
collection:
	@mkdir -p $(COLLECTIONS)/ansible_collections/azure_hrw
	@ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/azure_hrw/doctor

demo: setup
	@scripts/demo.sh

test: setup
	$(MAKE) --no-print-directory unit docs-check lint ps-syntax sanity build ee-check integration molecule

unit:
	$(BIN)/python -m pytest tests/unit -q -p no:cacheprovider

integration:
	$(BIN)/python -m pytest tests/integration -q -p no:cacheprovider

# The repair role on one lab host (extensions/molecule/repair). molecule destroys the host at the
# end, also on failure; the trap takes it down too when molecule itself is killed.
molecule:
	@trap '$(BIN)/python -m tests.lab down --state-dir $(CURDIR)/.tmp/molecule-repair >/dev/null' EXIT; \
	  molecule test -s repair

lint:
	$(BIN)/ansible-lint --offline

sanity:
	@scripts/sanity.sh

ps-syntax:
	$(BIN)/python scripts/ps_syntax.py

docs-check:
	@scripts/docs_check.sh

build:
	@scripts/build_check.sh

ee-check: collection
	@scripts/ee_check.sh

# Fleet benchmark on the lab (several minutes; HOSTS=N to change the size). Not part of `test`.
bench: setup
	$(BIN)/python scripts/bench.py --hosts $(or $(HOSTS),50)

lab-down:
	$(BIN)/python -m tests.lab down

clean: lab-down
	rm -rf .tmp tests/output .ansible hrw-report
