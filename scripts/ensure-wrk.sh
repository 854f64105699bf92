#!/usr/bin/env bash
# Installs Debian's wrk (HTTP load client) for `make bench` (bench/api_openbao.py) when it is missing.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
  echo "==> wrk: $(wrk --version 2>&1 | head -n 1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "wrk is missing. Install Debian's package: sudo apt-get install wrk" >&2
  exit 1
fi
echo "==> installing Debian's wrk package for the benchmarks"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends wrk >/dev/null
echo "==> wrk: $(wrk --version 2>&1 | head -n 1)"
