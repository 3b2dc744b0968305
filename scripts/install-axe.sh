#!/usr/bin/env bash
# Installs axe-core (the npm package) for the accessibility browser tests, idempotently,
# into .venv/axe (nothing global, nothing in the repository). The tests inject its
# axe.min.js into the pages they check; without it they skip and say why.
# Never fails `make install` (no npm, no network): the axe tests then skip.
set -euo pipefail

VERSION=4.14.1
PREFIX=.venv/axe
FILE="$PREFIX/node_modules/axe-core/axe.min.js"

if [ -f "$FILE" ] && grep -q "\"version\": \"$VERSION\"" "$PREFIX/node_modules/axe-core/package.json" 2>/dev/null; then
  echo "install-axe: axe-core $VERSION is present; nothing to do" >&2
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-axe: npm is missing; skipping (axe tests will skip)" >&2
  exit 0
fi
mkdir -p "$PREFIX"
echo "install-axe: npm install axe-core@$VERSION" >&2
if ! npm install --prefix "$PREFIX" --no-audit --no-fund --silent --no-save "axe-core@$VERSION" >&2; then
  echo "install-axe: npm install failed; skipping (axe tests will skip)" >&2
fi
exit 0
