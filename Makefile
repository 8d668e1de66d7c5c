# The README's two commands: `make demo` (the whole product on a fake Blizzard and a sandbox install) and
# `make test` (the one test command; .ci/run runs it). Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m tsmsyncd demo

lint: $(VENV)/.installed
	$(PY) -m ruff check tsmsyncd tests bench
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) bench/merge.py
	$(PY) bench/cli_start.py
	$(PY) bench/backup.py
	$(PY) bench/process_poll.py
	$(PY) bench/ingest.py
	$(PY) bench/generate.py
	$(PY) bench/daemon.py
	$(PY) bench/api.py
	$(PY) bench/server.py
	$(PY) bench/watch.py

clean:
	rm -rf $(VENV) build *.egg-info
