# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# A local folder of wheels (e.g. the CPU build of torch) is used when present.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
export RUSHES_CACHE ?= $(CURDIR)/.cache/rushes

.PHONY: install models demo test bench clean chromium

# Blender's Python for the Blender extension tests: bpy from PyPI in its own environment (it pins
# numpy<2, as a real Blender's bundled Python does), never mixed with rushes' environment
BLENDER_VENV := .venv-blender
$(BLENDER_VENV)/.installed:
	$(PYTHON) -m venv $(BLENDER_VENV)
	$(BLENDER_VENV)/bin/pip install -q --upgrade pip
	$(BLENDER_VENV)/bin/pip install -q bpy==5.0.1
	touch $@

$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found (rushes needs Python 3.11; set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and pinned, so no dependency can pull a multi-GB CUDA build
	$(BIN)/pip install -q $(FIND_LINKS) torch==2.13.0
	# every capability's extra (faces, speech, gan, publish, ray) and what the suite checks with
	$(BIN)/pip install -q $(FIND_LINKS) -e '.[all,test]'
	touch $@

install: $(BIN)/.installed

models: install
	$(BIN)/rushes models fetch

demo: models
	$(BIN)/rushes run detect.shots "$$($(BIN)/rushes models path transnetv2 sample.mp4)" --out demo-output/shots

# The rushes panel's browser test drives Debian's chromium: installed here where missing (as root, with
# apt-get); anywhere else that test is skipped and says why
chromium:
	@[ -n "$$RUSHES_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || \
	    echo "make: could not install chromium; the panel's browser test will be skipped"; \
	  else echo "make: no chromium, and installing it needs root and apt-get; the panel's browser test will be skipped"; fi; }

test: install $(BLENDER_VENV)/.installed chromium
	RUSHES_BLENDER_PYTHON=$(CURDIR)/$(BLENDER_VENV)/bin/python $(BIN)/python -m pytest -q

bench: install
	$(BIN)/pip install -q $(FIND_LINKS) -e '.[bench]'
	$(BIN)/python bench/shots.py
	$(BIN)/python bench/speech.py
	$(BIN)/python bench/ops.py

clean:
	rm -rf $(VENV) $(BLENDER_VENV) demo-output .pytest_cache
