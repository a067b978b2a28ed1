# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: demo test venv data-tiny clean

venv: $(STAMP)

$(STAMP): setup.py setup.cfg package.xml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# Pinned CPU build first: an unpinned torch would pull a multi-GB CUDA build.
	$(PIP) install -q $(TORCH_PIN)
	$(PIP) install -q -e ".[ros,train,export,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m geotext_ros.demo

test: $(STAMP)
	$(PY) -m pytest -q test

clean:
	rm -rf $(VENV) out build *.egg-info
