# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed

# Test-only PX4 message types (test/px4_msgs_pkg), built with the rosidl toolchain from pip and Debian's cmake + g++.
PX4_MSGS_DIR := .build/px4_msgs
PX4_MSGS_STAMP := $(PX4_MSGS_DIR)/.stamp
PX4_MSGS_SRC := $(wildcard test/px4_msgs_pkg/msg/*.msg) test/px4_msgs_pkg/CMakeLists.txt test/px4_msgs_pkg/package.xml \
	test/px4_msgs_pkg/build.sh

.PHONY: demo test venv browser data-tiny clean px4-msgs

venv: $(STAMP)

$(STAMP): setup.py setup.cfg package.xml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# Pinned CPU build first: an unpinned torch would pull a multi-GB CUDA build.
	$(PIP) install -q $(TORCH_PIN)
	$(PIP) install -q -e ".[ros,ui,train,export,dev,rosidl,colcon]"
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

# Rebuilt only when the message package changes (the venv is an order-only prerequisite). Without cmake/g++ and no
# root+apt to install them, build.sh writes $(PX4_MSGS_DIR)/SKIPPED with the reason and the PX4 contract tests skip.
px4-msgs: $(PX4_MSGS_STAMP)

$(PX4_MSGS_STAMP): $(PX4_MSGS_SRC) | $(STAMP)
	bash test/px4_msgs_pkg/build.sh $(PX4_MSGS_DIR) $(PY)
	if [ ! -f $(PX4_MSGS_DIR)/SKIPPED ]; then touch $@; fi

test: $(STAMP) $(PX4_MSGS_STAMP) browser
	GEOTEXT_PX4_MSGS=$(CURDIR)/$(PX4_MSGS_DIR) GEOTEXT_REQUIRE_PX4_MSGS=1 ROS_PYTHON_CHECK_FIELDS=1 \
		$(PY) -m pytest -q test

clean:
	rm -rf $(VENV) out build .build *.egg-info
