package federation

import (
	"net/netip"
	"slices"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
)

func TestReadyAddresses(t *testing.T) {
	v4a := slice(discoveryv1.AddressTypeIPv4, endpoint("10.0.0.2", nil, nil), endpoint("10.0.0.1", new(true), nil), endpoint("10.0.0.9", new(false), nil))
	v4b := slice(discoveryv1.AddressTypeIPv4, endpoint("10.0.0.3", nil, nil), endpoint("10.0.0.1", nil, nil))
	v6a := slice(discoveryv1.AddressTypeIPv6, endpoint("fd00::2", nil, nil), endpoint("fd00::1", nil, nil))
	v6b := slice(discoveryv1.AddressTypeIPv6, endpoint("fd00::1", nil, nil))
	want := []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3"),
		netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2"),
	}
	tests := [][]*discoveryv1.EndpointSlice{
		{v4a, v4b, v6a, v6b},
		{v6b, v4b, v6a, v4a}, // the cache's order is not fixed
	}
	for i, tc := range tests {
		if got, _, _, _ := readyAddresses(cachedSlices(tc...)); !slices.Equal(got, want) {
			t.Errorf("Test %d: expected %v, got %v", i, want, got)
		}
	}
	if got, _, _, _ := readyAddresses(nil); got != nil {
		t.Errorf("Expected nil without slices, got %v", got)
	}
}

// BenchmarkReadyAddresses10000 computes the addresses of a dual-stack
// headless service of 5,000 ready pods: 10,000 distinct addresses in 100
// slices of 100 endpoints, as the EndpointSlice controller cuts them.
func BenchmarkReadyAddresses10000(b *testing.B) {
	const pods, perSlice = 5000, 100
	var api []*discoveryv1.EndpointSlice
	for _, at := range []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6} {
		for first := 0; first < pods; first += perSlice {
			s := slice(at)
			for i := first; i < first+perSlice; i++ {
				a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
				if at == discoveryv1.AddressTypeIPv6 {
					a = netip.AddrFrom16([16]byte{0: 0xfd, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
				}
				s.Endpoints = append(s.Endpoints, endpoint(a.String(), new(true), nil))
			}
			api = append(api, s)
		}
	}
	cached := cachedSlices(api...)
	if got, _, _, _ := readyAddresses(cached); len(got) != 2*pods {
		b.Fatalf("Expected %d addresses, got %d", 2*pods, len(got))
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _, _, _ = readyAddresses(cached)
	}
}
