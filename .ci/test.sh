#!/usr/bin/env bash
# Sets up and runs every test: contract lint and format, the TypeScript SDK (generated
# code up to date, typecheck, build, unit tests) and the Envoy edge config, Rust
# formatting and clippy, then the whole workspace's tests with nextest against real
# PostgreSQL and Redis (the ones in DATABASE_URL / REDIS_URL, else the local default
# ports, else private servers the harness starts and this script stops). The portals
# (web/: typecheck, build, Vitest component tests) are checked before the Rust steps;
# the end-to-end tests (the TypeScript SDK, then the portals in Chromium, both over
# grpc-web through Envoy to `canopyd dev`) run before the Rust suite, which runs last.
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

echo "== sdk/ts: generated code up to date, typecheck, build, unit tests"
"$buf" generate
git diff --exit-code -- sdk/ts/src/gen
untracked=$(git ls-files --others --exclude-standard -- sdk/ts/src/gen)
if [[ -n $untracked ]]; then
  echo "buf generate produced files that are not committed:" >&2
  echo "$untracked" >&2
  exit 1
fi
(cd sdk/ts && npm run --silent typecheck && npm run --silent build && node --import tsx --test --test-reporter=spec test/unit/*.test.ts)

echo "== mesh/envoy: envoy --mode validate"
export ENVOY="$HOME/.cache/canopy/envoy-venv/bin/envoy"
envoy_check=$(mktemp -d)
EDGE_ADDRESS=127.0.0.1 EDGE_PORT=8080 ADMIN_PORT=9901 CORS_ORIGIN_REGEX='^https://app\.canopy\.test$' \
  GATEWAY_ADDRESS=127.0.0.1 GATEWAY_PORT=8443 GATEWAY_SNI=localhost TRUST_ANCHOR="$envoy_check/ca.crt" \
  node mesh/envoy/render.mjs >"$envoy_check/envoy.yaml"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=check -days 1 \
  -keyout "$envoy_check/ca.key" -out "$envoy_check/ca.crt" 2>/dev/null
"$ENVOY" --mode validate -c "$envoy_check/envoy.yaml" --log-level error
rm -rf "$envoy_check"

echo "== web: typecheck, build, component tests (Vitest)"
(cd web && npm run --silent typecheck && npm run --silent build >/dev/null && npx vitest run)

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

echo "== e2e: TypeScript SDK over grpc-web → Envoy → canopyd dev"
cargo build --quiet -p canopyd
export CANOPYD="$CARGO_TARGET_DIR/debug/canopyd"
(cd sdk/ts && node --import tsx --test --test-reporter=spec test/e2e/*.test.ts)

echo "== e2e: the portals in Chromium → Envoy → canopyd dev (screenshots in web/e2e/screenshots)"
(cd web && node --import tsx --test --test-reporter=spec e2e/*.test.ts)

# The Rust suite runs last: its summary closes the run.
cargo nextest run --workspace --no-fail-fast --config-file .ci/nextest.toml --profile ci
