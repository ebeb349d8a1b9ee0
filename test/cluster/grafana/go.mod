// dashboard-check for the Grafana dashboard's test (issue #12): scripts/cluster-binaries.sh builds
// it from this module into ${HERALD_CACHE:-~/.cache/herald}/grafana-sdk-<version>/.
module herald.dev/test/cluster/grafana

go 1.26.0

require github.com/grafana/grafana-foundation-sdk/go v0.0.22
