package corefile

// Auxiliary vector entry types, from linux/auxvec.h and the x86-64 psABI.
const (
	AT_NULL         = 0
	AT_PHDR         = 3
	AT_PHENT        = 4
	AT_PHNUM        = 5
	AT_PAGESZ       = 6
	AT_BASE         = 7
	AT_ENTRY        = 9
	AT_UID          = 11
	AT_PLATFORM     = 15
	AT_HWCAP        = 16
	AT_SECURE       = 23
	AT_RANDOM       = 25
	AT_EXECFN       = 31
	AT_SYSINFO_EHDR = 33
)

// AuxEntry is one NT_AUXV entry.
type AuxEntry struct {
	Type, Val uint64
}

// Aux returns the value of the first auxv entry of type typ.
func (c *File) Aux(typ uint64) (uint64, bool) {
	for _, e := range c.Auxv {
		if e.Type == typ {
			return e.Val, true
		}
	}
	return 0, false
}
