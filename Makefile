# Two commands for a newcomer: `make run` and `make test`. Both build .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test check lint bench rehearsal gpu-check
SIZE ?= 1

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src/alcore
	$(BIN)/snakefmt --check Snakefile workflow/rules

test: lint  # the whole suite: what CI runs
	$(BIN)/pytest

check: lint  # the fast tier for contributors: the tests not marked slow or cluster
	$(BIN)/pytest -m "not slow and not cluster"

run: $(STAMP)  # the whole workflow on config.yaml
	$(BIN)/snakemake --profile profiles/local all_figures

bench: $(STAMP)
	$(BIN)/python benchmarks/select.py

rehearsal: $(STAMP)  # the paper's shapes through the workflow (SIZE=0.1: a tenth of them)
	$(BIN)/python -m alcore.workflow.rehearsal --size $(SIZE)

# The first GPU (docs/paper-scale.md): every GPU row in one run, about 8 minutes; report.md and
# rows.csv land in OUT. No install: .venv's python where there is one, else python3 (alcore
# comes from src/). GPU_CHECK_ARGS=--tiny runs every step at tiny sizes on the CPU.
OUT ?= benchmarks/out/gpu-check
GPU_CHECK_PYTHON := $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
gpu-check:
	$(GPU_CHECK_PYTHON) benchmarks/gpu_check.py --out $(OUT) $(GPU_CHECK_ARGS)
