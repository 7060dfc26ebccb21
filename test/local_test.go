//go:build e2e

package test

import (
	"testing"

	"github.com/federated-dns/federation/test/testbed"

	corev1 "k8s.io/api/core/v1"
)

func clusterIP(t *testing.T, cluster, svc string) string {
	t.Helper()
	ip, err := bed.Cluster(cluster).ClusterIP(svc)
	if err != nil {
		t.Fatal(err)
	}
	return ip
}

// failover is the answer while the local nginx shard is unhealthy: the CNAME
// to the local zone level, chased into the federation zone.
var failover = want("NOERROR", nginx+" CNAME "+nginxZone, nginxZone+" A "+remoteIP)

func TestLocalHealthy(t *testing.T) {
	s := localServer(t)
	ip := clusterIP(t, localCluster, testbed.Service)
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+ip))
	// The case of the question is kept.
	mixed := "Nginx.MyNamespace.MyFederation.svc.Cluster.Local."
	s.expectDig(t, mixed, "A", want("NOERROR", mixed+" A "+ip))
	// The seeded service is single-stack: AAAA is NODATA, MX too.
	s.expectDig(t, nginx, "AAAA", want("NOERROR").withSOA("cluster.local."))
	s.expectDig(t, nginx, "MX", want("NOERROR").withSOA("cluster.local."))
	// Ordinary names still go to the kubernetes plugin.
	s.expectDig(t, "nginx.mynamespace.svc.cluster.local.", "A", want("NOERROR", "nginx.mynamespace.svc.cluster.local. A "+ip))
	// And so do federated names of federations that are not configured.
	s.expectDig(t, "nginx.mynamespace.otherfed.svc.cluster.local.", "A", want("NXDOMAIN").withSOA("cluster.local."))
}

func TestScaledToZero(t *testing.T) {
	s := localServer(t)
	restoreNginx(t)
	local := bed.Cluster(localCluster)
	if err := local.SetEndpoints(testbed.Service, localZone, 0, true); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, nginx, "A", failover)
	s.expectDig(t, nginx, "CNAME", want("NOERROR", nginx+" CNAME "+nginxZone))
	s.expectDig(t, nginx, "AAAA", want("NOERROR", nginx+" CNAME "+nginxZone).withSOA("example.com."))

	if err := local.SetEndpoints(testbed.Service, localZone, 2, true); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+clusterIP(t, localCluster, testbed.Service)))
}

func TestEndpointsNotReady(t *testing.T) {
	s := localServer(t)
	restoreNginx(t)
	if err := bed.Cluster(localCluster).SetEndpoints(testbed.Service, localZone, 2, false); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, nginx, "A", failover)
}

func TestServiceDeletedAndRecreated(t *testing.T) {
	s := localServer(t)
	local := bed.Cluster(localCluster)
	if err := local.DeleteService(testbed.Service); err != nil {
		t.Fatal(err)
	}
	seeded := map[string]string{testbed.SelectorLabel: "true"} // as the seed made it: selected
	t.Cleanup(func() {
		if _, err := local.ClusterIP(testbed.Service); err != nil {
			_ = local.CreateLabelledService(testbed.Service, corev1.ServiceTypeLoadBalancer, seeded)
		}
		_ = local.SetIngress(testbed.Service, testbed.SeedFederation[2].Ingress)
	})
	// The EndpointSlice is still there, naming a service that is gone.
	s.expectDig(t, nginx, "A", failover)

	if err := local.CreateLabelledService(testbed.Service, corev1.ServiceTypeLoadBalancer, seeded); err != nil {
		t.Fatal(err)
	}
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+clusterIP(t, localCluster, testbed.Service)))
}

func TestNodeZoneLabelChanged(t *testing.T) {
	s := localServer(t)
	local := bed.Cluster(localCluster)
	ghost := "ghost.mynamespace.myfederation.svc.cluster.local."
	target := func(zone string) string {
		return "ghost.mynamespace.myfederation.svc." + zone + ".us-central1.example.com."
	}
	s.expectDig(t, ghost, "CNAME", want("NOERROR", ghost+" CNAME "+target(localZone)))

	if err := local.SetNodeLabel("topology.kubernetes.io/zone", "us-central1-c"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.SetNodeLabel("topology.kubernetes.io/zone", localZone) })
	s.expectDig(t, ghost, "A", want("NOERROR", ghost+" CNAME "+target("us-central1-c"), target("us-central1-c")+" A 203.0.113.42"))
}

func TestGlibcResolver(t *testing.T) {
	s := localServer(t)
	restoreNginx(t)
	// A pod in mynamespace asks for the federated name; its search path
	// completes it to nginx.mynamespace.myfederation.svc.cluster.local.
	s.expectGetent(t, "nginx.mynamespace.myfederation", clusterIP(t, localCluster, testbed.Service))

	if err := bed.Cluster(localCluster).SetEndpoints(testbed.Service, localZone, 0, true); err != nil {
		t.Fatal(err)
	}
	s.expectGetent(t, "nginx.mynamespace.myfederation", remoteIP)
}
