#!/usr/bin/env bash
# `make run`: build what is missing, then start the store on the embedded
# default (SQLite under ./data, embedded MQTT broker, simulated machines).
# Extra arguments go to `automat` (e.g. `scripts/run.sh --help`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Sourced: the Rust toolchain it picks (or installs) must reach the cargo commands below.
source "$ROOT/scripts/prerequisites.sh"
"$ROOT/scripts/build-site.sh"

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE_DIR=debug
[[ "${AUTOMAT_PROFILE:-dev}" == release ]] && PROFILE_DIR=release
export AUTOMAT_SITE_ROOT="${AUTOMAT_SITE_ROOT:-$TARGET_DIR/site}"
exec "$TARGET_DIR/$PROFILE_DIR/automat" "$@"
