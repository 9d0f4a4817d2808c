#!/usr/bin/env bash
# The checks CI runs before the tests (`make check`): formatting, cargo-deny
# (see scripts/deny.sh), and clippy with warnings as errors. Clippy builds
# with the tests' features into the same target dir, so a warm CI run checks
# only what changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { echo "[checks] $*" >&2; }

# Sourced: the Rust toolchain it picks (or installs) must reach the cargo commands below.
source "$ROOT/scripts/prerequisites.sh"
# Debian has rustfmt and clippy as packages (a no-op once unpacked); rustup's
# default profile has both, a minimal one may not.
if [[ "$AUTOMAT_RUST_TOOLCHAIN" == debian ]]; then
    _automat_with_tools_lock _automat_debian_provision "$(_automat_tools_dir)" host lint
elif ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    say "adding the rustfmt and clippy components"
    rustup component add rustfmt clippy >&2
fi

start=$SECONDS
cargo fmt --all --check
say "fmt: $((SECONDS - start)) s"

start=$SECONDS
"$ROOT/scripts/deny.sh"
say "deny: $((SECONDS - start)) s"

start=$SECONDS
# `frontend` is the browser build, compiled for wasm by scripts/build-site.sh.
cargo clippy --workspace --exclude frontend --all-targets --locked -- -D warnings
say "clippy: $((SECONDS - start)) s"
