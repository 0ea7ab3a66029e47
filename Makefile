# Two commands matter: `make run` starts the bot, `make test` runs every test (about 8 minutes).
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

.PHONY: install run test lint bench
install: $(BIN)/.installed

run: install
	$(BIN)/python -m bot

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The benchmarks behind the README's figures (bench.soak, 10 minutes of traffic
# on PostgreSQL, runs on its own: `.venv/bin/python -m bench.soak`).
bench: install
	$(BIN)/python -m bench.timeline_ack
	$(BIN)/python -m bench.cadence_scale
	$(BIN)/python -m bench.postmortem_draft
