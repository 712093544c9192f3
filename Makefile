# The two commands: `make run` (serve on the embedded SQLite default) and `make test`.
# Each creates .venv and installs what is needed on first use.

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
             command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
             && { echo $$p; break; }; done)
# Two workers on the 2-core machine; PYTEST_ARGS adds more (e.g. -k sweeper).
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "odr needs Python 3.11 or newer"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
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

lint: install
	$(BIN)/ruff check odr tests benchmarks
	$(BIN)/ruff format --check odr tests benchmarks
	$(BIN)/lint-imports

# Every benchmark script (not the _helpers, not table.py), then one table of their figures.
# The scale databases are built once and cached under var/bench/.
bench: install
	@mkdir -p benchmarks/results
	@for script in benchmarks/[!_]*.py; do \
		case $$script in benchmarks/table.py) continue;; esac; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; done
	@$(BIN)/python benchmarks/table.py

clean:
	rm -rf $(VENV) var .pytest_cache
