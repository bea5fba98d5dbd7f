# The two commands a fresh clone needs: `make demo` and `make test`. Each builds .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/telecoach serve --demo

check: $(STAMP)
	$(VENV)/bin/ruff check coach rtc messaging scheduler web tests
	$(VENV)/bin/ruff format --check coach rtc messaging scheduler web tests
	$(VENV)/bin/mypy

test: $(STAMP)
	scripts/test-services
	$(MAKE) --no-print-directory check
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) var test-artifacts
