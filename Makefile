# The two commands the README promises: `make demo` and `make test`.
# Runs as root on a fresh Debian machine with Python 3.11; everything else is installed here.
# uv run as `python -m uv` installs into that python unless told otherwise: hence --python.
# Both venvs' bytecode is compiled at install (as a real image would ship it): PYTHONDONTWRITEBYTECODE
# is set here, so without it every process compiles what it imports (LiteLLM ~8 s, gonogo ~2 s of
# CPU). gonogo's own folders are compiled too (their __pycache__ is git-ignored; an edited module
# is recompiled in memory until the next `make setup`).
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
LITELLM_VENV := .venv-litellm
GONOGO := $(VENV)/bin/gonogo
DEBIAN_PACKAGES := redis-server prometheus prometheus-alertmanager wrk
# The Allure command line (Allure 2, Java) from npm, under a project-local prefix; reports/
# finds it there. Analytics are turned off where it runs (ALLURE_NO_ANALYTICS=true).
SOURCES := gonogo checks load chaos rollback reports canary
ALLURE := .allure/node_modules/.bin/allure
ALLURE_PACKAGE := allure-commandline@2.46
SIGNOFF_KEY = $${GONOGO_HOME:-.gonogo}/keys/signoff.key
# The open-source Portkey gateway (`sandbox up --gateway portkey`) from npm, pinned with its lock
# file (sandbox/portkey-gateway/), under a project-local prefix; run by Debian's node.
PORTKEY_GATEWAY := .portkey/node_modules/@portkey-ai/gateway/build/start-server.js
# `make demo GATEWAY=portkey` runs the Portkey sandbox with its own checklist.
GATEWAY ?= litellm
DEMO_CHECKLIST := $(if $(filter portkey,$(GATEWAY)),--checklist examples/portkey/checklist.yaml)

.PHONY: help setup promtool sandbox-deps test-deps demo test test-fast lint bench bench-drills clean

help:
	@echo "make demo   install everything, start the sandbox, run every stage, print the verdict, stop"
	@echo "make test   install and run gonogo's own tests (unit, plugin, integration on the sandbox)"
	@echo "make test-fast  the tests that need no sandbox (unit, plugin, pre-deploy), in seconds"
	@echo "make lint   ruff and mypy"
	@echo "make bench  print the benchmarks' figures"
	@echo "make bench-drills  chaos drill timing, 20 interruptions, 10 drills in a row, 20 canaries (~30 min)"

setup: $(VENV)/.installed promtool $(ALLURE)

# The pre-deploy gate's alert_rules check runs promtool (Debian's prometheus package).
promtool:
	@command -v promtool >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
	  >/dev/null; }

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv
	$(UV) venv -q --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install -q --compile-bytecode --python $(VENV)/bin/python -e '.[dev]'
	$(VENV)/bin/python -m compileall -q -j 0 $(SOURCES) >/dev/null
	@touch $@

$(ALLURE):
	@command -v java >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null; }
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	npm install --prefix .allure --no-audit --no-fund --silent $(ALLURE_PACKAGE)
	@touch $@

# Headless Chromium opens the report from disk in a test; strace shows generating it is offline.
test-deps:
	@command -v chromium >/dev/null && command -v strace >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  chromium strace >/dev/null; }

# The sandbox: Debian's Redis, Prometheus and Alertmanager, LiteLLM in its own venv, Portkey.
sandbox-deps: $(LITELLM_VENV)/.installed $(PORTKEY_GATEWAY)
	@missing=""; for bin in redis-server prometheus prometheus-alertmanager promtool wrk; do \
	  command -v $$bin >/dev/null || missing=yes; done; \
	if [ -n "$$missing" ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(DEBIAN_PACKAGES) >/dev/null; fi

$(LITELLM_VENV)/.installed: sandbox/litellm-requirements.txt
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv
	$(UV) venv -q --allow-existing --python $(PYTHON) $(LITELLM_VENV)
	$(UV) pip install -q --compile-bytecode --python $(LITELLM_VENV)/bin/python \
	  -r sandbox/litellm-requirements.txt
	@touch $@

# Its install script (patch-package) has no patches to apply in the published package.
$(PORTKEY_GATEWAY): sandbox/portkey-gateway/package.json sandbox/portkey-gateway/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	mkdir -p .portkey && cp sandbox/portkey-gateway/package*.json .portkey/
	npm ci --prefix .portkey --no-audit --no-fund --silent --ignore-scripts
	@touch $@

# Every stage, the canary too: a candidate with the sandbox's own config runs beside the gateway
# (LiteLLM's demo only: the canary item compares two LiteLLMs).
DEMO_STAGES := predeploy,postdeploy,canary,load,chaos,rollback,drill
# Run every stage (and print the canary's table), then sign the verdict (a demo key is made
# once) and build the report, whose path is the last line: open it from disk.
demo: setup sandbox-deps
	@status=1; \
	if [ "$(GATEWAY)" = litellm ]; then \
	  if $(GONOGO) sandbox up --candidate sandbox/litellm.yaml; then \
	    $(GONOGO) run --stage $(DEMO_STAGES) --no-report; status=$$?; \
	    cat "$$(ls -td $${GONOGO_HOME:-.gonogo}/runs/*/ | head -1)artifacts/canary-candidate/decisions.txt"; fi; \
	elif $(GONOGO) sandbox up --gateway $(GATEWAY); then \
	  $(GONOGO) run --stage all --no-report $(DEMO_CHECKLIST); status=$$?; fi; \
	$(GONOGO) sandbox down; \
	if [ $$status -le 1 ]; then \
	  test -f "$(SIGNOFF_KEY)" || $(GONOGO) keygen --out "$(SIGNOFF_KEY)"; \
	  $(GONOGO) signoff --by "$${USER:-demo}" --role "release manager (demo)" \
	    --key "$(SIGNOFF_KEY)" --note "signed by make demo"; fi; \
	exit $$status

# The suite runs in a shuffled order (pytest-random-order: modules shuffled, then the tests in
# each): tests must not lean on each other. The seed is printed; TEST_SEED=N replays an order.
ifndef TEST_SEED
TEST_SEED := $(shell echo $$RANDOM)
endif
TEST_ORDER = --random-order --random-order-seed=$(TEST_SEED)
# xdist workers: three on this 2-core machine. The tests mostly wait (drills, alert windows, a
# rate-limit minute), so a third worker fills the cores' idle time: ~5.5 min from a fresh clone
# (`make test` 5 min 24 to 5 min 44 s) against ~8.5 on 2 workers. On 4, the cores were starved:
# 5 of 6 runs from fresh clones failed one or two timing-bound tests (a drill's outage probes).
# `make test` keeps each test file whole on one worker (its module-scoped drill, server or
# sandbox is made once) and each worker has a sandbox of its own (the `sandbox` fixture is per
# session, a worker is a session); TEST_WORKERS= runs serially. --no-loadscope-reorder: xdist would hand out the files
# with the most tests first, and the longest files (a few long tests each) last;
# tests/integration/conftest.py puts those first instead.
# Not --dist loadgroup: under pytest 9 it groups nothing (xdist 3.8 sets item._nodeid, which
# pytest 9 no longer reads). `make test-fast` spreads test by test, to whichever worker is free
# (worksteal: its tests take 0.01 to 10 s).
TEST_WORKERS ?= 3
FAST_WORKERS ?= 4
workers = $(if $(1),-n $(1) --dist $(2))

test: setup sandbox-deps test-deps
	@echo "test order seed: $(TEST_SEED) (make test TEST_SEED=$(TEST_SEED) replays it)"
	$(VENV)/bin/pytest tests $(TEST_ORDER) $(call workers,$(TEST_WORKERS),loadfile --no-loadscope-reorder) --durations=20

test-fast: setup
	$(VENV)/bin/pytest tests -m "not integration" $(TEST_ORDER) $(call workers,$(FAST_WORKERS),worksteal)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: setup sandbox-deps
	$(VENV)/bin/python bench/startup.py
	$(VENV)/bin/python bench/sandbox_startup.py
	$(VENV)/bin/python bench/postdeploy_stage.py
	$(VENV)/bin/python bench/secret_scan.py
	$(VENV)/bin/python bench/redaction.py
	$(VENV)/bin/python bench/load_user.py

bench-drills: setup sandbox-deps
	$(VENV)/bin/python bench/chaos_timing.py
	$(VENV)/bin/python bench/chaos_interruptions.py
	$(VENV)/bin/python bench/chaos_repeat.py
	$(VENV)/bin/python bench/canary_false_alarms.py

clean:
	-$(GONOGO) sandbox down
	rm -rf $(VENV) $(LITELLM_VENV) .gonogo .allure .portkey
