#!/usr/bin/env bash
# Browser journeys drive Debian's Chromium through Playwright; a fresh machine lacks it.
# Installs it when missing and we are root; otherwise says what to install.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-liberation fonts-noto-core >/dev/null
else
  echo "Browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium' (Debian/Ubuntu)." >&2
  exit 1
fi
