# make run:  build CoreDNS with the plugin and serve a demo federation.
# make test: every test: unit, then end to end against real kube-apiservers.
GO      ?= go
# The test bed's kube-apiserver and etcd, built once per version set.
TESTBED := .cache/testbed/$(shell sha256sum hack/testbed/go.sum | cut -c1-16)
# An older kube-apiserver (1.33, whose WatchList gate is off) for a member
# on the Kubernetes that clouds still run (SPEC 4.5.3).
TESTBED_OLD := .cache/testbed-1.33/$(shell sha256sum hack/testbed-1.33/go.sum | cut -c1-16)
E2E_ENV := FEDERATION_TESTBED=$(abspath $(TESTBED)) FEDERATION_TESTBED_OLD=$(abspath $(TESTBED_OLD)) FEDERATION_COREDNS=$(abspath bin/coredns) \
	FEDERATION_COREDNS_PLUGINCFG=$(abspath bin/coredns-plugincfg)

.PHONY: all build build-plugincfg run test root unit e2e fuzz fuzz-short bench bench-scale testbed clean deps deps-bench mutants lint fix profile

# Debian packages of the real clients: dig for the demo and the end-to-end
# tests, unshare for the glibc resolver test, gcc for the race detector.
# Installed when missing.
deps:
	@hack/deps.sh dig=bind9-dnsutils delv=bind9-dnsutils named=bind9 unshare=util-linux gcc=gcc

deps-bench: deps
	@hack/deps.sh dnsperf=dnsperf

# Native Go fuzz targets, as package:target.
FUZZ := .:FuzzParse ./federation:FuzzParseServiceName ./federation:FuzzParseDomainName ./federation:FuzzParseClustersetName \
	./federation:FuzzHierarchy ./plugin:FuzzServeDNS
# Counts of executions, not durations: Go 1.26's fuzzing coordinator can
# fail a target with "context deadline exceeded" when a -fuzztime duration
# runs out on a loaded machine (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME ?= 30000x

all: build

build:
	$(GO) build -o bin/coredns ./cmd/coredns
	$(GO) build -o bin/demo ./cmd/demo


testbed: $(TESTBED)/kube-apiserver $(TESTBED)/etcd $(TESTBED_OLD)/kube-apiserver

$(TESTBED)/kube-apiserver:
	@echo "building kube-apiserver for the test bed (the first time takes several minutes)"
	cd hack/testbed && $(GO) build -o $(abspath $@) k8s.io/kubernetes/cmd/kube-apiserver

$(TESTBED_OLD)/kube-apiserver:
	@echo "building kube-apiserver v1.33.13 for the test bed (the first time takes several minutes)"
	cd hack/testbed-1.33 && CGO_ENABLED=0 $(GO) build -ldflags "-X k8s.io/component-base/version.gitVersion=v1.33.13" -o $(abspath $@) k8s.io/kubernetes/cmd/kube-apiserver

$(TESTBED)/etcd:
	@echo "building etcd for the test bed"
	cd hack/testbed && $(GO) build -o $(abspath $@) go.etcd.io/etcd/server/v3

run: deps build testbed
	$(E2E_ENV) bin/demo

test: root deps lint unit fuzz-short e2e

# The end-to-end tests need root (the glibc resolver test mounts a pod's
# resolv.conf with unshare -m): say so first, not after minutes of building.
root:
	@[ "$$(id -u)" = 0 ] || { echo "make test and make e2e need root: the glibc resolver test mounts a pod's resolv.conf (unshare -m)"; exit 1; }

# golangci-lint with .golangci.yml (CoreDNS's linters), installed from the Go
# module proxy into .cache/bin the first time (about three minutes on two
# cores). A finding fails the build; `make fix` applies what can be fixed.
GOLANGCI_VERSION := v2.15.0
GOLANGCI := .cache/bin/golangci-lint-$(GOLANGCI_VERSION)

$(GOLANGCI):
	@echo "installing golangci-lint $(GOLANGCI_VERSION) from the Go module proxy"
	GOBIN=$(abspath .cache/bin/tmp) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	mv .cache/bin/tmp/golangci-lint $@

lint: $(GOLANGCI)
	$(GOLANGCI) run --build-tags e2e ./...

fix: $(GOLANGCI)
	$(GOLANGCI) fmt ./...
	$(GOLANGCI) run --build-tags e2e --fix ./...

unit:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# Every fuzz target for FUZZTIME each; new crashers land in testdata/fuzz.
fuzz:
	@for t in $(FUZZ); do \
		echo "fuzz $$t for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}" || exit 1; \
	done

fuzz-short:
	$(MAKE) fuzz FUZZTIME=2000x

# CoreDNS as a plugin.cfg build orders it (cache before federation), for
# the test that such a build is refused at load (SPEC 6.3).
build-plugincfg:
	$(GO) build -tags plugincfg -o bin/coredns-plugincfg ./cmd/coredns

e2e: root deps build build-plugincfg testbed
	$(E2E_ENV) $(GO) test -count=1 -tags e2e -timeout 20m ./test/...

# Go benchmarks, then dnsperf and memory runs side by side with CoreDNS's own
# plugins, then the scale run (bench/results.md). About 40 minutes with the
# default scale, most of it creating 43,000 Services and EndpointSlices;
# BENCH_FLAGS=-scale=0 skips the memory run, -scale-services=0 the scale run.
bench: deps-bench build testbed
	$(GO) test -run '^$$' -bench . -benchmem ./plugin/ ./federation/ | tee bench/go.txt
	$(MAKE) profile
	$(E2E_ENV) $(GO) run ./bench $(BENCH_FLAGS)
	@echo "report: bench/results.md"

# The scale runs of `make bench` alone (about 2 minutes with the build
# warm): one API server of 3,000 Services watched as the local cluster and
# 10 members, with and without a selector, against the kubernetes plugin;
# then failovers with 1 and with 10 member clusters (bench/scale.md).
bench-scale: deps build testbed
	$(E2E_ENV) $(GO) run ./bench -dnsperf=false -scale=0 -out bench/scale.md $(BENCH_FLAGS)

# Each small fault of hack/mutants/mutants.go put into a copy of the code in
# turn, after the unmutated suite passed: a test must fail for every one.
# Not part of `make test` (it takes most of an hour); the table lands in
# hack/mutants/report.md. MUTANTS_FLAGS='-run PATTERN' runs those named so.
mutants: deps build-plugincfg testbed
	$(E2E_ENV) $(GO) run ./hack/mutants $(MUTANTS_FLAGS) > hack/mutants/report.md; status=$$?; cat hack/mutants/report.md; exit $$status

# A CPU profile of the handler's benchmarks: bench/profile.txt, the
# artifact behind BENCHMARKS.md's profile figures.
profile:
	$(GO) test -run '^$$' -bench 'ServeDNS' -benchtime 2s -cpuprofile bench/cpu.out -o bench/plugin.test ./plugin/ > /dev/null
	$(GO) tool pprof -top -cum -nodecount 40 bench/plugin.test bench/cpu.out > bench/profile.txt
	@echo "profile: bench/profile.txt"

clean:
	rm -rf bin .cache
