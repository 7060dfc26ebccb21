package main

import (
	"slices"
	"testing"
)

func TestInsertBefore(t *testing.T) {
	got := insertBefore([]string{"a", "kubernetes", "b"}, "federation", "kubernetes")
	if !slices.Equal(got, []string{"a", "federation", "kubernetes", "b"}) {
		t.Errorf("Expected federation before kubernetes, got %v", got)
	}
	if got := insertBefore(got, "federation", "kubernetes"); len(got) != 4 {
		t.Errorf("Expected no second insertion, got %v", got)
	}
	if got := insertBefore([]string{"a"}, "federation", "kubernetes"); !slices.Equal(got, []string{"a", "federation"}) {
		t.Errorf("Expected federation appended without kubernetes, got %v", got)
	}
}
