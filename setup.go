// Package federation registers the federation plugin with CoreDNS and parses
// its Corefile block. The handler lives in plugin/, the domain (names,
// topology, shard health, cluster watchers) in federation/.
package federation

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	coreplugin "github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/coredns/coredns/plugin/pkg/transport"
	"github.com/coredns/coredns/plugin/pkg/upstream"
	"github.com/coredns/coredns/plugin/transfer"
	fed "github.com/federated-dns/federation/federation"
	fedplugin "github.com/federated-dns/federation/plugin"

	"github.com/miekg/dns"
)

const pluginName = fedplugin.PluginName

var log = clog.NewWithPlugin(pluginName)

func init() { coreplugin.Register(pluginName, setup) }

// startupTimeout bounds how long startup waits for the local caches; after it
// the server starts anyway and federated names get SERVFAIL until they sync.
const startupTimeout = 5 * time.Second

func setup(c *caddy.Controller) error {
	cfg, err := parse(c)
	if err != nil {
		return coreplugin.Error(pluginName, err)
	}
	watchers, err := cfg.newWatchers()
	if err != nil {
		return coreplugin.Error(pluginName, err)
	}
	if len(watchers.Members) > 0 {
		if addr, ok := serverAddress(dnsserver.GetConfig(c)); ok {
			watchers.Hostnames = fedplugin.NewHostnames(fedplugin.ServerLookup(addr))
		}
	}
	f := fedplugin.New(cfg.answers, watchers, upstream.New())

	c.OnStartup(func() error {
		zones := append(slices.Clone(cfg.answers.Zones), cfg.answers.Authority...)
		if z := cfg.answers.Clusterset.Zone; z != "" {
			zones = append(zones, z)
		}
		if z, ahead := cacheAhead(dnsserver.GetConfig(c), dnsserver.Directives, zones); ahead {
			return coreplugin.Error(pluginName, errAt(c, cfg.line, fmt.Sprintf("cache comes before federation in this build's plugin chain and would hold its answers for %s up to their TTL, delaying every failover: build with federation before cache (cmd/coredns does), or exclude the zone from it (disable success %s and disable denial %s in the cache block)", z, z, z)))
		}
		if z, behind := dnssecBehind(dnsserver.GetConfig(c).Handler, dnsserver.Directives, zones); behind {
			return coreplugin.Error(pluginName, errAt(c, cfg.line, fmt.Sprintf("dnssec comes after federation in this build's plugin chain and would leave its answers for %s unsigned: build with dnssec before federation (cmd/coredns does)", z)))
		}
		var notifier fedplugin.Notifier
		if t, ok := dnsserver.GetConfig(c).Handler("transfer").(*transfer.Transfer); ok && t != nil {
			notifier = t
		}
		f.SetTransfer(notifier, listenAddrs(dnsserver.GetConfig(c)))
		f.Start()
		if !f.WaitForSync(startupTimeout) {
			log.Warning("starting server with unsynced Kubernetes API")
		}
		return nil
	})
	c.OnShutdown(func() error {
		f.Stop()
		return nil
	})

	dnsserver.GetConfig(c).AddPlugin(func(next coreplugin.Handler) coreplugin.Handler {
		f.Next = next
		return f
	})
	return nil
}

// listenAddrs are the addresses the server block listens on; none when
// it listens on every address (or names an interface), whose name server
// is then this host's addresses (SPEC 4.4).
func listenAddrs(cfg *dnsserver.Config) []netip.Addr {
	var addrs []netip.Addr
	for _, h := range cfg.ListenHosts {
		ip, err := netip.ParseAddr(h)
		if err != nil || ip.IsUnspecified() {
			return nil
		}
		addrs = append(addrs, ip.Unmap())
	}
	return addrs
}

// serverAddress is where this server block answers plain DNS on this host,
// for resolving ingress hostnames through the server itself; false for
// blocks of other transports (tls://, https://, grpc://).
func serverAddress(cfg *dnsserver.Config) (string, bool) {
	if cfg.Transport != transport.DNS {
		return "", false
	}
	host := "127.0.0.1"
	if len(cfg.ListenHosts) > 0 && cfg.ListenHosts[0] != "" {
		host = cfg.ListenHosts[0]
		if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
			host = "127.0.0.1"
			if ip.Is6() {
				host = "::1"
			}
		}
	}
	return net.JoinHostPort(host, cfg.Port), true
}

func parse(c *caddy.Controller) (*config, error) {
	var cfg *config
	for i := 0; c.Next(); i++ {
		if i > 0 {
			return nil, coreplugin.ErrOnce
		}
		var err error
		if cfg, err = parseBlock(c); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func parseBlock(c *caddy.Controller) (*config, error) {
	cfg := &config{
		answers: fedplugin.Config{TTL: fedplugin.DefaultTTL, Federations: map[string]string{}, Node: os.Getenv("NODE_NAME")},
		grace:   30 * time.Second,
	}
	f := &cfg.answers
	pluginLine := c.Line()
	cfg.line = pluginLine
	zones := coreplugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), c.ServerBlockKeys)
	domainLines := map[string]int{} // the line of each federation

	seen := map[string]bool{}
	for c.NextBlock() {
		prop := c.Val()
		args := c.RemainingArgs()
		if once[prop] {
			if seen[prop] {
				return nil, c.Errf("property '%s' is given twice", prop)
			}
			seen[prop] = true
		}
		var err error
		switch prop {
		case "kubeconfig":
			if len(args) != 1 && len(args) != 2 {
				return nil, c.ArgErr()
			}
			if cfg.local, err = loadCluster(args); err != nil {
				return nil, propertyErr(c, prop, args, err)
			}
		case "member":
			if len(args) != 2 && len(args) != 3 {
				return nil, c.ArgErr()
			}
			if err := cfg.addMember(args, c.Line()); err != nil {
				return nil, c.Errf("member %s: %v", args[0], err)
			}
		case "node":
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			f.Node = args[0]
		case "zone", "region":
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			v := strings.ToLower(args[0])
			if !fed.IsDNS1123Label(v) {
				return nil, propertyErr(c, prop, args, fmt.Errorf("%q is not a DNS label", args[0]))
			}
			if prop == "zone" {
				f.Topology.Zone = v
			} else {
				f.Topology.Region = v
			}
		case "ttl":
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			t, err := strconv.Atoi(args[0])
			if err != nil || t < 0 || t > 3600 {
				return nil, propertyErr(c, prop, args, fmt.Errorf("ttl must be an integer in range [0, 3600]: %s", args[0]))
			}
			f.TTL = uint32(t)
		case "grace":
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			d, err := time.ParseDuration(args[0])
			if err != nil || d < 0 || d > time.Hour {
				return nil, propertyErr(c, prop, args, fmt.Errorf("grace must be a duration in range [0s, 1h]: %s", args[0]))
			}
			cfg.grace = d
		case "services":
			if err := cfg.parseServices(args); err != nil {
				return nil, c.Errf("services: %v", err)
			}
		case "explain":
			if len(args) != 0 {
				return nil, c.ArgErr()
			}
			f.Explain = true
		case "fallthrough":
			f.Fall.SetZonesFromArgs(args)
		case "clusterset":
			if len(args) != 1 && len(args) != 2 {
				return nil, c.ArgErr()
			}
			cfg.clusterset, cfg.clustersetLine = args, c.Line()
		default: // any other word starts a federation line: NAME DOMAIN
			if err := addFederation(f, prop, args); err != nil {
				return nil, c.Err(err.Error())
			}
			domainLines[prop] = c.Line()
		}
	}

	if len(f.Federations) == 0 {
		return nil, c.Err("no federation given: add a line NAME DOMAIN")
	}
	f.Zones, f.Authority = splitZones(zones, f.Federations)
	if z, name := checkZones(f.Zones, f.Federations); z != "" {
		if name == "" {
			return nil, errAt(c, pluginLine, "the root zone cannot be a cluster zone: list the zones, e.g. 'federation cluster.local example.com'")
		}
		return nil, errAt(c, domainLines[name], fmt.Sprintf("federation %s: domain %s overlaps the cluster zone %s", name, f.Federations[name], z))
	}
	if cfg.clusterset != nil {
		if err := cfg.setClusterset(); err != nil {
			return nil, errAt(c, cfg.clustersetLine, "clusterset: "+err.Error())
		}
	}
	if len(cfg.members) == 0 && len(f.Authority) > 0 {
		return nil, errAt(c, pluginLine, f.Authority[0]+" is among the ZONES as a federation DOMAIN, but no member is listed: the zone cannot be served; add member lines or leave it out of the ZONES")
	}
	if len(cfg.members) == 0 {
		f.Authority = nil // without members, the federation zone's shards are unknown
	}
	if m, twice := cfg.twiceLocal(); twice {
		return nil, errAt(c, m.line, fmt.Sprintf("member %s reaches the local cluster, which is a member already (member ... local): its shards would count twice", m.name))
	}
	if cfg.local.rest == nil {
		var err error
		if cfg.local, err = loadCluster(nil); err != nil {
			return nil, c.Err(err.Error())
		}
	}
	return cfg, nil
}

// addFederation adds the federation line NAME DOMAIN.
func addFederation(f *fedplugin.Config, name string, args []string) error {
	if name == "upstream" {
		return errors.New("unknown property 'upstream': CNAMEs are always chased now; remove the line")
	}
	if len(args) != 1 {
		return fmt.Errorf("unknown property '%s' (a federation is declared as NAME DOMAIN)", name)
	}
	if !fed.IsDNS1123Label(name) {
		return fmt.Errorf("federation name %q is not a DNS-1123 label (lower-case letters, digits and '-', at most 63)", name)
	}
	domain, err := federationDomain(args[0])
	if err != nil {
		return fmt.Errorf("federation %s: %w", name, err)
	}
	if dns.IsSubDomain(clusterDomain, domain) {
		return fmt.Errorf("federation %s: domain %s lies in Kubernetes' cluster zone %s: a federation's names need a domain of their own", name, strings.TrimSuffix(domain, "."), clusterDomain)
	}
	if _, dup := f.Federations[name]; dup {
		return fmt.Errorf("federation %s is declared twice", name)
	}
	f.Federations[name] = domain
	return nil
}

// federationDomain checks that s is a hostname of at least two DNS-1123
// labels and returns it lower-case and fully qualified.
func federationDomain(s string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(s), ".")
	labels := strings.Split(d, ".")
	// Its SOA's mailbox, hostmaster.<domain>, must fit 255 octets too.
	if len(labels) < 2 || len(d) > fedplugin.MaxNameLength-len("hostmaster..") {
		return "", fmt.Errorf("domain %q is not a hostname of at least two labels, at most 242 characters", s)
	}
	for _, l := range labels {
		if !fed.IsDNS1123Label(l) {
			return "", fmt.Errorf("domain %q is not a hostname: label %q is not a DNS-1123 label", s, l)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", fmt.Errorf("domain %q is not a hostname: its last label is all digits (an address?)", s)
	}
	return d + ".", nil
}

// clusterDomain is the cluster zone of Kubernetes' default cluster
// domain: a federation DOMAIN equal to or under it would take in-cluster
// names from the kubernetes plugin, members or not (SPEC 6.2).
const clusterDomain = "cluster.local."

// once lists the properties that may be given once only.
var once = map[string]bool{
	"kubeconfig": true, "node": true, "zone": true, "region": true,
	"ttl": true, "grace": true, "explain": true, "fallthrough": true, "services": true,
	"clusterset": true,
}

// clustersetZone is the zone of the clusterset names by default (SPEC 12).
const clustersetZone = "clusterset.local."

// setClusterset checks clusterset NAME [ZONE] against the federations and
// the plugin's zones, and takes ZONE out of the cluster zones: its names
// are the clusterset's, not federated names (SPEC 12).
func (cfg *config) setClusterset() error {
	f := &cfg.answers
	name, zone := cfg.clusterset[0], clustersetZone
	if len(cfg.clusterset) == 2 {
		zone = dns.Fqdn(strings.ToLower(cfg.clusterset[1]))
	}
	if _, ok := f.Federations[name]; !ok {
		return fmt.Errorf("no federation is called %q", name)
	}
	for _, z := range append([]string{clusterDomain}, f.Zones...) {
		if (z != zone || z == clusterDomain) && (dns.IsSubDomain(zone, z) || dns.IsSubDomain(z, zone)) {
			return fmt.Errorf("zone %s overlaps the cluster zone %s, whose answers the clusterset names must not change", zone, z)
		}
	}
	if !slices.Contains(f.Zones, zone) {
		return fmt.Errorf("zone %s is not among the plugin's zones (%s): add it to the federation line or the server block", zone, strings.Join(append(f.Zones, f.Authority...), " "))
	}
	f.Zones = slices.DeleteFunc(f.Zones, func(z string) bool { return z == zone })
	f.Clusterset = fedplugin.Clusterset{Federation: name, Zone: zone}
	return nil
}

// checkZones finds cluster zones that would make the plugin inert or send
// another plugin's names to the federation zone: the root zone (returned
// with no federation), or a zone that a federation's domain is under or
// above (returned with that federation, the first by name).
func checkZones(cluster []string, federations map[string]string) (zone, federation string) {
	names := slices.Sorted(maps.Keys(federations))
	for _, z := range cluster {
		if z == "." {
			return z, ""
		}
		for _, name := range names {
			if d := federations[name]; dns.IsSubDomain(z, d) || dns.IsSubDomain(d, z) {
				return z, name
			}
		}
	}
	return "", ""
}

// errAt is c.Err for the given line of the Corefile, for a mistake found
// once the whole block has been read.
func errAt(c *caddy.Controller, line int, msg string) error {
	return fmt.Errorf("%s:%d - Error during parsing: %s", c.File(), line, msg)
}

// propertyErr reports a bad property value. When the line reads like a
// federation named after a property keyword (ttl example.com), it says so.
func propertyErr(c *caddy.Controller, prop string, args []string, err error) error {
	if len(args) == 1 {
		if _, derr := federationDomain(args[0]); derr == nil {
			return c.Errf("%s: %v; '%s' is a property keyword and cannot name a federation", prop, err, prop)
		}
	}
	return c.Errf("%s: %v", prop, err)
}

// splitZones splits ZONES into cluster zones, which hold in-cluster federated
// names, and federation domains, answered as the federation zone.
func splitZones(zones []string, federations map[string]string) (cluster, domains []string) {
	for _, z := range zones {
		z = strings.ToLower(z)
		isDomain := false
		for _, d := range federations {
			isDomain = isDomain || d == z
		}
		if isDomain {
			domains = append(domains, z)
		} else {
			cluster = append(cluster, z)
		}
	}
	return cluster, domains
}
