# The two commands: `make run` and `make test`. Everything else here supports them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := nykvarn_sm.settings

.PHONY: run test install migrate lint typecheck messages lock bench clean

# Reinstall whenever the lock changes; the stamp file records the last install.
$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

# Development server, Celery worker and Celery beat on the embedded defaults (SQLite,
# filesystem broker, files under var/). Ctrl-C stops all three.
run: install
	@mkdir -p var
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  The site: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@echo ""
	DEBUG=$${DEBUG:-true} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev -p $(PORT)

test: install
	DEBUG=true $(BIN)/python -m pytest $(PYTEST_ARGS)

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
