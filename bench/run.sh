#!/usr/bin/env bash
# Reproducible HTTP benchmark of the release build against a catalog of 1,000
# products (the demo store plus 992 generated ones) in a fresh SQLite file.
#
#   bench/run.sh            # prints a Markdown report; paste it into bench/RESULTS.md
#
# Measures, with wrk at BENCH_CONNECTIONS connections (default 32) for
# BENCH_DURATION (default 15s) each: GET /store/products?limit=20,
# GET /store/products/:id, the storefront catalog page (HTML), and the cart write
# path (create cart + add line item). Also cold start to the first 200 and the
# server's resident memory (peak and after load, then with BENCH_IDLE_CONNECTIONS
# idle connections open, default 256). BENCH_ONLY=cart measures the
# cart write path alone (for quick turns on it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${BENCH_DURATION:-15s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
PORT="${BENCH_PORT:-3900}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/automat"

if ! command -v wrk >/dev/null; then
    echo "[bench] installing wrk" >&2
    if [[ $(id -u) == 0 ]]; then apt-get install -y wrk >&2; else sudo apt-get install -y wrk >&2; fi
fi
# BENCH_BUILD=0 measures the release build already in the target dir as it is.
if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
    AUTOMAT_PROFILE=release "$ROOT/scripts/build-site.sh" >&2
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

export AUTOMAT_DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc"
export AUTOMAT_HTTP_ADDR="127.0.0.1:$PORT"
export AUTOMAT_MQTT_EMBEDDED_ADDR="127.0.0.1:0"
export AUTOMAT_SIMULATED_MACHINES=0
export AUTOMAT_SITE_ROOT="$TARGET_DIR/site"
export AUTOMAT_LOG=warn
"$BIN" seed --products 992 >&2

BASE="http://127.0.0.1:$PORT"
started=$(date +%s%N)
"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
until KEY=$(grep -m1 -o 'pk_[A-Za-z0-9]*' "$WORK/server.log") && [[ -n "$KEY" ]] &&
    curl -sf -o /dev/null -H "x-publishable-api-key: $KEY" "$BASE/store/products?limit=1"; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.005
done
cold_ms=$(( ($(date +%s%N) - started) / 1000000 ))

PRODUCT_ID=$(curl -sf -H "x-publishable-api-key: $KEY" "$BASE/store/products?limit=1&offset=500" | grep -o '"id":"prod_[^"]*"' | head -1 | cut -d'"' -f4)
VARIANT_ID=$(curl -sf -H "x-publishable-api-key: $KEY" "$BASE/store/products/$PRODUCT_ID" | grep -o '"id":"variant_[^"]*"' | head -1 | cut -d'"' -f4)
[[ -n "$PRODUCT_ID" && -n "$VARIANT_ID" ]] || { echo "[bench] no product to benchmark" >&2; exit 1; }

rss_kib() { awk -v field="$1" '$1 == field":" { print $2 }' "/proc/$SERVER_PID/status"; }

# Runs wrk and prints one Markdown table row: name, req/s, p50, p99, errors.
measure() {
    local name="$1"; shift
    local out
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx responses:/ { print $5 } /Socket errors:/ { print "socket:" $0 }' <<<"$out" | tr '\n' ' ')
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "## $(date -u +%Y-%m-%d) — $(git rev-parse --short HEAD), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
echo
echo "| endpoint | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
if [[ "${BENCH_ONLY:-}" != cart ]]; then
    measure "GET /store/products?limit=20" -H "x-publishable-api-key: $KEY" "$BASE/store/products?limit=20"
    measure "GET /store/products/:id" -H "x-publishable-api-key: $KEY" "$BASE/store/products/$PRODUCT_ID"
    measure "GET / (catalog page, HTML)" -H "accept: text/html" "$BASE/"
fi
BENCH_KEY="$KEY" BENCH_VARIANT="$VARIANT_ID" measure "cart: create + add item (2 requests per flow)" -s "$ROOT/bench/cart_flow.lua" "$BASE"
echo
echo "- cold start to first 200 (\`GET /store/products\`, seeded SQLite): ${cold_ms} ms"
echo "- server RSS: peak $(( $(rss_kib VmHWM) / 1024 )) MiB, after load $(( $(rss_kib VmRSS) / 1024 )) MiB"

# Idle keep-alive connections (shoppers' browsers, a load balancer's pool)
# must cost next to nothing: held open, then measured.
IDLE_CONNECTIONS="${BENCH_IDLE_CONNECTIONS:-256}"
before_kib=$(rss_kib VmRSS)
idle=()
for _ in $(seq "$IDLE_CONNECTIONS"); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    idle+=("$fd")
done
sleep 1
echo "- $IDLE_CONNECTIONS idle connections held open: RSS $(( before_kib / 1024 )) → $(( $(rss_kib VmRSS) / 1024 )) MiB"
for fd in "${idle[@]}"; do exec {fd}>&-; done
