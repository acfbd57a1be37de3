#!/usr/bin/env bash
# npm run test:cluster: the production topology without containers (test/cluster/). Builds the full Temporal
# server when it is not built yet (scripts/temporal-cluster/install.sh), starts a private PostgreSQL unless
# TEST_POSTGRES_URL names one, builds the project (dist/, as the image does), then runs the cluster suite.
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/temporal-cluster/install.sh > /dev/null
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  postgres_env="$(scripts/postgres/start-local.sh)"
  eval "$postgres_env"
  trap 'scripts/postgres/stop-local.sh' EXIT
fi
npm run --silent build
npx jest --config jest.cluster.config.js "$@"
