//go:build e2e

package test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/federated-dns/federation/test/testbed"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the server's /metrics as Prometheus does and returns the
// value of the series name{labels} (a histogram's sample count), or an
// error if there is no such series.
func (s *server) scrape(name string, labels map[string]string) (float64, error) {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + s.metrics + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, err
	}
	family, ok := families[name]
	if !ok {
		return 0, fmt.Errorf("no metric %s", name)
	}
	for _, m := range family.GetMetric() {
		if hasLabels(m, labels) {
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), nil
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), nil
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount()), nil
			}
		}
	}
	return 0, fmt.Errorf("no series %s%v", name, labels)
}

func hasLabels(m *dto.Metric, labels map[string]string) bool {
	found := 0
	for _, l := range m.GetLabel() {
		if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
			found++
		}
	}
	return found == len(labels)
}

func (s *server) expectMetric(t *testing.T, name string, labels map[string]string, want float64) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s%v", name, labels), func() error {
		got, err := s.scrape(name, labels)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("got %v, want %v", got, want)
		}
		return nil
	})
}

func TestMetricsFollowAnswers(t *testing.T) {
	s := localServer(t)
	restoreNginx(t)
	s.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "local"}, 1)

	level := func(l string) map[string]string {
		return map[string]string{"server": "dns://" + s.Host() + ":53", "federation": "myfederation", "level": l}
	}
	ip := clusterIP(t, localCluster, testbed.Service)
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+ip)) // one question over UDP, one over TCP
	s.expectMetric(t, "coredns_federation_resolutions_total", level("local"), 2)

	if err := bed.Cluster(localCluster).SetEndpoints(testbed.Service, localZone, 0, true); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, nginx, "A", failover)
	zone, err := s.scrape("coredns_federation_resolutions_total", level("zone"))
	if err != nil || zone < 2 {
		t.Errorf("Expected at least 2 answers at the zone level, got %v %v", zone, err)
	}
	// Not-federated names are not counted.
	before, _ := s.scrape("coredns_federation_resolutions_total", level("local"))
	if _, err := s.dig("udp", "nginx.mynamespace.svc.cluster.local.", "A"); err != nil {
		t.Fatal(err)
	}
	s.expectMetric(t, "coredns_federation_resolutions_total", level("local"), before)
}
