# The two commands of the README: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SERVICE_ENV ?= development

.PHONY: run test install lint openapi migrate seed admin bench bench-webhooks messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/flask --app service db upgrade

seed: migrate
	$(BIN)/flask --app service seed --demo

## Installs, migrates, seeds (with demo data) and serves on http://127.0.0.1:5000
run: seed
	@echo "Sign in: run 'make admin EMAIL=you@example.org' once, then open http://127.0.0.1:5000/auth/login"
	$(BIN)/flask --app service run --host 127.0.0.1 --port 5000

## The first administrator: make admin EMAIL=you@example.org (asks for the password)
admin: migrate
	$(BIN)/flask --app service users create-admin "$(EMAIL)"

## Installs and runs the whole test suite (SQLite, and PostgreSQL when reachable) and lint
test: install
	bash tests/ensure-tools.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: install
	$(BIN)/flask --app service openapi write --format yaml openapi/openapi.yaml

## Prints the polling benchmark's figures (SQLite unless DATABASE_URL is set)
bench: install
	$(BIN)/python -m tests.benchmarks.bench_polling

## Prints what a directory write costs with the webhook outbox, with 0 and 5 endpoints
bench-webhooks: install
	$(BIN)/python -m tests.benchmarks.bench_webhooks

## Extracts the translatable strings and merges them into service/translations/{es,fr,pt} (README "Languages")
messages: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header --sort-output \
		-k _l -k N_ -k TranslatedMessage -o service/translations/messages.pot .
	$(BIN)/pybabel update -i service/translations/messages.pot -d service/translations \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --no-wrap
