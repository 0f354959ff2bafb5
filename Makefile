# The two commands of the README: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SERVICE_ENV ?= development
# where `make run` serves: make run PORT=8080 HOST=0.0.0.0
HOST ?= 127.0.0.1
PORT ?= 5000
# test processes for `make test` (pytest-xdist; 2: this machine's cores); each builds its own SQLite and PostgreSQL
# databases, so they never share rows. TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2

.PHONY: run test install lint openapi migrate seed admin client check-port pdf-libs bench bench-webhooks bench-http messages

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

## Installs, migrates, seeds (with demo data) and serves on http://$(HOST):$(PORT) (default 127.0.0.1:5000)
run: check-port pdf-libs seed
	@echo "Sign in: run 'make admin EMAIL=you@example.org' once, then open http://$(HOST):$(PORT)/auth/login"
	$(BIN)/flask --app service run --host "$(HOST)" --port "$(PORT)"

## Says clearly, before anything else, when PORT is not a number or is taken
check-port: install
	@$(BIN)/python -m service.portcheck "$(HOST)" "$(PORT)"

## WeasyPrint's Debian libraries (Pango, HarfBuzz, DejaVu fonts), for the printable directory's
## PDF: installed when missing (as root or with sudo); without them only the PDF answers 503
pdf-libs:
	@bash tests/ensure-tools.sh pdf || echo "make run: the printable directory's PDF will answer 503 until these are installed"

## The first administrator: make admin EMAIL=you@example.org (asks for the password)
admin: migrate
	$(BIN)/flask --app service users create-admin "$(EMAIL)"

## A partner system's API client: make client NAME="My system" SCOPE="directory:read workplan:read"
## (prints its id and secret once, as JSON; add MEMBER_STATE=XX to bind it to one member state)
client: migrate
	@$(BIN)/flask --app service clients create "$(NAME)" --scope "$(SCOPE)" $(if $(MEMBER_STATE),--member-state "$(MEMBER_STATE)")

## Installs and runs lint, the layer contracts and the whole test suite (SQLite, and PostgreSQL when reachable)
test: install
	bash tests/ensure-tools.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

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

## Prints the HTTP benchmark's table: gunicorn + wrk beside a bare Flask endpoint (PostgreSQL
## when DATABASE_URL is set, else SQLite); installs Debian's wrk when missing
bench-http: install
	command -v wrk >/dev/null || apt-get -o DPkg::Lock::Timeout=300 install -y wrk \
		|| sudo apt-get -o DPkg::Lock::Timeout=300 install -y wrk
	$(BIN)/python -m tests.benchmarks.bench_http $(BENCH_ARGS)

## Extracts the translatable strings and merges them into service/translations/{es,fr,pt} (README "Languages")
messages: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header --sort-output \
		-k _l -k N_ -k TranslatedMessage -o service/translations/messages.pot .
	$(BIN)/pybabel update -i service/translations/messages.pot -d service/translations \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --width 100
