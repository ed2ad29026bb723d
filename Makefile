# The README's commands. Each target creates the virtualenv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements-dev.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
COMPILE := pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 -q

.PHONY: serve test check format schema readme bench lock clean

# Every dependency comes from the lock file, checked against its hashes; the project itself
# is then installed without resolving anything.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

serve: $(STAMP)
	$(BIN)/identity serve

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP)
	scripts/ensure-system-packages
	$(MAKE) check
	$(BIN)/pytest -n auto

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: $(STAMP)
	$(BIN)/identity export-schema > schema.graphql

bench: $(STAMP)
	$(BIN)/python -m bench.run

readme: $(STAMP)
	$(BIN)/identity readme README.md

# Re-resolve both lock files from pyproject.toml (uv, run from the virtualenv).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv $(COMPILE) -o requirements.lock
	$(BIN)/uv $(COMPILE) --extra dev -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
