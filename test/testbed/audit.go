package testbed

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// auditPolicy records, at the Metadata level, every read of the objects the
// plugin watches: the request URI (with its labelSelector and
// resourceVersion), the user agent and the response code. Watches show up
// at ResponseStarted, so that stage is kept.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  verbs: ["get", "list", "watch"]
  resources:
  - group: ""
    resources: ["services", "nodes"]
  - group: "discovery.k8s.io"
    resources: ["endpointslices"]
  - group: "multicluster.x-k8s.io"
    resources: ["serviceexports"]
- level: None
`

// AuditEvent is one line of an apiserver's audit log, as much as tests read.
type AuditEvent struct {
	Stage          string    `json:"stage"`
	RequestURI     string    `json:"requestURI"`
	Verb           string    `json:"verb"`
	UserAgent      string    `json:"userAgent"`
	StageTimestamp time.Time `json:"stageTimestamp"`
	ObjectRef      struct {
		Resource string `json:"resource"`
	} `json:"objectRef"`
	ResponseStatus struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// auditFlags are the apiserver flags that write dir/audit.log.
func auditFlags(dir string) ([]string, error) {
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
		return nil, err
	}
	return []string{
		"--audit-policy-file=" + policy,
		"--audit-log-path=" + filepath.Join(dir, "audit.log"),
		"--audit-log-mode=blocking",
	}, nil
}

// Audit returns the audit events of the cluster's apiserver whose user
// agent starts with agent.
func (c *Cluster) Audit(agent string) ([]AuditEvent, error) {
	f, err := os.Open(filepath.Join(c.dir, "audit.log"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var events []AuditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("audit log of %s: %w", c.Name, err)
		}
		if strings.HasPrefix(e.UserAgent, agent) {
			events = append(events, e)
		}
	}
	return events, sc.Err()
}
