package federation

import (
	"fmt"
	"os"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// RESTConfig loads the client configuration of a cluster: the kubeconfig file
// at path with an optional context, or, when path is empty, the in-cluster
// configuration of a pod's service account. It reads files only; nothing is
// contacted.
func RESTConfig(path, context string) (*rest.Config, error) {
	if path == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("no kubeconfig given and no in-cluster config: %w", err)
		}
		return cfg, nil
	}
	// Refuse devices and pipes: reading them could block or never end.
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("kubeconfig %s: not a regular file", path)
	}
	// Loaded without the deferred loader, which would fall back to the
	// in-cluster config for an empty file: a member must never silently
	// become the local cluster.
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, context, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if cfg.Host == "" {
		return nil, fmt.Errorf("kubeconfig %s: names no server", path)
	}
	// Certificate data that does not parse fails here, at load, not at
	// the first contact (SPEC 6.2).
	if _, err := rest.TLSConfigFor(cfg); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return cfg, nil
}

// NewMetadataClient returns a client of objects' metadata for cfg, named
// userAgent in the API's logs, asking for compressed responses or not.
func NewMetadataClient(cfg *rest.Config, userAgent string, compressed bool) (metadata.Interface, error) {
	cfg = watchConfig(cfg, userAgent, compressed)
	client, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	return client, nil
}

// NewClient returns a clientset for cfg, named userAgent in the API's logs,
// asking for compressed responses or not.
func NewClient(cfg *rest.Config, userAgent string, compressed bool) (kubernetes.Interface, error) {
	cfg = watchConfig(cfg, userAgent, compressed)
	// Protocol buffers, as CoreDNS's kubernetes plugin asks: a fraction of
	// JSON's size and decoding time, for the local cluster's Nodes above
	// all, which are read in full (SPEC 5.3).
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return client, nil
}

// watchConfig is cfg for the plugin's clients, named userAgent in the
// API's logs. Without compression, a watch holds no gzip reader (its 32
// KiB window and tables, while the API server compresses the stream: the
// list a watch starts with, and each relist); with it, large lists cross a
// WAN in a fraction of their size.
func watchConfig(cfg *rest.Config, userAgent string, compressed bool) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = userAgent
	cfg.DisableCompression = cfg.DisableCompression || !compressed // a kubeconfig's disable-compression stands
	return cfg
}

// NewDynamicClient returns a client of custom resources for cfg, named
// userAgent in the API's logs: the Multi-Cluster Services API's
// ServiceImports and ClusterProperties, whose specs answers read.
func NewDynamicClient(cfg *rest.Config, userAgent string) (dynamic.Interface, error) {
	client, err := dynamic.NewForConfig(watchConfig(cfg, userAgent, true))
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	return client, nil
}
