# Two commands on a fresh machine with Python >= 3.11 and make:
#   make demo   the main job on embedded defaults
#   make test   the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test lint demo schemas bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check services schemas tests bench examples

test: $(STAMP) lint
	$(BIN)/python -m forewarn.schemas.export --check
	$(BIN)/pytest

demo: $(STAMP)
	$(BIN)/python examples/demo.py

schemas: $(STAMP)
	$(BIN)/python -m forewarn.schemas.export

bench: $(STAMP)
	$(BIN)/python bench/impact.py

clean:
	rm -rf $(VENV) .forewarn .pytest_cache .ruff_cache
