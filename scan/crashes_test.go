package scan

import "testing"

// TestCrashesMatchAnyDiagnosis: --fail-on matches any of a core's
// diagnoses and its signal, not only the first diagnosis.
func TestCrashesMatchAnyDiagnosis(t *testing.T) {
	res := &Result{Rows: []Row{
		{Path: "a", Signal: "SIGSEGV", Diagnoses: []string{"stack-overflow", "stack-segments"}, SignatureHash: "1"},
		{Path: "b", Signal: "SIGABRT", Diagnoses: []string{"stack-overflow", "abort"}, SignatureHash: "2"},
		{Path: "c", Signal: "SIGSEGV", Diagnoses: []string{"null-call"}, SignatureHash: "3"},
		{Path: "d", Diagnoses: []string{}, Error: "corrupt"},
	}}
	for _, tt := range []struct {
		failOn []string
		want   int
	}{
		{nil, 3},
		{[]string{"stack-segments"}, 1},
		{[]string{"abort"}, 1},
		{[]string{"stack-overflow"}, 2},
		{[]string{"sigsegv"}, 2},
		{[]string{"divide-error"}, 0},
		{[]string{"null-call", "abort"}, 2},
	} {
		if got := res.Crashes(tt.failOn); got != tt.want {
			t.Errorf("Crashes(%q) = %d, want %d", tt.failOn, got, tt.want)
		}
	}
}
