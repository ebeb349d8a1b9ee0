#!/usr/bin/env bash
# Builds the real control plane the test suite uses beside the stand-in (issue #8): kube-apiserver
# and kubectl from k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3, each from its pinned
# wrapper module in test/cluster/ (go.mod + go.sum committed). The binaries are cached by version
# outside the repo, in ${HERALD_CACHE:-~/.cache/herald}/, so only the first run builds: cold
# 10-20 min on 2 cores, warm under a second. Prints the folder that holds the binaries.
# helm (helm.sh/helm/v4, test/cluster/helm; the chart's tests, issue #12) is built too, about 5 min
# more cold, into its own folder helm-<version>/ beside it, so that a new pin of one rebuilds only
# that one; so is dashboard-check (test/cluster/grafana: the Grafana dashboard's schema check),
# into grafana-sdk-<version>/, promtool (test/cluster/prometheus: the alert rules' unit
# tests, about 3 min cold), into promtool-<version>/, and the Prometheus Operator with its own
# CRDs (test/cluster/prometheus-operator: the chart's ServiceMonitor and the PrometheusRule on a
# running operator, about 2 min cold), into prometheus-operator-<version>/.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
export PATH="/usr/local/go/bin:$PATH"

# The version a wrapper pins, read from its go.mod (one source of truth: src/testing reads it too).
pinned() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1/go.mod"; }
KUBE_VERSION=$(pinned test/cluster/kube k8s.io/kubernetes)
ETCD_VERSION=$(pinned test/cluster/etcd go.etcd.io/etcd/server/v3)
HELM_VERSION=$(pinned test/cluster/helm helm.sh/helm/v4)
GRAFANA_SDK_VERSION=$(pinned test/cluster/grafana github.com/grafana/grafana-foundation-sdk/go)
PROMETHEUS_VERSION=$(pinned test/cluster/prometheus github.com/prometheus/prometheus)
OPERATOR_VERSION=$(pinned test/cluster/prometheus-operator github.com/prometheus-operator/prometheus-operator)
[ -n "$KUBE_VERSION" ] && [ -n "$ETCD_VERSION" ] && [ -n "$HELM_VERSION" ] && [ -n "$GRAFANA_SDK_VERSION" ] && [ -n "$PROMETHEUS_VERSION" ] && [ -n "$OPERATOR_VERSION" ] || { echo "cluster-binaries: cannot read the pinned versions from test/cluster/*/go.mod" >&2; exit 1; }
CACHE="${HERALD_CACHE:-$HOME/.cache/herald}"
OUT="$CACHE/kube-$KUBE_VERSION-etcd-$ETCD_VERSION"
HELM_OUT="$CACHE/helm-$HELM_VERSION"
GRAFANA_OUT="$CACHE/grafana-sdk-$GRAFANA_SDK_VERSION"
PROMTOOL_OUT="$CACHE/promtool-$PROMETHEUS_VERSION"
OPERATOR_OUT="$CACHE/prometheus-operator-$OPERATOR_VERSION"

if [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kubectl" ] && [ -x "$OUT/etcd" ] && [ -x "$HELM_OUT/helm" ] && [ -x "$GRAFANA_OUT/dashboard-check" ] && [ -x "$PROMTOOL_OUT/promtool" ] && [ -x "$OPERATOR_OUT/operator" ]; then
  echo "$OUT"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "cluster-binaries: no Go toolchain; install Go 1.26 or newer (helm v4.3 needs it) in /usr/local/go, then run scripts/cluster-binaries.sh again" >&2
  exit 1
fi
mkdir -p "$OUT" "$HELM_OUT" "$GRAFANA_OUT" "$PROMTOOL_OUT" "$OPERATOR_OUT"
started=$(date +%s)

# A build goes to a temporary name and is renamed when whole, so an interrupted run never leaves
# a half-written binary that a later run would take as cached.
build() { # build <wrapper dir> <package> <output folder> <binary> <ldflags>
  local dir=$1 pkg=$2 out=$3 bin=$4 ldflags=$5
  [ -x "$out/$bin" ] && return 0
  echo "cluster-binaries: building $bin ($pkg) into $out (cold builds take minutes)" >&2
  if ! (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$out/.$bin.partial" "$pkg") >&2; then
    echo "cluster-binaries: building $bin failed (see the Go errors above); fix the cause, then run scripts/cluster-binaries.sh again" >&2
    rm -f "$out/.$bin.partial"
    exit 1
  fi
  mv "$out/.$bin.partial" "$out/$bin"
}

minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
stamp=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  stamp+=" -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=1970-01-01T00:00:00Z"
done
build test/cluster/etcd go.etcd.io/etcd/server/v3 "$OUT" etcd "-s -w"
build test/cluster/kube k8s.io/kubernetes/cmd/kube-apiserver "$OUT" kube-apiserver "-s -w$stamp"
build test/cluster/kube k8s.io/kubernetes/cmd/kubectl "$OUT" kubectl "-s -w$stamp"
# As helm's Makefile stamps a release (`helm version` says v4.3.2, not the source default v4.3).
build test/cluster/helm helm.sh/helm/v4/cmd/helm "$HELM_OUT" helm "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
# The dashboard's schema check (issue #12): the Grafana Foundation SDK's strict decoder, about 30 s cold.
build test/cluster/grafana . "$GRAFANA_OUT" dashboard-check "-s -w"
# The alert rules' unit tests (issue #12): Prometheus's own promtool (`check rules`, `test rules`).
build test/cluster/prometheus github.com/prometheus/prometheus/cmd/promtool "$PROMTOOL_OUT" promtool "-s -w"
# The Prometheus Operator (issue #12): its CRDs first, from its own module (the build is the
# marker that the folder is whole), then the operator.
if [ ! -x "$OPERATOR_OUT/operator" ]; then
  op_dir=$(cd test/cluster/prometheus-operator && go mod download github.com/prometheus-operator/prometheus-operator && go list -m -f '{{.Dir}}' github.com/prometheus-operator/prometheus-operator)
  mkdir -p "$OPERATOR_OUT/crds"
  # All of them: the operator waits for every informer it starts (PodMonitors, Probes…) to sync.
  cp "$op_dir"/example/prometheus-operator-crd/monitoring.coreos.com_*.yaml "$OPERATOR_OUT/crds/"
fi
build test/cluster/prometheus-operator github.com/prometheus-operator/prometheus-operator/cmd/operator "$OPERATOR_OUT" operator "-s -w"
echo "cluster-binaries: built in $(( $(date +%s) - started )) s" >&2
echo "$OUT"
