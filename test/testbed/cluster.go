package testbed

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Cluster is one simulated cluster: a kube-apiserver on loopback.
type Cluster struct {
	Name string
	// Kubeconfig is the path of an admin kubeconfig for this cluster.
	Kubeconfig string
	// Client is an admin client of this cluster.
	Client kubernetes.Interface

	port      int
	index     int // its place in the bed, which picks its service ranges
	dir       string
	certDir   string
	apiserver *proc
}

// SecondAPIServer starts another kube-apiserver for cluster c, on the same
// etcd data: a second front door to the same objects, through which the
// test bed can change them while c's own apiserver is down.
func (b *Bed) SecondAPIServer(c *Cluster) (*Cluster, error) {
	second, err := b.newCluster(c.Name+"-second", c.index)
	if err != nil {
		return nil, err
	}
	second.apiserver.args = append(second.apiserver.args, "--etcd-prefix=/registry-"+c.Name) // the last flag wins
	return second, second.Start()
}

// AddCluster starts one more cluster on the bed's etcd, called name, whose
// kube-apiserver is the one in binDir (another Kubernetes version than the
// bed's; "" for the bed's own) with extraArgs; the caller stops it.
func (b *Bed) AddCluster(name, binDir string, extraArgs ...string) (*Cluster, error) {
	if binDir == "" {
		binDir = b.bin
	}
	c, err := b.newClusterOf(name, len(b.Clusters), binDir)
	if err != nil {
		return nil, err
	}
	c.apiserver.args = append(c.apiserver.args, extraArgs...)
	if err := c.Start(); err != nil {
		c.Kill()
		return nil, err
	}
	return c, nil
}

func (b *Bed) newCluster(name string, index int) (*Cluster, error) {
	return b.newClusterOf(name, index, b.bin)
}

func (b *Bed) newClusterOf(name string, index int, binDir string) (*Cluster, error) {
	path, err := binary(binDir, "kube-apiserver")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(b.Dir, name)
	c := &Cluster{Name: name, port: port, index: index, dir: dir, certDir: filepath.Join(dir, "certs"), Kubeconfig: filepath.Join(dir, "kubeconfig")}
	if err := os.MkdirAll(c.certDir, 0o755); err != nil {
		return nil, err
	}
	audit, err := auditFlags(dir)
	if err != nil {
		return nil, err
	}
	// Distinct service ranges make each cluster's ClusterIPs its own.
	v4 := fmt.Sprintf("10.%d.0.0/16", 96+index)
	v6 := fmt.Sprintf("fd00:10:%x::/112", 0x96+index)
	c.apiserver = &proc{name: "kube-apiserver " + name, path: path, log: filepath.Join(dir, "apiserver.log"), args: []string{
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--etcd-servers=" + b.etcdURL(),
		"--etcd-prefix=/registry-" + name,
		"--cert-dir=" + c.certDir,
		"--service-cluster-ip-range=" + v4 + "," + v6,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(b.Dir, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(b.Dir, "sa.key"),
		"--token-auth-file=" + filepath.Join(b.Dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
	}}
	c.apiserver.args = append(c.apiserver.args, audit...)
	return c, nil
}

// Attach returns a cluster of a test bed started by another process, from
// the kubeconfig it wrote in dir.
func Attach(dir, name string) (*Cluster, error) {
	c := &Cluster{Name: name, Kubeconfig: filepath.Join(dir, name, "kubeconfig")}
	return c, c.connect()
}

// Server is the apiserver's URL.
func (c *Cluster) Server() string { return "https://127.0.0.1:" + strconv.Itoa(c.port) }

// Start starts the apiserver (again, after Stop) and waits for /readyz; on
// a running apiserver it does nothing.
func (c *Cluster) Start() error {
	if c.apiserver.running() {
		return nil
	}
	if err := c.apiserver.start(); err != nil {
		return err
	}
	caFile := filepath.Join(c.certDir, "apiserver.crt")
	err := waitFor(c.apiserver, 60*time.Second, func() error {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		req, _ := http.NewRequest(http.MethodGet, c.Server()+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+AdminToken)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.WriteKubeconfig(c.Kubeconfig, AdminToken); err != nil {
		return err
	}
	return c.connect()
}

// connect makes the admin client from the kubeconfig.
func (c *Cluster) connect() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return err
	}
	// The test bed drives the API hard (hundreds of flips); client-go's
	// default of 5 requests per second would dominate every measurement.
	cfg.QPS, cfg.Burst = 1000, 1000
	c.Client, err = kubernetes.NewForConfig(cfg)
	return err
}

// Stop stops the apiserver; with kill, abruptly (SIGKILL).
func (c *Cluster) Stop() { c.apiserver.stop(syscall.SIGTERM) }

// Kill stops the apiserver with SIGKILL, as a crash would.
func (c *Cluster) Kill() { c.apiserver.stop(syscall.SIGKILL) }

// WriteKubeconfig writes a kubeconfig for this cluster that authenticates
// with token.
func (c *Cluster) WriteKubeconfig(path, token string) error {
	return c.WriteKubeconfigVia(path, c.Server(), token)
}

// WriteKubeconfigVia writes a kubeconfig for this cluster reached at server
// (a proxy in front of it), authenticating with token.
func (c *Cluster) WriteKubeconfigVia(path, server, token string) error {
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority: %[3]s
users:
- name: %[1]s
  user:
    token: %[4]s
contexts:
- name: %[1]s
  context: {cluster: %[1]s, user: %[1]s}
current-context: %[1]s
`, c.Name, server, filepath.Join(c.certDir, "apiserver.crt"), token)
	return os.WriteFile(path, []byte(kc), 0o600)
}

// ctx bounds one API call of the test bed.
func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}
