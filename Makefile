# The two commands a fresh clone needs: `make demo` and `make test`. Each builds .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
# FHIR R4 models live only in fhir.resources 6.4, on pydantic 1: the export's R4 check runs there.
FHIR_R4 := .venv-fhir-r4
FHIR_R4_STAMP := $(FHIR_R4)/.installed
# Test processes at once: a third one uses the time the other two spend waiting on Chromium,
# servers and sockets (the suite took 26 minutes in one process, 12 in three, on 2 cores).
# A module's tests stay in one process (--dist loadfile); tests/conftest.py gives each its own
# Redis database.
TEST_WORKERS ?= 3

.PHONY: demo test check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

$(FHIR_R4_STAMP):
	$(PYTHON) -m venv $(FHIR_R4)
	$(FHIR_R4)/bin/pip install --quiet 'fhir.resources==6.4.0' 'pydantic==1.10.2'
	touch $(FHIR_R4_STAMP)

demo: $(STAMP)
	$(VENV)/bin/telecoach serve --demo

check: $(STAMP)
	$(VENV)/bin/ruff check coach rtc messaging scheduler usecases web telecoach tests
	$(VENV)/bin/ruff format --check coach rtc messaging scheduler usecases web telecoach tests
	$(VENV)/bin/mypy

test: $(STAMP) $(FHIR_R4_STAMP)
	scripts/test-services
	$(MAKE) --no-print-directory check
	$(VENV)/bin/pytest --numprocesses $(TEST_WORKERS) --dist loadfile
	$(VENV)/bin/python scripts/test-hours

clean:
	rm -rf $(VENV) $(FHIR_R4) var test-artifacts
