package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestREADMEInlineExample runs the README's c-inline example with the
// README's options, --binary and --sysroot testdata/sysroot alone: the
// library beside the program (libweights.so, which the core names at the
// path it was built in) is found in the directory of --binary, and every
// line the README shows is printed, in order.
func TestREADMEInlineExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testfixture.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "(the c-inline fixture:")
	if !ok {
		t.Fatal("README has no c-inline example")
	}
	_, block, ok := strings.Cut(after, "```\n")
	if !ok {
		t.Fatal("README's c-inline example has no code block")
	}
	block, _, _ = strings.Cut(block, "```")
	f := testfixture.Get(t, "c-inline")
	code, out, stderr := runCLI("analyze", f.CoreZst, "--binary", f.Binary, "--sysroot", testfixture.Sysroot())
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "libweights.so") {
		t.Errorf("a warning about libweights.so: %s", stderr)
	}
	rest := out
	for _, want := range strings.Split(strings.TrimSpace(block), "\n") {
		if strings.TrimSpace(want) == "…" {
			continue
		}
		i := strings.Index(rest, want+"\n")
		if i < 0 {
			t.Fatalf("the README's line\n%s\nis not in the output (after the lines before it):\n%s", want, out)
		}
		rest = rest[i+len(want):]
	}
}

// TestREADMEFirstCommand runs the command the README opens with, its
// arguments as written (paths from the repository's root), and requires
// every line of the output the README shows under "What it prints", in
// order; the core line names the path as given, which here is absolute.
func TestREADMEFirstCommand(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testfixture.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "go run ./cmd/coreview "
	_, after, ok := strings.Cut(string(readme), "\n"+prefix)
	if !ok {
		t.Fatal("README does not open with a go run ./cmd/coreview command")
	}
	line, _, _ := strings.Cut(after, "\n")
	args := strings.Fields(line)
	for i, a := range args {
		if strings.HasPrefix(a, "testdata/") {
			args[i] = filepath.Join(testfixture.Root(), a)
		}
	}
	_, shown, ok := strings.Cut(string(readme), "## What it prints")
	if !ok {
		t.Fatal("README has no What it prints section")
	}
	_, block, ok := strings.Cut(shown, "```\n")
	if !ok {
		t.Fatal("What it prints has no code block")
	}
	block, _, _ = strings.Cut(block, "```")
	code, out, stderr := runCLI(args...)
	if code != exitOK {
		t.Fatalf("coreview %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	rest := out
	for _, want := range strings.Split(strings.TrimSpace(block), "\n") {
		if strings.TrimSpace(want) == "…" || strings.HasPrefix(want, "core ") {
			continue
		}
		i := strings.Index(rest, want+"\n")
		if i < 0 {
			t.Fatalf("the README's line\n%s\nis not in the output of coreview %s (after the lines before it):\n%s", want, line, out)
		}
		rest = rest[i+len(want):]
	}
}
