#!/usr/bin/env bash
# The whole test suite on a fresh machine (Debian, root): installs what it needs, then runs it.
# Every suite runs on the in-memory stand-in; the suites that talk to the API (marked
# `// api-suite:`) run a second time against a real kube-apiserver and etcd (issue #8), built
# from their Go modules on the first run and cached in ~/.cache/herald after that.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/system-deps.sh
npm ci --no-audit --no-fund --loglevel=error
./scripts/cluster-binaries.sh >/dev/null
npm run build
npm test
npm run test:real
