package scan

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// sarifHandBuilt is the hand-built scan with source positions: the first
// crash under the source root, the second outside it and without a line.
func sarifHandBuilt(root string) *Result {
	res := handBuilt()
	for i := range res.Rows[:2] {
		res.Rows[i].Stack = []report.Location{
			{Function: "parse_row", Module: "srv", ModuleOffset: 0x1234, File: filepath.Join(root, "src", "parse.c"), Line: 42, Column: 7, Frame: 0},
			{Function: "main", Module: "srv", File: "/usr/src/other/main.c", Line: 3, Frame: 1},
		}
	}
	res.Rows[2].Stack = []report.Location{{Function: "check_input", Module: "tool", ModuleOffset: 0x99, Frame: 5}}
	res.group()
	return res
}

type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version string
				Rules         []struct {
					ID               string
					ShortDescription struct{ Text string }
					Help             struct{ Text string }
				}
			}
		}
		OriginalURIBaseIDs map[string]struct{ URI string } `json:"originalUriBaseIds"`
		Invocations        []struct {
			ToolExecutionNotifications []struct {
				Level   string
				Message struct{ Text string }
			}
		}
		Results []struct {
			RuleID, Level       string
			RuleIndex           int
			Message             struct{ Text string }
			PartialFingerprints map[string]string
			BaselineState       string
			Locations           []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct{ URI, URIBaseID string } `json:"artifactLocation"`
					Region           struct{ StartLine, StartColumn int }
				}
				LogicalLocations []struct{ FullyQualifiedName string }
				Message          struct{ Text string }
			}
			Stacks []struct {
				Frames []struct{ Module string }
			}
		}
	}
}

// TestSARIF: one result per crash group, its rule the diagnosis kind
// (every kind listed as a rule with its descriptions, so ruleIndex is
// stable), level error, the crash as the message, the first meaningful
// frame's source line relative to the source root, the stack, the
// signature hash as fingerprint; unreadable cores are notifications.
func TestSARIF(t *testing.T) {
	root := t.TempDir()
	res := sarifHandBuilt(root)
	res.ApplyBaseline(&Baseline{Schema: BaselineSchema, Signatures: []BaselineSignature{{SignatureHash: "1111111111111111"}}})
	var b bytes.Buffer
	if err := res.WriteSARIF(&b, SARIFOptions{SourceRoot: root, ToolVersion: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	var doc sarifDoc
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if doc.Version != "2.1.0" || run.Tool.Driver.Name != "coreview" || run.Tool.Driver.Version != "1.2.3" ||
		len(run.Tool.Driver.Rules) != len(report.Kinds)+1 || run.OriginalURIBaseIDs["SRCROOT"].URI != "file://"+root+"/" {
		t.Fatalf("run %+v", run)
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.ShortDescription.Text == "" || r.Help.Text == "" {
			t.Errorf("rule %s lacks its descriptions", r.ID)
		}
	}
	if len(run.Results) != 2 {
		t.Fatalf("%d results", len(run.Results))
	}
	r0, r1 := run.Results[0], run.Results[1]
	if r0.RuleID != "null-dereference" || run.Tool.Driver.Rules[r0.RuleIndex].ID != r0.RuleID || r0.Level != "error" ||
		r0.PartialFingerprints["coreviewSignature/v1"] != "1111111111111111" || r0.BaselineState != "unchanged" || r1.BaselineState != "new" ||
		!strings.Contains(r0.Message.Text, "Thread 7 read address 0x0 in parse_row.") || !strings.Contains(r0.Message.Text, "2 cores") {
		t.Errorf("first result %+v", r0)
	}
	l := r0.Locations[0]
	if l.PhysicalLocation == nil || l.PhysicalLocation.ArtifactLocation.URI != "src/parse.c" || l.PhysicalLocation.ArtifactLocation.URIBaseID != "SRCROOT" ||
		l.PhysicalLocation.Region.StartLine != 42 || l.PhysicalLocation.Region.StartColumn != 7 || l.LogicalLocations[0].FullyQualifiedName != "parse_row" {
		t.Errorf("first location %+v", l)
	}
	if len(r0.Stacks) != 1 || len(r0.Stacks[0].Frames) != 2 || r0.Stacks[0].Frames[0].Module != "srv" {
		t.Errorf("stack %+v", r0.Stacks)
	}
	// No source line: no physical location, the module and offset said.
	if l := r1.Locations[0]; l.PhysicalLocation != nil || !strings.Contains(l.Message.Text, "frame #5 check_input in tool at offset 0x99") {
		t.Errorf("second location %+v", l)
	}
	if n := run.Invocations[0].ToolExecutionNotifications; len(n) != 1 || n[0].Level != "error" || n[0].Message.Text != "/c/d: corefile: not an ELF core" {
		t.Errorf("notifications %+v", n)
	}
	validateSARIF(t, b.Bytes())
}

// validateSARIF runs Microsoft's SARIF validator: no error, and no warning
// either (each one is something a SARIF consumer shows worse).
func validateSARIF(t *testing.T, doc []byte) {
	t.Helper()
	tool := testfixture.NodeTool(t, "sarif-multitool")
	p := filepath.Join(t.TempDir(), "scan.sarif")
	os.WriteFile(p, doc, 0o644)
	cmd := exec.Command(tool, "validate", p)
	// The validator is a .NET program: without a writable home and ICU it
	// may not start.
	cmd.Env = append(os.Environ(), "DOTNET_CLI_TELEMETRY_OPTOUT=1", "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sarif-multitool validate: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`(?m)^.*: (error|warning) [A-Z]+[0-9]+:.*$`).FindAllString(string(out), -1); len(m) > 0 || !strings.Contains(string(out), "Analysis completed successfully") {
		t.Errorf("sarif-multitool validate:\n%s", out)
	}
}
