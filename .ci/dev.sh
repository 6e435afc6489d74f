#!/usr/bin/env bash
# Sets up and runs the embedded default: `canopyd dev` (private PostgreSQL and Redis
# under ./.canopy when DATABASE_URL / REDIS_URL are unset, dev PKI, every service).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canopy/target}"
# canopyd dev serves the built portals (web/customer/dist, web/admin/dist).
(cd web && npm run --silent build >/dev/null)
exec cargo run --quiet -p canopyd -- dev "$@"
