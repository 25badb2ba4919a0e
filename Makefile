# Essaim — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo runs with the default settings (SQLite under var/, mail kept in the outbox and
# shown at /demo/mailbox/) and never with DEBUG: it shows the real error pages.
DEMO_ENV := ESSAIM_DEMO_MAILBOX=1

.PHONY: help install demo serve test test-fast test-browser test-postgres lint format bench messages clean

help:
	@echo "make demo    install, create the demo database and serve http://$(HOST):$(PORT)"
	@echo "make test    install and run the whole test suite (SQLite, plus browser tests)"
	@echo "make lint    ruff and makemigrations --check"
	@echo "make bench   run the benchmarks (B=<name> for one)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p var
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py load_demo
	$(DEMO_ENV) $(PY) manage.py serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/pytest -n 2 -m "not browser"

test-browser: $(STAMP)
	$(BIN)/pytest -m browser

test-postgres: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/essaim} $(BIN)/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	ESSAIM_ENV=test $(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(PY) -m bench $(if $(B),$(B),all)

# Extract the strings into src/essaim/locale/fr/LC_MESSAGES/django.po and compile django.mo
# (needs GNU gettext). Both files are committed; tests/test_translations.py fails while an entry
# is untranslated or fuzzy, or the .mo is older than the .po.
messages: $(STAMP)
	cd src/essaim && mkdir -p locale && ../../$(PY) ../../manage.py makemessages -l fr --no-obsolete --no-location --ignore "*/migrations/*"
	cd src/essaim && ../../$(PY) ../../manage.py compilemessages -l fr

clean:
	rm -rf $(VENV) var
