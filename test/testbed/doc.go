// Package testbed runs simulated Kubernetes clusters on loopback for the
// end-to-end tests and the demo: one real etcd, one real kube-apiserver per
// cluster (RBAC on, token authentication), a kubeconfig per cluster, and the
// seed federation's objects created through the API. It also runs the built
// CoreDNS binary. Every process it starts, it stops.
package testbed
