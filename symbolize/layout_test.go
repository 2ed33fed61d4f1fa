package symbolize

import (
	"debug/elf"
	"os"
	"strings"
	"testing"
	"time"
)

// sizedFile is a file of a given size, for layoutMismatch's size check.
type sizedFile struct{ size int64 }

func (f sizedFile) ReadAt(p []byte, off int64) (int, error) { return 0, nil }
func (f sizedFile) Stat() (os.FileInfo, error)              { return fileInfo(f), nil }

type fileInfo struct{ size int64 }

func (fi fileInfo) Name() string       { return "f" }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() os.FileMode  { return 0o644 }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return nil }

// TestLayoutMismatch: a PIE's four PT_LOADs as `readelf -lW` prints them
// for c-no-buildid's prog built as a PIE, loaded at 0x5000_0000, against
// the mappings a process can have.
//
//	LOAD 0x000000 0x0000 0x0005b8 0x0005b8 R
//	LOAD 0x001000 0x1000 0x00015d 0x00015d R E
//	LOAD 0x002000 0x2000 0x0000f0 0x0000f0 R
//	LOAD 0x002e00 0x3e00 0x000210 0x000218 RW  (GNU_RELRO up to 0x4000)
func TestLayoutMismatch(t *testing.T) {
	progs := []elf.ProgHeader{
		{Type: elf.PT_LOAD, Off: 0, Vaddr: 0, Filesz: 0x5b8, Memsz: 0x5b8, Flags: elf.PF_R},
		{Type: elf.PT_LOAD, Off: 0x1000, Vaddr: 0x1000, Filesz: 0x15d, Memsz: 0x15d, Flags: elf.PF_R | elf.PF_X},
		{Type: elf.PT_LOAD, Off: 0x2000, Vaddr: 0x2000, Filesz: 0xf0, Memsz: 0xf0, Flags: elf.PF_R},
		{Type: elf.PT_LOAD, Off: 0x2e00, Vaddr: 0x3e00, Filesz: 0x210, Memsz: 0x218, Flags: elf.PF_R | elf.PF_W},
	}
	const base = 0x50000000
	r, x, rw := elf.PF_R, elf.PF_R|elf.PF_X, elf.PF_R|elf.PF_W
	reg := func(start, end, off uint64, perm elf.ProgFlag) Region {
		return Region{Start: base + start, End: base + end, Off: off, Perm: perm}
	}
	// As the kernel mapped it, RELRO already made read-only.
	good := []Region{reg(0, 0x1000, 0, r), reg(0x1000, 0x2000, 0x1000, x), reg(0x2000, 0x3000, 0x2000, r),
		reg(0x3000, 0x4000, 0x2000, r), reg(0x4000, 0x5000, 0x3000, rw)}
	with := func(i int, rg Region) []Region {
		out := append([]Region(nil), good...)
		out[i] = rg
		return out
	}
	tests := []struct {
		name    string
		regions []Region
		size    int64
		want    string // "" for a match, else part of the reason
	}{
		{"as mapped", good, 15784, ""},
		{"an extra mmap of the file elsewhere", append([]Region{{Start: 0x7f0000000000, End: 0x7f0000004000, Off: 0, Perm: r}}, good...), 15784, ""},
		{"a PROT_NONE hole from ld.so's reservation", append(good, reg(0x5000, 0x9000, 0x4000, 0)), 15784, ""},
		{"text one page longer", with(1, reg(0x1000, 0x3000, 0x1000, x)), 15784, "fits none"},
		{"data at another file offset", with(4, reg(0x4000, 0x5000, 0x1000, rw)), 15784, "fits none"},
		{"text not executable", with(1, reg(0x1000, 0x2000, 0x1000, r)), 15784, "fits none"},
		{"rodata executable", with(2, reg(0x2000, 0x3000, 0x2000, x)), 15784, "fits none"},
		{"rodata writable", with(2, reg(0x2000, 0x3000, 0x2000, rw)), 15784, "fits none"},
		{"a segment not mapped", append(good[:2:2], good[3:]...), 15784, "is not mapped whole"},
		{"file too short", good, 0x3000, "the file has only"},
		{"no segment at any offset", []Region{{Start: base, End: base + 0x1000, Off: 0x9000, Perm: r}}, 1 << 20, "none of its PT_LOAD segments starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := layoutMismatch(progs, sizedFile{tt.size}, tt.regions, 4096)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("layoutMismatch = %q, want %q", got, tt.want)
			}
		})
	}
}
