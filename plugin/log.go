package plugin

import clog "github.com/coredns/coredns/plugin/pkg/log"

// Name is the plugin's name in the Corefile, in logs and in metrics.
const Name = "federation"

var log = clog.NewWithPlugin(Name)
