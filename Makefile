# chainplan: two commands for a new user.
#   make demo   installs OpenBLAS if missing, builds in release mode, plans the example chains
#   make test   installs OpenBLAS if missing, then rustfmt, clippy, rustdoc (warnings are
#               errors) and the whole test suite (Rust, then Python in .venv)

CARGO ?= cargo
BIN := target/release/chainplan

.PHONY: demo test deps build check fmt clippy doc bench cargo-test python-test figures dependent-crate

deps:
	@bash scripts/install-deps.sh

build: deps
	$(CARGO) build --release

demo: build
	$(BIN) plan --file data/textbook.txt
	$(BIN) plan --file data/mlp-jacobian.txt
	$(BIN) plan --file data/random-200.txt --json | head -n 12

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

# The API docs build without warnings (broken or private intra-doc links fail).
doc: deps
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps

test: deps fmt clippy doc cargo-test dependent-crate python-test

# A crate that depends on the library with default features builds and runs without BLAS, and
# no CLI crate or BLAS provider is in the library's normal dependency tree (scripts/check-lean.sh).
dependent-crate:
	CARGO=$(CARGO) bash scripts/check-lean.sh

cargo-test: deps
	$(CARGO) test

# Python tests of python/ (chainplan_dask) against the debug binary. The virtual environment
# .venv gets dask and pytest once (again only when python/pyproject.toml changes), and the
# package again only when its sources change.
PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
PIP := $(VENV_PY) -m pip --disable-pip-version-check
CHAINPLAN_DEBUG_BIN := $(abspath $(or $(CARGO_TARGET_DIR),target)/debug/chainplan)

$(VENV)/.deps-installed: python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q "dask[array,distributed]" pytest setuptools wheel
	touch $@

$(VENV)/.package-installed: $(VENV)/.deps-installed python/pyproject.toml $(wildcard python/chainplan_dask/*.py)
	$(PIP) install -q --no-deps --no-build-isolation --force-reinstall ./python
	touch $@

python-test: $(VENV)/.package-installed
	$(CARGO) build
	CHAINPLAN_BIN=$(CHAINPLAN_DEBUG_BIN) $(VENV_PY) -m pytest -q python/tests

bench: deps
	$(CARGO) bench

# The lecture's two SGD experiments: regenerate docs/sampling.svg and docs/sgd.svg (seeded).
figures: deps
	$(CARGO) run --release --example sampling -- --out docs/sampling.svg
	$(CARGO) run --release --example sgd -- --out docs/sgd.svg
