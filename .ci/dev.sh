#!/usr/bin/env bash
# Sets up and runs the embedded default: `canopyd dev` (private PostgreSQL and Redis
# under ./.canopy when DATABASE_URL / REDIS_URL are unset, dev PKI, every service).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canopy/target}"
exec cargo run --quiet -p canopyd -- dev "$@"
