# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here is for maintainers; `make help` lists it all.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000

# A developer's machine runs in debug mode unless told otherwise; other local
# settings come from .env (see .env.example), read by the settings module.
export DJANGO_DEBUG ?= true

INSTALLED := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: help install run test check test-neon _test-neon-pooled test-e2e bench fuzz lint typecheck fmt checks migrate superuser serve lock clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(INSTALLED) ## Create the virtualenv and install the pinned requirements

migrate: install ## Apply database migrations (over DATABASE_URL_DIRECT when set)
	$(MANAGE) migrate --noinput

run: migrate ## Serve the API on http://127.0.0.1:$PORT with the dev server
	$(MANAGE) seed_demo
	@echo
	@echo "  API:     http://127.0.0.1:$(PORT)/api/v1/"
	@echo "  Docs:    http://127.0.0.1:$(PORT)/api/docs/  (ReDoc: /api/redoc/, schema: /api/schema/)"
	@echo "  Admin:   http://127.0.0.1:$(PORT)/admin/  (make superuser creates an operator)"
	@echo "  A token: curl -X POST http://127.0.0.1:$(PORT)/api/v1/auth/register/ -H 'Content-Type: application/json' \\"
	@echo "             -d '{\"username\": \"me\", \"email\": \"me@example.com\", \"password\": \"a long passphrase\"}'"
	@echo "           curl -X POST http://127.0.0.1:$(PORT)/api/v1/auth/login/ -H 'Content-Type: application/json' \\"
	@echo "             -d '{\"username\": \"me\", \"password\": \"a long passphrase\"}'"
	@echo "           then send: Authorization: Bearer <token>"
	@echo
	$(MANAGE) runserver 127.0.0.1:$(PORT)

test: install ## Run the test suite (PostgreSQL when DATABASE_URL points at one)
	$(BIN)/pytest $(PYTEST_ARGS)

check: lint typecheck checks ## The quick checks, then the suite on SQLite: what CI runs first
	DATABASE_URL= $(BIN)/pytest -q $(PYTEST_ARGS)

test-neon: install ## The whole suite through a Neon-like pooler: TLS-only PgBouncer in transaction mode
	scripts/neon-lane run -- $(MAKE) --no-print-directory _test-neon-pooled

# Inside the lane. pytest-django cannot drop or create its database through
# PgBouncer, so it is created and migrated over the direct URL, and the suite
# reuses it through the pooled one.
_test-neon-pooled:
	psql "$$DATABASE_URL_DIRECT" -qc "CREATE DATABASE test_todo"
	DATABASE_URL_DIRECT="$$(echo "$$DATABASE_URL_DIRECT" | sed 's|/todo?|/test_todo?|')" \
		$(MANAGE) migrate --noinput -v 0
	$(BIN)/pytest --reuse-db -rs $(PYTEST_ARGS)

E2E_INSTALLED := $(VENV)/.e2e-$(shell cat requirements-e2e.txt | cksum | cut -d' ' -f1)

$(E2E_INSTALLED): $(INSTALLED) requirements-e2e.txt
	$(BIN)/python -m pip install --quiet -r requirements-e2e.txt
	rm -f $(VENV)/.e2e-*
	touch $@

test-e2e: $(E2E_INSTALLED) ## The admin in a real browser: Debian's headless Chromium, driven by Playwright
	command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
	$(BIN)/pytest e2e $(PYTEST_ARGS)

FUZZ_INSTALLED := $(VENV)/.fuzz-$(shell cat requirements-fuzz.txt | cksum | cut -d' ' -f1)

$(FUZZ_INSTALLED): $(INSTALLED) requirements-fuzz.txt
	$(BIN)/python -m pip install --quiet -r requirements-fuzz.txt
	rm -f $(VENV)/.fuzz-*
	touch $@

fuzz: $(FUZZ_INSTALLED) ## Schemathesis, every check, two peer users, against the production server on PostgreSQL (FUZZ_SECONDS=600: explore longer)
	$(BIN)/python fuzz/run.py

# django-upgrade's request_headers fixer is skipped: the hot path reads
# request.META, where request.headers would first build a dict of every header.
DJANGO_UPGRADE := $(BIN)/django-upgrade --target-version 5.2 --skip request_headers

lint: install ## ruff (lint, format) and django-upgrade, checking only
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	git ls-files -z '*.py' | xargs -0 $(DJANGO_UPGRADE) --check

typecheck: install ## mypy with the Django and DRF plugins (lenient profile)
	$(BIN)/mypy .

fmt: install ## ruff and django-upgrade: fix what they can and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	git ls-files -z '*.py' | xargs -0 $(DJANGO_UPGRADE) --exit-zero-even-if-changed

# Production-like variables for the deploy check; nothing here is a real secret.
DEPLOY_ENV := DJANGO_DEBUG=false DJANGO_SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') DJANGO_ALLOWED_HOSTS=api.example.com

checks: install ## Migrations in step with models, schema without warnings, deploy check
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null
	env $(DEPLOY_ENV) $(MANAGE) check --deploy --fail-level WARNING

superuser: migrate ## Create an admin user interactively
	$(MANAGE) createsuperuser

# Plain HTTP on loopback: no redirect to HTTPS unless asked for.
serve: export DJANGO_SECURE_SSL_REDIRECT ?= false
serve: migrate ## Serve with the production server (granian) and DEBUG off (needs DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS)
	DJANGO_DEBUG=false $(MANAGE) collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=false PORT=$(PORT) scripts/serve

# The runtime pins first, then the development ones: the other files are
# constrained by both (-c requirements.txt, -c requirements-dev.txt).
PINNED_FIRST := requirements.in requirements-dev.in
REQUIREMENTS := $(PINNED_FIRST) $(filter-out $(PINNED_FIRST),$(wildcard requirements*.in))

lock: install ## Re-pin every requirements*.txt from its requirements*.in
	$(BIN)/python -m pip install --quiet pip-tools
	for spec in $(REQUIREMENTS); do \
		$(BIN)/pip-compile --quiet --strip-extras --no-emit-find-links \
			--no-emit-index-url --no-emit-trusted-host "$$spec" -o "$${spec%.in}.txt" || exit 1; \
	done

clean: ## Remove the virtualenv and collected static files (keeps the database)
	rm -rf $(VENV) staticfiles

BENCH_INSTALLED := $(VENV)/.bench-$(shell cat requirements-bench.txt | cksum | cut -d' ' -f1)

$(BENCH_INSTALLED): $(INSTALLED) requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	rm -f $(VENV)/.bench-*
	touch $@

bench: $(BENCH_INSTALLED) ## Load test the production configuration; writes bench/results/latest.md (SOAK=1: 5 min; RESTART_DB=1: scenario A with PostgreSQL restarted midway)
ifeq ($(RESTART_DB),1)
	$(BIN)/python bench/restart_db.py
else
	command -v wrk >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; }
	$(BIN)/python bench/run.py
endif
