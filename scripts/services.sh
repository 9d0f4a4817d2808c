#!/usr/bin/env bash
# The servers the test suite talks to: PostgreSQL, Redis, Mosquitto.
#
#   scripts/services.sh check    report which answer (exit 1 if any does not)
#   scripts/services.sh ensure   start the ones that do not answer (as root,
#                                with Debian's packages), then check again
#
# Addresses follow the test suite's defaults; override them with
# AUTOMAT_TEST_POSTGRES_URL, AUTOMAT_TEST_REDIS_URL, AUTOMAT_TEST_MOSQUITTO_URL.
set -euo pipefail

say() { echo "[services] $*" >&2; }

answers() { # host port
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

host_port() { # url -> "host port"
    local rest="${1#*://}"
    rest="${rest%%/*}"
    rest="${rest##*@}"
    echo "${rest%:*} ${rest##*:}"
}

start_postgres() { pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start; }
start_redis() {
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
}
start_mosquitto() { mosquitto -d -c /etc/mosquitto/mosquitto.conf; }

SERVICES=(
    "PostgreSQL ${AUTOMAT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres} start_postgres"
    "Redis ${AUTOMAT_TEST_REDIS_URL:-redis://127.0.0.1:6379} start_redis"
    "Mosquitto ${AUTOMAT_TEST_MOSQUITTO_URL:-mqtt://127.0.0.1:1883} start_mosquitto"
)

check_all() {
    local missing=0 name url start host port
    for entry in "${SERVICES[@]}"; do
        read -r name url start <<<"$entry"
        read -r host port <<<"$(host_port "$url")"
        if answers "$host" "$port"; then
            say "$name answers on $host:$port"
        else
            say "$name does NOT answer on $host:$port"
            missing=1
        fi
    done
    return "$missing"
}

ensure_all() {
    local name url start host port
    for entry in "${SERVICES[@]}"; do
        read -r name url start <<<"$entry"
        read -r host port <<<"$(host_port "$url")"
        answers "$host" "$port" && continue
        say "$name is down on $host:$port; starting it"
        "$start" || say "could not start $name (see the README for installing it)"
        for _ in $(seq 1 30); do
            answers "$host" "$port" && break
            sleep 1
        done
    done
    check_all
}

case "${1:-check}" in
    check) check_all ;;
    ensure) ensure_all ;;
    *) echo "usage: $0 check|ensure" >&2; exit 2 ;;
esac
