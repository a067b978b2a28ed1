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

.PHONY: demo test venv data-tiny clean px4-msgs

venv: $(STAMP)

$(STAMP): setup.py setup.cfg package.xml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# Pinned CPU build first: an unpinned torch would pull a multi-GB CUDA build.
	$(PIP) install -q $(TORCH_PIN)
	$(PIP) install -q -e ".[ros,train,export,dev,rosidl,colcon]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m geotext_ros.demo

# Rebuilt only when the message package changes (the venv is an order-only prerequisite). Without cmake/g++ and no
# root+apt to install them, build.sh writes $(PX4_MSGS_DIR)/SKIPPED with the reason and the PX4 contract tests skip.
px4-msgs: $(PX4_MSGS_STAMP)

$(PX4_MSGS_STAMP): $(PX4_MSGS_SRC) | $(STAMP)
	bash test/px4_msgs_pkg/build.sh $(PX4_MSGS_DIR) $(PY)
	if [ ! -f $(PX4_MSGS_DIR)/SKIPPED ]; then touch $@; fi

test: $(STAMP) $(PX4_MSGS_STAMP)
	GEOTEXT_PX4_MSGS=$(CURDIR)/$(PX4_MSGS_DIR) GEOTEXT_REQUIRE_PX4_MSGS=1 ROS_PYTHON_CHECK_FIELDS=1 \
		$(PY) -m pytest -q test

clean:
	rm -rf $(VENV) out build .build *.egg-info
