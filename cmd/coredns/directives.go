package main

import "slices"

// insertBefore returns directives with name inserted directly before anchor,
// or appended when anchor is absent. A name already present is left alone.
func insertBefore(directives []string, name, anchor string) []string {
	if slices.Contains(directives, name) {
		return directives
	}
	out := make([]string, 0, len(directives)+1)
	inserted := false
	for _, d := range directives {
		if d == anchor && !inserted {
			out = append(out, name)
			inserted = true
		}
		out = append(out, d)
	}
	if !inserted {
		out = append(out, name)
	}
	return out
}
