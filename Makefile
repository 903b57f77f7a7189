# `make run` and `make test` set everything up themselves on a fresh machine (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/booking
# The slowest tests of each pass are listed at its end, to see where the suite's time goes.
PYTEST_ARGS ?= --durations=15

.PHONY: install run test test-sqlite test-postgres lint bench messages clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[test]"
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# The whole suite on SQLite, then again on PostgreSQL. Without PostgreSQL the second pass is skipped
# with a message, unless REQUIRE_SERVICES=1 (CI), where it fails. The browser tests (tests/browser, six minutes
# of Chromium) run once, in the SQLite pass that every machine runs: the pages they drive ask the database
# nothing that the PostgreSQL pass does not already check through Django's test client.
test: test-sqlite test-postgres

test-sqlite test-postgres: export FAST_PASSWORD_HASHING = 1

test-sqlite: install
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	@if $(PY) -c "import psycopg, sys; psycopg.connect('$(PG_TEST_URL)'.replace('/booking', '/postgres'), connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest $(PYTEST_ARGS) --ignore=tests/browser; \
	elif [ "$$REQUIRE_SERVICES" = "1" ]; then \
		echo "PostgreSQL at $(PG_TEST_URL) is unreachable and REQUIRE_SERVICES=1"; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL pass: $(PG_TEST_URL) is unreachable (set PG_TEST_URL)"; \
	fi

# ruff's rules and settings are in pyproject.toml.
lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) -m bench

messages: install
	$(PY) manage.py makemessages --all --no-obsolete --ignore=.venv --ignore=tests --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3* .test-*.sqlite3*
