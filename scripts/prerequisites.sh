#!/usr/bin/env bash
# Installs what the build needs and the machine lacks: a few Debian packages
# (as root, or with sudo), then a Rust toolchain at least as new as the
# workspace's rust-version (see scripts/rust-toolchain.sh: the one on PATH,
# else rustup, else Debian's cargo-web and rustc-web).
#
# Sourced by the scripts that build (run.sh, test.sh, checks.sh), so that the
# toolchain's PATH reaches their cargo commands; run on its own it installs and
# says which toolchain it would use.
set -euo pipefail

_prerequisites_say() { echo "[prerequisites] $*" >&2; }

_prerequisites_missing=()
command -v cc >/dev/null || _prerequisites_missing+=(build-essential)
command -v pkg-config >/dev/null || _prerequisites_missing+=(pkg-config)
command -v node >/dev/null || _prerequisites_missing+=(nodejs)
command -v npm >/dev/null || _prerequisites_missing+=(npm)
command -v curl >/dev/null || _prerequisites_missing+=(curl)
# The tests' S3-compatible server (scripts/moto.sh) lives in a virtualenv.
python3 -c 'import ensurepip, venv' 2>/dev/null || _prerequisites_missing+=(python3 python3-venv)
if ((${#_prerequisites_missing[@]})); then
    _prerequisites_sudo=()
    [[ $(id -u) -eq 0 ]] || _prerequisites_sudo=(sudo)
    _prerequisites_say "installing ${_prerequisites_missing[*]}"
    "${_prerequisites_sudo[@]}" apt-get update -qq
    "${_prerequisites_sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${_prerequisites_missing[@]}"
fi
unset _prerequisites_missing _prerequisites_sudo

# shellcheck source=SCRIPTDIR/rust-toolchain.sh
source "$(dirname "${BASH_SOURCE[0]}")/rust-toolchain.sh"
automat_rust_toolchain
