# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,learn,neural,ray,grids

.PHONY: run test lint install clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

# The main job on embedded defaults: solve the list benchmark's test split, fill hylo.db.
run: $(STAMP)
	$(BIN)/hylo bench lists --split test --timeout 5 --library hylo.db

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks)

test: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/mypy src/hylo/core
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build src/*.egg-info
