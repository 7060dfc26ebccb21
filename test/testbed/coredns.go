package testbed

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// CoreDNS is a running bin/coredns.
type CoreDNS struct {
	// Addr is the DNS address, host:port.
	Addr string
	proc *proc
}

// StartCoreDNS writes corefile into dir and runs the binary at path on it,
// returning once it answers on addr.
func StartCoreDNS(path, dir, addr, corefile string) (*CoreDNS, error) {
	conf := filepath.Join(dir, "Corefile")
	if err := os.WriteFile(conf, []byte(corefile), 0o644); err != nil {
		return nil, err
	}
	p := &proc{name: "coredns", path: path, log: filepath.Join(dir, "coredns.log"), args: []string{"-conf", conf}}
	if err := p.start(); err != nil {
		return nil, err
	}
	c := &CoreDNS{Addr: addr, proc: p}
	err := waitFor(p, 30*time.Second, func() error {
		m := new(dns.Msg)
		m.SetQuestion("listening.invalid.", dns.TypeA)
		_, _, err := (&dns.Client{Timeout: 200 * time.Millisecond}).Exchange(m, addr)
		return err
	})
	if err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Stop stops CoreDNS and waits for it to exit.
func (c *CoreDNS) Stop() { c.proc.stop(syscall.SIGTERM) }

// Reload asks CoreDNS to reload its Corefile (SIGUSR1).
func (c *CoreDNS) Reload() error { return c.proc.cmd.Process.Signal(syscall.SIGUSR1) }

// Running reports whether the process is alive.
func (c *CoreDNS) Running() bool { return c.proc.running() }

// Log returns the end of CoreDNS's output.
func (c *CoreDNS) Log() string { return c.proc.tail() }

// Host is the IP address CoreDNS listens on.
func (c *CoreDNS) Host() string {
	h, _, _ := net.SplitHostPort(c.Addr)
	return h
}

// Exchange asks CoreDNS one question over net ("udp" or "tcp").
func (c *CoreDNS) Exchange(net, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	r, _, err := (&dns.Client{Net: net, Timeout: 2 * time.Second}).Exchange(m, c.Addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s over %s: %w", name, dns.TypeToString[qtype], net, err)
	}
	return r, nil
}

// Pid is the CoreDNS process's id.
func (c *CoreDNS) Pid() int { return c.proc.cmd.Process.Pid }

// ConfPath is the path of the Corefile CoreDNS serves; rewrite it and call
// Reload to change it.
func (c *CoreDNS) ConfPath() string { return c.proc.args[1] }
