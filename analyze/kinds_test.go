package analyze

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestDiagnosisKindsMatchSchema: the kinds scan --fail-on accepts are the
// schema's.
func TestDiagnosisKindsMatchSchema(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testfixture.Root(), "schema", "report-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sch struct {
		Defs struct {
			Diagnosis struct {
				Properties struct {
					Kind struct {
						Enum []string `json:"enum"`
					} `json:"kind"`
				} `json:"properties"`
			} `json:"diagnosis"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &sch); err != nil {
		t.Fatal(err)
	}
	if got := sch.Defs.Diagnosis.Properties.Kind.Enum; !slices.Equal(got, DiagnosisKinds) {
		t.Errorf("schema kinds %v, DiagnosisKinds %v", got, DiagnosisKinds)
	}
}

func TestCheckFailOn(t *testing.T) {
	for _, ok := range [][]string{nil, {"stack-overflow"}, {"SIGSEGV", "sigabrt", "abort"}} {
		if err := CheckFailOn(ok); err != nil {
			t.Errorf("CheckFailOn(%q): %v", ok, err)
		}
	}
	err := CheckFailOn([]string{"abort", "stackoverflow", "SIGFOO"})
	if err == nil {
		t.Fatal("CheckFailOn accepted stackoverflow and SIGFOO")
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

// TestCrashesMatchAnyDiagnosis: --fail-on matches any of a core's
// diagnoses and its signal, not only the first diagnosis.
func TestCrashesMatchAnyDiagnosis(t *testing.T) {
	res := &ScanResult{Rows: []ScanRow{
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
