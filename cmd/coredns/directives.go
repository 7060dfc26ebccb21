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

// moveBefore returns directives with name moved directly before anchor,
// unless it comes before it already; unchanged when either is absent.
func moveBefore(directives []string, name, anchor string) []string {
	i, j := slices.Index(directives, name), slices.Index(directives, anchor)
	if i < 0 || j < 0 || i < j {
		return directives
	}
	out := slices.Delete(slices.Clone(directives), i, i+1)
	return insertBefore(out, name, anchor)
}
