# `make run` and `make test` do all the set-up on a fresh machine.
VENV    := .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
PORT    ?= 5000
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-postgres bench bench-slow-reader bench-history install install-dev translations catalogs browser lint serve clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d webapp/translations

# After adding or changing a string: then fill the new entries of both catalogs.
catalogs: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -w 100 -o webapp/translations/messages.pot .
	$(VENV)/bin/pybabel update -w 100 -i webapp/translations/messages.pot -d webapp/translations \
	  --no-fuzzy-matching --ignore-obsolete

# A random key made once, kept in instance/ and read when SECRET_KEY is unset.
instance/secret_key:
	mkdir -p instance
	umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(48))' > $@

# Serves on 127.0.0.1:$(PORT) on SQLite in instance/ (or DATABASE_URL), with demo data when empty.
# Plain http on loopback, so the cookies are not marked Secure.
run: install instance/secret_key
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	SESSION_COOKIE_SECURE=0 $(FLASK) run --host 127.0.0.1 --port $(PORT) --with-threads

# gunicorn with gevent workers on DATABASE_URL and REDIS_URL (WORKERS, PORT).
serve: install
	$(FLASK) db upgrade
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

# Figures, not tests: the live layer against a bare websockets server (bench/README.md).
bench: install-dev
	cd bench && ../$(PY) run.py

# What one socket that never reads costs the others (bench/README.md, #13 item 2).
bench-slow-reader: install-dev
	cd bench && ../$(PY) slow_reader.py

# The history search and the reports on 100,000 generated sessions (bench/README.md, #16).
# Drops and refills its own database on the local PostgreSQL.
HISTORY_DB  ?= supportcenter_history_bench
HISTORY_URL := postgresql+psycopg://postgres@127.0.0.1:5432/$(HISTORY_DB)
HISTORY_ENV := DATABASE_URL=$(HISTORY_URL) SECRET_KEY=history-bench-key-history-bench-key-0000
bench-history: install-dev
	psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $(HISTORY_DB) WITH (FORCE)"
	psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $(HISTORY_DB)"
	$(HISTORY_ENV) $(FLASK) db upgrade
	$(HISTORY_ENV) $(PY) bench/history_data.py
	$(HISTORY_ENV) $(PY) bench/history_bench.py

# Debian's chromium for the browser tests, nginx for the reverse-proxy test,
# coturn for the TURN relay test.
browser:
	@test -x $(CHROMIUM) -a -x /usr/sbin/nginx -a -x /usr/bin/turnserver || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core nginx-light \
	  coturn; }

# Everything on SQLite, then the service and route tests again on PostgreSQL.
test: install-dev browser
	$(VENV)/bin/pytest -q
	$(MAKE) --no-print-directory test-postgres

test-postgres: install-dev
	bash .ci/with-postgres $(VENV)/bin/pytest -q tests/unit tests/routes tests/security

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) instance/*.sqlite
