// Command mutants puts each small fault of mutants.go into a copy of the
// repository in turn and runs the tests against it: first the unit tests,
// then, if they pass, the end-to-end tests that exercise the faulty code. A
// mutant is killed when a test fails. It prints a table and exits non-zero
// when a mutant lives. Run it with `make mutants`; with -check it only
// checks that every mutant applies and compiles.
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

func main() {
	root, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	check := len(os.Args) > 1 && os.Args[1] == "-check"
	var only *regexp.Regexp // -run PATTERN: the mutants whose name matches
	if len(os.Args) > 2 && os.Args[1] == "-run" {
		only = regexp.MustCompile(os.Args[2])
	}
	testbed := os.Getenv("FEDERATION_TESTBED")
	if testbed == "" && !check {
		fail(fmt.Errorf("FEDERATION_TESTBED must be set: run `make mutants`"))
	}
	files, err := exec.Command("git", "ls-files").Output()
	if err != nil {
		fail(fmt.Errorf("git ls-files: %w", err))
	}
	lived, ran := 0, 0
	fmt.Println("| mutant | killed by |")
	fmt.Println("|---|---|")
	for _, m := range mutants {
		if only != nil && !only.MatchString(m.name) {
			continue
		}
		start := time.Now()
		ran++
		if check {
			testbed = "" // apply and compile only
		}
		by, err := run(root, strings.Fields(string(files)), testbed, m)
		if err != nil {
			fail(fmt.Errorf("%s: %w", m.name, err))
		}
		if by == "" {
			lived++
			by = "**LIVED**"
		}
		fmt.Printf("| %s | %s (%.0fs) |\n", m.name, by, time.Since(start).Seconds())
	}
	if check {
		fmt.Printf("\n%d mutants apply and compile\n", ran)
		return
	}
	fmt.Printf("\n%d mutants, %d killed, %d lived\n", ran, ran-lived, lived)
	if lived > 0 {
		os.Exit(1)
	}
}

// run applies m to a fresh copy of the tracked files and returns what
// killed it: the first failing test, or "" when every test passed.
func run(root string, files []string, testbed string, m mutant) (string, error) {
	dir, err := os.MkdirTemp("", "mutant-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	for _, f := range files {
		if err := copyFile(filepath.Join(root, f), filepath.Join(dir, f)); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, m.file)
	src, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if n := bytes.Count(src, []byte(m.old)); n != 1 {
		return "", fmt.Errorf("%s holds the original %d times, not once: update mutants.go", m.file, n)
	}
	if err := os.WriteFile(path, bytes.Replace(src, []byte(m.old), []byte(m.new), 1), 0o644); err != nil {
		return "", err
	}
	// A mutant that does not compile kills nothing: it is a mistake in
	// mutants.go, and stops the run.
	if out, err := command(dir, nil, "go", "vet", "./..."); err != nil {
		return "", fmt.Errorf("the mutant does not compile:\n%s", out)
	}
	if testbed == "" {
		return "compiles", nil
	}
	if out, err := command(dir, nil, "go", "test", "-count=1", "./..."); err != nil {
		return "unit: " + firstFailure(out), nil
	}
	if m.e2e == "" {
		return "", nil
	}
	if out, err := command(dir, nil, "go", "build", "-o", "bin/coredns", "./cmd/coredns"); err != nil {
		return "", fmt.Errorf("build: %w\n%s", err, out)
	}
	env := []string{"FEDERATION_TESTBED=" + testbed, "FEDERATION_COREDNS=" + filepath.Join(dir, "bin/coredns")}
	if out, err := command(dir, env, "go", "test", "-count=1", "-tags", "e2e", "-timeout", "10m", "-run", "^("+m.e2e+")$", "./test/"); err != nil {
		return "e2e: " + firstFailure(out), nil
	}
	return "", nil
}

func command(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// firstFailure is the name of the first failing test in go test's output.
func firstFailure(out string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "---" && f[1] == "FAIL:" {
			return f[2]
		}
	}
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(line, "FAIL") || strings.Contains(line, "panic:") || strings.Contains(line, "fatal error") {
			return strings.TrimSpace(line)
		}
	}
	return "a failed build or run"
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mutants:", err)
	os.Exit(2)
}
