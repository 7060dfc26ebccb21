//go:build e2e

package test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDashboardMetricsExist checks that every metric the Grafana dashboard
// queries is on a live /metrics scrape of a server that has answered.
func TestDashboardMetricsExist(t *testing.T) {
	data, err := os.ReadFile("../deploy/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	s := startFederationServer(t, "30s")
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+clusterIP(t, localCluster, "nginx")))
	metric := regexp.MustCompile(`\bcoredns_[a-z_]+`)
	seen := 0
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			for _, name := range metric.FindAllString(target.Expr, -1) {
				family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
				if _, err := s.scrape(family, nil); err != nil {
					t.Errorf("Panel %q queries %s: %v", p.Title, name, err)
				}
				seen++
			}
		}
	}
	if seen < 5 {
		t.Errorf("Expected the dashboard to query at least 5 metrics, found %d", seen)
	}
}
