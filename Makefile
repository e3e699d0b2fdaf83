# baicun - run `make help` for the list of targets.
# The first use of any target creates .venv and installs everything the project needs.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WAVE   ?= demo-2025

.DEFAULT_GOAL := help
.PHONY: help install demo test test-fast test-lowest fuzz lint format docs bench instruments clean

help: ## List every target with what it does
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml scripts/install-system-deps.sh tests/expressions/node/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	./scripts/install-system-deps.sh
	@# Enketo's XPath evaluator: the expression engine's independent oracle in the tests
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/expressions/node --no-audit --no-fund --silent; \
	 else echo "note: npm not found: the differential tests against Enketo will be skipped" >&2; fi
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the toolkit, its tools and system fonts

demo: $(STAMP) ## Run the main job on the embedded demo study
	$(BIN)/baicun demo

test: $(STAMP) ## Run the whole test suite (tests and doctests)
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(STAMP) ## Run the tests without the slow end-to-end ones
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

LOWEST := .venv-lowest

$(LOWEST)/.installed: pyproject.toml scripts/lowest_constraints.py scripts/install-system-deps.sh
	$(PYTHON) -m venv $(LOWEST)
	$(PYTHON) scripts/lowest_constraints.py > $(LOWEST)/constraints.txt
	$(LOWEST)/bin/python -m pip install -q -e '.[dev]' -c $(LOWEST)/constraints.txt
	./scripts/install-system-deps.sh
	@touch $@

test-lowest: $(LOWEST)/.installed ## Run the fast tests on the lowest versions pyproject.toml allows (.venv-lowest)
	$(LOWEST)/bin/python -m pytest -n 2 -q -m "not slow" -p no:cacheprovider

fuzz: $(STAMP) ## Read 520 mutated demo exports: no crash, no Chinese text changed silently
	BAICUN_FUZZ=1 $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/test_readers_fuzz.py

lint: $(STAMP) ## Check style with ruff and that surveys/*.xlsx match their .md sources
	$(BIN)/ruff check analysis tests benchmarks scripts
	$(BIN)/ruff format --check analysis tests benchmarks scripts
	$(BIN)/python -m analysis.instrument.markdown_forms --check surveys/*.md

instruments: $(STAMP) ## Rebuild surveys/*.xlsx from their markdown-table sources
	$(BIN)/python -m analysis.instrument.markdown_forms surveys/*.md

format: $(STAMP) ## Reformat the code with ruff
	$(BIN)/ruff check --fix analysis tests benchmarks scripts
	$(BIN)/ruff format analysis tests benchmarks scripts

docs: $(STAMP) ## Write the HTML API reference (pdoc, from the docstrings) to docs/api/
	$(BIN)/python scripts/api_docs.py docs/api

BENCH_ENV := benchmarks/.env/.installed

$(BENCH_ENV):
	$(PYTHON) -m venv benchmarks/.env
	benchmarks/.env/bin/python -m pip install -q svy==0.35.0 numpy pandas polars
	@touch $(BENCH_ENV)

bench: $(STAMP) $(BENCH_ENV) ## Run the benchmarks against the peers (svy, R survey); see benchmarks/README.md
	$(BIN)/python -m benchmarks

clean: ## Remove generated outputs (never data/raw)
	rm -rf data/processed/* reports/* .pytest_cache docs/api
