package testbed

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// AdminToken authenticates as a cluster admin on every test-bed apiserver.
const AdminToken = "testbed-admin-token"

// Bed is a set of clusters sharing one etcd, each apiserver with its own
// etcd prefix.
type Bed struct {
	Dir      string
	Clusters []*Cluster

	bin  string
	etcd *proc
}

// Start starts etcd and one apiserver per name, all in parallel, and returns
// when every apiserver is ready. binDir holds kube-apiserver and etcd; dir
// receives logs, certificates and kubeconfigs.
func Start(binDir, dir string, names ...string) (*Bed, error) {
	b := &Bed{Dir: dir, bin: binDir}
	if err := b.startEtcd(); err != nil {
		return nil, err
	}
	if err := b.writeCredentials(); err != nil {
		b.Stop()
		return nil, err
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		c, err := b.newCluster(name, i)
		if err != nil {
			b.Stop()
			return nil, err
		}
		b.Clusters = append(b.Clusters, c)
		wg.Go(func() { errs[i] = c.Start() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Stop()
		return nil, err
	}
	return b, nil
}

// Cluster returns the cluster called name, or nil.
func (b *Bed) Cluster(name string) *Cluster {
	for _, c := range b.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Stop stops every apiserver and etcd.
func (b *Bed) Stop() {
	for _, c := range b.Clusters {
		c.Stop()
	}
	if b.etcd != nil {
		b.etcd.stop(syscall.SIGTERM)
	}
}

// KillEtcd stops etcd with SIGKILL, as a crash would; every apiserver
// loses its storage.
func (b *Bed) KillEtcd() { b.etcd.stop(syscall.SIGKILL) }

// RestartEtcd starts etcd again on its data and waits for it to be healthy.
func (b *Bed) RestartEtcd() error {
	if err := b.etcd.start(); err != nil {
		return err
	}
	return b.waitEtcd()
}

func (b *Bed) startEtcd() error {
	path, err := binary(b.bin, "etcd")
	if err != nil {
		return err
	}
	client, err := FreePort()
	if err != nil {
		return err
	}
	peer, err := FreePort()
	if err != nil {
		return err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(client)
	b.etcd = &proc{name: "etcd", path: path, log: filepath.Join(b.Dir, "etcd.log"), args: []string{
		"--data-dir", filepath.Join(b.Dir, "etcd"),
		"--listen-client-urls", url, "--advertise-client-urls", url,
		"--listen-peer-urls", "http://127.0.0.1:" + strconv.Itoa(peer),
		"--initial-advertise-peer-urls", "http://127.0.0.1:" + strconv.Itoa(peer),
		"--initial-cluster", "default=http://127.0.0.1:" + strconv.Itoa(peer),
		"--unsafe-no-fsync", "--quota-backend-bytes", strconv.Itoa(4 << 30),
	}}
	if err := b.etcd.start(); err != nil {
		return err
	}
	return b.waitEtcd()
}

func (b *Bed) waitEtcd() error {
	return waitFor(b.etcd, 30*time.Second, func() error {
		resp, err := http.Get(b.etcdURL() + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("etcd health: %s", resp.Status)
		}
		return nil
	})
}

// CompactEtcd compacts etcd's history up to its current revision, as etcd
// does periodically: a watch that resumes from an older revision then gets
// 410 Gone and must relist.
func (b *Bed) CompactEtcd() error {
	post := func(path, body string) (map[string]any, error) {
		resp, err := http.Post(b.etcdURL()+path, "application/json", strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("etcd %s: %s %v", path, resp.Status, out)
		}
		return out, nil
	}
	out, err := post("/v3/kv/range", `{"key":"AA=="}`) // any read carries the current revision
	if err != nil {
		return err
	}
	header, _ := out["header"].(map[string]any)
	rev, _ := header["revision"].(string)
	if rev == "" {
		return fmt.Errorf("etcd: no revision in %v", out)
	}
	_, err = post("/v3/kv/compaction", `{"revision":"`+rev+`","physical":true}`)
	return err
}

func (b *Bed) etcdURL() string {
	for i, a := range b.etcd.args {
		if a == "--listen-client-urls" {
			return b.etcd.args[i+1]
		}
	}
	return ""
}

// writeCredentials writes the service-account key pair and the token file
// every apiserver shares.
func (b *Bed) writeCredentials() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"sa.key":     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		"sa.pub":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
		"tokens.csv": []byte(AdminToken + ",admin,admin-uid,system:masters\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(b.Dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
