package federation

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// The Multi-Cluster Services API's resources that the clusterset names
// read (SPEC 12), each in the first version a cluster serves.
var (
	ServiceImports     = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1alpha1", Resource: "serviceimports"}
	ServiceImportsBeta = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1beta1", Resource: "serviceimports"}
	ClusterProperties  = schema.GroupVersionResource{Group: "about.k8s.io", Version: "v1alpha1", Resource: "clusterproperties"}
)

// ClusterIDProperty is the ClusterProperty that holds a cluster's id
// (KEP-2149).
const ClusterIDProperty = "id.k8s.io"

// Import is a local ServiceImport: the ClusterSetIPs and ports an MCS
// data plane gives a Service (SPEC 12).
type Import struct {
	IPs   []netip.Addr
	Ports []Port
}

// imported is a cached ServiceImport.
type imported struct {
	objectMeta
	Import
}

// DeepCopyObject implements runtime.Object.
func (i *imported) DeepCopyObject() runtime.Object {
	c := *i
	c.IPs, c.Ports = slices.Clone(i.IPs), slices.Clone(i.Ports)
	return &c
}

// property is a cached ClusterProperty: its value.
type property struct {
	objectMeta
	value string
}

// DeepCopyObject implements runtime.Object.
func (p *property) DeepCopyObject() runtime.Object { c := *p; return &c }

// toImport keeps of a ServiceImport its IPs and ports.
func toImport(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	i := &imported{objectMeta: newObjectMeta(u)}
	ips, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "ips")
	for _, s := range ips {
		if ip, err := netip.ParseAddr(s); err == nil && !slices.Contains(i.IPs, ip.Unmap()) {
			i.IPs = append(i.IPs, ip.Unmap())
		}
	}
	ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "ports")
	for _, p := range ports {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		name, _, _ := unstructured.NestedString(m, "name")
		proto, _, _ := unstructured.NestedString(m, "protocol")
		port, _, _ := unstructured.NestedInt64(m, "port")
		if port > 0 && port <= 65535 {
			i.Ports = addPort(i.Ports, name, proto, int32(port))
		}
	}
	return i, nil
}

// toProperty keeps of a ClusterProperty its value.
func toProperty(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	v, _, _ := unstructured.NestedString(u.Object, "spec", "value")
	return &property{objectMeta: newObjectMeta(u), value: v}, nil
}

// dynamicVersions reads the versions of a resource in full.
func dynamicVersions(client dynamic.Interface, gvrs ...schema.GroupVersionResource) []versionAPI {
	apis := make([]versionAPI, 0, len(gvrs))
	for _, gvr := range gvrs {
		api := client.Resource(gvr)
		apis = append(apis, versionAPI{
			list:  func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return api.List(ctx, o) },
			watch: api.Watch,
		})
	}
	return apis
}

// watchClusterset starts the caches of what the clusterset names read
// beyond ServiceExports: the cluster's id, and with imports its
// ServiceImports.
func (c *Cluster) watchClusterset(client dynamic.Interface, imports bool) {
	byName := fields.OneTermEqualSelector(metav1.ObjectNameField, ClusterIDProperty).String()
	c.properties = c.informerOf(&c.optional, "clusterproperties", &unstructured.Unstructured{}, toProperty, nil, optionalListWatch(c.name, optional{
		resource: "clusterproperties", kind: "ClusterProperty", rbac: "deploy/rbac-clusterset.yaml", without: "its cluster id is its name in the Corefile",
		versions: dynamicVersions(client, ClusterProperties),
	}, &c.optional, func(o *metav1.ListOptions) { o.FieldSelector = byName }))
	if imports {
		c.imports = c.informerOf(&c.optional, "serviceimports", &unstructured.Unstructured{}, toImport, nil, optionalListWatch(c.name, optional{
			resource: "serviceimports", kind: "ServiceImport", rbac: "deploy/rbac-clusterset.yaml", without: "clusterset names answer as federated names",
			versions: dynamicVersions(client, ServiceImports, ServiceImportsBeta),
		}, &c.optional, nil))
	}
}

// ID returns the cluster's id from its id.k8s.io ClusterProperty (SPEC
// 12), "" when it has none that is one or two DNS labels.
func (c *Cluster) ID() string {
	if c.properties == nil {
		return ""
	}
	obj, ok, err := c.properties.GetIndexer().GetByKey(ClusterIDProperty)
	if err != nil || !ok {
		return ""
	}
	if p, _ := obj.(*property); p != nil && ValidClusterID(p.value) {
		return strings.ToLower(p.value)
	}
	return ""
}

// ValidClusterID reports whether id can name a cluster in clusterset
// names: one or two DNS-1123 labels.
func ValidClusterID(id string) bool {
	labels := strings.Split(strings.ToLower(id), ".")
	if len(labels) > 2 {
		return false
	}
	for _, l := range labels {
		if !IsDNS1123Label(l) {
			return false
		}
	}
	return true
}

// Import returns the cluster's ServiceImport namespace/name, and whether
// it has one.
func (c *Cluster) Import(namespace, name string) (Import, bool) {
	if c.imports == nil {
		return Import{}, false
	}
	obj, ok, err := c.imports.GetIndexer().GetByKey(namespace + "/" + name)
	if err != nil || !ok {
		return Import{}, false
	}
	i, ok := obj.(*imported)
	if !ok {
		return Import{}, false
	}
	return i.Import, true
}

// hasExport reports whether the cluster has a ServiceExport of
// namespace/name; false when it does not read them.
func (c *Cluster) hasExport(namespace, name string) bool {
	if c.exports == nil {
		return false
	}
	_, ok, err := c.exports.GetIndexer().GetByKey(namespace + "/" + name)
	return err == nil && ok
}
