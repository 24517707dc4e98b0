# The two commands: `make run` and `make test`. Everything else here supports them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := nykvarn_sm.settings

.PHONY: run test faults install migrate lint typecheck messages lock bench clean

# Reinstall whenever the lock changes; the stamp file records the last install.
$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

# axe-core for the browser tests' accessibility checks, at the version package-lock.json
# pins; reinstalled when the lock is newer than the copy.
node_modules/.package-lock.json: package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# Development server, Celery worker and Celery beat on the embedded defaults (SQLite,
# filesystem broker, files under var/). Ctrl-C stops all three.
# E-mails link to SITE_URL: the port the site runs on unless SITE_URL is given.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: install
	@mkdir -p var/archive  # ARCHIVE_ROOT: the product never creates it (the office share)
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  The site: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@echo "  Links in e-mails: $$SITE_URL"
	@echo ""
	@# honcho exits 130 after Ctrl-C has stopped all three: that is the normal end here.
	DEBUG=$${DEBUG:-true} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev -p $(PORT) \
		|| [ $$? -eq 130 ]

# The fault tests (marker `faults`) are left to `make faults`, so that CI runs them once.
test: install node_modules/.package-lock.json
	DEBUG=true $(BIN)/python -m pytest -m "not faults" $(PYTEST_ARGS)

# Faults injected for real (broker down, workers killed with SIGKILL, the archive share
# missing) against PostgreSQL and Redis: the worker processes share the database.
FAULTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/nykvarn_sm_faults
FAULTS_BROKER_URL ?= redis://127.0.0.1:6379/14
faults: install
	DEBUG=true DATABASE_URL=$${DATABASE_URL:-$(FAULTS_DATABASE_URL)} \
		CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(FAULTS_BROKER_URL)} \
		$(BIN)/python -m pytest -m faults $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	DEBUG=true $(BIN)/mypy .

# Extract and compile translations (needs GNU gettext). The source strings are Swedish;
# locale/en holds the English. The project-wide catalogue covers templates/, nykvarn_sm/
# and accounts/; each domain app keeps its own in <app>/locale.
messages: install
	DEBUG=true $(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv \
		--ignore=registry --ignore=moderation --ignore=archive --ignore=tests
	for app in registry moderation archive; do \
		(cd $$app && mkdir -p locale && DEBUG=true ../$(BIN)/python ../manage.py makemessages -l en --no-obsolete); done
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv

lock:
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

bench: install
	DEBUG=true $(BIN)/python bench/snapshot_bench.py

clean:
	rm -rf $(VENV) var
