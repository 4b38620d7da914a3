# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test fuzz bench clean system-deps

# Reports need Debian's chromium-headless-shell (HTML -> PDF; chromium does it too, slower) and
# chromium (browser tests), a CJK font and poppler-utils;
# the registry tests start a throwaway PostgreSQL cluster (Debian postgresql: initdb, pg_ctl).
system-deps:
	@if command -v chromium >/dev/null && command -v chromium-headless-shell >/dev/null && command -v pdftoppm >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q . \
		&& ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium, chromium-headless-shell, fonts-noto-cjk, poppler-utils, postgresql"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-headless-shell \
			fonts-noto-cjk poppler-utils postgresql >/dev/null; \
	else echo "please install chromium, chromium-headless-shell, fonts-noto-cjk, poppler-utils (PDF reports) and" \
		"postgresql (registry tests) (Debian packages)"; fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv (from PyPI) installs the dependencies in a third of pip's time, compiled as pip would;
# where uv has no wheel for the platform, pip does it.
$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	if $(BIN)/python -m pip install --quiet --disable-pip-version-check uv; then \
		$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e ".[test]"; \
	else \
		$(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet -e ".[test]"; \
	fi
	touch $(STAMP)

demo: $(STAMP) system-deps
	$(BIN)/greenal footprint --route all --out out/demo
	$(BIN)/greenal footprint examples/guangxi-smelter.yaml --out out/demo
	$(BIN)/greenal assess examples/guangxi-smelter.yaml
	$(BIN)/greenal report examples/guangxi-smelter.yaml --lang zh,en --out out/demo
	@echo "reports in out/demo/"

# Two workers (the 2-core target machine; `make test WORKERS=auto` uses every core); the files
# with expensive module fixtures stay on one worker (WHOLE_FILES in tests/conftest.py).
WORKERS ?= 2
test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

# Property-based tests with 10,000 mutated declarations per test (a few hundred run in `make test`).
fuzz: $(STAMP)
	GREENAL_FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest -q tests/test_fuzz.py --hypothesis-show-statistics

bench: $(STAMP)
	$(BIN)/python benchmarks/footprint.py
	$(BIN)/python benchmarks/montecarlo.py
	$(BIN)/python benchmarks/variants.py
	$(BIN)/python benchmarks/shipments.py
	$(BIN)/python benchmarks/pdf.py
	$(BIN)/python benchmarks/service.py

clean:
	rm -rf $(VENV) build dist out *.egg-info
