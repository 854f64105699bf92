#!/usr/bin/env bash
# Installs a Debian package when its command is missing, and prints the command's version either way.
#
#   scripts/ensure-debian-package.sh PACKAGE COMMAND VERSION_ARG PURPOSE [optional]
#
# Without root or apt-get a missing package is an error, or with "optional" a notice (the caller's tests
# skip). A service the package would start is kept from starting (policy-rc.d): what needs the program
# here runs it itself, on free loopback ports.
set -euo pipefail
package=$1 command=$2 version_arg=$3 purpose=$4 optional=${5:-}

version() {
  # The first line with a version number: some print a banner first, some their usage after it.
  "$command" "$version_arg" 2>&1 | grep -m 1 -E '[0-9]+\.[0-9]+' || true
}

if command -v "$command" >/dev/null 2>&1; then
  echo "==> $command: $(version)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$command is missing ($purpose). Install Debian's package: sudo apt-get install $package" >&2
  [ "$optional" = "optional" ] && exit 0
  exit 1
fi
echo "==> installing Debian's $package package ($purpose)"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$package" >/dev/null
echo "==> $command: $(version)"
