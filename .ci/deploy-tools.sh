#!/usr/bin/env bash
# Installs the tools that check deploy/: cfn-lint (PyPI, into a venv under .cache/deploy-tools)
# and shellcheck (apt). Idempotent: a tool already there is kept. The tests find cfn-lint at
# .cache/deploy-tools/venv/bin/cfn-lint (or $CFN_LINT, or on PATH) and shellcheck on PATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=.cache/deploy-tools/venv
if [[ ! -x "$venv/bin/cfn-lint" ]]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'cfn-lint>=1,<2'
fi
"$venv/bin/cfn-lint" --version

if ! command -v shellcheck >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
shellcheck --version | head -2
