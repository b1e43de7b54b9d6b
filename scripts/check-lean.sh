#!/usr/bin/env bash
# Proves that the library is lean by default (issue 13, item 1):
#   1. neither the library's normal dependency tree (default features) nor that of the
#      dependent crate in tests/dependent-crate holds a CLI crate or a system BLAS;
#   2. the dependent crate builds against the default features and runs (it plans a chain and
#      runs multi_dot on ndarray's own kernels);
#   3. its binary does not link libopenblas (or any BLAS).
# Run by `make dependent-crate`, which `make test` calls.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
forbidden='^(clap|clap_derive|prettytable-rs|indicatif|anyhow|dirs|blas-src|openblas-src|openblas-build|cblas-sys|lapack-sys) v'

check_tree() {
    local what=$1
    shift
    local tree
    tree=$("$CARGO" tree -e normal --prefix none "$@")
    local bad
    bad=$(printf '%s\n' "$tree" | grep -E "$forbidden" | sort -u || true)
    if [ -n "$bad" ]; then
        echo "error: $what pulls in crates a library user must not compile:" >&2
        printf '  %s\n' "$bad" >&2
        exit 1
    fi
    local count
    count=$(printf '%s\n' "$tree" | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u | wc -l)
    echo "$what: $count crates in the normal dependency tree, no CLI crate, no BLAS"
}

check_tree "the library (default features)" -p chainplan
check_tree "tests/dependent-crate" --manifest-path tests/dependent-crate/Cargo.toml

base=${CARGO_TARGET_DIR:-target}
case "$base" in /*) ;; *) base="$(pwd)/$base" ;; esac
target_dir="$base/dependent-crate"
CARGO_TARGET_DIR="$target_dir" "$CARGO" run --quiet --manifest-path tests/dependent-crate/Cargo.toml
bin="$target_dir/debug/chainplan-dependent"
if command -v ldd >/dev/null 2>&1; then
    if ldd "$bin" | grep -Ei 'blas|lapack'; then
        echo "error: the dependent crate's binary links a BLAS library" >&2
        exit 1
    fi
    echo "tests/dependent-crate: its binary links no BLAS library"
fi

# A second dependent crate with the `blas` feature and the system OpenBLAS, through exactly
# the provider lines the README documents: it builds offline, runs, and links libopenblas.
openblas_dir="$base/dependent-crate-openblas"
CARGO_TARGET_DIR="$openblas_dir" "$CARGO" run --quiet --manifest-path tests/dependent-crate-openblas/Cargo.toml
if command -v ldd >/dev/null 2>&1; then
    # grep reads all of ldd's output: with pipefail, `grep -q` could stop early and make
    # ldd die of SIGPIPE, failing the pipeline although the library is there.
    if ! ldd "$openblas_dir/debug/chainplan-dependent-openblas" | grep 'libopenblas' >/dev/null; then
        echo "error: tests/dependent-crate-openblas does not link libopenblas" >&2
        exit 1
    fi
    echo "tests/dependent-crate-openblas: links the system libopenblas"
fi
