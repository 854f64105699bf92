#!/usr/bin/env bash
# Installs Debian's wapiti (web vulnerability scanner) for tests/security/test_wapiti.py when it is missing.
set -euo pipefail
if command -v wapiti >/dev/null 2>&1; then
  echo "==> wapiti: $(wapiti --version 2>/dev/null | tail -n 1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "wapiti is missing; its test will be skipped. Install Debian's package: sudo apt-get install wapiti" >&2
  exit 0
fi
echo "==> installing Debian's wapiti package for the scanner test"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends wapiti >/dev/null
echo "==> wapiti: $(wapiti --version 2>/dev/null | tail -n 1)"
