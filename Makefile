# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# A local folder of wheels (e.g. the CPU build of torch) is used when present.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
export RUSHES_CACHE ?= $(CURDIR)/.cache/rushes

.PHONY: install models demo test bench clean

$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found (rushes needs Python 3.11; set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and pinned, so no dependency can pull a multi-GB CUDA build
	$(BIN)/pip install -q $(FIND_LINKS) torch==2.13.0
	$(BIN)/pip install -q $(FIND_LINKS) -e '.[test]'
	touch $@

install: $(BIN)/.installed

models: install
	$(BIN)/rushes models fetch

demo: models
	$(BIN)/rushes run detect.shots "$$($(BIN)/rushes models path transnetv2 sample.mp4)" --out demo-output/shots

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/pip install -q $(FIND_LINKS) -e '.[bench]'
	$(BIN)/python bench/shots.py
	$(BIN)/python bench/speech.py
	$(BIN)/python bench/ops.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache
