#!/usr/bin/env bash
# Installs what mugai needs from Debian's packages: the build dependencies,
# and with --tests also what the tests drive (tests/deps.txt). Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
lists=("$here/scripts/build-deps.txt")
[ "${1:-}" = "--tests" ] && lists+=("$here/tests/deps.txt")
pkgs=$(cat "${lists[@]}" | sed -e 's/#.*//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u)
missing=()
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages (run as root): ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Postfix asks questions at install; answer them up front.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
