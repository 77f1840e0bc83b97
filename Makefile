# PartnerMesh — `make run` serves the demo ecosystem, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite test-postgres lint install demo bench clean

$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/portal db upgrade
	$(BIN)/portal demo --if-empty
	$(BIN)/portal run --host $(HOST) --port $(PORT)

demo: $(STAMP)
	$(BIN)/portal db upgrade
	$(BIN)/portal demo

# The suite on SQLite, then again on PostgreSQL when PORTAL_TEST_DATABASE_URL is set; each in
# TEST_WORKERS processes (pytest-xdist; a test file stays in one process, for its module fixtures).
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile
test: $(STAMP)
	$(PYTEST)
	@if [ -n "$$PORTAL_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$PORTAL_TEST_DATABASE_URL) =="; \
		PORTAL_TEST_BACKEND=postgres $(PYTEST) -m "not browser"; \
	else echo "PORTAL_TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

lint: $(STAMP)
	$(BIN)/ruff check .

# Production-style serving: gunicorn with threads enough for the live streams (gunicorn.conf.py).
.PHONY: serve-prod
serve-prod: $(STAMP)
	$(BIN)/portal db upgrade
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT)

bench: $(STAMP)
	$(BIN)/python benchmarks/pages.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
