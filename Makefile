# anshim — a newcomer's targets. `make demo` and `make test` each create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS := cli,dev,jsonld,postgres,server
STAMP := $(VENV)/.installed-$(EXTRAS)

.PHONY: demo test lint typecheck unit reliability bench install clean browser postgres-server poster-fonts

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

# The quick start, then the island's outbreak end to end (examples/island.py --help for
# its scale); examples/checkin_flow.py stays the short library scenario.
demo: $(STAMP) poster-fonts
	$(BIN)/python examples/quickstart.py
	$(BIN)/python examples/island.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The registry's tests start a throwaway PostgreSQL server from the machine's server
# binaries. Run as root (as CI is), this installs them when they are missing; otherwise it
# does nothing, and without binaries those tests skip saying how to enable them.
postgres-server:
	@if [ "$$(id -u)" = 0 ] && ! command -v initdb >/dev/null 2>&1 \
		&& ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing the PostgreSQL server binaries for the registry tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# The registry's posters need a font with Hangul (fonts-nanum) and their PDF test turns the
# PDF into an image (poppler-utils' pdftoppm). Run as root, this installs them when missing.
poster-fonts:
	@if [ "$$(id -u)" = 0 ] && { [ -z "$$(fc-list :lang=ko 2>/dev/null)" ] \
		|| ! command -v pdftoppm >/dev/null 2>&1; }; then \
		echo "installing a Hangul font and pdftoppm for the registry's poster tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			fonts-nanum poppler-utils >/dev/null; \
	fi

# The venue kiosk's browser tests need Debian's chromium (Playwright never downloads one):
# installed here when missing and we are root; otherwise those tests skip with one line.
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi

unit: $(STAMP) browser postgres-server poster-fonts
	$(BIN)/python -m pytest -m "not reliability"

# The reliability suite's long runs (tests/reliability, marker `reliability`): faults and a
# few minutes of mixed load against real processes on loopback; figures printed as JSON.
reliability: $(STAMP) postgres-server
	$(BIN)/python -m pytest -m reliability tests/reliability

test: lint typecheck unit

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) build *.egg-info
