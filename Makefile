# chainplan: two commands for a new user.
#   make demo   installs OpenBLAS if missing, builds in release mode, plans the example chains
#   make test   installs OpenBLAS if missing, then rustfmt, clippy and the whole test suite

CARGO ?= cargo
BIN := target/release/chainplan

.PHONY: demo test deps build check fmt clippy bench

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

test: deps fmt clippy
	$(CARGO) test

bench: deps
	$(CARGO) bench
