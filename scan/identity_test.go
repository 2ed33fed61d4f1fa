package scan

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/testfixture"
)

// TestScanWrongBinaryNoBuildID: a core without build-ids scanned with
// another program's executable (the c-no-buildid fixture's other-prog) is
// an error row saying the file does not fit, not a crash group.
func TestScanWrongBinaryNoBuildID(t *testing.T) {
	f := testfixture.Get(t, "c-no-buildid")
	other := filepath.Join(f.Dir, "other-prog")
	dir := t.TempDir()
	testfixture.CopyFile(t, f.CoreZst, filepath.Join(dir, "core.zst"))
	res, err := Run(Options{Dirs: []string{dir}, Core: analyze.Options{Binary: other, Sysroot: testfixture.Sysroot()}, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || !strings.Contains(res.Rows[0].Error, "does not match the core (the core has no build-id") || len(res.Groups) != 0 {
		t.Errorf("scan with other-prog: %+v", res)
	}
}

// TestScanMismatchedBuildID: a core scanned with another fixture's
// executable beside it is an error row naming both build-ids, with no
// signature, rather than a crash group.
func TestScanMismatchedBuildID(t *testing.T) {
	f := testfixture.Get(t, "c-null-deref")
	wrong := testfixture.Get(t, "c-null-call").Binary
	r, err := analyze.Analyze(f.CoreZst, analyze.Options{Binary: wrong, Sysroot: testfixture.Sysroot()})
	if err != nil {
		t.Fatal(err)
	}
	var fileID, coreID string
	for _, m := range r.Modules {
		if m.Path == r.Process.Exe {
			fileID, coreID = m.BuildID, m.CoreBuildID
		}
	}
	if fileID == "" || coreID == "" || fileID == coreID {
		t.Fatalf("build-ids %q (file) and %q (core): want two different ones", fileID, coreID)
	}
	dir := t.TempDir()
	testfixture.CopyFile(t, f.CoreZst, filepath.Join(dir, "core.zst"))
	testfixture.CopyFile(t, wrong, filepath.Join(dir, "bin"))
	res, err := Run(Options{Dirs: []string{dir}, Core: analyze.Options{Sysroot: testfixture.Sysroot()}, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Errors != 1 || len(res.Groups) != 0 {
		t.Fatalf("scan: %+v", res)
	}
	row := res.Rows[0]
	want := "does not match the core (build-id " + fileID + ", core " + coreID + ")"
	if !strings.Contains(row.Error, want) || row.Signature != "" || row.SignatureHash != "" {
		t.Errorf("scan row %+v, want an error saying %q and no signature", row, want)
	}
}
