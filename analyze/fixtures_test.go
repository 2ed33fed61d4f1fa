package analyze

import (
	"testing"
)

// TestNonPIEAndColdFragment: the ET_EXEC fixture's executable has bias 0;
// the crash inside gcc's parse.cold fragment names it as gdb does,
// "parse[cold]", called from main. (TestUnwindMatchesGDB compares every
// frame of both with gdb.)
func TestNonPIEAndColdFragment(t *testing.T) {
	_, r := analyzeFixture(t, "c-nopie")
	if r.Modules[0].Path != r.Process.Exe || r.Modules[0].Base != 0 || r.Modules[0].Status != "ok" {
		t.Errorf("executable module %+v, want bias 0", r.Modules[0])
	}
	if fr := r.CrashedThread().Frames; len(fr) < 5 || fr[0].Function != "compare" || uint64(fr[0].PC) >= 0x500000 {
		t.Errorf("frames %+v", fr)
	}

	_, r = analyzeFixture(t, "c-cold")
	fr := r.CrashedThread().Frames
	if len(fr) < 2 || fr[0].Function != "parse[cold]" || fr[0].Symbol != "parse.cold" || fr[1].Function != "main" {
		t.Errorf("frames %+v, want parse[cold] (symbol parse.cold) called from main", fr)
	}
}

// TestVDSOAndFramePointerFrames: the c-vdso fixture faults inside the
// vDSO (frame #0 in [vdso], symbolized from the core's memory), and main
// is found through read_clock's frame pointer, read_clock having no CFI.
func TestVDSOAndFramePointerFrames(t *testing.T) {
	_, r := analyzeFixture(t, "c-vdso")
	fr := r.CrashedThread().Frames
	if len(fr) < 4 || fr[0].Module != "[vdso]" || fr[0].Function != "clock_gettime" ||
		fr[2].Function != "read_clock" || fr[3].Function != "main" || fr[3].Method != "fp" {
		t.Errorf("frames %+v, want clock_gettime in [vdso], then libc's, read_clock, and main found by fp", fr)
	}
}
