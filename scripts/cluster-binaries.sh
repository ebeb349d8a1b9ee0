#!/usr/bin/env bash
# Builds the real control plane the test suite uses beside the stand-in (issue #8): kube-apiserver
# and kubectl from k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3, each from its pinned
# wrapper module in test/cluster/ (go.mod + go.sum committed). The binaries are cached by version
# outside the repo, in ${HERALD_CACHE:-~/.cache/herald}/, so only the first run builds: cold
# 10-20 min on 2 cores, warm under a second. Prints the folder that holds the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
export PATH="/usr/local/go/bin:$PATH"

# The version a wrapper pins, read from its go.mod (one source of truth: src/testing reads it too).
pinned() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1/go.mod"; }
KUBE_VERSION=$(pinned test/cluster/kube k8s.io/kubernetes)
ETCD_VERSION=$(pinned test/cluster/etcd go.etcd.io/etcd/server/v3)
[ -n "$KUBE_VERSION" ] && [ -n "$ETCD_VERSION" ] || { echo "cluster-binaries: cannot read the pinned versions from test/cluster/*/go.mod" >&2; exit 1; }
CACHE="${HERALD_CACHE:-$HOME/.cache/herald}"
OUT="$CACHE/kube-$KUBE_VERSION-etcd-$ETCD_VERSION"

if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kubectl" ] && [ -x "$OUT/etcd" ]; then
  echo "$OUT"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "cluster-binaries: no Go toolchain; install Go 1.24 or newer in /usr/local/go, then run scripts/cluster-binaries.sh again" >&2
  exit 1
fi
mkdir -p "$OUT"
started=$(date +%s)

# A build goes to a temporary name and is renamed when whole, so an interrupted run never leaves
# a half-written binary that a later run would take as cached.
build() { # build <wrapper dir> <package> <binary> <ldflags>
  local dir=$1 pkg=$2 bin=$3 ldflags=$4
  [ -x "$OUT/$bin" ] && return 0
  echo "cluster-binaries: building $bin ($pkg) into $OUT (cold builds take minutes)" >&2
  if ! (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$OUT/.$bin.partial" "$pkg") >&2; then
    echo "cluster-binaries: building $bin failed (see the Go errors above); fix the cause, then run scripts/cluster-binaries.sh again" >&2
    rm -f "$OUT/.$bin.partial"
    exit 1
  fi
  mv "$OUT/.$bin.partial" "$OUT/$bin"
}

minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
stamp=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  stamp+=" -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=1970-01-01T00:00:00Z"
done
build test/cluster/etcd go.etcd.io/etcd/server/v3 etcd "-s -w"
build test/cluster/kube k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver "-s -w$stamp"
build test/cluster/kube k8s.io/kubernetes/cmd/kubectl kubectl "-s -w$stamp"
echo "cluster-binaries: built in $(( $(date +%s) - started )) s" >&2
echo "$OUT"
