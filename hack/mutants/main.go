// Command mutants puts each small fault of mutants.go into a copy of the
// repository in turn and runs the tests against it: first the unit tests,
// then, if they pass, the end-to-end tests that exercise the faulty code.
// It prints a table and exits non-zero unless every mutant is killed. Run it
// with `make mutants`; with -check it only checks that every mutant applies
// and compiles, the end-to-end tests included; -run PATTERN runs only the
// mutants whose name matches.
//
// Only a failing test kills a mutant. A mutant whose code or tests do not
// compile (**BUILD FAILED**), whose tests run out of time (**TIMEOUT**), or
// whose tests fail with no failing test named (**FAILED OUTSIDE A TEST**:
// TestMain, a panic in no test) proves nothing: like a lived mutant it is
// shown as such and makes the run fail.
//
// Before the mutants, the unmutated code is run the same way (its unit
// tests, then the end-to-end tests the mutants name), and the run stops if
// that fails: with a failing baseline every mutant would look killed.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The outcomes of a mutant: killed, or why not.
const (
	killed      = "killed"
	lived       = "**LIVED**"                 // every test passed
	buildFailed = "**BUILD FAILED**"          // go vet, a test's build or setup, or CoreDNS's build failed
	timedOut    = "**TIMEOUT**"               // go test's -timeout ran out
	noTest      = "**FAILED OUTSIDE A TEST**" // go test failed, but no test did
	compiles    = "compiles"                  // -check: the mutant applies and compiles
)

// verdict is what the tests made of one mutant.
type verdict struct {
	outcome string // one of the outcomes above
	by      string // killed: the first failing test, "unit: TestX" or "e2e: TestX"; noTest: go's first line about the failure
	out     string // the output of the step that decided, for the baseline's error
}

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
		fail(errors.New("FEDERATION_TESTBED must be set: run `make mutants`"))
	}
	if check {
		testbed = "" // apply and compile only
	}
	ls, err := exec.Command("git", "ls-files").Output()
	if err != nil {
		fail(fmt.Errorf("git ls-files: %w", err))
	}
	files := strings.Fields(string(ls))
	var selected []mutant
	var e2e []string // every end-to-end test the selected mutants name
	for _, m := range mutants {
		if only == nil || only.MatchString(m.name) {
			selected = append(selected, m)
			if m.e2e != "" {
				e2e = append(e2e, m.e2e)
			}
		}
	}

	start := time.Now()
	base, err := run(root, files, testbed, mutant{name: "baseline", e2e: strings.Join(e2e, "|")})
	if err != nil {
		fail(fmt.Errorf("baseline: %w", err))
	}
	if base.outcome != lived && base.outcome != compiles {
		fail(fmt.Errorf("baseline: the unmutated code fails (%s), so the mutants would prove nothing: fix it first\n%s", cell(base), base.out))
	}
	passed := "every test passes"
	if check {
		passed = "compiles"
	}
	fmt.Printf("Baseline, the unmutated code: %s (%.0fs).\n\n", passed, time.Since(start).Seconds())

	count := map[string]int{}
	fmt.Println("| mutant | killed by |")
	fmt.Println("|---|---|")
	for _, m := range selected {
		start := time.Now()
		v, err := run(root, files, testbed, m)
		if err != nil {
			fail(fmt.Errorf("%s: %w", m.name, err))
		}
		count[v.outcome]++
		fmt.Printf("| %s | %s (%.0fs) |\n", m.name, cell(v), time.Since(start).Seconds())
	}
	ran := len(selected)
	if check {
		if n := count[buildFailed]; n > 0 {
			fmt.Printf("\n%d of %d mutants do not compile\n", n, ran)
			os.Exit(1)
		}
		fmt.Printf("\n%d mutants apply and compile\n", ran)
		return
	}
	fmt.Printf("\n%d mutants, %d killed, %d lived", ran, count[killed], count[lived])
	for _, o := range []string{buildFailed, timedOut, noTest} {
		if count[o] > 0 {
			fmt.Printf(", %d %s", count[o], o)
		}
	}
	fmt.Println()
	if count[killed] < ran {
		os.Exit(1)
	}
}

// cell is v as the table shows it: the test that killed the mutant, or why
// none did.
func cell(v verdict) string {
	switch {
	case v.outcome == killed:
		return v.by
	case v.by != "":
		return v.outcome + " " + v.by
	}
	return v.outcome
}

// run applies m to a fresh copy of the tracked files (m.file "" leaves the
// code as it is: the baseline) and runs the tests on it. With testbed ""
// it only compiles the copy.
func run(root string, files []string, testbed string, m mutant) (verdict, error) {
	dir, err := os.MkdirTemp("", "mutant-")
	if err != nil {
		return verdict{}, err
	}
	defer os.RemoveAll(dir)
	for _, f := range files {
		if err := copyFile(filepath.Join(root, f), filepath.Join(dir, f)); err != nil {
			return verdict{}, err
		}
	}
	if m.file != "" {
		path := filepath.Join(dir, m.file)
		src, err := os.ReadFile(path)
		if err != nil {
			return verdict{}, err
		}
		if n := bytes.Count(src, []byte(m.old)); n != 1 {
			return verdict{}, fmt.Errorf("%s holds the original %d times, not once: update mutants.go", m.file, n)
		}
		if err := os.WriteFile(path, bytes.Replace(src, []byte(m.old), []byte(m.new), 1), 0o644); err != nil {
			return verdict{}, err
		}
	}
	// go vet type-checks every package and every test file, the end-to-end
	// ones (build tag e2e) included, without linking or running anything.
	out, failed, err := command(dir, nil, "go", "vet", "-tags", "e2e", "./...")
	if err != nil || failed {
		return verdict{outcome: buildFailed, out: out}, err
	}
	if testbed == "" {
		return verdict{outcome: compiles}, nil
	}
	out, failed, err = command(dir, nil, "go", "test", "-count=1", "./...")
	if err != nil || failed {
		return classify("unit: ", out), err
	}
	if m.e2e == "" {
		return verdict{outcome: lived}, nil
	}
	// Both CoreDNS builds of the e2e tests, from the mutated code: ours and
	// one in plugin.cfg's order.
	for _, build := range [][]string{{"-o", "bin/coredns"}, {"-tags", "plugincfg", "-o", "bin/coredns-plugincfg"}} {
		out, failed, err = command(dir, nil, "go", append(append([]string{"build"}, build...), "./cmd/coredns")...)
		if err != nil || failed {
			return verdict{outcome: buildFailed, out: out}, err
		}
	}
	env := []string{
		"FEDERATION_TESTBED=" + testbed, "FEDERATION_TESTBED_OLD=" + os.Getenv("FEDERATION_TESTBED_OLD"),
		"FEDERATION_COREDNS=" + filepath.Join(dir, "bin/coredns"), "FEDERATION_COREDNS_PLUGINCFG=" + filepath.Join(dir, "bin/coredns-plugincfg"),
	}
	out, failed, err = command(dir, env, "go", "test", "-count=1", "-tags", "e2e", "-timeout", "10m", "-run", "^("+m.e2e+")$", "./test/")
	if err != nil || failed {
		return classify("e2e: ", out), err
	}
	return verdict{outcome: lived}, nil
}

// command runs name in dir and returns its combined output and whether it
// exited non-zero; err is only for a command that could not be run.
func command(dir string, env []string, name string, args ...string) (out string, failed bool, err error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	b, err := cmd.CombinedOutput()
	if _, ok := errors.AsType[*exec.ExitError](err); ok {
		return string(b), true, nil
	}
	if err != nil {
		return string(b), false, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return string(b), false, nil
}

// classify reads the output of a failed go test, the tests of stage
// ("unit: " or "e2e: "). A package that did not build or set up proves
// nothing, whatever else failed; then the first failing test kills the
// mutant (a test that panics fails too); else go's timeout, or a failure
// no test owns, proves nothing either.
func classify(stage, out string) verdict {
	if strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]") {
		return verdict{outcome: buildFailed, out: out}
	}
	lines := strings.Split(out, "\n")
	for _, line := range lines {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "---" && f[1] == "FAIL:" {
			return verdict{outcome: killed, by: stage + f[2], out: out}
		}
	}
	if strings.Contains(out, "panic: test timed out") || strings.Contains(out, "*** Test killed") {
		return verdict{outcome: timedOut, out: out}
	}
	for _, line := range lines {
		if strings.HasPrefix(line, "FAIL") || strings.Contains(line, "panic:") || strings.Contains(line, "fatal error") {
			return verdict{outcome: noTest, by: stage + strings.TrimSpace(line), out: out}
		}
	}
	return verdict{outcome: noTest, out: out}
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
