#!/usr/bin/env bash
# Installs moto (an S3-compatible server, from the Python registry) into a
# virtualenv under ~/.cache/automat/moto, for the tests of S3 file storage;
# does nothing when it is already there. Prints where `moto_server` is.
set -euo pipefail

dir="${XDG_CACHE_HOME:-$HOME/.cache}/automat/moto"
if [[ ! -x "$dir/bin/moto_server" ]]; then
    echo "[moto] installing moto into $dir" >&2
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.*'
fi
echo "$dir/bin/moto_server"
