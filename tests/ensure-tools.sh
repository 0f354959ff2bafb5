#!/usr/bin/env bash
# Installs the programs and libraries the service and its tests need, when missing (Debian;
# needs root, or sudo without a password, to install):
# - Pango, HarfBuzz and the DejaVu fonts, which WeasyPrint renders the printable directory's PDF
#   with (the service's own need: `make run` asks for just these, with `pdf`);
# - Node.js + npm for the test OpenID Provider (tests/oidc_provider) and Chromium for the admin's
#   browser tests (Debian's package: Playwright must never download a browser of its own).
# Usage: ensure-tools.sh [pdf]   (pdf: only WeasyPrint's libraries; without: everything)
set -euo pipefail

missing=()
for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ "${1:-}" != "pdf" ]; then
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            as_root=(sudo)
        else
            echo "run as root, or install these Debian packages first:" \
                "apt-get install --no-install-recommends ${missing[*]}" >&2
            exit 1
        fi
    fi
    "${as_root[@]}" apt-get update -q
    "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}"
fi
