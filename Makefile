# The two commands: `make run` (serve on the embedded SQLite default) and `make test`.
# Each creates .venv and installs what is needed on first use.

VENV   := .venv
BIN    := $(VENV)/bin
# The tested versions of every dependency (test tools too) are pinned in requirements.lock:
# `make lock` refreshes it from pyproject.toml. A change to either file reinstalls.
LOCK   := requirements.lock
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
             command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
             && { echo $$p; break; }; done)
# Two workers on the 2-core machine; PYTEST_ARGS adds more (e.g. -k sweeper).
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint lock bench bench-pg clean

$(STAMP): pyproject.toml $(LOCK)
	@test -n "$(PYTHON)" || { echo "odr needs Python 3.11 or newer"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/odr db upgrade
	$(BIN)/odr demo --if-empty
	$(BIN)/odr serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/odr workflow check
	$(BIN)/odr notifications check
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The checks .ci/run makes before the tests: lint, format, types (mypy, configured in
# pyproject.toml) and the layer contracts (import-linter, also in pyproject.toml).
lint: install
	$(BIN)/ruff check odr tests benchmarks
	$(BIN)/ruff format --check odr tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Resolve pyproject.toml's dependencies (with the test extra) to the newest versions allowed,
# for every platform, and pin them in requirements.lock; commit both files together.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
		--quiet -o $(LOCK)

# Every benchmark script (not the _helpers, not table.py, not the PostgreSQL one below), then
# one table of their figures. The scale databases are built once and cached under var/bench/.
bench: install
	@mkdir -p benchmarks/results
	@for script in benchmarks/[!_]*.py; do \
		case $$script in benchmarks/table.py|benchmarks/scale_pg.py) continue;; esac; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; done
	@$(BIN)/python benchmarks/table.py

# Issue 22 on PostgreSQL: 1,000,000 and 10,000,000 cases in one run, read from the shared demo
# databases bench_1m and bench_10m (a size whose database is not ready is skipped and named;
# BENCH_PG_ARGS="--build" builds a missing one). Figures in benchmarks/results/scale_pg.json.
BENCH_PG_ARGS ?=
bench-pg: install
	@mkdir -p benchmarks/results
	$(BIN)/python benchmarks/scale_pg.py --sizes 1000000,10000000 $(BENCH_PG_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
