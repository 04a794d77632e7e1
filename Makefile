# Two commands do everything on a fresh machine: `make demo` and `make test`. `make install` is the shared step.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench transcripts clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned to the CPU build that lies on this machine's disk, so nothing pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "torch==2.13.0" || $(BIN)/pip install -q "torch>=2.4"
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/muralist demo

test: install
	$(BIN)/ruff check bots core safety migrations tests scripts
	$(BIN)/mypy bots core safety
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check bots core safety migrations tests scripts
	$(BIN)/mypy bots core safety

bench: install
	$(BIN)/muralist bench --quick --json bench-out/bench.json

# The README's Discord and Telegram sessions: both bots against the tests' fake servers, printed as seen.
transcripts: install
	PYTHONPATH=. $(BIN)/python scripts/transcripts.py

clean:
	rm -rf $(VENV) muralist-data bench-out
