# Two commands matter: `make run` starts the bot, `make test` runs every test. `make demo` tries
# it without Slack: the bot and a local playground on 127.0.0.1 (`make demo-reset` wipes it).
# Both create .venv and install what they need on first use, at the versions in the lock files.
PYTHON ?= python3
# Test processes: the tests mostly wait on sockets and timers, so 4 fit on 2 cores.
# TEST_WORKERS=0 runs them in one.
TEST_WORKERS ?= 4
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
LOCK_FLAGS := --python-version 3.11 --generate-hashes --native-tls --quiet

$(BIN)/.installed: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

.PHONY: install run demo demo-reset test lint docs bench mutate lock image-test
install: $(BIN)/.installed

run: install
	$(BIN)/python -m bot

# The playground: the real bot with a local stand-in for Slack, its data in ./demo.db.
DEMO_PORT ?= 8765
demo: install
	$(BIN)/python -m bot demo --port $(DEMO_PORT)

demo-reset:
	rm -f demo.db demo.db-wal demo.db-shm

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(MKDOCS_BUILD)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --durations=15

# The docs site (mkdocs.yml) into the ignored site/: --strict fails on a broken link, a missing
# anchor or a page left out of the navigation. NO_MKDOCS_2_WARNING quiets Material's banner.
MKDOCS_BUILD := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --clean --site-dir site

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Rewrite the parts of docs/ written from the code (commands, permissions, configuration;
# bench/docs.py), then build the site as `make test` does.
docs: install
	$(BIN)/python -m bench.docs
	$(MKDOCS_BUILD)

# The benchmarks behind docs/benchmarks.md's figures (bench.soak, 10 minutes of traffic
# on PostgreSQL, runs on its own: `.venv/bin/python -m bench.soak`).
bench: install
	$(BIN)/python -m bench.timeline_ack
	$(BIN)/python -m bench.cadence_scale
	$(BIN)/python -m bench.postmortem_draft

# Mutation testing of one part (not in CI; bench/MUTATION.md): permissions, claims, rules,
# capture or escaping, each against only the tests that cover it, on SQLite. AGAIN=1 tests
# only the previous run's survivors again.
SCOPE ?= escaping
mutate: install
	$(BIN)/python -m bench.mutate $(SCOPE) $(if $(AGAIN),--again)

# Re-resolve the lock files after changing dependencies in pyproject.toml (newest versions that
# fit; add --upgrade-package NAME to move one). The dev lock is constrained to the runtime one,
# so the tests run against exactly what the image ships.
lock: install
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock $(LOCK_FLAGS) \
		-o requirements-dev.lock

# Build the Dockerfile with podman and run the image (what CI does; installs podman on Debian).
image-test:
	deploy/image-test.sh
