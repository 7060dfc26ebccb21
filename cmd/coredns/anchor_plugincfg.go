//go:build plugincfg

package main

// anchor, built with -tags plugincfg, is where a plugin.cfg build that
// lists the plugin above kubernetes puts it: after cache. The end-to-end
// tests build it to see such a build refused at load.
const anchor = "kubernetes"
