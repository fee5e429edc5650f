# Every target sets up .venv itself (again when pyproject.toml or setup.py changes):
# `make run` installs the service alone; test, lint and the rest add the test extra.
VENV    := .venv
PY      := $(VENV)/bin/python
BIN     := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV     := $(VENV)/.installed-test
CONFIG  ?= config.example.toml
SYNDICATE := $(BIN)/syndicate --config $(CONFIG)

# Tests use PostgreSQL when this URL is set; by default, when one answers locally.
SYNDICATE_TEST_POSTGRES_URL ?= $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo postgresql+psycopg://postgres@127.0.0.1:5432/test)
export SYNDICATE_TEST_POSTGRES_URL

.PHONY: run test lint format bench setup clean screenshots wheel-smoke

# pip install -e SPEC into .venv, its output kept in a log unless it fails.
define install
	test -x $(PY) || python3 -m venv $(VENV)
	@echo "installing $(1) into $(VENV) (log: $(VENV)/install.log)"
	@$(PY) -m pip install -e '$(1)' > $(VENV)/install.log 2>&1 \
		|| { tail -30 $(VENV)/install.log; exit 1; }
	touch $@
endef

$(RUNTIME): pyproject.toml setup.py
	$(call install,.)

$(DEV): pyproject.toml setup.py
	$(call install,.[test])
	touch $(RUNTIME)

setup: $(DEV)

# The whole service on embedded defaults: SQLite under var/, mail to var/outbox.
run: $(RUNTIME)
	SYNDICATE_SECRET=$${SYNDICATE_SECRET:-local-development-secret-not-for-production} \
	SYNDICATE_API_TOKEN=$${SYNDICATE_API_TOKEN:-local-development-token} \
	sh scripts/run-local.sh "$(CONFIG)"

test: $(DEV)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff check syndicate tests benchmarks
	$(BIN)/ruff format --check syndicate tests benchmarks
	$(BIN)/mypy syndicate
	$(BIN)/lint-imports

format: $(DEV)
	$(BIN)/ruff check --fix syndicate tests benchmarks
	$(BIN)/ruff format syndicate tests benchmarks

bench: $(DEV)
	$(PY) -m benchmarks $(BENCH_ARGS)

# docs/digest-*.png: the English sample digest at desktop and phone width;
# docs/feed-world.png: the World feed through feed.xsl; docs/web-*.png, docs/feed-page.png,
# docs/digests.png: the subscribe, preferences, feed and archive pages (needs chromium).
screenshots: $(DEV)
	sh scripts/screenshots.sh
	sh scripts/feed-screenshot.sh
	$(PY) scripts/web_screenshots.py

# Build the wheel, install it in a fresh virtualenv outside the tree, run a site from it.
wheel-smoke:
	sh scripts/wheel-smoke.sh

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
