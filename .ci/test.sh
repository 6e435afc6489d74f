#!/usr/bin/env bash
# Sets up and runs every test: contract lint and format, bounded fuzz runs, the TypeScript SDK (generated
# code up to date, typecheck, build, unit tests) and the Envoy edge config, the
# deployment files (generated from the service manifests and up to date; Kubernetes
# and Linkerd manifests validated, Dockerfiles linted), the portals (typecheck, build,
# Vitest component tests), Rust formatting and clippy, the end-to-end tests (the
# TypeScript SDK, then the portals in Chromium, both over grpc-web through Envoy to
# `canopyd dev`), and last the whole Rust workspace with nextest against real
# PostgreSQL and Redis (the ones in DATABASE_URL / REDIS_URL, else the local default
# ports, else private servers the harness starts and this script stops).
#
# Every suite runs even when an earlier one fails, so one failure never hides
# another; the script fails at the end, naming the suites that failed.
set -uo pipefail
cd "$(dirname "$0")/.."
set -e
bash .ci/setup.sh
set +e

failed=()
# Runs one suite; records it when it fails and goes on.
suite() {
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then
    echo "!! $name failed" >&2
    failed+=("$name")
  fi
}

# One target directory reused across clones and runs: Rust builds are the slow part.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canopy/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

buf=.ci/tools/node_modules/.bin/buf
contracts() {
  "$buf" lint && "$buf" format --diff --exit-code || return 1
  if git rev-parse -q --verify HEAD~1 >/dev/null && git cat-file -e HEAD~1:proto 2>/dev/null; then
    echo "buf breaking against the previous commit"
    "$buf" breaking --against ".git#ref=HEAD~1" || return 1
  fi
}
suite "contracts: buf lint, format, breaking" contracts

sdk_ts() {
  "$buf" generate || return 1
  git diff --exit-code -- sdk/ts/src/gen || return 1
  local untracked
  untracked=$(git ls-files --others --exclude-standard -- sdk/ts/src/gen)
  if [[ -n $untracked ]]; then
    echo "buf generate produced files that are not committed:" >&2
    echo "$untracked" >&2
    return 1
  fi
  (cd sdk/ts && npm run --silent typecheck && npm run --silent build && node --import tsx --test --test-reporter=spec test/unit/*.test.ts)
}
suite "sdk/ts: generated code up to date, typecheck, build, unit tests" sdk_ts

export ENVOY="$HOME/.cache/canopy/envoy-venv/bin/envoy"
# The kit's transit KEK test runs against `bao server -dev` (skipped without it).
export OPENBAO_BIN="$HOME/.cache/canopy/bao-venv/bin/bao"
envoy_config() {
  local check
  check=$(mktemp -d)
  EDGE_ADDRESS=127.0.0.1 EDGE_PORT=8080 ADMIN_PORT=9901 CORS_ORIGIN_REGEX='^https://app\.canopy\.test$' \
    GATEWAY_ADDRESS=127.0.0.1 GATEWAY_PORT=8443 GATEWAY_SNI=localhost TRUST_ANCHOR="$check/ca.crt" \
    node mesh/envoy/render.mjs >"$check/envoy.yaml" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=check -days 1 \
      -keyout "$check/ca.key" -out "$check/ca.crt" 2>/dev/null &&
    "$ENVOY" --mode validate -c "$check/envoy.yaml" --log-level error
  local status=$?
  rm -rf "$check"
  return $status
}
suite "mesh/envoy: envoy --mode validate" envoy_config

suite "web: typecheck, build, component tests (Vitest)" \
  bash -c 'cd web && npm run --silent typecheck && npm run --silent build >/dev/null && npx vitest run'

suite "rust: fmt" cargo fmt --all --check

# Bounded libFuzzer runs of the parsers of untrusted bytes (cargo-fuzz projects are
# outside the workspace; stable Rust runs them with RUSTC_BOOTSTRAP=1).
fuzz() {
  # pipefail (set above): a crash fails the suite although tail succeeds.
  (cd services/kit/fuzz &&
    PATH="$HOME/.cache/canopy/cargo-fuzz/bin:$PATH" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$CARGO_TARGET_DIR/fuzz" \
      cargo fuzz run ciphertext -- -max_total_time=20 2>&1 | tail -n 30)
}
suite "fuzz: canopy_kit::secrets ciphertext parser (20 s)" fuzz
suite "rust: clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings

# canopyd itself: the end-to-end suites run it, and it writes the generated files.
# canopy-policy's bins: the policy evaluator, which canopyd runs beside itself.
suite "rust: build canopyd" cargo build --quiet -p canopyd -p canopy-policy --bins
export CANOPYD="$CARGO_TARGET_DIR/debug/canopyd"
# The local Shopify/WooCommerce/BigCommerce servers the portal journey connects to.
suite "rust: build the store stand-ins" \
  cargo build --quiet -p canopy-commerce-platforms --features stand-in --bin canopy-store-stand-in
export STORE_STAND_IN="$CARGO_TARGET_DIR/debug/canopy-store-stand-in"
suite "deploy: generated mesh policy and Kubernetes manifests up to date" "$CANOPYD" generate --check
suite "deploy: kubernetes-validate, Linkerd policy, hadolint" bash .ci/validate-deploy.sh

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

suite "e2e: TypeScript SDK over grpc-web → Envoy → canopyd dev" \
  bash -c 'cd sdk/ts && node --import tsx --test --test-reporter=spec test/e2e/*.test.ts'

suite "e2e: the portals in Chromium → Envoy → canopyd dev (screenshots in web/e2e/screenshots)" \
  bash -c 'cd web && node --import tsx --test --test-reporter=spec e2e/*.test.ts'

# The Rust suite runs last: its summary closes the run.
suite "rust: nextest (the whole workspace)" \
  cargo nextest run --workspace --no-fail-fast --config-file .ci/nextest.toml --profile ci

if ((${#failed[@]})); then
  echo >&2
  echo "FAILED suites (${#failed[@]}):" >&2
  printf '  - %s\n' "${failed[@]}" >&2
  exit 1
fi
