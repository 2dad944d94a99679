# OneStop – the two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Two workers by default (the machine has two cores); PostgreSQL workers get their own databases.
PYTEST_ARGS ?= -q -n 2

.PHONY: run test lint bench install install-dev translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) onestop demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# Every test on SQLite; again on PostgreSQL when TEST_DATABASE_URL is set.
test: $(VENV)/.installed-dev
	@echo "== SQLite"
	env -u TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then echo "== PostgreSQL: $$TEST_DATABASE_URL"; $(BIN)/pytest $(PYTEST_ARGS); fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check onestop tests bench config.py wsgi.py

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

# Re-extract the Vietnamese source strings, merge them into the English catalogue, compile it.
translations: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-wrap --sort-by-file -o onestop/translations/messages.pot .
	$(BIN)/pybabel update -i onestop/translations/messages.pot -d onestop/translations -l en --no-wrap
	$(BIN)/pybabel compile -d onestop/translations -l en
