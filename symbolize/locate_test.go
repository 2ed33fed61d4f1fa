package symbolize

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestLocate: a library named by the dynamic linker's list, found under
// the sysroot through its /lib -> usr/lib symlink, gets the mappings of
// its PT_LOADs at l_addr (readelf -lW of the shipped libc.so.6: LOAD 0x0 r,
// 0x26000 r-x, 0x17c000 r, 0x1cf8d0 at 0x1cf8d0 rw; DYNAMIC at 0x1d2b60)
// and the path the kernel would have named it by; a file whose PT_DYNAMIC
// is not at l_ld is refused.
func TestLocate(t *testing.T) {
	const bias = 0x7f0000000000
	opts := Options{Sysroot: testfixture.Sysroot()}
	obj := Object{Path: "/lib/x86_64-linux-gnu/libc.so.6", Bias: bias, HaveBias: true, Dynamic: bias + 0x1d2b60}
	loc, err := Locate(obj, opts)
	if err != nil {
		t.Fatal(err)
	}
	if loc.Path != "/usr/lib/x86_64-linux-gnu/libc.so.6" || loc.Bias != bias || loc.Dynamic != bias+0x1d2b60 {
		t.Errorf("located %s as %s, bias %#x, dynamic %#x", loc.File, loc.Path, loc.Bias, loc.Dynamic)
	}
	want := []Region{
		{Start: bias, End: bias + 0x26000, Off: 0},
		{Start: bias + 0x26000, End: bias + 0x17c000, Off: 0x26000},
		{Start: bias + 0x17c000, End: bias + 0x1cf000, Off: 0x17c000},
		{Start: bias + 0x1cf000, End: bias + 0x1d5000, Off: 0x1cf000},
	}
	if len(loc.Regions) != len(want) {
		t.Fatalf("regions %+v", loc.Regions)
	}
	for i, w := range want {
		if r := loc.Regions[i]; r.Start != w.Start || r.End != w.End || r.Off != w.Off || r.Path != loc.Path {
			t.Errorf("region %d: %#x-%#x at %#x (%s), want %#x-%#x at %#x", i, r.Start, r.End, r.Off, r.Path, w.Start, w.End, w.Off)
		}
	}
	obj.Dynamic += 0x1000
	if _, err := Locate(obj, opts); err == nil || !strings.Contains(err.Error(), "PT_DYNAMIC would be at") {
		t.Errorf("a file whose PT_DYNAMIC is elsewhere: %v", err)
	}
	obj.Path = "/lib/x86_64-linux-gnu/libnothere.so"
	if _, err := Locate(obj, opts); err == nil || !strings.Contains(err.Error(), "file not found") {
		t.Errorf("a missing file: %v", err)
	}
}
