#!/usr/bin/env bash
# Installs what the PyTorch reference tests and the model benchmark need: Debian's python3-torch (1.13)
# and python3-numpy, for Debian's own /usr/bin/python3 (not whatever python3 is first on the PATH:
# PyPI cannot be reached here, so Debian's packages are the only torch there is).
# Idempotent: a warm run only imports torch and exits.
#
#   bash scripts/setup-python-torch.sh          (or: npm run setup:python)
set -euo pipefail
PY=${ATTENTION_TORCH_PYTHON:-/usr/bin/python3}
say() { echo "[setup:python] $*"; }
if [ -x "$PY" ] && "$PY" -c 'import torch, numpy' 2>/dev/null; then
  say "torch $("$PY" -c 'import torch; print(torch.__version__)') ok ($PY)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "[setup:python] ERROR: python3-torch missing and not root; run: sudo apt-get install -y python3-torch python3-numpy" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Two runners may start at once on a fresh machine: one installs, the other waits.
exec 9>/tmp/attention-inspector-setup-python.lock
flock 9
if ! "$PY" -c 'import torch, numpy' 2>/dev/null; then
  say "apt-get install python3-torch python3-numpy"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq python3-torch python3-numpy >/dev/null
fi
"$PY" -c 'import torch, numpy' || { echo "[setup:python] ERROR: torch still not importable from $PY" >&2; exit 1; }
say "torch $("$PY" -c 'import torch; print(torch.__version__)') ok ($PY)"
