# Every target creates the virtualenv it needs, so a fresh clone only needs Python (3.11 or
# newer) and make. Another Python gets a virtualenv of its own:
#   make test PYTHON=python3.13 VENV=.venv-3.13
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locales/*/LC_MESSAGES/messages.po))

.PHONY: install catalogs extract test lint typecheck pytest run demo bench bench-against bench-transaction clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py
	@$(PYTHON) -c 'import sys; sys.exit(3 if sys.version_info < (3, 11) else 0)'; found=$$?; \
	if [ $$found -eq 3 ]; then \
		echo "$(PYTHON) is older than Python 3.11: set PYTHON=python3.11 (or newer)" >&2; exit 1; \
	elif [ $$found -ne 0 ]; then \
		echo "PYTHON=$(PYTHON) does not run here: set PYTHON to a Python 3.11 or newer" >&2; exit 1; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# .mo files are build products, never committed or hand-edited: compiled here when older than
# their .po (the bot also compiles stale ones at start-up, and the package build its own).
catalogs: $(MO_FILES)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po | $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -d locales -D messages -l $*

# Refresh the template and merge new messages into both catalogs (then translate them).
extract: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k __ -k N_ -k gettext -k lazy_gettext \
		--no-location --omit-header --sort-output -o locales/messages.pot .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
	$(PY) locales/fill_english.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check bot conversations services storage locales playground tests setup.py
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP)
	$(VENV)/bin/mypy bot conversations storage services locales

# One pytest process per core (pytest-xdist), at most 8: most tests wait on the emulator, the
# database or a child process more than they compute. PYTEST_WORKERS=0 runs in one process;
# PYTEST_ARGS="-m 'not slow'" leaves out the process- and browser-level tests. The cache lives
# in the virtualenv: two Pythons may run the suite at once (.ci/run).
PYTEST_WORKERS ?= auto
pytest: $(STAMP) catalogs
	$(VENV)/bin/pytest -q -o cache_dir=$(VENV)/.pytest_cache -n $(PYTEST_WORKERS) --maxprocesses=8 --dist worksteal $(PYTEST_ARGS)

test: lint typecheck pytest

run: $(STAMP)
	$(PY) -m bot run

# The whole service in a browser (emulator + bot + chat page), no Telegram; DEMO_PORT=8090.
demo: $(STAMP) catalogs
	$(PY) -m playground.demo

# Benchmarks (bench/, about 20 minutes): a Markdown table on stdout, JSON in bench/results/.
# BENCH_ARGS="--quick" (about 3 minutes), "--only latency", "--postgres URL" (or TEST_POSTGRES_URL).
bench: $(STAMP) catalogs
	$(PY) -m bench $(BENCH_ARGS)

# This tree's bot beside the bot of a git revision, both at once (about 5 minutes):
# REV=b49dc83 is the bot the CPU target was set on, and is measured against (README,
# "The CPU target, restated"): it then says whether the target holds.
bench-against: $(STAMP) catalogs
	$(PY) -m bench.against $(REV) $(BENCH_ARGS)

# A press's own transaction, through SQLAlchemy and with its statements on sqlite3 (a minute).
bench-transaction: $(STAMP)
	$(PY) -m bench.transaction_cost $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build dist
