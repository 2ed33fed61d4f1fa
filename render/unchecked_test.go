package render

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// TestUncheckedModule: a module whose identity could not be checked says
// so, with the reason, in text (a header line beside mismatch), Markdown
// (the environment's module list) and JSON (status and status_detail, as
// the schema allows); ok stays ok.
func TestUncheckedModule(t *testing.T) {
	const why = "the core does not hold its program headers (70 at 0x7f0000000040); its ELF header matches"
	r := handBuilt()
	r.Modules = append(r.Modules, report.Module{Path: "/lib/libfoo_x.so", File: "/srv/libfoo_x.so", BuildID: "",
		Status: report.StatusUnchecked, StatusDetail: why})
	var text bytes.Buffer
	if err := Text(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	inOrder(t, text.String(),
		"mismatch /build/prog is not the file the process mapped as /usr/bin/prog: its frames are unreliable",
		"unchecked /srv/libfoo_x.so, for /lib/libfoo_x.so, could not be checked against the core: "+why,
		"threads  2")
	if strings.Contains(text.String(), "/lib/libc.so.6, could not") {
		t.Error("an ok module is called unchecked")
	}
	var md bytes.Buffer
	if err := Markdown(&md, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	inOrder(t, md.String(),
		"- `/lib/libc.so.6` build-id `cc` (ok)",
		"- `/lib/libfoo_x.so` build-id `` (unchecked: "+why+")")
	// The hand-built stack-overflow diagnosis has none of its kind's
	// facts; the schema is checked on the modules.
	r.Diagnosis = []report.Diagnosis{}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Modules []struct {
			Status       string `json:"status"`
			StatusDetail string `json:"status_detail"`
		} `json:"modules"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if m := back.Modules[len(back.Modules)-1]; m.Status != "unchecked" || m.StatusDetail != why {
		t.Errorf("JSON module %+v", m)
	}
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join(testfixture.Root(), "schema", "report-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("a report with an unchecked module: %v", err)
	}
}
