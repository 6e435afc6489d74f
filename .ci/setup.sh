#!/usr/bin/env bash
# Installs what Canopy needs on a fresh Debian machine, skipping whatever is there:
# PostgreSQL and Redis server binaries (canopyd dev and the tests start private
# ones when none is configured), cargo-nextest, and buf (from the npm registry).
# Says precisely what is missing when it cannot install it.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

need_apt=()
have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }
have_postgres || need_apt+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v setpriv >/dev/null 2>&1 || need_apt+=(util-linux)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)

if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    say "missing: ${need_apt[*]} (install them with your package manager, e.g. sudo apt-get install ${need_apt[*]})"
    exit 1
  fi
fi

if ! command -v cargo >/dev/null 2>&1; then
  say "missing: cargo (install the Rust toolchain with rustup)"
  exit 1
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest (a few minutes, once)"
  cargo install --locked --quiet cargo-nextest
fi

if [[ ! -x .ci/tools/node_modules/.bin/buf ]]; then
  say "installing buf from the npm registry"
  # `npm ci` rejects the lock over buf's optional per-platform packages (npm 11);
  # `npm install` installs the same locked versions.
  npm install --prefix .ci/tools --no-audit --no-fund --loglevel=error >/dev/null 2>&1
fi
