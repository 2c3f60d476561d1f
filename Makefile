# The two commands of the README, `make demo` and `make test`, and the tooling around them. Everything
# installs into .venv from the hashed lock requirements/dev.txt (every extra, the test and lint tools),
# so every machine and CI run installs exactly the same set; `make lock` writes the lock from setup.cfg.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/dev.txt
# `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest version the ranges in setup.cfg allow;
# without it, the pins in the lock are kept wherever they still fit.
LOCK_FLAGS ?=

.PHONY: install lock lint schemathesis demo serve test bench clean

# Locked packages first (pip and setuptools among them), then the project itself, built by the locked
# setuptools (no build isolation, which would fetch an unlocked one). The editable install's one note
# (setuptools' "Editable installation" reminder about same-named folders) is filtered: nothing to act on.
$(STAMP): $(LOCK) setup.cfg setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	PYTHONWARNINGS="ignore:Editable installation" \
	  $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Universal (any platform, Python 3.11 and later), with the hashes of every file of each pinned version.
lock: install
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes --all-extras \
	  --custom-compile-command "make lock" $(LOCK_FLAGS) -o $(LOCK) setup.cfg requirements/build.in

# ruff, then mypy (settings in pyproject.toml); both run, and the target fails if either fails.
lint: install
	status=0; $(BIN)/ruff check . || status=1; $(BIN)/mypy || status=1; exit $$status

# Installs, migrates the embedded SQLite database, creates a demo shop with keys, starts the API,
# sends a web shop order and a POS order, prints their invoices, and keeps the API running.
# `make demo PORT=8001` serves it on another port.
PORT ?= 8000
demo: install
	$(BIN)/invoicing demo --serve --port $(PORT)

serve: install
	$(BIN)/invoicing migrate
	$(BIN)/invoicing serve

# Runs on SQLite, and on PostgreSQL too when INVOICING_TEST_DATABASE_URL is set (CI sets it).
test: install
	$(BIN)/pytest

# The bounded schemathesis pass alone (it is part of `make test` too).
schemathesis: install
	$(BIN)/pytest -q tests/contract/test_schemathesis.py

bench: install
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis .mypy_cache .ruff_cache
