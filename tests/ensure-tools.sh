#!/usr/bin/env bash
# Installs the programs the test suite drives, when missing (Debian; needs root to install):
# Node.js + npm for the test OpenID Provider (tests/oidc_provider) and Chromium for the admin's
# browser tests (Debian's package: Playwright must never download a browser of its own).
set -euo pipefail

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "run as root, or install these Debian packages first: ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -q
    apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}"
fi
