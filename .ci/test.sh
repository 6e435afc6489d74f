#!/usr/bin/env bash
# Sets up and runs every test: contract lint and format, Rust formatting and
# clippy, then the whole workspace's tests with nextest against real PostgreSQL
# and Redis (the ones in DATABASE_URL / REDIS_URL, else the local default ports,
# else private servers the harness starts and this script stops).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh

# One target directory reused across clones and runs: Rust builds are the slow part.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canopy/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== contracts: buf lint, buf format"
buf=.ci/tools/node_modules/.bin/buf
"$buf" lint
"$buf" format --diff --exit-code
if git rev-parse -q --verify HEAD~1 >/dev/null && git cat-file -e HEAD~1:proto 2>/dev/null; then
  echo "== contracts: buf breaking against the previous commit"
  "$buf" breaking --against ".git#ref=HEAD~1"
fi

echo "== rust: fmt, clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

if [[ -z "${DATABASE_URL:-}" ]] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
fi
if [[ -z "${REDIS_URL:-}" ]] && command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  export REDIS_URL=redis://127.0.0.1:6379/0
fi
echo "== tests (DATABASE_URL=${DATABASE_URL:-private cluster} REDIS_URL=${REDIS_URL:-private server})"

stop_private_servers() {
  for name in postgres redis; do
    pid_file="target/canopy-test/$name.pid"
    if [[ -f $pid_file ]]; then
      kill -INT "$(cat "$pid_file")" 2>/dev/null || true
      rm -f "$pid_file" "target/canopy-test/$name.url"
    fi
  done
}
trap stop_private_servers EXIT

cargo nextest run --workspace --no-fail-fast --config-file .ci/nextest.toml --profile ci
