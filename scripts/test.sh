#!/usr/bin/env bash
# `make test`: every test. Rust unit and integration tests (SQLite and
# PostgreSQL, embedded broker and Mosquitto, Redis sessions), then the
# Playwright browser tests against the built site.
#
# Under CI=true a server that does not answer fails the run; elsewhere its
# tests are skipped with a warning (see scripts/services.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { echo "[test] $*" >&2; }

# Sourced: the Rust toolchain it picks (or installs) must reach the cargo commands below.
source "$ROOT/scripts/prerequisites.sh"
if [[ "${CI:-}" == true ]]; then
    "$ROOT/scripts/services.sh" ensure
else
    "$ROOT/scripts/services.sh" check || say "some servers are down: their tests will be skipped (CI=true makes that a failure)"
fi

start=$SECONDS
# The WASM client and assets only: `cargo test` below builds the server binary
# the browser tests run (server's integration tests need it). Built here alone,
# without the tests' dev-dependency features (tokio's test-util), its whole
# dependency graph would compile twice.
"$ROOT/scripts/build-site.sh" wasm
say "build: $((SECONDS - start)) s"

# Some cargo tests drive Chromium too (the payment simulators' stripe.js stand-in).
E2E_PREPARE_ONLY=1 "$ROOT/scripts/e2e.sh"

# The S3-compatible server (moto) the file storage tests start.
if ! "$ROOT/scripts/moto.sh" >/dev/null; then
    [[ "${CI:-}" == true ]] && { say "moto could not be installed"; exit 1; }
    say "moto could not be installed: the S3 storage tests will be skipped"
fi

start=$SECONDS
# `frontend` is the browser build (hydrate); it is built for wasm above and
# must not be compiled together with the server's `ssr` features.
cargo test --workspace --exclude frontend --locked
say "cargo tests: $((SECONDS - start)) s"

start=$SECONDS
"$ROOT/scripts/e2e.sh"
say "browser tests: $((SECONDS - start)) s"
