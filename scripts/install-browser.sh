#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/browser), idempotently.
# Playwright drives it with executable_path=/usr/bin/chromium: `playwright install` would
# download its own browser build, which this environment cannot fetch.
# Prints what it does to stderr; never fails `make install` when it cannot install
# (not root, no apt): the browser tests then skip and say why.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "install-browser: $CHROMIUM is present; nothing to do" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install-browser: $CHROMIUM is missing and we are not root; skipping (browser tests will skip)" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: $CHROMIUM is missing and there is no apt-get; skipping" >&2
  exit 0
fi
echo "install-browser: apt-get update" >&2
apt-get update -qq >&2
echo "install-browser: apt-get install -y chromium" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)" >&2
