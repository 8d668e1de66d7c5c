# The README's two commands: `make demo` (the whole product on a fake Blizzard and a sandbox install) and
# `make test` (the one test command; .ci/run runs it). Both build .venv on first use. `make dist` builds the
# one-folder app for this OS with PyInstaller (dist/tsmsyncd/, see installers/README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench dist clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench,dist]'
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
	$(PY) bench/watch.py

dist: $(VENV)/.installed
	$(PY) -m PyInstaller installers/tsmsyncd.spec --noconfirm --clean --distpath dist --workpath build/pyinstaller
	dist/tsmsyncd/tsmsyncd --version
	@du -sh dist/tsmsyncd

clean:
	rm -rf $(VENV) build dist *.egg-info
