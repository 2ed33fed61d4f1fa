package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
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
	if got := sch.Defs.Diagnosis.Properties.Kind.Enum; !slices.Equal(got, kindStrings()) {
		t.Errorf("schema kinds %v, Kinds %v", got, Kinds)
	}
}

func kindStrings() []string {
	var out []string
	for _, k := range Kinds {
		out = append(out, string(k))
	}
	return out
}
