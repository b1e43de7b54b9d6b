#!/usr/bin/env bash
# Installs what chainplan needs to build and test: the system OpenBLAS (Debian's
# libopenblas-dev), python3-venv for the Python tests, and the rustfmt/clippy components.
# Safe to run again: it only installs what is missing. Without apt it says what to install.
set -euo pipefail

have_venv() {
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1
}

have_openblas() {
    if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -W -f='${Status}' libopenblas-dev 2>/dev/null | grep -q "install ok installed" && return 0
    fi
    ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so ' && return 0
    return 1
}

missing=""
have_openblas || missing="$missing libopenblas-dev pkg-config"
# The Python tests (make python-test) need a virtual environment with pip.
have_venv || missing="$missing python3-venv"

if [ -n "$missing" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        if [ "$(id -u)" -ne 0 ]; then
            if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
                echo "error: missing packages and this user cannot install them; run as root: apt-get install$missing" >&2
                exit 1
            fi
        fi
        echo "Installing$missing with apt-get ..." >&2
        $SUDO apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
    else
        echo "error: missing:$missing. Install them with your package manager, for example:" >&2
        echo "  Fedora: dnf install openblas-devel    macOS: brew install openblas    Arch: pacman -S openblas" >&2
        echo "or build without it: cargo build --release --no-default-features --features pure-rust" >&2
        exit 1
    fi
fi

if command -v rustup >/dev/null 2>&1; then
    for component in rustfmt clippy; do
        rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component" >&2
    done
fi
