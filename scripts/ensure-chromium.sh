#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (Playwright must not download its own).
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "${CHROMIUM_PATH}" ]; then
  echo "==> chromium: ${CHROMIUM_PATH}"
  exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  echo "==> chromium: $(chromium --version 2>/dev/null | head -n 1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing. Install Debian's package (sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
  exit 1
fi
echo "==> installing Debian's chromium package for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "==> chromium: $(chromium --version | head -n 1)"
