#!/usr/bin/env bash
# Starts a private PostgreSQL 15 on loopback for tests and the cluster topology, with no Docker: Debian's
# `postgresql` package (installed here when missing), a fresh cluster in a temporary folder owned by `postgres`,
# trust authentication on 127.0.0.1 only. Prints `export` lines for the caller to eval:
#
#   eval "$(scripts/postgres/start-local.sh)"   # sets TEST_POSTGRES_URL and POSTGRES_DATA_DIR
#   scripts/postgres/stop-local.sh              # stops it and removes the folder
#
# PGPORT picks the port (default 55432, or a free one when another server already listens there).
set -euo pipefail

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port="${PGPORT:-55432}"
if [ -z "${PGPORT:-}" ] && port_taken "$port"; then
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
fi
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bin" ]; then
  echo "installing Debian's postgresql…" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

data="$(mktemp -d /tmp/temporal-saga-postgres-XXXXXX)"
chown postgres:postgres "$data"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_postgres "$bin/initdb" -D "$data/cluster" -U postgres --auth=trust --encoding=UTF8 > "$data/initdb.log"
as_postgres "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data -c max_connections=300 -c fsync=off" \
  start > /dev/null

echo "export POSTGRES_DATA_DIR='$data'"
echo "export TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/postgres'"
