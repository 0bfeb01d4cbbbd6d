# Tracker: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app tracker

.PHONY: run test install install-dev translations extract-messages update-translations lint bench clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Could not create a virtual environment. On Debian: apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Compile the catalogs (translations/<lang>/LC_MESSAGES/messages.po -> .mo; .mo files are not in git)
translations: $(VENV)/.installed
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel -q compile -d translations -D messages; \
	else echo "No translation catalogs yet: pages will be in English."; fi

## Serve the site with demo data on SQLite at http://127.0.0.1:5000
run: install translations
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	@echo ""
	@echo "  Tracker is running. Open http://$(HOST):$(PORT)/ in your browser."
	@echo "  Staff sign-in: http://$(HOST):$(PORT)/login (demo logins are printed above)."
	@echo ""
	$(FLASK) run --host $(HOST) --port $(PORT)

## Run the whole test suite (TEST_DATABASE_URL=postgresql://… to run it on PostgreSQL)
test: install-dev translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

extract-messages: install-dev
	$(BIN)/pybabel extract -F babel.cfg -c Translators: -k _l -k lazy_gettext -k ngettext:1,2 -o translations/messages.pot --no-location --sort-output --project Tracker .

update-translations: extract-messages
	$(BIN)/pybabel update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching --ignore-obsolete

## Bytes on the wire in Chromium, site served as by make run (budget /report: 15 KB first, 8 KB repeat); see bench/page_weight.py
bench: install-dev translations
	$(BIN)/python bench/page_weight.py

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
