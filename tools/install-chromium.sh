#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (test/browser/) and `npm run screenshots`, when it is missing.
# playwright-core drives it; Playwright's own browser download cannot run here (only the package registries are
# reachable), and Debian's build is the one CI's fresh Debian machine gets with apt.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing: run 'sudo apt-get install -y chromium' (or run this script as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium
