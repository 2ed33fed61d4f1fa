package analyze

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/report"
)

// words says what a mapping of a role is, in words, with its range.
func (mm *memoryMap) words(m *corefile.Mapping) string {
	i := mm.index[m]
	role, owner := mm.roles[i], mm.owners[i]
	var w string
	switch role {
	case report.RoleGuard:
		if up := mm.above(m); up != nil {
			stack, _ := mm.stackWords(up)
			return fmt.Sprintf("%s [%#x–%#x %s] below %s", guardWords(m), m.Start, m.End, m.Perm, stack)
		}
		w = guardWords(m)
	case report.RoleStack:
		w = fmt.Sprintf("thread %d's stack", owner)
	case report.RoleMainStack:
		w = "the main thread's stack"
	case report.RoleStackSegment:
		w = fmt.Sprintf("a stack segment of thread %d", owner)
	case report.RoleStackUnguarded:
		w = fmt.Sprintf("a stack of thread %d with no guard page below", owner)
	case report.RoleSigaltstack:
		w = fmt.Sprintf("the signal stack of thread %d", owner)
	case report.RoleText, report.RoleRodata, report.RoleData:
		w = fmt.Sprintf("the %s of %s", role, m.File)
	case report.RoleBSS:
		w = "bss"
	case report.RoleFile:
		w = "the mapped file " + m.File
	case report.RoleProtNone:
		w = "a PROT_NONE mapping"
	case report.RoleAnon:
		w = "anonymous memory"
		if len(mm.core.Files) == 0 {
			// Without NT_FILE, only modules' mappings have a file:
			// this one may be a data file the program mapped.
			w = "memory the core names no file for (it has no NT_FILE note)"
		}
	default:
		w = string(role)
	}
	return fmt.Sprintf("%s [%#x–%#x %s]", w, m.Start, m.End, m.Perm)
}

// guardWords names a guard mapping: "the guard page", or "the 64 KiB
// guard" when it is more than a page (glibc's guardsize, or a guard the
// kernel merged with a PROT_NONE neighbour).
func guardWords(m *corefile.Mapping) string {
	if m.End-m.Start == 4096 {
		return "the guard page"
	}
	return "the " + report.HumanBytes(m.End-m.Start) + " guard"
}

// stackWords names the stack a guard protects, with its range, and its
// lowest byte: "the stack segment [a–b) of thread 7", "the segment's
// lowest byte".
func (mm *memoryMap) stackWords(m *corefile.Mapping) (stack, lowest string) {
	i := mm.index[m]
	r := fmt.Sprintf("[%#x–%#x)", m.Start, m.End)
	switch owner := mm.owners[i]; mm.roles[i] {
	case report.RoleStack:
		return fmt.Sprintf("thread %d's stack %s", owner, r), "the stack's lowest byte"
	case report.RoleMainStack:
		return "the main thread's stack " + r, "the stack's lowest byte"
	case report.RoleStackSegment:
		return fmt.Sprintf("the stack segment %s of thread %d", r, owner), "the segment's lowest byte"
	case report.RoleSigaltstack:
		return fmt.Sprintf("the signal stack %s of thread %d", r, owner), "the signal stack's lowest byte"
	}
	return mm.words(m), "its lowest byte"
}

// describe says in words what addr lies in: its mapping, role and owner,
// and how far it is from the mapping's ends; or which mappings surround it.
// An address in a guard is measured from the stack it guards: "in the
// guard page [g0–g1) below the stack segment [s0–s1) of thread 7, 112
// bytes below the segment's lowest byte".
func (mm *memoryMap) describe(addr uint64) string {
	c := mm.core
	if m := c.Mapping(addr); m != nil {
		if up := mm.above(m); mm.role(m) == report.RoleGuard && up != nil {
			stack, lowest := mm.stackWords(up)
			return fmt.Sprintf("in %s [%#x–%#x) below %s, %s below %s", guardWords(m), m.Start, m.End, stack, report.Distance(up.Start-addr), lowest)
		}
		return fmt.Sprintf("in %s, %s from its start and %s from its end", mm.words(m), report.Distance(addr-m.Start), report.Distance(m.End-addr))
	}
	if addr < minMapAddr {
		if addr == 0 {
			return "(the null pointer)"
		}
		// Only the address: whether a null pointer plus an offset made
		// it or the pointer held it is the instruction's to say.
		return fmt.Sprintf("in the null page, %#x above address 0 (vm.mmap_min_addr keeps the first 64 KiB unmapped)", addr)
	}
	i := sort.Search(len(c.Mappings), func(i int) bool { return c.Mappings[i].Start > addr })
	switch {
	case i < len(c.Mappings):
		above := c.Mappings[i]
		w := fmt.Sprintf("in no mapping, %s below %s", report.Distance(above.Start-addr), mm.words(above))
		if lo, _ := mm.gapBelow(above); mm.role(above) == report.RoleMainStack && addr >= lo {
			w += fmt.Sprintf(", in the %s gap the kernel keeps below the main stack (stack_guard_gap)", report.HumanBytes(report.StackGuardGap))
		}
		return w
	case i > 0:
		below := c.Mappings[i-1]
		return fmt.Sprintf("in no mapping, %s above %s", report.Distance(addr-below.End), mm.words(below))
	}
	return "in no mapping"
}

// minMapAddr is vm.mmap_min_addr's usual value: nothing is mapped below.
const minMapAddr = 64 << 10

// WhatIsSchema names the version of whatis --format json.
const WhatIsSchema = "coreview.whatis/v1"

// WhatIs is the answer to "what is at this address?": mdb's ::whatis for
// cores. Its JSON is schema/whatis-v1.schema.json.
type WhatIs struct {
	Schema   string          `json:"schema"`
	Address  report.Addr     `json:"address"`
	Mapping  *report.Mapping `json:"mapping,omitempty"`
	Where    string          `json:"where"`
	Module   string          `json:"module,omitempty"`
	Symbol   string          `json:"symbol,omitempty"`
	Function string          `json:"function,omitempty"`
	Offset   uint64          `json:"offset,omitempty"`
	// Source is where a code address is in the source, from DWARF: the
	// calls inlined there, innermost first, then the function holding
	// them.
	Source []SourcePos `json:"source,omitempty"`
	// Frames lists the stack frames whose [SP, CFA) holds the address.
	Frames []HoldingFrame `json:"frames,omitempty"`
}

// SourcePos is a function's source position at a code address.
type SourcePos struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column,omitempty"`
	// Inlined is set for a call inlined at the address; the last
	// position, the function holding them, has it clear.
	Inlined bool `json:"inlined"`
}

// String is "function at file:line".
func (p SourcePos) String() string {
	return fmt.Sprintf("%s at %s:%d", p.Function, p.File, p.Line)
}

// HoldingFrame is a stack frame whose [SP, CFA) holds an address.
type HoldingFrame struct {
	Thread   int         `json:"thread"`
	Index    int         `json:"index"`
	Function string      `json:"function"`
	SP       report.Addr `json:"sp"`
	CFA      report.Addr `json:"cfa"`
	// BelowCFA is how many bytes the address lies below the CFA.
	BelowCFA uint64 `json:"below_cfa"`
}

// String says it in words: "thread 7 frame #1 parse [0x…–0x…), 8 bytes
// below its CFA".
func (h HoldingFrame) String() string {
	return fmt.Sprintf("thread %d frame #%d %s [%#x–%#x), %s below its CFA", h.Thread, h.Index, h.Function, uint64(h.SP), uint64(h.CFA), report.Distance(h.BelowCFA))
}

// WhatIs describes addr: its mapping, role and owner, the symbol it falls
// in, and which thread's stack frame holds it. It uses the stacks and roles
// that building r worked out.
func (s *Session) WhatIs(addr uint64, r *report.Report) WhatIs {
	w := WhatIs{Schema: WhatIsSchema, Address: report.Addr(addr)}
	stacks, mm := s.last.stacks, s.last.mm
	w.Where = mm.describe(addr)
	if m := s.Core.Mapping(addr); m != nil {
		maps := mm.mappings()
		w.Mapping = &maps[mm.index[m]]
	}
	if mod := s.Modules.Module(addr); mod != nil {
		w.Module = mod.Path
		fr := report.Frame{PC: report.Addr(addr)}
		s.symbolizeFrame(&fr, mod, addr)
		w.Symbol, w.Function, w.Offset = fr.Symbol, fr.Function, fr.Offset
		for i, in := range append(fr.Inlined, fr) {
			if in.File == "" {
				continue // no line for it: it has no source position to give
			}
			w.Source = append(w.Source, SourcePos{Function: nameOr(in.Function, "??"), File: in.File, Line: in.Line, Column: in.Column, Inlined: i < len(fr.Inlined)})
		}
	}
	// A frame holds the addresses in [SP, CFA) on its own stack (its
	// guard included, for a frame that ran into it); a frame that
	// straddles a stack switch (rust_psm_on_stack) holds none that the
	// unwind can tell, and never the mappings between its two stacks.
	home := mm.stackOf(addr)
	if home == nil {
		return w
	}
	for ti, st := range stacks {
		for i, f := range st.Frames {
			// addr < CFA, so CFA > SP: the frame is on home when both
			// its ends are.
			if f.CFA != 0 && addr >= f.SP && addr < f.CFA && mm.stackOf(f.SP) == home && mm.stackOf(f.CFA-1) == home {
				name := "??"
				if i < len(r.Threads[ti].Frames) && r.Threads[ti].Frames[i].Function != "" {
					name = r.Threads[ti].Frames[i].Function
				}
				w.Frames = append(w.Frames, HoldingFrame{Thread: s.Core.Threads[ti].TID, Index: i, Function: name,
					SP: report.Addr(f.SP), CFA: report.Addr(f.CFA), BelowCFA: f.CFA - addr})
			}
		}
	}
	return w
}

// MaxDump caps the bytes one memory dump reads.
const MaxDump = 1 << 20

// MemoryDump is memory as gdb's x or mdb's ::dump show it, for a core: 16
// bytes a line, each line annotated with what it lies in.
type MemoryDump struct {
	Address report.Addr  `json:"address"`
	Length  int          `json:"length"`
	Lines   []MemoryLine `json:"lines"`
}

// MemoryLine is up to 16 bytes of a dump.
type MemoryLine struct {
	Address report.Addr `json:"address"`
	// Hex is the bytes in hex, space-separated; "??" for a byte that
	// could not be read (never shown as a zero).
	Hex string `json:"hex"`
	// ASCII is the printable bytes, "." for others, " " for unreadable.
	ASCII string `json:"ascii"`
	// Unreadable says why bytes of the line could not be read ("not
	// dumped", "no mapping"…); empty when all were.
	Unreadable string `json:"unreadable,omitempty"`
	// Where is the line's mapping and role in words, as whatis says it
	// ("the main thread's stack [0x7ffd…–0x7ffd… rw-]"), or where an
	// unmapped address lies; Role is the mapping's role.
	Where string      `json:"where"`
	Role  report.Role `json:"role,omitempty"`
	// Pointers are the 8-byte aligned words of the line that point into
	// code, with the function they point into.
	Pointers []MemoryPointer `json:"pointers,omitempty"`
}

// MemoryPointer is a word in a dump that points into code.
type MemoryPointer struct {
	Address report.Addr `json:"address"` // where the word is
	Value   report.Addr `json:"value"`
	Symbol  string      `json:"symbol"` // "function+0x12" or "module+0x1234"
}

// ReadMemory dumps length bytes at addr (at most MaxDump), using the roles
// the latest Report worked out.
func (s *Session) ReadMemory(addr uint64, length int) MemoryDump {
	length = max(0, min(length, MaxDump))
	if addr+uint64(length) < addr {
		length = int(^uint64(0) - addr)
	}
	d := MemoryDump{Address: report.Addr(addr), Length: length}
	mm := s.last.mm
	for off := 0; off < length; off += 16 {
		at := addr + uint64(off)
		n := min(16, length-off)
		var buf [16]byte
		ok := make([]bool, n)
		why := ""
		for i := 0; i < n; {
			k, err := s.Mem.ReadAt(buf[i:n], at+uint64(i))
			for j := i; j < i+k; j++ {
				ok[j] = true
			}
			i += k
			if err != nil {
				if why == "" {
					why = readFailure(err)
				}
				i++ // skip the unreadable byte, try the rest
			}
		}
		l := MemoryLine{Address: report.Addr(at), Unreadable: why}
		var hex, ascii strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				hex.WriteByte(' ')
			}
			switch {
			case !ok[i]:
				hex.WriteString("??")
				ascii.WriteByte(' ')
			default:
				fmt.Fprintf(&hex, "%02x", buf[i])
				if c := buf[i]; c >= 0x20 && c < 0x7f {
					ascii.WriteByte(c)
				} else {
					ascii.WriteByte('.')
				}
			}
		}
		l.Hex, l.ASCII = hex.String(), ascii.String()
		if m := s.Core.Mapping(at); m != nil {
			l.Where, l.Role = mm.words(m), mm.role(m)
		} else {
			l.Where = mm.describe(at)
		}
		for i := int((8 - at%8) % 8); i+8 <= n; i += 8 {
			if !allTrue(ok[i : i+8]) {
				continue
			}
			v := le64(buf[i : i+8])
			if !s.Mem.Executable(v) {
				continue
			}
			l.Pointers = append(l.Pointers, MemoryPointer{Address: report.Addr(at + uint64(i)), Value: report.Addr(v), Symbol: s.codeName(v)})
		}
		d.Lines = append(d.Lines, l)
	}
	return d
}

func allTrue(b []bool) bool {
	for _, v := range b {
		if !v {
			return false
		}
	}
	return true
}

// readFailure says why a read failed, in the corefile's words.
func readFailure(err error) string {
	var me *corefile.MemoryError
	if errors.As(err, &me) {
		return me.Reason.String()
	}
	return err.Error()
}

// codeName names a code address: "function+0x12", else "module+0x1234".
func (s *Session) codeName(pc uint64) string {
	m := s.Modules.Module(pc)
	if m == nil {
		return fmt.Sprintf("%#x", pc)
	}
	fr := report.Frame{PC: report.Addr(pc)}
	s.symbolizeFrame(&fr, m, pc)
	if fr.Function != "" {
		return fmt.Sprintf("%s+%#x", fr.Function, fr.Offset)
	}
	return fmt.Sprintf("%s+%#x", m.Name(), m.FileAddr(pc))
}
