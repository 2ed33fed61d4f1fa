package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
)

// Limits on what the toolchain facts read.
const (
	maxComment  = 64 << 10
	maxNoteSize = 64 << 10
	maxCompiler = 256
)

// Compilers returns the strings the module's .comment section records:
// one per compiler and linker that contributed to it ("GCC: (Debian
// 12.2.0-14) 12.2.0", "rustc version 1.95.0 (59807616e 2026-04-14)",
// "Linker: LLD 22.1.2"), NUL-separated in the section, each once, in
// order. nil when the module's file has no .comment.
func (m *Module) Compilers() []string {
	if m.elf == nil {
		return nil
	}
	s := m.elf.Section(".comment")
	if s == nil || s.Type == elf.SHT_NOBITS || s.Size > maxComment {
		return nil
	}
	b, err := s.Data()
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range bytes.Split(b, []byte{0}) {
		t := strings.TrimSpace(string(c))
		if t == "" || seen[t] || len(t) > maxCompiler || !printable(t) {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// glibcBanner is the version string every glibc carries (csu/version.c):
// "GNU C Library (Debian GLIBC 2.36-9+deb12u14) stable release version
// 2.36." — the package's words in parentheses, then the release.
var glibcBanner = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`GNU C Library (\([^)\x00]{1,100}\) )?[a-z ]{0,40}release version (\d+\.\d+(?:\.\d+)?)`)
})

// LibC names the C library the module is and its version: "glibc 2.36
// (Debian GLIBC 2.36-9+deb12u14)" from glibc's banner in .rodata, "musl"
// for musl's libc.so (which keeps its version where nothing names it).
// ok is false for other modules.
func (m *Module) LibC() (string, bool) {
	name := m.Name()
	switch {
	case strings.HasPrefix(name, "libc.so.6"), strings.HasPrefix(name, "libc-2."):
		if v, ok := m.GlibcBanner(); ok {
			return v, true
		}
		return "glibc", true
	case strings.HasPrefix(name, "ld-musl-"), m.isMuslLibc():
		return "musl", true
	}
	return "", false
}

// GlibcBanner finds glibc's version banner in the module's .rodata: in
// libc.so.6, or in a statically linked executable. ok is false when it is
// not there.
func (m *Module) GlibcBanner() (string, bool) {
	b, _ := m.Section(".rodata")
	sm := glibcBanner().FindSubmatch(b)
	if sm == nil {
		return "", false
	}
	v := "glibc " + string(sm[2])
	if pkg := strings.Trim(string(sm[1]), "() "); pkg != "" {
		v += " (" + pkg + ")"
	}
	return v, true
}

// isMuslLibc reports whether a module named libc.so is musl's: its
// dynamic loader banner is in .rodata.
func (m *Module) isMuslLibc() bool {
	if m.Name() != "libc.so" {
		return false
	}
	b, _ := m.Section(".rodata")
	return bytes.Contains(b, []byte("musl libc ("))
}

// Linux ELF notes in the vDSO (include/linux/elfnote.h, arch/x86/entry/vdso):
// type 0 holds LINUX_VERSION_CODE, and LINUX_ELFNOTE_BUILD_SALT the
// kernel's CONFIG_BUILD_SALT.
const (
	linuxNoteVersion   = 0
	linuxNoteBuildSalt = 0x100
)

// KernelVersion returns the kernel version a vDSO records: its "Linux"
// note's LINUX_VERSION_CODE, KERNEL_VERSION(a, b, c) = a<<16 + b<<8 + c,
// as "6.1.158" (c saturates at 255, written "6.1.255+"), and the build
// salt note when present (often, not always, the kernel's release
// string: it is whatever CONFIG_BUILD_SALT was). ok is false for modules
// without the note.
func (m *Module) KernelVersion() (version, salt string, ok bool) {
	if m.elf == nil {
		return "", "", false
	}
	for _, p := range m.elf.Progs {
		if p.Type != elf.PT_NOTE || p.Filesz > maxNoteSize {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p.Open(), maxNoteSize))
		if err != nil {
			continue
		}
		for len(b) >= 12 {
			namesz, descsz, typ := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])
			nameEnd := 12 + int(align4(uint64(namesz)))
			descEnd := nameEnd + int(align4(uint64(descsz)))
			if namesz > maxNoteSize || descsz > maxNoteSize || descEnd > len(b) || nameEnd < 12 {
				break
			}
			name := string(bytes.TrimRight(b[12:12+namesz], "\x00"))
			desc := b[nameEnd : nameEnd+int(descsz)]
			if name == "Linux" {
				switch {
				case typ == linuxNoteVersion && len(desc) == 4:
					code := binary.LittleEndian.Uint32(desc)
					version = fmt.Sprintf("%d.%d.%d", code>>16, code>>8&0xff, code&0xff)
					if code&0xff == 0xff {
						version += "+"
					}
					ok = true
				case typ == linuxNoteBuildSalt:
					if s := string(bytes.TrimRight(desc, "\x00")); printable(s) && len(s) <= maxCompiler {
						salt = s
					}
				}
			}
			b = b[descEnd:]
		}
	}
	return version, salt, ok
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }
