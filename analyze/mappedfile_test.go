package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/report"
)

// TestMappedDataFileIsNotAModule: c-bus-error maps a data file with mmap;
// it is a mapped file, not an ELF module with missing symbols.
func TestMappedDataFileIsNotAModule(t *testing.T) {
	_, r := analyzeFixture(t, "c-bus-error")
	for _, m := range r.Modules {
		if strings.HasSuffix(m.Path, "data.bin") {
			t.Errorf("data.bin is a module: %+v", m)
		}
	}
	for _, w := range r.Warnings {
		if strings.Contains(w, "data.bin") {
			t.Errorf("warning about the data file: %s", w)
		}
	}
	found := false
	for _, m := range r.Mappings {
		if strings.HasSuffix(m.File, "data.bin") {
			found = true
			if m.Role != report.RoleFile {
				t.Errorf("data.bin mapping has role %q, want %q", m.Role, report.RoleFile)
			}
		}
	}
	if !found {
		t.Error("no mapping of data.bin")
	}
	if r.Signal == nil || !strings.Contains(r.Signal.Where, "the mapped file") {
		t.Errorf("signal %+v: want its address in the mapped file", r.Signal)
	}
}
