# kycdash — make run | make test | make lint | make bench
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Embedded mode: SQLite, eager tasks, sandbox providers, demo data.
run: export DEBUG ?= 1
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# The whole suite. pytest's exit code 5 (no tests collected) fails the full suite, which
# always has tests; a run filtered with PYTEST_ARGS that selects nothing only says so.
test: export SECRET_KEY ?= kycdash-test-only-secret
test: venv
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ] && [ -n "$(PYTEST_ARGS)" ]; then echo "no tests matched: $(PYTEST_ARGS)"; exit 0; fi; \
	exit $$rc

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: export SECRET_KEY ?= kycdash-bench-only-secret
bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) var kycdash.sqlite3* kycdash-test-*.sqlite3*
