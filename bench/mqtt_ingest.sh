#!/usr/bin/env bash
# Reproducible MQTT ingest benchmark of the release build: 1,000 simulated
# vending machines (registered by `automat seed --machines 1000` into a fresh
# SQLite file) stream heartbeats and scale reports over the device protocol,
# and some of them keep running purchase sessions, against one broker; the
# store runs in the same process (`automat bench-ingest`) so that its gateway's
# counters can be read exactly.
#
#   bench/mqtt_ingest.sh    # prints a Markdown report; paste it into bench/RESULTS.md
#
# BENCH_MQTT_URL=mqtt://automat:PASSWORD@127.0.0.1:1883 uses that broker
# (Mosquitto) instead of the embedded one; its password file must know the
# machines (see docs/device-protocol.md). BENCH_DATABASE_URL=postgres://…
# uses a fresh PostgreSQL database instead of SQLite. BENCH_MACHINES,
# BENCH_SHOPPING (machines selling; all by default), BENCH_SESSION_EVERY_MS
# (each seller's openings; 20000, a fridge in use without pause; 0 opens a
# machine again the moment its session ends, a stress test of the store's
# capacity), BENCH_READINGS_MS, BENCH_HEARTBEAT_MS, BENCH_SECS (measured) and
# BENCH_WARMUP_SECS (pushed before the measuring starts) size the load.
# BENCH_BUILD=0 measures the release build already in the target dir as it is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/automat"
MACHINES="${BENCH_MACHINES:-1000}"

if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
    cargo build --release -p server --bin automat >&2
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

export AUTOMAT_DATABASE_URL="${BENCH_DATABASE_URL:-sqlite://$WORK/bench.db?mode=rwc}"
export AUTOMAT_HTTP_ADDR="127.0.0.1:0"
export AUTOMAT_MQTT_EMBEDDED_ADDR="127.0.0.1:0"
export AUTOMAT_SIMULATED_MACHINES=0
export AUTOMAT_LOG="${AUTOMAT_LOG:-warn}"
if [[ -n "${BENCH_MQTT_URL:-}" ]]; then
    export AUTOMAT_MQTT_URL="$BENCH_MQTT_URL"
fi
"$BIN" seed --machines "$MACHINES" >&2

BROKER="embedded broker"
[[ -n "${BENCH_MQTT_URL:-}" ]] && BROKER="broker ${BENCH_MQTT_URL#*@}"
DATABASE=SQLite
[[ -n "${BENCH_DATABASE_URL:-}" ]] && DATABASE=PostgreSQL
echo "## $(date -u +%Y-%m-%d) — $(git rev-parse --short HEAD), $(nproc) cores, MQTT ingest, $BROKER, $DATABASE"
echo
"$BIN" bench-ingest \
    --machines "$MACHINES" \
    --shopping "${BENCH_SHOPPING:-$MACHINES}" \
    --session-every-ms "${BENCH_SESSION_EVERY_MS:-20000}" \
    --readings-ms "${BENCH_READINGS_MS:-50}" \
    --heartbeat-ms "${BENCH_HEARTBEAT_MS:-1000}" \
    --warmup-secs "${BENCH_WARMUP_SECS:-3}" \
    --secs "${BENCH_SECS:-20}"
