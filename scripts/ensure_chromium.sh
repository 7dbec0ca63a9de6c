#!/usr/bin/env bash
# Install Debian's headless browser pair for the real-browser test, only when it is missing.
# Never downloads a browser any other way (no Selenium Manager, no playwright install).
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "ensure_chromium: chromium/chromedriver missing and not root; run:" >&2
        echo "  apt-get install chromium chromium-driver" >&2
        exit 1
    fi
fi

echo "ensure_chromium: installing chromium and chromium-driver (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
/usr/bin/chromium --version >&2
