#!/usr/bin/env bash
# Sets up and runs the embedded default: `canopyd dev` (private PostgreSQL and Redis
# under ./.canopy when DATABASE_URL / REDIS_URL are unset, dev PKI, every service).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canopy/target}"
# canopyd dev serves the built portals (web/customer/dist, web/admin/dist).
(cd web && npm run --silent build >/dev/null)
# The policy evaluator (canopy-policy's bin) runs beside canopyd, so build both.
cargo build --quiet -p canopyd -p canopy-policy --bins
exec "$CARGO_TARGET_DIR/debug/canopyd" dev "$@"
