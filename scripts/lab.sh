#!/usr/bin/env bash
# The demo on a fresh machine (Debian, root): installs what it needs, builds, runs `herald lab`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/system-deps.sh
npm ci --no-audit --no-fund --loglevel=error
npm run build
npx --loglevel=error herald lab "$@"
