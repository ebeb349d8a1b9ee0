// dashboard-check: strict-decodes Grafana dashboards with the Grafana Foundation SDK's types
// (generated from Grafana's own schema, Apache-2.0; Grafana itself is AGPL and not used here), so
// the test suite can tell an unknown field, a wrong type or a missing required field in
// deploy/grafana/*.json (issue #12). Panel options and Prometheus queries are checked through
// the SDK's plugin variants. Usage: dashboard-check FILE...; exit 1 with one line per problem.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// problem: the SDK returns its error list as an error even when the list is empty (a typed nil).
func problem(err error) bool {
	var list cog.BuildErrors
	if errors.As(err, &list) {
		return len(list) > 0
	}
	return err != nil
}

func main() {
	plugins.RegisterDefaultPlugins()
	failed := false
	for _, path := range os.Args[1:] {
		raw, err := os.ReadFile(path)
		if err != nil {
			fmt.Printf("%s: %v\n", path, err)
			failed = true
			continue
		}
		var d dashboard.Dashboard
		if err := d.UnmarshalJSONStrict(raw); problem(err) {
			fmt.Printf("%s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Printf("%s: ok (%d panels)\n", path, len(d.Panels))
	}
	if failed || len(os.Args) < 2 {
		os.Exit(1)
	}
}
