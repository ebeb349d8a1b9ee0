#!/usr/bin/env bash
# Builds the peers the benchmarks run side by side with Herald and nothing else needs: MetalLB's
# controller (bench/ipam/cold-start.ts --controller metallb), from its release module on the Go
# module proxy, with the module's own go.mod and go.sum as its release builds it, plus the CRDs of
# that release. Cached by version outside the repo, in ${HERALD_CACHE:-~/.cache/herald}/metallb-<v>/:
# cold about 5-10 min on 2 cores, warm under a second. Prints the folder.
#   scripts/peer-binaries.sh           build what is missing, print the folder
#   scripts/peer-binaries.sh --check   print the folder if it is whole; else say what to run, exit 1
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
export PATH="/usr/local/go/bin:$PATH"

# The release measured in bench/README.md ("cold start beside MetalLB").
METALLB_VERSION=v0.15.2
CACHE="${HERALD_CACHE:-$HOME/.cache/herald}"
OUT="$CACHE/metallb-$METALLB_VERSION"

if [ -x "$OUT/controller" ] && [ -d "$OUT/crds" ]; then
  echo "$OUT"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "peer-binaries: MetalLB $METALLB_VERSION's controller is not built; run scripts/peer-binaries.sh (Go from /usr/local/go, the Go module proxy; 5-10 min cold)" >&2
  exit 1
fi
if ! command -v go >/dev/null 2>&1; then
  echo "peer-binaries: no Go toolchain; install Go 1.24 or newer in /usr/local/go, then run scripts/peer-binaries.sh again" >&2
  exit 1
fi
mkdir -p "$OUT"
started=$(date +%s)
# Outside any module: `go mod download` of an exact version names the folder it unpacked.
src=$(cd / && go mod download -json "go.universe.tf/metallb@$METALLB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$src" ] && [ -d "$src/controller" ] || { echo "peer-binaries: the Go module proxy gave no go.universe.tf/metallb@$METALLB_VERSION" >&2; exit 1; }
echo "peer-binaries: building MetalLB $METALLB_VERSION's controller into $OUT (a cold build takes minutes)" >&2
# To a temporary name, renamed when whole: an interrupted run never leaves a binary a later run
# would take as cached.
if ! (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$OUT/.controller.partial" ./controller) >&2; then
  rm -f "$OUT/.controller.partial"
  echo "peer-binaries: building MetalLB's controller failed (see the Go errors above)" >&2
  exit 1
fi
rm -rf "$OUT/crds.partial" && mkdir "$OUT/crds.partial"
cp "$src"/config/crd/bases/*.yaml "$OUT/crds.partial/"
rm -rf "$OUT/crds" && mv "$OUT/crds.partial" "$OUT/crds"
mv "$OUT/.controller.partial" "$OUT/controller"
echo "peer-binaries: built in $(( $(date +%s) - started )) s" >&2
echo "$OUT"
