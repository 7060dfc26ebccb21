package plugin

import clog "github.com/coredns/coredns/plugin/pkg/log"

// PluginName is the plugin's name in the Corefile, in logs and in metrics.
const PluginName = "federation"

var log = clog.NewWithPlugin(PluginName)
