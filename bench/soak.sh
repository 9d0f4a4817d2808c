#!/usr/bin/env bash
# The vending soak test at full size: 20 machines x 200 purchase sessions
# each, 5 % chance of every fault per opening (open-door command ignored,
# reports duplicated, reordered, door-closed resent), +-3 g scale noise, on
# every database and broker the test suite knows (SQLite, and PostgreSQL and
# Mosquitto when they answer). CI runs the same test small.
#
#   bench/soak.sh           # AUTOMAT_SOAK_MACHINES=… AUTOMAT_SOAK_SESSIONS=… to resize
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export AUTOMAT_SOAK_MACHINES="${AUTOMAT_SOAK_MACHINES:-20}"
export AUTOMAT_SOAK_SESSIONS="${AUTOMAT_SOAK_SESSIONS:-200}"
export AUTOMAT_SOAK_CHAOS="${AUTOMAT_SOAK_CHAOS:-0.05}"
export AUTOMAT_SOAK_NOISE_G="${AUTOMAT_SOAK_NOISE_G:-3}"
started=$(date +%s)
cargo test -p server --test api vending_soak -- --nocapture
echo "soak: passed in $(( $(date +%s) - started )) s (build included)"
