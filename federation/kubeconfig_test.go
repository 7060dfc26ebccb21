package federation

import (
	"testing"

	"k8s.io/client-go/rest"
)

// TestWatchConfig: the plugin's clients name themselves and ask for
// compressed responses or not, without changing the configuration they
// are made from.
func TestWatchConfig(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:6443", UserAgent: "kubectl"}
	got := watchConfig(cfg, "coredns-federation/local", false)
	if got.UserAgent != "coredns-federation/local" || !got.DisableCompression {
		t.Errorf("Expected the user agent and no compression, got %q, %v", got.UserAgent, got.DisableCompression)
	}
	if got := watchConfig(cfg, "coredns-federation/local", true); got.DisableCompression {
		t.Error("Expected compression")
	}
	if cfg.UserAgent != "kubectl" || cfg.DisableCompression {
		t.Errorf("Expected the given configuration unchanged, got %q, %v", cfg.UserAgent, cfg.DisableCompression)
	}
	cfg.DisableCompression = true // the kubeconfig's disable-compression
	if got := watchConfig(cfg, "coredns-federation/local", true); !got.DisableCompression {
		t.Error("Expected the kubeconfig's disable-compression to stand")
	}
}
