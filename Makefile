# The README's two commands: `make demo` (the whole product on a fake Blizzard and a sandbox install) and
# `make test` (the one test command; .ci/run runs it). Both build .venv on first use. `make dist` builds the
# one-folder app for this OS with PyInstaller (dist/tsmsyncd/, see installers/README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench dist clean sign-manifest test-bundle screenshots

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench,dist]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m tsmsyncd demo

lint: $(VENV)/.installed
	$(PY) -m ruff check tsmsyncd tests bench tools
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q

# The README's pictures, taken again by the browser tests (a plain `make test` leaves them alone).
screenshots: $(VENV)/.installed
	TSMSYNCD_SCREENSHOTS=1 $(PY) -m pytest -q tests/web

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

dist: $(VENV)/.installed
	$(PY) -m PyInstaller installers/tsmsyncd.spec --noconfirm --clean --distpath dist --workpath build/pyinstaller
	dist/tsmsyncd/tsmsyncd --version
	@du -sh dist/tsmsyncd

# Sign a release manifest: make sign-manifest KEY=/path/to/release-key.pem MANIFEST=releases/stable.json
# (writes MANIFEST.sig; the key is a file named on the command line, never one in this repository).
sign-manifest: $(VENV)/.installed
	@test -n "$(KEY)" -a -n "$(MANIFEST)" || { echo "usage: make sign-manifest KEY=key.pem MANIFEST=stable.json"; exit 2; }
	$(PY) tools/sign_manifest.py sign --key "$(KEY)" "$(MANIFEST)"

# The update end to end on two real PyInstaller builds (N and N+1, a minute or two each; needs the `dist`
# extra and installers/tsmsyncd.spec). `make test` runs the same test on Python-backed one-folder apps.
test-bundle: $(VENV)/.installed
	TSMSYNCD_PYINSTALLER_TESTS=1 $(PY) -m pytest -q tests/daemon/test_update_bundle.py

clean:
	rm -rf $(VENV) build dist *.egg-info
