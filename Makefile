# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: demo test venv browser data-tiny clean

venv: $(STAMP)

$(STAMP): setup.py setup.cfg package.xml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# Pinned CPU build first: an unpinned torch would pull a multi-GB CUDA build.
	$(PIP) install -q $(TORCH_PIN)
	$(PIP) install -q -e ".[ros,ui,train,export,dev]"
	touch $(STAMP)

# The ground station's browser test needs Debian's chromium + chromium-driver: installed where root and apt are
# available; elsewhere that test skips and says why.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
		|| echo "make: could not install chromium + chromium-driver: the ground station browser test will skip"; \
	else echo "make: chromium/chromium-driver missing and no root+apt: the ground station browser test will skip"; fi

# make demo INSTRUCTIONS="fly to the red building;land next to the pool": the operator's sentences (';'-separated)
# instead of generated ones; passed through the environment so quotes in them survive.
demo: export GEOTEXT_DEMO_SAY := $(INSTRUCTIONS)
demo: $(STAMP)
	$(PY) -m geotext_ros.demo $${GEOTEXT_DEMO_SAY:+--say "$$GEOTEXT_DEMO_SAY"}

test: $(STAMP) browser
	$(PY) -m pytest -q test

clean:
	rm -rf $(VENV) out build *.egg-info
