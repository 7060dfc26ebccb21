//go:build !plugincfg

package main

// anchor is the directive the plugin is spliced before: cache, so neither
// the server's cache nor kubernetes comes before it (SPEC 6.3).
const anchor = "cache"
