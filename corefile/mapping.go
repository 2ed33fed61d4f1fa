package corefile

// Perm is a mapping's protection, from PT_LOAD p_flags (PF_R, PF_W, PF_X).
type Perm uint8

// Permission bits, with the values of PF_X, PF_W and PF_R.
const (
	PermX Perm = 1
	PermW Perm = 2
	PermR Perm = 4
)

// String prints the permissions like /proc/self/maps: "r-x", "rw-", "---".
func (p Perm) String() string {
	b := []byte("---")
	if p&PermR != 0 {
		b[0] = 'r'
	}
	if p&PermW != 0 {
		b[1] = 'w'
	}
	if p&PermX != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// Mapping is one virtual memory area of the process: one PT_LOAD of the core.
// [Start, End) are runtime addresses.
type Mapping struct {
	Start, End uint64
	Perm       Perm

	// Off and FileSize locate the bytes the kernel dumped: the first
	// FileSize bytes of the mapping are at Off in the core file. FileSize is
	// zero for mappings the kernel did not dump (read-only file mappings,
	// PROT_NONE guards) and at most End-Start.
	Off      int64
	FileSize uint64

	// File and FileOff come from NT_FILE: the path of the file mapped here
	// and the offset in that file of Start. File is empty for anonymous
	// memory (stacks, heap, guard pages).
	File    string
	FileOff uint64

	// Truncated is set when the core file ends before Off+FileSize: the
	// kernel dumped the bytes from CutAt on, and they are lost. CutAt is
	// Start when the core ends before Off, at most Start+FileSize.
	Truncated bool
	CutAt     uint64

	// Undumped is set on a mapping NT_FILE lists but no PT_LOAD covers
	// (gdb's gcore leaves out unmodified file text): its bytes are the
	// file's and its Perm comes from the module's ELF program headers.
	// PermKnown says whether those could be read; when not, Perm is
	// PermR and Memory.Executable asks the file.
	Undumped  bool
	PermKnown bool

	phdrOff int64 // where its program header is, for error messages
}

// present returns how many of the mapping's dumped bytes the core file
// still holds: FileSize, or less when the file ends first.
func (m *Mapping) present() uint64 {
	if !m.Truncated {
		return m.FileSize
	}
	return m.CutAt - m.Start
}

// Writable reports whether the process could write the mapping.
func (m *Mapping) Writable() bool { return m.Perm&PermW != 0 }

// Size returns End-Start.
func (m *Mapping) Size() uint64 { return m.End - m.Start }

// Contains reports whether addr lies in [Start, End).
func (m *Mapping) Contains(addr uint64) bool { return addr >= m.Start && addr < m.End }
