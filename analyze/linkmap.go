package analyze

import (
	"fmt"
	"io"
	"os"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/symbolize"
)

// findFiles gives a core without an NT_FILE note (kernels before 3.7,
// user-space core writers, damaged notes) the file mappings that note
// would have listed, as elfutils' dwfl_core_file_report finds them: the
// executable from the auxiliary vector, the libraries from the dynamic
// linker's list in the core's memory, each file looked up as a module's
// is. When NT_FILE is there, the list is a cross-check: a library it names
// whose dynamic section no file mapping holds is a warning.
func (s *Session) findFiles(o symbolize.Options) {
	c := s.Core
	dumped := c.Memory(nil)
	if len(c.Files) > 0 {
		for _, l := range c.ReadImages(dumped).Libs {
			if m := c.Mapping(l.Dynamic); m == nil || m.File == "" {
				s.warnings = append(s.warnings, fmt.Sprintf("the dynamic linker's list names %s (l_addr %#x, l_ld %#x), which NT_FILE does not list", l.Name, l.Bias, l.Dynamic))
			}
		}
		return
	}
	im := c.ReadExecutable(dumped)
	warnings := im.Warnings
	files := &locatedFiles{paths: map[string]string{}}
	defer files.close()
	found, tried := 0, 0
	locate := func(obj symbolize.Object) (symbolize.Located, bool) {
		tried++
		loc, err := symbolize.Locate(obj, o)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("no NT_FILE: %v; its frames show no module", err))
			return loc, false
		}
		found++
		var entries []corefile.FileEntry
		for _, r := range loc.Regions {
			entries = append(entries, corefile.FileEntry{Start: r.Start, End: r.End, Off: r.Off, Path: r.Path})
		}
		c.InferFiles(entries)
		files.paths[loc.Path] = loc.File
		return loc, true
	}
	dynamic, dynSize, interp := im.Exe.Dynamic, im.DynSize, im.Interp
	if im.HaveExe {
		name := im.Exe.Name
		if name == "" {
			name = o.Binary
		}
		hdr := uint64(0)
		if phdr, ok := c.Aux(corefile.AT_PHDR); ok {
			// The program headers follow the ELF header in its first
			// page (e_phoff is 64 for every linker's output).
			hdr = phdr &^ (max(o.PageSize, 4096) - 1)
		}
		loc, ok := locate(symbolize.Object{Path: name, Exe: true, Entry: im.Exe.Entry, Bias: im.Exe.Bias,
			HaveBias: im.Exe.HaveBias, Dynamic: im.Exe.Dynamic, Header: hdr})
		if ok && dynamic == 0 {
			// The core lacks the executable's program headers
			// (coredump_filter without bit 4): its file says where
			// the dynamic section, and so the list, is.
			dynamic, dynSize, interp = loc.Dynamic, loc.DynamicSize, loc.Interp
		}
	}
	if dynamic != 0 {
		// Names may live in the executable's undumped pages (ld.so's
		// l_name is its PT_INTERP string): read through its file.
		var libs []corefile.Image
		libs, warnings = c.ReadLinkMap(c.Memory(files.open), dynamic, dynSize, interp, warnings)
		for _, l := range libs {
			// A shared object's first PT_LOAD is linked at 0: its
			// header page is at l_addr.
			locate(symbolize.Object{Path: l.Name, Bias: l.Bias, HaveBias: true, Dynamic: l.Dynamic, Header: l.Bias})
		}
	}
	s.warnings = append(s.warnings, warnings...)
	s.warnings = append(s.warnings, fmt.Sprintf("the core has no NT_FILE note: %d of %d modules were found from the auxiliary vector and the dynamic linker's list in its memory", found, tried))
}

// locatedFiles opens the files findFiles located, for reading what the
// core did not dump while the link map is walked, before the module table
// exists.
type locatedFiles struct {
	paths  map[string]string // process path -> file
	opened []*os.File
}

func (l *locatedFiles) open(path string) (io.ReaderAt, int64, error) {
	file, ok := l.paths[path]
	if !ok {
		return nil, 0, fmt.Errorf("%s: not located", path)
	}
	f, err := safefile.Open(file)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	l.opened = append(l.opened, f)
	return f, st.Size(), nil
}

func (l *locatedFiles) close() {
	for _, f := range l.opened {
		f.Close()
	}
}
