#!/usr/bin/env bash
# The whole test suite on a fresh machine (Debian, root): installs what it needs, then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/system-deps.sh
npm ci --no-audit --no-fund --loglevel=error
npm run build
npm test
