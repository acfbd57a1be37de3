#!/usr/bin/env bash
# Stops the PostgreSQL that start-local.sh started (POSTGRES_DATA_DIR) and removes its folder.
set -euo pipefail
data="${POSTGRES_DATA_DIR:?run start-local.sh first}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$data/cluster" -m fast stop > /dev/null
else "$bin/pg_ctl" -D "$data/cluster" -m fast stop > /dev/null; fi
rm -rf "$data"
