#!/usr/bin/env bash
# Installs Debian's influxdb (InfluxDB 1.6) for the telemetry_vs_influxdb benchmark when it is missing.
# Only the binary is used: the benchmark starts its own influxd on free loopback ports with a config of
# its own under var/, so the package's service is kept from starting (and from taking port 8086).
set -euo pipefail
if command -v influxd >/dev/null 2>&1; then
  echo "==> influxd: $(influxd version 2>/dev/null | head -n 1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "influxd is missing; telemetry_vs_influxdb cannot run. Install Debian's package: sudo apt-get install influxdb" >&2
  exit 1
fi
echo "==> installing Debian's influxdb package for the telemetry_vs_influxdb benchmark"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends influxdb >/dev/null
echo "==> influxd: $(influxd version 2>/dev/null | head -n 1)"
