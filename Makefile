# forewarn — the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo lint test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile $(wildcard scripts/install-browser.sh scripts/install-axe.sh)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	if [ -f scripts/install-browser.sh ]; then bash scripts/install-browser.sh; fi
	if [ -f scripts/install-axe.sh ]; then bash scripts/install-axe.sh; fi
	touch $(STAMP)

demo: install
	$(BIN)/forewarn demo

# ruff and mypy (settings in pyproject.toml) must report nothing; `make test` runs this first.
lint: install
	$(BIN)/ruff check forewarn tests bench
	$(BIN)/mypy forewarn

test: install lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
