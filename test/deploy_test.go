//go:build e2e

package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/coredns/caddy/caddyfile"
	"github.com/federated-dns/federation/test/testbed"

	authv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestManifestsApply server-side applies every manifest of deploy/ to a real
// apiserver and reads back what it stored, so a broken manifest fails CI.
func TestManifestsApply(t *testing.T) {
	c := bed.Cluster("gce-us-east1")
	stored := map[string]*unstructured.Unstructured{}
	for _, m := range []string{"rbac.yaml", "rbac-exported.yaml", "rbac-clusterset.yaml", "member.yaml", "coredns.yaml"} {
		objs, err := c.Apply(filepath.Join("..", "deploy", m))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			stored[o.GetKind()+"/"+o.GetName()] = o
		}
	}
	for _, want := range []string{
		"ClusterRole/federation-dns", "ClusterRoleBinding/federation-dns", "ServiceAccount/federation-member",
		"ClusterRoleBinding/federation-member", "ServiceAccount/coredns", "ConfigMap/coredns",
		"ClusterRole/federation-dns-exported", "ClusterRoleBinding/federation-dns-exported",
		"ClusterRole/federation-dns-clusterset", "ClusterRoleBinding/federation-dns-clusterset",
		"Deployment/coredns", "Service/kube-dns",
	} {
		if stored[want] == nil {
			t.Errorf("Expected %s to be applied, got %v", want, keys(stored))
		}
	}
	// Read back: the Deployment gives the plugin its node, the ConfigMap has
	// the federation block.
	dep := stored["Deployment/coredns"]
	env, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if !strings.Contains(fmt.Sprint(env), "NODE_NAME") || !strings.Contains(fmt.Sprint(env), "spec.nodeName") {
		t.Errorf("Expected NODE_NAME from spec.nodeName in the Deployment, got %v", env)
	}
	corefile, _, _ := unstructured.NestedString(stored["ConfigMap/coredns"].Object, "data", "Corefile")
	blocks, err := caddyfile.Parse("Corefile", strings.NewReader(corefile), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 || !slices.Equal(blocks[0].Keys, []string{".:53"}) {
		t.Fatalf("Expected one .:53 server block, got %+v", blocks)
	}
	fed := make([]string, 0, len(blocks[0].Tokens["federation"]))
	for _, tok := range blocks[0].Tokens["federation"] {
		fed = append(fed, tok.Text)
	}
	if len(fed) < 9 || !slices.Equal(fed[:9], []string{"federation", "cluster.local", "example.com", "{", "myfederation", "example.com", "services", "selector", "federation.example.com/myfederation=true"}) {
		t.Errorf("Expected federation cluster.local example.com { myfederation example.com services selector ..., got %v", fed)
	}
	if blocks[0].Tokens["kubernetes"] == nil {
		t.Error("Expected the kubernetes plugin after federation")
	}

	var role rbacv1.ClusterRole
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(stored["ClusterRole/federation-dns"].Object, &role); err != nil {
		t.Fatal(err)
	}
	wantRules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"services", "nodes"}, Verbs: []string{"list", "watch"}},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
	}
	if !reflect.DeepEqual(role.Rules, wantRules) {
		t.Errorf("Expected exactly the rules %+v, got %+v", wantRules, role.Rules)
	}
}

// expectAccess asks the apiserver, by SubjectAccessReview, whether user may
// do verb on resource of group, and fails unless the answer is allowed.
func expectAccess(t *testing.T, c *testbed.Cluster, user, verb, group, resource string, allowed bool) {
	t.Helper()
	sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User:               user,
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
		ResourceAttributes: &authzv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource},
	}}
	got, err := c.Client.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), sar, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Allowed != allowed {
		t.Errorf("Expected %s %s %s.%s allowed=%v, got %v (%s)", user, verb, resource, group, allowed, got.Status.Allowed, got.Status.Reason)
	}
}

func keys(m map[string]*unstructured.Unstructured) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// serviceAccountKubeconfig creates ServiceAccount kube-system/name in cluster
// c, bound to the ClusterRoles roles, and writes a kubeconfig that
// authenticates with a token of it.
func serviceAccountKubeconfig(t *testing.T, c *testbed.Cluster, name string, roles ...string) string {
	t.Helper()
	cx := t.Context()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system"}}
	if _, err := c.Client.CoreV1().ServiceAccounts("kube-system").Create(cx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Client.CoreV1().ServiceAccounts("kube-system").Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	for _, role := range roles {
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name + "-" + role},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: "kube-system"}},
		}
		if _, err := c.Client.RbacV1().ClusterRoleBindings().Create(cx, binding, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = c.Client.RbacV1().ClusterRoleBindings().Delete(context.Background(), binding.Name, metav1.DeleteOptions{})
		})
	}
	expiry := int64(3600)
	tok, err := c.Client.CoreV1().ServiceAccounts("kube-system").CreateToken(cx, name, &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(path, tok.Status.Token); err != nil {
		t.Fatal(err)
	}
	return path
}

// startPluginOnly runs CoreDNS with the federation plugin alone on the local
// cluster (also a member) reached through kubeconfig; whoami follows it, so
// a SERVFAIL is the plugin's.
func startPluginOnly(t *testing.T, kubeconfig string) *server {
	t.Helper()
	return startWith(t, serverConfig{
		kubeconfig: kubeconfig, zones: "cluster.local example.com", block: []string{"member " + localCluster + " local"}, next: "whoami",
	})
}

// TestLeastPrivilege runs the plugin with a ServiceAccount token bound to
// exactly deploy/rbac.yaml's role, then with one that lacks a permission.
func TestLeastPrivilege(t *testing.T) {
	local := bed.Cluster(localCluster)
	if _, err := local.Apply("../deploy/rbac.yaml"); err != nil {
		t.Fatal(err)
	}
	least := serviceAccountKubeconfig(t, local, "federation-least", "federation-dns")
	// What the role allows, asked of the apiserver's own authorizer: list
	// and watch of the three resources, and nothing else.
	user := "system:serviceaccount:kube-system:federation-least"
	for _, r := range [][2]string{{"", "services"}, {"", "nodes"}, {"discovery.k8s.io", "endpointslices"}} {
		for _, verb := range []string{"list", "watch"} {
			expectAccess(t, local, user, verb, r[0], r[1], true)
		}
		for _, verb := range []string{"get", "create", "update", "patch", "delete", "deletecollection"} {
			expectAccess(t, local, user, verb, r[0], r[1], false)
		}
	}
	for _, r := range [][2]string{{"", "secrets"}, {"", "configmaps"}, {"", "pods"}, {"", "endpoints"}, {"", "*"}} {
		expectAccess(t, local, user, "list", r[0], r[1], false)
	}
	s := startPluginOnly(t, least)
	ip := clusterIP(t, localCluster, testbed.Service)
	s.expectDig(t, nginx, "A", want("NOERROR", nginx+" A "+ip))
	s.expectDig(t, zoneLevel, "A", want("NOERROR", ingresses(zoneLevel, localCluster)...))

	// Without nodes: the caches never sync; federated names get SERVFAIL,
	// the metric says so, the log says why, and CoreDNS keeps running.
	noNodes := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "federation-dns-no-nodes"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
		},
	}
	if _, err := local.Client.RbacV1().ClusterRoles().Create(t.Context(), noNodes, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = local.Client.RbacV1().ClusterRoles().Delete(context.Background(), noNodes.Name, metav1.DeleteOptions{})
	})
	limitedConfig := serviceAccountKubeconfig(t, local, "federation-limited", noNodes.Name)
	limited := startPluginOnly(t, limitedConfig)
	limited.expectDig(t, nginx, "A", want("SERVFAIL"))
	limited.expectMetric(t, "coredns_federation_cluster_synced", map[string]string{"cluster": "local"}, 0)
	eventually(t, "a logged reason", func() error {
		if l := limited.Log(); !strings.Contains(l, "plugin/federation: local cluster: API calls failing") || !strings.Contains(l, "forbidden") {
			return fmt.Errorf("log has no reason:\n%s", l)
		}
		return nil
	})
	if !limited.Running() {
		t.Fatal("CoreDNS exited")
	}
	// Tokens never appear in the log.
	for _, path := range []string{least, limitedConfig} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.SplitSeq(string(data), "\n") {
			if tok, ok := strings.CutPrefix(strings.TrimSpace(l), "token: "); ok && strings.Contains(limited.Log()+s.Log(), tok) {
				t.Error("A token appears in the log")
			}
		}
	}
}
