#!/usr/bin/env bash
# Builds the full Temporal server (v1.32.2) and its SQL schema tool from the Go module proxy into
# .temporal/cluster/, unless they are there already: about 5 minutes on 2 cores the first time. GOTOOLCHAIN=auto
# fetches the Go release the module asks for from the same proxy. Prints the module's source folder (its schema
# and config files), for the caller.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=v1.32.2
bin="$PWD/.temporal/cluster"
if [ ! -x "$bin/server" ] || [ ! -x "$bin/sql" ] || [ "$("$bin/server" --version 2>/dev/null)" != "temporal version ${version#v}" ]; then
  echo "building the Temporal server $version and its SQL tool (go install; minutes)…" >&2
  mkdir -p "$bin"
  (cd /tmp && GOTOOLCHAIN=auto GOBIN="$bin" GOFLAGS=-mod=mod go install \
    "go.temporal.io/server/cmd/server@$version" "go.temporal.io/server/cmd/tools/sql@$version") >&2
fi
module="$(cd /tmp && GOTOOLCHAIN=auto go env GOMODCACHE)/go.temporal.io/server@$version"
[ -d "$module/schema" ] || (cd /tmp && GOTOOLCHAIN=auto go mod download "go.temporal.io/server@$version") >&2
echo "$module"
