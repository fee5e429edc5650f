# Every target sets up .venv itself (again when pyproject.toml changes).
VENV    := .venv
PY      := $(VENV)/bin/python
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CONFIG  ?= config.example.toml
SYNDICATE := $(BIN)/syndicate --config $(CONFIG)

# Tests use PostgreSQL when this URL is set; by default, when one answers locally.
SYNDICATE_TEST_POSTGRES_URL ?= $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo postgresql+psycopg://postgres@127.0.0.1:5432/test)
export SYNDICATE_TEST_POSTGRES_URL

.PHONY: run test lint format bench setup clean screenshots

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	@echo "installing syndicate and its dependencies into $(VENV) (log: $(VENV)/install.log)"
	@$(PY) -m pip install -e '.[test]' > $(VENV)/install.log 2>&1 \
		|| { tail -30 $(VENV)/install.log; exit 1; }
	touch $(STAMP)

setup: $(STAMP)

# The whole service on embedded defaults: SQLite under var/, mail to var/outbox.
run: $(STAMP)
	SYNDICATE_SECRET=$${SYNDICATE_SECRET:-local-development-secret} \
	SYNDICATE_API_TOKEN=$${SYNDICATE_API_TOKEN:-local-development-token} \
	sh scripts/run-local.sh "$(CONFIG)"

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check syndicate tests benchmarks
	$(BIN)/ruff format --check syndicate tests benchmarks
	$(BIN)/mypy syndicate
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix syndicate tests benchmarks
	$(BIN)/ruff format syndicate tests benchmarks

bench: $(STAMP)
	$(PY) -m benchmarks $(BENCH_ARGS)

# docs/digest-*.png: the English sample digest at desktop and phone width;
# docs/feed-world.png: the World feed in a browser through feed.xsl (needs chromium).
screenshots: $(STAMP)
	sh scripts/screenshots.sh
	sh scripts/feed-screenshot.sh
	$(PY) scripts/web_screenshots.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
