# The two commands of the README: `make demo` and `make test`. Everything installs into .venv from
# setup.cfg, with the exact versions of constraints.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo serve test schemathesis bench clean

$(STAMP): setup.cfg setup.py pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Installs, migrates the embedded SQLite database, creates a demo shop with keys, starts the API,
# sends a web shop order and a POS order, prints their invoices, and keeps the API running.
demo: install
	$(BIN)/invoicing demo --serve

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
	rm -rf $(VENV) instance .pytest_cache .hypothesis
