package main

import (
	"strings"
	"testing"
)

func TestCheckFailOn(t *testing.T) {
	for _, ok := range [][]string{nil, {"stack-overflow"}, {"SIGSEGV", "sigabrt", "abort"}, {"snapshot", "killed"}} {
		if err := checkFailOn(ok); err != nil {
			t.Errorf("checkFailOn(%q): %v", ok, err)
		}
	}
	err := checkFailOn([]string{"abort", "stackoverflow", "SIGFOO"})
	if err == nil {
		t.Fatal("checkFailOn accepted stackoverflow and SIGFOO")
	}
	for _, want := range []string{`"stackoverflow"`, `"SIGFOO"`, "kinds: stack-overflow, stack-segments", "SIGSEGV"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `"abort"`) {
		t.Errorf("error %q names a valid kind", err)
	}
}
