package federation

import (
	"reflect"
	"slices"

	"github.com/coredns/coredns/core/dnsserver"
	coreplugin "github.com/coredns/coredns/plugin"

	"github.com/miekg/dns"
)

// cacheAhead reports whether a cache plugin comes before this plugin in
// the chain of cfg, in the build's order of directives, and would hold the
// plugin's answers for one of zones: it returns the first such zone (SPEC
// 6.3). A cache that excludes a zone from both of its caches (disable
// success ZONE, disable denial ZONE) does not hold its answers. It is
// asked once the server's chain is built (OnStartup).
func cacheAhead(cfg *dnsserver.Config, directives []string, zones []string) (string, bool) {
	at, own := slices.Index(directives, "cache"), slices.Index(directives, pluginName)
	if at < 0 || own < 0 || at > own {
		return "", false
	}
	h := cfg.Handler("cache")
	if h == nil {
		return "", false
	}
	cached := stringsField(h, "Zones")
	success, denial := coreplugin.Zones(stringsField(h, "pexcept")), coreplugin.Zones(stringsField(h, "nexcept"))
	excluded := func(z string) bool { return success.Matches(z) != "" && denial.Matches(z) != "" }
	for _, z := range zones {
		for _, c := range cached {
			switch {
			case dns.IsSubDomain(c, z) && !excluded(z): // the cache holds all of z
				return z, true
			case dns.IsSubDomain(z, c) && !excluded(c): // the cache holds c, a part of z
				return c, true
			}
		}
	}
	return "", false
}

// stringsField reads the []string field name of the struct that h points
// to (or is), exported or not: the cache plugin keeps its exceptions
// unexported.
// A field that is missing (another CoreDNS version) reads as empty, so a
// cache whose exceptions cannot be read counts as holding every zone.
func stringsField(h coreplugin.Handler, name string) []string {
	v := reflect.Indirect(reflect.ValueOf(h)) // dnssec registers a value, cache a pointer
	if v.Kind() != reflect.Struct {
		return nil
	}
	f := v.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.String {
		return nil
	}
	out := make([]string, f.Len())
	for i := range out {
		out[i] = f.Index(i).String()
	}
	return out
}

// dnssecBehind reports whether a dnssec plugin that signs one of zones
// comes after this plugin in the chain of cfg, in the build's order of
// directives: it would never see the plugin's answers, which would go out
// unsigned (SPEC 13.3). It returns the first such zone. handler is the
// server's Config.Handler.
func dnssecBehind(handler func(string) coreplugin.Handler, directives []string, zones []string) (string, bool) {
	at, own := slices.Index(directives, "dnssec"), slices.Index(directives, pluginName)
	if at < 0 || own < 0 || at < own || len(zones) == 0 {
		return "", false
	}
	h := handler("dnssec")
	if h == nil {
		return "", false
	}
	signed := stringsField(h, "zones")
	if signed == nil {
		return zones[0], true // which zones it signs cannot be read: it may sign these
	}
	for _, z := range zones {
		if coreplugin.Zones(signed).Matches(z) != "" {
			return z, true
		}
	}
	return "", false
}
