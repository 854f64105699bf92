#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright must not download its own), unless CHROMIUM_PATH names one.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "${CHROMIUM_PATH}" ]; then
  echo "==> chromium: ${CHROMIUM_PATH}"
  exit 0
fi
exec "$(dirname "$0")/ensure-debian-package.sh" chromium chromium --version "the browser tests; or set CHROMIUM_PATH"
