package corefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Note types, as in linux/elf.h and the gABI.
const (
	NT_PRSTATUS = 1
	NT_PRFPREG  = 2
	NT_PRPSINFO = 3
	NT_AUXV     = 6
	NT_SIGINFO  = 0x53494749
	NT_FILE     = 0x46494c45
)

// Sizes of the x86_64 note descriptors (struct elf_prstatus, elf_prpsinfo,
// siginfo_t) the kernel writes.
const (
	prstatusSize    = 336
	prstatusRegsOff = 112
	prpsinfoSize    = 136
	siginfoSize     = 128
	maxNoteEntries  = 1 << 20 // NT_FILE entries (a process has at most vm.max_map_count)
	// maxFilePaths caps the bytes of NT_FILE paths read. The kernel
	// writes at most 4 MiB of NT_FILE (MAX_FILE_NOTE_SIZE; since 6.9 the
	// kernel.core_file_note_size_limit sysctl, at most 16 MiB): a core
	// naming a million 470-byte paths is not one the kernel wrote.
	maxFilePaths = 64 << 20
)

// Process holds NT_PRPSINFO: who the process was.
type Process struct {
	PID, PPID int
	UID, GID  uint32
	State     byte   // pr_sname: 'R', 'S', 'D', ...
	Command   string // pr_fname: the first 15 bytes of the command name
	Args      string // pr_psargs: the first 80 bytes of the command line
}

// Siginfo holds NT_SIGINFO: the signal that caused the dump.
type Siginfo struct {
	Signo, Errno, Code int
	// Addr is si_addr, the fault address, for SIGSEGV, SIGBUS, SIGILL,
	// SIGFPE and SIGTRAP.
	Addr uint64
	// PID and UID are si_pid and si_uid for signals sent by a process
	// (si_code SI_USER or SI_TKILL and friends).
	PID int
	UID uint32
}

// si_code values (include/uapi/asm-generic/siginfo.h) that decide whether
// si_addr holds an address.
const (
	// SI_KERNEL is a signal the kernel raised without a fault address. On
	// x86_64 a general-protection fault (an access to a non-canonical
	// address, a misaligned SSE operand, a privileged instruction) is
	// SIGSEGV with SI_KERNEL and si_addr 0 (arch/x86/kernel/traps.c,
	// exc_general_protection).
	SI_KERNEL = 0x80
	// BUS_ADRALN is SIGBUS for an alignment-check fault (EFLAGS.AC); x86
	// raises it with si_addr NULL (traps.c, exc_alignment_check).
	BUS_ADRALN = 1
)

// Fault reports whether the kernel raised a fault signal for the thread's
// own instruction (si_code > 0), with or without an address.
func (s *Siginfo) Fault() bool {
	switch s.Signo {
	case 4, 5, 7, 8, 11: // SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV
		return s.Code > 0
	}
	return false
}

// HasAddr reports whether Addr is meaningful: a fault signal raised by the
// kernel with an address. SI_KERNEL faults and x86's alignment-check SIGBUS
// carry none (their si_addr is 0, not the null pointer).
func (s *Siginfo) HasAddr() bool {
	if !s.Fault() || s.Code == SI_KERNEL {
		return false
	}
	return !(s.Signo == 7 && s.Code == BUS_ADRALN)
}

// FileEntry is one NT_FILE entry: a file mapped at [Start, End) from byte
// offset Off of the file.
type FileEntry struct {
	Start, End, Off uint64
	Path            string
}

// parseNotes decodes the notes of one PT_NOTE segment, whose bytes are buf,
// found at offset base of the core. Malformed notes become warnings.
// Note layout (gABI "Note Section"): namesz, descsz, type (4 bytes each),
// the name padded to 4, the descriptor padded to 4.
func (c *File) parseNotes(buf []byte, base int64) {
	le := binary.LittleEndian
	for off := 0; off+12 <= len(buf); {
		namesz, descsz, typ := uint64(le.Uint32(buf[off:])), uint64(le.Uint32(buf[off+4:])), le.Uint32(buf[off+8:])
		nameOff := uint64(off + 12)
		descOff := nameOff + align4(namesz)
		end := descOff + align4(descsz)
		if descOff > uint64(len(buf)) || descOff+descsz > uint64(len(buf)) {
			c.malformed(base+int64(off), "note's name size %d and descriptor size %d run past the PT_NOTE segment; remaining notes skipped",
				namesz, descsz)
			return
		}
		name := buf[nameOff : nameOff+namesz]
		name = bytes.TrimRight(name, "\x00")
		desc := buf[descOff : descOff+descsz]
		descAt := base + int64(descOff)
		if string(name) == "CORE" || string(name) == "LINUX" {
			if err := c.parseNote(typ, desc, descAt); err != nil {
				c.problem(err)
			}
		}
		if end > uint64(len(buf)) {
			return
		}
		off = int(end)
	}
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }

func (c *File) parseNote(typ uint32, desc []byte, off int64) error {
	le := binary.LittleEndian
	switch typ {
	case NT_PRSTATUS:
		if len(desc) < prstatusSize {
			return &FormatError{Off: off, Msg: "NT_PRSTATUS is too short", Val: len(desc)}
		}
		if len(c.Threads) >= maxThreads {
			if c.dropped == 0 {
				c.droppedOff = off
			}
			c.dropped++
			return nil
		}
		t := &Thread{
			Signal: int(int16(le.Uint16(desc[12:]))),
			TID:    int(int32(le.Uint32(desc[32:]))),
			Index:  len(c.Threads),
			Off:    off,
		}
		regs := desc[prstatusRegsOff:]
		p := []*uint64{&t.Regs.R15, &t.Regs.R14, &t.Regs.R13, &t.Regs.R12, &t.Regs.Rbp, &t.Regs.Rbx,
			&t.Regs.R11, &t.Regs.R10, &t.Regs.R9, &t.Regs.R8, &t.Regs.Rax, &t.Regs.Rcx, &t.Regs.Rdx,
			&t.Regs.Rsi, &t.Regs.Rdi, &t.Regs.OrigRax, &t.Regs.Rip, &t.Regs.Cs, &t.Regs.Eflags,
			&t.Regs.Rsp, &t.Regs.Ss, &t.Regs.FsBase, &t.Regs.GsBase, &t.Regs.Ds, &t.Regs.Es,
			&t.Regs.Fs, &t.Regs.Gs}
		for i := 0; i < numRegs; i++ {
			*p[i] = le.Uint64(regs[8*i:])
		}
		c.Threads = append(c.Threads, t)
	case NT_PRPSINFO:
		if len(desc) < prpsinfoSize {
			return &FormatError{Off: off, Msg: "NT_PRPSINFO is too short", Val: len(desc)}
		}
		c.Process = &Process{
			State:   desc[1],
			UID:     le.Uint32(desc[16:]),
			GID:     le.Uint32(desc[20:]),
			PID:     int(int32(le.Uint32(desc[24:]))),
			PPID:    int(int32(le.Uint32(desc[28:]))),
			Command: cString(desc[40:56]),
			Args:    string(bytes.TrimRight(cStringBytes(desc[56:136]), " ")),
		}
	case NT_SIGINFO:
		if len(desc) < siginfoSize {
			return &FormatError{Off: off, Msg: "NT_SIGINFO is too short", Val: len(desc)}
		}
		// siginfo_t: si_signo, si_errno, si_code (int each), padding, then
		// the union at 16: si_addr for faults, si_pid/si_uid for kill.
		c.Siginfo = &Siginfo{
			Signo: int(int32(le.Uint32(desc[0:]))),
			Errno: int(int32(le.Uint32(desc[4:]))),
			Code:  int(int32(le.Uint32(desc[8:]))),
			Addr:  le.Uint64(desc[16:]),
			PID:   int(int32(le.Uint32(desc[16:]))),
			UID:   le.Uint32(desc[20:]),
		}
	case NT_AUXV:
		for i := 0; i+16 <= len(desc); i += 16 {
			e := AuxEntry{Type: le.Uint64(desc[i:]), Val: le.Uint64(desc[i+8:])}
			if e.Type == AT_NULL {
				break
			}
			c.Auxv = append(c.Auxv, e)
		}
	case NT_FILE:
		return c.parseFileNote(desc, off)
	}
	return nil
}

// parseFileNote decodes NT_FILE (fs/binfmt_elf.c fill_files_note): count and
// page size, count triples of start, end and file offset in pages, then count
// NUL-terminated paths.
func (c *File) parseFileNote(desc []byte, off int64) error {
	le := binary.LittleEndian
	if len(desc) < 16 {
		return &FormatError{Off: off, Msg: "NT_FILE is too short", Val: len(desc)}
	}
	count, pageSize := le.Uint64(desc), le.Uint64(desc[8:])
	if count > maxNoteEntries || count*24 > uint64(len(desc)-16) {
		return &FormatError{Off: off, Msg: fmt.Sprintf("NT_FILE claims %d entries in %d bytes", count, len(desc))}
	}
	if pageSize == 0 || pageSize&(pageSize-1) != 0 || pageSize > 1<<30 {
		return &FormatError{Off: off + 8, Msg: "NT_FILE has a bad page size", Val: pageSize}
	}
	names := desc[16+count*24:]
	entries := make([]FileEntry, 0, count)
	// A file mapped in several segments is named once per segment, and a
	// hostile core names one long path a million times: each distinct
	// path is allocated once and shared, by its entries and mappings.
	paths := map[string]string{}
	for i := uint64(0); i < count; i++ {
		e := desc[16+24*i:]
		nul := bytes.IndexByte(names, 0)
		if nul < 0 {
			// The string table ends before the count-th path does.
			at := off + int64(len(desc)-len(names))
			return &FormatError{Off: at, Msg: fmt.Sprintf("NT_FILE path %d of %d is not NUL-terminated", i, count)}
		}
		if read := len(desc) - 16 - int(count)*24 - len(names); read+nul > maxFilePaths {
			c.malformed(off+16+24*int64(i), "NT_FILE paths exceed %d MiB (the kernel writes at most 16 MiB of NT_FILE): entries %d to %d are ignored", maxFilePaths>>20, i, count-1)
			break
		}
		path, ok := paths[string(names[:nul])]
		if !ok {
			path = string(names[:nul])
			paths[path] = path
		}
		fe := FileEntry{Start: le.Uint64(e), End: le.Uint64(e[8:]), Off: le.Uint64(e[16:]) * pageSize, Path: path}
		names = names[nul+1:]
		if fe.End < fe.Start {
			c.malformed(off+16+24*int64(i), "NT_FILE entry %d (%s): end %#x is below start %#x; skipped", i, fe.Path, fe.End, fe.Start)
			continue
		}
		entries = append(entries, fe)
	}
	c.Files = entries
	return nil
}

func cStringBytes(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func cString(b []byte) string { return string(cStringBytes(b)) }
