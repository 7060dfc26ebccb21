//go:build tools

// Package tools pins kube-apiserver v1.33 for the test bed's older member.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
